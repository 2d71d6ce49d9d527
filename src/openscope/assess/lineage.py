"""Lineage: what a model's bases pass down to it, and which license really governs its weights.

The links come from the card (`card/links.py`). Each base named by a Hub id is resolved through the
`resolve_base` callback the caller passes in (assess/model.py: it fetches the base's facts through
the driver and assesses the base the same way, up the chain); this module never fetches. Cycles and
a depth limit are checked here. A base whose license binds derivatives passes its flags down
(`inherited_from` names it), and a declared license that contradicts it raises `license-conflict`.
A base that cannot be resolved gives a warning, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from openscope.assess.licensing import (
    PLACEHOLDER_LICENSES,
    catalog_flags,
    catalog_obligations,
    license_info,
    merge_flags,
    osi_open_of,
)
from openscope.card.links import BaseLink, card_base_links, relation_of
from openscope.card.rules import lineage_rules
from openscope.catalog import Catalog
from openscope.types import (
    CatalogLicense,
    FlagFinding,
    LicenseAssessment,
    LicenseInfo,
    ModelFacts,
    ObligationFinding,
    ReportWarning,
)

MAX_DEPTH = 6


@dataclass
class BaseNode:
    """What one resolved base passes down."""

    id: str
    relation: str
    license: CatalogLicense | None  # its effective license
    license_origin: str | None  # the model whose license that is (the base itself or one further up)
    flags: list[FlagFinding]
    osi_open: bool | None
    components: dict[str, tuple[str, float, list[str]]] = field(default_factory=dict)
    chain: list[str] = field(default_factory=list)
    obligations: list[ObligationFinding] = field(default_factory=list)  # its own and what it inherited
    guessed: bool = False  # inferred from a name: may pass restrictions down, never make a model look open


@dataclass
class Lineage:
    relation: str = "none"
    links: list[BaseLink] = field(default_factory=list)
    bases: list[BaseNode] = field(default_factory=list)
    license_info: LicenseInfo | None = None  # the model's own license as reported (may come from the body)
    own: CatalogLicense | None = None
    effective: CatalogLicense | None = None  # governs the weights after inheritance
    effective_origin: str | None = None  # None: the model's own license
    flags: list[FlagFinding] = field(default_factory=list)  # own + inherited
    obligations: list[ObligationFinding] = field(default_factory=list)  # own + inherited from every known base
    osi_open: bool | None = None
    conflict: bool = False
    warnings: list[ReportWarning] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    unknown_terms: str | None = None  # why the terms governing the model could not be established

    @property
    def base_ids(self) -> list[str]:
        return [b.id for b in self.bases if b.relation != "governed"]


# (link, depth of the base, models already in the chain, the lineage being built, the model) -> the base
ResolveBase = Callable[[BaseLink, int, frozenset, "Lineage", ModelFacts], "BaseNode | None"]


def same_terms(a: CatalogLicense, b: CatalogLicense) -> bool:
    """Whether declaring `a` over weights bound by `b` states their terms (cardrules/lineage.yaml
    `compatible_terms`): the same license, or a pair that does not contradict each other."""
    if a.key == b.key:
        return True
    rules = lineage_rules().get("compatible_terms") or {}
    if a.family is not None and a.family == b.family and a.family in rules.get("families", []):
        return True
    return any(a.key in group and b.key in group for group in rules.get("keys", []))


def trace(facts: ModelFacts, lic: LicenseAssessment, catalog: Catalog, resolve_base: ResolveBase | None = None, *,
          depth: int = 0, seen: frozenset = frozenset(), links=None) -> Lineage:
    """Follow the model's bases and work out the license that really governs its weights.

    Without `resolve_base`, bases named by id are not followed (only family names stand in).
    `links`: `card_base_links(facts)` when the caller has already read them (bulk reads each card once)."""
    out = Lineage(relation=relation_of(facts), license_info=lic.info, own=lic.entry, osi_open=lic.osi_open)
    own_flags = list(lic.flags)
    out.obligations = list(lic.obligations)
    if facts.kind == "api":
        out.flags = own_flags
        return out
    if lic.entry is None:
        # Nothing catalogued in the front matter (none, `other`, an unknown name): read what the card states.
        from openscope.card.terms import stated_license

        entry, line = stated_license(facts.card_body, facts.card_data, catalog)
        if entry is not None:
            out.own = entry
            out.license_info = license_info(entry, "declared", 0.8)
            own_flags = merge_flags(own_flags, catalog_flags(entry, catalog))
            out.obligations = out.obligations or catalog_obligations(entry, catalog)
            out.osi_open = osi_open_of(entry, own_flags)
            out.reasons.append(f'license read from the card: "{line[:120]}"')

    # A name is a guess worth making for the card audited, not for models whose facts were recorded
    # (a base, or a registry entry: the curated facts name a base where one is known).
    if links is None:
        links = card_base_links(facts, guess_from_name=depth == 0 and facts.provenance != "registry")
    links, warnings = links
    out.links, out.warnings = list(links), list(warnings)
    if not links:
        out.relation = "none"
    seen = seen | {facts.id.lower()}
    settled_statement = None  # body statements are tried in order until one names a known base
    for link in links:
        from_body = link.source == "card body" and link.relation != "governed"
        if from_body and settled_statement is not None and link.statement != settled_statement:
            continue
        node = _resolve_link(link, facts, catalog, resolve_base, out, depth, seen)
        if node is not None:
            out.bases.append(node)
            if from_body and node.license is not None:
                settled_statement = link.statement
    _inherit(out, own_flags, facts)
    _say_unknown_terms(out, lic, facts)
    return out


def _say_unknown_terms(out: Lineage, lic: LicenseAssessment, facts: ModelFacts) -> None:
    """Terms nobody could read must never look like no restrictions: say so (`license-unknown`).

    A license file that was read speaks for itself (the text reader's flags and warnings)."""
    if any(d.name.upper().startswith(("LICENSE", "LICENCE")) for d in facts.documents):
        return
    named = [d for d in lic.declared if d.strip().lower() not in PLACEHOLDER_LICENSES]
    name = facts.card_data.get("license_name")
    summary = (f"only the terms the card states in its own words were read "
               f"({', '.join(repr(h) for h in lic.terms_from_card)}); any others are unknown, not absent"
               if lic.terms_from_card else None)
    if out.own is None and (named or isinstance(name, str) and name.strip()):
        what = ", ".join(named) or str(name)
        tail = (f"only the terms of {out.effective_origin} ({out.effective.key}) are known"
                if out.effective is not None else "its restrictions are unknown, not absent")
        out.unknown_terms = (f"declares the license {what!r}, which openscope does not know; {summary}" if summary
                             else f"declares the license {what!r}, which openscope does not know, and the card "
                                  f"states no terms it can read; {tail}")
    elif out.effective is None:
        declared = f"declares {lic.declared[0]!r} but names no license" if lic.declared else "declares no license"
        out.unknown_terms = (f"{declared} and no base gives one; {summary}" if summary
                             else f"{declared}, the card states none and no base gives one; "
                                  "its restrictions are unknown, not absent")
    else:
        return
    out.warnings.append(ReportWarning("license-unknown", f"{facts.id}: {out.unknown_terms}"))


def _resolve_link(link: BaseLink, facts: ModelFacts, catalog: Catalog, resolve_base: ResolveBase | None,
                  out: Lineage, depth: int, seen: frozenset) -> BaseNode | None:
    if link.ref is not None and resolve_base is not None:
        if link.ref.lower() in seen:
            out.warnings.append(ReportWarning("lineage-cycle", f"{facts.id}: base {link.ref} is already in the chain "
                                              f"({' -> '.join(sorted(seen))}); not followed again"))
            return None
        if depth + 1 > MAX_DEPTH:
            out.warnings.append(ReportWarning("lineage-depth", f"{facts.id}: lineage deeper than {MAX_DEPTH} levels; "
                                              f"{link.ref} not followed"))
            return None
        node = resolve_base(link, depth + 1, seen, out, facts)
        if node is not None:
            return replace(node, guessed=link.guessed)
        for alternate in link.alternates:
            if alternate.lower() in seen:
                continue
            node = resolve_base(replace(link, ref=alternate, alternates=()), depth + 1, seen, out, facts)
            if node is not None:
                out.warnings.append(ReportWarning(
                    "base-model-guessed", f"{facts.id}: base {link.ref} could not be fetched; followed the model it "
                                          f"re-uploads, {alternate} (guessed from the name)"))
                return replace(node, guessed=True)
        for upstream in link.upstream:
            if upstream.lower() in seen or upstream.lower() == link.ref.lower():
                continue
            node = resolve_base(replace(link, ref=upstream, alternates=(), upstream=()), depth + 1, seen, out, facts)
            if node is not None:
                out.warnings.append(ReportWarning(
                    "base-model-guessed", f"{facts.id}: base {link.ref} could not be fetched; followed {upstream}, "
                                          f"which the card body names as what it was made from"))
                return replace(node, guessed=link.guessed)
    if link.license_key is None:
        return None
    guessed = link.guessed or (link.ref is not None and link.source in ("base_model", "tags"))
    if guessed and link.source != "model name":
        out.warnings.append(ReportWarning(
            "base-model-guessed", f"{facts.id}: terms of base {link.ref} assumed from the {link.family} family its "
                                  f"name carries ({link.license_key})"))
    entry = catalog.get(link.license_key) or catalog.lookup(link.license_key)
    if entry is None:
        out.warnings.append(ReportWarning("base-license-unknown", f"{facts.id}: {link.family or link.license_key} "
                                          f"terms ({link.license_key}) are not in the license catalog"))
        return None
    origin = link.ref or link.family or entry.key
    flags = catalog_flags(entry, catalog)
    return BaseNode(origin, link.relation, entry, origin, flags, osi_open_of(entry, flags), chain=[origin],
                    obligations=catalog_obligations(entry, catalog), guessed=guessed)


def _inherit(out: Lineage, own_flags: list[FlagFinding], facts: ModelFacts) -> None:
    own = out.own
    flags = list(own_flags)
    have = {f.flag for f in flags}
    out.effective = own
    for node in out.bases:
        _inherit_obligations(out, node)
        base_lic = node.license
        if base_lic is None:
            if node.relation != "governed":
                out.warnings.append(ReportWarning("base-license-unknown",
                                                  f"{facts.id}: the license of base {node.id} is not known"))
            continue
        if not base_lic.binds_derivatives:
            if own is None and out.effective is None and not node.guessed:
                out.effective, out.effective_origin, out.osi_open = base_lic, node.license_origin, node.osi_open
                out.reasons.append(f"no license declared: the weights follow base {node.id} ({base_lic.key})")
            continue
        for f in node.flags:
            if f.flag in have:
                continue
            have.add(f.flag)
            flags.append(FlagFinding(f.flag, dict(f.thresholds), f.source, f.inherited_from or node.license_origin,
                                     list(f.evidence)))
        if own is not None and same_terms(own, base_lic):
            continue
        out.effective, out.effective_origin, out.osi_open = base_lic, node.license_origin, False
        if own is not None and own.key.lower() not in PLACEHOLDER_LICENSES:
            out.conflict = True
            how = (f"the card says {node.license_origin} terms ({base_lic.key}) also govern it"
                   if node.relation == "governed" else
                   f"derives from {node.license_origin}, whose {base_lic.name} binds derivatives")
            out.warnings.append(ReportWarning(
                "license-conflict", f"{facts.id}: declares {own.key} but {how}; those terms still govern the weights",
            ))
        out.reasons.append(f"{base_lic.key} terms of {node.license_origin} bind this derivative ({node.relation})")
    out.flags = flags


def _inherit_obligations(out: Lineage, node: BaseNode) -> None:
    """A base's obligations reach the model made from it, whatever its license: a fine-tune of an Apache-2.0
    model still ships that license and its NOTICE, one of Llama 3.1 still says "Built with Llama". They stay
    findings of their own (`inherited_from`), since they come from another license; the same terms reached
    twice (the model's own license is the base's) are one."""
    own = {(o.obligation, o.value) for o in out.obligations if o.inherited_from is None}
    same_license = out.own is not None and node.license is not None and out.own.key == node.license.key
    have = {(o.obligation, o.value, o.inherited_from) for o in out.obligations}
    for o in node.obligations:
        origin = o.inherited_from or node.license_origin or node.id
        if (same_license and o.inherited_from is None and (o.obligation, o.value) in own) \
                or (o.obligation, o.value, origin) in have:
            continue
        have.add((o.obligation, o.value, origin))
        out.obligations.append(ObligationFinding(o.obligation, o.value, dict(o.thresholds), o.source, origin,
                                                 list(o.evidence)))
