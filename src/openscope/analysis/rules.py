"""Rule-based restriction detection: spaCy Matcher / PhraseMatcher patterns loaded from YAML.

Each flag has one file `licenses/rules/<flag>.yaml` (patterns, negatives and worked examples);
`licenses/rules/_cues.yaml` defines named cues the rules can require ("prohibition", "obligation",
"at_will", "territory", ...). A positive rule raises its flag on a sentence when

- one of its patterns or phrases matches,
- every cue in `requires` (and at least one cue of `requires_any`) occurs in the same clause, or the
  same sentence when the rule says `scope: sentence`, or in the lead-in of the list the sentence
  belongs to (unless `lead_in: false`), and
- no negative of the flag (or of the rule) matches in its scope (clause or sentence).

Clauses are the parts of a sentence between semicolons and inline enumerators ("(ii)", "(B)"), so a
notice-file requirement in item (ii) cannot veto a "Powered by" requirement in item (iii).
Text-level conditions (`unless_flags`, `if_flags`) are applied by `restrictions.extract_flags`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from openscope.vocabulary import LICENSES_DIR, flag_names, load_yaml

RULES_DIR = LICENSES_DIR / "rules"
CUES_FILE = RULES_DIR / "_cues.yaml"
SCOPES = ("clause", "sentence")


class RuleError(ValueError):
    """A malformed rules file (a bug in openscope's data): names the file and the rule."""


@dataclass(frozen=True)
class Condition:
    """A negative: patterns or a cue that, present in `scope`, vetoes a positive match."""

    key: str
    scope: str
    cue: str | None = None


@dataclass(frozen=True)
class Rule:
    flag: str
    id: str
    requires: tuple[str, ...] = ()
    requires_any: tuple[str, ...] = ()
    scope: str = "clause"
    lead_in: bool = True
    negatives: tuple[Condition, ...] = ()
    unless_flags: tuple[str, ...] = ()
    if_flags: tuple[str, ...] = ()
    cue_anchor: str | None = None  # the rule matches wherever this cue matches
    requires_threshold: bool = False  # the sentence must state a threshold thresholds.py can read


@dataclass
class FlagRules:
    flag: str
    description: str
    rules: dict[str, Rule]
    negatives: tuple[Condition, ...]
    examples_positive: list[str]
    examples_negative: list[str]
    path: Path
    classifier_requires_any: tuple[str, ...] = ()  # cues a sentence needs before the classifier may flag it


@dataclass
class RuleSet:
    flags: dict[str, FlagRules]
    cues: tuple[str, ...]
    positives: dict[str, TokenMatcher]  # token patterns of the rules, one matcher per flag
    marks: TokenMatcher  # token patterns of negatives and cues, run only where a rule matched
    phrases: object  # spacy PhraseMatcher on LOWER
    phrases_cased: object  # spacy PhraseMatcher on ORTH (abbreviations such as "EU", "U.S.")
    rules_by_key: dict[str, Rule] = field(default_factory=dict)
    anchored: dict[str, list[Rule]] = field(default_factory=dict)  # "cue|name" -> rules anchored on it


@dataclass(frozen=True)
class Hit:
    """A positive rule that fired on one sentence of one block."""

    flag: str
    rule: str
    block: int
    sent_start: int  # token offsets of the sentence in the block's Doc
    sent_end: int
    match_start: int
    match_end: int


_TRIGGER_ATTRS = ("LOWER", "ORTH", "TEXT", "NORM")
_EXPAND_MAX = 6


def _first_words(pattern: list) -> set[str] | None:
    """Lower-case words one of which must occur in a text for `pattern` to match; None if any may."""
    first = pattern[0] if pattern else None
    if not isinstance(first, dict) or first.get("OP") in ("?", "*") or not first:
        return None
    for attr in _TRIGGER_ATTRS:
        value = first.get(attr)
        if isinstance(value, str):
            return {value.lower()}
        if isinstance(value, dict) and set(value) == {"IN"}:
            return {str(v).lower() for v in value["IN"]}
    return None


def _expand_first(pattern: list) -> list[list]:
    """[{LOWER: {IN: [a, b]}}, ...] -> [{LOWER: a}, ...], [{LOWER: b}, ...].

    spaCy compares a plain value in C (~0.1 µs per pattern and token) but calls Python for an IN set
    (~0.5 µs per distinct set and token), so short lists are expanded and long ones kept."""
    first = pattern[0] if pattern else None
    if not isinstance(first, dict) or len(first) != 1:
        return [pattern]
    (attr, value), = first.items()
    if attr not in _TRIGGER_ATTRS or not isinstance(value, dict) or set(value) != {"IN"}:
        return [pattern]
    if len(value["IN"]) > _EXPAND_MAX:  # a long list is cheaper as one (cached) set lookup per token
        return [pattern]
    return [[{attr: word}, *pattern[1:]] for word in value["IN"]]


@dataclass
class TokenMatcher:
    """One spaCy Matcher and the first words its patterns can start with.

    spaCy's Matcher tries every pattern at every token it is given, so it runs only on the
    sentences that contain one of those words (or a number, for patterns that start with one),
    and the rules get one matcher per flag: each then sees fewer patterns and fewer sentences."""

    matcher: object
    triggers: set[int] = field(default_factory=set)  # LOWER hashes
    numbers: bool = False  # some pattern starts with a number
    always: bool = False  # some pattern can start anywhere

    def add(self, key: str, patterns: list, strings) -> None:
        self.matcher.add(key, [q for p in patterns for q in _expand_first(p)])
        for p in patterns:
            first = p[0] if p else {}
            words = _first_words(p)
            if words is not None:
                self.triggers.update(strings.add(w) for w in words)
            elif isinstance(first, dict) and ("LIKE_NUM" in first or "SHAPE" in first) and first.get("OP") is None:
                self.numbers = True
            else:
                self.always = True


def _add(ruleset_parts, key: str, spec: dict, where: str):
    token_matchers, phrases, phrases_cased, nlp = ruleset_parts
    patterns = spec.get("patterns") or []
    if not isinstance(patterns, list) or any(not isinstance(p, list) for p in patterns):
        raise RuleError(f"{where}: 'patterns' must be a list of token patterns")
    if patterns:
        if key.startswith("pos|"):
            flag = key.split("|")[1]
            if flag not in token_matchers[0]:
                from spacy.matcher import Matcher

                token_matchers[0][flag] = TokenMatcher(Matcher(nlp.vocab))
            target = token_matchers[0][flag]
        else:
            target = token_matchers[1]
        try:
            target.add(key, patterns, nlp.vocab.strings)
        except Exception as exc:  # spaCy reports the bad token attribute
            raise RuleError(f"{where}: invalid token pattern ({exc})") from None
    words = [str(p) for p in spec.get("phrases") or []]
    if words:
        phrases.add(key, list(nlp.tokenizer.pipe(w.lower() for w in words)))
    cased = [str(p) for p in spec.get("phrases_cased") or []]
    if cased:
        phrases_cased.add(key, list(nlp.tokenizer.pipe(cased)))
    if not (patterns or words or cased or spec.get("cue")):
        raise RuleError(f"{where}: needs patterns, phrases or a cue")


def _conditions(raw, flag: str, owner: str, cues: set[str], parts, path: Path) -> tuple[Condition, ...]:
    out = []
    for i, spec in enumerate(raw or []):
        where = f"{path.name}: {owner} negative {spec.get('id', i)!r}"
        scope = spec.get("scope", "clause")
        if scope not in SCOPES:
            raise RuleError(f"{where}: scope must be one of {SCOPES}")
        cue = spec.get("cue")
        if cue is not None and cue not in cues:
            raise RuleError(f"{where}: unknown cue {cue!r}")
        key = f"neg|{flag}|{owner}|{spec.get('id', i)}"
        if spec.get("patterns") or spec.get("phrases") or spec.get("phrases_cased"):
            _add(parts, key, spec, where)
        elif cue is None:
            raise RuleError(f"{where}: needs patterns, phrases or a cue")
        out.append(Condition(key=key, scope=scope, cue=cue))
    return tuple(out)


def load_flag_file(path: Path, cues: set[str], parts) -> FlagRules:
    raw = load_yaml(path)
    if not isinstance(raw, dict) or "flag" not in raw:
        raise RuleError(f"{path}: expected a mapping with 'flag'")
    flag = raw["flag"]
    if flag not in flag_names():
        raise RuleError(f"{path}: unknown flag {flag!r}")
    if path.stem != flag:
        raise RuleError(f"{path}: file name must be the flag name ({flag}.yaml)")
    known_flags = set(flag_names())
    rules: dict[str, Rule] = {}
    for spec in raw.get("rules") or []:
        rid = spec.get("id")
        where = f"{path.name}: rule {rid!r}"
        if not rid or rid in rules:
            raise RuleError(f"{where}: every rule needs a unique id")
        for name in (*spec.get("requires", []), *spec.get("requires_any", [])):
            if name not in cues:
                raise RuleError(f"{where}: unknown cue {name!r}")
        for name in (*spec.get("unless_flags", []), *spec.get("if_flags", [])):
            if name not in known_flags:
                raise RuleError(f"{where}: unknown flag {name!r}")
        scope = spec.get("scope", "clause")
        if scope not in SCOPES:
            raise RuleError(f"{where}: scope must be one of {SCOPES}")
        anchor = spec.get("cue_anchor")
        if anchor is not None and anchor not in cues:
            raise RuleError(f"{where}: unknown cue {anchor!r}")
        if anchor is None or spec.get("patterns") or spec.get("phrases"):
            _add(parts, f"pos|{flag}|{rid}", spec, where)
        rules[rid] = Rule(
            flag=flag, id=rid, requires=tuple(spec.get("requires", [])),
            requires_any=tuple(spec.get("requires_any", [])), scope=scope,
            lead_in=bool(spec.get("lead_in", True)),
            negatives=_conditions(spec.get("negatives"), flag, rid, cues, parts, path),
            unless_flags=tuple(spec.get("unless_flags", [])), if_flags=tuple(spec.get("if_flags", [])),
            cue_anchor=anchor, requires_threshold=bool(spec.get("requires_threshold", False)),
        )
    if not rules:
        raise RuleError(f"{path}: no rules")
    examples = raw.get("examples") or {}
    gate = tuple((raw.get("classifier") or {}).get("requires_any") or ())
    for name in gate:
        if name not in cues:
            raise RuleError(f"{path}: classifier: unknown cue {name!r}")
    return FlagRules(
        flag=flag, description=raw.get("description", ""), rules=rules,
        negatives=_conditions(raw.get("negatives"), flag, "flag", cues, parts, path),
        examples_positive=list(examples.get("positive") or []),
        examples_negative=list(examples.get("negative") or []), path=path, classifier_requires_any=gate,
    )


@functools.cache
def load_rules(directory: Path | None = None) -> RuleSet:
    """Build the matchers once per process from every `<flag>.yaml` and `_cues.yaml`."""
    from spacy.matcher import Matcher, PhraseMatcher

    from openscope.analysis.segment import nlp

    directory = Path(directory or RULES_DIR)
    pipeline = nlp()
    token_matchers = ({}, TokenMatcher(Matcher(pipeline.vocab)))
    phrases = PhraseMatcher(pipeline.vocab, attr="LOWER")
    phrases_cased = PhraseMatcher(pipeline.vocab, attr="ORTH")
    parts = (token_matchers, phrases, phrases_cased, pipeline)
    cue_file = directory / CUES_FILE.name
    raw_cues = (load_yaml(cue_file) or {}).get("cues") or {}
    for name, spec in raw_cues.items():
        _add(parts, f"cue|{name}", spec or {}, f"{cue_file.name}: cue {name!r}")
    cues = set(raw_cues)
    flags = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        fr = load_flag_file(path, cues, parts)
        flags[fr.flag] = fr
    ruleset = RuleSet(flags=flags, cues=tuple(sorted(cues)), positives=token_matchers[0],
                      marks=token_matchers[1], phrases=phrases, phrases_cased=phrases_cased)
    for fr in flags.values():
        for r in fr.rules.values():
            ruleset.rules_by_key[f"pos|{r.flag}|{r.id}"] = r
            if r.cue_anchor:
                ruleset.anchored.setdefault(f"cue|{r.cue_anchor}", []).append(r)
    return ruleset


# --- matching -------------------------------------------------------------------------------------

def clause_ids(doc) -> list[int]:
    """Clause number of every token: a new clause after ';' and at inline enumerators like '(ii)'."""
    ids = []
    clause = 0
    n = len(doc)
    for i, tok in enumerate(doc):
        if tok.text == "(" and i + 2 < n and doc[i + 2].text == ")" and (i == 0 or doc[i - 1].whitespace_) \
                and len(doc[i + 1].text) <= 4 and (doc[i + 1].text.isdigit() or doc[i + 1].text.isalpha()) \
                and (len(doc[i + 1].text) == 1 or doc[i + 1].text.lower().strip("ivxl") == ""):
            clause += 1
        ids.append(clause)
        if tok.text == ";":
            clause += 1
    return ids


@dataclass
class BlockMatches:
    """What matched in one block: positive matches, negative keys and cue names by clause/sentence."""

    doc: object
    sentences: list[tuple[int, int]]
    sent_id: list[int]
    clause_of: list[int]
    positives: list[tuple[str, int, int]]  # (key, start, end)
    marks: list[tuple[str, int, int]]  # negatives and cues: (key, start, end)
    marked: set[int] = field(default_factory=set)  # sentences the marks matcher has run on

    def sentence_of(self, token: int) -> int:
        return self.sent_id[token] if token < len(self.sent_id) else len(self.sentences) - 1

    def keys_in(self, sent: int, clause: int | None) -> set[str]:
        s, e = self.sentences[sent]
        return {key for key, start, _ in self.marks
                if s <= start < e and (clause is None or self.clause_of[start] == clause)}


def _run(tm: TokenMatcher, doc, sentences: list[tuple[int, int]], wanted: list[int]) -> list[tuple[str, int, int]]:
    """Run a TokenMatcher on the given sentences (consecutive ones in one call)."""
    strings = doc.vocab.strings
    out = []
    k = 0
    while k < len(wanted):
        first = last = wanted[k]
        while k + 1 < len(wanted) and wanted[k + 1] == last + 1:
            k += 1
            last = wanted[k]
        s0, e0 = sentences[first][0], sentences[last][1]
        out.extend((strings[mid], s0 + s, s0 + e) for mid, s, e in tm.matcher(doc[s0:e0]))
        k += 1
    return out


def _candidate_sentences(tm: TokenMatcher, doc, sentences, sent_words: list[set[int]]) -> list[int]:
    if tm.always:
        return list(range(len(sentences)))
    wanted = []
    for k, (s, e) in enumerate(sentences):
        if not tm.triggers.isdisjoint(sent_words[k]) or tm.numbers and any(t.like_num for t in doc[s:e]):
            wanted.append(k)
    return wanted


def ensure_marks(ruleset: RuleSet, bm: BlockMatches, sents: list[int]) -> None:
    """Match negatives and cues in these sentences, if not done yet."""
    todo = sorted(set(sents) - bm.marked)
    if not todo:
        return
    new = _run(ruleset.marks, bm.doc, bm.sentences, todo)
    bm.marks.extend(f for f in new if bm.sent_id[f[1]] == bm.sent_id[f[2] - 1])
    bm.marked.update(todo)


def match_block(ruleset: RuleSet, doc, *, lead_in: bool = False) -> BlockMatches:
    """Positive matches of `doc`, with negatives and cues in the sentences where a rule matched
    (and in the last sentence of a list lead-in): the expensive matchers run only where needed."""
    sentences = [(sent.start, sent.end) for sent in doc.sents] or [(0, len(doc))]
    sent_id = [0] * len(doc)
    for k, (s, e) in enumerate(sentences):
        sent_id[s:e] = [k] * (e - s)
    strings = doc.vocab.strings
    found = [(strings[mid], s, e) for mid, s, e in ruleset.phrases(doc)]
    found += [(strings[mid], s, e) for mid, s, e in ruleset.phrases_cased(doc)]
    lowers = doc.to_array("LOWER").tolist() if len(doc) else []
    sent_words = [set(lowers[s:e]) for s, e in sentences]
    for tm in ruleset.positives.values():
        found += _run(tm, doc, sentences, _candidate_sentences(tm, doc, sentences, sent_words))
    found = [f for f in found if sent_id[f[1]] == sent_id[f[2] - 1]]  # no match across sentences
    found.sort(key=lambda x: (x[1], x[2]))
    bm = BlockMatches(
        doc=doc, sentences=sentences, sent_id=sent_id, clause_of=clause_ids(doc),
        positives=[f for f in found if f[0].startswith("pos|")],
        marks=[f for f in found if not f[0].startswith("pos|")],
    )
    need = {sent_id[s] for k, s, _ in found if k.startswith("pos|") or k in ruleset.anchored}
    if lead_in and sentences:
        need.add(len(sentences) - 1)
    ensure_marks(ruleset, bm, sorted(need))
    return bm


def lead_in_keys(bm: BlockMatches) -> set[str]:
    """Cues of a list's lead-in: its last sentence (the one ending with ':')."""
    return bm.keys_in(len(bm.sentences) - 1, None) if bm.sentences else set()


def _vetoed(conditions, sent_keys: set[str], clause_keys: set[str]) -> bool:
    for cond in conditions:
        keys = clause_keys if cond.scope == "clause" else sent_keys
        if cond.key in keys or (cond.cue and f"cue|{cond.cue}" in keys):
            return True
    return False


def _cue_ok(rule: Rule, unit_keys: set[str], lead_keys: set[str]) -> bool:
    pool = unit_keys | lead_keys if rule.lead_in else unit_keys
    if any(f"cue|{c}" not in pool for c in rule.requires):
        return False
    return not rule.requires_any or any(f"cue|{c}" in pool for c in rule.requires_any)


def block_hits(ruleset: RuleSet, block_index: int, bm: BlockMatches, lead_keys: set[str]) -> list[Hit]:
    hits = []
    candidates = [(ruleset.rules_by_key[key], start, end) for key, start, end in bm.positives
                  if key in ruleset.rules_by_key]
    candidates += [(rule, start, end) for key, start, end in bm.marks for rule in ruleset.anchored.get(key, ())]
    for rule, start, end in candidates:
        sent = bm.sentence_of(start)
        clause = bm.clause_of[start]
        sent_keys = bm.keys_in(sent, None)
        clause_keys = bm.keys_in(sent, clause)
        unit = sent_keys if rule.scope == "sentence" else clause_keys
        if not _cue_ok(rule, unit, lead_keys):
            continue
        flag_rules = ruleset.flags[rule.flag]
        if _vetoed(flag_rules.negatives, sent_keys, clause_keys) or _vetoed(rule.negatives, sent_keys, clause_keys):
            continue
        s, e = bm.sentences[sent]
        if rule.requires_threshold:
            from openscope.analysis.thresholds import thresholds_for

            if not thresholds_for(rule.flag, bm.doc[s:e].text):
                continue
        hits.append(Hit(rule.flag, rule.id, block_index, s, e, start, end))
    return hits


def classifier_allowed(ruleset: RuleSet, flag: str, bm: BlockMatches, sent: int, lead_keys: set[str]) -> bool:
    """May the classifier raise `flag` on this sentence? Not when one of the flag's negatives fires
    there, nor when the sentence lacks every cue the flag's file asks for (`classifier.requires_any`)."""
    flag_rules = ruleset.flags.get(flag)
    if flag_rules is None:
        return True
    ensure_marks(ruleset, bm, [sent])
    keys = bm.keys_in(sent, None)
    if _vetoed(flag_rules.negatives, keys, keys):
        return False
    gate = flag_rules.classifier_requires_any
    return not gate or any(f"cue|{c}" in keys | lead_keys for c in gate)
