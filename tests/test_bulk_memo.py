"""What `openscope bulk` remembers within a task must give the answer computing afresh gives.

License decisions are shared between models only where nothing of the model reaches them; the base
graph walks only models that name a base, and must give the heights and cycles a walk of every model gives.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pyarrow")

from openscope.assess.licensing import assess_license  # noqa: E402
from openscope.bulk import records  # noqa: E402
from openscope.bulk.graph import shape  # noqa: E402
from openscope.card.components import _read_sentence  # noqa: E402
from openscope.catalog import load_catalog  # noqa: E402


def row(model_id: str, card_data: dict, card: str | None = None) -> dict:
    return {"id": model_id, "cardData": json.dumps(card_data), "tags": [], "siblings": ["model.safetensors"],
            "gated": None, "sha": None, "card": card}


def fresh(model_id: str, card_data: dict, card: str | None = None) -> str:
    facts = records.facts_of(row(model_id, card_data, card), {})
    return records.to_json(records.dump_assessment(assess_license(facts, load_catalog())))


@pytest.mark.parametrize("card_data", [
    {"license": "apache-2.0"},
    {"license": "llama3.1"},
    {"license": ["mit", "llama2"]},  # several licenses: the warning names the model
    {"license": ["mit", "not-a-known-license"]},
    {"license": "other", "license_name": "acme-model-license", "license_link": "LICENSE"},
    {},
])
def test_memoised_license_decisions_equal_fresh_ones_for_every_model(card_data):
    catalog, memo = load_catalog(), {}
    for model_id in ("org-a/model-one", "org-b/model-two", "org-c/model-three"):
        facts = records.facts_of(row(model_id, card_data), {})
        _, stored = records.assessed_license(facts, catalog, None, memo)
        assert stored == fresh(model_id, card_data), model_id
    if isinstance(card_data.get("license"), list):  # several licenses: a decision naming its model is not shared
        assert "org-c/model-three" in stored and "org-a/model-one" not in stored
        assert not memo


def test_a_card_body_is_never_memoised():
    catalog, memo = load_catalog(), {}
    card = "---\nlicense: other\n---\n## Terms of use\nNon-commercial research use only.\n"
    facts = records.facts_of(row("org-a/m", {}, card), {})
    records.assessed_license(facts, catalog, None, memo)
    assert memo == {}


def test_stored_assessments_decode_once_and_equal_a_fresh_decode():
    catalog, memo = load_catalog(), {}
    stored = fresh("org-a/m", {"license": "gemma"})
    first = records.assessment_of(stored, catalog, memo)
    assert records.assessment_of(stored, catalog, memo) is first
    assert records.dump_assessment(first) == records.dump_assessment(records.load_assessment(json.loads(stored), catalog))


def full_walk_shape(edges):
    """Heights and cycles by definition, walking every model (the reference the graph pass must equal)."""
    from openscope.assess.lineage import MAX_DEPTH

    def reaches(start, target, seen=()):
        return any(r == target or (r in edges and r not in seen and reaches(r, target, (*seen, r)))
                   for r in edges.get(start, ()))

    cyclic = {k for k in edges if reaches(k, k)}
    height, context = {}, {}

    def h(k):
        if k in cyclic:
            return MAX_DEPTH + 1
        if k not in height:
            refs = [r for r in edges[k] if r in edges]
            height[k] = 0 if not edges[k] else 1 + max((h(r) for r in refs), default=0)
        return height[k]

    def c(k):
        if k not in context:
            context[k] = k in cyclic or any(c(r) for r in edges[k] if r in edges)
        return context[k]

    return {k: h(k) for k in edges}, {k: c(k) for k in edges}, cyclic


def test_the_graph_walk_of_models_with_bases_equals_a_walk_of_every_model():
    edges = {
        "a": (), "b": ("a",), "c": ("b", "outside/x"), "d": ("c", "a"),  # a chain, a dangling base
        "e": ("f",), "f": ("e",), "g": ("e",),  # a cycle and a model above it
        "s": ("s",), "t": ("s", "a"),  # a model naming itself
        "u": ("outside/y",), "v": (),  # only dangling; no bases
    }
    sh = shape(edges)
    heights, contexts, cyclic = full_walk_shape(edges)
    assert sh.cyclic == cyclic == {"e", "f", "s"}
    assert {k: sh.height.get(k, 0) for k in edges} == heights
    assert {k: sh.context.get(k, False) for k in edges} == contexts
    assert sh.dangling == {"c": ["outside/x"], "u": ["outside/y"]}
    # Models without bases take no room in the walk's tables.
    assert "a" not in sh.height and "v" not in sh.context


def test_a_sentence_naming_one_models_repository_is_read_per_model(tmp_path):
    """Two models of one organisation with the same card sentence and URL: a repository named after one
    model's name is that model's own code (card/release.py `_own_repo`) and not the other's, so the
    per-process memo of a sentence's statements must not hand one model's answer to the other."""
    import sys
    from pathlib import Path

    from openscope.assess.model import Assessor
    from openscope.bulk import pipeline

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import hubdump

    body = "\n# Resources\n\n- Code: https://github.com/someone/sparrow\n"
    meta = {"license": "apache-2.0"}
    ids = ("acme/sparrow-7b", "acme/finch-7b")
    models = [{"id": m, "meta": meta, "kind": "foundation", "lib": "transformers", "task": "text-generation",
               "card": hubdump.front_matter(meta) + body, "bases": [], "short": m.split("/")[1],
               "license_file": None} for m in ids]
    dump = tmp_path / "dump"
    hubdump.write({"models": models, "date": "2026-01-01"}, dump, card_files=1)
    _read_sentence.cache_clear()
    out = tmp_path / "out"
    pipeline.run([str(dump / "models.parquet"), str(dump / "cards")], out, scheduler="pandas", progress=False)
    import pyarrow.parquet as pq

    got = {r["id"]: r["training_code"] for r in pq.read_table(out / "models").to_pylist()}
    catalog = load_catalog()
    audit = {}
    for m in models:
        facts = records.facts_of({"id": m["id"], "cardData": json.dumps(meta), "tags": [],
                                  "siblings": ["README.md", "model.safetensors"], "gated": None, "sha": None,
                                  "card": m["card"]}, {})
        audit[m["id"]] = Assessor(catalog, lambda ref: None).assess(facts).components["training_code"]
    assert audit["acme/sparrow-7b"] != audit["acme/finch-7b"]  # the sentence reads differently per model
    assert got == audit


def test_a_card_task_frees_the_vocabulary_its_cards_add_and_reads_them_the_same():
    """spaCy's memory zone around a task: the strings new card words add are gone after it, and the
    records read inside a zone equal those read outside one (task after task: the readers' matchers and
    memos outlive the zone)."""
    from openscope.text.sentences import nlp

    catalog = load_catalog()

    def card(n: int) -> str:
        return ("---\nlicense: apache-2.0\n---\n# Zorblax%d\n\nZorblax%d-Quuxmodel was finetuned from "
                "meta-llama/Llama-3.1-8B by the Frobnitz%d team. We release the training code at "
                "https://github.com/frobnitz%d/zorblax%d and the data is proprietary.\n" % ((n,) * 5))

    def recs(n0: int, zone: bool) -> list[dict]:
        out = []
        for n in range(n0, n0 + 3):
            r = row(f"frobnitz{n}/zorblax{n}-quux", {"license": "apache-2.0"}, card(n))
            if zone:
                with records.spacy_zone():
                    out.append(records.local_record(r, {}, catalog, None))
            else:
                out.append(records.local_record(r, {}, catalog, None))
        return out

    records.warm_up()
    before = len(nlp().vocab.strings)
    zoned = recs(100, zone=True) + recs(200, zone=True)
    assert len(nlp().vocab.strings) == before  # every new name was transient
    _read_sentence.cache_clear()
    assert recs(100, zone=False) + recs(200, zone=False) == zoned
    assert len(nlp().vocab.strings) > before  # outside a zone the same cards do add strings
