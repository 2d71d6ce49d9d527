"""What several formats read off a report the same way (not a format itself: render/interface.py skips it).

One model per name (a model referenced from two files is one BOM component with both locations), its
revision, its Hub page, the license that governs it, and one line per restriction flag.
"""

from __future__ import annotations

import copy
from urllib.parse import quote

from openscope.types import model_name
from openscope.vocabulary import flag_defs, format_thresholds

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


def flag_line(f) -> str:
    """One line for a restriction: its title, thresholds, where it comes from and its first evidence."""
    title = flag_defs().get(f.flag)
    text = f"{f.flag}: {title.title}" if title else f.flag
    if f.thresholds:
        text += f" ({format_thresholds(f.thresholds)})"
    if f.inherited_from:
        text += f", inherited from {f.inherited_from}"
    if f.evidence:
        ev = f.evidence[0]
        text += f" [{ev.file}" + (f" §{ev.section}" if ev.section else "") + "]"
    return text
