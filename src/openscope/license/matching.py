"""Run each spaCy token pattern only where it can match: on a few tokens of a few sentences.

spaCy's Matcher tries every one of its patterns at every token it is given and pays about 0.4 µs per
token and call on top (it builds a Python Token for each), so scanning a license with all the rule
patterns cost more than the rest of the analysis together. Here every pattern is compiled to match
over the token arrays of the text's Docs (`TokenPattern`; a pattern using more than it supports gets
a small spaCy Matcher of its own), plus what any match must contain, derived from the pattern itself:

- its needs: each token that must occur (no OP, "+" or a count of at least one) and names its word
  (a LOWER/ORTH/TEXT value, an IN list, a LOWER REGEX) or is LIKE_NUM. A `TextIndex` knows where
  each word of a text occurs, and a pattern runs only in sentences with one word of every need;
- its start (the first token, when it is such a need) and its longest match: in those sentences
  the Matcher sees only the windows from each occurrence of a start word, as long as the longest
  match (or up to the sentence end when the pattern is unbounded).

Every match lies in such a window, and the Matcher reports all matches of a pattern (not only the
longest), so the result is exactly that of scanning every sentence with spaCy's Matcher.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from dataclasses import dataclass, field

_WORD_ATTRS = ("LOWER", "ORTH", "TEXT")  # a match implies the token's lower-case form
_COUNT_OP = re.compile(r"\{(\d*)(,?)(\d*)\}")
_EXPAND_MAX = 6
LIKE_NUM = -1  # the "word" of number-like tokens in a TextIndex (word hashes are never negative)
_LIKE_NUM_WORDS = frozenset({LIKE_NUM})


@dataclass(frozen=True)
class Need:
    """One token every match contains: a lower-case word among `words` (hashes), one matching
    `regex`, or, with neither, a number-like token."""

    words: frozenset[int] = frozenset()
    regex: re.Pattern | None = None


def _counts(token: dict) -> tuple[int, int | None]:
    """(fewest, most) tokens one pattern token matches; most is None when unbounded."""
    op = token.get("OP")
    if op is None or op == "!":
        return 1, 1
    if op in ("?", "*", "+"):
        return (0 if op != "+" else 1), (1 if op == "?" else None)
    count = _COUNT_OP.fullmatch(op)
    if not count:
        return 0, None  # an operator we do not know: assume nothing
    low = int(count.group(1) or 0)
    if not count.group(2):  # "{n}"
        return low, low
    return low, int(count.group(3)) if count.group(3) else None


def _need(token: dict, strings) -> list[Need]:
    """What a token that must occur says about its word."""
    if token.get("OP") == "!":
        return []
    needs = []
    for attr, value in token.items():
        attr = attr.upper()
        if attr in _WORD_ATTRS and isinstance(value, str):
            needs.append(Need(words=frozenset({strings.add(value.lower())})))
        elif attr in _WORD_ATTRS and isinstance(value, dict) and isinstance(value.get("IN"), list):
            needs.append(Need(words=frozenset(strings.add(str(v).lower()) for v in value["IN"])))
        elif attr == "LOWER" and isinstance(value, dict) and isinstance(value.get("REGEX"), str):
            needs.append(Need(regex=re.compile(value["REGEX"])))
        elif attr == "LIKE_NUM" and value is True:
            needs.append(Need())
    return needs


# --- the compiled matcher -------------------------------------------------------------------------
#
# spaCy's Matcher makes a Python Token for every token it looks at and calls Python for every IN set,
# so most of its time per call is overhead. A pattern that uses only token attributes a Doc exports
# with `to_array` and bounded operators is compiled instead into a list of (fewest, most, test) and
# matched over those arrays: every (start, end) whose tokens the pattern covers, as spaCy's Matcher
# reports them (all matches, not only the longest; none empty). Anything else keeps spaCy's Matcher.
# tests/test_matching.py checks the two agree on every rule and obligation pattern.

# The token attributes of the compiled matcher: a Doc's columns, in this order (TextIndex.build).
COLUMNS = ("LOWER", "ORTH", "LIKE_NUM", "SENT_START", "IS_TITLE", "SHAPE", "LIKE_URL")
_COLUMN_OF = {"LOWER": 0, "ORTH": 1, "TEXT": 1, "LIKE_NUM": 2, "IS_SENT_START": 3, "IS_TITLE": 4, "SHAPE": 5,
              "LIKE_URL": 6}
_STRING_COLUMNS = frozenset({0, 1, 5})
_REGEX_RESULTS: dict[str, dict[int, bool]] = {}  # regex -> {string hash: found}, for all texts


def _bounds(token: dict) -> tuple[int, int] | None:
    """(fewest, most) tokens of a bounded operator, as spaCy expands it; None for others ("*", "+", "!")."""
    op = token.get("OP")
    if op is None or op == "1":
        return 1, 1
    if op == "?":
        return 0, 1
    count = _COUNT_OP.fullmatch(op) if isinstance(op, str) else None
    if not count or not count.group(3) and count.group(2):
        return None  # unbounded "{n,}" or not an operator we compile
    low = int(count.group(1) or 0)
    high = int(count.group(3)) if count.group(2) else low
    return (low, high) if low <= high and (low or high) else None


def _any(cols, k):
    return True


def _test(token: dict, strings):
    """The test one pattern token applies to token k of a Doc's columns, or None if not compilable."""
    checks = []
    for attr, value in token.items():
        if not isinstance(attr, str):
            return None
        name = attr.upper()
        if name == "OP":
            continue
        col = _COLUMN_OF.get(name)
        if col is None:
            return None
        if isinstance(value, bool) or isinstance(value, int) and col not in _STRING_COLUMNS:
            if col in _STRING_COLUMNS:
                return None
            checks.append(("eq", col, int(value)))
        elif isinstance(value, str) and col in _STRING_COLUMNS:
            checks.append(("eq", col, strings.add(value)))
        elif isinstance(value, dict) and len(value) == 1 and col in _STRING_COLUMNS:
            (op, arg), = value.items()
            if op in ("IN", "NOT_IN") and isinstance(arg, list) and all(isinstance(v, str) for v in arg):
                checks.append((op, col, frozenset(strings.add(v) for v in arg)))
            elif op == "REGEX" and isinstance(arg, str):
                checks.append(("REGEX", col, (re.compile(arg), _REGEX_RESULTS.setdefault(arg, {}), strings)))
            else:
                return None
        else:
            return None
    if not checks:
        return _any
    tests = [_check(*c) for c in checks]
    if len(tests) == 1:
        return tests[0]
    return lambda cols, k: all(t(cols, k) for t in tests)


def _check(kind: str, col: int, arg):
    if kind == "eq":
        return lambda cols, k: cols[col][k] == arg
    if kind == "IN":
        return lambda cols, k: cols[col][k] in arg
    if kind == "NOT_IN":
        return lambda cols, k: cols[col][k] not in arg
    regex, seen, strings = arg

    def search(cols, k):
        h = cols[col][k]
        found = seen.get(h)
        if found is None:
            found = seen[h] = regex.search(strings[h]) is not None
        return found
    return search


class TokenColumns(dict):
    """One Doc's token attributes by column number (COLUMNS), each a list, made from the exported array
    when a pattern first reads it (most columns of most Docs are never read)."""

    __slots__ = ("array",)

    def __init__(self, array):
        super().__init__()
        self.array = array

    def __missing__(self, col: int) -> list[int]:
        values = self[col] = self.array[:, col].tolist()
        return values


@dataclass(frozen=True)
class TokenPattern:
    """A token pattern compiled for `find`: per pattern token, (fewest, most, test)."""

    steps: tuple

    def find(self, cols, start: int, end: int, firsts: list[int] | None = None) -> list[tuple[int, int]]:
        """Every non-empty (s, e) with start <= s < e <= end whose tokens the pattern matches; with
        `firsts`, only those beginning at one of these offsets."""
        out = []
        steps = self.steps
        first_lo, _, first_test = steps[0]
        for s in range(start, end) if firsts is None else firsts:
            if first_lo and not first_test(cols, s):
                continue  # most positions: the first token cannot match
            reach = [s]  # where the match so far may end; distinct
            for lo, hi, test in steps:
                if lo == hi == 1:  # one token, the common step: each end moves on by one or is gone
                    reach = [p + 1 for p in reach if p < end and test(cols, p)]
                else:
                    after = set(reach) if not lo else set()
                    for p in reach:
                        k, limit = p, min(end, p + hi)
                        while k < limit and test(cols, k):
                            k += 1
                            if k - p >= lo:
                                after.add(k)
                    reach = list(after)
                if not reach:
                    break
            else:
                out.extend((s, e) for e in reach if e > s)
        return out


def compile_pattern(pattern: list, strings) -> TokenPattern | None:
    """`pattern` compiled for the array matcher, or None when it uses more than it supports."""
    if not isinstance(pattern, list) or not pattern:
        return None
    steps = []
    for token in pattern:
        if not isinstance(token, dict):
            return None
        bounds, test = _bounds(token), _test(token, strings)
        if bounds is None or test is None:
            return None
        steps.append((*bounds, test))
    return TokenPattern(tuple(steps))


@dataclass
class Probe:
    """One token pattern with where it can match, and how it is matched: compiled (`TokenPattern`)
    where it uses what that supports, else as a spaCy Matcher of its own."""

    key: str
    pattern: list
    vocab: object = field(repr=False)
    needs: tuple[Need, ...]  # a sentence without a word of each cannot hold a match
    start: Need | None  # what the first token of every match is, when the pattern says
    longest: int | None  # tokens in the longest possible match; None: unbounded
    compiled: TokenPattern | None = None

    @functools.cached_property
    def matcher(self):
        """A spaCy Matcher holding this pattern only (its short first-word list expanded)."""
        from spacy.matcher import Matcher

        matcher = Matcher(self.vocab)
        matcher.add(self.key, expand_first(self.pattern))
        return matcher

    def find(self, index: TextIndex, block: int, start: int, end: int,
             firsts: list[int] | None = None) -> list[tuple[int, int]]:
        """(start, end) of every match inside tokens [start, end) of a block, as the Matcher finds them;
        `firsts`: the only offsets a match can begin at, when known."""
        if self.compiled is not None:
            return self.compiled.find(index.columns[block], start, end, firsts)
        return [(start + s, start + e) for _, s, e in self.matcher(index.docs[block][start:end])]


def make_probe(key: str, pattern: list, vocab) -> Probe:
    needs: list[Need] = []
    start = None
    longest: int | None = 0
    for i, token in enumerate(pattern):
        token = token if isinstance(token, dict) else {}
        fewest, most = _counts(token)
        longest = None if longest is None or most is None else longest + most
        if fewest >= 1:
            token_needs = _need(token, vocab.strings)
            needs += token_needs
            if i == 0 and token_needs and token.get("OP") is None:
                start = token_needs[0]
    probe = Probe(key, pattern, vocab, tuple(needs), start, longest, compile_pattern(pattern, vocab.strings))
    if probe.compiled is None:
        probe.matcher  # noqa: B018 - built now, so a bad pattern is reported when the rules load
    return probe


def expand_first(pattern: list) -> list[list]:
    """[{LOWER: {IN: [a, b]}}, ...] -> [{LOWER: a}, ...], [{LOWER: b}, ...].

    spaCy compares a plain value in C but calls Python for an IN set, so short lists are expanded."""
    first = pattern[0] if pattern else None
    if not isinstance(first, dict) or len(first) != 1:
        return [pattern]
    (attr, value), = first.items()
    if attr.upper() not in _WORD_ATTRS or not isinstance(value, dict) or set(value) != {"IN"}:
        return [pattern]
    if len(value["IN"]) > _EXPAND_MAX:  # a long list is cheaper as one (cached) set lookup per token
        return [pattern]
    return [[{attr: word}, *pattern[1:]] for word in value["IN"]]


_REGEX_SEEN: dict[str, tuple[set[int], set[int]]] = {}  # regex -> (words tried, words matching), for all texts


@dataclass
class TextIndex:
    """The sentences of a text's blocks (one spaCy Doc each) and where each word occurs."""

    docs: list
    block_sentences: list[list[tuple[int, int]]]  # per block: (start, end) token offsets of its sentences
    first_sentence: list[int]  # number (across the text) of each block's first sentence
    sentences: list[tuple[int, int, int]]  # by number: (block, start, end)
    occurrences: dict[int, list[int]]  # LOWER hash (or LIKE_NUM) -> positions: sentence << shift | token
    shift: int  # bits of a token offset in a position (ints, not tuples: no work for the garbage collector)
    columns: list[TokenColumns] = field(default_factory=list)  # per block: its tokens' COLUMNS (the compiled matcher's)
    _in_sentences: dict[int, int] = field(default_factory=dict)  # word -> its sentences (a bit set)
    _found: dict[int, int] = field(default_factory=dict)  # id(probe) -> candidate sentences (a bit set)
    _by_need: dict[Need, int] = field(default_factory=dict)  # need -> sentences with one of its words

    @classmethod
    def build(cls, docs: list) -> TextIndex:
        """The index of a text's Docs: their token columns exported once each, then numpy over the whole
        text (a Python loop per token, or numpy per Doc, cost more than the rest of the index)."""
        import numpy as np
        import spacy.attrs

        attrs = [getattr(spacy.attrs, name) for name in COLUMNS]
        shift = max((len(doc) for doc in docs), default=0).bit_length()
        lengths = [len(doc) for doc in docs]
        filled = [doc.to_array(attrs) for doc in docs if len(doc)]
        array = np.concatenate(filled) if filled else np.zeros((0, len(COLUMNS)), dtype=np.uint64)
        offsets = list(itertools.accumulate(lengths, initial=0))
        heads = [o for o, n in zip(offsets, lengths) if n]
        sent_start = array[:, 3] == 1
        array[:, 3] = sent_start  # IS_SENT_START, as the Matcher reads SENT_START
        starts = sent_start.copy()
        starts[heads] = True  # doc.sents starts at a Doc's first token whatever its annotation says
        cut_at = np.flatnonzero(starts).tolist()
        block_sentences, first, sentences, columns = [], [], [], []
        at = 0  # next cut
        for b, (offset, n) in enumerate(zip(offsets, lengths)):
            first.append(len(sentences))
            columns.append(TokenColumns(array[offset:offset + n]))
            if not n:
                spans = [(0, 0)]
            else:
                end = bisect.bisect_left(cut_at, offset + n, at)
                cuts = [c - offset for c in cut_at[at:end]] + [n]
                at = end
                spans = list(zip(cuts, cuts[1:]))
            block_sentences.append(spans)
            sentences.extend((b, s, e) for s, e in spans)
        occurrences: dict[int, list[int]] = {}
        if len(array):
            # Each token's sentence number (an empty Doc counts one sentence) and offset in its Doc.
            empty_before = np.cumsum([n == 0 for n in lengths]) - [n == 0 for n in lengths]
            kept = [i for i, n in enumerate(lengths) if n]
            number = np.cumsum(starts, dtype=np.int64) - 1 + np.repeat(empty_before[kept], [lengths[i] for i in kept])
            token = np.arange(len(array), dtype=np.int64) - np.repeat(np.asarray(heads, dtype=np.int64),
                                                                     [lengths[i] for i in kept])
            position = (number << shift) | token
            # LOWER hash -> positions in text order: one stable sort instead of an append per token.
            word = array[:, 0]
            order = np.argsort(word, kind="stable")
            word, ordered = word[order], position[order].tolist()
            bounds = [0, *(np.flatnonzero(word[1:] != word[:-1]) + 1).tolist(), len(word)]
            occurrences = {w: ordered[a:b] for w, a, b in zip(word[bounds[:-1]].tolist(), bounds, bounds[1:])}
            like_num = position[array[:, 2] != 0].tolist()
            if like_num:
                occurrences[LIKE_NUM] = like_num
        return cls(list(docs), block_sentences, first, sentences, occurrences, shift, columns)

    def _words(self, need: Need) -> set[int]:
        """The words of this text that satisfy `need`."""
        if need.regex is None:
            return self.occurrences.keys() & (need.words or _LIKE_NUM_WORDS)  # the set's words, looked up in C
        tried, matching = _REGEX_SEEN.setdefault(need.regex.pattern, (set(), set()))
        words = self.occurrences.keys()
        new = words - tried
        if new:
            strings = self.docs[0].vocab.strings
            matching.update(w for w in new if w != LIKE_NUM and need.regex.search(strings[w]))
            tried |= new
        return words & matching

    # Sentence sets are ints used as bit sets (bit k: sentence k): a union or an intersection is one
    # C operation on a few machine words, where Python sets of a few hundred numbers were a third of
    # the matching.

    def _sentences_with(self, need: Need) -> int:
        """Sentences holding a word of `need`, as a bit set (kept per need: the patterns share many)."""
        out = self._by_need.get(need)
        if out is None:
            out = 0
            for w in self._words(need):
                found = self._in_sentences.get(w)
                if found is None:
                    shift = self.shift
                    found = 0
                    for sid in {pos >> shift for pos in self.occurrences[w]}:
                        found |= 1 << sid
                    self._in_sentences[w] = found
                out |= found
            self._by_need[need] = out
        return out

    def candidate_bits(self, probe: Probe) -> int:
        """Sentences where `probe` may match, as a bit set."""
        found = self._found.get(id(probe))
        if found is None:
            if not probe.needs:
                found = (1 << len(self.sentences)) - 1
            else:
                found = -1
                for need in probe.needs:
                    found &= self._sentences_with(need)
                    if not found:
                        break
            self._found[id(probe)] = found
        return found

    def candidates(self, probe: Probe) -> set[int]:
        """Sentences (numbers) where `probe` may match."""
        return _bit_numbers(self.candidate_bits(probe))

    def bits_of(self, sentences) -> int:
        """A bit set of these sentence numbers."""
        out = 0
        for sid in sentences:
            out |= 1 << sid
        return out

    def windows(self, probe: Probe, sids: set[int]) -> list[tuple[int, int, int]]:
        """(block, start, end) token ranges of these sentences that hold every match of `probe`
        there: one from each occurrence of a start word, overlapping ones joined."""
        return [w[:3] for w in self.windows_and_starts(probe, self.bits_of(sids))]

    def windows_and_starts(self, probe: Probe, sids: int) -> list[tuple[int, int, int, list[int] | None]]:
        """`windows` of the sentences in bit set `sids`, each with the offsets of the start words in it
        (every match of `probe` in the window begins at one of them), or None when the pattern has no
        start word."""
        if probe.start is None:
            spans = [(*self.sentences[sid], None) for sid in sorted(_bit_numbers(sids))]
        else:
            shift, mask = self.shift, (1 << self.shift) - 1
            starts = sorted(pos for w in self._words(probe.start) for pos in self.occurrences[w] if sids >> (pos >> shift) & 1)
            spans = []
            for pos in starts:
                t = pos & mask
                block, _, end = self.sentences[pos >> shift]
                spans.append((block, t, end if probe.longest is None else min(end, t + probe.longest), t))
        joined: list = []
        for block, s, e, t in spans:
            if joined and joined[-1][0] == block and s <= joined[-1][2]:
                last = joined[-1]
                joined[-1] = (block, last[1], max(e, last[2]), last[3])
            else:
                joined.append((block, s, e, None if t is None else []))
            if t is not None:
                joined[-1][3].append(t)
        return joined


def _bit_numbers(bits: int) -> set[int]:
    """The numbers of the bits set in `bits`."""
    out = set()
    while bits:
        low = bits & -bits
        out.add(low.bit_length() - 1)
        bits ^= low
    return out


def run_probes(probes: list[Probe], index: TextIndex, only: set[int] | None = None) -> dict[int, list]:
    """Matches of every probe in its candidate sentences (of those in `only`), per block:
    {block: [(key, start, end), ...]}."""
    out: dict[int, list] = {}
    only_bits = None if only is None else index.bits_of(only)
    for probe in probes:
        sids = index.candidate_bits(probe)
        if only_bits is not None:
            sids &= only_bits
        if not sids:
            continue
        key = probe.key
        for block, s0, e0, firsts in index.windows_and_starts(probe, sids):
            found = probe.find(index, block, s0, e0, firsts)
            if found:
                out.setdefault(block, []).extend((key, s, e) for s, e in found)
    return out
