"""Cue tests: can a sentence match any of a card reader's rules at all? If not, it is not tokenised.

Most card sentences ("Details to come.", a table row, a code line) match no rule, and tokenising and
matching each one was most of a card's reading time. A Matcher pattern needs every one of its required
tokens, and a token's lower-cased text is a piece of the lower-cased sentence. So each pattern gives one
of its required words (the most selective), and a sentence that holds none of them as a substring cannot
match. The words come from the rules themselves (`cardrules/*.yaml`, compiled by text/patterns.py), so a
rule added there is cued without a change here.

Two stages: on the text (a substring of each pattern's most selective word; no tokenising), then on the
tokens (some pattern has every one of its required tokens among the sentence's words: exact, and cheap
beside the Matcher, which costs about half a millisecond a sentence). Either may let through a sentence
that then matches nothing; neither turns away one that would match: answers are the same without them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from openscope.text.patterns import compile_pattern

# spaCy's like_url holds only for a token that starts with a scheme or "www.", or has a "." that is not its
# last character (then a character other than a space or a dot follows it).
URL_CUE = r"https?://|www\.|\.[^ .]"


class Cue:
    """A compiled cue test; `Cue(None)` lets every sentence through.

    `patterns`: each Matcher pattern's required tokens as sets of words (None for a URL token), for the
    token stage `tokens_may_match`; None when the text stage is all there is."""

    def __init__(self, pattern: str | None, patterns: list[list[frozenset | None]] | None = None):
        self.regex = None if pattern is None else re.compile(pattern)
        self.by_anchor: dict[str, list[list[frozenset | None]]] | None = None
        self.url_only = False
        if pattern is not None and patterns is not None:
            self.by_anchor = {}
            for required in patterns:
                words = [ws for ws in required if ws is not None]
                if not words:
                    self.url_only = True
                    continue
                for w in _most_selective(words):
                    self.by_anchor.setdefault(w, []).append(required)

    def __call__(self, text: str) -> bool:
        return self.regex is None or self.regex.search(text.lower()) is not None

    def tokens_may_match(self, doc) -> bool:
        """Whether some pattern finds every required token among `doc`'s tokens (a spaCy Doc)."""
        if self.by_anchor is None:
            return True
        from openscope.card.sentences import lower_words, url_flags

        lowers = set(lower_words(doc))
        urls = None
        for w in lowers.intersection(self.by_anchor):
            for required in self.by_anchor[w]:
                ok = True
                for ws in required:
                    if ws is None:
                        if urls is None:
                            urls = any(url_flags(doc))
                        ok = urls
                    else:
                        ok = not ws.isdisjoint(lowers)
                    if not ok:
                        break
                if ok:
                    return True
        return self.url_only and any(url_flags(doc))


def _most_selective(choices: list[frozenset]) -> frozenset:
    """The required token a sentence is least likely to hold: its shortest word is longest, then it has the
    fewest alternatives."""
    return max(choices, key=lambda ws: (min(map(len, ws)), -len(ws), sorted(ws)))


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
    patterns: list[list[frozenset | None]] = []
    for spec in specs:
        required: list[frozenset | None] = []
        for t in compile_pattern(spec):
            if "OP" in t:
                continue
            if set(t) == {"LOWER"}:
                required.append(frozenset(t["LOWER"]["IN"]))
            elif set(t) == {"LIKE_URL"} and t["LIKE_URL"] is True:
                required.append(None)
            else:
                return Cue(None)  # a token of another kind: no cue is derived for it
        choices = [ws for ws in required if ws is not None]
        if choices:
            anchors.update(_most_selective(choices))
        elif required:
            url = True
        else:
            return Cue(None)
        patterns.append(required)
    parts = ([_word_regex(anchors)] if anchors else []) + ([URL_CUE] if url else [])
    return Cue("|".join(parts) if parts else "(?!)", patterns)
