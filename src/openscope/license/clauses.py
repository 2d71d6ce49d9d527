"""What a clause says: which modality it states, and what that modality governs.

A sentence holds *predicates*: a marker of modality (licenses/rules/_clauses.yaml) and what it governs.
"You may not copy, sell or distribute the Model" has one prohibition governing the verbs copy, sell,
distribute; "Redistribution of the weights is prohibited" a passive ban governing its subject; "for
non-commercial research only" a restriction governing what follows. A rule can then ask for its
match to be *governed* by a modality (the verb itself is forbidden) or to lie in a modality's *scope*
(anywhere after the marker up to the end of the clause or a new subordinate clause), instead of only
co-occurring with a "not" somewhere in the sentence: "code not governed by this License" forbids
nothing, and "you may not use the Model to distribute malware" forbids using, not distributing.

A list item inherits the modality of its lead-in: under "You agree not to use the Model:", the item
"(b) to train other models" is a prohibited purpose, and its first verbs are governed by the lead-in.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from openscope.data import LICENSES_DIR, load_yaml
from openscope.errors import CatalogError

CLAUSES_FILE = LICENSES_DIR / "rules" / "_clauses.yaml"
KINDS = ("prohibition", "denial", "passive_ban", "restriction", "obligation", "permission", "passive_grant")
_GOVERNS_BEFORE = {"passive_ban", "passive_grant"}  # kinds whose marker governs the words before it


@dataclass(frozen=True)
class Predicate:
    kind: str
    start: int  # token span of the marker (document offsets)
    end: int
    governed: tuple[int, ...]  # tokens it governs: its verbs, or for a passive ban its subject
    scope_end: int  # the marker's scope runs from `end` (or the clause start, for a passive ban) to here
    scope_start: int = -1
    object_start: int = -1  # what the governed verbs act on: after the last verb ("the Model or its
    object_end: int = -1  # weights"), or the subject of a passive ("the weights | may not be shared")
    verb_words: tuple[str, ...] = ()  # the governed verbs (a list item without verbs keeps its lead-in's)

    def governs(self, token: int) -> bool:
        return token in self.governed

    def covers(self, token: int) -> bool:
        return self.scope_start <= token < self.scope_end

    def in_object(self, token: int) -> bool:
        """Whether `token` is in what the governed verbs act on (for a passive ban: its subject)."""
        if not self.governed:
            return False
        if self.kind in _GOVERNS_BEFORE:
            return self.governs(token)
        return self.object_start <= token < self.object_end


@dataclass(frozen=True)
class ClauseSettings:
    skip: frozenset[str]
    verbs: frozenset[str]
    boundaries: frozenset[str]
    negators: frozenset[str]
    object_ends: frozenset[str]
    completions: frozenset[str]
    coordinators: frozenset[str]
    coordination_stops: frozenset[str]
    ellipsis_stops: frozenset[str] = frozenset()
    causatives: frozenset[str] = frozenset()
    verb_pairs: frozenset[tuple[str, str]] = frozenset()
    subject_starts: frozenset[str] = frozenset()
    verb_particles: frozenset[tuple[str, str]] = frozenset()


_LOWER_WORDS = "openscope.lower_words"


def lower_words(doc) -> list[str]:
    """Every token of `doc` in lower case, computed once per Doc (kept in its `user_data`): the readers
    ask for the words of the same sentences many times, and slicing a Doc builds a Token per word."""
    words = doc.user_data.get(_LOWER_WORDS)
    if words is None:
        from spacy.attrs import LOWER

        strings = doc.vocab.strings
        words = doc.user_data[_LOWER_WORDS] = [strings[h] for h in doc.to_array(LOWER).tolist()] if len(doc) else []
    return words


@functools.cache
def settings() -> ClauseSettings:
    raw = load_yaml(CLAUSES_FILE)
    for key in ("skip", "verbs", "boundaries", "negators", "object_ends", "denial_completions", "coordinators",
                "coordination_stops", "ellipsis_stops", "causatives"):
        compound = next((w for w in map(str, raw[key]) if re.search(r"\w-\w", w)), None)
        if compound:  # the tokenizer splits it, so it could never be seen as one word
            raise CatalogError(f"{CLAUSES_FILE.name}: {key}: {compound!r} is several tokens; list its head word")
    return ClauseSettings(frozenset(map(str, raw["skip"])), frozenset(map(str, raw["verbs"])),
                          frozenset(map(str, raw["boundaries"])), frozenset(map(str, raw["negators"])),
                          frozenset(map(str, raw["object_ends"])), frozenset(map(str, raw["denial_completions"])),
                          frozenset(map(str, raw["coordinators"])), frozenset(map(str, raw["coordination_stops"])),
                          frozenset(map(str, raw["ellipsis_stops"])), frozenset(map(str, raw["causatives"])),
                          frozenset(tuple(map(str, pair)) for pair in raw["verb_pairs"]),
                          frozenset(map(str, raw.get("subject_starts") or ())),
                          frozenset(tuple(map(str, pair)) for pair in raw.get("verb_particles") or ()))


@functools.cache
def marker_table() -> dict[str, list[tuple[str, tuple[frozenset[str], ...]]]]:
    """The markers of _clauses.yaml, every optional token expanded: first word -> [(kind, word sets)].

    The compact syntax is that of text/patterns.py; matching in plain Python over a sentence's words
    costs less than a spaCy Matcher call per sentence, and markers are a few words long."""
    import itertools

    raw = load_yaml(CLAUSES_FILE)["markers"]
    unknown = set(raw) - set(KINDS)
    if unknown:
        from openscope.errors import CatalogError

        raise CatalogError(f"{CLAUSES_FILE.name}: unknown marker kinds {sorted(unknown)}; expected {KINDS}")
    table: dict[str, list[tuple[str, tuple[frozenset[str], ...]]]] = {}
    for kind in KINDS:
        for spec in raw.get(kind) or []:
            parts = []
            for part in str(spec).split():
                optional = part.endswith("?") and len(part) > 1
                words = frozenset((part[:-1] if optional else part).lower().split("|"))
                parts.append((words, optional))
            choices = [[(w,), ()] if opt else [(w,)] for w, opt in parts]
            for combo in itertools.product(*choices):
                seq = tuple(w for piece in combo for w in piece)
                if seq:
                    for first in seq[0]:
                        table.setdefault(first, []).append((kind, seq))
    return table


def _markers(doc, start: int, end: int) -> list[tuple[str, int, int]]:
    """Non-overlapping markers of the sentence doc[start:end]: the longest first, then the earlier kind."""
    words = lower_words(doc)[start:end]
    table = marker_table()
    found = []
    for i, w in enumerate(words):
        for kind, seq in table.get(w, ()):
            n = len(seq)
            if i + n <= len(words) and all(words[i + k] in seq[k] for k in range(1, n)):
                found.append((kind, start + i, start + i + n))
    rank = {k: i for i, k in enumerate(KINDS)}
    found.sort(key=lambda m: (-(m[2] - m[1]), m[1], rank[m[0]]))
    taken: list[tuple[str, int, int]] = []
    for kind, s, e in found:
        if all(e <= ts or s >= te for _, ts, te in taken):
            taken.append((kind, s, e))
    return sorted(taken, key=lambda m: m[1])


def verb_group(words: list[str], i: int, end: int, cfg: ClauseSettings) -> list[int]:
    """The run of action verbs from token i ("copy, sell or distribute"), skipping what may sit between
    a marker and its verbs ("directly or indirectly", "permit others to")."""
    out: list[int] = []
    while i < end:
        w = words[i]
        if i + 2 < end and words[i + 1] == "-" and words[i + 2] in cfg.verbs:
            i += 2  # "fine-tune", "re-distribute": the tokenizer splits them, and the head is the last part
            continue
        if not out and w == ",":
            # "may, by notice on its website, suspend ...", "may, at its sole discretion, terminate ...": an
            # aside between commas before the verbs
            j = next((j for j in range(i + 1, min(end, i + 12)) if words[j] in (",", ";", ":", ".")), None)
            if j is not None and words[j] == "," and j + 1 < end and words[j + 1] in cfg.verbs:
                i = j + 1
                continue
        if not out and w in cfg.causatives:
            # "have the Model produce ...", "let any third party access ...": the act is the one after
            j = next((j for j in range(i + 1, min(end, i + 6)) if words[j] in cfg.verbs
                      or words[j] in cfg.boundaries or words[j] in (",", ";", ":", ".")), None)
            if j is not None and words[j] in cfg.verbs:
                i = j
                continue
        if w in cfg.verbs:
            if out and out[-1] == i - 1 and (words[i - 1], w) not in cfg.verb_pairs:
                break  # "transfer copies", "make copies": the second word is the first one's object
            out.append(i)
        elif w in cfg.boundaries or (out and w not in cfg.skip):
            break
        elif not out and w not in cfg.skip and not w.endswith("ly"):
            break
        i += 1
    return out


def object_end(words: list[str], group: list[int], limit: int, cfg: ClauseSettings) -> int:
    """Where the object of a verb group ends: at a preposition or punctuation that starts what follows
    it ("share the Model | with others", "offer any terms | on the Work"); relative to `words`."""
    if not group:
        return -1
    i = group[-1] + 1
    if i < limit and (words[group[-1]], words[i]) in cfg.verb_particles:
        i += 1  # "pass on the parameters", "hand over the weights": the particle belongs to the verb
    while i < limit and words[i] not in cfg.object_ends and words[i] not in cfg.boundaries:
        i += 1
    return i


_PREDICATES = "openscope.predicates"


def sentence_predicates(doc, start: int, end: int, clause_of: list[int]) -> list[Predicate]:
    """`predicates`, computed once per sentence of a Doc for the restriction and obligation readers both
    (kept in its `user_data` with the clause numbering they were computed with)."""
    held = doc.user_data.get(_PREDICATES)
    if held is None or held[0] is not clause_of:
        held = doc.user_data[_PREDICATES] = (clause_of, {})
    found = held[1].get((start, end))
    if found is None:
        found = held[1][(start, end)] = predicates(doc, start, end, clause_of)
    return found


def predicates(doc, start: int, end: int, clause_of: list[int]) -> list[Predicate]:
    """Every predicate of the sentence doc[start:end] (token offsets of the block's Doc)."""
    cfg = settings()
    words = lower_words(doc)[start:end]
    markers = _markers(doc, start, end)
    out: list[Predicate] = []
    for n, (kind, s, e) in enumerate(markers):
        clause = clause_of[s]
        clause_end = next((i for i in range(e, end) if clause_of[i] != clause), end)
        nxt = markers[n + 1][1] if n + 1 < len(markers) else end
        if kind in ("permission", "obligation", "passive_grant"):
            since = max(markers[n - 1][2] if n else start,
                        next((i + 1 for i in range(s - 1, start - 1, -1) if clause_of[i] != clause), start))
            between = words[max(since, s - 8) - start:s - start]
            last_neg = max((i for i, w in enumerate(between) if w in cfg.negators), default=None)
            if last_neg is not None and not set(between[last_neg:]) & {":", "you", "we", "licensee", "i"}:
                # "neither X nor Y may be used", "no part ... may be shared", "no other distribution is permitted"
                kind = "passive_ban" if kind == "passive_grant" else "prohibition"
        if kind in _GOVERNS_BEFORE:
            clause_start = next((i + 1 for i in range(s - 1, start - 1, -1) if clause_of[i] != clause), start)
            prev = markers[n - 1][2] if n else start
            first = max(clause_start, prev)
            # "... for commercial use, while attaching a list of uses that are not allowed": the subject
            # of the passive starts after a subordinating word
            first = next((i + 1 for i in range(s - 1, first - 1, -1) if words[i - start] in cfg.subject_starts), first)
            out.append(Predicate(kind, s, e, tuple(range(first, s)), s, first))
            continue
        boundary = next((i for i in range(e, min(clause_end, nxt))
                         if words[i - start] in cfg.boundaries), min(clause_end, nxt))
        rel = verb_group(words, e - start, boundary - start, cfg)
        if kind == "prohibition" and words[s - start] in ("but", "and") and (
                not rel or e < end and words[e - start] in cfg.ellipsis_stops):
            continue  # "including but not limited to", "and not for profit": no act of its own is banned
        group = [start + i for i in rel]
        clause_start = next((i + 1 for i in range(s - 1, start - 1, -1) if clause_of[i] != clause), start)
        if rel and "be" in words[e - start:rel[0]] or rel and "been" in words[e - start:rel[0]]:
            obj_span = (clause_start, s)  # passive: "the weights may not be shared"
        elif rel:
            obj_span = (start + rel[-1] + 1, start + object_end(words, rel, boundary - start, cfg))
        else:
            obj_span = (-1, -1)
        if rel and obj_span[1] >= obj_span[0] >= 0:  # also after an empty object: "upload to a hub, sell or ..."
            more, last_end = coordinated(words, obj_span[1] - start, boundary - start, cfg)
            if more:
                rel += more
                group += [start + i for i in more]
                obj_span = (obj_span[0], start + last_end)
        verb_words = tuple(words[i] for i in rel)
        out.append(Predicate(kind, s, e, tuple(group), boundary, e, *obj_span, verb_words))
        if kind == "denial" and not group and clause_start < s and _ends_clause(words, e - start, boundary - start, cfg):
            # "Distribution into Australia is not licensed", "Use in X is outside the scope of this
            # Agreement": a denial that governs no verb after it denies its subject, as a passive ban does
            first = max(clause_start, markers[n - 1][2] if n else start)
            if first < s:
                out.append(Predicate("passive_ban", s, e, tuple(range(first, s)), s, first))
        colon = e if not group else obj_span[1]
        if 0 <= colon < end and words[colon - start] == ":":
            # "You agree not to use the Model: (a) for ...; (b) to ...": the items inherit the modality
            out += _inline_items(kind, colon + 1, end, clause_of, words, start, cfg, verb_words)
    return out


def coordinated(words: list[str], i: int, end: int, cfg: ClauseSettings) -> tuple[list[int], int]:
    """Verb phrases coordinated with the first one under the same marker: in "may not hand them on,
    upload them to a hub, or mirror them", "upload" and "mirror" are as forbidden as "hand".
    From words[i] (where the first phrase's object ends) to `end`: the verbs that follow a comma or a
    conjunction, and where the last one's object ends. An example list ("including ...") ends the search."""
    found: list[int] = []
    last_end = i
    while i < end:
        w = words[i]
        if w in cfg.boundaries or w in cfg.coordination_stops:
            break
        if w in (",", "or", "and", "nor", ";"):
            j = i + 1
            while j < end and words[j] in cfg.coordinators:
                j += 1
            group = verb_group(words, j, end, cfg) if j < end and words[j] in cfg.verbs else []
            if group:
                found += group
                last_end = object_end(words, group, end, cfg)
                i = max(last_end, group[-1] + 1)
                continue
        i += 1
    return found, last_end


def _ends_clause(words: list[str], i: int, end: int, cfg: ClauseSettings) -> bool:
    """Whether what follows a marker at words[i:end] completes it rather than naming what it governs:
    nothing, or the document it refers to ("of this Agreement", "under this License", "herein")."""
    rest = [w for w in words[i:end] if w not in (".", ",", ";", ":", ")", "(")]
    return not rest or rest[0] in cfg.completions


def _inline_items(kind: str, first: int, end: int, clause_of: list[int], words: list[str], start: int,
                  cfg: ClauseSettings, lead_verbs: tuple[str, ...]) -> list[Predicate]:
    """"You agree not to: (a) share the Model; (b) ...": the lead-in's modality in each inline item."""
    out = []
    i = first
    while i < end:
        clause = clause_of[i]
        j = next((k for k in range(i, end) if clause_of[k] != clause), end)
        rel = verb_group(words, _after_enumerator(words, i - start, j - start), j - start, cfg)
        obj = (start + rel[-1] + 1, start + object_end(words, rel, j - start, cfg)) if rel else (-1, -1)
        verb_words = tuple(words[g] for g in rel) or lead_verbs
        out.append(Predicate(kind, i, i, tuple(start + g for g in rel), j, i, *obj, verb_words))
        i = j
    return out


def _after_enumerator(words: list[str], i: int, end: int) -> int:
    """Skip a list item's enumerator: "(a)", "a)", "1.", "iv."."""
    if i < end and words[i] == "(":
        i += 1
    if i < end and len(words[i]) <= 4 and words[i].rstrip(".").isalnum() and i + 1 < end and words[i + 1] in (")", "."):
        i += 2
    elif i < end and len(words[i]) <= 5 and words[i].endswith((".", ")")) and words[i][:-1].isalnum():
        i += 1
    return i


def item_predicate(lead_in: Predicate | None, doc, start: int, end: int) -> Predicate | None:
    """The lead-in's modality carried into a list item doc[start:end]: it governs the item's first verbs
    ("to train other models") and covers the whole item."""
    if lead_in is None:
        return None
    words = lower_words(doc)[start:end]
    cfg = settings()
    rel = verb_group(words, _after_enumerator(words, 0, len(words)), len(words), cfg)
    obj = (start + rel[-1] + 1, start + object_end(words, rel, len(words), cfg)) if rel else (-1, -1)
    verb_words = tuple(words[i] for i in rel) or lead_in.verb_words
    return Predicate(lead_in.kind, start, start, tuple(start + i for i in rel), end, start, *obj, verb_words)


def open_predicate(preds: list[Predicate], sentence_end: int) -> Predicate | None:
    """The predicate a lead-in sentence leaves open for the list after it: its last one, if its scope
    runs to the end of the sentence ("You agree not to use the Model:")."""
    if not preds:
        return None
    last = preds[-1]
    tail = sentence_end - 1  # the lead-in's closing ':' is outside any clause
    return last if last.kind not in _GOVERNS_BEFORE and last.scope_end >= tail else None
