"""`--format html`: one self-contained page for a reviewer facing many models.

In order: the policy verdict (with a policy), the spectrum as a bar chart, a models x restrictions matrix
(rows grouped by spectrum, so restrictions that cluster show as blocks), the policy's errors (warnings
folded), then one section per model with its governing license, evidence quotes and, for derivatives, its
lineage as a small graph.

Everything is inline (CSS and SVG; no script, no font, image or style sheet fetched), so the file can be
mailed, attached to a CI run or opened offline. Every text from the report is escaped.
"""

from __future__ import annotations

import re
from html import escape

from openscope._version import __version__
from openscope.render.interface import Format
from openscope.render.shared import checklist_item, governing_license, unique_models, where
from openscope.types import model_name
from openscope.vocabulary import flag_defs, format_thresholds

SPECTRUM_ORDER = ("fully-open", "open-weights", "closed-api", "unknown")
SPECTRUM_COLOR = {"fully-open": "#1e8449", "open-weights": "#d68910", "closed-api": "#b03a2e", "unknown": "#7f8c8d"}
SEVERITY_COLOR = {"error": "#b03a2e", "warning": "#d68910", "note": "#5d6d7e"}
QUOTE_CHARS = 300

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px auto;
max-width:1180px;padding:0 16px;color:#1c2833;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d5d8dc}
h3{font-size:15px;margin:0}.muted{color:#5d6d7e}
.verdict{padding:10px 14px;border-radius:6px;margin:12px 0;font-weight:600}
.pass{background:#d5f5e3;color:#145a32}.fail{background:#fadbd8;color:#78281f}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #d5d8dc;padding:3px 6px;text-align:left;
vertical-align:top}
.matrix th.flag{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-weight:500;
padding:6px 2px}.matrix td.cell{text-align:center;width:18px;color:#fff;font-size:12px}
.pill{display:inline-block;padding:0 7px;border-radius:9px;color:#fff;font-size:12px}
details{border:1px solid #d5d8dc;border-radius:6px;margin:8px 0;padding:6px 10px}
summary{cursor:pointer}blockquote{margin:6px 0 6px 0;padding:4px 10px;border-left:3px solid #aab7b8;
background:#f8f9f9}cite{display:block;font-style:normal;color:#5d6d7e;font-size:12px}
code{font-size:12px;background:#f2f3f4;padding:0 3px;border-radius:3px}
"""


def _slug(name: str) -> str:
    return "m-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")


def _pill(spectrum: str) -> str:
    return f'<span class="pill" style="background:{SPECTRUM_COLOR.get(spectrum, "#7f8c8d")}">{escape(spectrum)}</span>'


def _license_text(lic) -> str:
    if lic is None:
        return "unknown"
    label = escape(lic.name or lic.id or "unknown") + (f" <code>{escape(lic.id)}</code>" if lic.id else "")
    return f'<a href="{escape(lic.url)}">{label}</a>' if lic.url else label


def spectrum_chart(models) -> str:
    """Horizontal bars: how many models sit at each point of the spectrum."""
    counts = {s: 0 for s in SPECTRUM_ORDER}
    for m in models:
        counts[m.spectrum if m.spectrum in counts else "unknown"] += 1
    top = max(counts.values()) or 1
    bar_w, row_h, left = 560, 38, 130
    parts = [f'<svg id="spectrum-chart" xmlns="http://www.w3.org/2000/svg" width="{left + bar_w + 60}" '
             f'height="{row_h * len(counts) + 10}" role="img" aria-label="models per spectrum value">']
    for i, (spectrum, n) in enumerate(counts.items()):
        y = 5 + i * row_h
        w = max(2, round(bar_w * n / top)) if n else 0
        parts.append(f'<text x="{left - 10}" y="{y + 22}" text-anchor="end" font-size="14">{spectrum}</text>')
        parts.append(f'<rect x="{left}" y="{y + 4}" width="{bar_w}" height="26" fill="#f2f3f4"/>')
        if w:
            parts.append(f'<rect class="bar" x="{left}" y="{y + 4}" width="{w}" height="26" '
                         f'fill="{SPECTRUM_COLOR[spectrum]}"><title>{spectrum}: {n}</title></rect>')
        parts.append(f'<text x="{left + max(w, 0) + 8}" y="{y + 22}" font-size="14">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)


def restriction_matrix(models) -> str:
    defs = flag_defs()
    flags = list(defs)
    ordered = sorted(models, key=lambda m: (SPECTRUM_ORDER.index(m.spectrum) if m.spectrum in SPECTRUM_ORDER
                                            else len(SPECTRUM_ORDER), model_name(m).lower()))
    head = "".join(f'<th class="flag" title="{escape(defs[f].title)}">{escape(f)}</th>' for f in flags)
    rows = []
    totals = {f: 0 for f in flags}
    for m in ordered:
        have = {f.flag: f for f in m.flags}
        cells = []
        for f in flags:
            finding = have.get(f)
            if finding is None:
                cells.append('<td class="cell"></td>')
                continue
            totals[f] += 1
            color = SEVERITY_COLOR.get(defs[f].severity, "#5d6d7e")
            how = f"inherited from {finding.inherited_from}" if finding.inherited_from else finding.source
            extra = f" ({format_thresholds(finding.thresholds)})" if finding.thresholds else ""
            mark = "&#9680;" if finding.inherited_from else "&#9679;"
            cells.append(f'<td class="cell" style="background:{color}" title="{escape(f + extra + ", " + how)}">'
                         f"{mark}</td>")
        name = model_name(m)
        rows.append(f'<tr><td><a href="#{_slug(name)}">{escape(name)}</a></td><td>{_pill(m.spectrum)}</td>'
                    + "".join(cells) + "</tr>")
    foot = "".join(f'<td class="cell" style="color:#1c2833">{totals[f] or ""}</td>' for f in flags)
    return (f'<table class="matrix" id="restriction-matrix"><thead><tr><th>model</th><th>spectrum</th>{head}</tr>'
            f'</thead><tbody>{"".join(rows)}</tbody><tfoot><tr><th colspan="2">models</th>{foot}</tr></tfoot>'
            "</table><p class=\"muted\">&#9679; in the model's own terms, &#9680; inherited from a base; colour: "
            "the flag's default severity.</p>")


def lineage_graph(m) -> str:
    """The bases on the left, arrows to the model on the right; the base whose terms govern is marked."""
    bases = list(m.base_models)
    box_w, box_h, gap = 300, 28, 12
    height = max(len(bases), 1) * (box_h + gap) + gap
    model_y = height / 2 - box_h / 2
    parts = [f'<svg class="lineage" xmlns="http://www.w3.org/2000/svg" width="{2 * box_w + 90}" height="{height}" '
             f'role="img" aria-label="lineage of {escape(model_name(m))}">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#566573"/></marker></defs>']
    for i, base in enumerate(bases):
        y = gap + i * (box_h + gap)
        governs = base == m.effective_license_from
        stroke = "#b03a2e" if governs else "#566573"
        parts.append(f'<rect x="1" y="{y}" width="{box_w}" height="{box_h}" rx="5" fill="#fbfcfc" '
                     f'stroke="{stroke}"/><text x="10" y="{y + 18}" font-size="12">{escape(base[:44])}'
                     f'{" (terms govern)" if governs else ""}</text>')
        parts.append(f'<line x1="{box_w + 1}" y1="{y + box_h / 2}" x2="{box_w + 88}" y2="{model_y + box_h / 2}" '
                     'stroke="#566573" marker-end="url(#arrow)"/>')
    parts.append(f'<rect x="{box_w + 89}" y="{model_y}" width="{box_w}" height="{box_h}" rx="5" fill="#eaf2f8" '
                 f'stroke="#1f618d"/><text x="{box_w + 98}" y="{model_y + 18}" font-size="12">'
                 f"{escape(model_name(m)[:44])}</text></svg>")
    return "".join(parts)


def _evidence(m) -> str:
    if not m.flags:
        return '<p class="muted">No restriction found.</p>'
    out = []
    defs = flag_defs()
    for f in m.flags:
        title = defs[f.flag].title if f.flag in defs else f.flag
        extra = f" ({escape(format_thresholds(f.thresholds))})" if f.thresholds else ""
        origin = f", inherited from <code>{escape(f.inherited_from)}</code>" if f.inherited_from else ""
        out.append(f"<h4><code>{escape(f.flag)}</code> {escape(title)}{extra}{origin}</h4>")
        for ev in f.evidence[:3]:
            quote = ev.quote if len(ev.quote) <= QUOTE_CHARS else ev.quote[: QUOTE_CHARS - 1] + "…"
            where = ev.file + (f" §{ev.section}" if ev.section else "")
            out.append(f"<blockquote>{escape(quote)}<cite>{escape(where)} ({escape(f.source)})</cite></blockquote>")
    return "".join(out)


def _must_do(m) -> str:
    """The model's obligations as a checklist, each with the sentence that states it."""
    if not m.obligations:
        return ""
    items = []
    for o in m.obligations:
        quote = ""
        if o.evidence:
            ev = o.evidence[0]
            text = ev.quote if len(ev.quote) <= QUOTE_CHARS else ev.quote[: QUOTE_CHARS - 1] + "…"
            quote = f"<blockquote>{escape(text)}<cite>{escape(where(ev))} ({escape(o.source)})</cite></blockquote>"
        items.append(f'<li><input type="checkbox" disabled> <code>{escape(o.obligation)}</code> '
                     f"{escape(checklist_item(o))}{quote}</li>")
    return f'<h4>What you must do</h4><ul class="must-do">{"".join(items)}</ul>'


OPEN_SECTIONS_UP_TO = 12  # a short report shows every model with a problem unfolded; a long one folds them


def model_section(m, violations, unfold: bool = False) -> str:
    name = model_name(m)
    facts = [("spectrum", f"{_pill(m.spectrum)} confidence {m.confidence:.2f}"),
             ("governing license", _license_text(governing_license(m))),
             ("OSI open", {True: "yes", False: "no", None: "unknown"}[m.osi_open]),
             ("components", escape(", ".join(f"{k}: {v}" for k, v in m.components.items())))]
    if m.effective_license_from and m.license is not None:
        facts.insert(2, ("declared license", _license_text(m.license)))
    if m.locations:
        facts.append(("referenced at", escape(", ".join(f"{loc.path}:{loc.line}" for loc in m.locations[:10]))))
    if m.error is not None:
        facts.append(("error", escape(f"{m.error.code}: {m.error.message}")))
    for w in m.warnings:
        facts.append(("warning", escape(f"{w.code}: {w.message}")))
    for v in violations:
        facts.append((f"policy {v.severity}", escape(f"{v.rule}: {v.message}")))
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in facts)
    lineage = f"<h4>Lineage</h4>{lineage_graph(m)}" if m.base_models else ""
    open_attr = " open" if unfold and (violations or m.error or m.flags) else ""
    return (f'<details id="{_slug(name)}"{open_attr}><summary><h3 style="display:inline">{escape(name)}</h3> '
            f"{_pill(m.spectrum)} <span class=\"muted\">{len(m.flags)} restriction(s)</span></summary>"
            f"<table>{rows}</table>{lineage}{_evidence(m)}{_must_do(m)}</details>")


def _violation_table(violations) -> str:
    rows = "".join(f'<tr><td style="color:{SEVERITY_COLOR.get(v.severity)}">{escape(v.severity)}</td>'
                   f'<td><a href="#{_slug(v.model)}">{escape(v.model)}</a></td><td><code>{escape(v.rule)}</code>'
                   f"</td><td>{escape(v.message)}</td></tr>" for v in violations)
    return (f"<table><thead><tr><th></th><th>model</th><th>rule</th><th>message</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _verdict(report) -> str:
    """The one-line verdict, for the top of the page."""
    policy = report.policy
    if policy is None:
        return ""
    errors = sum(v.severity == "error" for v in policy.violations)
    warnings = len(policy.violations) - errors
    cls, word = ("pass", "passed") if policy.passed else ("fail", "failed")
    source = f" · policy <code>{escape(policy.source)}</code>" if policy.source else ""
    return (f'<div class="verdict {cls}" id="verdict">openscope check {word}: {errors} error(s), {warnings} '
            f"warning(s), {len(policy.waived)} waived{source}</div>")


def _policy_details(report) -> str:
    """Errors in full; warnings and waivers folded, since a default policy warns about most flags."""
    policy = report.policy
    if policy is None or not (policy.violations or policy.waived):
        return ""
    errors = [v for v in policy.violations if v.severity == "error"]
    warnings = [v for v in policy.violations if v.severity != "error"]
    out = ["<h2>Policy</h2>"]
    if errors:
        out.append(_violation_table(errors))
    if warnings:
        out.append(f"<details><summary>{len(warnings)} warning(s)</summary>{_violation_table(warnings)}</details>")
    if policy.waived:
        rows = "".join(f"<tr><td>{escape(w.model)}</td><td><code>{escape(w.rule)}</code></td><td>{escape(w.reason)}"
                       f"</td><td>{escape(w.expires or 'never')}</td></tr>" for w in policy.waived)
        out.append(f"<details open><summary>{len(policy.waived)} waived by policy exceptions</summary><table><thead>"
                   f"<tr><th>model</th><th>rule</th><th>reason</th><th>expires</th></tr></thead><tbody>{rows}</tbody>"
                   "</table></details>")
    return "".join(out)


def render_report(report) -> str:
    models = unique_models(report)
    violations: dict[str, list] = {}
    if report.policy is not None:
        for v in report.policy.violations:
            violations.setdefault(v.model, []).append(v)
    title = "openscope check" if report.policy is not None else "openscope report"
    unfold = len(models) <= OPEN_SECTIONS_UP_TO
    sections = "".join(model_section(m, violations.get(model_name(m), ()), unfold) for m in models)
    skipped = ""
    if report.skipped:
        rows = "".join(f"<tr><td><code>{escape(f'{s.path}:{s.line}')}</code></td><td>{escape(s.reason)}</td></tr>"
                       for s in report.skipped)
        skipped = f"<h2>References not assessed</h2><table><tbody>{rows}</tbody></table>"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{title}: {len(models)} model(s)</title><style>{CSS}</style></head><body>"
        f"<h1>{title}</h1><p class=\"muted\">{len(models)} model(s) · openscope {escape(__version__)}</p>"
        f"{_verdict(report)}<h2>Where the models sit on the spectrum</h2>{spectrum_chart(models)}"
        f"<h2>Restrictions by model</h2>{restriction_matrix(models)}{_policy_details(report)}"
        f"<h2>Models</h2>{sections}{skipped}</body></html>\n"
    )


FORMAT = Format("html", "One self-contained HTML page: spectrum chart, restriction matrix, evidence, lineage.",
                render_report)
