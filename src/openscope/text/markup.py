"""Markup removal for every reader: Markdown and HTML wrapping taken off license texts and cards.

Three forms, for three readers:
- `strip_markup(text)`: plain words for license identification (markup, URLs, bullets and list
  numbers gone; case and line breaks kept);
- `unwrap_markup(text)`: the analysed form of a license text for the restriction rules (wrapping
  gone, lines, indentation and list numbers kept, so sections can be followed);
- `clean_markdown(body)`: a card body as plain lines whose links keep their URL ("text (url)").
"""

from __future__ import annotations

import html
import re
import unicodedata

_HTML_TAG_HINT = re.compile(
    r"</?(?:p|br|div|li|ul|ol|h[1-6]|span|a|strong|em|b|i|u|table|tr|td|th|body|html|pre|code|"
    r"section|article|blockquote|hr)\b[^>]*>",
    re.I,
)

_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)

_HTML_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I)

_HTML_BLOCK_TAG = re.compile(r"</?(?:p|div|li|ul|ol|h[1-6]|table|tr|pre|section|article|blockquote|hr|body|html)\b[^>]*>",
                             re.I)


_HTML_BR = re.compile(r"<br\s*/?>", re.I)

_HTML_SPACE = re.compile(r"\s+")

_HTML_ANY_TAG = re.compile(r"</?[a-z][a-z0-9]*\b[^>]*>", re.I)

_CODE_FENCE = re.compile(r"^[ \t]*(?:```|~~~).*$", re.M)

_IMAGE = re.compile(r"!\[[^\]]*\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")

_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")

_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")

_REF_DEF = re.compile(r"^[ \t]*\[[^\]]+\]:[ \t]*\S+.*$", re.M)

_AUTOLINK = re.compile(r"<(?:https?://|mailto:|www\.)[^>\s]*>", re.I)

# A URL never swallows the sentence punctuation after it.
_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]\"'`]*[^\s<>()\[\]\"'`.,;:!?]")

_RULE = re.compile(r"^[ \t]*(?:[-*_=][ \t]*){3,}$", re.M)

_EMPHASIS = re.compile(r"[*_~`]+")

_HEADING_CLOSE = re.compile(r"[ \t]#+[ \t]*$", re.M)

# What a line may start with before its words, in any combination: bullets, heading marks,
# block-quote marks, list numbers or letters ("1.", "1.2.", "a)", "(iv)", "B.").
_LINE_PREFIX = re.compile(
    r"^[ \t]*(?:(?:[-*+•·▪◦●‣]|#{1,6}|>|\(?(?:\d{1,2}(?:\.\d{1,2})*|[a-z]|[ivxl]{1,5})[.)]"
    r"|\((?:\d{1,2}|[a-z]|[ivxl]{1,5})\))(?:[ \t]+|$))+",
    re.M | re.I,
)

_AMPERSAND = re.compile(r"\s&\s")


def strip_markup(text: str, join_hyphens: re.Pattern | None = None) -> str:
    """Remove Markdown/HTML wrapping and URLs; keep case, words, spacing and line breaks.

    `join_hyphens` (a pattern with one group) joins prefixes written with a hyphen ("non-commercial")."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\ufeff", "").replace("\x00", "")
    text = _HTML_COMMENT.sub(" ", text)
    if _HTML_TAG_HINT.search(text):
        # In HTML, line breaks are spaces; only tags break lines.
        text = _HTML_SPACE.sub(" ", _HTML_SCRIPT.sub(" ", text))
        text = _HTML_BR.sub("\n", text)
        text = _HTML_BLOCK_TAG.sub("\n\n", text)
        text = _HTML_ANY_TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    # Each pass is skipped when its marker character is absent: most license texts are plain.
    if "```" in text or "~~~" in text:
        text = _CODE_FENCE.sub("", text)
    if "[" in text:
        text = _IMAGE.sub(" ", text)
        text = _LINK.sub(r"\1", text)
        text = _REF_LINK.sub(r"\1", text)
        text = _REF_DEF.sub("", text)
    if "://" in text or "www." in text:
        text = _AUTOLINK.sub(" ", text)
        text = _URL.sub(" ", text)
    text = _RULE.sub("", text)
    text = _LINE_PREFIX.sub("", text)
    if "*" in text or "_" in text or "~" in text or "`" in text:
        text = _EMPHASIS.sub("", text)
        text = _LINE_PREFIX.sub("", text)  # a list number that was bold: "**1.1.** Scope"
    if "#" in text:
        text = _HEADING_CLOSE.sub("", text)
    if "&" in text:
        text = _AMPERSAND.sub(" and ", text)
    if join_hyphens is not None:
        text = join_hyphens.sub(r"\1", text)
    return text


_HTML_TAG = re.compile(r"</?(?:html|body|p|div|li|ul|ol|br|h[1-6]|span|pre|table|tr|td|section|article|strong|em|b|i)\b[^>]*>",
                       re.I)


_HTML_LI = re.compile(r"<li\b[^>]*>", re.I)

_HTML_BREAK = re.compile(r"<br\s*/?>|</?(?:p|div|ul|ol|h[1-6]|pre|table|tr|section|article|blockquote)\b[^>]*>", re.I)

_MD_HEADING = re.compile(r"^([ \t]*)#{1,6}[ \t]+", re.M)

_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.S)

_MD_EM_SINGLE = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\w*])")

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")

_MD_CODE = re.compile(r"`([^`\n]*)`")

_MD_QUOTE = re.compile(r"^([ \t]*)>[ \t]?", re.M)

_MD_HINTS = (_MD_HEADING, _MD_EMPHASIS, _MD_LINK)

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")  # zero-width marks split words


def unwrap_markup(text: str) -> tuple[str, str | None]:
    """Return (plain text, "html" | "markdown" | None): the wrapping removed, lines and indentation kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = _INVISIBLE.sub("", text)
    kind = None
    if len(_HTML_TAG.findall(text[:200_000])) >= 2:
        kind = "html"
        text = _HTML_COMMENT.sub(" ", text)
        text = _HTML_SCRIPT.sub(" ", text)
        text = _HTML_LI.sub("\n- ", text)
        text = _HTML_BREAK.sub("\n\n", text)
        text = _HTML_ANY_TAG.sub("", text)
        text = html.unescape(text)
    hits = sum(len(p.findall(text[:200_000])) for p in _MD_HINTS)
    if hits >= 2:
        kind = kind or "markdown"
        text = _CODE_FENCE.sub("", text)
        text = _MD_LINK.sub(r"\1", text)
        text = _MD_HEADING.sub(r"\1", text)
        for _ in range(2):  # nested **_x_**
            text = _MD_EMPHASIS.sub(r"\2", text)
        text = _MD_EM_SINGLE.sub(r"\1", text)
        text = _MD_CODE.sub(r"\1", text)
        text = _MD_QUOTE.sub(r"\1", text)
        text = _RULE.sub("", text)
    return text, kind


def squash(text: str) -> str:
    """Whitespace-normalised text: the form quotes are taken from and compared with."""
    return " ".join(text.split())


_CARD_CODE_BLOCK = re.compile(r"```.*?```", re.S)

_CARD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")

_CARD_MD_LINK = re.compile(r"\[([^\]]*)\]\(\s*([^)\s]+)[^)]*\)")

_CARD_HTML_LINK = re.compile(r"<a\s[^>]*href=[\"']([^\"']+)[\"'][^>]*>(.*?)</a>", re.S | re.I)

_CARD_HTML_TAG = re.compile(r"<[^>]+>")

# A badge: a linked image whose alternative text names what the link is ("train code", "dataset")
_CARD_MD_BADGE = re.compile(r"\[!\[([^\]]*)\]\([^)]*\)\]\(\s*([^)\s]+)[^)]*\)")

_CARD_IMG_ALT = re.compile(r"<img\s[^>]*alt=[\"']([^\"']*)[\"']", re.I)


def _html_link_text(inner: str) -> str:
    """The text of an HTML link, or the alternative text of the image it wraps (a badge)."""
    text = _CARD_HTML_TAG.sub("", inner).strip()
    if text:
        return text
    alt = _CARD_IMG_ALT.search(inner)
    return alt[1].strip() if alt else ""


def clean_markdown(body: str) -> str:
    """Markdown/HTML to plain lines; a link keeps its text and its URL ("text (url)")."""
    text = _HTML_COMMENT.sub(" ", body)
    text = _CARD_CODE_BLOCK.sub(" ", text)
    text = _CARD_MD_BADGE.sub(lambda m: f"{m[1]} ({m[2]})", text)
    text = _CARD_IMAGE.sub(" ", text)
    text = _CARD_HTML_LINK.sub(lambda m: f"{_html_link_text(m[2])} ({m[1]})", text)
    text = _CARD_MD_LINK.sub(lambda m: f"{m[1]} ({m[2]})", text)
    return _CARD_HTML_TAG.sub(" ", text)
