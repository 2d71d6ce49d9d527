"""Terms a card states outside its `license:` key: a `license_link`, a "License:" line, a sentence that
puts the model under a license, a link to a known license text. Data: `cardrules/terms.yaml`.

Read only when the front matter declares no license openscope knows (none, `other`, an uncatalogued
name). A sentence about the code or the data ("this code repository is licensed under MIT") says
nothing about the weights and is skipped. Where no license is named at all, `terms_sections` gives the
sections of the body that state terms in their own words ("## Terms of use", "## License summary"),
for the license reader to read as it reads a license file (assess/licensing.py).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from openscope.card.sentences import card_sentences
from openscope.catalog import Catalog
from openscope.data import load_yaml
from openscope.card.rules import RULES_DIR, families, family_groups
from openscope.text.markup import clean_markdown
from openscope.types import CatalogLicense

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+\-_]*|[^\sA-Za-z0-9]")
_STOPS = frozenset(",;:()[]{}!?\"'|")


@dataclass(frozen=True)
class _TermRules:
    line: re.Pattern
    placeholders: frozenset
    name_after: frozenset
    name_nouns: frozenset
    leading: frozenset
    window: int
    other_subjects: frozenset
    model_subjects: frozenset
    cues: frozenset
    release_verbs: frozenset
    urls: tuple


@functools.cache
def term_rules_raw() -> dict:
    return load_yaml(RULES_DIR / "terms.yaml")


@functools.cache
def _rules() -> _TermRules:
    raw = term_rules_raw()

    def words(key):
        return frozenset(str(w).lower() for w in raw.get(key, []))

    return _TermRules(
        line=re.compile(raw["license_line"], re.I), placeholders=words("license_placeholders"),
        name_after=words("name_after"), name_nouns=words("name_nouns"), leading=words("leading"),
        window=int(raw.get("name_window", 8)), other_subjects=words("other_subjects"),
        model_subjects=words("model_subjects"), cues=words("license_cues"), release_verbs=words("release_verbs"),
        urls=tuple((re.compile(u["pattern"], re.I), str(u["key"])) for u in raw.get("license_urls", [])),
    )


def url_license(catalog: Catalog, url: str) -> CatalogLicense | None:
    """The catalogued license a URL is the text of: the catalog's own address, or a known pattern."""
    if not url or not str(url).startswith("http"):
        return None
    norm = str(url).rstrip("/").lower()
    for entry in catalog:
        if entry.url and entry.url.rstrip("/").lower() == norm:
            return entry
    for pattern, key in _rules().urls:
        m = pattern.search(norm)
        if m:
            name = key.format(None, *m.groups())
            entry = catalog.get(name) or catalog.lookup(name)
            if entry is not None:
                return entry
    return None


def _tokens(text: str) -> list[str]:
    return [t.rstrip(".") or t for t in _TOKEN.findall(text)]


def _vendor_level(words: list[str]) -> bool:
    """"the Llama license", "Meta's license": a vendor's name that does not say which version; the
    governing-terms reader (card/links.py) resolves those from the family the card names."""
    phrase = " ".join(words)
    return any(p.search(phrase) for group, patterns in family_groups().items() if _versions(group) > 1
               for p in patterns)


@functools.cache
def _versions(group: str) -> int:
    """How many licenses the families of a group carry (one: the group's name is specific enough)."""
    return len({f.license for f in families() if f.group == group})


def _lookup(catalog: Catalog, words: list[str]) -> CatalogLicense | None:
    return None if _vendor_level(words) else catalog.lookup(" ".join(words))


def _lookup_prefixes(catalog: Catalog, span: list[str]) -> CatalogLicense | None:
    """The longest leading run of `span` that names a catalogued license."""
    nouns = _rules().name_nouns
    for n in range(len(span), 0, -1):
        piece = span[:n]
        if piece[-1].lower() in nouns and _vendor_level(piece):
            return None
        for candidate in (piece, piece[:-1] if piece[-1].lower() in nouns else None):
            if candidate:
                entry = _lookup(catalog, candidate)
                if entry is not None:
                    return entry
    return None


_VERSION = re.compile(r"^v?\d+(?:\.\d+)*$", re.I)


def _lookup_suffixes(catalog: Catalog, run: list[str], noun: str, after: list[str]) -> CatalogLicense | None:
    """The longest trailing run of `run` (the words before "license") that, with it and a version after it
    ("... License v1.0"), with it, or alone, names a catalogued license."""
    version = after[:1] if after and _VERSION.match(after[0]) else []
    if after[:1] and after[0].lower() == "version" and len(after) > 1 and _VERSION.match(after[1]):
        version = after[:2]
    for n in range(len(run), 0, -1):
        piece = run[-n:]
        if _vendor_level(piece + [noun]):
            return None
        for candidate in (piece + [noun] + version if version else None, piece + [noun], piece):
            if candidate:
                entry = _lookup(catalog, candidate)
                if entry is not None:
                    return entry
    return None


def _about_other_thing(words: list[str]) -> bool:
    r = _rules()
    lowered = {w.lower() for w in words}
    return bool(lowered & r.other_subjects) and not lowered & r.model_subjects


def sentence_license(catalog: Catalog, text: str) -> CatalogLicense | None:
    """The license a sentence puts the model under ("released under the X license"), if it names one."""
    r = _rules()
    toks = _tokens(text)
    lowered = [t.lower() for t in toks]
    # "released under X" puts the model under X as surely as "licensed under X" does.
    under = {i for i, t in enumerate(lowered) if t in r.name_after and i and lowered[i - 1] in r.release_verbs}
    first_cue = next((i for i, t in enumerate(lowered) if t in r.cues or i in under), None)
    if first_cue is None or _about_other_thing(toks[:first_cue]):
        return None
    for i, t in enumerate(lowered):
        named_after = t in r.name_after or (t in r.name_nouns and i + 1 < len(toks) and lowered[i + 1] in ("is", "="))
        if named_after:
            j = i + 1 + (t in r.name_nouns)
            while j < len(toks) and lowered[j] in r.leading:
                j += 1
            span = []
            while j < len(toks) and len(span) < r.window and (
                    toks[j] not in _STOPS or (toks[j] == "," and j + 1 < len(toks) and lowered[j + 1] == "version")):
                if toks[j] != ",":
                    span.append(toks[j])
                j += 1
            entry = _lookup_prefixes(catalog, span) if span else None
            if entry is not None:
                return entry
        if t in r.name_nouns and i > 0:
            run = []
            j = i - 1
            while j >= 0 and len(run) < r.window and toks[j] not in _STOPS and lowered[j] not in r.leading:
                run.insert(0, toks[j])
                j -= 1
            entry = _lookup_suffixes(catalog, run, toks[i], toks[i + 1:i + 3]) if run else None
            if entry is not None:
                return entry
    return None


def line_license(catalog: Catalog, body: str) -> tuple[CatalogLicense | None, str | None]:
    """A "License: X" line in the body."""
    r = _rules()
    for line in clean_markdown(body).splitlines():
        m = r.line.match(line.replace("**", "").replace("__", "") if "licen" in line.lower() else "")
        if not m:
            continue
        value = m["value"].strip().strip("*_ ")
        if not value or value.lower().strip("[]() ") in r.placeholders or value.lower() in r.placeholders:
            continue
        for piece in [value, *(p.strip() for p in re.split(r"[()\[\],;]", value) if p.strip())]:
            entry = catalog.lookup(piece) or url_license(catalog, piece)
            if entry is not None:
                return entry, line.strip()
        entry = sentence_license(catalog, f"licensed under {value}")
        if entry is not None:
            return entry, line.strip()
    return None, None


def stated_license(body: str | None, card_data: dict, catalog: Catalog) -> tuple[CatalogLicense | None, str | None]:
    """(license, where it was read) for terms the card states outside its `license:` key."""
    link = (card_data or {}).get("license_link")
    if isinstance(link, str):
        entry = url_license(catalog, link.strip())
        if entry is not None:
            return entry, f"license_link: {link.strip()}"
    if not body or not body.strip():
        return None, None
    entry, line = line_license(catalog, body)
    if entry is not None:
        return entry, line
    r = _rules()
    for sentence in card_sentences(body):
        lowered = sentence.text.lower()
        in_license_section = "licen" in sentence.heading.lower()
        if not in_license_section and not any(c in lowered for c in ("licen", "terms", "agreement", " under ")):
            continue
        words = _tokens(sentence.text)
        if set(w.lower() for w in words) & (r.cues | r.name_after) or in_license_section:
            entry = sentence_license(catalog, sentence.text)
            if entry is not None:
                return entry, sentence.text
            if not _about_other_thing(words):
                for url in sentence.urls:
                    entry = url_license(catalog, url)
                    if entry is not None:
                        return entry, sentence.text
    return None, None


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(?:```|~~~)")


@functools.cache
def _section_patterns() -> tuple[tuple[re.Pattern, ...], tuple[re.Pattern, ...], tuple[re.Pattern, ...]]:
    raw = term_rules_raw()["terms_sections"]
    return (tuple(re.compile(p, re.I) for p in raw["headings"]),
            tuple(re.compile(p, re.I) for p in raw.get("not_headings", [])),
            tuple(re.compile(p, re.I) for p in raw.get("lead_ins", [])))


def is_terms_lead_in(line: str) -> bool:
    """A line that binds the reader to the terms after it ("By downloading ... you agree to the following")."""
    return any(p.search(line) for p in _section_patterns()[2])


def is_terms_heading(heading: str) -> bool:
    """A heading over terms the card states ("Terms of use", "License summary"), not over advice
    ("Intended use", "Out-of-scope use") or over someone else's terms ("Dataset license")."""
    text = re.sub(r"[*_`]", "", heading).strip()
    wanted, unwanted, _ = _section_patterns()
    return any(p.search(text) for p in wanted) and not any(p.search(text) for p in unwanted)


def terms_sections(body: str | None) -> list[tuple[str, str]]:
    """(heading, markdown) of each body section that states terms: the section under a terms heading,
    down to the next heading of the same or a higher level (its subsections included)."""
    if not body:
        return []
    out: list[tuple[str, str]] = []
    current: tuple[int, str, list[str]] | None = None
    in_fence = False
    heading = ""
    for line in body.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        m = None if in_fence else _HEADING.match(line)
        if m and current is not None and len(m[1]) <= current[0]:
            out.append((current[1], "\n".join(current[2]).strip()))
            current = None
        if m:
            heading = m[2].strip()
        if m and current is None and is_terms_heading(m[2]):
            current = (len(m[1]), m[2].strip(), [line])
        elif current is None and not in_fence and is_terms_lead_in(line):
            current = (7, heading or "terms stated in the card", [line])  # runs to the next heading
        elif current is not None:
            current[2].append(line)
    if current is not None:
        out.append((current[1], "\n".join(current[2]).strip()))
    return [(h, text) for h, text in out if len(text.splitlines()) > 1 or is_terms_lead_in(text)]
