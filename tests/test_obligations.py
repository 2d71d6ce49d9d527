"""Obligations read from license texts (license/obligations.py, licenses/obligations/*.yaml).

Every worked example of the rule files behaves as it says; the real texts (read from the corpus, and
from ScanCode's LicenseDB for CC BY-SA 4.0, at run time) give the obligations legal reviewers expect,
each with the sentence that states it.
"""

from __future__ import annotations

import shutil
import sys

import pytest

from openscope.license import analyze_text
from openscope.license.obligations import (
    RULES_DIR,
    ObligationRuleError,
    load_obligation_rules,
    merge_obligations,
    obligations_of_text,
)
from openscope.types import Evidence, ObligationFinding
from openscope.vocabulary import obligation_defs, obligation_names


def _examples(kind: str):
    for name, examples in sorted(load_obligation_rules().examples.items()):
        for ex in examples[kind]:
            text, value = (ex["text"], ex.get("value")) if isinstance(ex, dict) else (ex, None)
            yield pytest.param(name, text, value, id=f"{name}:{text[:40]}")


def test_every_obligation_has_a_rules_file_with_examples():
    rules = load_obligation_rules()
    assert set(rules.examples) == set(obligation_names())
    for name, examples in rules.examples.items():
        assert len(examples["positive"]) >= 3, name
        assert len(examples["negative"]) >= 3, name
    for d in obligation_defs().values():
        assert d.title and d.description and d.checklist


@pytest.mark.parametrize(("obligation", "text", "value"), list(_examples("positive")))
def test_positive_example_raises_its_obligation_with_its_value(obligation, text, value):
    found = {o.obligation: o for o in obligations_of_text(text, "x")}
    assert obligation in found
    if value is not None:
        assert found[obligation].value == value
    assert found[obligation].evidence[0].quote in text


@pytest.mark.parametrize(("obligation", "text", "value"), list(_examples("negative")))
def test_negative_example_does_not_raise_its_obligation(obligation, text, value):
    assert obligation not in {o.obligation for o in obligations_of_text(text, "x")}


def test_analyze_text_reports_obligations_next_to_flags():
    text = ("1. Redistribution. If you distribute the Model, you shall prominently display \"Built with Orca\" "
            "on your website.\n\n2. Scale. If your services have more than 20 million monthly active users, "
            "you must request a license from Acme.\n")
    analysis = analyze_text(text, "LICENSE")
    got = {(o.obligation, o.value): o for o in analysis.obligations}
    credit = got[("display-credit", "Built with Orca")]
    assert credit.evidence == [Evidence("LICENSE", "1", credit.evidence[0].quote)]
    assert "Built with Orca" in credit.evidence[0].quote
    assert got[("request-license-above-threshold", None)].thresholds == {"users": 20_000_000}
    assert "attribution" in {f.flag for f in analysis.flags}


def test_a_lead_in_obligation_reaches_its_list_items():
    text = ("If You share the Material, You must:\n\n  a. retain a copyright notice;\n\n"
            "  b. indicate if You modified the Material.\n")
    assert {o.obligation for o in obligations_of_text(text, "x")} >= {"keep-copyright-notices", "report-changes"}
    permitted = "You may:\n\n  a. indicate if You modified the Material.\n"
    assert "report-changes" not in {o.obligation for o in obligations_of_text(permitted, "x")}


def test_conditions_of_a_permission_are_obligations_but_definitions_are_not():
    conditional = "You may distribute copies, provided that you give every recipient a copy of this License."
    assert "ship-license-copy" in {o.obligation for o in obligations_of_text(conditional, "x")}
    definition = '"Work" shall mean the work made available under this License, as indicated by a copyright notice.'
    assert obligations_of_text(definition, "x") == []


def test_merge_joins_a_valueless_finding_into_one_with_a_value():
    ev1, ev2 = Evidence("A", None, "one"), Evidence("B", "2", "two")
    merged = merge_obligations([ObligationFinding("display-credit", None, evidence=[ev1])],
                               [ObligationFinding("display-credit", "Built with X", evidence=[ev2]),
                                ObligationFinding("ship-notice", evidence=[ev1])])
    assert [(o.obligation, o.value) for o in merged] == [("display-credit", "Built with X"), ("ship-notice", None)]
    assert merged[0].evidence == [ev2, ev1]


def test_a_malformed_rules_file_names_the_file_and_the_rule(tmp_path):
    for path in RULES_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    broken = tmp_path / "share-alike.yaml"
    broken.write_text(broken.read_text().replace("  - id: same-license-elements\n",
                                                 "  - id: same-license-elements\n    modality: maybe\n"))
    with pytest.raises(ObligationRuleError, match=r"share-alike.yaml: rule 'same-license-elements': unknown modality"):
        load_obligation_rules(tmp_path)
    (tmp_path / "share-alike.yaml").write_text("obligation: share-alikeish\nrules: []\n")
    with pytest.raises(ObligationRuleError, match="share-alike.yaml: unknown obligation 'share-alikeish'"):
        load_obligation_rules(tmp_path)


# ---------------------------------------------------------------- the real texts


def _read(corpus, name: str) -> str:
    return (corpus / "licenses" / "texts" / name).read_text(encoding="utf-8")


def _by_name(obligations) -> dict:
    return {o.obligation: o for o in obligations}


@pytest.mark.corpus
def test_llama_3_1_credit_and_name_prefix_are_read_with_their_quotes(corpus):
    found = _by_name(analyze_text(_read(corpus, "llama-3.1.txt"), "LICENSE").obligations)
    credit, prefix = found["display-credit"], found["name-prefix"]
    assert credit.value == "Built with Llama" and credit.source == "rules"
    assert prefix.value == "Llama"
    for o, phrase in ((credit, "“Built with Llama”"), (prefix, "“Llama” at the beginning")):
        ev = o.evidence[0]
        assert ev.file == "LICENSE" and ev.section == "1.b.i"
        assert phrase in ev.quote and len(ev.quote) <= 300
    assert found["request-license-above-threshold"].thresholds == {"users": 700_000_000}
    assert found["ship-notice"].value.startswith("Llama 3.1 is licensed under")
    assert {"ship-license-copy", "accept-terms-before-use"} <= set(found)


@pytest.mark.corpus
def test_apache_2_0_obliges_a_license_copy_and_the_notice_file_and_nothing_it_does_not_say(corpus):
    found = _by_name(analyze_text(_read(corpus, "apache-2.0.txt"), "LICENSE").obligations)
    assert found["ship-license-copy"].evidence[0].section == "4.a"
    assert "a copy of this License" in found["ship-license-copy"].evidence[0].quote
    assert found["ship-notice"].evidence[0].section == "4.d"
    assert "NOTICE" in found["ship-notice"].evidence[0].quote
    assert found["report-changes"].evidence[0].section == "4.b"
    assert not {"display-credit", "name-prefix", "share-alike", "pass-on-use-policy"} & set(found)


@pytest.mark.corpus
def test_share_alike_is_read_from_cc_by_nc_sa_and_not_from_cc_by(corpus):
    sa = _by_name(analyze_text(_read(corpus, "cc-by-nc-sa-4.0.txt"), "LICENSE").obligations)["share-alike"]
    assert sa.evidence[0].section == "3.b.1" and "same License Elements" in sa.evidence[0].quote
    assert "share-alike" not in _by_name(analyze_text(_read(corpus, "cc-by-4.0.txt"), "LICENSE").obligations)
    assert "share-alike" not in _by_name(analyze_text(_read(corpus, "mit.txt"), "LICENSE").obligations)


@pytest.mark.corpus
def test_rail_licenses_oblige_passing_on_the_use_restrictions(corpus):
    found = _by_name(analyze_text(_read(corpus, "bigscience-open-rail-m.txt"), "LICENSE").obligations)
    assert "enforceable provision" in found["pass-on-use-policy"].evidence[0].quote


@pytest.mark.licensedb
def test_cc_by_sa_4_0_shows_share_alike_from_the_licensedb_text():
    sys.path.insert(0, str(RULES_DIR.parents[3] / "bench"))
    import licensedb

    ok, why = licensedb.available()
    if not ok:
        pytest.skip(why)
    text = next(t.text for t in licensedb.load() if t.key == "cc-by-sa-4.0")
    found = _by_name(analyze_text(text, "LICENSE").obligations)
    assert "same License Elements" in found["share-alike"].evidence[0].quote
    assert {"display-credit", "ship-license-copy", "report-changes"} <= set(found)
