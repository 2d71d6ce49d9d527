"""A card body as sentences, each with the heading it sits under and the URLs it holds."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from openscope.card.rules import component_rules
from openscope.text.sentences import nlp


@dataclass
class Sentence:
    text: str  # normalized text the rules see
    heading: str = ""
    urls: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=1_024)
def tokens(text: str):
    """`nlp().make_doc(text)`, remembered for the last texts read: the card readers tokenise the same
    sentence one after another (component rules, release statements, bases, governing terms). The Doc is
    shared, so it is read only: a reader that changes a Doc makes its own with `nlp().make_doc`."""
    return nlp().make_doc(text)


_LOWERS, _URLS = "openscope.lowers", "openscope.urls"


def lower_words(doc) -> tuple[str, ...]:
    """`tuple(t.lower_ for t in doc)`, computed once per Doc (kept in its `user_data`) and read from the
    token array rather than one Token object a word: the card readers each read a sentence's words."""
    if not hasattr(doc, "user_data"):  # a Span
        return tuple(t.lower_ for t in doc)
    found = doc.user_data.get(_LOWERS)
    if found is None:
        from spacy.attrs import LOWER

        strings = doc.vocab.strings
        found = doc.user_data[_LOWERS] = tuple(strings[h] for h in doc.to_array(LOWER).tolist()) if len(doc) else ()
    return found


def url_flags(doc) -> tuple[bool, ...]:
    """`tuple(t.like_url for t in doc)`, once per Doc (as `lower_words`)."""
    if not hasattr(doc, "user_data"):  # a Span
        return tuple(t.like_url for t in doc)
    found = doc.user_data.get(_URLS)
    if found is None:
        from spacy.attrs import LIKE_URL

        found = doc.user_data[_URLS] = tuple(bool(x) for x in doc.to_array(LIKE_URL).tolist()) if len(doc) else ()
    return found


_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")


URL_RE = re.compile(r"https?://[^\s)\]>\"']+")


@functools.cache
def _normalizers() -> tuple[tuple[re.Pattern, str], ...]:
    return tuple((re.compile(pattern, re.I), repl) for pattern, repl in component_rules().get("normalize", []))


def normalize(text: str) -> str:
    for pattern, repl in _normalizers():
        text = pattern.sub(repl, text)
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
    the list, and the Sentences, are shared by the readers of one card and by cards that repeat a block)."""
    if not body:
        return []
    from openscope.text.markup import clean_markdown

    out: list[Sentence] = []
    for heading, block in _blocks(clean_markdown(body)):
        out.extend(_block_sentences(heading, block) if len(block) <= MEMO_BLOCK_CHARS else _sentences(heading, block))
    return out


MEMO_BLOCK_CHARS = 4_000  # blocks up to this size are remembered (templated cards repeat most of theirs)


def _sentences(heading: str, block: str) -> tuple[Sentence, ...]:
    """A block's sentences under its heading, emphasis marks dropped."""
    heading, block = _EMPHASIS.sub("", heading), _EMPHASIS.sub("", block)
    if len(block) < 3:
        return ()
    return tuple(Sentence(text, heading, list(urls)) for text, urls in _split(block))


def _split(block: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A block's sentences: (normalized text, URLs) each."""
    parts = [s.text for s in nlp()(block).sents] if len(block) > 120 else [block]
    return tuple((normalize(part), tuple(URL_RE.findall(part))) for part in (p.strip() for p in parts) if part)


# Whole Sentences per (heading, block): a family's cards repeat their blocks, and building the same
# Sentences again for each card was 0.9 s of the 2.4 s cProfile gave `card_sentences` on 10,000 cards.
# A few thousand kept (about a bulk bucket's new blocks, plus the recurring ones): memory stays flat.
_block_sentences = functools.lru_cache(maxsize=4_096)(_sentences)
