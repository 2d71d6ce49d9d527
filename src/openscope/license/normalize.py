"""Text normalisation shared by license identification and restriction extraction.

Two levels:
- `strip_markup(text)`: plain text with Markdown/HTML wrapping removed (tags, entities, code fences,
  heading markers, bullets, list numbers, link syntax, URLs); case and line breaks are kept, so it
  is also a good input for rules that quote the text.
- `normalize(text)`: what identification compares. On top of `strip_markup` it drops copyright
  lines and a leading title/version block, lower-cases, unifies spelling variants, and splits the
  text into word tokens (punctuation, quotes and dashes carry no weight) and sentences.

The word lists live in `licenses/identification.yaml` (section `normalize`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from openscope.data import LICENSES_DIR, load_yaml
from openscope.text.markup import strip_markup

SETTINGS_PATH = LICENSES_DIR / "identification.yaml"


_COPYRIGHT_LINE = re.compile(
    r"^[ \t]*(?:(?:copyright[ \t]*)?(?:©|\(c\))|copyright[ \t]+(?:\d{4}|[\[{<])).*$"
    r"|^[ \t]*all rights reserved\.?[ \t]*$",
    re.M | re.I,
)
_SENTENCE_END = re.compile(r"[.;:!?]+[\"'”’)\]]*(?=\s|$)")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")
_TITLE_LINE_END = (".", ";", ",", ":")


@dataclass(frozen=True)
class NormalizeSettings:
    title_words: frozenset[str]
    title_max_words: int
    title_max_lines: int
    equivalent_words: dict
    hyphen_prefix: re.Pattern | None
    tail_markers: tuple[tuple[str, ...], ...]
    tail_min_start: int


def _hyphen_joiner(prefixes: list[str]) -> re.Pattern:
    """The hyphen after one of `prefixes` ("non-commercial"), as a pattern whose one (empty) group
    replaces it. It starts with the "-" and looks back for a prefix: `\\b(non|sub|co)-` tried the
    alternatives at every word of the text (a third of normalising it); a literal first is searched fast."""
    behind = "|".join(rf"(?<=\b{re.escape(p)}-)" for p in prefixes)
    return re.compile(rf"-()(?:{behind})(?=[a-z])", re.I)


@functools.cache
def settings() -> NormalizeSettings:
    raw = load_yaml(SETTINGS_PATH)["normalize"]
    prefixes = raw.get("join_hyphen_prefixes") or []
    return NormalizeSettings(
        title_words=frozenset(raw.get("title_words") or ()),
        title_max_words=int(raw.get("title_max_words", 15)),
        title_max_lines=int(raw.get("title_max_lines", 4)),
        equivalent_words=dict(raw.get("equivalent_words") or {}),
        hyphen_prefix=_hyphen_joiner(prefixes) if prefixes else None,
        tail_markers=tuple(tuple(_TOKEN.findall(m.lower())) for m in raw.get("optional_tail_markers") or ()),
        tail_min_start=int(raw.get("optional_tail_min_start", 0)),
    )


@dataclass(frozen=True)
class NormalizedText:
    tokens: tuple[str, ...]
    sentences: tuple[tuple[int, int], ...]  # token spans [start, end) of each sentence
    tail_start: int  # tokens from here on are an optional tail (len(tokens) when there is none)

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


def _is_title_line(line: str, cfg: NormalizeSettings) -> bool:
    words = _TOKEN.findall(line.lower())
    return (
        len(words) <= cfg.title_max_words
        and not line.endswith(_TITLE_LINE_END)
        and any(w in cfg.title_words for w in words)
    )


def _drop_title_block(text: str, cfg: NormalizeSettings) -> str:
    """Drop leading paragraphs made only of title lines (a wrapped first paragraph is kept)."""
    lines = text.split("\n")
    start = dropped = 0
    while start < len(lines):
        while start < len(lines) and not lines[start].strip():
            start += 1
        end = start
        while end < len(lines) and lines[end].strip():
            end += 1
        paragraph = [line.strip() for line in lines[start:end]]
        if not paragraph or dropped + len(paragraph) > cfg.title_max_lines:
            break
        if not all(_is_title_line(line, cfg) for line in paragraph):
            break
        dropped += len(paragraph)
        start = end
    return "\n".join(lines[start:])


def normalize(text: str) -> NormalizedText:
    """The comparable form of a license text: word tokens, sentence spans, optional-tail start."""
    cfg = settings()
    text = _COPYRIGHT_LINE.sub("", strip_markup(text, cfg.hyphen_prefix))
    text = _drop_title_block(text, cfg).lower()
    equivalents = cfg.equivalent_words
    tokens: list[str] = []
    sentences: list[tuple[int, int]] = []
    for piece in _SENTENCE_END.split(text):
        words = _TOKEN.findall(piece)
        if words:
            start = len(tokens)
            tokens.extend([equivalents.get(w, w) for w in words])
            sentences.append((start, len(tokens)))
    return NormalizedText(tuple(tokens), tuple(sentences), _tail_start(tokens, cfg))


def _tail_start(tokens: list[str], cfg: NormalizeSettings) -> int:
    joined = " " + " ".join(tokens) + " "
    starts = []
    for marker in cfg.tail_markers:
        pos = joined.find(" " + " ".join(marker) + " ")
        if pos >= 0:
            start = joined.count(" ", 0, pos)
            if start >= cfg.tail_min_start:
                starts.append(start)
    return min(starts, default=len(tokens))


