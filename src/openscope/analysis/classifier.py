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
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from openscope.vocabulary import LICENSES_DIR

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
            return [" ".join(words[i:i + n]) for n in range(lo, hi + 1) for i in range(len(words) - n + 1)]
        grams = []
        for w in _WHITE_SPACES.sub(" ", text).split():
            w = f" {w} "
            for n in range(lo, hi + 1):
                offset = 0
                grams.append(w[offset:offset + n])
                while offset + n < len(w):
                    offset += 1
                    grams.append(w[offset:offset + n])
                if offset == 0:  # a short word counts once
                    break
        return grams

    def features(self, text: str) -> dict[int, float]:
        counts: dict[int, int] = {}
        for term in self.terms(text):
            idx = self.vocabulary.get(term)
            if idx is not None:
                counts[idx] = counts.get(idx, 0) + 1
        feats = {i: (1.0 + math.log(c) if self.sublinear_tf else float(c)) * self.idf[i] for i, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in feats.values()))
        return {self.offset + i: v / norm for i, v in feats.items()} if norm else {}


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

    def decision(self, text: str) -> dict[str, float]:
        feats = self.features(text)
        return {flag: self.intercept[flag] + sum(w * self.coef[flag].get(i, 0.0) for i, w in feats.items())
                for flag in self.flags}

    def scores(self, texts: list[str]) -> dict[str, list[float]]:
        """Probability per flag for every text."""
        out: dict[str, list[float]] = {f: [] for f in self.flags}
        for text in texts:
            for flag, z in self.decision(text).items():
                out[flag].append(1.0 / (1.0 + math.exp(-z)))
        return out


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
