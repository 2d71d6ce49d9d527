"""Stage 5: place a model on the spectrum from its components (SPEC §1)."""

from __future__ import annotations

from dataclasses import dataclass, field

from openscope.facts import ModelFacts
from openscope.licensing import LicenseAssessment

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".pth", ".ckpt", ".onnx", ".h5", ".msgpack", ".ggml",
                   ".mlmodel", ".tflite", ".nemo", ".npz")


@dataclass
class Placement:
    spectrum: str
    confidence: float
    components: dict[str, str]
    reasons: list[str] = field(default_factory=list)


def _license_status(catalog, name: str | None) -> str:
    if not name:
        return "unknown"
    entry = catalog.lookup(name)
    if entry is None:
        return "unknown"
    return "open" if entry.osi_open and not (entry.flag_set - {"attribution"}) else "restricted"


def place(facts: ModelFacts, lic: LicenseAssessment, catalog) -> Placement:
    if facts.kind == "api":
        return Placement("closed-api", 1.0, {"weights": "closed", "training_code": "closed", "training_data": "closed"},
                         [f"{facts.ref.raw} is served only through {facts.api.provider_name}'s hosted API"])
    reasons: list[str] = []
    has_weights = any(s.lower().endswith(WEIGHT_SUFFIXES) for s in facts.siblings)
    if lic.info is None and not has_weights:
        weights = "unknown"
        reasons.append("no license declared and no weight files listed")
    elif lic.osi_open:
        weights = "open"
        reasons.append(f"weights under {lic.info.id or lic.info.name}, an open license")
    elif lic.info is not None and (lic.entry is not None or lic.flags):
        weights = "restricted"
        reasons.append(f"weights downloadable under {lic.info.id or lic.info.name}, which restricts use")
    else:
        weights = "unknown" if not has_weights else "restricted"
        reasons.append("weights present but their license could not be identified")

    code = facts.training.get("code") or {}
    data = facts.training.get("data") or {}
    training_code = _license_status(catalog, code.get("license")) if code else "unknown"
    training_data = _license_status(catalog, data.get("license")) if data else "unknown"
    if training_code == "unknown" and not code:
        reasons.append("no training code release is recorded")
    if training_data == "unknown" and not data:
        reasons.append("no training data release is recorded")

    components = {"weights": weights, "training_code": training_code, "training_data": training_data}
    if all(v == "open" for v in components.values()):
        return Placement("fully-open", 0.9, components, reasons + ["weights, training code and data are all open"])
    if weights in ("open", "restricted"):
        return Placement("open-weights", 0.9 if weights == "restricted" or training_code != "unknown" else 0.8,
                         components, reasons)
    return Placement("unknown", 0.0, components, reasons)
