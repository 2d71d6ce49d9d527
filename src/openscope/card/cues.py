"""Cue tests: can a sentence match any of a card reader's rules at all? If not, it is not tokenised.

Most card sentences ("Details to come.", a table row, a code line) match no rule, and tokenising and
matching each one was most of a card's reading time. A Matcher pattern needs every one of its required
tokens, and a token's lower-cased text is a piece of the lower-cased sentence. So each pattern gives one
of its required words (the most selective), and a sentence that holds none of them as a substring cannot
match. The words come from the rules themselves (`cardrules/*.yaml`, compiled by text/patterns.py), so a
rule added there is cued without a change here. The test may let through a sentence that then matches
nothing; it never turns away one that would match: answers are the same with or without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from openscope.text.patterns import compile_pattern

# spaCy's like_url holds only for a token that starts with a scheme or "www.", or has a "." that is not its
# last character (then a character other than a space or a dot follows it).
URL_CUE = r"https?://|www\.|\.[^ .]"


class Cue:
    """A compiled cue test; `Cue(None)` lets every sentence through."""

    def __init__(self, pattern: str | None):
        self.regex = None if pattern is None else re.compile(pattern)

    def __call__(self, text: str) -> bool:
        return self.regex is None or self.regex.search(text.lower()) is not None


def _word_regex(words: Iterable[str]) -> str:
    """One regex for 'any of these words occurs': a word holding another one is dropped (the shorter
    one occurs wherever it does), and the rest share their prefixes (one pass over the text)."""
    kept: list[str] = []
    for w in sorted(set(words), key=len):
        if w and not any(k in w for k in kept):
            kept.append(w)
    trie: dict = {}
    for w in kept:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items())]
        if not alts:
            return ""
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    return build(trie)


def words_cue(words: Iterable[str]) -> Cue:
    """A sentence holding one of `words` (lower case) as a substring."""
    words = [w.lower() for w in words]
    return Cue(_word_regex(words) if words else "(?!)")


def pattern_cue(specs: Iterable[str]) -> Cue:
    """The cue of a reader's Matcher patterns (text/patterns.py syntax): per pattern, one required token's
    words, or the URL cue when its only required tokens are URLs; no cue at all when a pattern requires
    no token."""
    anchors: set[str] = set()
    url = False
    for spec in specs:
        required = [t for t in compile_pattern(spec) if "OP" not in t]
        choices = [frozenset(t["LOWER"]["IN"]) for t in required if "LOWER" in t]
        if choices:
            # The most selective token: its shortest alternative is longest, then the fewest alternatives.
            anchors.update(max(choices, key=lambda ws: (min(map(len, ws)), -len(ws), sorted(ws))))
        elif any(t.get("LIKE_URL") for t in required):
            url = True
        else:
            return Cue(None)
    parts = ([_word_regex(anchors)] if anchors else []) + ([URL_CUE] if url else [])
    return Cue("|".join(parts) if parts else "(?!)")
