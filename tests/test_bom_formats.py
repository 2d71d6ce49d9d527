"""CycloneDX and SPDX 3.0.1 for a lineage case (a fine-tune relabelled MIT over Llama 3.1 weights, trained on a
named dataset): both documents validate against their published schemas and show the base model, the training
data and the license that really governs the weights.

CycloneDX is validated with cyclonedx-python-lib's strict 1.6 JSON validator; SPDX with the published SPDX 3.0.1
JSON schema (tests/schemas/, checked with jsonschema-rs) and by deserialising and re-encoding it with
spdx-python-model, whose encoder rejects a missing required property.
"""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest

from openscope.api import audit
from openscope.errors import InputError
from openscope.render.interface import render

SCHEMAS = Path(__file__).parent / "schemas"
BASE = "meta-llama/Llama-3.1-8B"
CARD = f"""---
license: mit
base_model: {BASE}
datasets:
- acme/corpus-a
pipeline_tag: text-generation
---
A distilled tune of a bigger model.
"""


@pytest.fixture(scope="module")
def spdx_validator():
    # jsonschema-rs: the pure-Python validator needs ~20 s for one small document against this schema.
    import jsonschema_rs

    schema = json.loads((SCHEMAS / "spdx-json-schema-3.0.1.json").read_text(encoding="utf-8"))
    return jsonschema_rs.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def lineage_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("relabelled") / "llama-distill"
    folder.mkdir()
    (folder / "README.md").write_text(CARD, encoding="utf-8")
    report = audit([str(folder), BASE, "allenai/OLMo-7B", "gpt-4o"], offline=True)
    tune = report.models[0]
    assert tune.license.id == "mit" and tune.effective_license.id == "llama3.1", "fixture premise"
    return report


def validate_cyclonedx(text: str) -> dict:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, getattr(getattr(error, "data", None), "message", error)
    return json.loads(text)


def validate_spdx(text: str, validator) -> dict:
    from spdx_python_model import v3_0_1 as spdx

    doc = json.loads(text)
    validator.validate(doc)
    objects = spdx.SHACLObjectSet()
    spdx.JSONLDDeserializer().read(io.StringIO(text), objects)
    spdx.JSONLDSerializer().write(objects, io.BytesIO())  # the encoder checks every required property
    return doc


# ---------------------------------------------------------------- CycloneDX


def by_ref(doc: dict) -> dict:
    return {c["bom-ref"]: c for c in doc["components"]}


def test_cyclonedx_shows_the_llama_terms_as_the_relabelled_tunes_license(lineage_report):
    doc = validate_cyclonedx(render(lineage_report, "cyclonedx"))
    tune = by_ref(doc)["model:llama-distill"]
    (governing,) = tune["licenses"]
    assert governing["license"]["name"] == "Llama 3.1 Community License Agreement"
    assert governing["license"]["acknowledgement"] == "concluded" and governing["license"]["url"]
    # What the card declares is kept, as evidence.
    assert tune["evidence"]["licenses"] == [{"license": {"id": "MIT", "acknowledgement": "declared"}}]
    props = {p["name"]: p["value"] for p in tune["properties"]}
    assert props["openscope:effective_license_from"] == BASE


def test_cyclonedx_links_the_base_and_the_dataset(lineage_report):
    doc = validate_cyclonedx(render(lineage_report, "cyclonedx"))
    comps = by_ref(doc)
    tune = comps["model:llama-distill"]
    assert [(a["group"], a["name"]) for a in tune["pedigree"]["ancestors"]] == [tuple(BASE.split("/"))]
    assert comps[f"model:{BASE}"]["type"] == "machine-learning-model"
    dataset = comps["dataset:acme/corpus-a"]
    assert dataset["type"] == "data" and dataset["data"][0]["type"] == "dataset"
    deps = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    assert deps["model:llama-distill"] == ["dataset:acme/corpus-a", f"model:{BASE}"]
    card = tune["modelCard"]
    assert card["modelParameters"] == {"task": "text-generation", "datasets": [{"ref": "dataset:acme/corpus-a"}]}
    limits = card["considerations"]["technicalLimitations"]
    assert any(line.startswith("user-cap") and "700,000,000" in line and BASE in line for line in limits)
    components = {p["name"]: p["value"] for p in card["properties"]}
    assert set(components) >= {"openscope:component:weights", "openscope:component:training_data"}


def test_cyclonedx_spdx_ids_and_declared_licenses(lineage_report):
    comps = by_ref(validate_cyclonedx(render(lineage_report, "cyclonedx")))
    olmo = comps["model:allenai/OLMo-7B"]
    assert olmo["licenses"] == [{"license": {"id": "Apache-2.0", "acknowledgement": "declared"}}]
    assert olmo["purl"] == "pkg:huggingface/allenai/OLMo-7B"
    assert "dataset:allenai/dolma" in comps  # the registry's training data becomes a data component
    api = comps["model:openai:gpt-4o"]
    assert "purl" not in api and api["licenses"][0]["license"]["name"]  # terms without an SPDX id: a name


def test_cyclonedx_is_deterministic_apart_from_serial_and_timestamp(lineage_report):
    def stable(text):
        doc = json.loads(text)
        doc.pop("serialNumber")
        doc["metadata"].pop("timestamp")
        return doc

    assert stable(render(lineage_report, "cyclonedx")) == stable(render(lineage_report, "cyclonedx"))
    refs = [c["bom-ref"] for c in json.loads(render(lineage_report, "cyclonedx"))["components"]]
    assert not any(re.match(r"model-\d+:", r) for r in refs)  # never list positions


def test_cyclonedx_without_the_library_is_a_one_line_input_error(lineage_report, monkeypatch):
    for name in [m for m in sys.modules if m == "cyclonedx" or m.startswith("cyclonedx.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "cyclonedx", None)  # import cyclonedx now raises ImportError
    with pytest.raises(InputError) as err:
        render(lineage_report, "cyclonedx")
    assert 'pip install "openscope[cyclonedx]"' in str(err.value) and "\n" not in str(err.value)


# ---------------------------------------------------------------- SPDX 3.0.1


def elements(doc: dict, kind: str | None = None) -> list[dict]:
    return [e for e in doc["@graph"] if kind is None or e["type"] == kind]


def related(doc: dict, source: str, rel: str) -> list[dict]:
    index = {e.get("spdxId"): e for e in doc["@graph"]}
    return [index[t] for r in elements(doc, "Relationship") if r["from"] == source and r["relationshipType"] == rel
            for t in r["to"]]


def test_spdx_validates_and_shows_the_effective_license(lineage_report, spdx_validator):
    doc = validate_spdx(render(lineage_report, "spdx"), spdx_validator)
    assert doc["@context"] == "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    (document,) = elements(doc, "SpdxDocument")
    assert {"ai", "dataset"} <= set(document["profileConformance"])
    packages = {p["name"]: p for p in elements(doc, "ai_AIPackage")}
    tune = packages["llama-distill"]
    (concluded,) = related(doc, tune["spdxId"], "hasConcludedLicense")
    assert concluded["simplelicensing_licenseExpression"] == "LicenseRef-scancode-llama-3.1-license-2024"
    assert concluded["simplelicensing_customIdToUri"][0]["value"].startswith("https://")
    (declared,) = related(doc, tune["spdxId"], "hasDeclaredLicense")
    assert declared["simplelicensing_licenseExpression"] == "MIT"
    assert tune["software_primaryPurpose"] == "model"
    assert tune["ai_typeOfModel"] == ["text-generation"] and tune["ai_domain"] == ["natural language processing"]
    assert "user-cap" in tune["ai_limitation"] and "naming" in tune["ai_limitation"]
    assert "training data" in tune["ai_informationAboutTraining"]
    assert "ai_standardCompliance" not in tune  # openscope does not know which standards a model meets


def test_spdx_relates_base_models_and_training_data(lineage_report, spdx_validator):
    doc = validate_spdx(render(lineage_report, "spdx"), spdx_validator)
    packages = {p["name"]: p for p in elements(doc, "ai_AIPackage")}
    tune = packages["llama-distill"]
    assert [b["name"] for b in related(doc, tune["spdxId"], "descendantOf")] == [BASE]
    assert related(doc, tune["spdxId"], "descendantOf")[0] is packages[BASE]  # the audited base, not a copy
    (dataset,) = related(doc, tune["spdxId"], "trainedOn")
    assert dataset["type"] == "dataset_DatasetPackage" and dataset["name"] == "acme/corpus-a"
    olmo = packages["allenai/OLMo-7B"]
    assert [d["name"] for d in related(doc, olmo["spdxId"], "trainedOn")] == ["allenai/dolma"]


def test_spdx_is_deterministic_apart_from_namespace_and_time(lineage_report):
    def stable(text):
        text = re.sub(r"openscope-[0-9a-f-]{36}", "NS", text)
        return re.sub(r'"created": "[^"]+"', "", text)

    assert stable(render(lineage_report, "spdx")) == stable(render(lineage_report, "spdx"))


def test_spdx_schema_and_bindings_reject_a_broken_document(lineage_report, spdx_validator):
    # Guards the guards: both checks really constrain what we emit.
    from spdx_python_model import v3_0_1 as spdx

    doc = json.loads(render(lineage_report, "spdx"))
    dataset = next(e for e in doc["@graph"] if e["type"] == "dataset_DatasetPackage")
    del dataset["dataset_datasetType"]
    assert not spdx_validator.is_valid(doc)
    objects = spdx.SHACLObjectSet()
    spdx.JSONLDDeserializer().read(io.StringIO(json.dumps(doc)), objects)
    with pytest.raises(ValueError, match="dataset_datasetType"):
        spdx.JSONLDSerializer().write(objects, io.BytesIO())


def test_sarif_and_markdown_for_the_lineage_case(lineage_report):
    import jsonschema

    sarif = json.loads(render(lineage_report, "sarif"))
    jsonschema.Draft4Validator(json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))) \
        .validate(sarif)
    texts = [r["message"]["text"] for r in sarif["runs"][0]["results"] if r["properties"]["model"] == "llama-distill"]
    assert any("user-cap" in t and f"inherited from {BASE}" in t for t in texts)
    md = render(lineage_report, "markdown")
    row = next(line for line in md.splitlines() if line.startswith("| `llama-distill`"))
    assert "Llama 3.1 Community License Agreement" in row and "declares `mit`" in row
