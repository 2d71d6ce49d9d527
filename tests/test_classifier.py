"""The stored sentence classifier: scoring many sentences at once gives each sentence the score the
plain one-sentence computation (`SentenceModel.decision`) gives it."""

from __future__ import annotations

import math

import pytest

from openscope.license.classifier import load_model


def test_batch_scores_equal_one_sentence_at_a_time():
    model = load_model()
    if model is None:
        pytest.skip("no trained classifier model")
    sentences = [
        "We may change these terms whenever we like and without telling you.",
        "Anything you build from the model must carry these same limits.",
        "",
        "zzzz qqqq",
        "You must not use the model to train a rival system.   Tabs\tand  spaces  vary here.",
    ]
    batch = model.scores(sentences)
    assert set(batch) == set(model.flags)
    for row, sentence in enumerate(sentences):
        decision = model.decision(sentence)
        for flag in model.flags:
            assert batch[flag][row] == pytest.approx(1 / (1 + math.exp(-decision[flag])), abs=1e-12)
    assert model.scores([]) == {flag: [] for flag in model.flags}


@pytest.mark.parametrize("analyzer", ["word", "char_wb"])
def test_terms_are_scikit_learns(analyzer):
    sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
    model = load_model()
    if model is None:
        pytest.skip("no trained classifier model")
    vec = next(v for v in model.vectorizers if v.analyzer == analyzer)
    options = {"token_pattern": vec.token_pattern.pattern} if analyzer == "word" else {}
    reference = sklearn_text.TfidfVectorizer(analyzer=analyzer, ngram_range=vec.ngram_range, **options).build_analyzer()
    text = "You may NOT  use the\tmodel to train a rival's system, nor a second one."
    assert vec.terms(text) == reference(text)
