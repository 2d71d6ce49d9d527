"""Lineage: which models a model derives from, and what their licenses pass down to it.

Bases come from the card's `base_model` (a string or a list), `base_model:` tags, and, when those
give nothing usable, clear statements in the card body ("fine-tuned from Llama 2"). Each base is
fetched through the resolver (offline: the registry) and assessed the same way, up the chain, with
cycle detection and a depth limit. A base whose license binds derivatives passes its flags down
(`inherited_from` names it), and a declared license that contradicts it raises `license-conflict`.
A base that cannot be fetched gives a warning, never a crash.
"""

from __future__ import annotations

import functools
import re
import weakref
from dataclasses import dataclass, field

from openscope.card import as_list
from openscope.catalog import Catalog
from openscope.components import (
    RULES_DIR,
    build_matcher,
    card_sentences,
    clean_markdown,
    nlp,
)
from openscope.data import load_yaml
from openscope.errors import ModelError
from openscope.licensing import PLACEHOLDER_LICENSES, catalog_flags, osi_open_of
from openscope.refs import HUB_ID_RE
from openscope.types import (
    CatalogLicense,
    FlagFinding,
    LicenseAssessment,
    LicenseInfo,
    ModelFacts,
    ReportWarning,
)

MAX_DEPTH = 6
QUANTIZED_NAME = re.compile(r"(?:^|[-_.])(gguf|gptq|awq|exl2|mlx|bnb|4bit|8bit|int4|int8|fp8|q[2-8]_k)(?:$|[-_.])", re.I)
_HF_URL = re.compile(r"huggingface\.co/(?!datasets/|spaces/|docs/|blog/)([A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)")
_HUB_ID_IN_TEXT = re.compile(r"(?<![\w/.:-])([A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95})(?![\w/])")


# ---------------------------------------------------------------- data

@functools.cache
def lineage_rules() -> dict:
    return load_yaml(RULES_DIR / "lineage.yaml")


@dataclass(frozen=True)
class Family:
    name: str
    pattern: re.Pattern
    license: str
    model: str | None
    group: str | None


@functools.cache
def families() -> tuple[Family, ...]:
    raw = load_yaml(RULES_DIR / "families.yaml")
    return tuple(Family(f["name"], re.compile(f["pattern"], re.I), f["license"], f.get("model"), f.get("group"))
                 for f in raw["families"])


@functools.cache
def family_groups() -> dict[str, list[re.Pattern]]:
    raw = load_yaml(RULES_DIR / "families.yaml").get("groups", {})
    return {g: [re.compile(p, re.I) for p in spec.get("license_patterns", [])] for g, spec in raw.items()}


def family_in(text: str) -> Family | None:
    """The first family named in `text` (families are ordered most specific first)."""
    hits = [(m.start(), i, f) for i, f in enumerate(families()) for m in [f.pattern.search(text)] if m]
    return min(hits, key=lambda h: (h[0], h[1]))[2] if hits else None


@functools.cache
def _relation_matcher():
    rules = lineage_rules()
    return build_matcher({rel: specs for rel, specs in rules["relations"].items()})


@functools.cache
def _governing_matcher():
    return build_matcher({"governing": lineage_rules()["governing"]})


# ---------------------------------------------------------------- links read from the card

@dataclass
class BaseLink:
    ref: str | None  # Hub id of the base, when one is named
    relation: str  # quantized | adapter | merge | finetune | governed
    source: str  # where it was read: base_model, tags, card body, base_model name
    evidence: str
    license_key: str | None = None  # a license known from a family name or a governing statement
    family: str | None = None
    statement: int = 0  # body links: which statement named it; later statements are fallbacks


def is_hub_id(value: str) -> bool:
    m = HUB_ID_RE.match(value)
    return bool(m) and m["rev"] is None and "--" not in value and ".." not in value


def _looks_like_model_id(candidate: str) -> bool:
    org, _, name = candidate.partition("/")
    # "and/or", "input/output": plain lower-case words are prose, not repo ids.
    return is_hub_id(candidate) and not (org.isalpha() and org.islower() and name.isalpha() and name.islower())


def hub_ids_in(text: str) -> list[str]:
    out = [m[1].rstrip(".") for m in _HF_URL.finditer(text)]
    stripped = re.sub(r"https?://\S+", " ", text)
    out += [m[1].rstrip(".") for m in _HUB_ID_IN_TEXT.finditer(stripped) if _looks_like_model_id(m[1].rstrip("."))]
    seen: list[str] = []
    for x in out:
        if x.lower() not in (s.lower() for s in seen) and is_hub_id(x):
            seen.append(x)
    return seen


def body_base_links(body: str | None) -> list[BaseLink]:
    """Bases named by clear statements in the body: "fine-tuned from X", "a LoRA adapter for X"."""
    if not body or not body.strip():
        return []  # registry facts carry no body: don't pay for spaCy
    window = int(lineage_rules().get("window", 12))
    matcher = _relation_matcher()
    vocab = nlp().vocab
    out: list[BaseLink] = []
    for n, sentence in enumerate(card_sentences(body)):
        doc = nlp().make_doc(sentence.text)
        for match_id, start, end in sorted(matcher(doc), key=lambda m: m[1]):
            relation = vocab.strings[match_id]
            # The name may sit inside the cue ("trained on the Yi-34B model") or right after it.
            span = doc[start:end + (window * 2 if relation == "merge" else window)].text
            ids = hub_ids_in(span)
            if ids:
                for hub_id in ids if relation == "merge" else ids[:1]:
                    out.append(BaseLink(hub_id, relation, "card body", sentence.text, statement=n))
                break
            fam = family_in(span)
            if fam is not None:
                out.append(BaseLink(fam.model, relation, "card body", sentence.text, fam.license, fam.name,
                                    statement=n))
                break
    return out


def governing_links(body: str | None) -> list[BaseLink]:
    """Statements that other terms also govern the model ("comply with the Gemma Terms")."""
    if not body or not body.strip():
        return []
    sentences = card_sentences(body)
    matcher = _governing_matcher()
    out: list[BaseLink] = []
    for sentence in sentences:
        if not matcher(nlp().make_doc(sentence.text)):
            continue
        for group, patterns in family_groups().items():
            if any(p.search(sentence.text) for p in patterns):
                fam = _group_family(group, body or "")
                if fam is not None and all(link.license_key != fam.license for link in out):
                    out.append(BaseLink(None, "governed", "card body", sentence.text, fam.license, fam.name))
    return out


def _group_family(group: str, body: str) -> Family | None:
    """The family of `group` the card names most often (a vendor-level name does not give a version)."""
    members = [f for f in families() if f.group == group]
    if len({f.license for f in members}) == 1:
        return members[0]
    counts = {f.name: len(f.pattern.findall(body)) for f in members}
    best = max(members, key=lambda f: counts[f.name], default=None)
    return best if best is not None and counts[best.name] else None


def relation_of(facts: ModelFacts) -> str:
    """How the model relates to its base: quantized, adapter, merge or finetune."""
    data = facts.card_data or {}
    rel = str(data.get("base_model_relation") or "").lower()
    if rel in ("quantized", "adapter", "merge", "finetune"):
        return rel
    tags = [str(t).lower() for t in as_list(data.get("tags"))] + [t.lower() for t in facts.tags]
    for kind in ("quantized", "adapter", "merge", "finetune"):
        if any(t.startswith(f"base_model:{kind}:") for t in tags):
            return kind
    name = facts.id.rsplit("/", 1)[-1]
    if data.get("quantized_by") or QUANTIZED_NAME.search(name) or "gguf" in tags:
        return "quantized"
    if str(data.get("library_name") or "").lower() == "peft" or "lora" in tags:
        return "adapter"
    if "merge" in tags or "mergekit" in tags:
        return "merge"
    return "finetune"


def card_base_links(facts: ModelFacts) -> tuple[list[BaseLink], list[ReportWarning]]:
    """Bases from metadata (base_model, tags), else from the body; plus governing statements."""
    data = facts.card_data or {}
    relation = relation_of(facts)
    links: list[BaseLink] = []
    warnings: list[ReportWarning] = []
    hints: list[BaseLink] = []
    for value in as_list(data.get("base_model")):
        value = value.strip()
        if is_hub_id(value):
            links.append(BaseLink(value, relation, "base_model", f"base_model: {value}"))
            continue
        kind = "a local path" if value.startswith(("/", "~", ".", "\\")) or re.match(r"^[A-Za-z]:\\", value) \
            else "not a Hub id"
        warnings.append(ReportWarning("base-model-ignored", f"{facts.id}: base_model {value!r} is {kind}; ignored"))
        fam = family_in(value.replace("\\", "/").rsplit("/", 1)[-1])
        if fam is not None:
            hints.append(BaseLink(fam.model, relation, "base_model name", f"base_model: {value}", fam.license, fam.name))
    for tag in as_list(data.get("tags")):
        m = re.match(r"base_model:(?:(?:adapter|quantized|finetune|merge):)?(.+)$", tag)
        if m and is_hub_id(m[1]) and all(m[1].lower() != (link.ref or "").lower() for link in links):
            links.append(BaseLink(m[1], relation, "tags", f"tag {tag}"))
    if not links:
        body_links = body_base_links(facts.card_body)
        for link in body_links:
            if relation != "finetune" and link.relation == "finetune":
                link.relation = relation
        links = body_links or hints
        for link in hints:
            if link not in links:
                warnings.append(ReportWarning("base-model-guessed", f"{facts.id}: {link.evidence!r} looks like "
                                              f"{link.family}; its terms are assumed"))
        if hints and links is hints:
            warnings.append(ReportWarning("base-model-guessed", f"{facts.id}: base model guessed as {hints[0].family} "
                                          f"from the name in {hints[0].evidence!r}"))
    links.extend(governing_links(facts.card_body))
    return links, warnings


# ---------------------------------------------------------------- the body's own "License:" line

def body_license(body: str | None, catalog: Catalog) -> tuple[CatalogLicense | None, str | None]:
    """A license declared in the body ("**License:** MIT") when the front matter declares none."""
    if not body:
        return None, None
    rules = lineage_rules()
    line_re = re.compile(rules["license_line"], re.I)
    placeholders = {p.lower() for p in rules.get("license_placeholders", [])}
    for line in clean_markdown(body).splitlines():
        m = line_re.match(line.replace("**", "").replace("__", "") if "licen" in line.lower() else "")
        if not m:
            continue
        value = m["value"].strip().strip("*_ ")
        if not value or value.lower().strip("[]() ") in placeholders or value.lower() in placeholders:
            continue
        for piece in _license_candidates(value):
            entry = catalog.lookup(piece) or _by_url(catalog, piece)
            if entry is not None:
                return entry, line.strip()
    return None, None


def _license_candidates(value: str) -> list[str]:
    pieces = [value]
    pieces += [p.strip() for p in re.split(r"[()\[\],;]", value) if p.strip()]
    return pieces


def _by_url(catalog: Catalog, text: str) -> CatalogLicense | None:
    if not text.startswith("http"):
        return None
    norm = text.rstrip("/").lower()
    for entry in catalog:
        if entry.url and entry.url.rstrip("/").lower() == norm:
            return entry
    return None


# ---------------------------------------------------------------- tracing up the chain

@dataclass
class BaseNode:
    """What one resolved base passes down."""

    id: str
    relation: str
    license: CatalogLicense | None  # its effective license
    license_origin: str | None  # the model whose license that is (the base itself or one further up)
    flags: list[FlagFinding]
    osi_open: bool | None
    components: dict[str, tuple[str, float, list[str]]] = field(default_factory=dict)
    chain: list[str] = field(default_factory=list)


@dataclass
class Lineage:
    relation: str = "none"
    links: list[BaseLink] = field(default_factory=list)
    bases: list[BaseNode] = field(default_factory=list)
    license_info: LicenseInfo | None = None  # the model's own license as reported (may come from the body)
    own: CatalogLicense | None = None
    effective: CatalogLicense | None = None  # governs the weights after inheritance
    effective_origin: str | None = None  # None: the model's own license
    flags: list[FlagFinding] = field(default_factory=list)  # own + inherited
    osi_open: bool | None = None
    conflict: bool = False
    warnings: list[ReportWarning] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def base_ids(self) -> list[str]:
        return [b.id for b in self.bases if b.relation != "governed"]


_CACHES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cache_for(resolver) -> dict:
    try:
        return _CACHES.setdefault(resolver, {})
    except TypeError:
        return {}


def same_terms(a: CatalogLicense, b: CatalogLicense) -> bool:
    return a.key == b.key or (a.family is not None and a.family == b.family)


def trace(facts: ModelFacts, lic: LicenseAssessment, catalog: Catalog, resolver=None, *,
          _depth: int = 0, _seen: frozenset = frozenset()) -> Lineage:
    """Follow the model's bases and work out the license that really governs its weights."""
    if resolver is None:
        from openscope.sources import FactResolver

        resolver = FactResolver(offline=True)
    out = Lineage(relation=relation_of(facts), license_info=lic.info, own=lic.entry, osi_open=lic.osi_open)
    own_flags = list(lic.flags)
    if lic.info is None:
        entry, line = body_license(facts.card_body, catalog)
        if entry is not None:
            out.own = entry
            out.license_info = LicenseInfo(entry.key, entry.name, "declared", 0.8, entry.url)
            own_flags = catalog_flags(entry, catalog)
            out.osi_open = osi_open_of(entry, own_flags)
            out.reasons.append(f'license read from the card body: "{line[:120]}"')
    if facts.kind == "api":
        out.flags = own_flags
        return out

    links, warnings = card_base_links(facts)
    out.links, out.warnings = links, warnings
    if not links:
        out.relation = "none"
    seen = _seen | {facts.id.lower()}
    settled_statement = None  # body statements are tried in order until one names a known base
    for link in links:
        from_body = link.source == "card body" and link.relation != "governed"
        if from_body and settled_statement is not None and link.statement != settled_statement:
            continue
        node = _resolve_link(link, facts, catalog, resolver, out, _depth, seen)
        if node is not None:
            out.bases.append(node)
            if from_body and node.license is not None:
                settled_statement = link.statement
    _inherit(out, own_flags, facts)
    return out


def _resolve_link(link: BaseLink, facts: ModelFacts, catalog: Catalog, resolver, out: Lineage,
                  depth: int, seen: frozenset) -> BaseNode | None:
    if link.ref is not None:
        if link.ref.lower() in seen:
            out.warnings.append(ReportWarning("lineage-cycle", f"{facts.id}: base {link.ref} is already in the chain "
                                              f"({' -> '.join(sorted(seen))}); not followed again"))
            return None
        if depth + 1 > MAX_DEPTH:
            out.warnings.append(ReportWarning("lineage-depth", f"{facts.id}: lineage deeper than {MAX_DEPTH} levels; "
                                              f"{link.ref} not followed"))
            return None
        node = _assess_base(link, catalog, resolver, depth + 1, seen, out, facts)
        if node is not None:
            return node
    if link.license_key is None:
        return None
    entry = catalog.get(link.license_key) or catalog.lookup(link.license_key)
    if entry is None:
        out.warnings.append(ReportWarning("base-license-unknown", f"{facts.id}: {link.family or link.license_key} "
                                          f"terms ({link.license_key}) are not in the license catalog"))
        return None
    origin = link.ref or link.family or entry.key
    flags = catalog_flags(entry, catalog)
    return BaseNode(origin, link.relation, entry, origin, flags, osi_open_of(entry, flags), chain=[origin])




def _assess_base(link: BaseLink, catalog: Catalog, resolver, depth: int, seen: frozenset, out: Lineage,
                 facts: ModelFacts) -> BaseNode | None:
    from openscope.licensing import assess_license
    from openscope.refs import parse_ref
    from openscope.spectrum import place

    cache = _cache_for(resolver)
    key = link.ref.lower()
    if key in cache:
        cached = cache[key]
        if isinstance(cached, str):
            out.warnings.append(ReportWarning("base-unavailable", cached))
            return None
        return BaseNode(**{**cached.__dict__, "relation": link.relation})
    try:
        base_facts = resolver.fetch(parse_ref(link.ref))
    except ModelError as exc:
        message = f"{facts.id}: base model {link.ref} could not be fetched ({exc})"
        if link.license_key:
            message += f"; assuming {link.family} terms ({link.license_key})"
        cache[key] = message
        out.warnings.append(ReportWarning("base-unavailable", message))
        return None
    except Exception as exc:  # a broken base must never sink the model that names it
        message = f"{facts.id}: base model {link.ref} could not be assessed ({type(exc).__name__}: {exc})"
        out.warnings.append(ReportWarning("base-unavailable", message))
        return None
    base_lic = assess_license(base_facts, catalog)
    base_lineage = trace(base_facts, base_lic, catalog, resolver, _depth=depth, _seen=seen)
    placement = place(base_facts, base_lic, catalog, lineage=base_lineage)
    out.warnings.extend(w for w in base_lineage.warnings if w.code in ("lineage-cycle", "lineage-depth"))
    node = BaseNode(
        id=base_facts.id, relation=link.relation, license=base_lineage.effective,
        license_origin=base_lineage.effective_origin or base_facts.id, flags=base_lineage.flags,
        osi_open=base_lineage.osi_open,
        components={c: (v.status, v.strength, v.reasons) for c, v in placement.views.items()},
        chain=[base_facts.id] + [i for b in base_lineage.bases for i in b.chain],
    )
    if node.license is None and link.license_key:
        # Known model, unknown terms in the registry: the family's license stands in.
        entry = catalog.get(link.license_key)
        if entry is not None:
            node.license, node.flags = entry, catalog_flags(entry, catalog)
            node.osi_open = osi_open_of(entry, node.flags)
    cache[key] = node
    return node


def _inherit(out: Lineage, own_flags: list[FlagFinding], facts: ModelFacts) -> None:
    own = out.own
    flags = list(own_flags)
    have = {f.flag for f in flags}
    out.effective = own
    for node in out.bases:
        base_lic = node.license
        if base_lic is None:
            if node.relation != "governed":
                out.warnings.append(ReportWarning("base-license-unknown",
                                                  f"{facts.id}: the license of base {node.id} is not known"))
            continue
        if not base_lic.binds_derivatives:
            if own is None and out.effective is None:
                out.effective, out.effective_origin, out.osi_open = base_lic, node.license_origin, node.osi_open
                out.reasons.append(f"no license declared: the weights follow base {node.id} ({base_lic.key})")
            continue
        for f in node.flags:
            if f.flag in have:
                continue
            have.add(f.flag)
            flags.append(FlagFinding(f.flag, dict(f.thresholds), f.source, f.inherited_from or node.license_origin,
                                     list(f.evidence)))
        if own is not None and same_terms(own, base_lic):
            continue
        out.effective, out.effective_origin, out.osi_open = base_lic, node.license_origin, False
        if own is not None and own.key.lower() not in PLACEHOLDER_LICENSES:
            out.conflict = True
            how = (f"the card says {node.license_origin} terms ({base_lic.key}) also govern it"
                   if node.relation == "governed" else
                   f"derives from {node.license_origin}, whose {base_lic.name} binds derivatives")
            out.warnings.append(ReportWarning(
                "license-conflict", f"{facts.id}: declares {own.key} but {how}; those terms still govern the weights",
            ))
        out.reasons.append(f"{base_lic.key} terms of {node.license_origin} bind this derivative ({node.relation})")
    out.flags = flags
