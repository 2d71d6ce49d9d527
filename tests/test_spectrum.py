"""Spectrum placement: each rule of the decision, component evidence from card text, the classifier."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from spectrum_helpers import (
    OPEN_TRAINING,
    DictResolver,
    assess,
    card_facts,
    hub_facts,
    small_catalog,
)

from openscope.card.components import (
    CLASSIFIER_FILE,
    SentenceClassifier,
    rule_statements,
    text_statements,
)
from openscope.card.rules import component_rules
from openscope.card.sentences import URL_RE, Sentence, normalize
from openscope.types import ApiModel

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def catalog():
    return small_catalog()


def test_api_model_is_closed_api(catalog):
    facts = hub_facts("acme:chat-large")
    facts.kind, facts.api = "api", ApiModel("chat-large", "acme", "Acme", None, None)
    report = assess(facts, catalog, DictResolver())
    assert report.spectrum == "closed-api"
    assert set(report.components.values()) == {"closed"}


def test_fully_open_needs_open_weights_code_and_data(catalog):
    report = assess(hub_facts("lab/open-7b", "apache-2.0", training=OPEN_TRAINING), catalog, DictResolver())
    assert report.spectrum == "fully-open"
    assert report.components["weights"] == report.components["training_code"] == "open"
    assert report.components["training_data"] == "open"
    assert report.osi_open is True
    assert any("training_code" == c for c in report.component_evidence)


def test_open_code_without_data_is_open_weights_and_says_why(catalog):
    training = {"code": OPEN_TRAINING["code"]}
    report = assess(hub_facts("lab/half-open", "apache-2.0", training=training), catalog, DictResolver())
    assert report.spectrum == "open-weights"
    assert report.components["training_data"] == "unknown"
    assert any("training data" in r for r in report.reasons)


def test_restricted_weights_are_never_fully_open(catalog):
    report = assess(hub_facts("meta/llm", "llama2", training=OPEN_TRAINING), catalog, DictResolver())
    assert report.spectrum == "open-weights"
    assert report.components["weights"] == "restricted"
    assert report.osi_open is False


def test_weights_without_any_license_are_restricted_not_open(catalog):
    report = assess(hub_facts("someone/unlicensed", training=OPEN_TRAINING), catalog, DictResolver())
    assert report.spectrum == "open-weights"
    assert report.components["weights"] == "restricted"


def test_no_evidence_at_all_is_unknown_with_what_is_missing(catalog):
    facts = card_facts("Just some words about nothing in particular.\n")
    report = assess(facts, catalog, DictResolver())
    assert report.spectrum == "unknown"
    assert report.confidence == 0.0
    assert any("weights" in r for r in report.reasons)


def test_api_only_statement_in_a_card_gives_closed_api(catalog):
    facts = card_facts("# Acme Writer\n\nThe model is only available through our commercial API.\n")
    report = assess(facts, catalog, DictResolver())
    assert report.spectrum == "closed-api"


def test_ratings_are_shown_but_do_not_decide(catalog):
    facts = hub_facts("lab/rated", "apache-2.0", ratings={"mof_class": 1, "osai_score": 0.9})
    report = assess(facts, catalog, DictResolver())
    assert report.spectrum == "open-weights"  # no training facts: the rating alone opens nothing
    assert report.ratings["mof_class"] == 1
    assert any("Model Openness Tool" in r for r in report.reasons)
    assert any("Open Source AI Index" in r for r in report.reasons)


def test_quantization_of_a_fully_open_base_is_fully_open(catalog):
    base = hub_facts("lab/open-7b", "apache-2.0", training=OPEN_TRAINING)
    quant = card_facts("---\nlicense: apache-2.0\nbase_model: lab/open-7b\nquantized_by: someone\n---\n"
                       "GGUF files of the base model.\n", "someone/open-7b-GGUF")
    report = assess(quant, catalog, DictResolver(base))
    assert report.spectrum == "fully-open"
    assert report.base_models == ["lab/open-7b"]


def test_finetune_of_fully_open_base_with_undocumented_data_is_open_weights(catalog):
    base = hub_facts("lab/open-7b", "apache-2.0", training=OPEN_TRAINING)
    tune = card_facts("---\nlicense: apache-2.0\nbase_model: lab/open-7b\n---\nA chat tune of the base.\n")
    report = assess(tune, catalog, DictResolver(base))
    assert report.spectrum == "open-weights"
    assert report.components["training_data"] == "unknown"


def test_finetune_of_closed_data_base_stays_open_weights_even_with_open_tuning(catalog):
    base = hub_facts("meta/llm", "llama2", training={"data": "closed", "code": OPEN_TRAINING["code"]})
    tune = card_facts("---\nlicense: llama2\nbase_model: meta/llm\ndatasets: [someone/chats]\n---\n"
                      "We release the full training code at https://github.com/someone/tune.\n")
    report = assess(tune, catalog, DictResolver(base))
    assert report.spectrum == "open-weights"
    assert report.components["training_data"] == "closed"
    assert report.components["training_code"] == "open"


def test_card_text_can_make_a_base_model_fully_open(catalog):
    text = ("---\nlicense: apache-2.0\ndatasets: [lab/web-corpus]\nlibrary_name: transformers\n---\n"
            "# Lab-1B\n\nThe training code is available at https://github.com/lab/trainer for anyone.\n")
    report = assess(card_facts(text, "lab/Lab-1B"), catalog, DictResolver())
    assert report.spectrum == "fully-open"
    assert report.confidence < 0.8  # dataset licenses rest on card metadata only
    assert any("not verified" in r for r in report.component_evidence["training_data"])


def test_proprietary_data_statement_blocks_fully_open(catalog):
    text = ("---\nlicense: apache-2.0\nlibrary_name: transformers\n---\n"
            "We release the training code on GitHub. The model was trained on a proprietary dataset.\n")
    report = assess(card_facts(text, "lab/Lab-2B"), catalog, DictResolver())
    assert report.spectrum == "open-weights"
    assert report.components["training_data"] == "closed"


def test_extra_mof_components_are_reported(catalog):
    text = ("---\nlicense: apache-2.0\nlibrary_name: transformers\nmodel-index:\n- name: x\n  results: []\n---\n"
            "See our paper at https://arxiv.org/abs/2401.00001 for details.\n")
    report = assess(card_facts(text, "lab/x"), catalog, DictResolver())
    assert report.components["paper"] == "open"
    assert report.components["evaluation_results"] == "open"
    assert report.components["model_architecture"] == "open"
    assert set(report.components.values()) <= {"open", "restricted", "closed", "unknown"}


# ------------------------------------------------------------ card text: rules and paraphrases

def _rule_cases(kind):
    for rule in component_rules()["rules"]:
        for example in rule["examples"][kind]:
            yield pytest.param(rule, example, id=f"{rule['id']}:{example[:30]}")


@pytest.mark.parametrize("rule,example", list(_rule_cases("positive")))
def test_rule_positive_examples(rule, example):
    found = rule_statements(Sentence(normalize(example), "", URL_RE.findall(example)),
                            "example-org/model")
    assert any(s.component == rule["component"] and s.status == rule["status"] for s in found), found


@pytest.mark.parametrize("rule,example", list(_rule_cases("negative")))
def test_rule_negative_examples(rule, example):
    found = rule_statements(Sentence(normalize(example), "", URL_RE.findall(example)),
                            "example-org/model")
    assert not any(s.component == rule["component"] and s.status == rule["status"] for s in found), found


@pytest.mark.parametrize("body,component,status", [
    ("The full pre-training pipeline is open-sourced at https://github.com/a/b.", "training_code", "open"),
    ("Scripts used to fine-tune the model can be found in the repo.", "training_code", "open"),
    ("We haven't released the training scripts.", "training_code", "closed"),
    ("Our pretraining corpus is kept confidential.", "training_data", "closed"),
    ("The complete training dataset is published on the Hub.", "training_data", "open"),
    ("Weights are available for download from this page.", "weights", "open"),
    ("It is exclusively accessible via our hosted platform.", "weights", "closed"),
])
def test_paraphrases_in_card_bodies(body, component, status):
    found = {(s.component, s.status) for s in text_statements(f"# Card\n\n{body}\n", "a/model")}
    assert (component, status) in found


def test_a_third_party_tool_link_is_not_training_code():
    found = text_statements("Trained 2x faster with a tuning library (https://github.com/toolmaker/fasttune).\n",
                            "someone/model")
    assert not [s for s in found if s.component == "training_code"]


def test_classifier_handles_sentences_no_rule_matches():
    # Paraphrases outside the rules' vocabulary: only the classifier can read them.
    clf = SentenceClassifier.load()
    assert clf is not None
    label, p = clf.predict("Customers reach this model only through our cloud console.")
    assert label == "weights:closed" and p >= clf.threshold
    assert clf.predict("The context window is 4096 tokens.")[0] == "none"


def test_classifier_json_matches_scikit_learn_and_is_up_to_date():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import train_card_classifier as trainer
    finally:
        sys.path.pop(0)
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, labels, _ = trainer.training_set()
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    model = LogisticRegression(C=10.0, max_iter=2000).fit(vec.fit_transform(texts), labels)
    clf = SentenceClassifier.load()
    for text in ("We publish the entire training corpus.", "Access is through our API only.", texts[3]):
        ours = clf.proba(text)
        theirs = dict(zip(model.classes_, model.predict_proba(vec.transform([normalize(text)]))[0]))
        for label, p in theirs.items():
            assert abs(ours[label] - p) < 1e-3, (text, label)
    assert json.loads(CLASSIFIER_FILE.read_text())["kind"] == "tfidf-logreg"
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "train_card_classifier.py"), "--check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
