"""Train the card-sentence classifier from cardrules/sentences.yaml and write it as JSON (no pickle).

    python scripts/train_card_classifier.py [--check] [--loo]

TF-IDF (word 1-2 grams, sublinear tf) + multinomial logistic regression. The JSON holds the
vocabulary, idf, coefficients and intercepts; `openscope.card.components.SentenceClassifier` applies them
without scikit-learn. `--check` only verifies that the stored model matches a fresh training run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from openscope.card.components import CLASSIFIER_FILE  # noqa: E402
from openscope.card.rules import RULES_DIR  # noqa: E402
from openscope.card.sentences import normalize  # noqa: E402
from openscope.data import load_yaml  # noqa: E402

THRESHOLD = 0.7


def training_set() -> tuple[list[str], list[str], list[str]]:
    raw = load_yaml(RULES_DIR / "sentences.yaml")
    texts, labels = [], []
    for label, sentences in raw["sentences"].items():
        for s in sentences:
            texts.append(normalize(s))
            labels.append(label)
    return texts, labels, raw.get("topic_words", [])


def train() -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from threadpoolctl import threadpool_limits

    texts, labels, topic_words = training_set()
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)
    x = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=10.0, max_iter=2000)
    with threadpool_limits(1):
        model.fit(x, labels)
    vocab = {term: int(i) for term, i in sorted(vectorizer.vocabulary_.items())}
    return {
        "kind": "tfidf-logreg",
        "trained_from": "src/openscope/cardrules/sentences.yaml",
        "ngram_range": [1, 2],
        "threshold": THRESHOLD,
        "topic_words": topic_words,
        "classes": [str(c) for c in model.classes_],
        "vocabulary": vocab,
        "idf": [round(float(v), 6) for v in vectorizer.idf_],
        "coef": [[round(float(v), 6) for v in row] for row in model.coef_],
        "intercept": [round(float(v), 6) for v in model.intercept_],
    }


def leave_one_out() -> dict:
    """Leave-one-sentence-out: each sentence predicted by a model trained on all the others.

    `precision` / `recall` count only component statements the classifier would make (label other
    than `none`, probability at or above the threshold), the way components.py uses it."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from threadpoolctl import threadpool_limits

    texts, labels, _ = training_set()
    predicted: list[tuple[str, float]] = []
    # One BLAS thread: on a small problem, thread start-up costs far more than the fit (60x here).
    with threadpool_limits(1):
        for i in range(len(texts)):
            train_x, train_y = texts[:i] + texts[i + 1:], labels[:i] + labels[i + 1:]
            vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)
            model = LogisticRegression(C=10.0, max_iter=2000).fit(vectorizer.fit_transform(train_x), train_y)
            probs = model.predict_proba(vectorizer.transform([texts[i]]))[0]
            best = int(probs.argmax())
            predicted.append((str(model.classes_[best]), float(probs[best])))
    return {"n": len(texts), "accuracy": round(sum(p[0] == y for p, y in zip(predicted, labels)) / len(texts), 3),
            **_at_threshold(predicted, labels, THRESHOLD),
            "by_threshold": {str(t): _at_threshold(predicted, labels, t) for t in (0.4, 0.5, 0.6, 0.7)}}


def _at_threshold(predicted: list[tuple[str, float]], labels: list[str], threshold: float) -> dict:
    said = [(p, y) for p, y in zip(predicted, labels) if p[0] != "none" and p[1] >= threshold]
    right = sum(p[0] == y for p, y in said)
    wanted = sum(y != "none" for y in labels)
    return {"threshold": threshold, "precision": round(right / len(said), 3) if said else 1.0,
            "recall": round(right / wanted, 3) if wanted else 1.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the stored model is out of date")
    parser.add_argument("--loo", action="store_true", help="print leave-one-sentence-out scores and stop")
    args = parser.parse_args()
    if args.loo:
        print(json.dumps(leave_one_out()))
        return 0
    data = train()
    text = json.dumps(data, indent=None, separators=(",", ":"), sort_keys=True) + "\n"
    if args.check:
        current = CLASSIFIER_FILE.read_text(encoding="utf-8") if CLASSIFIER_FILE.exists() else ""
        if current != text:
            print(f"{CLASSIFIER_FILE} is out of date: run scripts/train_card_classifier.py", file=sys.stderr)
            return 1
        print("card classifier is up to date")
        return 0
    CLASSIFIER_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {CLASSIFIER_FILE.relative_to(ROOT)}: {len(data['classes'])} classes, {len(data['vocabulary'])} terms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
