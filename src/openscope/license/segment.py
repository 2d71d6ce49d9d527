"""Split a license text into numbered sections, list items and sentences.

The analysed text is the input with Markdown/HTML wrapping removed (`unwrap_markup`); everything
quoted as evidence is a verbatim piece of it. Lines are grouped into blocks (a paragraph or one
list item, hard-wrapped lines joined); each block knows its section path ("1.b.iv", "3.2",
"Attachment A.c") and, for list items, the lead-in sentences that introduce the list ("You agree
not to use the Model:"), so a bare item such as "For military use;" can be read in context.
Sentences come from spaCy's rule-based sentencizer on a blank English pipeline (no model download).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

# The markup patterns both strippers need; segment keeps line structure, normalize does not.
from openscope.text.markup import squash, unwrap_markup
from openscope.text.sentences import nlp

# --- markup -------------------------------------------------------------------------------------


# --- enumerators ----------------------------------------------------------------------------------

_ROMAN = re.compile(r"^(?=[ivxlc]+$)m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}

# Order matters: the first pattern that matches the start of a line wins.
_ENUMERATORS = [
    ("section", re.compile(r"(?:section|article|clause|part)[ \t]+(\d{1,3}(?:\.\d{1,3})*|[IVXL]{1,6})\b[.:)]?(?:[ \t]*[-–—:]+)?"
                           r"(?=[ \t]|$)", re.I)),
    ("section", re.compile(r"§[ \t]*(\d{1,3}(?:\.\d{1,3})*)\.?(?=[ \t]|$)")),
    ("section", re.compile(r"(?:attachment|appendix|exhibit|schedule|annex)[ \t]+([A-Z0-9]{1,3})\b[.:]?(?:[ \t]*[-–—:]+)?(?=[ \t]|$)",
                           re.I)),
    ("dotted", re.compile(r"(\d{1,2}\.?[a-z])\)(?=[ \t]|$)")),
    ("dotted", re.compile(r"(\d{1,2}(?:\.\d{1,2})+)\.?(?=[ \t]|$|[A-Z])")),
    ("num", re.compile(r"(\d{1,2})[.)](?=[ \t]|$|[A-Z])")),
    ("pnum", re.compile(r"\((\d{1,2})\)(?=[ \t]|$)")),
    ("palpha", re.compile(r"\(([a-z]{1,2}|[ivxl]{1,5})\)(?=[ \t]|$)")),
    ("pALPHA", re.compile(r"\(([A-Z])\)(?=[ \t]|$)")),
    ("alpha", re.compile(r"([a-z]|[ivxl]{1,5})[.)](?=[ \t]|$)")),
    ("ALPHA", re.compile(r"([A-Z]|[IVXL]{1,5})[.)](?=[ \t]|$)")),
    ("bullet", re.compile(r"([-*•·◦▪‣●])(?=[ \t])")),
]
_TOP_STYLES = ("section", "ROMAN")  # "Section 4", "§3", "Attachment A", "IV." start a new top level
_SENTENCE_END = re.compile(r"[.:;!?][\"'”’)\]]*$")


@dataclass
class Block:
    text: str  # whitespace-normalised, verbatim from the analysed text
    section: str | None
    indent: int
    is_item: bool
    lead_ins: list[int] = field(default_factory=list)  # indices of blocks introducing this list item


@dataclass
class _Level:
    style: str
    label: str
    indent: int


def _roman_value(token: str) -> int | None:
    token = token.lower()
    if not _ROMAN.match(token):
        return None
    total = 0
    for a, b in zip(token, token[1:] + " "):
        va, vb = _ROMAN_VALUES[a], _ROMAN_VALUES.get(b, 0)
        total += -va if va < vb else va
    return total


def _resolve_style(style: str, label: str, stack: list[_Level]) -> str:
    """Tell a letter ("i", "v", "c") from a roman numeral by what came before at that level."""
    if style not in ("alpha", "palpha", "ALPHA"):
        return style
    roman_style = {"alpha": "roman", "palpha": "proman", "ALPHA": "ROMAN"}[style]
    value = _roman_value(label)
    if value is None:
        return style
    if len(label) > 1:
        return roman_style
    for level in reversed(stack):
        if level.style == style and len(level.label) == 1 and ord(level.label.lower()) + 1 == ord(label.lower()):
            return style
        if level.style == roman_style and (_roman_value(level.label) or 0) + 1 == value:
            return roman_style
    return roman_style if label.lower() == "i" else style


def _match_enumerator(line: str) -> tuple[str, str, int] | None:
    """(style, label, length of the marker) for a line that starts a numbered or bulleted item."""
    for style, pattern in _ENUMERATORS:
        m = pattern.match(line)
        if m:
            return style, m.group(1), m.end()
    return None


def _place(stack: list[_Level], style: str, label: str, indent: int) -> None:
    if style in _TOP_STYLES:
        stack.clear()
        stack.append(_Level(style, label, indent))
        return
    if style == "dotted" or (style == "num" and any(lv.style == "dotted" for lv in stack)):
        # "3.1" is an absolute path; a plain "4." after "3.2" starts the next top-level section.
        stack.clear()
        stack.append(_Level(style, label, indent))
        return
    if style == "num" and stack and stack[0].style == "section" and not stack[0].label[0].isdigit():
        # "Section III: ..." followed by "4. ...": the numbers run through the whole text.
        stack.clear()
    cut = None
    for i in range(len(stack) - 1, -1, -1):
        level = stack[i]
        if level.style != style:
            continue
        if indent > level.indent + 1:
            break  # same style, deeper: a nested list
        cut = i
        if indent >= level.indent - 1:
            break  # a sibling
        # shallower than this level of the same style: look further up for the sibling
    if cut is not None:
        del stack[cut:]
    stack.append(_Level(style, label, indent))


def _path(stack: list[_Level]) -> str | None:
    labels: list[str] = []
    for level in stack:
        if level.style == "dotted":
            labels = [level.label]
        elif level.style != "bullet":
            labels.append(level.label)
    return ".".join(labels) or None


def _dotted_label(label: str) -> str:
    """Gretel-style "1.a)" / "7a)" -> "1.a"."""
    m = re.fullmatch(r"(\d+)\.?([a-z])", label)
    return f"{m.group(1)}.{m.group(2)}" if m else label


def split_blocks(text: str) -> list[Block]:
    """Group the lines of the (unwrapped) text into paragraphs and list items with their section path."""
    blocks: list[Block] = []
    stack: list[_Level] = []
    lead_ins: list[tuple[int, int, bool, int]] = []  # (block index, indent, is_item, depth)
    current: list[str] = []
    current_meta: dict = {}
    prev_line = ""

    def flush():
        if not current:
            return
        body = squash(" ".join(current))
        if body:
            blocks.append(Block(body, current_meta["section"], current_meta["indent"], current_meta["is_item"],
                                current_meta["lead_ins"]))
            if body.endswith(":"):
                lead_ins.append((len(blocks) - 1, current_meta["indent"], current_meta["is_item"],
                                 current_meta["depth"]))
        current.clear()

    for raw in text.split("\n"):
        line = raw.expandtabs(4)
        stripped = line.strip()
        if not stripped:
            flush()
            prev_line = ""
            continue
        indent = len(line) - len(line.lstrip())
        enum = _match_enumerator(stripped)
        if enum and enum[0] == "section" and current and not _ends_sentence(prev_line):
            enum = None  # "... as described in\nSection 4 of ..." is a wrapped line, not a heading
        starts_block = not current or enum is not None and (
            _ends_sentence(prev_line) or len(prev_line) < 60
            or current_meta["enumerated"] and indent >= current_meta["indent"])  # one item per line
        if starts_block:
            flush()
            is_item = False
            if enum:
                style, label, _ = enum
                if style != "bullet":
                    if style == "section" and not stripped.lower().startswith(("section", "article", "clause", "part", "§")):
                        label = f"{stripped.split()[0].title()} {label}"  # "Attachment A"
                    elif style == "dotted":
                        label = _dotted_label(label)
                    style = _resolve_style(style, label, stack)
                    _place(stack, style, label, indent)
                is_item = style not in _TOP_STYLES
            else:
                while stack and stack[-1].indent > indent and stack[-1].style not in _TOP_STYLES:
                    stack.pop()
            # Close lead-ins this block no longer belongs to.
            depth = len(stack)
            kept = []
            for entry in lead_ins:
                idx, lin_indent, lin_item, lin_depth = entry
                if idx == len(blocks) - 1 and not enum:
                    kept.append(entry)  # "... the following statement:" then the statement itself
                    continue
                if enum and style in _TOP_STYLES:
                    continue
                if is_item and lin_item and lin_depth >= depth and enum and enum[0] != "bullet":
                    continue
                if not is_item and indent <= lin_indent:
                    continue
                kept.append(entry)
            lead_ins[:] = kept
            current_meta = {"section": _path(stack), "indent": indent, "is_item": is_item or bool(lead_ins),
                            "lead_ins": [e[0] for e in lead_ins], "depth": depth, "enumerated": enum is not None}
        current.append(stripped)
        prev_line = stripped
    flush()
    return blocks


def _ends_sentence(line: str) -> bool:
    line = line.strip()
    return not line or bool(_SENTENCE_END.search(line))


# --- spaCy ----------------------------------------------------------------------------------------


@dataclass
class Segmented:
    text: str  # the analysed text: input with markup removed
    unwrapped: str | None  # "html" | "markdown" | None
    blocks: list[Block]
    docs: list  # one spaCy Doc per block

    @functools.cached_property
    def index(self):
        """The text's sentences, words and token columns (license/matching.py), built once and shared by
        every reader of this segmentation (restriction rules, classifier units, obligations)."""
        from openscope.license.matching import TextIndex

        return TextIndex.build(self.docs)


def sentence_text(block: Block, doc, start: int, end: int) -> str:
    """`doc[start:end].text`, sliced from the block's text (its Doc's text) instead of joined token by token."""
    span = doc[start:end]
    return block.text[span.start_char:span.end_char]


def segment(text: str) -> Segmented:
    plain, kind = unwrap_markup(text)
    blocks = split_blocks(plain)
    docs = list(nlp().pipe(b.text for b in blocks))
    return Segmented(plain, kind, blocks, docs)
