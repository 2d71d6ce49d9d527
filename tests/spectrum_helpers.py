"""Small cards, a small catalog and an in-memory resolver for the spectrum and lineage tests.

The catalog here is our own miniature (keys match the Hub ids the family table uses) so these tests do
not move when the real catalog grows.
"""

from __future__ import annotations

from openscope.card.parse import parse_card
from openscope.catalog import Catalog
from openscope.errors import ModelNotFoundError
from openscope.types import CatalogFlag, CatalogLicense, ModelFacts, ModelRef


def _lic(key, osi, binds=False, family=None, flags=(), url=None, aliases=()):
    return CatalogLicense(key=key, name=f"{key} terms", kind="license", osi_open=osi, family=family, hf_ids=(key,),
                          binds_derivatives=binds, url=url, aliases=tuple(aliases),
                          flags=tuple(CatalogFlag(f, "1", f"{key} says {f}", dict(th)) for f, th in flags))


LLAMA_FLAGS = [("user-cap", {"users": 700000000}), ("use-restrictions", {}), ("competitor-ban", {})]


def small_catalog() -> Catalog:
    return Catalog([
        _lic("apache-2.0", True, aliases=["Apache 2.0"]),
        _lic("mit", True),
        _lic("llama2", False, binds=True, family="llama", flags=LLAMA_FLAGS),
        _lic("llama3", False, binds=True, family="llama", flags=LLAMA_FLAGS[:2] + [("naming", {})]),
        _lic("gemma", False, binds=True, family="gemma", flags=[("use-restrictions", {}), ("licensor-control", {})]),
        _lic("cc-by-nc-4.0", False, binds=True, family="cc", flags=[("non-commercial", {}), ("attribution", {})]),
    ])


def card_facts(text: str, model_id: str = "someone/test-model", **extra) -> ModelFacts:
    """Facts for a card given as text, as a local card file would give them."""
    card = parse_card(text)
    return ModelFacts(ref=ModelRef(raw=model_id, kind="local", id=model_id), id=model_id, kind="local",
                      provenance="local", card_data=card.data, card_body=card.body, front_matter=card.front_matter,
                      siblings=extra.pop("siblings", []), **extra)


def hub_facts(model_id: str, license: str | None = None, base_model=None, *, weights: bool = True,
              training: dict | None = None, card_data: dict | None = None, **extra) -> ModelFacts:
    """Facts for a Hub model as the registry would give them."""
    data = dict(card_data or {})
    if license:
        data["license"] = license
    if base_model:
        data["base_model"] = base_model
    siblings = ["config.json", "model.safetensors"] if weights else []
    return ModelFacts(ref=ModelRef(raw=model_id, kind="hub", id=model_id), id=model_id, kind="hub",
                      provenance="registry", card_data=data, siblings=siblings, training=training or {}, **extra)


class DictResolver:
    """Answers fetch() from a dict of facts; anything else is not found (like an offline registry)."""

    def __init__(self, *models: ModelFacts):
        self.models = {m.id.lower(): m for m in models}
        self.fetched: list[str] = []

    def fetch(self, ref):
        self.fetched.append(ref.id)
        facts = self.models.get(ref.id.lower())
        if facts is None:
            raise ModelNotFoundError(ref.raw, f"{ref.raw}: not in the test registry")
        return facts


def assess(facts: ModelFacts, catalog: Catalog, resolver):
    from openscope.api import assess_facts

    return assess_facts(facts, catalog, resolver)


def warning_codes(report) -> list[str]:
    return [w.code for w in report.warnings]


OPEN_TRAINING = {"code": {"license": "apache-2.0", "url": "https://github.com/example/train"},
                 "data": {"license": "apache-2.0", "datasets": ["example/corpus"]}}
