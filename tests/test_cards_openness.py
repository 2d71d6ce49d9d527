"""Cards that show openness and lineage: release statements, component links, bases named in the body,
the model's name or a mirror id, terms stated in the card, and conflicts between restrictive licenses."""

from __future__ import annotations

import pytest
from spectrum_helpers import DictResolver, _lic, assess, card_facts, hub_facts, small_catalog, warning_codes

from openscope.card.links import publisher_ids
from openscope.card.parse import parse_card
from openscope.card.release import link_findings, release_findings, table_findings
from openscope.card.rules import component_rules, lineage_rules
from openscope.card.sentences import normalize
from openscope.card.terms import is_terms_heading, is_terms_lead_in, stated_license, term_rules_raw, terms_sections
from openscope.catalog import Catalog, load_catalog

RELEASE = component_rules()["release"]["examples"]


@pytest.fixture()
def catalog():
    return small_catalog()


def _read(sentence: str) -> dict[str, str]:
    text = normalize(sentence)
    found: dict[str, str] = {}
    for component, status, _ in (release_findings(text, "example-lab/model") + link_findings(text, "example-lab/model")
                                 + table_findings(text, "example-lab/model")):
        found.setdefault(component, status)
    return found


@pytest.mark.parametrize("sentence,expected", [pytest.param(s, e, id=s[:50]) for s, e in RELEASE["positive"]])
def test_release_statements_and_links(sentence, expected):
    got = _read(sentence)
    assert {c: got.get(c) for c in expected} == expected, got


@pytest.mark.parametrize("sentence", [pytest.param(s, id=s[:50]) for s in RELEASE["negative"]])
def test_statements_that_release_no_training_component(sentence):
    assert "open" not in _read(sentence).values()


@pytest.mark.parametrize("sentence,expected", [pytest.param(s, e, id=s[:50])
                                               for s, e in term_rules_raw()["examples"]["positive"]])
def test_terms_stated_in_the_card(sentence, expected):
    entry, where = stated_license(sentence + "\n", {}, load_catalog())
    assert entry is not None and entry.key == expected, where


@pytest.mark.parametrize("sentence", term_rules_raw()["examples"]["negative"])
def test_sentences_that_state_no_terms_for_the_weights(sentence):
    assert stated_license(sentence + "\n", {}, load_catalog())[0] is None


@pytest.mark.parametrize("mirror,publisher", lineage_rules()["mirror_examples"])
def test_mirror_ids_lead_to_their_publisher(mirror, publisher):
    assert publisher_ids(mirror) == [publisher]


@pytest.mark.parametrize("hub_id", lineage_rules()["mirror_negative"])
def test_ids_that_are_no_mirror(hub_id):
    assert publisher_ids(hub_id) == []


def test_blanket_release_with_listed_data_is_fully_open(catalog):
    text = ("---\nlicense: apache-2.0\ndatasets: [lab/corpus]\nlibrary_name: transformers\n---\n"
            "We release all code, data and checkpoints used to train the model.\n")
    report = assess(card_facts(text, "lab/open-7b"), catalog, DictResolver())
    assert report.spectrum == "fully-open"
    assert any("release-statement" in r for r in report.component_evidence["training_code"])


def test_a_promised_release_is_no_release(catalog):
    text = ("---\nlicense: apache-2.0\ndatasets: [lab/corpus]\nlibrary_name: transformers\n---\n"
            "We will release the training code and the data mixture soon.\n")
    report = assess(card_facts(text, "lab/open-7b"), catalog, DictResolver())
    assert report.spectrum == "open-weights"
    assert report.components["training_code"] == "unknown"


def test_training_code_link_counts_for_code(catalog):
    text = ("---\nlicense: apache-2.0\ndatasets: [lab/corpus]\n---\n## Resources\n\n"
            "- [Training code](https://github.com/lab/trainer)\n"
            "- [Pretraining data](https://huggingface.co/datasets/lab/corpus)\n")
    report = assess(card_facts(text, "lab/open-7b"), catalog, DictResolver())
    assert report.components["training_code"] == "open"
    assert report.spectrum == "fully-open"


@pytest.mark.parametrize("badges", [
    '<a href="https://github.com/lab/trainer"><img alt="training code" src="https://img.shields.io/badge/x"></a>\n'
    '<a href="https://huggingface.co/datasets/lab/corpus"><img alt="pretraining data" src="https://img.shields.io/badge/y"></a>\n',
    "[![training code](https://img.shields.io/badge/x)](https://github.com/lab/trainer) "
    "[![pretraining data](https://img.shields.io/badge/y)](https://huggingface.co/datasets/lab/corpus)\n",
])
def test_a_badge_names_what_its_link_is(catalog, badges):
    # the badge's alternative text is the link's text: "training code (https://github.com/lab/trainer)"
    text = "---\nlicense: apache-2.0\n---\n" + badges + "\n# Open-7B\n\nA small model.\n"
    report = assess(card_facts(text, "lab/open-7b"), catalog, DictResolver())
    assert report.components["training_code"] == "open"
    assert report.spectrum == "fully-open"


def test_a_badge_without_words_opens_nothing(catalog):
    text = ('---\nlicense: apache-2.0\n---\n<a href="https://github.com/lab/trainer"><img src="https://img.shields.io/badge/x"></a>\n'
            "\n# Open-7B\n\nA small model.\n")
    report = assess(card_facts(text, "lab/open-7b"), catalog, DictResolver())
    assert report.components["training_code"] != "open"


def test_open_code_and_data_of_a_finetune_do_not_open_its_base(catalog):
    base = hub_facts("meta-llama/Llama-2-7b-hf", "llama2")
    text = ("---\nlicense: llama2\nbase_model: meta-llama/Llama-2-7b-hf\n---\n"
            "We release all code and data used to fine-tune this model.\n")
    report = assess(card_facts(text), catalog, DictResolver(base))
    assert report.spectrum == "open-weights"


def test_body_base_without_metadata_is_followed_and_conflicts(catalog):
    text = "---\nlicense: mit\n---\nWe fine-tune LLaMA-2-13B on monolingual text, then on parallel data.\n"
    report = assess(card_facts(text), catalog, DictResolver())
    assert {"user-cap", "competitor-ban"} <= {f.flag for f in report.flags}
    assert "license-conflict" in warning_codes(report)


def test_architecture_named_in_the_body_is_no_base(catalog):
    text = "---\nlicense: apache-2.0\n---\nWe adopted exactly the same architecture and tokenizer as Llama 2.\n"
    report = assess(card_facts(text), catalog, DictResolver())
    assert report.flags == [] and report.base_models == []
    assert "license-conflict" not in warning_codes(report)


def test_mirror_base_is_followed_to_its_publisher(catalog):
    upstream = hub_facts("meta-llama/Llama-2-7b", "llama2")
    text = "---\nlicense: mit\nbase_model: unsloth/llama-2-7b-bnb-4bit\n---\nA tune.\n"
    report = assess(card_facts(text), catalog, DictResolver(upstream))
    assert "competitor-ban" in {f.flag for f in report.flags}
    assert "license-conflict" in warning_codes(report)
    assert "base-model-guessed" in warning_codes(report)


def test_unknown_mirror_falls_back_to_the_family_its_name_carries(catalog):
    text = "---\nlicense: apache-2.0\nbase_model: TheBloke/Llama-2-13B-fp16\n---\nA tune.\n"
    report = assess(card_facts(text), catalog, DictResolver())
    assert "user-cap" in {f.flag for f in report.flags}
    assert {"license-conflict", "base-model-guessed"} <= set(warning_codes(report))
    assert report.osi_open is False


def test_base_guessed_from_the_model_name(catalog):
    text = "---\nlicense: apache-2.0\nlibrary_name: transformers\n---\nA story model.\n"
    report = assess(card_facts(text, "someone/story-gemma2-9b-merged"), catalog, DictResolver())
    assert "licensor-control" in {f.flag for f in report.flags}
    assert {"license-conflict", "base-model-guessed"} <= set(warning_codes(report))


def test_a_family_owner_is_not_its_own_derivative(catalog):
    text = "---\nlicense: gemma\nlibrary_name: transformers\n---\nAn instruction-tuned model.\n"
    report = assess(card_facts(text, "google/gemma-2-9b-it"), catalog, DictResolver())
    assert "base-model-guessed" not in warning_codes(report)
    assert report.base_models == []


def test_other_with_terms_in_the_body(catalog):
    text = "---\nlicense: other\n---\n# A model\n\nThis model is released under the llama2 license.\n"
    report = assess(card_facts(text), catalog, DictResolver())
    assert report.license.id == "llama2"
    assert "user-cap" in {f.flag for f in report.flags}
    assert "license-unknown" not in warning_codes(report)


def test_uncatalogued_license_name_says_the_terms_are_unknown(catalog):
    text = "---\nlicense: other\nlicense_name: acme-research-license\nlibrary_name: transformers\n---\nA model.\n"
    report = assess(card_facts(text), catalog, DictResolver())
    assert report.flags == [] and report.osi_open is None
    unknown = [w.message for w in report.warnings if w.code == "license-unknown"]
    assert len(unknown) == 1 and "acme-research-license" in unknown[0]


def test_restrictive_license_over_other_restrictive_terms_is_a_conflict(catalog):
    base = hub_facts("meta-llama/Llama-2-7b-hf", "llama2")
    text = "---\nlicense: gemma\nbase_model: meta-llama/Llama-2-7b-hf\n---\nA tune.\n"
    report = assess(card_facts(text), catalog, DictResolver(base))
    assert "license-conflict" in warning_codes(report)
    assert {"user-cap", "licensor-control"} <= {f.flag for f in report.flags}  # both sets of terms


def test_rail_licenses_over_each_other_are_no_conflict():
    catalog = Catalog([_lic("rail-a", False, binds=True, family="openrail", flags=[("use-restrictions", {})]),
                       _lic("rail-b", False, binds=True, family="openrail", flags=[("flow-down", {})])])
    base = hub_facts("lab/rail-base", "rail-a")
    report = assess(card_facts("---\nlicense: rail-b\nbase_model: lab/rail-base\n---\nA tune.\n"), catalog,
                    DictResolver(base))
    assert "license-conflict" not in warning_codes(report)
    assert {"use-restrictions", "flow-down"} <= {f.flag for f in report.flags}


def test_broken_front_matter_keeps_the_keys_around_the_error():
    card = parse_card("---\nlicense: apache-2.0\nbase_model: lab/base\n[instance_prompt]\n---\nBody.\n")
    assert card.front_matter == "invalid-yaml" and card.problem
    assert card.data == {"license": "apache-2.0", "base_model": "lab/base"}


def test_a_permissive_family_guessed_from_the_name_never_makes_the_model_look_open(catalog):
    text = "---\nlibrary_name: transformers\n---\nA story model.\n"
    report = assess(card_facts(text, "someone/story-mistral-7b"), load_catalog(), DictResolver())
    assert report.osi_open is None and report.flags == []
    assert {"base-model-guessed", "license-unknown"} <= set(warning_codes(report))


_TERMS_HEADINGS = term_rules_raw()["terms_sections"]["examples"]


@pytest.mark.parametrize("heading", _TERMS_HEADINGS["positive"])
def test_headings_over_terms_the_card_states(heading):
    assert is_terms_heading(heading)


@pytest.mark.parametrize("heading", _TERMS_HEADINGS["negative"])
def test_headings_over_advice_or_other_things_licenses(heading):
    assert not is_terms_heading(heading)


@pytest.mark.parametrize("line", _TERMS_HEADINGS["lead_ins"]["positive"])
def test_lines_that_bind_the_reader_to_terms(line):
    assert is_terms_lead_in(line)


@pytest.mark.parametrize("line", _TERMS_HEADINGS["lead_ins"]["negative"])
def test_lines_that_bind_nobody(line):
    assert not is_terms_lead_in(line)


def test_terms_after_a_lead_in_run_to_the_next_heading():
    body = ("# Model\n\nA small model.\n\nBy using the model, you agree to the following:\n\n- no resale\n- no hosting\n\n"
            "## Evaluation\n\nScores.\n")
    (heading, text), = terms_sections(body)
    assert heading == "Model" and text.startswith("By using") and "no hosting" in text and "Scores." not in text


def test_a_terms_section_runs_to_the_next_heading_of_its_level():
    body = ("# Model\n\nIntro.\n\n## Usage terms\n\nYou may not sell it.\n\n### Details\n\nNor rent it.\n\n"
            "```\n# not a heading\n```\n\n## Evaluation\n\nScores.\n")
    (heading, text), = terms_sections(body)
    assert heading == "Usage terms"
    assert "Nor rent it." in text and "# not a heading" in text and "Scores." not in text


def test_terms_stated_only_in_the_body_are_read(catalog):
    text = ("---\nlicense: other\nlibrary_name: transformers\n---\n# Wren-3B\n\n## Terms of use\n\n"
            "1. Use of the weights is limited to non-commercial research; no commercial use is allowed.\n"
            "2. You may not redistribute the weights or derivatives of them to anyone.\n\n"
            "## Evaluation\n\nWe score well on several benchmarks.\n")
    report = assess(card_facts(text, "wren/Wren-3B"), catalog, DictResolver())
    assert {"non-commercial", "no-redistribution"} <= {f.flag for f in report.flags}
    assert report.osi_open is False
    unknown = [w.message for w in report.warnings if w.code == "license-unknown"]
    assert len(unknown) == 1 and "'Terms of use'" in unknown[0]  # the full terms are still not known


def test_advice_on_use_is_not_read_as_terms(catalog):
    text = ("---\nlicense: other\nlibrary_name: transformers\n---\n# Wren-3B\n\n## Out-of-scope use\n\n"
            "Do not use the model for medical or legal advice, and do not deploy it commercially without review.\n")
    report = assess(card_facts(text, "wren/Wren-3B"), catalog, DictResolver())
    assert report.flags == [] and report.osi_open is None


def test_a_license_the_card_names_is_not_reread_from_its_section(catalog):
    text = ("---\nlicense: other\n---\n# A model\n\n## License\n\nThis model is released under the llama2 license.\n")
    report = assess(card_facts(text), catalog, DictResolver())
    assert report.license.id == "llama2"
    assert "license-unknown" not in warning_codes(report)


def test_an_artefact_table_shows_open_code_and_data(catalog):
    text = ("---\nlicense: apache-2.0\nlibrary_name: transformers\n---\n# Finch-1B\n\n"
            "| artefact | released | where |\n|---|---|---|\n| Weights | yes | here |\n"
            "| Training code | yes | https://github.com/finch-lab/finch-train |\n"
            "| Pretraining data | yes | https://huggingface.co/datasets/finch-lab/finch-corpus |\n")
    report = assess(card_facts(text, "finch-lab/Finch-1B"), catalog, DictResolver())
    assert report.spectrum == "fully-open"
    assert any("table-row" in r for r in report.component_evidence["training_code"])


def test_an_artefact_table_that_keeps_the_data_closed(catalog):
    text = ("---\nlicense: apache-2.0\nlibrary_name: transformers\n---\n# Finch-1B\n\n"
            "| artefact | released | where |\n|---|---|---|\n"
            "| Training code | yes | https://github.com/finch-lab/finch-train |\n"
            "| Pretraining data | no | licensed from partners |\n")
    report = assess(card_facts(text, "finch-lab/Finch-1B"), catalog, DictResolver())
    assert report.spectrum == "open-weights"
    assert report.components["training_data"] == "closed"


def test_things_located_at_the_models_own_repository_are_released():
    # A list of training artefacts "at" a URL: released there when the repository is the model's own.
    text = normalize("The trainer, the stage configs and the launch scripts for training are at "
                     "https://github.com/example-lab/model-train.")
    assert ("training_code", "open", "release-statement") in release_findings(text, "example-lab/model")
    # Someone else's repository is a tool the model was trained with, not its training code.
    assert release_findings(text, "other-lab/model") == []
    # Only the components the address can hold: data named beside a code repository is not released.
    text = normalize("The data filters and the trainer for pretraining live at https://github.com/example-lab/x.")
    found = {c for c, _, _ in release_findings(text, "example-lab/model")}
    assert found == {"training_code"}


def test_a_code_column_with_the_models_own_repository_opens_its_code():
    from openscope.card.components import text_statements

    body = ("| stage | data | code |\n|---|---|---|\n"
            "| upstream pretraining | a public corpus | a public trainer, Apache-2.0 |\n"
            "| our tuning | example-lab/sft on the Hub | https://github.com/example-lab/tune-scripts, MIT |\n")
    found = {(s.component, s.status, s.rule) for s in text_statements(body, "example-lab/model")}
    assert ("training_code", "open", "table-column") in found
    # The same table for a model of another organisation links to someone else's code.
    assert not any(s.rule == "table-column" for s in text_statements(body, "other-lab/model"))


def test_a_table_comparing_models_says_nothing_about_this_one():
    from openscope.card.components import text_statements

    body = ("| model | weights | training code | training data |\n|---|---|---|---|\n"
            "| Some closed model | ✗ | ✗ | ✗ |\n| Another model | ✓ | ✗ | ✗ |\n")
    assert not any(s.rule == "table-column" for s in text_statements(body, "example-lab/model"))


@pytest.mark.parametrize("sentence", [
    "There are no weights here. The model runs only on the vendor's platform.",
    "It answers through an SDK. The model weights are not distributed.",
    "Acme does not offer the weights for download or on-premise installation.",
    "It is offered exclusively as a cloud service; Acme does not release the model.",
])
def test_a_card_that_withholds_the_model_is_a_hosted_api(catalog, sentence):
    text = f"---\nlicense: other\nlicense_name: acme-terms\npipeline_tag: text-generation\n---\n# Acme\n\n{sentence}\n"
    report = assess(card_facts(text, "acme/Acme-Large"), catalog, DictResolver())
    assert report.spectrum == "closed-api"


def test_a_hosting_term_binding_the_licensee_keeps_the_weights_open(catalog):
    text = ("---\nlicense: other\nlicense_name: acme-terms\nlibrary_name: transformers\n---\n# Acme\n\n## License\n\n"
            "You may not offer the model to third parties as a hosted API without our permission.\n")
    report = assess(card_facts(text, "acme/Acme-7B"), catalog, DictResolver())
    assert report.spectrum == "open-weights"


def test_terms_under_a_heading_in_another_language_are_read(catalog):
    text = ("---\nlicense: other\nlicense_name: acme-terms\nlibrary_name: transformers\n---\n# Acme\n\n## Termini\n\n"
            "- The model may be used for non-commercial purposes only.\n- Do not redistribute the weights.\n")
    assert [h for h, _ in terms_sections(parse_card(text).body)] == ["Termini"]


@pytest.mark.parametrize("url,model_id,own", [
    ("https://github.com/example-lab/trainer", "example-lab/Model-7B", True),
    ("https://github.com/examplelab/trainer", "ExampleLabAI/Model-7B", True),  # a sibling account of the org
    ("https://github.com/someone/model-7b", "example-lab/Model-7B", True),  # named after the model
    ("https://github.com/fast-tools/trainer", "example-lab/Model-7B", False),
    ("https://github.com/exa/trainer", "example-lab/Model-7B", False),  # too short to be a sibling
])
def test_which_repositories_are_the_models_own(url, model_id, own):
    from openscope.card.release import _own_repo

    assert _own_repo(url, model_id) is own


def test_a_third_party_training_framework_is_not_the_models_training_code():
    from openscope.card.components import text_statements

    for sentence in ("Fine-tuned using the Example training framework (https://github.com/fast-tools/trainer).",
                     "The training code is based on https://github.com/someone-else/nanotrain."):
        assert all(s.component != "training_code" for s in text_statements(sentence, "example-lab/model")), sentence
        # The same sentence pointing at the model's own repository is its training code.
        own = sentence.replace("fast-tools", "example-lab").replace("someone-else", "example-lab")
        assert any(s.component == "training_code" for s in text_statements(own, "example-lab/model")), own
