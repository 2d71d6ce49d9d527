"""Unknown terms are a state (`license_status`), a card's several licenses are all assessed, and a name
used through a hosted API is that API (issue 12, parts 1 and 2)."""

from __future__ import annotations

import textwrap

import jsonschema

from openscope.api import audit
from openscope.types import json_schema


def card(tmp_path, name, front_matter, body="A model.\n", **files):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "README.md").write_text(f"---\n{textwrap.dedent(front_matter)}---\n# {name}\n{body}", encoding="utf-8")
    for fname, text in files.items():
        (folder / fname).write_text(text, encoding="utf-8")
    return str(folder)


def test_a_card_listing_two_licenses_carries_the_flags_of_both(tmp_path):
    path = card(tmp_path, "two", "license:\n- apache-2.0\n- cc-by-nc-4.0\n")
    (m,) = audit([path], offline=True).models
    assert [lic.id for lic in m.licenses] == ["apache-2.0", "cc-by-nc-4.0"]
    assert "non-commercial" in m.flag_names()
    assert m.osi_open is False  # one of the two forbids commercial use
    assert m.license_status == "known"
    (warning,) = [w for w in m.warnings if w.code == "multiple-licenses"]
    assert "apache-2.0" in warning.message and "cc-by-nc-4.0" in warning.message


def test_one_license_is_no_list(tmp_path):
    (m,) = audit([card(tmp_path, "one", "license: apache-2.0\n")], offline=True).models
    assert m.licenses == [] and m.flag_names() == [] and m.license_status == "known"
    assert not [w for w in m.warnings if w.code == "multiple-licenses"]


def test_a_listed_license_openscope_does_not_know_leaves_the_terms_unknown(tmp_path):
    path = card(tmp_path, "mixed", "license:\n- mit\n- acme-secret-license-7\n")
    (m,) = audit([path], offline=True).models
    assert m.license_status == "unknown"
    assert "acme-secret-license-7" in m.license_status_reason
    assert m.osi_open is None  # open as far as it is known, and that is not far enough to say


def test_no_license_at_all_is_unknown_not_clean(tmp_path):
    (m,) = audit([card(tmp_path, "bare", "library_name: transformers\n")], offline=True).models
    assert m.flag_names() == []
    assert m.license_status == "unknown" and "declares no license" in m.license_status_reason


def test_models_of_the_issue_report_unknown_terms():
    report = audit(["baichuan-inc/Baichuan2-13B-Chat", "apple/OpenELM-3B", "moonshotai/Kimi-K2-Instruct",
                    "meta-llama/Llama-3.1-8B"], offline=True)
    status = {m.ref: m.license_status for m in report.models}
    assert status == {"baichuan-inc/Baichuan2-13B-Chat": "unknown", "apple/OpenELM-3B": "unknown",
                      "moonshotai/Kimi-K2-Instruct": "unknown", "meta-llama/Llama-3.1-8B": "known"}
    assert all(m.license_status_reason for m in report.models if m.license_status != "known")


def test_an_unassessed_model_has_unknown_terms():
    (m,) = audit(["not a ref at all"], offline=True).models
    assert m.error is not None and m.license_status == "unknown"


def test_hosted_api_names_are_closed_api_under_the_provider_terms():
    report = audit(["deepseek-chat", "command-r", "groq:llama-3.1-8b-instant", "deepseek-ai/DeepSeek-V3"],
                   offline=True)
    by_ref = {m.ref: m for m in report.models}
    for name in ("deepseek-chat", "command-r", "groq:llama-3.1-8b-instant"):
        m = by_ref[name]
        assert m.spectrum == "closed-api" and m.kind == "api", name
        assert m.license is not None and m.license.id and m.license.id.endswith("-terms"), name
        assert m.flag_names(), name  # the provider's terms restrict use
        assert m.alternatives, name  # and the weights are published elsewhere
    assert by_ref["deepseek-chat"].alternatives == ["deepseek-ai/DeepSeek-V3"]
    assert by_ref["deepseek-ai/DeepSeek-V3"].spectrum == "open-weights"


def test_the_acceptable_use_policy_that_ships_with_the_weights_is_applied():
    (m,) = audit(["CohereForAI/c4ai-command-r-plus"], offline=True).models
    assert {"non-commercial", "use-restrictions"} <= set(m.flag_names())
    evidence = [e.file for f in m.flags if f.flag == "use-restrictions" for e in f.evidence]
    assert any("aup" in e or "acceptable" in e for e in evidence), evidence


def test_the_new_fields_are_in_the_generated_schema(tmp_path):
    report = audit([card(tmp_path, "two", "license:\n- apache-2.0\n- cc-by-nc-4.0\n"), "command-r"], offline=True)
    schema = json_schema()
    jsonschema.validate(report.to_dict(), schema)
    props = schema["$defs"]["ModelReport"]["properties"]
    assert {"license_status", "license_status_reason", "licenses", "alternatives"} <= set(props)
    assert set(props["license_status"]["enum"]) == {"known", "unknown", "not-read"}


def test_the_markdown_report_names_the_published_weights_of_an_api():
    from openscope.render.interface import render

    text = render(audit(["deepseek-chat"], offline=True), "markdown")
    assert "weights also published" in text and "deepseek-ai/DeepSeek-V3" in text
