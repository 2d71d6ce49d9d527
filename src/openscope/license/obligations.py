"""Obligations: what a license text requires its user to do, each with the sentence that says so.

The vocabulary is `licenses/obligations.yaml`; the reader's rules are `licenses/obligations/<name>.yaml`,
each with positive and negative worked examples that the tests run. A rule raises its obligation on a
sentence when

- one of its patterns matches (the compact token syntax of text/patterns.py),
- the sentence puts the match under the modality the rule asks for (`modality`, default `obligation`):
  the nearest marker of license/clauses.py before the match is of that kind ("you shall ... display"),
  or, with no marker before it in its clause, the first one after it ("the above notice shall be
  included"), or, in a list item without a marker, the modality its lead-in leaves open ("If You Share
  the Licensed Material, You must: ... (ii) a copyright notice"); `modality: any` asks for none,
- none of its negatives (or the obligation's) matches in the same sentence, and
- the value it needs is there: `value: quoted` takes the quoted string nearest the match ("Built with
  Llama"), `value: threshold` the user or revenue threshold of the sentence (license/thresholds.py).

The text is segmented once (license/segment.py) and that segmentation is shared with the restriction
reader: `read_obligations` takes the `Segmented` it produced.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from openscope.data import LICENSES_DIR, load_yaml
from openscope.errors import CatalogError
from openscope.license.clauses import KINDS as PREDICATE_KINDS
from openscope.license.clauses import Predicate, open_predicate, sentence_predicates
from openscope.types import Evidence, ObligationFinding
from openscope.vocabulary import merge_obligations, obligation_names

RULES_DIR = LICENSES_DIR / "obligations"
MAX_QUOTE = 300
MAX_EVIDENCE = 3
VALUE_KINDS = ("quoted", "threshold")
SCOPES = ("clause", "sentence")
_RULE_KEYS = {"id", "patterns", "modality", "value", "value_min_words", "value_max_words", "value_after",
              "requires_value", "negatives", "if_present"}
_FILE_KEYS = {"obligation", "description", "rules", "negatives", "examples"}
# Quoted strings: curly or straight double quotes, curly single quotes; a straight single quote only
# where it cannot be an apostrophe.
_QUOTED = re.compile(r"[“\"]([^“”\"\n]{1,300})[”\"]|‘([^’\n]{1,200})’|(?<![\w])'([^'\n]{1,200})'(?![\w])")
_REVENUE_WORDS = re.compile(r"revenue|turnover|income|sales", re.I)
_NAME_WORD = re.compile(r"\b(?:word|term|name|prefix|string)\s+([A-Z][\w.-]+)")


class ObligationRuleError(CatalogError):
    """A malformed obligation rules file (a bug in openscope's data): names the file and the rule."""


@dataclass(frozen=True)
class Negative:
    key: str
    scope: str = "sentence"


@dataclass(frozen=True)
class ObligationRule:
    obligation: str
    id: str
    modality: tuple[str, ...] = ("obligation",)  # () : any modality, or none
    value: str | None = None
    value_min_words: int = 1
    value_max_words: int = 40
    value_after: bool = False  # the value follows the match ("... the following notice: “...”")
    requires_value: bool = False
    negatives: tuple[Negative, ...] = ()
    if_present: tuple[str, ...] = ()  # other obligations the same text must raise for this rule to count


@dataclass
class ObligationRules:
    rules: dict[str, ObligationRule]  # matcher key -> rule
    negatives: dict[str, tuple[Negative, ...]]  # obligation -> its file-level negatives
    examples: dict[str, dict]  # obligation -> {"positive": [...], "negative": [...]}
    probes: list  # license/matching.py Probes, keys "pos|<obligation>|<rule>", "neg|<obligation>|<owner>|<id>"
    paths: dict[str, Path] = field(default_factory=dict)


def _patterns(spec, where: str) -> list[list[dict]]:
    from openscope.text.patterns import compile_pattern

    raw = spec.get("patterns") if isinstance(spec, dict) else None
    if not raw or not isinstance(raw, list) or not all(isinstance(p, str) and p.strip() for p in raw):
        raise ObligationRuleError(f"{where}: 'patterns' must be a non-empty list of compact token patterns")
    return [compile_pattern(p) for p in raw]


def _add(probes: list, key: str, patterns: list[list[dict]]) -> None:
    from openscope.license.matching import make_probe
    from openscope.text.sentences import nlp

    # One probe per pattern: each runs only in sentences holding the words it needs (matching.py).
    probes.extend(make_probe(key, pattern, nlp().vocab) for pattern in patterns)


def _negatives(raw, owner: str, probes: list, path: Path) -> tuple[Negative, ...]:
    out = []
    for i, spec in enumerate(raw or []):
        nid = spec.get("id", i) if isinstance(spec, dict) else i
        where = f"{path.name}: {owner} negative {nid!r}"
        scope = spec.get("scope", "sentence") if isinstance(spec, dict) else None
        if scope not in SCOPES:
            raise ObligationRuleError(f"{where}: scope must be one of {SCOPES}")
        key = f"neg|{path.stem}|{owner}|{nid}"
        _add(probes, key, _patterns(spec, where))
        out.append(Negative(key, scope))
    return tuple(out)


@functools.cache
def load_obligation_rules(directory: Path | None = None) -> ObligationRules:
    """Every `<obligation>.yaml`, validated and compiled into probes, once per process."""
    directory = Path(directory or RULES_DIR)
    known = set(obligation_names())
    probes: list = []
    out = ObligationRules(rules={}, negatives={}, examples={}, probes=probes)
    for path in sorted(directory.glob("*.yaml")):
        raw = load_yaml(path)
        if not isinstance(raw, dict) or "obligation" not in raw:
            raise ObligationRuleError(f"{path}: expected a mapping with 'obligation'")
        name = raw["obligation"]
        if name not in known:
            raise ObligationRuleError(f"{path}: unknown obligation {name!r}; expected one of {sorted(known)}")
        if path.stem != name:
            raise ObligationRuleError(f"{path}: file name must be the obligation name ({name}.yaml)")
        extra = set(raw) - _FILE_KEYS
        if extra:
            raise ObligationRuleError(f"{path}: unknown keys {sorted(extra)}")
        seen: set[str] = set()
        for spec in raw.get("rules") or []:
            rid = spec.get("id") if isinstance(spec, dict) else None
            where = f"{path.name}: rule {rid!r}"
            if not rid or rid in seen:
                raise ObligationRuleError(f"{where}: every rule needs a unique id")
            seen.add(rid)
            extra = set(spec) - _RULE_KEYS
            if extra:
                raise ObligationRuleError(f"{where}: unknown keys {sorted(extra)}")
            modality = spec.get("modality", "obligation")
            modality = () if modality == "any" else tuple([modality] if isinstance(modality, str) else modality)
            bad = [k for k in modality if k not in PREDICATE_KINDS]
            if bad:
                raise ObligationRuleError(f"{where}: unknown modality {bad[0]!r}; expected 'any' or one of "
                                          f"{PREDICATE_KINDS}")
            value = spec.get("value")
            if value is not None and value not in VALUE_KINDS:
                raise ObligationRuleError(f"{where}: value must be one of {VALUE_KINDS}")
            if spec.get("requires_value") and value is None:
                raise ObligationRuleError(f"{where}: requires_value needs a value kind")
            for other in spec.get("if_present") or ():
                if other not in known:
                    raise ObligationRuleError(f"{where}: unknown obligation {other!r} in if_present")
            key = f"pos|{name}|{rid}"
            _add(probes, key, _patterns(spec, where))
            out.rules[key] = ObligationRule(
                obligation=name, id=rid, modality=modality, value=value,
                value_min_words=int(spec.get("value_min_words", 1)),
                value_max_words=int(spec.get("value_max_words", 40)),
                value_after=bool(spec.get("value_after", False)),
                requires_value=bool(spec.get("requires_value", False)),
                negatives=_negatives(spec.get("negatives"), rid, probes, path),
                if_present=tuple(spec.get("if_present") or ()),
            )
        if not seen:
            raise ObligationRuleError(f"{path}: no rules")
        out.negatives[name] = _negatives(raw.get("negatives"), "file", probes, path)
        examples = raw.get("examples") or {}
        out.examples[name] = {"positive": list(examples.get("positive") or []),
                              "negative": list(examples.get("negative") or [])}
        out.paths[name] = path
    return out


# --- reading ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    obligation: str
    rule: str
    block: int
    sent_start: int
    sent_end: int
    match_start: int
    match_end: int
    value: str | None
    thresholds: tuple[tuple[str, int], ...] = ()


class _Block:
    """One block's Doc with its sentences, clauses and predicates, computed where asked."""

    def __init__(self, block, doc, sentences: list[tuple[int, int]] | None = None):
        self.block, self.doc = block, doc
        if sentences is None:
            sentences = [(s.start, s.end) for s in doc.sents] if len(doc) else []
        self.sentences = sentences if len(doc) else []
        self._clauses: list[int] | None = None
        self._preds: dict[int, list[Predicate]] = {}

    @property
    def clause_of(self) -> list[int]:
        if self._clauses is None:
            from openscope.license.rules import clause_ids

            self._clauses = clause_ids(self.doc)
        return self._clauses

    def sentence_of(self, token: int) -> int:
        return next(k for k, (s, e) in enumerate(self.sentences) if s <= token < e)

    def predicates(self, sent: int) -> list[Predicate]:
        if sent not in self._preds:
            s, e = self.sentences[sent]
            self._preds[sent] = sentence_predicates(self.doc, s, e, self.clause_of)
        return self._preds[sent]

    def open_kind(self) -> str | None:
        """The modality this block leaves open for a list after it ("You must:"), if any."""
        if not self.sentences:
            return None
        last = len(self.sentences) - 1
        pred = open_predicate(self.predicates(last), self.sentences[last][1])
        return pred.kind if pred is not None else None

    def text(self, start: int, end: int) -> str:
        span = self.doc[start:end]
        return self.block.text[span.start_char:span.end_char]


_CONDITIONS = frozenset({"provided", "condition", "conditions"})  # a permission's conditions are duties
_DEFINING = frozenset({"mean", "means", "refer", "refers"})


def _stated(b: _Block, preds: list[Predicate]) -> list[Predicate]:
    """Predicates that state a modality: "“Work” shall mean ..." defines a word and obliges no one."""
    return [p for p in preds if not (p.kind == "obligation" and p.end < len(b.doc)
                                     and b.doc[p.end].lower_ in _DEFINING)]


def _modality(blocks: list[_Block], i: int, sent: int, token: int) -> str | None:
    """The kind of modality the match at `token` sits under (see the module docstring), or None."""
    b = blocks[i]
    preds = _stated(b, b.predicates(sent))
    before = [p for p in preds if p.end <= token]
    clause = b.clause_of[token]
    after = [p for p in preds if p.start >= token and b.clause_of[p.start] == clause]
    first_after = min(after, key=lambda p: p.start) if after else None
    if first_after is not None and first_after.end < len(b.doc) and b.doc[first_after.end].lower_ == "be":
        return first_after.kind  # the match is the subject of a passive: "the above notice shall be included"
    if before:
        nearest = max(before, key=lambda p: p.start)
        # A marker in an earlier clause still governs ("you shall (A) provide ...; and (B) display ...")
        # unless the match's own clause holds a marker after it (its own verb phrase).
        if b.clause_of[nearest.start] == clause or first_after is None:
            if nearest.kind in ("permission", "passive_grant") and any(
                    b.doc[t].lower_ in _CONDITIONS for t in range(nearest.end, token)):
                return "obligation"  # "You may distribute copies, provided that you give ... a copy of this License"
            return nearest.kind
        return first_after.kind
    if first_after is not None:
        return first_after.kind
    if sent == 0 or not any(p for k in range(sent) for p in b.predicates(k)):
        for j in reversed(b.block.lead_ins):  # the nearest lead-in that leaves a modality open
            kind = blocks[j].open_kind()
            if kind is not None:
                return kind
    return None


def _quoted_value(text: str, m_start: int, m_end: int, rule: ObligationRule) -> str | None:
    """The quoted string nearest the match (char offsets in the sentence), within the rule's word limits."""
    best = None
    for q in _QUOTED.finditer(text):
        value = next(g for g in q.groups() if g is not None).strip()
        if not (rule.value_min_words <= len(value.split()) <= rule.value_max_words):
            continue
        if q.start() < m_end and q.end() > m_start and rule.value_after:
            continue  # the match's own quoted word ("a “Notice” text file"), not the notice
        if rule.value_after and q.start() < m_start:
            continue
        distance = 0 if q.start() < m_end and q.end() > m_start else min(abs(q.start() - m_end), abs(m_start - q.end()))
        if best is None or distance < best[0]:
            best = (distance, value)
    if best is None and rule.value_max_words <= 3:
        named = _NAME_WORD.search(text)  # "include the word Nimbus at the beginning of the name"
        if named:
            return named.group(1).rstrip(".")
    return best[1] if best else None


def _quote(b: _Block, s: int, e: int, m_start: int, m_end: int, value: str | None = None) -> str:
    """The sentence when it fits in MAX_QUOTE characters, else a window on word bounds around the match
    and, when it is in the sentence, the value it gave ("... include “Llama” at the beginning of ...")."""
    text = b.text(s, e)
    if len(text) <= MAX_QUOTE:
        return text
    base = b.doc[s].idx
    start = b.doc[m_start].idx - base
    end = b.doc[m_end - 1].idx + len(b.doc[m_end - 1].text) - base
    at = text.find(value) if value else -1
    if at >= 0 and max(end, at + len(value)) - min(start, at) <= MAX_QUOTE:
        start, end = min(start, at), max(end, at + len(value))
    lo = max(0, start - (MAX_QUOTE - (end - start)) // 3)
    hi = min(len(text), lo + MAX_QUOTE)
    if hi < end:
        lo, hi = max(0, end - MAX_QUOTE), end
    if lo > 0:
        nxt = text.find(" ", lo)
        lo = nxt + 1 if 0 <= nxt < start else lo
    if hi < len(text):
        cut = text.rfind(" ", end, hi)
        hi = cut if cut > 0 else hi
    return text[lo:hi].strip()


def _hits(seg, rules: ObligationRules) -> list[_Hit]:
    from openscope.license.thresholds import thresholds_for

    from openscope.license.matching import run_probes

    # Each probe runs only where its words occur (license/matching.py), in the index the restriction
    # reader built over the same segmentation.
    index = seg.index
    matches = run_probes(rules.probes, index)
    blocks = [_Block(block, doc, sents) for block, doc, sents in zip(seg.blocks, seg.docs, index.block_sentences)]
    hits: list[_Hit] = []
    for i, b in enumerate(blocks):
        keyed = sorted(set(matches.get(i, ())), key=lambda k: (k[1], k[2], k[0]))
        if not keyed or not b.sentences:
            continue
        negatives: dict[tuple[int, int | None], set[str]] = {}
        for key, s, e in keyed:
            if key.startswith("neg|"):
                sent = b.sentence_of(s)
                negatives.setdefault((sent, None), set()).add(key)
                negatives.setdefault((sent, b.clause_of[s]), set()).add(key)
        done: set[tuple[str, int]] = set()
        for key, start, end in sorted((k for k in keyed if k[0].startswith("pos|")), key=lambda k: (k[1], k[2])):
            rule = rules.rules[key]
            sent = b.sentence_of(start)
            if b.sentence_of(end - 1) != sent or (rule.obligation, sent) in done:
                continue
            vetoes = (*rules.negatives.get(rule.obligation, ()), *rule.negatives)
            if any(n.key in negatives.get((sent, None if n.scope == "sentence" else b.clause_of[start]), ())
                   for n in vetoes):
                continue
            if rule.modality and _modality(blocks, i, sent, start) not in rule.modality:
                continue
            s, e = b.sentences[sent]
            value, thresholds = None, ()
            if rule.value == "quoted":
                base = b.doc[s].idx
                m_start = b.doc[start].idx - base
                m_end = b.doc[end - 1].idx + len(b.doc[end - 1].text) - base
                value = _quoted_value(b.text(s, e), m_start, m_end, rule)
                if value is None and rule.value_after:
                    # A spelt-out notice runs past the sentencizer's cut ("... Alibaba Cloud. All Rights Reserved.")
                    tail = b.block.text[b.doc[start].idx:]
                    value = _quoted_value(tail, 0, m_end - m_start, rule)
            elif rule.value == "threshold":
                sentence = b.text(s, e)
                found_t = dict(thresholds_for("user-cap", sentence))
                if _REVENUE_WORDS.search(sentence):
                    found_t.update(thresholds_for("revenue-cap", sentence))
                thresholds = tuple(sorted(found_t.items()))
            if rule.requires_value and not (value or thresholds):
                continue
            done.add((rule.obligation, sent))
            hits.append(_Hit(rule.obligation, rule.id, i, s, e, start, end, value, thresholds))
    raised = {h.obligation for h in hits}
    return [h for h in hits
            if all(o in raised for o in _rule_of(rules, h).if_present)]


def _rule_of(rules: ObligationRules, hit: _Hit) -> ObligationRule:
    return rules.rules[f"pos|{hit.obligation}|{hit.rule}"]


def read_obligations(seg, filename: str) -> list[ObligationFinding]:
    """The obligations a segmented text (license/segment.py `Segmented`) states, in vocabulary order.

    One finding per obligation and value: the same obligation with another value ("Built with X" in one
    clause, "Powered by X" in another) is a finding of its own; a finding without a value joins one with."""
    rules = load_obligation_rules()
    hits = _hits(seg, rules)
    blocks: dict[int, _Block] = {}
    found: dict[tuple[str, str | None], ObligationFinding] = {}
    for h in hits:
        b = blocks.setdefault(h.block, _Block(seg.blocks[h.block], seg.docs[h.block], seg.index.block_sentences[h.block]))
        ev = Evidence(file=filename, section=seg.blocks[h.block].section,
                      quote=_quote(b, h.sent_start, h.sent_end, h.match_start, h.match_end, h.value))
        key = (h.obligation, h.value)
        finding = found.get(key)
        if finding is None:
            finding = found[key] = ObligationFinding(h.obligation, h.value, dict(h.thresholds), "rules")
        elif h.thresholds:
            for k, v in h.thresholds:
                finding.thresholds.setdefault(k, v)
        if ev not in finding.evidence and len(finding.evidence) < MAX_EVIDENCE:
            finding.evidence.append(ev)
    return merge_obligations(list(found.values()))


def obligations_of_text(text: str, filename: str) -> list[ObligationFinding]:
    """`read_obligations` for a raw text (segmented here); `analyze_text` shares its segmentation instead."""
    from openscope.license.segment import segment

    return read_obligations(segment(text), filename)
