"""Restriction extraction: the 12 SPEC §2 flags of one text, each with the sentences that raised it.

Precedence: the rules (rules.py + licenses/rules/*.yaml) decide. The sentence classifier
(classifier.py) may add one of its own flags only when no rule raised that flag anywhere in the
text, only above its high-precision threshold, and only on a sentence where none of the flag's
negative rules fires. Every finding says which of the two raised it (`source`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from openscope.types import Evidence, FlagFinding

MAX_QUOTE = 300
MAX_EVIDENCE = 3
MIN_CLASSIFIED_WORDS = 8
FIGURE_LOOKBACK = 4  # sentences a "that figure" may point back over (a table's rows, the paragraph before)


@dataclass(frozen=True)
class SentenceHit:
    flag: str
    source: str  # "rules" | "classifier"
    rule: str  # rule id, or "classifier:<score>"
    block: int
    sent_start: int
    sent_end: int
    match_start: int
    match_end: int
    figure: tuple[tuple[str, int], ...] = ()  # thresholds read elsewhere (a figure stated before the hit)


@dataclass
class Extraction:
    segmented: object  # segment.Segmented
    hits: list[SentenceHit]
    findings: list[FlagFinding]
    too_large: dict[str, str] = field(default_factory=dict)  # cap flag -> a number too large to keep, as written


def _quote(doc, hit: SentenceHit, clause_of: list[int] | None = None) -> str:
    """The sentence, verbatim, when it fits in MAX_QUOTE characters; otherwise the clause with the
    match and as much of the text before it as fits (a window around the match for a long clause)."""
    sent = doc[hit.sent_start:hit.sent_end]
    text = sent.text
    if len(text) <= MAX_QUOTE:
        return text
    base = sent.start_char
    m_start = doc[hit.match_start].idx - base
    m_end = doc[hit.match_end - 1].idx + len(doc[hit.match_end - 1].text) - base
    end = m_end
    if clause_of is not None:
        clause = clause_of[hit.match_start]
        last = max(i for i in range(hit.match_start, hit.sent_end) if clause_of[i] == clause)
        end = doc[last].idx + len(doc[last].text) - base
    if end - m_start > MAX_QUOTE:  # a long clause: centre on the match
        end = min(len(text), m_start + MAX_QUOTE - MAX_QUOTE // 3)
    if end < len(text):  # end on a word
        cut = text.rfind(" ", m_end, end + 1)
        end = cut if cut > 0 else end
    start = max(0, end - MAX_QUOTE)
    if start > 0:  # start on a word
        nxt = text.find(" ", start)
        start = nxt + 1 if 0 <= nxt < m_start else start
    return text[start:end].strip()


def _rule_hits(seg, ruleset) -> tuple[list[SentenceHit], list]:
    from openscope.license.rules import block_hits, lead_in_keys, match_text

    lead_in_blocks = {j for block in seg.blocks for j in block.lead_ins}
    matches = match_text(ruleset, seg.docs, lead_in_blocks, seg.index)
    hits = []
    for i, (block, bm) in enumerate(zip(seg.blocks, matches)):
        if not bm.positives and not any(key in ruleset.anchored for key, _, _ in bm.marks):
            continue  # no rule can fire here (block_hits has no candidates): the lead-in need not be read
        lead_keys: set[str] = set()
        for j in block.lead_ins:
            lead_keys |= lead_in_keys(matches[j])
        lead = matches[block.lead_ins[-1]].open_predicate() if block.lead_ins else None
        for h in block_hits(ruleset, i, bm, lead_keys, lead):
            hits.append(SentenceHit(h.flag, "rules", h.rule, i, h.sent_start, h.sent_end, h.match_start, h.match_end))
    return _figures_before(seg, ruleset, matches, hits), matches


def _figures_before(seg, ruleset, matches, hits: list[SentenceHit]) -> list[SentenceHit]:
    """Rules with `figure_before` fire on a consequence that points back ("above that number", "if that
    figure was greater than 350,000,000"): they stand only where the threshold can be read with what
    came before, and their own sentence states none. Looked back over FIGURE_LOOKBACK sentences (a
    table's rows, the paragraph before): the first that states the flag's threshold gives it; or the
    number is in the hit's own sentence and what it counts is named before ("that figure" = the monthly
    active users measured in 3.1)."""
    from openscope.license.segment import sentence_text
    from openscope.license.thresholds import counted_named, plain_figure, thresholds_for

    out = []
    for h in hits:
        rule = ruleset.flags[h.flag].rules.get(h.rule) if h.flag in ruleset.flags else None
        if rule is None or not rule.figure_before:
            out.append(h)
            continue
        block, bm = seg.blocks[h.block], matches[h.block]
        own = sentence_text(block, bm.doc, h.sent_start, h.sent_end)
        if thresholds_for(h.flag, own):
            continue  # the sentence states its own figure: the flag's other rules read it
        before = []
        i, k = h.block, bm.sentence_of(h.sent_start) - 1
        while len(before) < FIGURE_LOOKBACK and i >= 0:
            if k < 0:
                i -= 1
                k = len(matches[i].sentences) - 1 if i >= 0 else -1
                continue
            s, e = matches[i].sentences[k]
            before.append(sentence_text(seg.blocks[i], matches[i].doc, s, e))
            k -= 1
        # what is counted must be named here or before: "our budget is NZD 3.2 million. That figure is
        # mentioned because ..." sets no revenue cap
        named = counted_named(h.flag, own) or any(counted_named(h.flag, text) for text in before)
        figure = next((found for text in before if (found := thresholds_for(h.flag, text))), None) if named else None
        if figure is None and before and counted_named(h.flag, before[0]):
            # the number here, what it counts named just before: "If that figure was greater than
            # 350,000,000" is read as "If users was greater than 350,000,000"
            start = bm.doc[h.match_start].idx - bm.doc[h.sent_start].idx
            end = bm.doc[h.match_end - 1].idx + len(bm.doc[h.match_end - 1].text) - bm.doc[h.sent_start].idx
            figure = thresholds_for(h.flag, own[:start] + rule.figure_before + own[end:]) or None
        if figure is None and any(counted_named(h.flag, text) for text in before):
            # the count named in one sentence, its number in another: "look at the Monthly Active Users
            # ... We have set a figure of 250,000,000 for that count."
            figure = next((found for text in before if (found := plain_figure(h.flag, text))), None)
        if figure:
            out.append(SentenceHit(h.flag, h.source, h.rule, h.block, h.sent_start, h.sent_end, h.match_start,
                                   h.match_end, tuple(sorted(figure.items()))))
    return out


def _apply_text_conditions(hits: list[SentenceHit], ruleset, matches: list) -> list[SentenceHit]:
    """`unless_flags` / `if_flags` / `unless_signals`: conditions on what else the same text says.
    Signals themselves are facts for these conditions, never flags. `if_flags_or_cue`: the hit's own
    sentence may name what `if_flags` looks for elsewhere ("the use restrictions of Attachment A")."""
    from openscope.license.rules import SIGNAL

    signals = {h.rule for h in hits if h.flag == SIGNAL}
    hits = [h for h in hits if h.flag != SIGNAL]
    raised = {h.flag for h in hits}
    kept = []
    for h in hits:
        rule = ruleset.flags[h.flag].rules.get(h.rule) if h.source == "rules" else None
        if rule is not None:
            if set(rule.unless_flags) & (raised - {h.flag}):
                continue
            if rule.if_flags and not set(rule.if_flags) & (raised - {h.flag}) and not _names_it(rule, h, matches):
                continue
            if set(rule.unless_signals) & signals:
                continue
        kept.append(h)
    return kept


def _names_it(rule, hit: SentenceHit, matches: list) -> bool:
    if rule.if_flags_or_cue is None:
        return False
    bm = matches[hit.block]
    return f"cue|{rule.if_flags_or_cue}" in bm.keys_in(bm.sentence_of(hit.match_start), None)


def classifier_units(seg, block_sentences: list[list[tuple[int, int]]]) -> list[tuple[int, int, int, int, str]]:
    """What the classifier reads: every sentence of at least MIN_CLASSIFIED_WORDS words, after the
    lead-in of the list it belongs to: (block, sentence number, start, end, text). Training reads the
    same units (scripts/classifier_data.py)."""
    from openscope.license.rules import words_between
    from openscope.license.segment import sentence_text

    units = []
    for i, (block, doc) in enumerate(zip(seg.blocks, seg.docs)):
        if not len(doc):
            continue
        context = ""
        if block.lead_ins:
            j = block.lead_ins[-1]
            if len(seg.docs[j]) and block_sentences[j]:
                s, e = block_sentences[j][-1]
                context = sentence_text(seg.blocks[j], seg.docs[j], s, e) + " "
        for k, (s, e) in enumerate(block_sentences[i]):
            if words_between(doc, s, e) < MIN_CLASSIFIED_WORDS:  # headings are not clauses
                continue
            text = sentence_text(block, doc, s, e)
            if text.isupper() and not text.rstrip().endswith((".", ";")):  # nor is a long capitalised heading
                continue
            units.append((i, k, s, e, context + text))
    return units


def _classifier_pass(seg, matches, ruleset, hits: list[SentenceHit], model) -> list[SentenceHit]:
    """The classifier's two roles. As a verifier: a rule's hit on a sentence the classifier scores
    below the flag's `veto` is dropped (boilerplate that happens to hold a rule's words). As a
    backstop: for a flag no remaining rule raised, a sentence scoring at or above its `thresholds`
    raises it, where the flag's cues allow (rules.classifier_allowed)."""
    from openscope.license.rules import classifier_allowed, lead_in_keys

    units = classifier_units(seg, [bm.sentences for bm in matches])
    if not units:
        return hits
    scores = model.scores([u[4] for u in units])
    by_sentence = {(u[0], u[2]): n for n, u in enumerate(units)}
    kept = []
    for h in hits:
        n = by_sentence.get((h.block, h.sent_start))
        if h.flag not in scores:
            kept.append(h)  # a signal, or a flag the classifier does not score
            continue
        if h.source == "rules" and getattr(ruleset.flags[h.flag].rules.get(h.rule), "figure_before", False):
            n = None  # two sentences read together: the classifier scored each alone
        if h.flag in scores and n is not None and scores[h.flag][n] < (model.veto or {}).get(h.flag, 0.0):
            continue  # too short to score, or not scored: the rule stands
        kept.append(h)
    # the backstop looks at flags no rule raises once the text conditions are applied: a rule hit that
    # only stands if another flag is raised must not hide its own flag from the classifier
    raised = {h.flag for h in _apply_text_conditions(kept, ruleset, matches)}
    for flag in (f for f in model.flags if f not in raised):
        for (i, k, s, e, _), score in zip(units, scores[flag]):
            if score < model.thresholds[flag]:
                continue
            lead_keys: set[str] = set()
            for j in seg.blocks[i].lead_ins:
                lead_keys |= lead_in_keys(matches[j])
            if classifier_allowed(ruleset, flag, matches[i], k, lead_keys):
                kept.append(SentenceHit(flag, "classifier", f"classifier:{score:.3f}", i, s, e, s, e))
    return kept


@functools.lru_cache(maxsize=32)
def _analyse(text: str, use_classifier: bool, model=None) -> tuple[object, list[SentenceHit]]:
    """Segmentation and sentence hits of a text; cached because many models share a license text.
    `model`: a sentence model to use instead of the stored one (benches that hold licenses out)."""
    from openscope.license import classifier
    from openscope.license.rules import informative_blocks, load_rules
    from openscope.license.segment import segment

    seg = segment(text)
    ruleset = load_rules()
    hits, matches = _rule_hits(seg, ruleset)
    model = model or (classifier.load_model() if use_classifier else None)
    if use_classifier and model is not None:
        # the classifier first (its veto and backstop), the text conditions after: a rule hit kept only
        # where another flag is raised ("recipients take it subject to Attachment B" needs a restriction)
        # then sees flags the classifier raised too, and a vetoed hit no longer counts as raising one
        hits = _classifier_pass(seg, matches, ruleset, hits, model)
    hits = _apply_text_conditions(hits, ruleset, matches)
    informative = informative_blocks(ruleset, seg.blocks, matches)
    if informative:  # release notes, version history: what they tell states no term
        hits = [h for h in hits if h.block not in informative]
    return seg, hits


def extract(text: str, filename: str, *, use_classifier: bool = True, model=None) -> Extraction:
    from openscope.license.rules import clause_ids
    from openscope.license.segment import sentence_text
    from openscope.license.thresholds import thresholds_for, too_large_amount
    from openscope.vocabulary import flag_names

    seg, hits = _analyse(text, use_classifier, model)
    by_flag: dict[str, list[SentenceHit]] = {}
    for h in sorted(hits, key=lambda h: (h.block, h.sent_start, h.source != "rules")):
        by_flag.setdefault(h.flag, []).append(h)
    findings = []
    too_large_by_flag: dict[str, str] = {}
    for flag in flag_names():
        flag_hits = by_flag.get(flag)
        if not flag_hits:
            continue
        source = "rules" if any(h.source == "rules" for h in flag_hits) else "classifier"
        flag_hits = [h for h in flag_hits if h.source == source]
        thresholds: dict[str, int] = {}
        too_large: str | None = None
        evidence: list[Evidence] = []
        seen: set[tuple[int, int]] = set()
        for h in flag_hits:
            doc = seg.docs[h.block]
            if not thresholds:
                sentence = sentence_text(seg.blocks[h.block], doc, h.sent_start, h.sent_end)
                thresholds = dict(h.figure) or thresholds_for(flag, sentence)
                too_large = too_large or (None if thresholds else too_large_amount(flag, sentence))
            if (h.block, h.sent_start) in seen or len(evidence) >= MAX_EVIDENCE:
                continue
            seen.add((h.block, h.sent_start))
            evidence.append(Evidence(file=filename, section=seg.blocks[h.block].section,
                                     quote=_quote(doc, h, clause_ids(doc))))
        findings.append(FlagFinding(flag=flag, thresholds=thresholds, source=source, evidence=evidence))
        if too_large and not thresholds:
            too_large_by_flag[flag] = too_large
    return Extraction(seg, list(hits), findings, too_large_by_flag)


def extract_flags(text: str, filename: str) -> list[FlagFinding]:
    """The restriction flags `text` states, each with thresholds, source and evidence quotes."""
    return extract(text, filename).findings
