"""Catalog flags limited to some models (applies_to) are applied only where the model's facts say so."""

from openscope.assess.licensing import apply_conditions, catalog_flags, condition_met
from openscope.catalog import load_catalog
from openscope.types import ModelFacts, ModelRef


def facts(model_id, pipeline=None, tags=()):
    card = {"pipeline_tag": pipeline} if pipeline else {}
    return ModelFacts(ref=ModelRef(raw=model_id, kind="hub", id=model_id), id=model_id, kind="hub",
                      provenance="registry", card_data=card, tags=list(tags))


def test_condition_is_met_unmet_or_undecided():
    assert condition_met("multimodal", facts("acme/chat-7b", "text-generation")) is False
    assert condition_met("multimodal", facts("acme/chat-7b", "image-text-to-text")) is True
    assert condition_met("multimodal", facts("acme/Thing-11B-Vision")) is True
    assert condition_met("multimodal", facts("acme/Thing-VL-7B")) is True
    assert condition_met("multimodal", facts("acme/mystery")) is None


def test_eu_carve_out_of_llama_3_2_follows_modality():
    catalog = load_catalog()
    flags = catalog_flags(catalog.get("llama3.2"), catalog)
    assert "geographic" in {f.flag for f in flags}
    text_only, reasons = apply_conditions(flags, facts("acme/tiny", "text-generation"), catalog)
    assert "geographic" not in {f.flag for f in text_only} and reasons
    vision, _ = apply_conditions(flags, facts("acme/tiny", "image-text-to-text"), catalog)
    assert "geographic" in {f.flag for f in vision}
    unknown, _ = apply_conditions(flags, facts("acme/tiny"), catalog)
    assert "geographic" in {f.flag for f in unknown}, "an undecided condition must keep the restriction"
    # Unconditional flags are never touched.
    assert {f.flag for f in text_only} == {f.flag for f in flags} - {"geographic"}
