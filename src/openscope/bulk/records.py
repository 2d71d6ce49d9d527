"""One dump row -> the model's facts -> what its own card and texts say, read once.

`local_record` runs the single-model stages on one model's own material (the one card parser through
`sources.hub.build_facts`, `assess_license`, `card_base_links`, the component findings) and keeps the
results as plain JSON-able data: the lineage pass (graph.py) and the report pass (report.py) then
join models without reading any card again. Nothing here is re-implemented; it is only stored.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from dataclasses import asdict

from openscope.card.links import BaseLink
from openscope.types import (
    Document,
    Evidence,
    FlagFinding,
    LicenseAssessment,
    LicenseInfo,
    ModelFacts,
    ModelRef,
    ReportWarning,
)

MAX_CARD_CHARS = 300_000  # real cards are far below; a bigger one is an error row, so a task's time stays bounded
# Card metadata the later passes read (lineage relation, conditions, task, datasets); the rest stays behind.
LIGHT_KEYS = ("license_link", "license_name", "base_model_relation", "tags", "quantized_by", "library_name",
              "pipeline_tag", "datasets")


class RowError(Exception):
    """A row that cannot be assessed; it becomes an error row with this message."""


def gated_of(value) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in ("", "false", "0", "none", "no")


def card_data_of(value) -> dict:
    """hub-stats `cardData`: a JSON string (or a struct, by pyarrow version); anything else is none."""
    if value is None:
        return {}
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return dict(value) if isinstance(value, dict) else {}


def facts_of(row: dict, documents: dict[str, str]) -> ModelFacts:
    """The facts the Hub path would build for this model (sources/hub.py's one assembly)."""
    from openscope.sources.hub import build_facts

    model_id = row["id"]
    card = row.get("card")
    if card is not None and len(card) > MAX_CARD_CHARS:
        raise RowError(f"{model_id}: model card is {len(card):,} characters (bulk reads at most {MAX_CARD_CHARS:,})")
    tags = row.get("tags")
    record = {
        "id": model_id, "gated": gated_of(row.get("gated")), "sha": row.get("sha"),
        "tags": [str(t) for t in tags] if isinstance(tags, (list, tuple)) else [],
        "siblings": [str(s) for s in row.get("siblings") or []],
        "card_data": card_data_of(row.get("cardData")), "files": list(documents),  # in reading order
    }
    texts = dict(documents)
    if card is not None:
        texts["README.md"] = card
    facts = build_facts(ModelRef(model_id, "hub", model_id), record, texts, "hub")
    return with_registry_extras(facts)


def with_registry_extras(facts: ModelFacts) -> ModelFacts:
    """What the resolver adds to Hub facts: the registry's curated training facts, ratings and links."""
    from openscope.sources import FactResolver
    from openscope.sources.registry import RegistrySource

    return _resolver(FactResolver, RegistrySource)._with_registry_extras(facts)


_RESOLVER = None


def _resolver(resolver_cls, registry_cls):
    global _RESOLVER
    if _RESOLVER is None:
        _RESOLVER = resolver_cls([registry_cls()])
    return _RESOLVER


# ------------------------------------------------------------------------------- card statements, once

def text_statements(body: str | None, model_id: str | None):
    """card.components.text_statements, which remembers each sentence's statements within the process
    (keyed by text, URLs and, where an own-repository check can read it, the model id)."""
    from openscope.card.components import text_statements as card_text_statements

    return card_text_statements(body, model_id)


# ------------------------------------------------------------------------------- spaCy's memory, per task

_WARM = False


def warm_up() -> None:
    """Build, outside any memory zone, everything the card task's readers keep for the process: the
    license analysis (its pipeline, matchers, classifier), the card rules' matchers and the base-link and
    governing-terms matchers. Their strings must outlive a zone: a matcher built inside one would lose
    its rule names when the zone ends (`vocab.strings[match_id]`)."""
    global _WARM
    if _WARM:
        return
    from openscope import license
    from openscope.card import components, links

    license.warm_up()
    components._component_matcher()
    links._relation_matcher()
    links._governing_matcher()
    _WARM = True


def _forget_docs() -> None:
    """Drop every Doc kept between calls (they point into the zone's vocabulary entries)."""
    from openscope.card.sentences import tokens
    from openscope.license.restrictions import _analyse

    tokens.cache_clear()
    _analyse.cache_clear()


@contextlib.contextmanager
def spacy_zone():
    """One task's spaCy work in a memory zone (spaCy >= 3.8, `Language.memory_zone`): the vocabulary
    entries and strings the task's texts add (every new name in a card) are freed when it ends, so a
    worker's vocabulary does not grow with the dump. What a reader keeps between tasks is plain Python
    (statements, sentences, links), never a Doc: the Docs kept are dropped before the zone ends."""
    from openscope.text.sentences import nlp

    warm_up()
    pipeline = nlp()
    if not hasattr(pipeline, "memory_zone"):  # spaCy < 3.8: no zone, memory as before
        yield
        return
    with pipeline.memory_zone():
        try:
            yield
        finally:
            _forget_docs()


# ------------------------------------------------------------------------------- the local record

LICENSE_MEMO = 4_096  # distinct license decisions remembered per task (most models share a few dozen)


def _license_key(facts: ModelFacts):
    """What `assess_license` reads of a model, when that is all it reads: the license keys of the card
    data, the registry's links and the license files. A card body is read too (terms it states, links to
    use policies): a model with one is not memoised. None when not memoisable."""
    if facts.api is not None or facts.card_body:
        return None
    data = facts.card_data
    return (repr([data.get(k) for k in ("license", "licence", "license_name", "license_link")]),
            repr(sorted(facts.links.items())), tuple((d.name, d.text) for d in facts.documents))


def assessed_license(facts: ModelFacts, catalog, analyze, memo: dict | None) -> tuple[LicenseAssessment, str]:
    """`assess_license` and its stored JSON, once per distinct decision within `memo`.

    The model's id reaches the result only in warning messages (never a decision): a result that names
    it is not shared."""
    from openscope.assess.licensing import assess_license

    key = _license_key(facts) if memo is not None else None
    if key is not None and key in memo:
        return memo[key]
    lic = assess_license(facts, catalog, analyze)
    found = (lic, to_json(dump_assessment(lic)))
    if key is not None and not any(facts.id in w.message for w in lic.warnings):
        if len(memo) >= LICENSE_MEMO:
            memo.clear()
        memo[key] = found
    return found


def local_record(row: dict, documents: dict[str, str], catalog, analyze, memo: dict | None = None) -> dict:
    """Everything the later passes need about one model, from its own row and texts.

    The license assessment is kept apart, as JSON (`rec["lic"]` is that string): most models share
    one, and the report pass reads each distinct one once (`assessment_of`)."""
    from openscope.card.components import gather
    from openscope.card.links import card_base_links, name_links, relation_of
    from openscope.card.terms import stated_license

    facts = facts_of(row, documents)
    lic, lic_json = assessed_license(facts, catalog, analyze, memo)
    # Lineage guesses a base from the model's name only for the model audited, not for a base: keep both
    # readings where they differ (rare: the card names no base at all).
    links, link_warnings = card_base_links(facts, guess_from_name=False)
    guessed = None
    if all(link.relation == "governed" for link in links) and name_links(facts, relation_of(facts)):
        guessed = card_base_links(facts, guess_from_name=True)
    findings = gather(facts, catalog, text_statements(facts.card_body, facts.id))
    # The body is kept only where lineage reads it again: a license stated in the body.
    keep_body = lic.entry is None and stated_license(facts.card_body, facts.card_data, catalog)[0] is not None
    return {
        "facts": light_facts(facts, keep_body),
        "lic": lic_json,
        "links": [dict(link.__dict__) for link in links],
        "link_warnings": [dump_warning(w) for w in link_warnings],
        "guessed_links": None if guessed is None else [dict(link.__dict__) for link in guessed[0]],
        "guessed_link_warnings": None if guessed is None else [dump_warning(w) for w in guessed[1]],
        "findings": [{"component": f.component, "status": f.status, "reason": f.reason, "kind": f.kind}
                     for f in findings],
    }


def light_facts(facts: ModelFacts, keep_body: bool) -> dict:
    data = facts.card_data or {}
    return {
        "id": facts.id, "card_data": {k: data[k] for k in LIGHT_KEYS if k in data},
        "card_body": facts.card_body if keep_body else None, "front_matter": facts.front_matter,
        "gated": facts.gated, "tags": list(facts.tags), "training": facts.training, "ratings": facts.ratings,
        "links": facts.links, "warnings": [dump_warning(w) for w in facts.warnings],
        # Names only: lineage asks whether a license file was read (its texts were, in the local pass).
        "documents": [d.name for d in facts.documents],
    }


def facts_from(d: dict) -> ModelFacts:
    return ModelFacts(
        ref=ModelRef(d["id"], "hub", d["id"]), id=d["id"], kind="hub", provenance="hub",
        card_data=dict(d["card_data"]), card_body=d["card_body"], front_matter=d["front_matter"],
        gated=d["gated"], tags=list(d["tags"]), training=dict(d["training"] or {}), ratings=dict(d["ratings"] or {}),
        links=dict(d["links"] or {}), warnings=[ReportWarning(**w) for w in d["warnings"]],
        documents=[Document(name, "") for name in d.get("documents", ())],
    )


# ------------------------------------------------------------------------------- (de)serialising

def dump_flag(f: FlagFinding) -> dict:
    # By hand: dataclasses.asdict deep-copies every value and was a third of the report pass.
    return {"flag": f.flag, "thresholds": dict(f.thresholds), "source": f.source, "inherited_from": f.inherited_from,
            "evidence": [{"file": e.file, "section": e.section, "quote": e.quote} for e in f.evidence]}


def dump_warning(w: ReportWarning) -> dict:
    return {"code": w.code, "message": w.message}


def dump_info(i: LicenseInfo | None) -> dict | None:
    return None if i is None else {"id": i.id, "name": i.name, "identified_by": i.identified_by,
                                   "confidence": i.confidence, "url": i.url, "spdx": i.spdx}


def load_flag(d: dict) -> FlagFinding:
    return FlagFinding(d["flag"], dict(d["thresholds"]), d["source"], d["inherited_from"],
                       [Evidence(**e) for e in d["evidence"]])


def dump_obligation(o) -> dict:
    return {"obligation": o.obligation, "value": o.value, "thresholds": dict(o.thresholds), "source": o.source,
            "inherited_from": o.inherited_from,
            "evidence": [{"file": e.file, "section": e.section, "quote": e.quote} for e in o.evidence]}


def load_obligation(d: dict):
    from openscope.types import ObligationFinding

    return ObligationFinding(d["obligation"], d["value"], dict(d["thresholds"]), d["source"], d["inherited_from"],
                             [Evidence(**e) for e in d["evidence"]])


def dump_assessment(lic: LicenseAssessment) -> dict:
    return {"info": dump_info(lic.info), "entry": lic.entry.key if lic.entry else None,
            "osi_open": lic.osi_open, "flags": [dump_flag(f) for f in lic.flags],
            "warnings": [dump_warning(w) for w in lic.warnings], "declared": list(lic.declared),
            "listed": [dump_info(i) for i in lic.listed], "unknown_names": list(lic.unknown_names),
            "unread": list(lic.unread), "obligations": [dump_obligation(o) for o in lic.obligations],
            "terms_from_card": list(lic.terms_from_card)}


def entry_of(catalog, key: str | None):
    return None if key is None else (catalog.get(key) or catalog.known(key))


def load_assessment(d: dict, catalog) -> LicenseAssessment:
    return LicenseAssessment(
        info=LicenseInfo(**d["info"]) if d["info"] else None, entry=entry_of(catalog, d["entry"]),
        osi_open=d["osi_open"], flags=[load_flag(f) for f in d["flags"]],
        warnings=[ReportWarning(**w) for w in d["warnings"]], declared=list(d["declared"]),
        listed=[LicenseInfo(**i) for i in d.get("listed", ())], unknown_names=list(d.get("unknown_names", ())),
        unread=list(d.get("unread", ())), obligations=[load_obligation(o) for o in d.get("obligations", ())],
        terms_from_card=list(d.get("terms_from_card", ())),
    )


def assessment_of(lic, catalog, memo: dict | None = None) -> LicenseAssessment:
    """A stored license assessment (its JSON string, or the decoded dict), decoded once per distinct JSON
    within `memo`. Shared objects are safe: the stages after it copy flags and obligations before
    changing them (merge_flags, merge_obligations, lineage's inheritance)."""
    if isinstance(lic, dict):
        return load_assessment(lic, catalog)
    if memo is None:
        return load_assessment(json.loads(lic), catalog)
    found = memo.get(lic)
    if found is None:
        if len(memo) >= LICENSE_MEMO:
            memo.clear()
        found = memo[lic] = load_assessment(json.loads(lic), catalog)
    return found


def load_links(rec: dict, guess_from_name: bool) -> tuple[list[BaseLink], list[ReportWarning]]:
    """The card's base links as lineage would read them (`guess_from_name` as in `card_base_links`)."""
    if guess_from_name and rec.get("guessed_links") is not None:
        return ([BaseLink(**link) for link in rec["guessed_links"]],
                [ReportWarning(**w) for w in rec["guessed_link_warnings"]])
    return [BaseLink(**link) for link in rec["links"]], [ReportWarning(**w) for w in rec["link_warnings"]]


def load_findings(rec: dict):
    from openscope.card.components import Finding

    # Positional (the order of Finding's fields, as local_record stores them): keyword unpacking was a
    # tenth of decoding a record, and this runs for every model and base.
    return [Finding(f["component"], f["status"], f["reason"], f["kind"]) for f in rec["findings"]]


def documents_of(names_and_texts) -> list[Document]:
    return [Document(n, t) for n, t in names_and_texts]


def to_json(obj) -> str:
    if _C_ENCODE is None or isinstance(obj, str):
        return _ENCODER.encode(obj)
    # The C encoder `_ENCODER.encode` would build for this one call, built once: half the time of a
    # small object (six report columns a model, a record, a value). Same text: same default, separators,
    # ensure_ascii, allow_nan; no circular check (records and rows are trees built here or read from JSON).
    return "".join(_C_ENCODE(obj, 0))


def _default(o):
    if dataclasses.is_dataclass(o):
        return asdict(o)
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    return str(o)


# One encoder for every record and report column: json.dumps builds a new one per call when given options.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default)
_C_ENCODE = None if json.encoder.c_make_encoder is None else json.encoder.c_make_encoder(
    None, _default, json.encoder.encode_basestring, None, _ENCODER.key_separator, _ENCODER.item_separator,
    _ENCODER.sort_keys, _ENCODER.skipkeys, _ENCODER.allow_nan)
