"""Lineage as a card states it: the bases a model derives from, and terms it says also govern it.

Bases come from the card's `base_model` (a string or a list), `base_model:` tags, and, when those
give nothing usable, clear statements in the card body ("fine-tuned from Llama 2"). A family named
where no Hub id is given ("based on Llama 2") stands for that family's license. `body_license` reads
a license declared in the body ("**License:** MIT") when the front matter declares none.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from openscope.card.parse import as_list
from openscope.card.rules import Family, families, family_groups, lineage_rules
from openscope.card.sentences import card_sentences
from openscope.catalog import Catalog
from openscope.refs import HUB_ID_RE
from openscope.text.markup import clean_markdown
from openscope.text.patterns import build_matcher
from openscope.text.sentences import nlp
from openscope.types import CatalogLicense, ModelFacts, ReportWarning

QUANTIZED_NAME = re.compile(r"(?:^|[-_.])(gguf|gptq|awq|exl2|mlx|bnb|4bit|8bit|int4|int8|fp8|q[2-8]_k)(?:$|[-_.])", re.I)


_HF_URL = re.compile(r"huggingface\.co/(?!datasets/|spaces/|docs/|blog/)([A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)")


_HUB_ID_IN_TEXT = re.compile(r"(?<![\w/.:-])([A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95})(?![\w/])")


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
    out: list[BaseLink] = []
    for n, sentence in enumerate(card_sentences(body)):
        for relation, span in _relation_spans(sentence.text):
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


@functools.lru_cache(maxsize=65_536)  # card sentences repeat across cards (templates): match each once
def _relation_spans(text: str) -> tuple[tuple[str, str], ...]:
    """Each relation cue of a sentence in order, with the text after it that may name the base:
    the name may sit inside the cue ("trained on the Yi-34B model") or right after it."""
    window = int(lineage_rules().get("window", 12))
    doc = nlp().make_doc(text)
    vocab = nlp().vocab
    spans = []
    for match_id, start, end in sorted(_relation_matcher()(doc), key=lambda m: m[1]):
        relation = vocab.strings[match_id]
        spans.append((relation, doc[start:end + (window * 2 if relation == "merge" else window)].text))
    return tuple(spans)


@functools.lru_cache(maxsize=65_536)
def _governs(text: str) -> bool:
    return bool(_governing_matcher()(nlp().make_doc(text)))


def governing_links(body: str | None) -> list[BaseLink]:
    """Statements that other terms also govern the model ("comply with the Gemma Terms")."""
    if not body or not body.strip():
        return []
    sentences = card_sentences(body)
    out: list[BaseLink] = []
    for sentence in sentences:
        if not _governs(sentence.text):
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
