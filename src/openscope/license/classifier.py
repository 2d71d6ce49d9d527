"""The sentence classifier: TF-IDF + one logistic regression per flag, for all 12 flags.

Trained by `scripts/train_classifier.py` on tens of thousands of sentences (scripts/classifier_data.py:
clauses we wrote, span-labelled sentences of real licenses, the LicenseDB's permissive texts as
negatives) and stored as plain JSON in `licenses/classifier/model.json`: vocabularies, idf,
coefficients, intercepts and two operating points per flag: `thresholds` (the classifier alone may
raise the flag) and `veto` (a rule's hit on a sentence scoring below it is dropped). Scoring is plain
Python/numpy: it re-implements the two scikit-learn TfidfVectorizers used in training (word 1-2 grams
and char_wb 3-5 grams, sublinear tf, l2 norm each) and the logistic function, so scikit-learn is not
imported at run time.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from openscope.data import LICENSES_DIR
from openscope.errors import CatalogError
from openscope.text.tfidf import Vectorizer

MODEL_DIR = LICENSES_DIR / "classifier"
MODEL_FILE = MODEL_DIR / "model.json"
FORMAT = "openscope.sentence-classifier/3"


@dataclass
class SentenceModel:
    flags: tuple[str, ...]
    vectorizers: list[Vectorizer]
    coef: dict[str, dict[int, float]]  # flag -> sparse weights over the joint feature vector
    intercept: dict[str, float]
    thresholds: dict[str, float]
    veto: dict[str, float] = None  # flag -> the score a rule's sentence needs for the rule to stand

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
        n_flags = len(self.flags)
        for vec in self.vectorizers:
            rows, idx, val = vec.batch_arrays(texts)
            contrib = val[:, None] * weights[idx]
            # One bincount over (row, flag) bins: each bin sums its terms in the same order as a bincount
            # per flag would, so the scores are the same to the last bit.
            bins = (rows[:, None] * n_flags + np.arange(n_flags)).ravel()
            z += np.bincount(bins, weights=contrib.ravel(), minlength=len(texts) * n_flags).reshape(len(texts), n_flags)
        probs = 1.0 / (1.0 + np.exp(-z))
        return {flag: probs[:, j].tolist() for j, flag in enumerate(self.flags)}

    def __hash__(self):
        return id(self)


def model_from_dict(raw: dict) -> SentenceModel:
    if raw.get("format") != FORMAT:
        raise CatalogError(f"{MODEL_FILE}: not a {FORMAT} model; re-run scripts/train_classifier.py")
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
        veto={f: float((raw.get("veto") or {}).get(f, 0.0)) for f in flags},
    )


@functools.cache
def load_model(path: Path | None = None) -> SentenceModel | None:
    """The stored model, or None when it has not been trained (the rules then work alone)."""
    path = Path(path or MODEL_FILE)
    if not path.exists():
        return None
    with open(path, encoding="utf-8") as fh:
        return model_from_dict(json.load(fh))
