"""`--format cyclonedx`: a CycloneDX 1.6 ML-BOM (JSON), built with cyclonedx-python-lib.

- One `machine-learning-model` component per model (one per name: a model referenced twice is one
  component with both locations), `bom-ref` `model:<id>[@<revision>]`, a `pkg:huggingface/...` purl for
  Hub models.
- `licenses`: the license that governs the weights (the report's `effective_license`): an SPDX `id` when it
  has one, otherwise its `name` and the text's `url` (Llama, Gemma, RAIL ...); `acknowledgement` is
  "declared" when that is what the card declares and "concluded" when openscope found it (a text it read,
  a base whose terms bind the fine-tune). What the model itself declares stays under `evidence.licenses`.
- Base models are components too (`model:<id>`), named in the fine-tune's `pedigree.ancestors` and in
  `dependencies`; datasets are `data` components (`dataset:<id>`), in `modelCard.modelParameters.datasets`
  and in `dependencies`.
- `modelCard`: the task and datasets where known, one `considerations.technicalLimitations` line per
  restriction flag, and the openness components as `openscope:component:<part>` properties.
- openscope's findings are properties in the `openscope:` namespace (docs/integrations.md lists them).

cyclonedx-python-lib (the `cyclonedx` extra) builds and serialises the BOM. It does not model `modelCard`
or a data component's `data` yet, so those two are added to its JSON output; tests validate the result
with the library's strict 1.6 JSON validator. Output is sorted and bom-refs come from model ids, so two runs
differ only in `serialNumber` and `timestamp`.
"""

from __future__ import annotations

import json

from openscope._version import __version__
from openscope.errors import InputError
from openscope.render.interface import Format
from openscope.render.shared import (
    flag_line,
    governing_license,
    hub_page,
    is_declared,
    obligation_label,
    purl,
    real_spdx_id,
    revision,
    unique_models,
)
from openscope.types import model_name

SPEC_VERSION = "1.6"
PREFIX = "openscope:"
INSTALL_HINT = 'pip install "openscope[cyclonedx]"'


def _lib():
    """cyclonedx-python-lib's pieces, imported only when this format is used."""
    try:
        from cyclonedx import model as cdx
        from cyclonedx.model import bom, bom_ref, component, component_evidence, license
        from cyclonedx.output.json import JsonV1Dot6
        from cyclonedx.spdx import is_supported_id
    except ImportError:
        raise InputError(f"--format cyclonedx needs cyclonedx-python-lib: {INSTALL_HINT}") from None
    return cdx, bom, bom_ref, component, component_evidence, license, JsonV1Dot6, is_supported_id


def model_ref(name: str) -> str:
    return f"model:{name}"


def dataset_ref(dataset_id: str) -> str:
    return f"dataset:{dataset_id}"


def _prop(name: str, value) -> tuple[str, str]:
    if isinstance(value, bool):
        value = "true" if value else "false"
    return PREFIX + name, str(value)


def properties(model, violations=(), waived=()) -> list[tuple[str, str]]:
    props = [_prop("spectrum", model.spectrum), _prop("confidence", model.confidence)]
    if model.osi_open is not None:
        props.append(_prop("osi_open", model.osi_open))
    if model.gated is not None:
        props.append(_prop("gated", model.gated))
    if model.license is not None and model.license.id:
        props.append(_prop("license_id", model.license.id))
        props.append(_prop("license_identified_by", model.license.identified_by))
    eff = model.effective_license
    if eff is not None and eff.id:
        props.append(_prop("effective_license_id", eff.id))
    if model.effective_license_from:
        props.append(_prop("effective_license_from", model.effective_license_from))
    for f in model.flags:
        props.append(_prop("flag", f.flag))
        for key, value in f.thresholds.items():
            props.append(_prop(f"flag:{f.flag}:{key}", value))
        if f.inherited_from:
            props.append(_prop(f"flag:{f.flag}:inherited_from", f.inherited_from))
        for ev in f.evidence[:1]:
            props.append(_prop(f"flag:{f.flag}:evidence", ev.file + (f" §{ev.section}" if ev.section else "")))
    for o in model.obligations:
        props.append(_prop("obligation", obligation_label(o)))
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


class _Builder:
    def __init__(self):
        (self.cdx, self.bom_mod, self.bom_ref, self.comp, self.evidence, self.lic, self.json_out,
         self.is_supported_id) = _lib()
        self.components: dict[str, object] = {}  # bom-ref -> Component
        self.model_cards: dict[str, dict] = {}  # bom-ref -> modelCard JSON (added after serialising)
        self.data_refs: dict[str, str] = {}  # bom-ref -> dataset name, for the `data` JSON

    def license(self, lic, acknowledgement: str):
        if lic is None or not (lic.id or lic.name):
            return None
        ack = self.lic.LicenseAcknowledgement(acknowledgement)
        spdx = real_spdx_id(lic)
        if spdx and self.is_supported_id(spdx):
            return self.lic.DisjunctiveLicense(id=spdx, acknowledgement=ack)
        url = self.cdx.XsUri(lic.url) if lic.url else None
        return self.lic.DisjunctiveLicense(name=lic.name or lic.id, url=url, acknowledgement=ack)

    def named_license(self, text: str):
        """A dataset's declared license: an SPDX id when it is one, else its name."""
        from cyclonedx.spdx import fixup_id

        spdx = fixup_id(text)
        ack = self.lic.LicenseAcknowledgement.DECLARED
        return self.lic.DisjunctiveLicense(id=spdx, acknowledgement=ack) if spdx else \
            self.lic.DisjunctiveLicense(name=text, acknowledgement=ack)

    def _names(self, ident: str, kind: str) -> dict:
        if kind in ("hub", "dataset") and "/" in ident:
            group, name = ident.split("/", 1)
            return {"group": group, "name": name}
        return {"name": ident}

    def model(self, m, violations, waived):
        C = self.comp
        name = model_name(m)
        ref = model_ref(name)
        rev = revision(m)
        governing = self.license(governing_license(m), "declared" if is_declared(m) else "concluded")
        own = self.license(m.license, "declared" if m.license and m.license.identified_by == "declared"
                           else "concluded")
        refs = []
        if m.kind == "hub" and m.id:
            refs.append(self.cdx.ExternalReference(type=self.cdx.ExternalReferenceType.WEBSITE,
                                                   url=self.cdx.XsUri(hub_page(m.id))))
        ancestors = [C.Component(type=C.ComponentType.MACHINE_LEARNING_MODEL, **self._names(b, "hub"),
                                 purl=_purl_obj(purl(b))) for b in m.base_models]
        comp = C.Component(
            type=C.ComponentType.MACHINE_LEARNING_MODEL, bom_ref=ref, **self._names(m.id or m.ref, m.kind),
            version=rev, purl=_purl_obj(purl(m.id, rev, m.kind)), licenses=[governing] if governing else [],
            evidence=self.evidence.ComponentEvidence(licenses=[own]) if own else None,
            external_references=refs, pedigree=C.Pedigree(ancestors=ancestors) if ancestors else None,
            properties=[self.cdx.Property(name=k, value=v) for k, v in properties(m, violations, waived)],
        )
        self.components[ref] = comp
        self.model_cards[ref] = model_card(m, name)
        return comp

    def base(self, base_id: str, child) -> str:
        """The component of a base model the report names but did not assess under that name."""
        ref = model_ref(base_id)
        if ref not in self.components:
            C = self.comp
            lic = governing_license(child) if child.effective_license_from == base_id else None
            governing = self.license(lic, "concluded")
            self.components[ref] = C.Component(
                type=C.ComponentType.MACHINE_LEARNING_MODEL, bom_ref=ref, **self._names(base_id, "hub"),
                purl=_purl_obj(purl(base_id)), licenses=[governing] if governing else [],
                external_references=[self.cdx.ExternalReference(type=self.cdx.ExternalReferenceType.WEBSITE,
                                                                url=self.cdx.XsUri(hub_page(base_id)))],
                properties=[self.cdx.Property(name=PREFIX + "role", value="base-model")],
            )
        return ref

    def dataset(self, ds) -> str:
        ref = dataset_ref(ds.id)
        if ref not in self.components:
            C = self.comp
            self.components[ref] = C.Component(
                type=C.ComponentType.DATA, bom_ref=ref, **self._names(ds.id, "dataset"),
                licenses=[self.named_license(ds.license)] if ds.license else [],
                external_references=[self.cdx.ExternalReference(type=self.cdx.ExternalReferenceType.WEBSITE,
                                                                url=self.cdx.XsUri(hub_page(ds.id, "dataset")))]
                if "/" in ds.id else [],
            )
            self.data_refs[ref] = ds.id
        return ref


def _purl_obj(text: str | None):
    if text is None:
        return None
    from packageurl import PackageURL

    return PackageURL.from_string(text)


def model_card(m, name: str) -> dict:
    card: dict = {"bom-ref": f"model-card:{name}"}
    params: dict = {}
    if m.task:
        params["task"] = m.task
    if m.datasets:
        params["datasets"] = [{"ref": dataset_ref(d.id)} for d in sorted(m.datasets, key=lambda d: d.id.lower())]
    if params:
        card["modelParameters"] = params
    limits = [flag_line(f) for f in m.flags]
    if limits:
        card["considerations"] = {"technicalLimitations": limits}
    card["properties"] = [{"name": f"{PREFIX}component:{part}", "value": status}
                          for part, status in sorted(m.components.items())]
    return card


def render_report(report) -> str:
    b = _Builder()
    violations: dict[str, list] = {}
    waived: dict[str, list] = {}
    if report.policy is not None:
        for v in report.policy.violations:
            violations.setdefault(v.model, []).append(v)
        for w in report.policy.waived:
            waived.setdefault(w.model, []).append(w)
    models = unique_models(report)
    for m in models:
        name = model_name(m)
        b.model(m, violations.get(name, ()), waived.get(name, ()))
    depends: dict[str, list[str]] = {}
    for m in models:
        ref = model_ref(model_name(m))
        depends[ref] = [b.base(base, m) for base in m.base_models] + [b.dataset(d) for d in m.datasets]

    bom = b.bom_mod.Bom()
    bom.components.update(b.components.values())
    for ref, deps in depends.items():
        if deps:
            bom.register_dependency(b.components[ref], [b.components[d] for d in deps])
    bom.metadata.tools.components.add(b.comp.Component(type=b.comp.ComponentType.APPLICATION, name="openscope",
                                                       version=__version__))
    if report.policy is not None:
        meta = [_prop("policy:passed", report.policy.passed)]
        if report.policy.source:
            meta.append(_prop("policy:source", report.policy.source))
        bom.metadata.properties.update(b.cdx.Property(name=k, value=v) for k, v in meta)

    doc = json.loads(b.json_out(bom).output_as_string())
    for comp in doc.get("components", []):
        ref = comp.get("bom-ref")
        if ref in b.model_cards:
            comp["modelCard"] = b.model_cards[ref]
        elif ref in b.data_refs:
            comp["data"] = [{"type": "dataset", "name": b.data_refs[ref]}]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


FORMAT = Format("cyclonedx", "A CycloneDX 1.6 ML-BOM (JSON).", render_report)
