"""`--format markdown`: GitHub-flavoured Markdown for a PR comment or a job summary.

Order is what a reviewer needs first: the verdict, the violations and what exceptions waived (with a
policy), a summary table of the models with problems (a restriction, an error, a license conflict or a
policy violation), the clean models in one line, then one collapsed section per model with problems
(spectrum, governing license, each restriction with its thresholds and evidence, and a "What you must do"
checklist of its obligations); the models without problems get their checklists in a section of their own.

A PR comment holds at most 65,536 characters. The output stays under MAX_CHARS: model sections, then table
rows, are left out from the end once the budget is spent, and a closing line says how many and where the
full report is.
"""

from __future__ import annotations

from openscope.render.interface import Format
from openscope.render.shared import checklist_item, unique_models
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


def _governing(m) -> str:
    """The license that governs the weights; a relabelled fine-tune also shows what it declares."""
    eff = m.effective_license or m.license
    text = _license(eff)
    if m.effective_license_from:
        declared = (m.license.id or m.license.name) if m.license else None
        text += f" (terms of {code(m.effective_license_from)}"
        text += (f"; declares {code(declared)}" if declared else "") + ")"
    return text


# Warnings about the terms themselves, which a reviewer must see even when the model has no flags.
ATTENTION_WARNINGS = frozenset({"license-conflict", "dataset-non-commercial"})


def has_problems(m, violated: set) -> bool:
    return bool(m.flags or m.error or model_name(m) in violated
                or any(w.code in ATTENTION_WARNINGS for w in m.warnings))


def _model_section(m) -> list[str]:
    name = model_name(m)
    summary = f"{name}: {m.spectrum}, {len(m.flags)} restriction(s)"
    out = [f"<details><summary><b>{cell(summary)}</b></summary>", ""]
    facts = [
        ["spectrum", code(m.spectrum) + (f" (confidence {m.confidence:.2f})" if m.confidence else "")],
        ["license", _governing(m)],
        ["OSI open", _osi(m.osi_open)],
        ["components", ", ".join(f"{k}: {v}" for k, v in m.components.items())],
    ]
    if m.gated is not None:
        facts.append(["gated", "yes" if m.gated else "no"])
    if m.base_models:
        facts.append(["base models", ", ".join(code(b) for b in m.base_models)])
    if m.alternatives:  # an API whose weights are also published: hosting them yourself is open-weights
        facts.append(["weights also published", ", ".join(code(a) for a in m.alternatives)])
    if m.locations:
        facts.append(["referenced at", _where(m.locations, limit=10)])
    if any(d.license for d in m.datasets):
        facts.append(["training datasets", "; ".join(
            f"{code(d.id)}: {cell(d.license or 'license unknown')}" + (f" ({', '.join(d.flags)})" if d.flags else "")
            for d in m.datasets)])
    if m.error is not None:
        facts.append(["error", f"{code(m.error.code)} {cell(m.error.message)}"])
    for w in m.warnings:
        facts.append(["warning", f"{code(w.code)} {cell(w.message)}"])
    out += _table(["", code(name)], facts)
    if m.flags:
        out += _table(["restriction", "thresholds", "source", "evidence"], _flag_rows(m.flags))
    if m.obligations:
        out += ["**What you must do**", "", *checklist(m.obligations), ""]
    return out + ["</details>", ""]


def checklist(obligations) -> list[str]:
    """"What you must do" as a task list, one line per obligation, with where the terms say it."""
    return [f"- [ ] {cell(checklist_item(o))}" for o in obligations]


def _must_do_section(m) -> list[str]:
    name = model_name(m)
    out = [f"<details><summary><b>{cell(name)}</b>: {len(m.obligations)} obligation(s)</summary>", ""]
    out += checklist(m.obligations)
    return out + ["", "</details>", ""]


MAX_CHARS = 60_000  # GitHub refuses comments over 65,536 characters; the rest is headroom for a wrapper
_CLEAN_SHOWN = 200


class _Budget:
    """Lines added while they fit in MAX_CHARS, keeping room for the closing note."""

    RESERVE = 600

    def __init__(self):
        self.lines: list[str] = []
        self.size = 0
        self.left_out: list[str] = []

    def fits(self, lines: list[str]) -> bool:
        return self.size + sum(len(x) + 1 for x in lines) <= MAX_CHARS - self.RESERVE

    def add(self, lines: list[str]) -> bool:
        if not self.fits(lines):
            return False
        self.lines += lines
        self.size += sum(len(x) + 1 for x in lines)
        return True

    def table(self, title: str, header: list[str], rows: list[list[str]], what: str) -> None:
        head = [title, ""] + _table(header, [])[:-1]
        if not self.add(head):
            self.left_out.append(f"the {what} table ({len(rows)} row(s))")
            return
        for i, row in enumerate(rows):
            if not self.add(["| " + " | ".join(row) + " |"]):
                self.left_out.append(f"{len(rows) - i} of {len(rows)} {what} row(s)")
                break
        self.add([""])


def _violation_rows(report, where) -> list[list[str]]:
    return [[f"{_ICON.get(v.severity, '')} {v.severity}", code(v.model), code(v.rule),
             _where(where.get(v.model, ())), cell(v.message)] for v in report.policy.violations]


def render_report(report) -> str:
    out = _Budget()
    out.add(_verdict(report))
    violated: set = set()
    policy = report.policy
    if policy is not None:
        violated = {v.model for v in policy.violations}
        if policy.violations:
            out.table("### Violations", ["", "model", "rule", "where", "message"],
                      _violation_rows(report, locations_by_model(report)), "violation")
        if policy.waived:
            rows = [[code(w.model), code(w.rule), cell(w.reason), w.expires or "never"] for w in policy.waived]
            out.table("### Waived by policy exceptions", ["model", "rule", "reason", "expires"], rows, "waiver")
    problems = [m for m in report.models if has_problems(m, violated)]
    clean = [m for m in report.models if not has_problems(m, violated)]
    if problems:
        rows = [[code(model_name(m)), code(m.spectrum), _governing(m), _osi(m.osi_open),
                 _flag_list(m.flags) if not m.error else f"not assessed: {code(m.error.code)}"] for m in problems]
        out.table(f"### Models with problems ({len(problems)})", ["model", "spectrum", "license", "OSI open",
                                                                  "restrictions"], rows, "model")
    if clean:
        shown = ", ".join(code(model_name(m)) for m in clean[:_CLEAN_SHOWN])
        more = f" and {len(clean) - _CLEAN_SHOWN} more" if len(clean) > _CLEAN_SHOWN else ""
        if not out.add([f"**Clean ({len(clean)}):** {shown}{more}", ""]):
            out.left_out.append(f"the list of {len(clean)} clean model(s)")
    if report.skipped:
        rows = [[code(f"{s.path}:{s.line}"), cell(s.reason)] for s in report.skipped]
        out.table("### References not assessed", ["where", "why"], rows, "skipped reference")
    for i, m in enumerate(problems):
        if not out.add(_model_section(m)):
            out.left_out.append(f"the details of {len(problems) - i} of {len(problems)} model(s) with problems "
                                f"(from {code(model_name(m))} on)")
            break
    # Models without problems still oblige: their checklists come after the problems' details.
    obliging = [m for m in unique_models(report) if m.obligations and not has_problems(m, violated)]
    if obliging and out.add(["### What you must do", ""]):
        for i, m in enumerate(obliging):
            if not out.add(_must_do_section(m)):
                out.left_out.append(f"the checklists of {len(obliging) - i} of {len(obliging)} model(s)")
                break
    text = "\n".join(out.lines).rstrip() + "\n"
    if out.left_out:
        text += (f"\n_Left out to fit a PR comment: {'; '.join(out.left_out)}. The full report: "
                 "`--format json` or `--format html`._\n")
    return text


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
        if e.flags or e.obligations:
            lines += [f"#### {code(e.path)}", ""]
        if e.flags:
            lines += _table(["restriction", "thresholds", "source", "evidence"], _flag_rows(e.flags))
        if e.obligations:
            lines += ["**What you must do**", "", *checklist(e.obligations), ""]
    return "\n".join(lines).rstrip() + "\n"


FORMAT = Format("markdown", "GitHub-flavoured Markdown for a PR comment or a job summary.", render_report,
                render_license_report)
