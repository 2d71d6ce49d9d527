"""`--format cyclonedx`: a CycloneDX 1.6 ML-BOM (JSON).

One `machine-learning-model` component per model: a `pkg:huggingface/<ns>/<name>@<rev>` purl for Hub
models, the governing license as an SPDX `id` when it has one and as `name` + `url` otherwise (Llama,
Gemma, RAIL ...), with `acknowledgement` "declared" (card metadata) or "concluded" (found by openscope),
and openscope's findings as `openscope:`-prefixed properties.

The JSON is written directly (no runtime dependency); tests validate it with cyclonedx-python-lib's
bundled 1.6 schema.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from urllib.parse import quote

from openscope._version import __version__
from openscope.render.interface import Format
from openscope.types import model_name

SPEC_VERSION = "1.6"
PREFIX = "openscope:"


def purl(model) -> str | None:
    """Package URL of a Hub model; None for API and local models."""
    if model.kind != "hub" or not model.id:
        return None
    parts = [quote(p, safe=".-_~") for p in model.id.split("/")]
    out = "pkg:huggingface/" + "/".join(parts)
    rev = revision(model)
    return out + (f"@{quote(rev.lower(), safe='.-_~')}" if rev else "")


def revision(model) -> str | None:
    if model.id and model.ref.startswith(model.id + "@"):
        return model.ref[len(model.id) + 1:] or None
    return None


def _spdx_id(lic) -> str | None:
    """The SPDX id of a license that has one (never a LicenseRef-)."""
    from openscope.catalog import load_catalog

    entry = load_catalog().lookup(lic.id) or load_catalog().lookup(lic.name)
    spdx = entry.spdx if entry is not None else None
    return spdx if spdx and not spdx.startswith("LicenseRef-") else None


def licenses(model) -> list[dict]:
    lic = model.license
    if lic is None or not (lic.id or lic.name):
        return []
    ack = "declared" if lic.identified_by == "declared" else "concluded"
    spdx = _spdx_id(lic)
    if spdx:
        body = {"id": spdx}
    else:
        body = {"name": lic.name or lic.id}
        if lic.url:
            body["url"] = lic.url
    body["acknowledgement"] = ack
    return [{"license": body}]


def _prop(name: str, value) -> dict:
    if isinstance(value, bool):
        value = "true" if value else "false"
    return {"name": PREFIX + name, "value": str(value)}


def properties(model, violations=(), waived=()) -> list[dict]:
    props = [_prop("spectrum", model.spectrum), _prop("confidence", model.confidence)]
    if model.osi_open is not None:
        props.append(_prop("osi_open", model.osi_open))
    if model.gated is not None:
        props.append(_prop("gated", model.gated))
    if model.license is not None and model.license.id:
        props.append(_prop("license_id", model.license.id))
        props.append(_prop("license_identified_by", model.license.identified_by))
    for part, status in model.components.items():
        props.append(_prop(f"component:{part}", status))
    for f in model.flags:
        props.append(_prop("flag", f.flag))
        for key, value in f.thresholds.items():
            props.append(_prop(f"flag:{f.flag}:{key}", value))
        if f.inherited_from:
            props.append(_prop(f"flag:{f.flag}:inherited_from", f.inherited_from))
        for ev in f.evidence[:1]:
            props.append(_prop(f"flag:{f.flag}:evidence", ev.file + (f" §{ev.section}" if ev.section else "")))
    for b in model.base_models:
        props.append(_prop("base_model", b))
    for w in model.warnings:
        props.append(_prop(f"warning:{w.code}", w.message))
    if model.error is not None:
        props.append(_prop(f"error:{model.error.code}", model.error.message))
    for loc in model.locations:
        props.append(_prop("location", f"{loc.path}:{loc.line}"))
    for v in violations:
        props.append(_prop(f"policy:{v.severity}:{v.rule}", v.message))
    for w in waived:
        props.append(_prop(f"policy:waived:{w.rule}", w.reason))
    return props


def component(model, index: int, violations=(), waived=()) -> dict:
    name = model_name(model)
    comp: dict = {"type": "machine-learning-model", "bom-ref": f"model-{index}:{name}"}
    if model.kind == "hub" and model.id and "/" in model.id:
        comp["group"], comp["name"] = model.id.split("/", 1)
    else:
        comp["name"] = name
    rev = revision(model)
    if rev:
        comp["version"] = rev
    lics = licenses(model)
    if lics:
        comp["licenses"] = lics
    p = purl(model)
    if p:
        comp["purl"] = p
        comp["externalReferences"] = [{"type": "website", "url": f"https://huggingface.co/{model.id}"}]
    comp["properties"] = properties(model, violations, waived)
    return comp


def render_report(report) -> str:
    violations: dict[str, list] = {}
    waived: dict[str, list] = {}
    if report.policy is not None:
        for v in report.policy.violations:
            violations.setdefault(v.model, []).append(v)
        for w in report.policy.waived:
            waived.setdefault(w.model, []).append(w)
    components = []
    for i, m in enumerate(report.models):
        name = model_name(m)
        components.append(component(m, i, violations.pop(name, ()), waived.pop(name, ())))
    metadata: dict = {
        "timestamp": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "tools": {"components": [{"type": "application", "name": "openscope", "version": __version__}]},
    }
    if report.policy is not None:
        metadata["properties"] = [_prop("policy:passed", report.policy.passed)]
        if report.policy.source:
            metadata["properties"].append(_prop("policy:source", report.policy.source))
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": metadata,
        "components": components,
    }
    return json.dumps(bom, indent=2, ensure_ascii=False) + "\n"


FORMAT = Format("cyclonedx", "A CycloneDX 1.6 ML-BOM (JSON).", render_report)
