"""Pattern pre-filtering (license/matching.py): running each pattern only where its words occur
must find exactly what scanning every sentence with it finds."""

from __future__ import annotations

from openscope.license.matching import TextIndex, make_probe, run_probes
from openscope.license.rules import load_rules
from openscope.text.sentences import nlp


def _full_scan(probes, docs):
    """Every probe's matcher over each whole Doc, kept when inside one sentence."""
    out = {}
    for b, doc in enumerate(docs):
        sent_of = {t: k for k, sent in enumerate(doc.sents) for t in range(sent.start, sent.end)}
        for probe in probes:
            for _, s, e in probe.matcher(doc):
                if sent_of[s] == sent_of[e - 1]:
                    out.setdefault(b, set()).add((probe.key, s, e))
    return out


def _probed(probes, docs):
    found = run_probes(probes, TextIndex.build(docs))
    return {b: {m for m in matches if _same_sentence(docs[b], m)} for b, matches in found.items()}


def _same_sentence(doc, match):
    _, s, e = match
    return doc[s].sent.start == doc[e - 1].sent.start


def test_needs_start_and_longest_match_come_from_the_pattern():
    vocab = nlp().vocab
    probe = make_probe("k", [{"LOWER": {"IN": ["lend", "rent"]}}, {"OP": "{0,3}"}, {"ORTH": "Model"},
                             {"LOWER": "x", "OP": "?"}], vocab)
    assert [sorted(vocab.strings[w] for w in need.words) for need in probe.needs] == [["lend", "rent"], ["model"]]
    assert probe.start == probe.needs[0]
    assert probe.longest == 6
    unbounded = make_probe("k", [{"LOWER": "a", "OP": "?"}, {"LOWER": {"REGEX": "^b"}, "OP": "+"}], vocab)
    assert unbounded.start is None and unbounded.longest is None
    assert len(unbounded.needs) == 1 and unbounded.needs[0].regex.pattern == "^b"


def test_pattern_runs_only_in_sentences_with_all_its_words():
    vocab = nlp().vocab
    probe = make_probe("k", [{"LOWER": "lend"}, {"OP": "{0,4}"}, {"LOWER": "weights"}], vocab)
    docs = [nlp()("We lend books. You may not lend the trained weights to anyone. Weights are heavy.")]
    index = TextIndex.build(docs)
    assert index.candidates(probe) == {1}
    assert run_probes([probe], index) == {0: [("k", 7, 11)]}


def test_every_rule_pattern_finds_what_a_full_scan_finds():
    rules = load_rules()
    probes = rules.positives + rules.marks
    sentences = [s for fr in rules.flags.values() for s in fr.examples_positive + fr.examples_negative]
    sentences += [
        "You shall not (i) lend the weights, nor (ii) sell copies of the model; 3,000 users at most.",
        "Nothing here stops you from sharing 2.5M outputs, but usage above USD 10 million a year needs a licence.",
        "We may, at any time and for any reason, switch off your access to the hosted API.",
    ]
    docs = [nlp()(" ".join(sentences[i:i + 4])) for i in range(0, len(sentences), 4)]
    assert _probed(probes, docs) == _full_scan(probes, docs)


def _spacy_matches(probe, doc, start, end):
    return sorted({(start + s, start + e) for _, s, e in probe.matcher(doc[start:end])})


def test_compiled_patterns_find_what_spacy_finds():
    """Every rule and obligation pattern is compiled, and finds exactly what its spaCy Matcher finds in
    every sentence and every window of the rules' own worked examples."""
    from openscope.license.obligations import load_obligation_rules

    rules, obligations = load_rules(), load_obligation_rules()
    probes = rules.positives + rules.marks + obligations.probes
    assert all(p.compiled is not None for p in probes), [p.key for p in probes if p.compiled is None]
    sentences = [s for fr in rules.flags.values() for s in fr.examples_positive + fr.examples_negative]
    sentences += [s["text"] if isinstance(s, dict) else s
                  for ex in obligations.examples.values() for s in ex["positive"] + ex["negative"]]
    docs = [nlp()(" ".join(sentences[i:i + 4])) for i in range(0, len(sentences), 4)]
    index = TextIndex.build(docs)
    compared = found = 0
    for probe in probes:
        # every sentence whole, and the windows run_probes gives the pattern (from its start words only)
        ranges = [(*sentence, None) for sentence in index.sentences]
        ranges += index.windows_and_starts(probe, index.candidate_bits(probe))
        for block, s, e, firsts in ranges:
            mine = sorted(set(probe.find(index, block, s, e, firsts)))
            assert mine == _spacy_matches(probe, docs[block], s, e), (probe.key, docs[block][s:e].text)
            compared += 1
            found += bool(mine)
    assert compared > 10_000 and found > 500  # the comparison saw real matches, not only empty ranges


def test_compiled_operators_and_predicates_agree_with_spacy():
    vocab = nlp().vocab
    patterns = [
        [{"LOWER": "a"}, {"OP": "{0,2}"}, {"LOWER": "b", "OP": "?"}, {"LOWER": {"IN": ["b", "c"]}}],
        [{"ORTH": "("}, {"IS_TITLE": True, "OP": "{1,3}"}, {"TEXT": {"NOT_IN": [")"]}, "OP": "?"}],
        [{"LIKE_NUM": True}, {"LOWER": {"REGEX": "^(users?|b)$"}}],
        [{"IS_SENT_START": True}, {"SHAPE": {"IN": ["Xxxxx", "xxxx"]}}],
        [{"LOWER": "c", "OP": "{2}"}, {"LIKE_URL": True, "OP": "?"}],
    ]
    doc = nlp()("A b c b B. A x y b c c https://x.org (The Big Deal) 3 users, a b. C c b c.")
    columns = TextIndex.build([doc]).columns[0]
    found = 0
    for pattern in patterns:
        probe = make_probe("k", pattern, vocab)
        assert probe.compiled is not None
        for s in range(len(doc)):
            for e in range(s + 1, len(doc) + 1):
                mine = sorted(set(probe.compiled.find(columns, s, e)))
                assert mine == _spacy_matches(probe, doc, s, e), (pattern, doc[s:e].text)
                found += bool(mine)
    assert found > 100


def test_a_pattern_the_compiler_does_not_support_is_matched_by_spacy():
    vocab = nlp().vocab
    unbounded = make_probe("k", [{"LOWER": "lend"}, {"OP": "*"}, {"LOWER": "weights"}], vocab)
    assert unbounded.compiled is None
    docs = [nlp()("You may not lend the trained weights. Weights are heavy.")]
    assert run_probes([unbounded], TextIndex.build(docs)) == {0: [("k", 3, 7)]}
