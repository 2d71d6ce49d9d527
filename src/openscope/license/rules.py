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
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from openscope.data import LICENSES_DIR, load_yaml
from openscope.errors import CatalogError
from openscope.license.clauses import KINDS as PREDICATE_KINDS
from openscope.license.clauses import Predicate, item_predicate, lower_words, open_predicate, sentence_predicates
from openscope.license.matching import Probe, TextIndex, make_probe, run_probes
from openscope.vocabulary import flag_names

RULES_DIR = LICENSES_DIR / "rules"
CUES_FILE = RULES_DIR / "_cues.yaml"
SIGNALS_FILE = RULES_DIR / "_signals.yaml"
SIGNAL = "_signal"  # the pseudo-flag of text-level signals: facts about a text that rules depend on
SCOPES = ("clause", "sentence")


class RuleError(CatalogError):
    """A malformed rules file (a bug in openscope's data): names the file and the rule."""


@dataclass(frozen=True)
class Condition:
    """A negative: patterns or a cue that, present in `scope`, vetoes a positive match."""

    key: str
    scope: str
    cue: str | None = None
    unless_cue: str | None = None  # no veto where this cue is in the sentence too


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
    if_flags_or_cue: str | None = None  # if_flags also holds where the hit's sentence has this cue
    cue_anchor: str | None = None  # the rule matches wherever this cue matches
    requires_threshold: bool = False  # the sentence must state a threshold thresholds.py can read
    unless_signals: tuple[str, ...] = ()  # text-level signals (_signals.yaml) that cancel this rule
    governed_by: tuple[str, ...] = ()  # the match must be governed by a predicate of one of these kinds
    scoped_by: tuple[str, ...] = ()  # the match must lie in the scope of a predicate of one of these kinds
    object_cues: tuple[str, ...] = ()  # with governed_by: a cue that must name what the governed verbs act on
    verbs: frozenset[str] = frozenset()  # only predicates governing one of these verbs count (none: any)
    min_words: int = 0  # the sentence must have at least this many words (a heading is not a clause)
    # the threshold is stated before the consequence ("The limit is 2,000,000 monthly active users. Above
    # that number a separate licence is needed."): read there (restrictions._figures_before); the value is
    # the word the pointer stands for ("users": "that figure" = the users counted)
    figure_before: str = ""


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
    classifier_and_any: tuple[str, ...] = ()  # and one of these too (e.g. a modality: a topic alone is no ban)


@dataclass
class RuleSet:
    flags: dict[str, FlagRules]
    cues: tuple[str, ...]
    positives: list[Probe]  # token patterns of the rules, each run only where its words occur
    marks: list[Probe]  # token patterns of negatives and cues, run only where a rule matched
    phrases: object  # spacy PhraseMatcher on LOWER
    phrases_cased: object  # spacy PhraseMatcher on ORTH (abbreviations such as "EU", "U.S.")
    rules_by_key: dict[str, Rule] = field(default_factory=dict)
    anchored: dict[str, list[Rule]] = field(default_factory=dict)  # "cue|name" -> rules anchored on it
    every_flag_vetoes: tuple[Condition, ...] = ()  # cues that make a sentence (or a clause) state no term: a question
    # cues that state no term when a ban governs them: under "You may not:", "(a) add a use policy"
    under_ban_vetoes: tuple[Condition, ...] = ()
    ban_cues: frozenset[str] = frozenset()  # the cues that make a sentence or its lead-in a ban
    item_vetoes: frozenset[str] = frozenset()  # cues of a list lead-in under which the items state no term
    section_vetoes: frozenset[str] = frozenset()  # cues of a heading under which the section states no term
    # cue -> cues it cancels in its sentence ("covers the following without a separate agreement"
    # states that no further license is needed, so "separate agreement" there requires none)
    cancels: dict = field(default_factory=dict)


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


_WORD_ATTRS = ("LOWER", "ORTH", "TEXT", "NORM")
_HYPHENATED = re.compile(r"\w-\w")


def split_compounds(pattern: list, tokenizer, where: str) -> list[list]:
    """A pattern written with a word the tokenizer splits ("fine-tuned", "non-commercial" are three
    tokens) could never match that word: each such word becomes its own variant, token by token, so
    rules can be written as people spell."""
    variants: list[list] = [[]]
    for token in pattern:
        options = [token]
        if isinstance(token, dict):
            options = _token_variants(token, tokenizer, where)
        variants = [v + option for v in variants for option in options] if options else variants
    return variants


def _token_variants(token: dict, tokenizer, where: str) -> list[list]:
    """The token itself (without its compound words) plus one token sequence per compound word."""
    attr = next((a for a in _WORD_ATTRS if a in token), None)
    if attr is None:
        return [[token]]
    value = token[attr]
    words = value.get("IN") if isinstance(value, dict) else [value]
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        return [[token]]
    # only hyphenated words: a word alone tokenizes unlike in a sentence at its edges ("u.s." -> "u.s", ".")
    split = {w: [t.text for t in tokenizer(w)] if _HYPHENATED.search(w) else [w] for w in words}
    compounds = [w for w in words if len(split[w]) > 1]
    if not compounds:
        return [[token]]
    if token.get("OP") not in (None, "?"):
        raise RuleError(f"{where}: {compounds[0]!r} is several tokens and cannot be repeated with OP")
    out = []
    singles = [w for w in words if w not in compounds]
    if singles:
        out.append([{**token, attr: {**value, "IN": singles} if isinstance(value, dict) else singles[0]}])
    elif token.get("OP") == "?":
        out.append([])  # the token was optional: the pattern also matches without it
    for w in compounds:
        out.append([{attr: part} if part.isalnum() else {"ORTH": part} for part in split[w]])
    return out


def _add(ruleset_parts, key: str, spec: dict, where: str):
    token_matchers, phrases, phrases_cased, nlp = ruleset_parts
    patterns = spec.get("patterns") or []
    if not isinstance(patterns, list) or any(not isinstance(p, list) for p in patterns):
        raise RuleError(f"{where}: 'patterns' must be a list of token patterns")
    target = token_matchers[0] if key.startswith("pos|") else token_matchers[1]
    for written in patterns:
        for pattern in split_compounds(written, nlp.tokenizer, where):
            try:
                target.append(make_probe(key, pattern, nlp.vocab))
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
        unless_cue = spec.get("unless_cue")
        if unless_cue is not None and unless_cue not in cues:
            raise RuleError(f"{where}: unknown unless_cue {unless_cue!r}")
        key = f"neg|{flag}|{owner}|{spec.get('id', i)}"
        if spec.get("patterns") or spec.get("phrases") or spec.get("phrases_cased"):
            _add(parts, key, spec, where)
        elif cue is None:
            raise RuleError(f"{where}: needs patterns, phrases or a cue")
        out.append(Condition(key=key, scope=scope, cue=cue, unless_cue=unless_cue))
    return tuple(out)


def load_flag_file(path: Path, cues: set[str], parts, signals: frozenset[str] = frozenset()) -> FlagRules:
    raw = load_yaml(path)
    if not isinstance(raw, dict) or "flag" not in raw:
        raise RuleError(f"{path}: expected a mapping with 'flag'")
    flag = raw["flag"]
    if flag == SIGNAL:
        if path.name != SIGNALS_FILE.name:
            raise RuleError(f"{path}: only {SIGNALS_FILE.name} holds signals")
    elif flag not in flag_names():
        raise RuleError(f"{path}: unknown flag {flag!r}")
    elif path.stem != flag:
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
        for name in spec.get("unless_signals", []):
            if name not in signals:
                raise RuleError(f"{where}: unknown signal {name!r} (see {SIGNALS_FILE.name})")
        scope = spec.get("scope", "clause")
        if scope not in SCOPES:
            raise RuleError(f"{where}: scope must be one of {SCOPES}")
        anchor = spec.get("cue_anchor")
        if anchor is not None and anchor not in cues:
            raise RuleError(f"{where}: unknown cue {anchor!r}")
        named = spec.get("if_flags_or_cue")
        if named is not None and (named not in cues or not spec.get("if_flags")):
            raise RuleError(f"{where}: if_flags_or_cue needs if_flags and a known cue, not {named!r}")
        governed_by, scoped_by = tuple(spec.get("governed_by") or ()), tuple(spec.get("scoped_by") or ())
        object_cues = tuple(spec.get("object") or ())
        for name in object_cues:
            if name not in cues:
                raise RuleError(f"{where}: unknown cue {name!r} in object")
        if object_cues and not governed_by:
            raise RuleError(f"{where}: 'object' needs 'governed_by'")
        verbs = frozenset(str(v).lower() for v in spec.get("verbs") or ())
        if verbs and not (governed_by or scoped_by):
            raise RuleError(f"{where}: 'verbs' needs 'governed_by' or 'scoped_by'")
        for kind in (*governed_by, *scoped_by):
            if kind not in PREDICATE_KINDS:
                raise RuleError(f"{where}: unknown predicate kind {kind!r}; expected one of {PREDICATE_KINDS}")
        if anchor is None or spec.get("patterns") or spec.get("phrases"):
            _add(parts, f"pos|{flag}|{rid}", spec, where)
        rules[rid] = Rule(
            flag=flag, id=rid, requires=tuple(spec.get("requires", [])),
            requires_any=tuple(spec.get("requires_any", [])), scope=scope,
            lead_in=bool(spec.get("lead_in", True)),
            negatives=_conditions(spec.get("negatives"), flag, rid, cues, parts, path),
            unless_flags=tuple(spec.get("unless_flags", [])), if_flags=tuple(spec.get("if_flags", [])),
            if_flags_or_cue=named,
            unless_signals=tuple(spec.get("unless_signals", [])),
            cue_anchor=anchor, requires_threshold=bool(spec.get("requires_threshold", False)),
            governed_by=governed_by, scoped_by=scoped_by, object_cues=object_cues, verbs=verbs,
            min_words=int(spec.get("min_words", 0)), figure_before=str(spec.get("figure_before") or ""),
        )
        if rules[rid].figure_before and rules[rid].requires_threshold:
            raise RuleError(f"{where}: figure_before reads the threshold from the sentence before; drop requires_threshold")
    if not rules:
        raise RuleError(f"{path}: no rules")
    examples = raw.get("examples") or {}
    gate = tuple((raw.get("classifier") or {}).get("requires_any") or ())
    gate_too = tuple((raw.get("classifier") or {}).get("and_any") or ())
    for name in gate + gate_too:
        if name not in cues:
            raise RuleError(f"{path}: classifier: unknown cue {name!r}")
    return FlagRules(
        flag=flag, description=raw.get("description", ""), rules=rules,
        negatives=_conditions(raw.get("negatives"), flag, "flag", cues, parts, path),
        examples_positive=list(examples.get("positive") or []),
        examples_negative=list(examples.get("negative") or []), path=path, classifier_requires_any=gate,
        classifier_and_any=gate_too,
    )


@functools.cache
def load_rules(directory: Path | None = None) -> RuleSet:
    """Build the matchers once per process from every `<flag>.yaml` and `_cues.yaml`."""
    from spacy.matcher import PhraseMatcher

    from openscope.text.sentences import nlp

    directory = Path(directory or RULES_DIR)
    pipeline = nlp()
    token_matchers: tuple[list[Probe], list[Probe]] = ([], [])
    phrases = PhraseMatcher(pipeline.vocab, attr="LOWER")
    phrases_cased = PhraseMatcher(pipeline.vocab, attr="ORTH")
    parts = (token_matchers, phrases, phrases_cased, pipeline)
    cue_file = directory / CUES_FILE.name
    cue_doc = load_yaml(cue_file) or {}
    raw_cues = cue_doc.get("cues") or {}
    for name, spec in raw_cues.items():
        _add(parts, f"cue|{name}", spec or {}, f"{cue_file.name}: cue {name!r}")
    cues = set(raw_cues)
    vetoes = cue_doc.get("veto_every_flag") or []
    clause_vetoes = cue_doc.get("veto_every_flag_in_clause") or []
    under_ban = cue_doc.get("veto_every_flag_under_ban") or {}
    under_lead_in = cue_doc.get("veto_items_under") or []
    under_heading = cue_doc.get("veto_sections_under") or []
    cancels = cue_doc.get("cancels") or {}
    for name, cancelled in cancels.items():
        for n in (name, *cancelled):
            if n not in cues:
                raise RuleError(f"{cue_file.name}: cancels: unknown cue {n!r}")
    for key, names in (("veto_every_flag", vetoes), ("veto_every_flag_in_clause", clause_vetoes), ("veto_every_flag_under_ban", [*(under_ban.get("cues") or ()),
                       *(under_ban.get("ban") or ())]), ("veto_items_under", under_lead_in),
                       ("veto_sections_under", under_heading)):
        for name in names:
            if name not in cues:
                raise RuleError(f"{cue_file.name}: {key}: unknown cue {name!r}")
    flags = {}
    signal_file = directory / SIGNALS_FILE.name
    if signal_file.exists():
        flags[SIGNAL] = load_flag_file(signal_file, cues, parts)
    signals = frozenset(flags[SIGNAL].rules) if SIGNAL in flags else frozenset()
    for path in sorted(directory.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        fr = load_flag_file(path, cues, parts, signals)
        flags[fr.flag] = fr
    ruleset = RuleSet(flags=flags, cues=tuple(sorted(cues)), positives=token_matchers[0],
                      marks=token_matchers[1], phrases=phrases, phrases_cased=phrases_cased,
                      every_flag_vetoes=(*(Condition(key=f"cue|{n}", scope="sentence", cue=n) for n in vetoes),
                                         *(Condition(key=f"cue|{n}", scope="clause", cue=n) for n in clause_vetoes)),
                      under_ban_vetoes=tuple(Condition(key=f"cue|{n}", scope="clause", cue=n)
                                             for n in under_ban.get("cues") or ()),
                      ban_cues=frozenset(f"cue|{n}" for n in under_ban.get("ban") or ()),
                      item_vetoes=frozenset(f"cue|{n}" for n in under_lead_in),
                      section_vetoes=frozenset(f"cue|{n}" for n in under_heading),
                      cancels={f"cue|{n}": frozenset(f"cue|{c}" for c in cs) for n, cs in cancels.items()})
    for fr in flags.values():
        for r in fr.rules.values():
            ruleset.rules_by_key[f"pos|{r.flag}|{r.id}"] = r
            if r.cue_anchor:
                ruleset.anchored.setdefault(f"cue|{r.cue_anchor}", []).append(r)
    # A rule anchored on a cue fires wherever that cue matches, so the cue's token patterns run in the
    # first pass with the rules' own (cues otherwise run only where some rule already matched).
    ruleset.positives += [p for p in ruleset.marks if p.key in ruleset.anchored]
    return ruleset


# --- matching -------------------------------------------------------------------------------------

_CLAUSE_IDS = "openscope.clause_ids"
_WORD_COUNTS = "openscope.word_counts"


def word_counts(doc) -> list[int]:
    """Words (alphabetic tokens) up to and including each token of `doc`, computed once per Doc."""
    found = doc.user_data.get(_WORD_COUNTS)
    if found is None:
        from spacy.attrs import IS_ALPHA

        found = doc.user_data[_WORD_COUNTS] = doc.to_array(IS_ALPHA).cumsum().tolist() if len(doc) else []
    return found


def words_between(doc, start: int, end: int) -> int:
    """Alphabetic tokens in doc[start:end]."""
    if end <= start:
        return 0
    counts = word_counts(doc)
    return counts[end - 1] - (counts[start - 1] if start else 0)


def clause_ids(doc) -> list[int]:
    """Clause number of every token: a new clause after ';' and at inline enumerators like '(ii)'.
    Computed once per Doc (kept in its `user_data`): the rules, quotes and obligations all ask."""
    found = doc.user_data.get(_CLAUSE_IDS)
    if found is None:
        found = doc.user_data[_CLAUSE_IDS] = _clause_ids(doc)
    return found


def _clause_ids(doc) -> list[int]:
    # Over the Doc's lower-case words (kept for the readers anyway): numpy per block cost more than this.
    words = lower_words(doc)
    n = len(words)
    starts = [0] * (n + 1)  # clauses starting at each token
    for i, w in enumerate(words):
        if w == ";":
            starts[i + 1] += 1
        elif w == "(" and i < n - 2 and words[i + 2] == ")" and (i == 0 or doc[i - 1].whitespace_):
            label = doc[i + 1].text
            if len(label) <= 4 and (label.isdigit() or label.isalpha()) \
                    and (len(label) == 1 or label.lower().strip("ivxl") == ""):
                starts[i] += 1
    return list(itertools.accumulate(starts[:n]))


@dataclass
class BlockMatches:
    """What matched in one block: positive matches, negative keys and cue names by clause/sentence."""

    doc: object
    sentences: list[tuple[int, int]]
    sent_id: list[int]
    positives: list[tuple[str, int, int]]  # (key, start, end)
    marks: list[tuple[str, int, int]]  # negatives and cues: (key, start, end)
    index: TextIndex  # the whole text's sentences and words
    block: int  # this block's number in `index`
    marked: set[int] = field(default_factory=set)  # sentences the marks probes have run on
    # marks by sentence, rebuilt when `marks` grows: scanning every mark for every candidate was
    # quadratic (a restriction sentence repeated to 760 KB took minutes)
    _marks_by_sentence: dict = field(default_factory=dict, repr=False)
    _marks_indexed: int = field(default=-1, repr=False)
    cancels: dict = field(default_factory=dict)  # RuleSet.cancels

    @functools.cached_property
    def clause_of(self) -> list[int]:
        return clause_ids(self.doc)

    def sentence_of(self, token: int) -> int:
        return self.sent_id[token] if token < len(self.sent_id) else len(self.sentences) - 1

    def keys_in(self, sent: int, clause: int | None) -> set[str]:
        if self._marks_indexed != len(self.marks):
            import bisect

            starts = [s for s, _ in self.sentences]
            index: dict[int, list[tuple[str, int]]] = {}
            for key, start, _ in self.marks:
                i = bisect.bisect_right(starts, start) - 1
                if i >= 0 and start < self.sentences[i][1]:
                    index.setdefault(i, []).append((key, start))
            self._marks_by_sentence, self._marks_indexed = index, len(self.marks)
        keys = {key for key, start in self._marks_by_sentence.get(sent, ())
                if clause is None or self.clause_of[start] == clause}
        if self.cancels:
            for cue in [c for c in self.cancels if c in self._sentence_keys(sent)]:
                keys -= self.cancels[cue]
        return keys

    def _sentence_keys(self, sent: int) -> set[str]:
        return {key for key, _ in self._marks_by_sentence.get(sent, ())}

    @functools.cached_property
    def _predicates(self) -> dict[int, list[Predicate]]:
        return {}

    def predicates(self, sent: int) -> list[Predicate]:
        """The sentence's predicates (license/clauses.py), computed once, only where a rule asks."""
        found = self._predicates.get(sent)
        if found is None:
            s, e = self.sentences[sent]
            found = self._predicates[sent] = sentence_predicates(self.doc, s, e, self.clause_of)
        return found

    def open_predicate(self) -> Predicate | None:
        """What this block, as a list lead-in, leaves open for its items."""
        if not self.sentences:
            return None
        last = len(self.sentences) - 1
        return open_predicate(self.predicates(last), self.sentences[last][1])


def _within_sentences(found: list[tuple[str, int, int]], sent_id: list[int]) -> list[tuple[str, int, int]]:
    """Matches inside one sentence, once each, in document order."""
    return sorted({f for f in found if sent_id[f[1]] == sent_id[f[2] - 1]}, key=lambda x: (x[1], x[2], x[0]))


def ensure_marks(ruleset: RuleSet, wanted: list[tuple[BlockMatches, Iterable[int]]]) -> None:
    """Match negatives and cues in these sentences of these blocks, if not done yet (one pass over
    the text for all of them)."""
    todo = [(bm, set(sents) - bm.marked) for bm, sents in wanted]
    todo = [(bm, sents) for bm, sents in todo if sents]
    if not todo:
        return
    index = todo[0][0].index
    only = {index.first_sentence[bm.block] + k for bm, sents in todo for k in sents}
    found = run_probes(ruleset.marks, index, only)
    for bm, sents in todo:
        held = set(bm.marks)  # anchored cues already found in the first pass
        bm.marks.extend(m for m in _within_sentences(found.get(bm.block, []), bm.sent_id) if m not in held)
        bm.marked.update(sents)


def match_text(ruleset: RuleSet, docs: list, lead_in_blocks: set[int], index: TextIndex | None = None) -> list[BlockMatches]:
    """Positive matches in every block (one Doc each), with negatives and cues in the sentences where
    a rule matched (and in the last sentence of a list lead-in): the token patterns run only where
    they can match (matching.py). `index`: the docs' TextIndex, when the caller has it."""
    index = index or TextIndex.build(docs)
    positives = run_probes(ruleset.positives, index)
    strings = docs[0].vocab.strings if docs else None
    out, wanted = [], []
    for b, doc in enumerate(docs):
        sentences = index.block_sentences[b]
        sent_id = [0] * len(doc)
        for k, (s, e) in enumerate(sentences):
            sent_id[s:e] = [k] * (e - s)
        found = [(strings[mid], s, e) for mid, s, e in ruleset.phrases(doc)]
        found += [(strings[mid], s, e) for mid, s, e in ruleset.phrases_cased(doc)]
        found = _within_sentences(found + positives.get(b, []), sent_id)  # no match across sentences
        bm = BlockMatches(
            doc=doc, sentences=sentences, sent_id=sent_id,
            positives=[f for f in found if f[0].startswith("pos|")],
            marks=[f for f in found if not f[0].startswith("pos|")], index=index, block=b,
            cancels=ruleset.cancels,
        )
        need = {sent_id[s] for k, s, _ in found if k.startswith("pos|") or k in ruleset.anchored}
        if b in lead_in_blocks and sentences:
            need.add(len(sentences) - 1)
        wanted.append((bm, need))
        out.append(bm)
    ensure_marks(ruleset, wanted)
    return out


HEADING_WORDS = 16  # a heading is short and does not end like a sentence


def _heading_like(text: str) -> bool:
    text = text.strip()
    return 0 < len(text.split()) <= HEADING_WORDS and not text.endswith((".", ";", ",", ":"))


def informative_blocks(ruleset: RuleSet, blocks: list, matches: list[BlockMatches]) -> set[int]:
    """Blocks under a heading that declares its section no part of the terms ("Release notes
    (informative, not part of the license)", "Version history"): what they say states no term.
    The section ends where its numbered path ends, or, in a text without numbering, at the next heading."""
    if not ruleset.section_vetoes:
        return set()
    headings = [b for b, block in enumerate(blocks) if _heading_like(block.text)]
    ensure_marks(ruleset, [(matches[b], range(len(matches[b].sentences))) for b in headings])
    out: set[int] = set()
    for b in headings:
        bm = matches[b]
        if b in out or not any(ruleset.section_vetoes & bm.keys_in(k, None) for k in range(len(bm.sentences))):
            continue
        out.add(b)
        section = blocks[b].section
        for c in range(b + 1, len(blocks)):
            here = blocks[c].section
            if section is not None and here != section and not (here or "").startswith(section + "."):
                break
            if section is None and _heading_like(blocks[c].text) and not any(
                    ruleset.section_vetoes & matches[c].keys_in(k, None) for k in range(len(matches[c].sentences))):
                break
            out.add(c)
    return out


def lead_in_keys(bm: BlockMatches) -> set[str]:
    """Cues of a list's lead-in: its last sentence (the one ending with ':')."""
    return bm.keys_in(len(bm.sentences) - 1, None) if bm.sentences else set()


def _vetoed(conditions, sent_keys: set[str], clause_keys: set[str]) -> bool:
    for cond in conditions:
        keys = clause_keys if cond.scope == "clause" else sent_keys
        if (cond.key in keys or (cond.cue and f"cue|{cond.cue}" in keys)) and not (
                cond.unless_cue and f"cue|{cond.unless_cue}" in sent_keys):
            return True
    return False


def _under_ban(ruleset: RuleSet, sent_keys: set[str], clause_keys: set[str], lead_keys: set[str]) -> bool:
    """A clause that adds terms, under a ban (in its sentence or its list's lead-in), forbids adding
    them: "You may not: (a) add a use policy; (b) require recipients to obtain a license"."""
    return bool(ruleset.under_ban_vetoes) and _vetoed(ruleset.under_ban_vetoes, sent_keys, clause_keys) and bool(
        ruleset.ban_cues & (sent_keys | lead_keys))


def _cue_ok(rule: Rule, unit_keys: set[str], lead_keys: set[str]) -> bool:
    pool = unit_keys | lead_keys if rule.lead_in else unit_keys
    if any(f"cue|{c}" not in pool for c in rule.requires):
        return False
    return not rule.requires_any or any(f"cue|{c}" in pool for c in rule.requires_any)


def _predicate_ok(rule: Rule, bm: BlockMatches, sent: int, token: int, lead: Predicate | None) -> bool:
    """A rule's `governed_by` / `scoped_by`: the modality its match must be governed by or lie in."""
    preds = list(bm.predicates(sent))
    if lead is not None:
        # The lead-in's modality reaches the item's first sentence, and any later one that goes on
        # like an item of the list (a bare verb: "Modify, copy or sell ...").
        s, e = bm.sentences[sent]
        inherited = item_predicate(lead, bm.doc, s, e)
        if inherited is not None and (sent == 0 or inherited.governed[:1] == (s,)):
            preds.append(inherited)
    if rule.verbs:
        # only predicates about these acts count; a denial of rights ("not granted to ...") governs no
        # verb, nor does a passive ban (it governs its subject: "use for weapons is prohibited")
        preds = [p for p in preds if p.kind in ("denial", "passive_ban") and not p.verb_words
                 or any(w in rule.verbs for w in p.verb_words)]
    governing = [p for p in preds if p.kind in rule.governed_by and p.governs(token)]
    if rule.governed_by and not governing:
        return False
    if rule.object_cues:
        wanted = {f"cue|{c}" for c in rule.object_cues}
        places = [start for key, start, _ in bm.marks if key in wanted]
        if not any(p.in_object(t) for p in governing for t in places):
            return False
    if rule.scoped_by and not any(p.kind in rule.scoped_by and p.covers(token) for p in preds):
        return False
    return True


def inline_lead_keys(bm: BlockMatches, sent: int, clause: int) -> set[str]:
    """Cues of an inline lead-in: "You will not, and will not permit anyone to: (a) ...; (c) use
    Output to ..." carries the first clause's modality to each enumerated item of the sentence."""
    s, e = bm.sentences[sent]
    first = bm.clause_of[s]
    if clause == first:
        return set()
    last = s
    while last + 1 < e and bm.clause_of[last + 1] == first:
        last += 1
    if bm.doc[last].text != ":":
        return set()
    return {k for k in bm.keys_in(sent, first) if k.startswith("cue|")}


def block_hits(ruleset: RuleSet, block_index: int, bm: BlockMatches, lead_keys: set[str],
               lead: Predicate | None = None) -> list[Hit]:
    """Rules that fire in one block; `lead` is the modality its list lead-in leaves open, if any."""
    if ruleset.item_vetoes & lead_keys:
        return []  # an item under "this license does not require you to:"
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
        lead_here = lead_keys | inline_lead_keys(bm, sent, clause) if rule.scope == "clause" else lead_keys
        if not _cue_ok(rule, unit, lead_here):
            continue
        flag_rules = ruleset.flags[rule.flag]
        if (_vetoed(flag_rules.negatives, sent_keys, clause_keys) or _vetoed(rule.negatives, sent_keys, clause_keys)
                or _vetoed(ruleset.every_flag_vetoes, sent_keys, clause_keys)
                or _under_ban(ruleset, sent_keys, clause_keys, lead_here)):
            continue
        if rule.min_words and words_between(bm.doc, *bm.sentences[sent]) < rule.min_words:
            continue
        if (rule.governed_by or rule.scoped_by) and not _predicate_ok(rule, bm, sent, start, lead):
            continue
        s, e = bm.sentences[sent]
        if rule.requires_threshold:
            from openscope.license.thresholds import thresholds_for

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
    ensure_marks(ruleset, [(bm, [sent])])
    keys = bm.keys_in(sent, None)
    if (_vetoed(flag_rules.negatives, keys, keys) or _vetoed(ruleset.every_flag_vetoes, keys, keys)
            or _under_ban(ruleset, keys, keys, lead_keys)):
        return False
    if ruleset.item_vetoes & lead_keys:
        return False
    present = keys | lead_keys
    return all(not gate or any(f"cue|{c}" in present for c in gate)
               for gate in (flag_rules.classifier_requires_any, flag_rules.classifier_and_any))
