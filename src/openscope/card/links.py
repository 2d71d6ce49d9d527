"""Lineage as a card states it: the bases a model derives from, and terms it says also govern it.

Bases come from the card's `base_model` (a string or a list), `base_model:` tags, and, when those
give nothing usable, clear statements in the card body ("fine-tuned from Llama 2"), and last the
model's own name (a mirror's publisher, a family the name carries; always said to be a guess). A
family named where no Hub id is given ("based on Llama 2") stands for that family's license; a base
on a mirror or quantizer account is followed to its publisher when it cannot be fetched
(`cardrules/lineage.yaml`). Licenses the card states in its text: card/terms.py.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from openscope.card.cues import pattern_cue
from openscope.card.parse import as_list
from openscope.card.rules import Family, families, family_groups, lineage_rules
from openscope.card.sentences import card_sentences, tokens
from openscope.refs import HUB_ID_RE
from openscope.text.patterns import build_matcher
from openscope.text.sentences import nlp
from openscope.types import ModelFacts, ReportWarning

QUANTIZED_NAME = re.compile(r"(?:^|[-_.])(gguf|gptq|awq|exl2|mlx|bnb|4bit|8bit|int4|int8|fp8|q[2-8]_k)(?:$|[-_.])", re.I)


_HF_URL = re.compile(r"huggingface\.co/(?!datasets/|spaces/|docs/|blog/)([A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)")


_HUB_ID_IN_TEXT = re.compile(r"(?<![\w/.:-])([A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95})(?![\w/])")


@functools.lru_cache(maxsize=8_192)  # base ids repeat: a popular base is named by thousands of models (recent ones kept)
def family_in(text: str) -> Family | None:
    """The first family named in `text` (families are ordered most specific first)."""
    hits = [(m.start(), i, f) for i, f in enumerate(families()) for m in [f.pattern.search(text)] if m]
    return min(hits, key=lambda h: (h[0], h[1]))[2] if hits else None


@dataclass(frozen=True)
class _Cue:
    relation: str
    after: int  # tokens after the cue where the name may be
    before: int  # tokens before the cue where the name may be (instead)


@functools.cache
def _relation_matcher():
    """The relation cues of cardrules/lineage.yaml: a Matcher, and each pattern's cue (by match name)."""
    rules = lineage_rules()
    window = int(rules.get("window", 12))
    named: dict[str, list[str]] = {}
    cues: dict[str, _Cue] = {}
    for rel, specs in rules["relations"].items():
        for n, spec in enumerate(specs):
            name = f"{rel}:{n}"
            if isinstance(spec, dict):
                named[name] = [spec["pattern"]]
                cues[name] = _Cue(rel, int(spec.get("after", 0)), int(spec.get("before", 0)))
            else:
                named[name] = [spec]
                cues[name] = _Cue(rel, window * 2 if rel == "merge" else window, 0)
    return build_matcher(named), cues


@functools.cache
def _relation_cue():
    return pattern_cue(s["pattern"] if isinstance(s, dict) else s
                       for specs in lineage_rules()["relations"].values() for s in specs)


@functools.cache
def _governing_matcher():
    return build_matcher({"governing": lineage_rules()["governing"]})


@functools.cache
def _governing_cue():
    return pattern_cue(lineage_rules()["governing"])


@functools.cache
def _gap_blockers() -> frozenset:
    return frozenset(w.lower() for w in lineage_rules().get("gap_blockers", []))


@dataclass
class BaseLink:
    ref: str | None  # Hub id of the base, when one is named
    relation: str  # quantized | adapter | merge | finetune | governed
    source: str  # where it was read: base_model, tags, card body, base_model name, model name
    evidence: str
    license_key: str | None = None  # a license known from a family name or a governing statement
    family: str | None = None
    statement: int = 0  # body links: which statement named it; later statements are fallbacks
    alternates: tuple[str, ...] = ()  # Hub ids to try when `ref` cannot be fetched (a mirror's publisher)
    # Hub ids the card body names as what `ref` itself was made from ("GGUF of org/Merge-72B, itself a
    # merge on Qwen2.5-72B"): followed when `ref` cannot be fetched, after `alternates`
    upstream: tuple[str, ...] = ()
    guessed: bool = False  # the base is inferred from a name, not stated


def is_hub_id(value: str) -> bool:
    m = HUB_ID_RE.match(value)
    return bool(m) and m["rev"] is None and "--" not in value and ".." not in value


def _looks_like_model_id(candidate: str) -> bool:
    org, _, name = candidate.partition("/")
    # "and/or", "input/output": plain lower-case words are prose, not repo ids.
    return is_hub_id(candidate) and not (org.isalpha() and org.islower() and name.isalpha() and name.islower())


_URL_ANY = re.compile(r"https?://\S+")


def _names_at(text: str) -> list[tuple[int, int, str | None, Family | None]]:
    """Model names in `text` with their places: (start, end, Hub id or None, family or None)."""
    out: list[tuple[int, int, str | None, Family | None]] = []
    for m in _HF_URL.finditer(text):
        hub_id = m[1].rstrip(".")
        if is_hub_id(hub_id):
            out.append((m.start(), m.end(), hub_id, None))
    # URLs blanked with spaces of the same length, so places stay true.
    blanked = _URL_ANY.sub(lambda m: " " * len(m[0]), text)
    for m in _HUB_ID_IN_TEXT.finditer(blanked):
        hub_id = m[1].rstrip(".")
        if _looks_like_model_id(hub_id):
            out.append((m.start(1), m.start(1) + len(hub_id), hub_id, None))
    for i, fam in enumerate(families()):
        for m in fam.pattern.finditer(blanked):
            out.append((m.start(), m.end(), None, fam))
    # At one place a Hub id beats a family name, and an earlier-listed (more specific) family a later one.
    out.sort(key=lambda n: (n[0], n[2] is None, families().index(n[3]) if n[3] else 0))
    return out


def hub_ids_in(text: str) -> list[str]:
    seen: list[str] = []
    for _, _, hub_id, _ in _names_at(text):
        if hub_id and hub_id.lower() not in (s.lower() for s in seen):
            seen.append(hub_id)
    return seen


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]+", text)}


def _name_ok(sentence: str, cue_start: int, cue_end: int, start: int, end: int, scratch: bool = False) -> bool:
    """A name read as a base: no `gap_blockers` word between the cue and it ("the same architecture as
    Llama 2"), no `gap_prepositions` word after the cue ("fine-tune with X"), and no `name_blockers`
    word after it ("the Llama 2 architecture", "the Llama 3 prompt format")."""
    rules = lineage_rules()
    blockers = _gap_blockers()
    if start >= cue_start:
        gap = sentence[cue_start:start]
        after_cue = sentence[cue_end:start] if start >= cue_end else ""
    else:
        gap, after_cue = sentence[end:cue_start], ""
    if _words(gap) & blockers:
        return False
    if _words(after_cue) & {w.lower() for w in rules.get("gap_prepositions", [])}:
        return False
    following = {w.lower() for w in re.findall(r"[A-Za-z]+", sentence[end:end + 40])[:2]}
    if scratch and following & {w.lower() for w in rules.get("architecture_words", [])}:
        return False
    return not following & {w.lower() for w in rules.get("name_blockers", [])}


def _trained_from_scratch(body: str) -> bool:
    return any(re.search(p, body, re.I) for p in lineage_rules().get("from_scratch", []))


def body_base_links(body: str | None, skip: frozenset = frozenset()) -> list[BaseLink]:
    """Bases named by clear statements in the body: "fine-tuned from X", "a LoRA adapter for X". Ids in
    `skip` (lower case) are passed over, so that a later cue of the sentence may name another base."""
    if not body or not body.strip():
        return []  # registry facts carry no body: don't pay for spaCy
    cued = _relation_cue()
    scratch = None
    out: list[BaseLink] = []
    for n, sentence in enumerate(card_sentences(body)):
        if not cued(sentence.text):
            continue  # no relation cue can match here
        if scratch is None:
            scratch = _trained_from_scratch(body)
        # Fresh links every time: callers adjust a link's relation and fallbacks in place.
        out.extend(BaseLink(ref, relation, "card body", sentence.text, lic, fam, statement=n)
                   for ref, relation, lic, fam in _sentence_links(sentence.text, scratch, skip))
    return out


_WORD_END = re.compile(r"[^\s,;()\[\]]*")


@functools.lru_cache(maxsize=8_192)  # templated cards repeat their sentences (the recurring ones stay in)
def _sentence_links(text: str, scratch: bool, skip: frozenset = frozenset()
                    ) -> tuple[tuple[str | None, str, str | None, str | None], ...]:
    """(ref, relation, license key, family) of the bases one body sentence names: the first relation
    cue that names one (other than the ids in `skip`) decides (all of a merge's)."""
    doc = tokens(text)
    if not _relation_cue().tokens_may_match(doc):
        return ()
    matcher, cues = _relation_matcher()
    vocab = nlp().vocab
    for match_id, start, end in sorted(matcher(doc), key=lambda m: m[1]):
        cue = cues[vocab.strings[match_id]]
        cue_start, cue_end = doc[start].idx, doc[end - 1].idx + len(doc[end - 1])
        if cue.before:
            lo = doc[max(0, start - cue.before)].idx
            lo = text.rfind(" ", 0, lo) + 1  # a token window must not cut a Hub id ("org/Name-7B") in two
            names = [(a + lo, b + lo, i, f) for a, b, i, f in _names_at(text[lo:cue_start])]
            names = [x for x in names if _name_ok(text, cue_start, cue_end, x[0], x[1], scratch)][-1:]
        else:
            hi_tok = min(len(doc), end + cue.after)
            hi = doc[hi_tok - 1].idx + len(doc[hi_tok - 1]) if hi_tok > 0 else cue_start
            hi = _WORD_END.match(text, hi).end()  # a token window must not cut a Hub id ("org/Name-7B") in two
            names = [(a + cue_start, b + cue_start, i, f) for a, b, i, f in _names_at(text[cue_start:hi])]
            names = [x for x in names if _name_ok(text, cue_start, cue_end, x[0], x[1], scratch)]
        ids = [x[2] for x in names if x[2] and x[2].lower() not in skip]
        if skip and not ids and any(x[2] for x in names):
            continue  # this cue names only a skipped id: a later cue may name its base
        if ids:
            return tuple((hub_id, cue.relation, None, None) for hub_id in (ids if cue.relation == "merge" else ids[:1]))
        fam = next((x[3] for x in names if x[3] is not None), None)
        if fam is not None:
            return ((fam.model, cue.relation, fam.license, fam.name),)
    return ()


_FENCED = re.compile(r"^[ \t]*(```|~~~)[ \t]*(yaml|yml)?[ \t]*\n(.*?)^[ \t]*\1", re.M | re.S | re.I)


def mergekit_links(body: str | None) -> list[BaseLink]:
    """Bases named by a merge recipe in the body (`cardrules/lineage.yaml` `mergekit`): its base model,
    else every donor model it lists."""
    if not body or "model" not in body:
        return []
    import yaml

    from openscope.card.parse import _expanded_size

    rules = lineage_rules().get("mergekit") or {}
    markers = tuple(rules.get("markers", ()))
    base_key = rules.get("base_key", "base_model")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for m in _FENCED.finditer(body):
        block = m[3]
        if len(block) > int(rules.get("max_chars", 20_000)) or not any(
                re.search(rf"^{re.escape(k)}\s*:", block, re.M) for k in markers):
            continue
        try:
            data = yaml.load(block, Loader=loader)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError):
            continue
        if not isinstance(data, dict) or not any(k in data for k in markers) or _expanded_size(data) is None:
            continue
        base = data.get(base_key)
        if isinstance(base, str) and is_hub_id(base.strip()):
            return [BaseLink(base.strip(), "merge", "mergekit config", f"merge recipe {base_key}: {base.strip()}")]
        donors: list[str] = []
        for key in rules.get("list_keys", ()):
            for entry in data.get(key) or []:
                if not isinstance(entry, dict):
                    continue
                for item in [entry, *(entry.get("sources") or [])]:
                    ref = item.get("model") if isinstance(item, dict) else None
                    if isinstance(ref, str) and is_hub_id(ref.strip()) and ref.strip() not in donors:
                        donors.append(ref.strip())
        if donors:
            return [BaseLink(d, "merge", "mergekit config", f"merge recipe model: {d}") for d in donors]
    return []


@functools.cache
def _mirror_rules() -> tuple[frozenset, tuple, tuple]:
    raw = lineage_rules().get("mirrors") or {}
    orgs = frozenset(o.lower() for o in raw.get("orgs", []))
    strip = tuple(re.compile(p, re.I) for p in raw.get("strip", []))
    publishers = tuple((re.compile(p["pattern"], re.I), p["org"]) for p in raw.get("publishers", []))
    return orgs, strip, publishers


def publisher_ids(hub_id: str) -> list[str]:
    """Where a mirror's or quantizer's re-upload comes from: [publisher/name], or [] if it is not one."""
    orgs, strip, publishers = _mirror_rules()
    org, _, name = hub_id.partition("/")
    if org.lower() not in orgs:
        return []
    changed = True
    while changed:
        changed = False
        for pattern in strip:
            shorter = pattern.sub("", name)
            if shorter != name and shorter:
                name, changed = shorter, True
    for pattern, publisher in publishers:
        if pattern.search(name):
            return [] if publisher.lower() == org.lower() else [f"{publisher}/{name}"]
    return []


def _name_family(hub_id: str) -> Family | None:
    """The family a repository's name carries, unless the organisation publishes that family itself."""
    org, _, name = hub_id.partition("/")
    fam = family_in(name)
    return None if fam is None or fam.owned_by(org) else fam


def _with_fallbacks(link: BaseLink) -> BaseLink:
    """A base named by Hub id: its mirror's publisher and its name's family stand in if it cannot be fetched."""
    if link.ref is None:
        return link
    link.alternates = tuple(publisher_ids(link.ref))
    if link.license_key is None:
        fam = _name_family(link.ref)
        if fam is not None:
            link.license_key, link.family = fam.license, fam.name
    return link


def name_links(facts: ModelFacts, relation: str) -> list[BaseLink]:
    """A base guessed from the model's own id: a mirror's publisher, else a family its name carries."""
    ids = publisher_ids(facts.id)
    fam = _name_family(facts.id) if "/" in facts.id else None
    if not ids and fam is None:
        return []
    ref = ids[0] if ids else fam.model
    return [BaseLink(ref, relation, "model name", f"model id {facts.id}", fam.license if fam else None,
                     fam.name if fam else None, alternates=tuple(ids[1:]), guessed=True)]


@functools.lru_cache(maxsize=8_192)
def _governs(text: str) -> bool:
    cue = _governing_cue()
    if not cue(text):
        return False
    doc = tokens(text)
    return cue.tokens_may_match(doc) and bool(_governing_matcher()(doc))


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
    # Only the tags that start "base_model:" can name a relation: the four kinds are tried on those
    # alone (the same first kind, in the same order), not on every tag four times (a Hub model has
    # dozens of tags, and this runs for every model and base in bulk).
    relations = [t for t in tags if t.startswith("base_model:")]
    for kind in ("quantized", "adapter", "merge", "finetune") if relations else ():
        if any(t.startswith(f"base_model:{kind}:") for t in relations):
            return kind
    name = facts.id.rsplit("/", 1)[-1]
    if data.get("quantized_by") or QUANTIZED_NAME.search(name) or "gguf" in tags:
        return "quantized"
    if str(data.get("library_name") or "").lower() == "peft" or "lora" in tags:
        return "adapter"
    if "merge" in tags or "mergekit" in tags:
        return "merge"
    return "finetune"


def card_base_links(facts: ModelFacts, guess_from_name: bool = True) -> tuple[list[BaseLink], list[ReportWarning]]:
    """Bases from metadata (base_model, tags), else from the body, else (`guess_from_name`) from the
    model's own name; plus governing statements."""
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
    links = [_with_fallbacks(link) for link in links]
    if links:
        _add_upstream(links, facts.card_body)
    if not links:
        links = [_with_fallbacks(link) for link in mergekit_links(facts.card_body)]
    if not links:
        body_links = [_with_fallbacks(link) for link in body_base_links(facts.card_body)]
        for link in body_links:
            if relation != "finetune" and link.relation == "finetune":
                link.relation = relation
        links = body_links or hints
        if not links and guess_from_name:
            links = name_links(facts, relation)
            for link in links:
                what = link.ref if link.ref and not link.family else f"{link.family} ({link.ref or link.license_key})"
                warnings.append(ReportWarning("base-model-guessed", f"{facts.id}: the card names no base model; "
                                              f"guessed {what} from the model's own name"))
        for link in hints:
            if link not in links:
                warnings.append(ReportWarning("base-model-guessed", f"{facts.id}: {link.evidence!r} looks like "
                                              f"{link.family}; its terms are assumed"))
        if hints and links is hints:
            warnings.append(ReportWarning("base-model-guessed", f"{facts.id}: base model guessed as {hints[0].family} "
                                          f"from the name in {hints[0].evidence!r}"))
    if len(links) > MAX_BASES:  # each base is fetched and assessed: 200 named bases were 1,005 requests
        warnings.append(ReportWarning("bases-truncated", f"{facts.id}: card names {len(links)} base models; "
                                                         f"followed the first {MAX_BASES}"))
        links = links[:MAX_BASES]
    ignored = [w for w in warnings if w.code == "base-model-ignored"]
    if len(ignored) > MAX_IGNORED_WARNINGS:
        warnings = [w for w in warnings if w.code != "base-model-ignored"] + ignored[:MAX_IGNORED_WARNINGS] + [
            ReportWarning("base-model-ignored", f"{facts.id}: {len(ignored) - MAX_IGNORED_WARNINGS} more base_model "
                                                "entries ignored")]
    links.extend(governing_links(facts.card_body))
    return links, warnings


def _add_upstream(links: list[BaseLink], body: str | None) -> None:
    """Bases the body names beside the metadata's own ("quants of org/Merge-72B, itself a merge on
    Qwen2.5-72B"): where they differ from every metadata base they are what that base was made from,
    followed when it cannot be fetched. One named base of the metadata only: with several, which of
    them a body base belongs to is not said."""
    if len(links) != 1 or not body or not _relation_cue()(body):
        return
    link = links[0]
    skip = frozenset(x.lower() for x in (link.ref, *link.alternates) if x)
    found = [b for b in body_base_links(body, skip) if b.ref]
    link.upstream = tuple(dict.fromkeys(b.ref for b in found))
    if link.license_key is None:
        fam = next((b for b in found if b.license_key), None)
        if fam is not None:
            link.license_key, link.family = fam.license_key, fam.family


MAX_BASES = 8  # like the datasets a card names (sources/hub.py MAX_DATASETS)
MAX_IGNORED_WARNINGS = 5
