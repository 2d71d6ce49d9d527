"""Stages 3-4 at model level: which license governs the model, and which restrictions it carries.

Sources, by precedence: the texts that govern the model (LICENSE, USE_POLICY.md ...) read by the
analysis; then catalog facts for the declared license when no text is at hand (registry models,
closed-API terms). Catalog facts may confirm an identification, never override what a text says.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Callable

from openscope.card.parse import as_list
from openscope.catalog import Catalog
from openscope.types import (
    CatalogLicense,
    Evidence,
    FlagFinding,
    LicenseAssessment,
    LicenseInfo,
    ModelFacts,
    ObligationFinding,
    ReportWarning,
)
from openscope.vocabulary import merge_obligations

PLACEHOLDER_LICENSES = {"", "other", "unknown", "license", "none", "n/a", "custom"}


def license_info(entry: CatalogLicense, identified_by: str, confidence: float) -> LicenseInfo:
    """The report's `license` for a catalogued license (one place, so every field is always filled)."""
    return LicenseInfo(entry.key, entry.name, identified_by, confidence, entry.url, entry.spdx)


def declared_licenses(card_data: dict) -> list[str]:
    values = as_list(card_data.get("license"))
    if not values:
        # The misspelt key counts only with a real value: TRL writes the placeholder `licence: license`.
        values = [v for v in as_list(card_data.get("licence")) if v.strip().lower() not in PLACEHOLDER_LICENSES]
    return [v for v in values if v.strip().lower() not in PLACEHOLDER_LICENSES] or values


def catalog_flags(entry: CatalogLicense, catalog: Catalog, *, file_label: str | None = None) -> list[FlagFinding]:
    """Flags known from the catalog for a license and the documents it incorporates (no text at hand)."""
    out: dict[str, FlagFinding] = {}
    for doc in (entry, *catalog.incorporated(entry)):
        for cf in doc.flags:
            ev = Evidence(file=file_label or f"catalog:{doc.key}", section=cf.section, quote=cf.summary)
            if cf.flag in out:
                out[cf.flag].evidence.append(ev)
                continue
            out[cf.flag] = FlagFinding(flag=cf.flag, thresholds=dict(cf.thresholds), source="catalog", evidence=[ev])
    return list(out.values())


def catalog_obligations(entry: CatalogLicense, catalog: Catalog, *, file_label: str | None = None
                        ) -> list[ObligationFinding]:
    """Obligations known from the catalog for a license and what it incorporates (no text at hand)."""
    found = []
    for doc in (entry, *catalog.incorporated(entry)):
        for co in doc.obligations:
            ev = Evidence(file=file_label or f"catalog:{doc.key}", section=co.section, quote=co.summary)
            found.append(ObligationFinding(co.obligation, co.value, dict(co.thresholds), "catalog", evidence=[ev]))
    return merge_obligations(found)


def same_terms(a: CatalogLicense, b: CatalogLicense) -> bool:
    """Whether a license file reading as `a` agrees with a declared `b`: one key or one catalog family.
    A license known only from the LicenseDB has no family: it agrees unless its openness differs."""
    if a.key == b.key:
        return True
    if a.catalogued and b.catalogued:
        return a.family == b.family
    return a.osi_open is None or b.osi_open is None or a.osi_open == b.osi_open


def osi_open_of(entry: CatalogLicense | None, flags: list[FlagFinding]) -> bool | None:
    """SPEC osi_open for weights under `entry` carrying `flags`: null when unknown; a rider or an
    incorporated policy that restricts use (anything beyond attribution) makes an open license not open."""
    if entry is None or entry.osi_open is None:
        return None
    return bool(entry.osi_open) and not any(f.flag != "attribution" for f in flags)


def merge_flags(*groups: list[FlagFinding]) -> list[FlagFinding]:
    """Union of flags; evidence of the same flag is pooled, thresholds of the first finding kept."""
    merged: dict[str, FlagFinding] = {}
    for group in groups:
        for f in group:
            if f.flag not in merged:
                merged[f.flag] = FlagFinding(f.flag, dict(f.thresholds), f.source, f.inherited_from, list(f.evidence))
            else:
                m = merged[f.flag]
                m.evidence.extend(e for e in f.evidence if e not in m.evidence)
                for k, v in f.thresholds.items():
                    m.thresholds.setdefault(k, v)
    return list(merged.values())


def assess_license(facts: ModelFacts, catalog: Catalog, analyze=None) -> LicenseAssessment:
    """`analyze`: what reads a text (default `license.analyze_text`); bulk passes one that reads each
    distinct text once."""
    if facts.api is not None:
        entry = catalog.get(facts.api.terms_license) if facts.api.terms_license else None
        info = LicenseInfo(
            id=entry.key if entry else None, name=entry.name if entry else f"{facts.api.provider_name} terms",
            identified_by="registry", confidence=1.0 if entry else 0.5, url=facts.api.terms_url,
            spdx=entry.spdx if entry else None,
        )
        flags = catalog_flags(entry, catalog, file_label=facts.api.terms_url) if entry else []
        obligations = catalog_obligations(entry, catalog, file_label=facts.api.terms_url) if entry else []
        return LicenseAssessment(info=info, entry=entry, osi_open=False, flags=flags, obligations=obligations)

    if analyze is None:
        from openscope.license import analyze_text as analyze
    warnings: list[ReportWarning] = []
    declared = declared_licenses(facts.card_data)
    named = [v for v in declared if v.strip().lower() not in PLACEHOLDER_LICENSES]
    listed_entries: list[CatalogLicense] = []  # each listed license the catalog knows, once, in card order
    unknown_names: list[str] = []
    for value in declared:
        found = catalog.lookup(value)
        if found is not None and found not in listed_entries:
            listed_entries.append(found)
        elif found is None and value in named:
            unknown_names.append(value)
    declared_entry = listed_entries[0] if listed_entries else None
    if declared_entry is None and facts.card_data.get("license_name"):
        declared_entry = catalog.lookup(str(facts.card_data["license_name"]))
    several = len(named) > 1

    text_entry = None
    text_confidence = 0.0
    text_flags: list[FlagFinding] = []
    text_obligations: list[ObligationFinding] = []
    analysed_kinds: set[str] = set()
    analysed_keys: set[str] = set()
    unread: list[str] = []
    for doc in facts.documents:
        analysis = analyze(doc.text, doc.name)
        text_flags = merge_flags(text_flags, analysis.flags)
        text_obligations = merge_obligations(text_obligations, analysis.obligations)
        warnings.extend(analysis.warnings)
        if not analysis.readable:
            unread.append(doc.name)  # the reader's text-not-english warning says why
        ident = analysis.identification
        if ident and ident.key:
            entry = catalog.known(ident.key)  # catalogued, or a LicenseDB license (facts, no flags)
            if entry is not None:
                analysed_kinds.add(entry.kind)
                analysed_keys.add(entry.key)
                if entry.kind == "license" and text_entry is None:
                    # A modified text already carries the reader's license-modified warning.
                    text_entry, text_confidence = entry, ident.confidence

    if text_entry and declared_entry and not same_terms(text_entry, declared_entry) and not (
            several and text_entry in listed_entries):
        warnings.append(ReportWarning(
            "license-conflict",
            f"card declares {declared_entry.key} but its license file reads as {text_entry.key}",
        ))

    entry = text_entry or declared_entry
    if text_entry:
        info = license_info(text_entry, "text", round(text_confidence, 3))
    elif declared_entry:
        info = license_info(declared_entry, "declared", 1.0)
    elif declared:
        name = facts.card_data.get("license_name") or declared[0]
        # Whether the terms stay unknown is said by lineage, once the card's text and the bases are read.
        info = LicenseInfo(None, str(name), "declared", 0.3, facts.card_data.get("license_link"))
    else:
        info = None

    has_license_text = any(d.name.upper().startswith(("LICENSE", "LICENCE")) for d in facts.documents)
    terms_from_card: list[str] = []
    if entry is None and not has_license_text:
        # No license openscope knows and no text of one: the terms the card states in its own words are
        # what there is to read ("## Terms of use: non-commercial research only; no redistribution").
        for heading, flags_read, obligations_read, warnings_read in card_terms(facts, catalog):
            terms_from_card.append(heading)
            text_flags = merge_flags(text_flags, flags_read)
            text_obligations = merge_obligations(text_obligations, obligations_read)
            warnings.extend(warnings_read)
    obligations = text_obligations
    if entry is not None and not has_license_text:
        # No text to read: catalog facts stand in, marked as such.
        flags = merge_flags(text_flags, catalog_flags(entry, catalog))
        obligations = merge_obligations(text_obligations, catalog_obligations(entry, catalog))
    elif entry is not None and text_flags:
        flags = text_flags
        # An incorporated policy that was not shipped still applies: take its catalog facts.
        missing = [d for d in catalog.incorporated(entry) if d.kind not in analysed_kinds]
        for doc in missing:
            flags = merge_flags(flags, catalog_flags(doc, catalog))
    else:
        flags = text_flags

    listed: list[LicenseInfo] = []
    if several:
        # Every listed license is assessed and the flags are their union: whether the card means "all of
        # these" or "pick one" is not stated in a form openscope can read, so the gate assumes the stricter.
        for other in listed_entries:
            if other is not entry and other.key not in analysed_keys:
                flags = merge_flags(flags, catalog_flags(other, catalog))
        by_name = {v: catalog.lookup(v) for v in named}
        listed = [license_info(e, "declared", 1.0) if e is not None else LicenseInfo(None, v, "declared", 0.3)
                  for v, e in by_name.items()]
        warnings.append(ReportWarning(
            "multiple-licenses", f"{facts.id}: the card lists several licenses ({', '.join(named)}); each is "
                                 "assessed and the flags are their union (if they are alternatives, record the "
                                 "one you use in a policy exception)"))
        for name in unknown_names:
            warnings.append(ReportWarning(
                "license-unknown", f"{facts.id}: lists the license {name!r}, which openscope does not know; its "
                                   "restrictions are unknown, not absent"))
    for policy in shipped_policies(facts, catalog):
        if policy.key not in analysed_keys:
            flags = merge_flags(flags, catalog_flags(policy, catalog))
    osi_open = osi_open_of(entry, flags)
    if osi_open is None and terms_from_card and any(f.flag != "attribution" for f in flags):
        osi_open = False  # whatever the full license says, terms the card states already restrict use
    if several and unknown_names and osi_open:
        osi_open = None  # open as far as it is known; the unknown license may not be
    return LicenseAssessment(info=info, entry=entry, osi_open=osi_open, flags=flags, warnings=warnings,
                             declared=declared, listed=listed, unknown_names=unknown_names if several else [],
                             unread=unread, obligations=obligations, terms_from_card=terms_from_card)


CARD_FILE = "README.md"  # the name a card's text goes by in evidence (the Hub's name for it)


def card_terms(facts: ModelFacts, catalog: Catalog) -> list[tuple[str, list, list, list]]:
    """(heading, flags, obligations, warnings) for each body section that states terms, read by the license
    reader; nothing when the card names its license in a way openscope can read (lineage reads that).
    Read directly, not through the caller's `analyze`: bulk's one serves fetched license files only."""
    from openscope.card.terms import stated_license, terms_sections
    from openscope.license import analyze_text as analyze

    if not facts.card_body or stated_license(facts.card_body, facts.card_data, catalog)[0] is not None:
        return []
    out = []
    for heading, text in terms_sections(facts.card_body):
        analysis = analyze(text, CARD_FILE)
        if analysis.flags or analysis.obligations:
            out.append((heading, analysis.flags, analysis.obligations, analysis.warnings))
    return out


_URL = re.compile(r"https?://[^\s)\]>\"'<|]+", re.IGNORECASE)


def _url_key(url: str) -> str:
    url = url.strip().rstrip(".,;:").lower()
    url = re.sub(r"^https?://(www\.)?", "", url)
    return url.split("#", 1)[0].rstrip("/")


_BY_URL: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _policies_by_url(catalog: Catalog) -> dict[str, CatalogLicense]:
    """The catalog's use policies by URL, built once per catalog (a catalog's entries never change): built
    per model, it was a quarter of a bulk run's time for a model without a card."""
    try:
        found = _BY_URL.get(catalog)
    except TypeError:  # not weak-referenceable: build it every time
        found = None
    if found is None:
        found = {_url_key(e.url): e for e in catalog if e.kind == "aup" and e.url}
        try:
            _BY_URL[catalog] = found
        except TypeError:
            pass
    return found


def shipped_policies(facts: ModelFacts, catalog: Catalog) -> list[CatalogLicense]:
    """Use policies that ship with a model's terms: a catalogued acceptable-use policy that the card (its
    license_link or a link in its text) or the registry's links point to, e.g. the C4AI policy beside the
    CC-BY-NC-4.0 of Cohere For AI's weights. A license's own `incorporates` are applied elsewhere."""
    by_url = _policies_by_url(catalog)
    urls = [v for v in facts.links.values() if isinstance(v, str)]
    link = facts.card_data.get("license_link")
    if isinstance(link, str):
        urls.append(link)
    urls += _URL.findall(facts.card_body or "")
    out: list[CatalogLicense] = []
    for url in urls:
        hit = by_url.get(_url_key(url))
        if hit is not None and hit not in out:
            out.append(hit)
    return out


@functools.cache
def _conditions() -> dict[str, tuple[frozenset, frozenset, tuple]]:
    """licenses/conditions.yaml, loaded and compiled once: name -> (met tags, unmet tags, name patterns)."""
    from openscope.data import LICENSES_DIR, load_yaml

    return {
        name: (frozenset(c.get("met_pipeline_tags", [])), frozenset(c.get("unmet_pipeline_tags", [])),
               tuple(re.compile(p, re.IGNORECASE) for p in c.get("met_name_patterns", [])))
        for name, c in load_yaml(LICENSES_DIR / "conditions.yaml")["conditions"].items()
    }


def condition_met(name: str, facts: ModelFacts) -> bool | None:
    """Whether a catalog condition holds for the model: True, False, or None when the facts don't say."""
    cond = _conditions().get(name)
    if cond is None:
        return None
    met_tags, unmet_tags, name_patterns = cond
    tags = {str(t).lower() for t in [*facts.tags, *as_list(facts.card_data.get("tags"))]}
    pipeline = str(facts.card_data.get("pipeline_tag") or "").lower()
    if pipeline in met_tags or tags & met_tags:
        return True
    if any(p.search(facts.id) for p in name_patterns):
        return True
    if pipeline in unmet_tags:
        return False
    return None


def apply_conditions(flags: list[FlagFinding], facts: ModelFacts, catalog: Catalog,
                     base_facts: Callable[[str], ModelFacts | None] | None = None
                     ) -> tuple[list[FlagFinding], list[str]]:
    """Drop catalog flags limited to models this one is not (e.g. an EU carve-out for vision models only).

    Decided on the model's own facts, else on the facts of the base it inherited the flag from
    (`base_facts`: the facts lineage already gathered, by id); undecided keeps it.
    """
    kept: list[FlagFinding] = []
    reasons: list[str] = []
    for f in flags:
        conditions = set()
        for ev in f.evidence:
            doc = catalog.get(ev.file[len("catalog:"):]) if ev.file.startswith("catalog:") else None
            cf = doc.flag(f.flag) if doc else None
            conditions.add(cf.applies_to if cf else None)
        if None in conditions or not conditions:
            kept.append(f)  # some evidence holds unconditionally
            continue
        verdicts = [condition_met(c, facts) for c in conditions]
        if all(v is None for v in verdicts) and f.inherited_from and base_facts is not None:
            base = base_facts(f.inherited_from)
            if base is not None:  # a base that could not be fetched leaves the condition undecided
                verdicts = [condition_met(c, base) for c in conditions]
        if any(v is False for v in verdicts) and not any(v for v in verdicts):
            reasons.append(f"{f.flag} not applied: the terms limit it to {', '.join(sorted(conditions))} models, "
                           f"and {facts.id} is not one")
            continue
        kept.append(f)
    return kept, reasons
