"""Stages 3 to 5 for one model whose facts are known: license, lineage, spectrum, conditions.

    assessor = Assessor(catalog, fetch_base)      # one per run
    report = assessor.assess(facts)               # -> ModelReport

A model's bases are assessed the same way, up the chain. Their facts come from `fetch_base`, which the
driver passes in (api.py binds it to the fact resolver): this stage never fetches by itself. Every
base is fetched and assessed once per run, and its facts are kept, so that conditions decided on a
base (an EU carve-out for multimodal models) read the facts lineage already has.
"""

from __future__ import annotations

from collections.abc import Callable

from openscope.assess.licensing import (
    apply_conditions,
    assess_license,
    catalog_flags,
    license_info,
    osi_open_of,
)
from openscope.assess.lineage import BaseNode, Lineage, trace
from openscope.assess.spectrum import place
from openscope.card.links import BaseLink
from openscope.card.parse import as_list
from openscope.catalog import Catalog
from openscope.errors import ModelError
from openscope.types import DatasetInfo, LicenseInfo, ModelFacts, ModelReport, ReportWarning

FetchBase = Callable[[str], ModelFacts]  # a Hub id -> its facts; raises a ModelError


def effective_license(lineage: Lineage) -> LicenseInfo | None:
    """The license governing the weights: the model's own, or a base's binding terms (`lineage`)."""
    if lineage.effective_origin is None or lineage.effective is None:
        return lineage.license_info
    own = lineage.license_info
    return license_info(lineage.effective, "lineage", own.confidence if own is not None else 1.0)


def license_status(facts: ModelFacts, lic, lineage: Lineage) -> dict:
    """`license_status` and its reason: whether the terms that govern the model were established.

    Unknown terms are a state of their own, never an empty list of flags: the policy's `unknown`
    setting decides what they mean for the gate."""
    if facts.api is not None:
        if lic.entry is None:
            return {"license_status": "unknown",
                    "license_status_reason": f"{facts.api.provider_name}'s API terms are not in openscope's catalog"}
        return {"license_status": "known"}
    if lic.unread:
        return {"license_status": "not-read",
                "license_status_reason": f"{', '.join(lic.unread)} not read: not in a language openscope reads, so "
                                         "its restrictions are unknown, not absent"}
    if lineage.unknown_terms:
        return {"license_status": "unknown", "license_status_reason": lineage.unknown_terms}
    if lic.unknown_names:
        return {"license_status": "unknown",
                "license_status_reason": f"lists {', '.join(map(repr, lic.unknown_names))}, which openscope does not "
                                         "know; its restrictions are unknown, not absent"}
    return {"license_status": "known"}


def _task(facts: ModelFacts) -> str | None:
    task = facts.card_data.get("pipeline_tag")
    return task.strip() if isinstance(task, str) and task.strip() else None


def datasets_of(facts: ModelFacts) -> list[DatasetInfo]:
    """The card's `datasets:` and the registry's training datasets, each once, in the order first named."""
    named = [*as_list(facts.card_data.get("datasets")), *as_list((facts.training.get("data") or {}).get("datasets"))]
    out: dict[str, DatasetInfo] = {}
    for ds in named:
        ds = str(ds).strip()
        if not ds or ds.lower() in out:
            continue
        card = facts.datasets.get(ds) or {}
        declared = as_list(card.get("license")) if isinstance(card, dict) else []
        out[ds.lower()] = DatasetInfo(ds, ", ".join(str(v) for v in declared) or None)
    return list(out.values())


class Assessor:
    def __init__(self, catalog: Catalog, fetch_base: FetchBase | None = None):
        self.catalog = catalog
        self.fetch_base = fetch_base
        self._bases: dict[str, BaseNode | str] = {}  # lower-case id -> assessed base, or why it failed
        self._facts: dict[str, ModelFacts] = {}  # lower-case id -> facts of every base fetched

    def assess(self, facts: ModelFacts) -> ModelReport:
        lic = assess_license(facts, self.catalog)
        lineage = self._trace(facts, lic, 0, frozenset())
        placement = place(facts, lic, self.catalog, lineage=lineage)
        flags, unmet = apply_conditions(lineage.flags, facts, self.catalog, self.base_facts)
        return ModelReport(
            ref=facts.ref.raw, id=facts.id, kind=facts.kind, provenance=facts.provenance,
            spectrum=placement.spectrum, confidence=placement.confidence, osi_open=lineage.osi_open,
            gated=facts.gated, license=lineage.license_info, flags=flags, components=placement.components,
            base_models=lineage.base_ids, warnings=[*facts.warnings, *lic.warnings, *lineage.warnings],
            reasons=lineage.reasons + placement.reasons + unmet, ratings=dict(facts.ratings),
            component_evidence=placement.evidence,
            effective_license=effective_license(lineage), effective_license_from=lineage.effective_origin,
            task=_task(facts), datasets=datasets_of(facts),
            **license_status(facts, lic, lineage), licenses=list(lic.listed),
            alternatives=[facts.api.weights_repo] if facts.api is not None and facts.api.weights_repo else [],
        )

    def base_facts(self, model_id: str) -> ModelFacts | None:
        """Facts of a base that lineage fetched during this run (None when it was not, or failed)."""
        return self._facts.get(model_id.lower())

    def _trace(self, facts: ModelFacts, lic, depth: int, seen: frozenset) -> Lineage:
        resolve = self._resolve_base if self.fetch_base is not None else None
        return trace(facts, lic, self.catalog, resolve, depth=depth, seen=seen)

    def _resolve_base(self, link: BaseLink, depth: int, seen: frozenset, out: Lineage,
                      facts: ModelFacts) -> BaseNode | None:
        """Fetch and assess the base `link` names (once per run); a failure is a warning on `out`."""
        key = link.ref.lower()
        cached = self._bases.get(key)
        if isinstance(cached, str):
            out.warnings.append(ReportWarning("base-unavailable", cached))
            return None
        if cached is not None:
            return BaseNode(**{**cached.__dict__, "relation": link.relation})
        try:
            base_facts = self.fetch_base(link.ref)
        except ModelError as exc:
            message = f"{facts.id}: base model {link.ref} could not be fetched ({exc})"
            if link.license_key:
                message += f"; assuming {link.family} terms ({link.license_key})"
            self._bases[key] = message
            out.warnings.append(ReportWarning("base-unavailable", message))
            return None
        except Exception as exc:  # a broken base must never sink the model that names it
            message = f"{facts.id}: base model {link.ref} could not be assessed ({type(exc).__name__}: {exc})"
            out.warnings.append(ReportWarning("base-unavailable", message))
            return None
        self._facts[key] = self._facts[base_facts.id.lower()] = base_facts
        base_lic = assess_license(base_facts, self.catalog)
        base_lineage = self._trace(base_facts, base_lic, depth, seen)
        placement = place(base_facts, base_lic, self.catalog, lineage=base_lineage)
        out.warnings.extend(w for w in base_lineage.warnings if w.code in ("lineage-cycle", "lineage-depth"))
        node = BaseNode(
            id=base_facts.id, relation=link.relation, license=base_lineage.effective,
            license_origin=base_lineage.effective_origin or base_facts.id, flags=base_lineage.flags,
            osi_open=base_lineage.osi_open,
            components={c: (v.status, v.strength, v.reasons) for c, v in placement.views.items()},
            chain=[base_facts.id] + [i for b in base_lineage.bases for i in b.chain],
        )
        if node.license is None and link.license_key:
            # Known model, unknown terms in the registry: the family's license stands in.
            entry = self.catalog.get(link.license_key)
            if entry is not None:
                node.license, node.flags = entry, catalog_flags(entry, self.catalog)
                node.osi_open = osi_open_of(entry, node.flags)
        self._bases[key] = node
        return node
