"""Sentence classifier for the flags whose wording varies most (TF-IDF + one-vs-rest logistic regression).

Trained by `scripts/train_classifier.py` from `licenses/classifier/training.yaml` (sentences written
for openscope) and stored as plain JSON in `licenses/classifier/model.json`: vocabularies, idf,
coefficients, intercepts and a high-precision threshold per flag. Scoring is plain Python: it
re-implements the two scikit-learn TfidfVectorizers used in training (word 1-2 grams and char_wb
3-5 grams, sublinear tf, l2 norm each) and the logistic function, so scikit-learn is not imported
at run time.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from openscope.data import LICENSES_DIR

MODEL_DIR = LICENSES_DIR / "classifier"
MODEL_FILE = MODEL_DIR / "model.json"
TRAINING_FILE = MODEL_DIR / "training.yaml"
FORMAT = "openscope.sentence-classifier/2"


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
        out: list[int] = []
        for w in text.lower().split():  # as scikit-learn's char_wb: words between runs of white space
            out.extend(self._word_indices(w))
        return out

    @functools.lru_cache(maxsize=50_000)  # noqa: B019 - one model per process; words repeat a lot
    def _word_indices(self, word: str) -> tuple[int, ...]:
        vocab = self.vocabulary
        lo, hi = self.ngram_range
        return tuple(i for i in (vocab.get(g) for g in _char_wb_grams(word, lo, hi)) if i is not None)

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


@dataclass
class SentenceModel:
    flags: tuple[str, ...]
    vectorizers: list[Vectorizer]
    coef: dict[str, dict[int, float]]  # flag -> sparse weights over the joint feature vector
    intercept: dict[str, float]
    thresholds: dict[str, float]

    def features(self, text: str) -> dict[int, float]:
        feats: dict[int, float] = {}
        for vec in self.vectorizers:
            feats.update(vec.features(text))
        return feats

    def feature_arrays(self, text: str):
        import numpy as np

        parts = [vec.feature_arrays(text) for vec in self.vectorizers]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def decision(self, text: str) -> dict[str, float]:
        feats = self.features(text)
        return {flag: self.intercept[flag] + sum(w * self.coef[flag].get(i, 0.0) for i, w in feats.items())
                for flag in self.flags}

    @functools.cached_property
    def _weights(self):
        import numpy as np

        size = sum(len(v.vocabulary) for v in self.vectorizers)
        weights = np.zeros((size, len(self.flags)))
        for j, flag in enumerate(self.flags):
            for i, w in self.coef[flag].items():
                weights[i, j] = w
        return weights, np.array([self.intercept[f] for f in self.flags])

    def scores(self, texts: list[str]) -> dict[str, list[float]]:
        """Probability per flag for every text (a sparse dot product in numpy)."""
        import numpy as np

        weights, intercept = self._weights
        z = np.tile(intercept, (len(texts), 1))
        for vec in self.vectorizers:
            rows, idx, val = vec.batch_arrays(texts)
            contrib = val[:, None] * weights[idx]
            for j in range(len(self.flags)):
                z[:, j] += np.bincount(rows, weights=contrib[:, j], minlength=len(texts))
        probs = 1.0 / (1.0 + np.exp(-z))
        return {flag: probs[:, j].tolist() for j, flag in enumerate(self.flags)}

    def __hash__(self):
        return id(self)


def model_from_dict(raw: dict) -> SentenceModel:
    if raw.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} model")
    flags = tuple(raw["flags"])
    vectorizers = [
        Vectorizer(
            analyzer=v["analyzer"], ngram_range=tuple(v["ngram_range"]),
            vocabulary={term: int(i) for term, i in v["vocabulary"].items()},
            idf=[float(x) for x in v["idf"]], offset=int(v["offset"]), sublinear_tf=bool(v["sublinear_tf"]),
            token_pattern=re.compile(v["token_pattern"]) if v.get("token_pattern") else None,
        )
        for v in raw["vectorizers"]
    ]
    return SentenceModel(
        flags=flags, vectorizers=vectorizers,
        coef={f: {int(i): float(w) for i, w in raw["coef"][f].items()} for f in flags},
        intercept={f: float(raw["intercept"][f]) for f in flags},
        thresholds={f: float(raw["thresholds"][f]) for f in flags},
    )


@functools.cache
def load_model(path: Path | None = None) -> SentenceModel | None:
    """The stored model, or None when it has not been trained (the rules then work alone)."""
    path = Path(path or MODEL_FILE)
    if not path.exists():
        return None
    with open(path, encoding="utf-8") as fh:
        return model_from_dict(json.load(fh))
