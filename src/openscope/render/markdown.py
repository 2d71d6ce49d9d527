"""`--format markdown`: GitHub-flavoured Markdown for a PR comment or a job summary.

Order is what a reviewer needs first: the verdict, the violations, what exceptions waived, then one
table per model (spectrum, license, each restriction with its thresholds and evidence). Models with a
violation are expanded; the others are folded so a long list stays readable.
"""

from __future__ import annotations


from openscope.render.interface import Format
from openscope.types import locations_by_model, model_name
from openscope.vocabulary import format_thresholds

_ICON = {"error": "❌", "warning": "⚠️"}
QUOTE_CHARS = 160


def cell(text) -> str:
    """Make any text safe inside a table cell."""
    if text is None:
        return ""
    text = str(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.split())


def code(text) -> str:
    text = str(text).replace("`", "'").replace("|", "\\|")
    return f"`{text}`"


def _thresholds(f) -> str:
    return format_thresholds(f.thresholds)


def _where(locations, limit: int = 3) -> str:
    locs = [f"{loc.path}:{loc.line}" for loc in locations]
    shown = ", ".join(code(x) for x in locs[:limit])
    return (shown + (f" and {len(locs) - limit} more" if len(locs) > limit else "")) or "–"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def _license(lic) -> str:
    if lic is None:
        return "unknown"
    label = lic.id or lic.name or "unknown"
    if lic.name and lic.id and lic.name != lic.id:
        label = f"{lic.id} ({lic.name})"
    return f"[{cell(label)}]({lic.url})" if lic.url else cell(label)


def _osi(value) -> str:
    return {True: "yes", False: "no", None: "unknown"}[value]


def _verdict(report) -> list[str]:
    policy = report.policy
    n = len(report.models)
    if policy is None:
        counts: dict[str, int] = {}
        for m in report.models:
            counts[m.spectrum] = counts.get(m.spectrum, 0) + 1
        spread = ", ".join(f"{c} {s}" for s, c in sorted(counts.items())) or "none"
        return [f"## openscope: {n} model(s)", "", spread, ""]
    errors = sum(v.severity == "error" for v in policy.violations)
    warnings = len(policy.violations) - errors
    head = "✅ passed" if policy.passed else "❌ failed"
    parts = [f"{errors} error(s)", f"{warnings} warning(s)", f"{len(policy.waived)} waived", f"{n} model(s)"]
    if policy.source:
        parts.append(f"policy {code(policy.source)}")
    return [f"## openscope check: {head}", "", " · ".join(parts), ""]


def _violations(report, where) -> list[str]:
    policy = report.policy
    out: list[str] = []
    if policy.violations:
        rows = []
        for v in policy.violations:
            rows.append([f"{_ICON.get(v.severity, '')} {v.severity}", code(v.model), code(v.rule),
                         _where(where.get(v.model, ())), cell(v.message)])
        out += ["### Violations", ""] + _table(["", "model", "rule", "where", "message"], rows)
    if policy.waived:
        rows = [[code(w.model), code(w.rule), cell(w.reason), w.expires or "never"] for w in policy.waived]
        out += ["### Waived by policy exceptions", ""] + _table(["model", "rule", "reason", "expires"], rows)
    return out


def _flag_list(flags) -> str:
    return ", ".join(code(f.flag) + (f" ({cell(_thresholds(f))})" if f.thresholds else "") for f in flags) or "–"


def _flag_rows(flags) -> list[list[str]]:
    rows = []
    for f in flags:
        ev = f.evidence[0] if f.evidence else None
        evidence = ""
        if ev is not None:
            quote = ev.quote if len(ev.quote) <= QUOTE_CHARS else ev.quote[: QUOTE_CHARS - 1] + "…"
            where = ev.file + (f" §{ev.section}" if ev.section else "")
            evidence = f"{code(where)} “{cell(quote)}”"
        origin = f"inherited from {code(f.inherited_from)}" if f.inherited_from else cell(f.source)
        rows.append([code(f.flag), cell(_thresholds(f)) or "–", origin, evidence])
    return rows


def _model_section(m, violated: bool) -> list[str]:
    name = model_name(m)
    summary = f"{name}: {m.spectrum}, {len(m.flags)} restriction(s)"
    out = [f"<details{' open' if violated else ''}><summary><b>{cell(summary)}</b></summary>", ""]
    facts = [
        ["spectrum", code(m.spectrum) + (f" (confidence {m.confidence:.2f})" if m.confidence else "")],
        ["license", _license(m.license)],
        ["OSI open", _osi(m.osi_open)],
        ["components", ", ".join(f"{k}: {v}" for k, v in m.components.items())],
    ]
    if m.gated is not None:
        facts.append(["gated", "yes" if m.gated else "no"])
    if m.base_models:
        facts.append(["base models", ", ".join(code(b) for b in m.base_models)])
    if m.locations:
        facts.append(["referenced at", _where(m.locations, limit=10)])
    if m.error is not None:
        facts.append(["error", f"{code(m.error.code)} {cell(m.error.message)}"])
    for w in m.warnings:
        facts.append(["warning", f"{code(w.code)} {cell(w.message)}"])
    out += _table(["", code(name)], facts)
    if m.flags:
        out += _table(["restriction", "thresholds", "source", "evidence"], _flag_rows(m.flags))
    return out + ["</details>", ""]


def render_report(report) -> str:
    lines = _verdict(report)
    violated = set()
    if report.policy is not None:
        lines += _violations(report, locations_by_model(report))
        violated = {v.model for v in report.policy.violations}
    if report.models:
        rows = [[code(model_name(m)), code(m.spectrum), _license(m.license), _osi(m.osi_open),
                 _flag_list(m.flags)] for m in report.models]
        lines += ["### Models", ""] + _table(["model", "spectrum", "license", "OSI open", "restrictions"], rows)
        ordered = sorted(report.models, key=lambda m: model_name(m) not in violated)
        for m in ordered:
            lines += _model_section(m, model_name(m) in violated)
    if report.skipped:
        rows = [[code(f"{s.path}:{s.line}"), cell(s.reason)] for s in report.skipped]
        lines += ["### References not assessed", ""] + _table(["where", "why"], rows)
    return "\n".join(lines).rstrip() + "\n"


def render_license_report(report) -> str:
    lines = [f"## openscope license: {len(report.licenses)} file(s)", ""]
    rows = []
    for e in report.licenses:
        lic = _license(e.license) if e.license else ("–" if e.error else "unidentified")
        conf = f"{e.license.confidence:.2f}" if e.license else "–"
        flags = _flag_list(e.flags)
        notes = [f"error: {cell(e.error.message)}"] if e.error else []
        notes += [f"{code(w.code)} {cell(w.message)}" for w in e.warnings]
        rows.append([code(e.path), lic, conf, _osi(e.osi_open), flags, "<br>".join(notes)])
    lines += _table(["file", "license", "confidence", "OSI open", "restrictions", "notes"], rows)
    for e in report.licenses:
        if e.flags:
            lines += [f"#### {code(e.path)}", ""]
            lines += _table(["restriction", "thresholds", "source", "evidence"], _flag_rows(e.flags))
    return "\n".join(lines).rstrip() + "\n"


FORMAT = Format("markdown", "GitHub-flavoured Markdown for a PR comment or a job summary.", render_report, render_license_report)
