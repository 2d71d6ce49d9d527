"""Lineage: inheritance of a base's terms, license conflicts, cycles, depth, unfetchable bases, bad cards."""

from __future__ import annotations

import pytest
from spectrum_helpers import (
    DictResolver,
    assess,
    card_facts,
    hub_facts,
    small_catalog,
    warning_codes,
)

from openscope.assess.lineage import MAX_DEPTH
from openscope.card.links import body_base_links, governing_links
from openscope.card.rules import lineage_rules
from openscope.types import Document, Identification, TextAnalysis


@pytest.fixture()
def catalog():
    return small_catalog()


def _flags(report) -> dict:
    return {f.flag: f for f in report.flags}


def test_permissive_declaration_over_llama_weights_inherits_and_conflicts(catalog):
    base = hub_facts("meta/llama-base", "llama2")
    tune = card_facts("---\nlicense: apache-2.0\nbase_model: meta/llama-base\n---\nA tune.\n")
    report = assess(tune, catalog, DictResolver(base))
    flags = _flags(report)
    assert set(flags) == {"user-cap", "use-restrictions", "competitor-ban"}
    assert flags["user-cap"].inherited_from == "meta/llama-base"
    assert flags["user-cap"].thresholds == {"users": 700000000}
    assert any("llama2" in ev.file for ev in flags["user-cap"].evidence)
    assert "license-conflict" in warning_codes(report)
    assert report.osi_open is False
    assert report.license.id == "apache-2.0"  # what the card declares is still shown


def test_no_false_conflict_over_a_permissive_base(catalog):
    base = hub_facts("lab/apache-base", "apache-2.0")
    tune = card_facts("---\nlicense: mit\nbase_model: lab/apache-base\n---\nA tune.\n")
    report = assess(tune, catalog, DictResolver(base))
    assert "license-conflict" not in warning_codes(report)
    assert report.flags == []
    assert report.osi_open is True


def test_stricter_declaration_over_a_permissive_base_is_not_a_conflict(catalog):
    base = hub_facts("lab/apache-base", "apache-2.0")
    tune = card_facts("---\nlicense: cc-by-nc-4.0\nbase_model: lab/apache-base\n---\nA tune.\n")
    report = assess(tune, catalog, DictResolver(base))
    assert "license-conflict" not in warning_codes(report)
    assert {f.flag for f in report.flags} == {"non-commercial", "attribution"}
    assert all(f.inherited_from is None for f in report.flags)


def test_matching_declaration_keeps_own_flags_without_duplicates(catalog):
    base = hub_facts("meta/llama-base", "llama2")
    tune = card_facts("---\nlicense: llama2\nbase_model: meta/llama-base\n---\nA tune.\n")
    report = assess(tune, catalog, DictResolver(base))
    assert "license-conflict" not in warning_codes(report)
    assert sorted(f.flag for f in report.flags) == ["competitor-ban", "use-restrictions", "user-cap"]
    assert all(f.inherited_from is None for f in report.flags)


def test_other_version_of_the_same_family_is_a_conflict(catalog):
    # Llama 2 terms declared over Llama 3 weights misstate what governs them, though both are Meta's.
    base = hub_facts("meta/llama3-base", "llama3")
    tune = card_facts("---\nlicense: llama2\nbase_model: meta/llama3-base\n---\nA tune.\n")
    report = assess(tune, catalog, DictResolver(base))
    assert "license-conflict" in warning_codes(report)
    assert "naming" in {f.flag for f in report.flags}  # the base's extra term still passes down


def test_nothing_declared_follows_a_permissive_base(catalog):
    base = hub_facts("lab/apache-base", "apache-2.0")
    tune = card_facts("---\nbase_model: lab/apache-base\nlibrary_name: peft\n---\nAn adapter.\n")
    report = assess(tune, catalog, DictResolver(base))
    assert report.osi_open is True
    assert report.spectrum == "open-weights"
    assert "license-conflict" not in warning_codes(report)


def test_terms_pass_through_a_chain(catalog):
    root = hub_facts("meta/llama-base", "llama2")
    middle = hub_facts("someone/mid-tune", "mit", base_model="meta/llama-base")
    quant = card_facts("---\nlicense: llama2\nbase_model: someone/mid-tune\n---\nGGUF files.\n", "q/mid-tune-GGUF")
    report = assess(quant, catalog, DictResolver(root, middle))
    assert "license-conflict" not in warning_codes(report)  # it declares the terms that really govern
    assert report.base_models == ["someone/mid-tune"]
    mislabelled = card_facts("---\nlicense: apache-2.0\nbase_model: someone/mid-tune\n---\nGGUF.\n", "q/x-GGUF")
    report = assess(mislabelled, catalog, DictResolver(root, middle))
    assert "license-conflict" in warning_codes(report)
    assert _flags(report)["competitor-ban"].inherited_from == "meta/llama-base"


def test_cycle_is_detected_and_reported(catalog):
    a = hub_facts("loop/a", "apache-2.0", base_model="loop/b")
    b = hub_facts("loop/b", "apache-2.0", base_model="loop/a")
    report = assess(a, catalog, DictResolver(a, b))
    assert "lineage-cycle" in warning_codes(report)
    assert report.spectrum == "open-weights"


def test_depth_limit_stops_long_chains(catalog):
    chain = [hub_facts(f"deep/m{i}", "apache-2.0", base_model=f"deep/m{i + 1}") for i in range(MAX_DEPTH + 3)]
    resolver = DictResolver(*chain)
    report = assess(chain[0], catalog, resolver)
    assert "lineage-depth" in warning_codes(report)
    assert len(resolver.fetched) <= MAX_DEPTH + 1


def test_unfetchable_base_warns_and_never_crashes(catalog):
    tune = card_facts("---\nlicense: apache-2.0\nbase_model: nobody/missing-model\n---\nA tune.\n")
    report = assess(tune, catalog, DictResolver())
    assert report.error is None
    assert "base-unavailable" in warning_codes(report)
    assert report.spectrum == "open-weights"
    assert report.components["training_data"] == "unknown"  # the base could not be checked


def test_base_model_list_and_local_path(catalog):
    base = hub_facts("lab/apache-base", "apache-2.0")
    text = "---\nbase_model:\n- /home/me/checkpoints/llama2-7b\n- lab/apache-base\n---\nA merge.\n"
    report = assess(card_facts(text), catalog, DictResolver(base))
    assert "base-model-ignored" in warning_codes(report)
    assert report.base_models == ["lab/apache-base"]


def test_local_path_alone_is_ignored_but_its_family_name_is_used(catalog):
    text = "---\nlicense: other\nlibrary_name: peft\nbase_model: /data/models/llama2-7b\n---\nA tune.\n"
    report = assess(card_facts(text), catalog, DictResolver())
    codes = warning_codes(report)
    assert "base-model-ignored" in codes and "base-model-guessed" in codes
    assert "user-cap" in {f.flag for f in report.flags}
    assert "license-conflict" not in codes  # "other" names no license to contradict


def test_garbage_base_model_is_ignored(catalog):
    report = assess(card_facts("---\nlicense: mit\nbase_model: '???'\n---\nx\n"), catalog, DictResolver())
    assert "base-model-ignored" in warning_codes(report)
    assert report.spectrum == "open-weights"


@pytest.mark.parametrize("sentence,expected", [pytest.param(s, e, id=s[:40])
                                               for s, e in lineage_rules()["examples"]["positive"]])
def test_body_statements_name_the_base(sentence, expected):
    links = body_base_links(f"# Card\n\n{sentence}\n")
    assert links, sentence
    assert links[0].ref == expected or links[0].license_key == expected


@pytest.mark.parametrize("sentence", lineage_rules()["examples"]["negative"])
def test_body_statements_that_name_no_base(sentence):
    assert body_base_links(f"# Card\n\n{sentence}\n") == []


@pytest.mark.parametrize("sentence,group", [pytest.param(s, g, id=s[:40])
                                            for s, g in lineage_rules()["governing_examples"]["positive"]])
def test_governing_statements(sentence, group):
    links = governing_links(f"# Card\n\nThis is about Llama 2.\n\n{sentence}\n")
    assert links and links[0].license_key.startswith(group)


@pytest.mark.parametrize("sentence", lineage_rules()["governing_examples"]["negative"])
def test_not_governing_statements(sentence):
    assert governing_links(f"# Card\n\n{sentence}\n") == []


def test_body_lineage_without_base_model_key(catalog):
    base = hub_facts("meta-llama/Llama-2-7b-hf", "llama2")
    text = "---\nlicense: apache-2.0\n---\n# My model\n\nThis chat model is based on Meta's Llama-2, extended.\n"
    report = assess(card_facts(text), catalog, DictResolver(base))
    assert report.base_models == ["meta-llama/Llama-2-7b-hf"]
    assert "license-conflict" in warning_codes(report)


def test_family_terms_apply_when_the_named_base_is_not_in_the_registry(catalog):
    text = "---\nlicense: mit\n---\nThis adapter was finetuned from Llama 2 on support tickets.\n"
    report = assess(card_facts(text), catalog, DictResolver())
    assert "license-conflict" in warning_codes(report)
    assert "competitor-ban" in {f.flag for f in report.flags}


def test_gemma_terms_stated_in_the_body_govern_too(catalog):
    base = hub_facts("lab/apache-base", "apache-2.0")
    text = ("---\nlicense: apache-2.0\nbase_model: lab/apache-base\n---\n## License\n\n"
            "The student learned from Gemma outputs, so you must comply with the Gemma Terms as well.\n")
    report = assess(card_facts(text), catalog, DictResolver(base))
    assert "license-conflict" in warning_codes(report)
    assert _flags(report)["licensor-control"].inherited_from == "Gemma"
    assert report.base_models == ["lab/apache-base"]


def test_body_license_line_counts_when_front_matter_has_none(catalog):
    base = hub_facts("meta/llama-base", "llama2")
    text = "---\nlibrary_name: peft\nbase_model: meta/llama-base\n---\n- **License:** MIT\n"
    report = assess(card_facts(text), catalog, DictResolver(base))
    assert report.license.id == "mit"
    assert "license-conflict" in warning_codes(report)


def test_placeholder_body_license_is_ignored(catalog):
    text = "---\nlibrary_name: peft\n---\n- **License:** [More Information Needed]\n"
    report = assess(card_facts(text), catalog, DictResolver())
    assert report.license is None


@pytest.mark.parametrize("header,expected", [
    ("licence: license", None),  # TRL's placeholder means nothing declared
    ("licence: mit", "mit"),  # misspelt key, real value
    ("license: [mit]", "mit"),  # a list
    ("license:\n- apache-2.0\n- mit", "apache-2.0"),
])
def test_declared_license_variants(catalog, header, expected):
    report = assess(card_facts(f"---\n{header}\nlibrary_name: transformers\n---\nx\n"), catalog, DictResolver())
    assert (report.license.id if report.license else None) == expected
    unknown = [w.message for w in report.warnings if w.code == "license-unknown"]
    if expected is None:  # a placeholder declares nothing: the terms are unknown, never a license named 'license'
        assert len(unknown) == 1 and "declares no license" in unknown[0], unknown
    else:
        assert unknown == []


def test_card_without_front_matter(catalog):
    text = "# Tiny model\n\n- License: Llama2\n- Finetuned from model: meta/llama-base\n"
    base = hub_facts("meta/llama-base", "llama2")
    report = assess(card_facts(text), catalog, DictResolver(base))
    assert report.license.id == "llama2"
    assert report.spectrum == "open-weights"
    assert "license-conflict" not in warning_codes(report)


def test_broken_card_file_on_disk_is_best_effort(tmp_path, catalog):
    from openscope.api import assess_facts
    from openscope.refs import parse_ref
    from openscope.sources.local import LocalSource

    path = tmp_path / "README.md"
    path.write_text("\n---\nlicense: [unclosed\n---\nThe model is based on Llama 2.\n", encoding="utf-8")
    facts = LocalSource().fetch(parse_ref(str(path)))
    report = assess_facts(facts, catalog, DictResolver())
    assert "card-invalid" in warning_codes(report)
    assert report.spectrum != "fully-open"
    assert "user-cap" in {f.flag for f in report.flags}


def test_declared_license_contradicting_its_own_license_file(monkeypatch, catalog):
    import openscope.license as analysis

    def fake_analyze(text, filename):
        return TextAnalysis(Identification("llama2", 0.99, "exact"))

    monkeypatch.setattr(analysis, "analyze_text", fake_analyze)
    facts = hub_facts("lab/mixed", "apache-2.0", documents=[Document("LICENSE", "our own words here")])
    report = assess(facts, catalog, DictResolver())
    assert "license-conflict" in warning_codes(report)


@pytest.mark.corpus
def test_a_modified_license_file_is_reported_once(corpus, tmp_path, catalog):
    """One LICENSE that differs from Apache-2.0 by one added sentence: one license-modified warning."""
    from openscope.api import assess_facts
    from openscope.refs import parse_ref
    from openscope.sources.local import LocalSource

    text = (corpus / "licenses" / "texts" / "apache-2.0.txt").read_text(encoding="utf-8")
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "LICENSE").write_text(text + "\nYou may not use the Work for any military purpose.\n", encoding="utf-8")
    (folder / "README.md").write_text("---\nlicense: apache-2.0\n---\n# A model\n", encoding="utf-8")
    report = assess_facts(LocalSource().fetch(parse_ref(str(folder))), catalog, DictResolver())
    modified = [w for w in report.warnings if w.code == "license-modified"]
    assert len(modified) == 1 and "apache-2.0" in modified[0].message, report.warnings
    assert "use-restrictions" in {f.flag for f in report.flags}


@pytest.mark.parametrize("recipe,expected", [pytest.param(r, e, id=e[0]) for r, e in lineage_rules()["mergekit_examples"]])
def test_a_merge_recipe_in_the_body_names_the_bases(recipe, expected):
    from openscope.card.links import mergekit_links

    links = mergekit_links("Made with mergekit:\n\n" + recipe + "\n")
    assert [link.ref for link in links] == expected
    assert {link.relation for link in links} == {"merge"}


@pytest.mark.parametrize("block", lineage_rules()["mergekit_negative"])
def test_code_blocks_that_are_no_merge_recipe_name_no_base(block):
    from openscope.card.links import mergekit_links

    assert mergekit_links(block) == []


def test_a_permissive_merge_over_llama_named_only_in_its_recipe_conflicts(catalog):
    base = hub_facts("meta/llama-base", "llama2")
    text = ("---\nlicense: mit\ntags: [merge]\n---\n# A merge\n\n```yaml\nmerge_method: dare_ties\n"
            "base_model: meta/llama-base\nmodels:\n  - model: lab/tune-a\n  - model: lab/tune-b\n"
            "dtype: bfloat16\n```\n")
    report = assess(card_facts(text), catalog, DictResolver(base))
    assert {"user-cap", "competitor-ban"} <= set(_flags(report))
    assert "license-conflict" in warning_codes(report)


def test_the_starting_point_named_in_the_body_is_the_base(catalog):
    base = hub_facts("meta/llama-base", "llama2")
    text = "---\nlicense: apache-2.0\n---\n## Training\n\nThe starting point is meta/llama-base, tuned for 3 epochs.\n"
    report = assess(card_facts(text), catalog, DictResolver(base))
    assert "license-conflict" in warning_codes(report)


def test_unfetchable_base_falls_back_to_the_base_the_body_names_for_it(catalog):
    # The metadata names an intermediate model the resolver cannot fetch; the body says what that model
    # was itself made from: its terms still reach this quantisation.
    base = hub_facts("meta/llama-base", "llama2")
    text = ("---\nlicense: apache-2.0\nbase_model: someone/Merge-13B\n---\n"
            "GGUF quants of someone/Merge-13B (itself a merge on meta/llama-base).\n")
    report = assess(card_facts(text), catalog, DictResolver(base))
    assert "base-unavailable" in warning_codes(report)
    assert "license-conflict" in warning_codes(report)
    assert {f.flag for f in report.flags} >= {"user-cap", "competitor-ban"}
    # with no such statement, the unfetchable base stays unknown and nothing is inherited
    plain = "---\nlicense: apache-2.0\nbase_model: someone/Merge-13B\n---\nGGUF quants of someone/Merge-13B.\n"
    report = assess(card_facts(plain), catalog, DictResolver(base))
    assert "license-conflict" not in warning_codes(report)
    assert report.flags == []


def test_a_body_sentence_can_name_the_base_of_a_skipped_model():
    text = "GGUF quants of someone/Merge-13B (itself a merge on other-org/Base-13B)."
    assert [b.ref for b in body_base_links(text)] == ["someone/Merge-13B"]
    assert [b.ref for b in body_base_links(text, frozenset({"someone/merge-13b"}))] == ["other-org/Base-13B"]
