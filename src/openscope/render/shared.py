"""What several formats read off a report the same way (not a format itself: render/interface.py skips it).

One model per name (a model referenced from two files is one BOM component with both locations), its
revision, its Hub page, the license that governs it, one line per restriction flag, and per obligation
its short label and the checklist line a reviewer ticks off.
"""

from __future__ import annotations

import copy
from urllib.parse import quote

from openscope.types import model_name
from openscope.vocabulary import flag_defs, format_thresholds, obligation_defs

HUB = "https://huggingface.co"


def unique_models(report) -> list:
    """The report's models, one per name (first assessment kept, locations pooled), sorted by name."""
    seen: dict[str, object] = {}
    for m in report.models:
        name = model_name(m)
        if name not in seen:
            seen[name] = copy.copy(m)
            seen[name].locations = list(m.locations)
        else:
            kept = seen[name]
            kept.locations += [loc for loc in m.locations if loc not in kept.locations]
    return [seen[k] for k in sorted(seen, key=str.lower)]


def revision(model) -> str | None:
    if model.id and model.ref.startswith(model.id + "@"):
        return model.ref[len(model.id) + 1:] or None
    return None


def hub_page(model_id: str, kind: str = "model") -> str:
    path = "/".join(quote(p, safe=".-_~") for p in model_id.split("/"))
    return f"{HUB}/{'datasets/' if kind == 'dataset' else ''}{path}"


def purl(model_id: str | None, rev: str | None = None, kind: str = "hub") -> str | None:
    """Package URL of a Hub model (`pkg:huggingface/<org>/<name>@<revision>`); None for API and local models."""
    if kind != "hub" or not model_id or "/" not in model_id:
        return None
    out = "pkg:huggingface/" + "/".join(quote(p, safe=".-_~") for p in model_id.split("/"))
    return out + (f"@{quote(rev.lower(), safe='.-_~')}" if rev else "")


def governing_license(model):
    """The license that governs the weights: the effective one when the report has it, else the declared."""
    return model.effective_license or model.license


def is_declared(model) -> bool:
    """Whether the governing license is the one the card declares (not one openscope concluded)."""
    lic = governing_license(model)
    return lic is not None and model.effective_license_from is None and lic.identified_by == "declared"


def real_spdx_id(lic) -> str | None:
    """The license's SPDX id when it is one (never a LicenseRef-)."""
    spdx = getattr(lic, "spdx", None) if lic is not None else None
    return spdx if spdx and not spdx.startswith("LicenseRef-") else None


def flag_line(f, *, title: bool = True, quote: int = 0) -> str:
    """One line for a restriction: its title, thresholds, where it comes from and its first evidence
    (with the first `quote` characters of its quote when `quote` is set)."""
    definition = flag_defs().get(f.flag) if title else None
    text = f"{f.flag}: {definition.title}" if definition else f.flag
    if f.thresholds:
        text += f" ({format_thresholds(f.thresholds)})"
    if f.inherited_from:
        text += f", inherited from {f.inherited_from}"
    if f.evidence:
        ev = f.evidence[0]
        text += f" [{ev.file}" + (f" §{ev.section}" if ev.section else "")
        text += (f": \"{ev.quote[:quote]}\"" if quote else "") + "]"
    return text


def where(ev) -> str:
    """An evidence's file and section: "LICENSE §1.b.i"."""
    return ev.file + (f" §{ev.section}" if ev.section else "")


def obligation_label(o) -> str:
    """An obligation in a few words: `display-credit: "Built with Llama"`, `request-license-above-threshold
    (users 700,000,000)`, with the base it comes from."""
    text = o.obligation
    if o.value and len(o.value) <= 60:
        text += f': "{o.value}"'
    if o.thresholds:
        text += f" ({format_thresholds(o.thresholds)})"
    if o.inherited_from:
        text += f" <- {o.inherited_from}"
    return text


def checklist_item(o) -> str:
    """The line a reviewer ticks off (licenses/obligations.yaml `checklist`), with where the terms say it."""
    d = obligation_defs().get(o.obligation)
    if d is None:
        text = o.obligation
    elif (o.value and "{value}" in d.checklist) or (o.thresholds and "{thresholds}" in d.checklist):
        text = d.checklist.format(value=o.value or "", thresholds=format_thresholds(o.thresholds))
    else:
        text = d.checklist_without_value or d.checklist.replace("{value}", "").replace("{thresholds}", "")
    if o.inherited_from:
        text += f" (terms of {o.inherited_from})"
    if o.evidence:
        text += f" [{where(o.evidence[0])}]"
    return text
