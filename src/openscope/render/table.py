"""`--format table`: a rich table for people at a terminal."""

from __future__ import annotations

import io

from openscope.render.interface import Format
from openscope.render.shared import obligation_label
from openscope.vocabulary import format_thresholds


def _console(buf):
    from rich.console import Console

    return Console(file=buf, width=120, force_terminal=False, color_system=None, soft_wrap=False)


def _flags_cell(flags) -> str:
    parts = []
    for f in flags:
        extra = ""
        if f.thresholds:
            extra = f" ({format_thresholds(f.thresholds)})"
        inherited = f" <- {f.inherited_from}" if f.inherited_from else ""
        parts.append(f"{f.flag}{extra}{inherited}")
    return "\n".join(parts) or "-"


def _obligations_cell(obligations) -> str:
    return "\n".join(obligation_label(o) for o in obligations) or "-"


def render_report(report) -> str:
    from rich.table import Table

    table = Table(title="openscope", show_lines=True)
    for col in ("model", "spectrum", "license", "osi", "restrictions", "must do", "notes"):
        table.add_column(col, overflow="fold")
    for m in report.models:
        lic = (m.license.id or m.license.name) if m.license else "-"
        osi = {True: "yes", False: "no", None: "?"}[m.osi_open]
        notes = [f"error {m.error.code}: {m.error.message}"] if m.error else []
        notes += [f"{w.code}: {w.message}" for w in m.warnings]
        if m.locations:
            notes += [f"at {loc.path}:{loc.line}" for loc in m.locations[:3]]
        table.add_row(m.id or m.ref, m.spectrum, lic or "-", osi, _flags_cell(m.flags), _obligations_cell(m.obligations),
                      "\n".join(notes) or "")
    buf = io.StringIO()
    console = _console(buf)
    console.print(table)
    if report.policy is not None:
        verdict = "PASSED" if report.policy.passed else "FAILED"
        console.print(f"policy: {verdict}")
        for v in report.policy.violations:
            console.print(f"  [{v.severity}] {v.model}: {v.rule}: {v.message}", markup=False)
    for s in report.skipped:
        console.print(f"skipped {s.path}:{s.line}: {s.reason}", markup=False)
    return buf.getvalue()


def render_license_report(report) -> str:
    from rich.table import Table

    table = Table(title="openscope license", show_lines=True)
    for col in ("file", "license", "confidence", "osi", "restrictions", "must do", "notes"):
        table.add_column(col, overflow="fold")
    for e in report.licenses:
        lic = e.license.id if e.license else ("-" if e.error else "unidentified")
        conf = f"{e.license.confidence:.2f}" if e.license else "-"
        osi = {True: "yes", False: "no", None: "?"}[e.osi_open]
        notes = [f"error: {e.error.message}"] if e.error else []
        notes += [f"{w.code}: {w.message}" for w in e.warnings]
        table.add_row(e.path, lic, conf, osi, _flags_cell(e.flags), _obligations_cell(e.obligations), "\n".join(notes))
    buf = io.StringIO()
    _console(buf).print(table)
    return buf.getvalue()


FORMAT = Format("table", "A table for people at a terminal.", render_report, render_license_report)
