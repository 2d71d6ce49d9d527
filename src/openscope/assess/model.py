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
    catalog_obligations,
    license_info,
    osi_open_of,
)
from openscope.assess.lineage import BaseNode, Lineage, trace
from openscope.assess.spectrum import place
from openscope.card.links import BaseLink
from openscope.card.parse import as_list
from openscope.catalog import Catalog
from openscope.errors import ModelError
from openscope.types import (
    DATASET_SOURCE_KEY,
    DatasetInfo,
    Evidence,
    LicenseInfo,
    ModelFacts,
    ModelReport,
    ObligationFinding,
    ReportWarning,
    TermsFile,
)
from openscope.vocabulary import merge_obligations

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


def datasets_of(facts: ModelFacts, catalog: Catalog | None = None) -> list[DatasetInfo]:
    """The datasets the card names (`datasets:`, Hub dataset links in its body) and the registry's training
    datasets, each once, with the license each one's own card declares (when openscope read it), the catalog
    key of that license and the flags it carries."""
    from openscope.card.parse import named_datasets

    cards = {k.lower(): v for k, v in facts.datasets.items()}
    out: list[DatasetInfo] = []
    for ds in named_datasets(facts.card_data, facts.card_body, facts.training):
        card = cards.get(ds.lower())
        card = card if isinstance(card, dict) else {}
        declared = as_list(card.get("license"))
        info = DatasetInfo(ds, ", ".join(str(v) for v in declared) or None)
        if declared:
            info.license_source = card.get(DATASET_SOURCE_KEY) or facts.provenance
        entry = next((e for e in (catalog.lookup(v) for v in declared) if e is not None), None) if catalog else None
        if entry is not None:
            info.license_id = entry.key
            info.flags = [f.flag for f in catalog_flags(entry, catalog)]
        out.append(info)
    return out


def dataset_findings(facts: ModelFacts, datasets: list[DatasetInfo], flags: list,
                     license_info_: LicenseInfo | None) -> tuple[list[str], list[ReportWarning]]:
    """What the datasets' terms say under `training_data` (one evidence line each), and a warning for a
    non-commercial dataset under a model whose own terms allow commercial use."""
    lines, warnings = [], []
    model_allows_commerce = license_info_ is not None and license_info_.id is not None and \
        not any(f.flag == "non-commercial" for f in flags)
    for ds in datasets:
        if ds.license is None:
            continue
        where = {"hub": " (its Hub card)", "registry": " (openscope's registry)"}.get(ds.license_source or "", "")
        lines.append(f"dataset {ds.id}: {ds.license}{where}" + (f"; flags {', '.join(ds.flags)}" if ds.flags else ""))
        if model_allows_commerce and "non-commercial" in ds.flags:
            warnings.append(ReportWarning(
                "dataset-non-commercial",
                f"{facts.id}: trained on {ds.id}, whose license ({ds.license}) forbids commercial use, while the "
                f"model's own terms ({license_info_.id}) allow it; check whether the dataset's terms reach the model"))
    return lines, warnings


GATED_EVIDENCE = "the Hub asks every user to accept the model's terms before it serves the files"


def obligations_of(facts: ModelFacts, lineage: Lineage) -> list[ObligationFinding]:
    """What the governing terms oblige (own and bases'), and accepting them first when the Hub gates the files."""
    out = list(lineage.obligations)
    if facts.gated and facts.kind == "hub" and not any(o.obligation == "accept-terms-before-use" for o in out):
        where = "hub" if facts.provenance in ("hub", "cache") else "registry"
        out.append(ObligationFinding("accept-terms-before-use", source="facts",
                                     evidence=[Evidence(f"{where}:gated", None, GATED_EVIDENCE)]))
    return merge_obligations(out)


def terms_files(facts: ModelFacts) -> list[TermsFile]:
    """Each terms file read for the model, by digest: drift (`openscope diff`) tells a changed LICENSE by it."""
    import hashlib

    return [TermsFile(d.name, hashlib.sha256(d.text.encode("utf-8")).hexdigest()) for d in facts.documents]


def model_report(facts: ModelFacts, lic, lineage: Lineage, placement, flags: list, unmet: list[str],
                 catalog: Catalog) -> ModelReport:
    """The report of one model from its stages' results: the one place a ModelReport is put together
    (the Assessor and `openscope bulk`, which computes the same stages its own way)."""
    datasets = datasets_of(facts, catalog)
    governing = effective_license(lineage)
    data_lines, data_warnings = dataset_findings(facts, datasets, flags, governing)
    if data_lines:
        placement.evidence.setdefault("training_data", []).extend(data_lines)
    return ModelReport(
        ref=facts.ref.raw, id=facts.id, kind=facts.kind, provenance=facts.provenance,
        spectrum=placement.spectrum, confidence=placement.confidence, osi_open=lineage.osi_open,
        gated=facts.gated, license=lineage.license_info, flags=flags, components=placement.components,
        base_models=lineage.base_ids,
        warnings=[*facts.warnings, *lic.warnings, *lineage.warnings, *data_warnings],
        reasons=lineage.reasons + placement.reasons + unmet, ratings=dict(facts.ratings),
        component_evidence=placement.evidence,
        effective_license=governing, effective_license_from=lineage.effective_origin,
        task=_task(facts), datasets=datasets,
        obligations=obligations_of(facts, lineage), revision=facts.sha or facts.ref.revision,
        terms_files=terms_files(facts),
        **license_status(facts, lic, lineage), licenses=list(lic.listed),
        alternatives=[facts.api.weights_repo] if facts.api is not None and facts.api.weights_repo else [],
    )


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
        return model_report(facts, lic, lineage, placement, flags, unmet, self.catalog)

    def base_node(self, model_id: str) -> BaseNode | None:
        """What lineage resolved for a base during this run (None when it was not, or failed)."""
        node = self._bases.get(model_id.lower())
        return node if isinstance(node, BaseNode) else None

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
            obligations=list(base_lineage.obligations),
        )
        if node.license is None and link.license_key:
            # Known model, unknown terms in the registry: the family's license stands in.
            entry = self.catalog.get(link.license_key)
            if entry is not None:
                node.license, node.flags = entry, catalog_flags(entry, self.catalog)
                node.osi_open = osi_open_of(entry, node.flags)
                node.obligations = catalog_obligations(entry, self.catalog)
        self._bases[key] = node
        return node
