"""The rule files: every worked example in licenses/rules/<flag>.yaml behaves as it says, and a
malformed rules file is a clear error naming the file and the rule."""

from __future__ import annotations

import shutil

import pytest

from openscope.license.restrictions import extract
from openscope.license.rules import RULES_DIR, SIGNAL, RuleError, load_rules
from openscope.vocabulary import flag_names


def _examples(kind: str):
    rules = load_rules()
    for flag, fr in sorted(rules.flags.items()):
        if flag == SIGNAL:
            continue
        for sentence in getattr(fr, f"examples_{kind}"):
            yield pytest.param(flag, sentence, id=f"{flag}:{sentence[:40]}")


def test_every_flag_has_a_rules_file_with_examples():
    rules = load_rules()
    assert set(rules.flags) - {SIGNAL} == set(flag_names())
    for flag, fr in rules.flags.items():
        assert len(fr.examples_positive) >= 3, flag
        assert len(fr.examples_negative) >= 3, flag


@pytest.mark.parametrize(("flag", "sentence"), list(_examples("positive")))
def test_positive_example_raises_its_flag_by_rules_alone(flag, sentence):
    flags = {f.flag for f in extract(sentence, "x", use_classifier=False).findings}
    assert flag in flags


@pytest.mark.parametrize(("flag", "sentence"), list(_examples("negative")))
def test_negative_example_does_not_raise_its_flag(flag, sentence):
    flags = {f.flag for f in extract(sentence, "x").findings}
    assert flag not in flags


def test_signal_examples_raise_their_signal_and_never_a_flag():
    from openscope.license.restrictions import _analyse

    signals = load_rules().flags[SIGNAL]
    for kind, want in (("positive", True), ("negative", False)):
        for sentence in getattr(signals, f"examples_{kind}"):
            _analyse.cache_clear()
            from openscope.license.restrictions import _rule_hits
            from openscope.license.segment import segment

            hits, _ = _rule_hits(segment(sentence), load_rules())
            assert any(h.flag == SIGNAL for h in hits) is want, sentence
            assert SIGNAL not in {f.flag for f in extract(sentence, "x").findings}


def test_a_signal_cancels_the_rule_that_depends_on_it():
    steward = "The Foundation may revise this license from time to time."
    kept = steward + " You may use the software under this version or any later version of the license."
    assert "licensor-control" in {f.flag for f in extract(steward, "x", use_classifier=False).findings}
    assert "licensor-control" not in {f.flag for f in extract(kept, "x", use_classifier=False).findings}


def test_negative_in_another_clause_does_not_veto():
    # The notice-file duty (ii) must not cancel the "Powered by" duty (iii) in the same sentence.
    text = ('When you ship the model you shall (i) include this license, (ii) keep the Notice file, '
            'and (iii) prominently display "Powered by Nimbus" in your app.')
    assert "attribution" in {f.flag for f in extract(text, "x", use_classifier=False).findings}
    only_notice = "When you ship the model you shall (i) include this license and (ii) keep the Notice file."
    assert "attribution" not in {f.flag for f in extract(only_notice, "x").findings}


def test_text_level_conditions():
    # A revenue threshold means commercial use below it is allowed: no non-commercial flag.
    capped = ("Commercial use of the model requires a separate license. "
              "This applies to organisations with annual revenue above USD 1 million.")
    flags = {f.flag for f in extract(capped, "x").findings}
    assert "revenue-cap" in flags and "non-commercial" not in flags
    assert "non-commercial" in {f.flag for f in extract("Commercial use of the model requires a separate license.",
                                                         "x").findings}
    # Share-alike carries restrictions down only when there are restrictions to carry.
    copyleft = "If you adapt the material, you must share it under the same license."
    assert "flow-down" not in {f.flag for f in extract(copyleft, "x").findings}
    assert "flow-down" in {f.flag for f in extract(
        "You may use the material for non-commercial purposes only. " + copyleft, "x").findings}


def _copy_rules(tmp_path):
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target)
    return target


def test_unknown_cue_is_an_error_naming_file_and_rule(tmp_path):
    rules = _copy_rules(tmp_path)
    path = rules / "naming.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("requires: [obligation, model_words]",
                                                             "requires: [obligation, no_such_cue]"), encoding="utf-8")
    with pytest.raises(RuleError, match=r"naming\.yaml: rule 'name-prefix': unknown cue 'no_such_cue'"):
        load_rules(rules)


@pytest.mark.parametrize("key", ["veto_every_flag", "veto_items_under"])
def test_unknown_cue_in_a_whole_text_veto_is_an_error_naming_the_key(tmp_path, key):
    rules = _copy_rules(tmp_path)
    path = rules / "_cues.yaml"
    text = path.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith(f"{key}: ["))
    path.write_text(text.replace(line, f"{key}: [no_such_cue]"), encoding="utf-8")
    with pytest.raises(RuleError, match=rf"_cues\.yaml: {key}: unknown cue 'no_such_cue'"):
        load_rules(rules)


def test_bad_token_pattern_is_an_error(tmp_path):
    rules = _copy_rules(tmp_path)
    (rules / "naming.yaml").write_text(
        "flag: naming\nrules:\n  - id: broken\n    patterns:\n      - [{LOWERCASE: name}]\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"naming\.yaml: rule 'broken': invalid token pattern"):
        load_rules(rules)


def test_file_must_be_named_after_its_flag(tmp_path):
    rules = _copy_rules(tmp_path)
    (rules / "naming.yaml").rename(rules / "names.yaml")
    with pytest.raises(RuleError, match="file name must be the flag name"):
        load_rules(rules)


def test_hyphenated_words_in_token_patterns_match_as_people_write_them():
    # spaCy splits "fine-tuned" into three tokens; a pattern written with the word must still match it
    from openscope.license.rules import split_compounds
    from openscope.text.sentences import nlp

    pattern = [{"LOWER": {"IN": ["derived", "fine-tuned"]}}, {"LOWER": "models"}]
    variants = split_compounds(pattern, nlp().tokenizer, "here")
    assert [{"LOWER": {"IN": ["derived"]}}, {"LOWER": "models"}] in variants
    assert [{"LOWER": "fine"}, {"ORTH": "-"}, {"LOWER": "tuned"}, {"LOWER": "models"}] in variants
    optional = split_compounds([{"LOWER": "non-profit", "OP": "?"}, {"LOWER": "use"}], nlp().tokenizer, "here")
    assert [{"LOWER": "use"}] in optional and len(optional) == 2
    with pytest.raises(RuleError, match="'non-profit' is several tokens"):
        split_compounds([{"LOWER": "non-profit", "OP": "+"}], nlp().tokenizer, "here")


def test_a_clause_that_names_the_use_restrictions_it_passes_on_needs_no_other_restriction():
    # flow-down alone: "the use restrictions" named in the clause show there are some to pass on,
    # while "the conditions of this license" could be a permissive license's notice duty
    named = "Any fine-tuned model must be released under terms that carry the use restrictions of this license."
    assert "flow-down" in {f.flag for f in extract(named, "x").findings}
    generic = "Any fine-tuned model must be released under terms that carry the conditions of this license."
    assert "flow-down" not in {f.flag for f in extract(generic, "x").findings}


def test_if_flags_or_cue_needs_if_flags(tmp_path):
    rules = _copy_rules(tmp_path)
    path = rules / "flow-down.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    if_flags: [use-restrictions, non-commercial]\n", "", 1), encoding="utf-8")
    with pytest.raises(RuleError, match="if_flags_or_cue needs if_flags"):
        load_rules(rules)


def test_a_grant_without_a_separate_agreement_requires_no_further_license():
    # "covers ... without a separate agreement" says no license is needed, so its items state no term;
    # "may not ... without a separate agreement" still requires one
    grant = ("The grant covers each of the following, without a separate agreement:\n\n"
             "(a) Hosted services. Running the model as a managed inference service for your customers.\n")
    assert "hosting-restriction" not in {f.flag for f in extract(grant, "x").findings}
    ban = "You may not offer the model as a managed inference service without a separate agreement."
    assert "hosting-restriction" in {f.flag for f in extract(ban, "x").findings}


def test_unknown_cue_in_cancels_is_an_error(tmp_path):
    rules = _copy_rules(tmp_path)
    path = rules / "_cues.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  grant_needs_nothing: [license_required, licensed_exception]",
                                 "  grant_needs_nothing: [no_such_cue]"), encoding="utf-8")
    with pytest.raises(RuleError, match=r"_cues\.yaml: cancels: unknown cue 'no_such_cue'"):
        load_rules(rules)
