"""Sentence classifier for the flags whose wording varies most (TF-IDF + one-vs-rest logistic regression).

Trained by `scripts/train_classifier.py` from `licenses/classifier/training.yaml` (sentences written
for openscope) and stored as plain JSON in `licenses/classifier/model.json`: vocabulary, idf,
coefficients, intercepts and a high-precision threshold per flag. Scoring needs only numpy: it
re-implements scikit-learn's TfidfVectorizer (lower-case, default token pattern, word n-grams,
sublinear tf, l2 norm) followed by the logistic function, so scikit-learn is not imported at run time.
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
FORMAT = "openscope.sentence-classifier/1"


@dataclass
class SentenceModel:
    flags: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: list[float]
    coef: dict[str, dict[int, float]]  # flag -> sparse weights
    intercept: dict[str, float]
    thresholds: dict[str, float]
    ngram_range: tuple[int, int]
    sublinear_tf: bool
    token_pattern: re.Pattern

    def features(self, text: str) -> dict[int, float]:
        """TF-IDF features of one text, as scikit-learn's TfidfVectorizer computes them."""
        words = self.token_pattern.findall(text.lower())
        lo, hi = self.ngram_range
        counts: dict[int, int] = {}
        for n in range(lo, hi + 1):
            for i in range(len(words) - n + 1):
                idx = self.vocabulary.get(" ".join(words[i:i + n]))
                if idx is not None:
                    counts[idx] = counts.get(idx, 0) + 1
        feats = {}
        for idx, c in counts.items():
            tf = 1.0 + math.log(c) if self.sublinear_tf else float(c)
            feats[idx] = tf * self.idf[idx]
        norm = math.sqrt(sum(v * v for v in feats.values()))
        return {k: v / norm for k, v in feats.items()} if norm else {}

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
    return SentenceModel(
        flags=flags,
        vocabulary={term: int(i) for term, i in raw["vocabulary"].items()},
        idf=[float(x) for x in raw["idf"]],
        coef={f: {int(i): float(w) for i, w in raw["coef"][f].items()} for f in flags},
        intercept={f: float(raw["intercept"][f]) for f in flags},
        thresholds={f: float(raw["thresholds"][f]) for f in flags},
        ngram_range=tuple(raw["ngram_range"]),
        sublinear_tf=bool(raw["sublinear_tf"]),
        token_pattern=re.compile(raw["token_pattern"]),
    )


@functools.cache
def load_model(path: Path | None = None) -> SentenceModel | None:
    """The stored model, or None when it has not been trained (the rules then work alone)."""
    path = Path(path or MODEL_FILE)
    if not path.exists():
        return None
    with open(path, encoding="utf-8") as fh:
        return model_from_dict(json.load(fh))
