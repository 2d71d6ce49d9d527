"""The notice bundle a product ships for the models it uses (`openscope notice`).

For each model: the license that governs its weights, the credit strings to display, the attribution
notices to pass on (a NOTICE file, a notice line the license spells out), the copyright lines its files
state, where the license texts are, what else its terms oblige, and with `--include-texts` the texts
themselves as fetched from the model's repository at its revision. A base model whose terms reach a model
(its obligations were inherited) gets an entry of its own, saying which models it is shipped for.

This stage only reads what the driver gives it: the assessed reports, the facts they were made from, and
the bases the assessor resolved. It never fetches.
"""

from __future__ import annotations

from collections.abc import Callable

from openscope.assess.licensing import license_info
from openscope.catalog import Catalog
from openscope.license.notices import copyright_lines
from openscope.types import (
    ErrorInfo,
    LicenseInfo,
    ModelFacts,
    ModelReport,
    NoticeBundle,
    NoticeEntry,
    NoticeText,
    ObligationFinding,
    model_name,
)

HUB = "https://huggingface.co"
TERMS_PREFIXES = ("LICENSE", "LICENCE", "NOTICE", "USE_POLICY", "ACCEPTABLE_USE")
OFFLINE_NOTE = ("the terms files were not at hand (offline registry facts): the obligations come from the "
                "catalog, and the texts are linked, not included; run online to include them")


def _file_url(model_id: str, revision: str | None, name: str) -> str:
    return f"{HUB}/{model_id}/blob/{revision or 'main'}/{name}"


def _terms_names(facts: ModelFacts) -> list[str]:
    """Terms files of the repository: those read, else those its file list names (registry facts)."""
    read = [d.name for d in facts.documents]
    if read:
        return read
    return [s for s in facts.siblings if "/" not in s and s.upper().startswith(TERMS_PREFIXES)]


def _fill(entry: NoticeEntry, facts: ModelFacts | None, own: list[ObligationFinding], include_texts: bool) -> None:
    """Credits, notices, copyright lines, links and texts of one model, from its obligations and files."""
    entry.obligations = own
    entry.credits = list(dict.fromkeys(o.value for o in own if o.obligation == "display-credit" and o.value))
    entry.notices = list(dict.fromkeys(o.value for o in own if o.obligation == "ship-notice" and o.value))
    if entry.license is not None and entry.license.url:
        entry.links.append(entry.license.url)
    if facts is None:
        return
    for doc in facts.documents:
        if doc.name.upper().startswith("NOTICE") and doc.text.strip() and doc.text.strip() not in entry.notices:
            entry.notices.append(doc.text.strip())
        entry.copyright += [c for c in copyright_lines(doc.text) if c not in entry.copyright]
    if facts.kind == "local":
        files = [str((facts.ref.path or facts.ref.id)) + "/" + d.name for d in facts.documents]
        entry.links += [f for f in files if f not in entry.links]
    elif facts.kind == "hub":
        revision = facts.sha or facts.ref.revision
        entry.links += [u for u in (_file_url(facts.id, revision, n) for n in _terms_names(facts)) if u not in entry.links]
    if not facts.documents and facts.kind == "hub":
        entry.notes.append(OFFLINE_NOTE)
        for name in [] if not include_texts else _terms_names(facts):
            entry.texts.append(NoticeText(name, _file_url(facts.id, facts.sha or facts.ref.revision, name), None))
    elif include_texts:
        for doc in facts.documents:
            url = _file_url(facts.id, facts.sha or facts.ref.revision, doc.name) if facts.kind == "hub" else None
            entry.texts.append(NoticeText(doc.name, url, doc.text))


def _own(obligations: list[ObligationFinding]) -> list[ObligationFinding]:
    return [o for o in obligations if o.inherited_from is None]


def _catalog_license(obligations: list[ObligationFinding], catalog: Catalog) -> LicenseInfo | None:
    """A base known only by the catalog facts its obligations cite ("catalog:llama2")."""
    for o in obligations:
        for ev in o.evidence:
            if ev.file.startswith("catalog:"):
                entry = catalog.get(ev.file[len("catalog:"):])
                if entry is not None and entry.kind == "license":
                    return license_info(entry, "lineage", 1.0)
    return None


def build_bundle(assessed: list[tuple[ModelReport, ModelFacts | None]], catalog: Catalog, *,
                 base_facts: Callable[[str], ModelFacts | None] = lambda _: None,
                 base_license: Callable[[str], object | None] = lambda _: None,
                 include_texts: bool = False) -> NoticeBundle:
    """The bundle for these assessed models (each with the facts it was assessed from, or None).

    `base_facts` and `base_license` give what the assessor learnt about a base during the run (its facts,
    its catalog license), by id; a base they do not know is described by the obligations it passed down."""
    bundle = NoticeBundle()
    seen: set[str] = set()
    inherited: dict[str, list[ObligationFinding]] = {}  # base -> its obligations, as passed down
    required_by: dict[str, list[str]] = {}
    for model, facts in assessed:
        name = model_name(model)
        if model.error is not None:
            if not any(e.message == model.error.message for e in bundle.missing):
                bundle.missing.append(ErrorInfo(model.error.code, model.error.message))
            continue
        if name in seen:
            entry = next(e for e in [*bundle.models, *bundle.hosted] if e.model == name)
            entry.locations += [loc for loc in model.locations if loc not in entry.locations]
            continue
        seen.add(name)
        governing = model.effective_license or model.license
        entry = NoticeEntry(model=name, kind=model.kind, revision=model.revision, license=governing,
                            declared_license=model.license if model.effective_license_from else None,
                            locations=list(model.locations))
        if model.kind == "api":
            entry.notes.append("a hosted service: no model files are shipped, but its terms govern your use")
            entry.links += [governing.url] if governing is not None and governing.url else []
            bundle.hosted.append(entry)
            continue
        _fill(entry, facts, _own(model.obligations), include_texts)
        for o in model.obligations:
            if o.inherited_from is not None:
                origin = o.inherited_from
                group = inherited.setdefault(origin, [])
                plain = ObligationFinding(o.obligation, o.value, dict(o.thresholds), o.source, None, list(o.evidence))
                if (plain.obligation, plain.value) not in {(g.obligation, g.value) for g in group}:
                    group.append(plain)
                if name not in required_by.setdefault(origin, []):
                    required_by[origin].append(name)
        if model.effective_license_from:
            entry.notes.append(f"the weights are governed by the terms of {model.effective_license_from}; "
                               "its entry below says what those terms ask")
        bundle.models.append(entry)
    for origin, obligations in inherited.items():
        if origin in seen:  # the base is itself a model the product uses: its entry is there already
            entry = next(e for e in bundle.models if e.model == origin)
            entry.required_by += [m for m in required_by[origin] if m not in entry.required_by]
            continue
        lic = base_license(origin)
        info = license_info(lic, "lineage", 1.0) if lic is not None else _catalog_license(obligations, catalog)
        facts = base_facts(origin)
        entry = NoticeEntry(model=origin, kind="hub",
                            revision=(facts.sha or facts.ref.revision) if facts is not None else None,
                            license=info, required_by=list(required_by[origin]))
        _fill(entry, facts, obligations, include_texts)
        bundle.models.append(entry)
    return bundle
