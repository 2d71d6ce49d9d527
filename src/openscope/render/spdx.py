"""`--format spdx`: an SPDX 3.0.1 document (JSON-LD) with the AI and Dataset profiles.

- One `ai_AIPackage` per model (one per name), with `software_primaryPurpose: model`, the Hub page as
  download location and a `pkg:huggingface/...` purl, `ai_typeOfModel` (the card's task) and `ai_domain`
  (the Hub's category of that task) where known, `ai_limitation` from the restriction flags and
  `ai_informationAboutTraining` from the openness components. `ai_standardCompliance` is left out:
  openscope does not know which standards a model complies with.
- Licenses are `simplelicensing_LicenseExpression`s: an SPDX id, or a `LicenseRef-` id (ScanCode's, else
  `LicenseRef-openscope-<catalog key>`) mapped to the text's URL by `simplelicensing_customIdToUri`.
  `hasConcludedLicense` points at the license that governs the weights (a base's binding terms over a
  relabelled fine-tune), `hasDeclaredLicense` at what the model itself declares.
- Bases are AI packages too, linked by `descendantOf`; datasets are `dataset_DatasetPackage`s linked by
  `trainedOn`.
- The spectrum and policy violations are `Annotation`s on the package.

Written directly as JSON (no runtime dependency). Tests deserialise it with spdx-python-model (SPDX's
generated bindings) and validate it against the published SPDX 3.0.1 JSON schema. Element ids come from
model and dataset ids under a per-document namespace, so two runs differ only in that namespace's UUID and
in `created`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from urllib.parse import quote

from openscope._version import __version__
from openscope.render.interface import Format
from openscope.render.shared import (
    checklist_item,
    flag_line,
    governing_license,
    hub_page,
    purl,
    revision,
    unique_models,
)
from openscope.types import model_name

CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
SPEC_VERSION = "3.0.1"
CREATION = "_:creationinfo"
PROFILES = ["core", "software", "simpleLicensing", "ai", "dataset"]
_IDSTRING = re.compile(r"[^A-Za-z0-9.-]+")

# The Hub's task categories (its task taxonomy), for `ai_domain`.
_DOMAINS = {
    "natural language processing": (
        "text-classification", "token-classification", "table-question-answering", "question-answering",
        "zero-shot-classification", "translation", "summarization", "feature-extraction", "text-generation",
        "text2text-generation", "fill-mask", "sentence-similarity", "text-ranking", "conversational"),
    "computer vision": (
        "depth-estimation", "image-classification", "object-detection", "image-segmentation", "text-to-image",
        "image-to-text", "image-to-image", "image-to-video", "unconditional-image-generation",
        "video-classification", "text-to-video", "zero-shot-image-classification", "mask-generation",
        "zero-shot-object-detection", "text-to-3d", "image-to-3d", "image-feature-extraction",
        "keypoint-detection"),
    "audio": ("text-to-speech", "text-to-audio", "automatic-speech-recognition", "audio-to-audio",
              "audio-classification", "voice-activity-detection"),
    "multimodal": ("audio-text-to-text", "image-text-to-text", "visual-question-answering",
                   "document-question-answering", "video-text-to-text", "visual-document-retrieval", "any-to-any"),
    "tabular": ("tabular-classification", "tabular-regression", "time-series-forecasting"),
    "reinforcement learning": ("reinforcement-learning", "robotics"),
}
DOMAIN_OF = {task: domain for domain, tasks in _DOMAINS.items() for task in tasks}


class _Doc:
    def __init__(self, namespace: str):
        self.ns = namespace
        self.elements: dict[str, dict] = {}

    def id(self, kind: str, name: str) -> str:
        return f"{self.ns}{kind}/{quote(name, safe='')}"

    def add(self, element: dict) -> str:
        element.setdefault("creationInfo", CREATION)
        self.elements.setdefault(element["spdxId"], element)
        return element["spdxId"]

    def relate(self, source: str, rel: str, targets: list[str]) -> None:
        if targets:
            self.add({"type": "Relationship", "spdxId": f"{source}/{rel}", "from": source,
                      "to": sorted(set(targets)), "relationshipType": rel})

    def annotate(self, subject: str, key: str, statement: str, kind: str = "other") -> None:
        self.add({"type": "Annotation", "spdxId": f"{subject}/annotation/{quote(key, safe='')}",
                  "annotationType": kind, "subject": subject, "statement": statement})

    def license(self, lic) -> str | None:
        if lic is None or not (lic.id or lic.spdx or lic.name):
            return None
        expression = lic.spdx or f"LicenseRef-openscope-{_IDSTRING.sub('-', lic.id or lic.name).strip('-')}"
        element = {"type": "simplelicensing_LicenseExpression", "spdxId": self.id("license", expression),
                   "simplelicensing_licenseExpression": expression}
        if expression.startswith("LicenseRef-") and lic.url:
            element["simplelicensing_customIdToUri"] = [{"type": "DictionaryEntry", "key": expression,
                                                         "value": lic.url}]
        return self.add(element)

    def base(self, base_id: str) -> str:
        return self.add({"type": "ai_AIPackage", "spdxId": self.id("model", base_id), "name": base_id,
                         "software_primaryPurpose": "model", "software_downloadLocation": hub_page(base_id),
                         **({"software_packageUrl": purl(base_id)} if purl(base_id) else {}),
                         "comment": "A base model named by a model in this document."})


def _training_info(m) -> str:
    parts = [f"{part.replace('_', ' ')}: {status}" for part, status in m.components.items()]
    text = "openness components (openscope): " + ", ".join(parts)
    for part in ("training_code", "training_data"):
        why = (m.component_evidence or {}).get(part)
        if why:
            text += f". {part.replace('_', ' ')}: {why[0]}"
    return text


def _summary(m) -> str:
    text = f"openscope: {m.spectrum} (confidence {m.confidence:.2f})"
    if m.osi_open is not None:
        text += f"; OSI open: {'yes' if m.osi_open else 'no'}"
    if m.effective_license_from and m.effective_license is not None:
        governing = m.effective_license.id or m.effective_license.name
        text += f"; governed by {governing} terms of {m.effective_license_from}"
    if m.error is not None:
        text += f"; not assessed ({m.error.code}: {m.error.message})"
    return text


def _model(doc: _Doc, m, violations) -> str:
    name = model_name(m)
    rev = revision(m)
    pkg: dict = {"type": "ai_AIPackage", "spdxId": doc.id("model", name), "name": m.id or m.ref,
                 "software_primaryPurpose": "model"}
    if rev:
        pkg["software_packageVersion"] = rev
    if m.kind == "hub" and m.id:
        pkg["software_downloadLocation"] = hub_page(m.id)
        if purl(m.id, rev):
            pkg["software_packageUrl"] = purl(m.id, rev)
    if m.task:
        pkg["ai_typeOfModel"] = [m.task]
        if m.task in DOMAIN_OF:
            pkg["ai_domain"] = [DOMAIN_OF[m.task]]
    if m.flags:
        pkg["ai_limitation"] = "License restrictions: " + "; ".join(flag_line(f) for f in m.flags)
    pkg["ai_informationAboutTraining"] = _training_info(m)
    pkg["comment"] = _summary(m)
    ref = doc.add(pkg)
    doc.relate(ref, "hasConcludedLicense", [x for x in [doc.license(governing_license(m))] if x])
    doc.relate(ref, "hasDeclaredLicense", [x for x in [doc.license(m.license)] if x])
    doc.annotate(ref, "spectrum", _summary(m))
    for i, v in enumerate(violations):
        doc.annotate(ref, f"policy-{i + 1}-{v.rule}", f"policy {v.severity}: {v.message}", "review")
    for i, o in enumerate(m.obligations):
        doc.annotate(ref, f"obligation-{i + 1}-{o.obligation}", f"obligation: {checklist_item(o)}")
    return ref


def _dataset(doc: _Doc, ds) -> str:
    pkg = {"type": "dataset_DatasetPackage", "spdxId": doc.id("dataset", ds.id), "name": ds.id,
           "software_primaryPurpose": "data", "dataset_datasetType": ["noAssertion"]}
    if "/" in ds.id:
        pkg["software_downloadLocation"] = hub_page(ds.id, "dataset")
    ref = doc.add(pkg)
    if ds.license:
        expression = _dataset_expression(ds.license)
        lic = doc.add({"type": "simplelicensing_LicenseExpression", "spdxId": doc.id("license", expression),
                       "simplelicensing_licenseExpression": expression})
        doc.relate(ref, "hasDeclaredLicense", [lic])
    return ref


def _dataset_expression(text: str) -> str:
    """A dataset card's license as an expression: an SPDX-looking id stays, anything else is a LicenseRef."""
    text = text.strip()
    if re.fullmatch(r"[A-Za-z0-9.+-]+", text) and any(c.isupper() for c in text):
        return text
    return f"LicenseRef-openscope-{_IDSTRING.sub('-', text).strip('-')}"


def render_report(report) -> str:
    doc = _Doc(f"https://spdx.org/spdxdocs/openscope-{uuid.uuid4()}/")
    violations: dict[str, list] = {}
    if report.policy is not None:
        for v in report.policy.violations:
            violations.setdefault(v.model, []).append(v)
    models = unique_models(report)
    roots = [_model(doc, m, violations.get(model_name(m), ())) for m in models]
    by_id = {(m.id or "").lower(): doc.id("model", model_name(m)) for m in models if not revision(m)}
    for m, ref in zip(models, roots):
        bases = [by_id.get(b.lower()) or doc.base(b) for b in m.base_models]
        doc.relate(ref, "descendantOf", bases)
        doc.relate(ref, "trainedOn", [_dataset(doc, d) for d in m.datasets])

    created = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    agent = f"{doc.ns}agent/openscope"
    tool = f"{doc.ns}tool/openscope"
    head = [
        {"type": "CreationInfo", "@id": CREATION, "specVersion": SPEC_VERSION, "created": created,
         "createdBy": [agent], "createdUsing": [tool]},
        {"type": "SoftwareAgent", "spdxId": agent, "name": "openscope", "creationInfo": CREATION},
        {"type": "Tool", "spdxId": tool, "name": f"openscope {__version__}", "creationInfo": CREATION},
    ]
    elements = [doc.elements[k] for k in sorted(doc.elements)]
    document = {"type": "SpdxDocument", "spdxId": f"{doc.ns}document", "creationInfo": CREATION,
                "name": "openscope report", "profileConformance": PROFILES,
                "rootElement": sorted(roots), "element": sorted([agent, tool, *doc.elements])}
    if report.policy is not None:
        verdict = "passed" if report.policy.passed else "failed"
        document["comment"] = f"openscope check {verdict}" + (f" (policy {report.policy.source})"
                                                               if report.policy.source else "")
    graph = head + [document] + elements
    return json.dumps({"@context": CONTEXT, "@graph": graph}, indent=2, ensure_ascii=False) + "\n"


FORMAT = Format("spdx", "An SPDX 3.0.1 JSON-LD document with the AI and Dataset profiles.", render_report)
