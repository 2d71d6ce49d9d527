"""A card body as sentences, each with the heading it sits under and the URLs it holds."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from openscope.card.rules import component_rules
from openscope.text.markup import clean_markdown
from openscope.text.sentences import nlp


@dataclass
class Sentence:
    text: str  # normalized text the rules see
    heading: str = ""
    urls: list[str] = field(default_factory=list)


_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")


URL_RE = re.compile(r"https?://[^\s)\]>\"']+")


def normalize(text: str) -> str:
    for pattern, repl in component_rules().get("normalize", []):
        text = re.sub(pattern, repl, text, flags=re.I)
    return text


_BLOCK_START = re.compile(r"^(?:[-*+>|]|\d+[.)])\s*")


def _blocks(text: str):
    """(heading, paragraph) pairs: wrapped lines are joined, list items and table rows stand alone."""
    heading, current = "", []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        starts_block = not line or line.startswith("#") or _BLOCK_START.match(line)
        if starts_block and current:
            yield heading, " ".join(current)
            current = []
        if not line:
            continue
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
            yield heading, heading
            continue
        current.append(_BLOCK_START.sub("", line).strip())
    if current:
        yield heading, " ".join(current)


@functools.lru_cache(maxsize=8)  # one card is read three times: components, bases, governing terms
def card_sentences(body: str | None) -> list[Sentence]:
    """Sentences of a card body, each with the heading it sits under and the URLs it holds (read-only:
    the list is shared by the readers of one card)."""
    if not body:
        return []
    out: list[Sentence] = []
    for heading, block in _blocks(clean_markdown(body)):
        heading, block = _EMPHASIS.sub("", heading), _EMPHASIS.sub("", block)
        if len(block) < 3:
            continue
        parts = [s.text for s in nlp()(block).sents] if len(block) > 120 else [block]
        for part in parts:
            part = part.strip()
            if part:
                out.append(Sentence(normalize(part), heading, URL_RE.findall(part)))
    return out
