"""Stage 5: place a model on the spectrum from its components (SPEC §1).

closed-api for a model used through a hosted API (even one whose weights are also published);
fully-open ONLY when weights, training code and training data are all open; open-weights when the
weights can be downloaded (openly licensed or restricted);
otherwise unknown, saying what is missing. A derivative's training code and data are those of its
own training AND of its base (a fine-tune of Llama is not fully-open however open its tuning data);
a quantization's are its base's. Third-party ratings (MOT, OSAI) are shown, never used to decide.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openscope.card.components import CORE, EXTRA, ComponentView, decide_all, gather, weaker
from openscope.types import LicenseAssessment, ModelFacts


@dataclass
class Placement:
    spectrum: str
    confidence: float
    components: dict[str, str]
    reasons: list[str] = field(default_factory=list)
    evidence: dict[str, list[str]] = field(default_factory=dict)
    views: dict[str, ComponentView] = field(default_factory=dict)


def _api_placement(facts: ModelFacts) -> Placement:
    """A name reached through a hosted API is that API, under its provider's terms, even when the same
    model's weights are published: the report names that Hub repository as the alternative
    (`alternatives`), and the Hub id itself is placed on its own facts."""
    why = f"{facts.ref.raw} is used through {facts.api.provider_name}'s hosted API, under its terms"
    repo = facts.api.weights_repo
    if repo:
        why += (f"; the same model's weights are published on the Hub as {repo} (open weights under that "
                "repository's license, if you host them yourself)")
    comps = {c: "closed" for c in CORE}
    return Placement("closed-api", 1.0, comps, [why], {"weights": [why]},
                     {c: ComponentView("closed", 1.0, [why]) for c in CORE})


def _with_bases(views: dict[str, ComponentView], lineage, relation: str) -> None:
    """Fold the bases' training code and data into a derivative's own."""
    bases = [b for b in lineage.bases if b.relation != "governed"] if lineage else []
    unresolved = lineage is not None and any(
        link.relation != "governed" for link in lineage.links) and not bases
    if relation == "none" or (not bases and not unresolved):
        return
    for comp in ("training_code", "training_data"):
        own = views[comp]
        if unresolved:
            status = weaker(own.status, "unknown")
            views[comp] = ComponentView(status, own.strength, own.reasons + ["base model not assessed"])
            continue
        base_status, base_strength, base_reasons = "open", 1.0, []
        for b in bases:
            st, strength, reasons = b.components.get(comp, ("unknown", 0.0, []))
            if weaker(st, base_status) == st:
                base_status, base_strength = st, strength
            base_reasons += [f"base {b.id}: {st}" + (f" ({reasons[0]})" if reasons else "")]
        if relation == "quantized":
            # A quantization adds no training of its own: the base's release decides.
            if base_status != "unknown" or own.status == "unknown":
                views[comp] = ComponentView(base_status, base_strength, base_reasons + own.reasons)
            continue
        status = weaker(own.status, base_status)
        strength = min(own.strength or base_strength, base_strength) if status == base_status else own.strength
        views[comp] = ComponentView(status, strength, own.reasons + base_reasons)
    for comp in EXTRA:
        if views[comp].status == "unknown" and relation == "quantized" and bases:
            st, strength, reasons = bases[0].components.get(comp, ("unknown", 0.0, []))
            views[comp] = ComponentView(st, strength, [f"base {bases[0].id}: {r}" for r in reasons[:1]])


def _rating_notes(ratings: dict) -> list[str]:
    notes = []
    if ratings.get("mof_class") is not None:
        label = {0: "unclassified", 1: "Class I (open science)", 2: "Class II (open tooling)", 3: "Class III (open model)"}
        notes.append(f"Model Openness Tool rates it MOF {label.get(ratings['mof_class'], ratings['mof_class'])}"
                     " (supporting evidence; not used to decide)")
    if ratings.get("osai_score") is not None:
        notes.append(f"European Open Source AI Index openness score {ratings['osai_score']}"
                     " (supporting evidence; not used to decide)")
    return notes


def place(facts: ModelFacts, lic: LicenseAssessment, catalog, lineage=None, findings=None) -> Placement:
    """`findings`: `gather(facts, catalog)` when the caller has already read the card (bulk)."""
    if facts.kind == "api":
        return _api_placement(facts)
    if findings is None:
        findings = gather(facts, catalog)
    views = decide_all(findings, (*CORE, *EXTRA))
    if views["weights"].status == "unknown" and lineage is not None and (lineage.links or lineage.own):
        # A card that names its base or its license describes a published model repository.
        what = f"derives from {lineage.links[0].ref or lineage.links[0].family}" if lineage.links \
            else f"declares {lineage.own.key} in its text"
        views["weights"] = ComponentView("open", 0.6, [f"the card {what}; weights assumed published with it"])
    relation = lineage.relation if lineage is not None else "none"
    _with_bases(views, lineage, relation)

    effective = lineage.effective if lineage is not None else lic.entry
    osi_open = lineage.osi_open if lineage is not None else lic.osi_open
    license_name = effective.key if effective is not None else (lic.info.name if lic.info else None)
    reasons: list[str] = []
    weights = views["weights"]
    if weights.status == "open":
        if osi_open:
            status = "open"
            reasons.append(f"weights downloadable under {license_name}, an open license")
        else:
            status = "restricted"
            reasons.append(f"weights downloadable under {license_name}, which restricts use" if license_name
                           else "weights downloadable, but no license was identified (not open by default)")
        views["weights"] = ComponentView(status, weights.strength, weights.reasons)
    components = {c: v.status for c, v in views.items()}
    evidence = {c: v.reasons for c, v in views.items() if v.reasons}
    reasons += _rating_notes(facts.ratings or {})

    if weights.status == "closed":
        return Placement("closed-api", round(weights.strength, 2), components,
                         ["the weights are not released: " + weights.reasons[0]] + reasons, evidence, views)
    if weights.status == "unknown":
        missing = ["no evidence that the weights can be downloaded (no weight files, registry facts or model card)"]
        return Placement("unknown", 0.0, components, missing + reasons, evidence, views)
    core = [views[c] for c in CORE]
    if all(v.status == "open" for v in core):
        confidence = min(v.strength for v in core)
        why = "weights, training code and training data are all open"
        if any(v.strength < 0.8 for v in core):
            why += " (part of this rests on card metadata only, e.g. dataset licenses not verified)"
        return Placement("fully-open", round(confidence, 2), components, [why] + reasons, evidence, views)
    missing = [f"{c.replace('_', ' ')}: {views[c].status}" for c in ("training_code", "training_data")
               if views[c].status != "open"]
    confidence = weights.strength * (1.0 if effective is not None else 0.8)
    reasons.append("not fully-open because " + "; ".join(missing))
    return Placement("open-weights", round(confidence, 2), components, reasons, evidence, views)
