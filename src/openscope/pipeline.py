"""The driver: references -> facts -> license -> restrictions -> spectrum -> report.

Each stage lives in its own module; this file only joins them, and keeps one model's failure from
hiding the others' results.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from openscope.errors import ModelError
from openscope.report import (
    ErrorInfo,
    LicenseFileReport,
    LicenseInfo,
    LicenseReport,
    ModelReport,
    Report,
)


def _error_report(raw: str, kind: str, exc: ModelError, model_id: str | None = None) -> ModelReport:
    return ModelReport(ref=raw, id=model_id, kind=kind, provenance=None, spectrum="unknown",
                       error=ErrorInfo(code=exc.code, message=str(exc)))


def make_resolver(offline: bool = False):
    from openscope.sources import FactResolver

    return FactResolver(offline=offline)


def assess_facts(facts, catalog, resolver=None) -> ModelReport:
    """Stages 3-5 for one model whose facts are known."""
    from openscope.licensing import assess_license
    from openscope.spectrum import place
    from openscope.sources.registry import base_models_of

    lic = assess_license(facts, catalog)
    placement = place(facts, lic, catalog)
    return ModelReport(
        ref=facts.ref.raw, id=facts.id, kind=facts.kind, provenance=facts.provenance,
        spectrum=placement.spectrum, confidence=placement.confidence, osi_open=lic.osi_open,
        gated=facts.gated, license=lic.info, flags=lic.flags, components=placement.components,
        base_models=base_models_of(facts), warnings=[*facts.warnings, *lic.warnings],
        reasons=placement.reasons, ratings=dict(facts.ratings),
    )


def audit(refs: Iterable, *, offline: bool = False, resolver=None, locations=None) -> Report:
    """Assess every reference; a failing one gets an `error` entry and never hides the others."""
    from openscope.catalog import load_catalog
    from openscope.refs import ModelRef, parse_ref

    catalog = load_catalog()
    resolver = resolver or make_resolver(offline)
    report = Report()
    for raw in refs:
        try:
            ref = raw if isinstance(raw, ModelRef) else parse_ref(raw)
        except ModelError as exc:
            report.models.append(_error_report(str(raw), "hub", exc))
            continue
        try:
            facts = resolver.fetch(ref)
            model = assess_facts(facts, catalog, resolver)
        except ModelError as exc:
            model = _error_report(ref.raw, ref.kind, exc, ref.id)
        model.locations = list(ref.locations)
        report.models.append(model)
    return report


def analyze_license_files(paths: Iterable, *, stdin_text: str | None = None) -> LicenseReport:
    """`openscope license`: identify each text and flag its restrictions, one entry per file."""
    from openscope.analysis import analyze_text
    from openscope.catalog import load_catalog
    from openscope.sources.local import read_text_file

    catalog = load_catalog()
    report = LicenseReport()
    for p in paths:
        label = str(p)
        entry = LicenseFileReport(path=label)
        try:
            text = stdin_text if label == "-" else read_text_file(Path(p), label=label)
            if not text.strip():
                raise_empty(label)
            analysis = analyze_text(text, Path(label).name if label != "-" else "<stdin>")
        except ModelError as exc:
            entry.error = ErrorInfo(code="unreadable", message=str(exc))
            report.licenses.append(entry)
            continue
        ident = analysis.identification
        lic = catalog.get(ident.key) if ident and ident.key else None
        if lic is not None:
            entry.license = LicenseInfo(lic.key, lic.name, "text" if ident.method != "classifier" else "classifier",
                                        round(ident.confidence, 3), lic.url)
            entry.osi_open = lic.osi_open and not any(f.flag != "attribution" for f in analysis.flags)
        entry.flags = analysis.flags
        entry.warnings = analysis.warnings
        report.licenses.append(entry)
    return report


def raise_empty(label: str):
    from openscope.errors import UnreadableError

    raise UnreadableError(label, f"{label}: empty file, nothing to analyse")


def check(paths, *, policy_path=None, offline: bool = False, since: str | None = None, policy=None,
          today=None) -> Report:
    """`openscope check`: scan, assess, then judge the report against the policy (SPEC §6).

    The policy is loaded before scanning, so a broken policy fails at once (exit 2) without any work.
    """
    from openscope.policy import apply_policy, load_policy

    policy = policy or load_policy(policy_path)
    report = scan(paths, offline=offline, since=since)
    report.policy = apply_policy(policy, report, today=today)
    return report
