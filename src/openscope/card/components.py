"""Evidence about a model's components (SPEC §5 `components`, after the Model Openness Framework).

Facts come, strongest first, from the files a repository lists and the registry's training facts,
then the card's metadata (datasets, links), then statements in the card body: spaCy Matcher rules
(`cardrules/components.yaml`) first, a small TF-IDF + linear sentence classifier
(`cardrules/card_classifier.json`, trained by `scripts/train_card_classifier.py`) only for sentences
no rule matched.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from openscope.card.cues import pattern_cue
from openscope.card.rules import RULES_DIR, component_rules
from openscope.card.sentences import Sentence, card_sentences, normalize, tokens
from openscope.text.patterns import build_matcher
from openscope.text.sentences import nlp
from openscope.types import ModelFacts

if TYPE_CHECKING:
    from openscope.text.tfidf import Vectorizer

CLASSIFIER_FILE = RULES_DIR / "card_classifier.json"

CORE = ("weights", "training_code", "training_data")
EXTRA = ("model_architecture", "paper", "evaluation_results", "datasheet")

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".pth", ".ckpt", ".onnx", ".h5", ".msgpack", ".ggml",
                   ".mlmodel", ".tflite", ".nemo", ".npz")
# How much a kind of evidence is worth; the strongest kind decides a component.
STRENGTH = {"files": 0.95, "registry": 0.9, "rule": 0.8, "metadata": 0.7, "classifier": 0.6}
# Order used to combine a derivative's own status with its base's: the weaker release wins.
STATUS_ORDER = {"closed": 0, "restricted": 1, "unknown": 2, "open": 3}
OPEN_STATUS_WORDS = {"open", "released", "public", "available", "yes", "true"}
CLOSED_STATUS_WORDS = {"closed", "proprietary", "private", "no", "false", "not-released", "none", "undisclosed"}


@dataclass
class Finding:
    component: str
    status: str  # open | restricted | closed | unknown
    reason: str
    kind: str  # a STRENGTH key

    @property
    def strength(self) -> float:
        return STRENGTH[self.kind]


# ---------------------------------------------------------------- card text -> sentences


# ---------------------------------------------------------------- token syntax -> spaCy Matcher


@functools.cache
def _component_matcher():
    rules = component_rules()["rules"]
    return build_matcher({r["id"]: r["patterns"] for r in rules}), {r["id"]: r for r in rules}


@functools.cache
def _component_cue():
    return pattern_cue(p for r in component_rules()["rules"] for p in r["patterns"])


@functools.cache
def _rule_words(rule_id: str, key: str) -> frozenset:
    """A rule's word list `key` (`not_followed_by`, `not_preceded_by`, `unless_words`, `unless_in_match`),
    lower-cased; empty when it has none."""
    rule = next(r for r in component_rules()["rules"] if r["id"] == rule_id)
    return frozenset(str(w).lower() for w in rule.get(key, []))


@dataclass
class Statement:
    component: str
    status: str
    rule: str  # rule id, or "classifier"
    sentence: str
    urls: list[str] = field(default_factory=list)


def _negated(doc, start: int, end: int) -> bool:
    conf = component_rules()
    negations = set(conf.get("negations", []))
    window = int(conf.get("negation_window", 3))
    return any(t.lower_ in negations for t in doc[max(0, start - window):end])


def _promised(doc, start: int, end: int) -> bool:
    """"We will release the code soon": a promise, not a release (the release reader's future words)."""
    future = {str(w).lower() for w in component_rules()["release"]["future"]}
    window = int(component_rules().get("negation_window", 3))
    words = {t.lower_ for t in doc[max(0, start - window):min(len(doc), end + 3)]}
    return bool(words & future) or {"coming", "soon"} <= words


def _own_repo(urls: list[str], model_id: str | None) -> bool:
    """A repository of the model's own organisation, or named after it (its code, not a third-party tool)."""
    from openscope.card.release import _own_repo as own

    return any(own(url, model_id) for url in urls)


def rule_statements(sentence: Sentence, model_id: str | None = None) -> list[Statement]:
    """What the Matcher rules say about one sentence (one statement per component)."""
    cue = _component_cue()
    if not cue(sentence.text):
        return []  # no rule can match: not worth a tokenisation
    doc = tokens(sentence.text)
    if not cue.tokens_may_match(doc):
        return []  # nor worth the Matcher
    matcher, rules = _component_matcher()
    found: dict[str, Statement] = {}
    vocab = nlp().vocab
    for match_id, start, end in matcher(doc):
        rule = rules[vocab.strings[match_id]]
        if rule.get("needs_own_repo") and not _own_repo(sentence.urls, model_id):
            continue
        if end < len(doc) and doc[end].lower_ in _rule_words(rule["id"], "not_followed_by"):
            continue  # "the model's training data": the match names another thing
        if start > 0 and doc[start - 1].lower_ in _rule_words(rule["id"], "not_preceded_by"):
            continue  # "you may not offer the model": a term of use, not a fact
        if _rule_words(rule["id"], "unless_words") & {t.lower_ for t in doc}:
            continue  # "the original weights are not distributed": about another model's weights
        if _rule_words(rule["id"], "unless_in_match") & {t.lower_ for t in doc[start:end]}:
            continue  # "hosted only on the Hugging Face platform": the Hub is where it is downloaded
        status = rule["status"]
        if status == "open" and _promised(doc, start, end):
            continue
        if status == "open" and _negated(doc, start, end):
            status = "closed"
        prev = found.get(rule["component"])
        # Within a sentence a closed reading wins: "we release X but not Y" must not open Y.
        if prev is None or STATUS_ORDER[status] < STATUS_ORDER[prev.status]:
            found[rule["component"]] = Statement(rule["component"], status, rule["id"], sentence.text, sentence.urls)
    return list(found.values())


# ---------------------------------------------------------------- the sentence classifier (JSON, no pickle)

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@dataclass
class SentenceClassifier:
    """TF-IDF word n-grams (text/tfidf.py) + multinomial logistic regression, read from JSON."""

    vectorizer: Vectorizer
    classes: list[str]
    coef: list[list[float]]
    intercept: list[float]
    threshold: float = 0.7
    topic_words: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path = CLASSIFIER_FILE) -> SentenceClassifier | None:
        if not path.exists():
            return None
        from openscope.text.tfidf import Vectorizer

        raw = json.loads(path.read_text(encoding="utf-8"))
        vectorizer = Vectorizer("word", tuple(raw["ngram_range"]), raw["vocabulary"], raw["idf"], offset=0,
                                token_pattern=_TOKEN)
        return cls(vectorizer, raw["classes"], raw["coef"], raw["intercept"], raw.get("threshold", 0.7),
                   tuple(raw.get("topic_words", ())))

    def proba(self, text: str) -> dict[str, float]:
        feats = self.vectorizer.features(normalize(text))
        scores = [b + sum(row[i] * v for i, v in feats.items()) for row, b in zip(self.coef, self.intercept)]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps)}

    def predict(self, text: str) -> tuple[str, float]:
        probs = self.proba(text)
        label = max(probs, key=probs.get)
        return label, probs[label]

    def on_topic(self, text: str) -> bool:
        lowered = text.lower()
        return any(w in lowered for w in self.topic_words) if self.topic_words else True


@functools.cache
def sentence_classifier() -> SentenceClassifier | None:
    return SentenceClassifier.load()


def classifier_statements(sentence: Sentence) -> list[Statement]:
    clf = sentence_classifier()
    if clf is None or not clf.on_topic(sentence.text):
        return []
    label, p = clf.predict(sentence.text)
    if label == "none" or p < clf.threshold:
        return []
    component, status = label.split(":")
    return [Statement(component, status, f"classifier p={p:.2f}", sentence.text, sentence.urls)]


def release_statements(sentence: Sentence, model_id: str | None = None) -> list[Statement]:
    """Release statements and component links (card/release.py), one statement per component."""
    from openscope.card.release import link_findings, release_findings, table_findings

    found: dict[str, Statement] = {}
    for component, status, rule in (release_findings(sentence.text, model_id) + link_findings(sentence.text, model_id)
                                    + table_findings(sentence.text, model_id)):
        prev = found.get(component)
        if prev is None or STATUS_ORDER[status] < STATUS_ORDER[prev.status]:
            found[component] = Statement(component, status, rule, sentence.text, sentence.urls)
    return list(found.values())


def sentence_statements(sentence: Sentence, model_id: str | None = None) -> list[Statement]:
    """Matcher rules and release statements; within a sentence a closed reading wins per component."""
    found: dict[str, Statement] = {}
    for st in rule_statements(sentence, model_id) + release_statements(sentence, model_id):
        prev = found.get(st.component)
        if prev is None or STATUS_ORDER[st.status] < STATUS_ORDER[prev.status]:
            found[st.component] = st
    return list(found.values())


def text_statements(body: str | None, model_id: str | None = None) -> list[Statement]:
    """Rules first; the classifier speaks only for sentences no rule matched."""
    out: list[Statement] = []
    header: list[str] | None = None  # the header row of the table being read
    previous_row = False
    for sentence in card_sentences(body):
        out.extend(_read_sentence(sentence.text, tuple(sentence.urls), _own_repo_key(sentence, model_id)))
        row = "|" in sentence.text
        if row:  # tables are read by card/release, imported only for a card that has one
            from openscope.card.release import column_findings, table_cells
        if row and not previous_row:
            header = table_cells(sentence.text)
        elif row and header and not _TABLE_RULE.match(sentence.text):
            out.extend(Statement(c, st, rule, sentence.text, sentence.urls)
                       for c, st, rule in column_findings(header, sentence.text, model_id))
        previous_row = row
    return out


_TABLE_RULE = re.compile(r"^[\s|:\-]+$")


# A repository "of the model's own" (both `_own_repo`s) needs an "org/name" id and a GitHub or GitLab
# address in the sentence; for any other sentence or id, the model id cannot change what is read.
_REPO_HOST = re.compile(r"github\.com|gitlab\.com", re.I)


def _own_repo_key(sentence: Sentence, model_id: str | None) -> str | None:
    if not model_id or "/" not in model_id:
        return None
    if _REPO_HOST.search(sentence.text) or any(_REPO_HOST.search(u) for u in sentence.urls):
        return model_id
    return None


# Card sentences remembered per process: templated cards repeat most of theirs, mostly within a bulk
# bucket (a 5,000-model bucket of bench/hubdump.py adds ~2,400 new ones; later buckets add ~10 % hits). An
# LRU of a few buckets' worth keeps the recurring sentences and keeps a bulk worker's memory flat.
SENTENCE_MEMO = 8_192


@functools.lru_cache(maxsize=SENTENCE_MEMO)
def _read_sentence(text: str, urls: tuple[str, ...], model_id: str | None) -> tuple[Statement, ...]:
    """One sentence's statements, remembered: cards of a family (fine-tunes, quantisations, templated
    cards) repeat most of their sentences, and reading one (tokens, Matcher, release reader, classifier)
    was most of a card's cost. Keyed by all the reader sees (`_own_repo_key` says why the model id
    rarely counts); the Statements are shared, so read only."""
    sentence = Sentence(text, urls=list(urls))
    return tuple(sentence_statements(sentence, model_id) or classifier_statements(sentence))


# ---------------------------------------------------------------- facts -> findings per component

def _quote(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _training_fact_status(value) -> tuple[str | None, str]:
    """Read one registry training fact: a mapping with status/license/url, a status word, or a URL."""
    if value is None:
        return None, ""
    if isinstance(value, bool):
        return ("open" if value else "closed"), str(value).lower()
    if isinstance(value, str):
        word = value.strip().lower()
        if word.startswith("http"):
            return "open-unlicensed", value
        if word in OPEN_STATUS_WORDS:
            return "open", word
        if word in CLOSED_STATUS_WORDS:
            return "closed", word
        if word in ("partial", "restricted", "limited"):
            return "restricted", word
        return None, word
    if isinstance(value, dict):
        status, detail = _training_fact_status(value.get("status"))
        lic = value.get("license")
        url = value.get("url") or value.get("link") or (value.get("datasets") and "datasets listed")
        detail = ", ".join(str(x) for x in (detail or None, lic and f"license {lic}", url) if x)
        if status is None and (lic or url):
            status = "licensed" if lic else "open-unlicensed"
        return status, detail
    if isinstance(value, list):
        statuses = [_training_fact_status(v)[0] for v in value]
        return (statuses[0] if statuses else None), f"{len(value)} entries"
    return None, str(value)


def _license_status(catalog, name: str | None) -> str | None:
    entry = catalog.lookup(name) if name else None
    if entry is None:
        return None
    return "open" if entry.osi_open else "restricted"


def registry_findings(facts: ModelFacts, catalog) -> list[Finding]:
    out: list[Finding] = []
    aliases = {"code": "training_code", "training_code": "training_code", "data": "training_data",
               "training_data": "training_data", "datasets": "training_data", "weights": "weights",
               "paper": "paper", "technical_report": "paper", "architecture": "model_architecture",
               "model_architecture": "model_architecture", "evaluation": "evaluation_results",
               "evaluation_results": "evaluation_results", "datasheet": "datasheet", "data_card": "datasheet"}
    weights_link = (facts.links or {}).get("weights")
    if weights_link:
        out.append(Finding("weights", "open", f"registry: weights published at {weights_link}", "registry"))
    for key, value in (facts.training or {}).items():
        component = aliases.get(str(key).lower())
        if component is None:
            continue
        status, detail = _training_fact_status(value)
        if status == "licensed":
            lic = value.get("license") if isinstance(value, dict) else None
            status = _license_status(catalog, lic) or "restricted"
        elif status == "open-unlicensed":
            # Released without a license: present, but not open in the MOF sense.
            status = "restricted" if component in CORE else "open"
        if status is None:
            continue
        out.append(Finding(component, status, f"registry: {key} {detail}".strip(), "registry"))
    return out


def _dataset_license_status(facts: ModelFacts, catalog) -> tuple[str | None, str]:
    """Open when every fetched dataset carries an open license; restricted when one does not."""
    if not facts.datasets:
        return None, ""
    statuses = {}
    for ds_id, data in facts.datasets.items():
        lic = (data or {}).get("license") if isinstance(data, dict) else None
        lic = lic[0] if isinstance(lic, list) and lic else lic
        statuses[ds_id] = _license_status(catalog, lic if isinstance(lic, str) else None)
    if any(s == "restricted" for s in statuses.values()):
        bad = [d for d, s in statuses.items() if s == "restricted"]
        return "restricted", f"dataset(s) under restrictive licenses: {', '.join(bad)}"
    if statuses and all(s == "open" for s in statuses.values()):
        return "open", f"all {len(statuses)} listed datasets carry open licenses"
    return None, ""


def metadata_findings(facts: ModelFacts, catalog) -> list[Finding]:
    out: list[Finding] = []
    data = facts.card_data or {}
    weight_files = [s for s in facts.siblings if s.lower().endswith(WEIGHT_SUFFIXES)]
    if weight_files:
        out.append(Finding("weights", "open", f"weight files in the repository: {', '.join(weight_files[:3])}"
                           + (" ..." if len(weight_files) > 3 else ""), "files"))
    if any(s.rsplit("/", 1)[-1] in ("config.json", "params.json") for s in facts.siblings):
        out.append(Finding("model_architecture", "open", "architecture configuration (config.json) published", "files"))

    from openscope.card.parse import named_datasets

    # The card's `datasets:` and the Hub dataset links in its body: both name its training data.
    datasets = named_datasets(data, facts.card_body)
    if datasets:
        status, why = _dataset_license_status(facts, catalog)
        if status:
            out.append(Finding("training_data", status, why, "registry"))
        else:
            out.append(Finding("training_data", "open",
                               f"card lists {len(datasets)} public dataset(s) ({', '.join(datasets[:3])}"
                               + (", ..." if len(datasets) > 3 else "") + "); their licenses were not verified",
                               "metadata"))
        out.append(Finding("datasheet", "open", "training datasets named in the card metadata", "metadata"))
    if data.get("model-index") or data.get("model_index"):
        out.append(Finding("evaluation_results", "open", "evaluation results in the card's model-index", "metadata"))
    if data.get("library_name") in ("transformers", "diffusers", "timm", "sentence-transformers"):
        out.append(Finding("model_architecture", "open",
                           f"architecture implemented in the open-source {data['library_name']} library", "metadata"))
    urls = " ".join(str(v) for v in (facts.links or {}).values()) + " " + (facts.card_body or "")
    papers = sorted(set(re.findall(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})", urls)))
    if papers:
        out.append(Finding("paper", "open", f"paper on arXiv: {', '.join(papers[:3])}", "metadata"))
    return out


def _weights_hint(facts: ModelFacts) -> Finding | None:
    """A card describing a Hub model repository implies published weights, unless text says otherwise."""
    data = facts.card_data or {}
    signals = []
    for key in ("base_model", "library_name", "quantized_by", "base_model_relation", "model-index", "license"):
        if data.get(key):
            signals.append(key)
    tags = {str(t).lower() for t in (data.get("tags") or []) if isinstance(t, (str, int))} | {t.lower() for t in facts.tags}
    if tags & {"gguf", "safetensors", "pytorch", "peft", "lora", "gptq", "awq"}:
        signals.append("tags")
    body = facts.card_body or ""
    if re.search(r"\.gguf\b|from_pretrained\(|huggingface-cli download|hf download", body):
        signals.append("loading instructions")
    if not signals:
        return None
    return Finding("weights", "open", f"the card describes a downloadable model repository ({', '.join(signals[:4])})",
                   "metadata")


def gather(facts: ModelFacts, catalog, statements: list[Statement] | None = None) -> list[Finding]:
    """Every finding about every component, from all sources."""
    findings = registry_findings(facts, catalog) + metadata_findings(facts, catalog)
    hint = _weights_hint(facts)
    if hint:
        findings.append(hint)
    if statements is None:
        statements = text_statements(facts.card_body, facts.id)
    for st in statements:
        kind = ("classifier" if st.rule.startswith("classifier")
                else "metadata" if st.rule == "training-dataset-link" else "rule")
        where = f"card text ({st.rule})"
        findings.append(Finding(st.component, st.status, f'{where}: "{_quote(st.sentence)}"', kind))
    return findings


@dataclass
class ComponentView:
    status: str
    strength: float
    reasons: list[str]


def decide(findings: list[Finding], component: str) -> ComponentView:
    """The strongest kind of evidence decides; disagreement at that strength gives the weaker release."""
    mine = [f for f in findings if f.component == component]
    if not mine:
        return ComponentView("unknown", 0.0, [])
    top = max(f.strength for f in mine)
    best = [f for f in mine if f.strength == top]
    status = min((f.status for f in best), key=STATUS_ORDER.__getitem__)
    reasons = [f.reason for f in sorted(mine, key=lambda f: -f.strength)]
    if len({f.status for f in best}) > 1:
        reasons.insert(0, f"conflicting evidence; the weaker release ({status}) is kept")
    return ComponentView(status, top, reasons)


def decide_all(findings: list[Finding], components) -> dict[str, ComponentView]:
    """`decide` for each of `components`, the findings grouped by component once (not once a component).

    Most components of most models have no finding or one: those two cases are built here directly
    (the same view `decide` gives: no finding is unknown at 0.0, one finding is its own status, strength
    and reason), since this runs for every model and every base in bulk (7 components each); two or more
    findings go through `decide`."""
    by_component: dict[str, list[Finding]] = {}
    for f in findings:
        by_component.setdefault(f.component, []).append(f)
    out = {}
    for c in components:
        mine = by_component.get(c)
        if not mine:
            out[c] = ComponentView("unknown", 0.0, [])
        elif len(mine) == 1:
            f = mine[0]
            out[c] = ComponentView(f.status, f.strength, [f.reason])
        else:
            out[c] = decide(mine, c)
    return out


def weaker(a: str, b: str) -> str:
    return a if STATUS_ORDER[a] <= STATUS_ORDER[b] else b
