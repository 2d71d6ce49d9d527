#!/usr/bin/env python3
"""Train the sentence classifier from licenses/classifier/training.yaml and write model.json.

TF-IDF (word 1-2 grams, sublinear tf) + one logistic regression per flag (one-vs-rest). The model
is stored as plain JSON (vocabulary, idf, coefficients, intercepts, thresholds) that
`openscope.license.classifier` scores with plain Python: no pickle, no scikit-learn at run time.
Each flag's threshold is the lowest probability at which cross-validated predictions reach the
target precision (never below the floor), so the classifier only speaks when it is sure.
Deterministic: same training file -> byte-identical model.json.

    python scripts/train_classifier.py [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from openscope.license.classifier import FORMAT, MODEL_FILE, TRAINING_FILE, model_from_dict  # noqa: E402
from openscope.data import load_yaml  # noqa: E402

TOKEN_PATTERN = r"(?u)\b\w\w+\b"
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (3, 5)
CHAR_MIN_DF = 2
C_GRID = (1.0, 3.0, 10.0)  # per flag, the C with the best cross-validated recall at the target precision
TARGET_PRECISION = 0.95
THRESHOLD_FLOOR = 0.7
SEED = 0


def load_training(path: Path) -> tuple[list[str], list[str], list[set[str]]]:
    raw = load_yaml(path)
    flags = list(raw["flags"])
    texts: list[str] = []
    labels: list[set[str]] = []
    index: dict[str, int] = {}
    for flag, sentences in (raw.get("positive") or {}).items():
        if flag not in flags:
            raise SystemExit(f"{path}: positive.{flag} is not one of {flags}")
        for s in sentences:
            if s in index:
                labels[index[s]].add(flag)
            else:
                index[s] = len(texts)
                texts.append(s)
                labels.append({flag})
    for s in raw.get("negative") or []:
        if s in index:
            raise SystemExit(f"{path}: sentence is both positive and negative: {s!r}")
        index[s] = len(texts)
        texts.append(s)
        labels.append(set())
    return flags, texts, labels


def pick_threshold(y, probs) -> float:
    """Lowest threshold whose cross-validated precision reaches the target (and the floor)."""
    import numpy as np

    for t in np.arange(THRESHOLD_FLOOR, 0.991, 0.01):
        pred = probs >= t
        if pred.sum() and (y[pred] == 1).mean() >= TARGET_PRECISION:
            return float(round(t, 2))
    return 0.99


def _vectorizers():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return [
        TfidfVectorizer(lowercase=True, analyzer="word", token_pattern=TOKEN_PATTERN, ngram_range=WORD_NGRAMS,
                        sublinear_tf=True, norm="l2"),
        TfidfVectorizer(lowercase=True, analyzer="char_wb", ngram_range=CHAR_NGRAMS, min_df=CHAR_MIN_DF,
                        sublinear_tf=True, norm="l2"),
    ]


def train(flags, texts, labels) -> dict:
    import numpy as np
    from scipy.sparse import hstack
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    vectorizers = _vectorizers()
    X = hstack([v.fit_transform(texts) for v in vectorizers]).tocsr()
    blocks, offset = [], 0
    for v in vectorizers:
        blocks.append({
            "analyzer": v.analyzer, "ngram_range": list(v.ngram_range), "sublinear_tf": True,
            "token_pattern": v.token_pattern if v.analyzer == "word" else None,
            "vocabulary": {term: int(i) for term, i in sorted(v.vocabulary_.items())},
            "idf": [round(float(x), 6) for x in v.idf_], "offset": offset,
        })
        offset += len(v.vocabulary_)
    coef, intercept, thresholds, report = {}, {}, {}, {}
    for flag in flags:
        y = np.array([1 if flag in lab else 0 for lab in labels])
        best = None
        for c in C_GRID:
            candidate = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", random_state=SEED)
            folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
            probs = cross_val_predict(candidate, X, y, cv=folds, method="predict_proba")[:, 1]
            t = pick_threshold(y, probs)
            recall = int(((probs >= t) & (y == 1)).sum())
            if best is None or recall > best[0]:
                best = (recall, c, t, probs, candidate)
        _, c, thresholds[flag], cv_probs, model = best
        model.fit(X, y)
        coef[flag] = {str(i): round(float(w), 6) for i, w in enumerate(model.coef_[0]) if abs(w) >= 1e-6}
        intercept[flag] = round(float(model.intercept_[0]), 6)
        pred = cv_probs >= thresholds[flag]
        tp = int((pred & (y == 1)).sum())
        report[flag] = {"positives": int(y.sum()), "threshold": thresholds[flag], "C": c,
                        "cv_precision": round(tp / max(1, int(pred.sum())), 3),
                        "cv_recall": round(tp / max(1, int(y.sum())), 3)}
    raw = {
        "format": FORMAT, "flags": flags, "vectorizers": blocks, "coef": coef, "intercept": intercept,
        "thresholds": thresholds,
        "training": {"sentences": len(texts), "seed": SEED, "target_precision": TARGET_PRECISION,
                     "cross_validation": report},
    }
    # The JSON scorer must reproduce scikit-learn exactly (same features, same decision values).
    _verify(raw, X, texts)
    return raw


def _verify(raw: dict, X, texts: list[str]) -> None:
    model = model_from_dict(raw)
    for row, text in enumerate(texts):
        expected = {int(i): float(v) for i, v in zip(X[row].indices, X[row].data)}
        got = model.features(text)
        if set(got) != set(expected) or any(abs(got[i] - expected[i]) > 1e-5 for i in got):
            raise SystemExit(f"JSON scorer features differ from scikit-learn on: {text!r}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if model.json is not what training produces")
    args = parser.parse_args(argv)
    flags, texts, labels = load_training(TRAINING_FILE)
    raw = train(flags, texts, labels)
    text = json.dumps(raw, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if args.check:
        current = MODEL_FILE.read_text(encoding="utf-8") if MODEL_FILE.exists() else ""
        if current != text:
            print(f"{MODEL_FILE} is stale: run python scripts/train_classifier.py", file=sys.stderr)
            return 1
        print(f"{MODEL_FILE} is up to date")
        return 0
    MODEL_FILE.write_text(text, encoding="utf-8")
    for flag, r in raw["training"]["cross_validation"].items():
        print(f"{flag:18} positives={r['positives']:3} threshold={r['threshold']:.2f} "
              f"cv_precision={r['cv_precision']:.3f} cv_recall={r['cv_recall']:.3f}")
    terms = sum(len(v["vocabulary"]) for v in raw["vectorizers"])
    print(f"wrote {MODEL_FILE.relative_to(ROOT)} ({terms} features, {len(texts)} sentences)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
