"""TF-IDF features as scikit-learn computes them, without importing scikit-learn at run time."""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass


@dataclass
class Vectorizer:
    """One scikit-learn TfidfVectorizer, re-implemented: 'word' or 'char_wb' n-grams, l2-normalised."""

    analyzer: str
    ngram_range: tuple[int, int]
    vocabulary: dict[str, int]
    idf: list[float]
    offset: int  # position of this block in the joint feature vector
    sublinear_tf: bool = True
    token_pattern: re.Pattern | None = None

    def terms(self, text: str) -> list[str]:
        text = text.lower()
        lo, hi = self.ngram_range
        if self.analyzer == "word":
            words = self.token_pattern.findall(text)
            grams = words[:] if lo == 1 else []
            for n in range(max(lo, 2), hi + 1):
                grams.extend(map(" ".join, zip(*(words[k:] for k in range(n)))))
            return grams
        grams = []
        for w in _WHITE_SPACES.sub(" ", text).split():
            grams.extend(_char_wb_grams(w, lo, hi))
        return grams

    def indices(self, text: str) -> list[int]:
        """Vocabulary indices of every n-gram of `text` (with repeats)."""
        if self.analyzer == "word":
            return [i for i in map(self.vocabulary.get, self.terms(text)) if i is not None]
        # as scikit-learn's char_wb: words between runs of white space; each word's n-grams looked up once
        return list(itertools.chain.from_iterable(map(self._by_word.__getitem__, text.lower().split())))

    def _word_indices(self, word: str) -> tuple[int, ...]:
        vocab = self.vocabulary
        lo, hi = self.ngram_range
        return tuple(i for i in (vocab.get(g) for g in _char_wb_grams(word, lo, hi)) if i is not None)

    @functools.cached_property
    def _by_word(self) -> _WordCache:
        return _WordCache(self._word_indices)

    def features(self, text: str) -> dict[int, float]:
        idx, val = self.feature_arrays(text)
        return dict(zip(idx.tolist(), val.tolist()))

    def feature_arrays(self, text: str):
        """(joint indices, l2-normalised tf-idf values) as numpy arrays."""
        import numpy as np

        found = self.indices(text)
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        uniq, counts = np.unique(np.asarray(found, dtype=np.int64), return_counts=True)
        tf = 1.0 + np.log(counts) if self.sublinear_tf else counts.astype(float)
        val = tf * self._idf[uniq]
        return uniq + self.offset, val / np.sqrt(val @ val)

    def batch_arrays(self, texts: list[str]):
        """(rows, joint indices, l2-normalised tf-idf values) of all `texts` at once, as numpy arrays:
        one vectorised pass instead of a numpy round per sentence."""
        import numpy as np

        found = [self.indices(text) for text in texts]
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), [len(f) for f in found])
        idx = np.fromiter(itertools.chain.from_iterable(found), dtype=np.int64, count=len(rows))
        size = len(self.vocabulary)
        keys, counts = np.unique(rows * size + idx, return_counts=True)
        rows, idx = keys // size, keys % size
        tf = 1.0 + np.log(counts) if self.sublinear_tf else counts.astype(float)
        val = tf * self._idf[idx]
        norms = np.sqrt(np.bincount(rows, weights=val * val, minlength=len(texts)))
        return rows, idx + self.offset, val / norms[rows]

    @functools.cached_property
    def _idf(self):
        import numpy as np

        return np.asarray(self.idf, dtype=np.float64)

    def __hash__(self):
        return id(self)


class _WordCache(dict):
    """word -> its n-gram indices, computed on a miss (a dict lookup per word, in C, instead of a
    call); emptied when it grows past WORD_CACHE words (words repeat a lot: licenses share a vocabulary)."""

    def __init__(self, compute):
        super().__init__()
        self.compute = compute

    def __missing__(self, word: str) -> tuple[int, ...]:
        if len(self) >= WORD_CACHE:
            self.clear()
        found = self[word] = self.compute(word)
        return found


WORD_CACHE = 50_000


def _char_wb_grams(word: str, lo: int, hi: int) -> list[str]:
    """scikit-learn's char_wb n-grams of one word: padded with spaces, a short word counted once."""
    w = f" {word} "
    grams = []
    for n in range(lo, hi + 1):
        offset = 0
        grams.append(w[offset:offset + n])
        while offset + n < len(w):
            offset += 1
            grams.append(w[offset:offset + n])
        if offset == 0:
            break
    return grams


_WHITE_SPACES = re.compile(r"\s\s+")
