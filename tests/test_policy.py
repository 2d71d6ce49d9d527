"""Policy loading (strict validation, discovery) and judging, on reports built by hand."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from openscope.errors import ExitCode, PolicyError
from openscope.policy import (
    Policy,
    apply_policy,
    exit_code,
    find_policy,
    load_policy,
    parse_policy,
)
from openscope.types import ErrorInfo, FlagFinding, ModelReport, Report

TODAY = dt.date(2026, 1, 15)


def model(mid, spectrum="open-weights", flags=(), error=None, **kw):
    return ModelReport(ref=mid, id=mid, kind="hub", provenance="registry", spectrum=spectrum,
                       flags=[f if isinstance(f, FlagFinding) else FlagFinding(flag=f) for f in flags],
                       error=error, **kw)


def write(tmp_path, text, name="openscope.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


GOOD = """
allow-spectrum = ["open-weights", "fully-open"]
deny-flags = ["non-commercial", "competitor-ban"]
warn-flags = ["attribution", "naming"]
unknown = "fail"

[[exceptions]]
model = "acme/*"
flags = ["non-commercial"]
reason = "Research prototype, approved in ticket R-7"
expires = 2026-06-30
"""


def test_valid_policy_loads_every_key(tmp_path):
    policy = load_policy(write(tmp_path, GOOD))
    assert policy.allow_spectrum == ("open-weights", "fully-open")
    assert policy.deny_flags == ("non-commercial", "competitor-ban")
    assert policy.warn_flags == ("attribution", "naming")
    assert policy.unknown == "fail"
    (exc,) = policy.exceptions
    assert exc.model == "acme/*" and exc.rules == ("non-commercial",)
    assert exc.expires == dt.date(2026, 6, 30)


# Each broken policy, the key the error must name, and a word the problem must contain.
BROKEN = {
    "unknown top-level key": ('deny-flag = ["non-commercial"]\n', "deny-flag", "unknown key"),
    "unknown flag name": ('deny-flags = ["non-comercial"]\n', "deny-flags", "non-comercial"),
    "unknown spectrum name": ('allow-spectrum = ["open"]\n', "allow-spectrum", "unknown spectrum"),
    "unknown allowed as a spectrum": ('allow-spectrum = ["unknown"]\n', "allow-spectrum", 'unknown = "warn"'),
    "list is a string": ('deny-flags = "non-commercial"\n', "deny-flags", "array of strings"),
    "list of numbers": ("warn-flags = [1, 2]\n", "warn-flags", "array of strings"),
    "bad unknown mode": ('unknown = "ignore"\n', "unknown", '"fail" or "warn"'),
    "flag both denied and warned": ('deny-flags = ["naming"]\nwarn-flags = ["naming"]\n', "warn-flags", "naming"),
    "exceptions not an array": ('[exceptions]\nmodel = "a/b"\n', "exceptions", "[[exceptions]]"),
    "exception without reason": ('[[exceptions]]\nmodel = "a/b"\nflags = ["naming"]\n', "exceptions[0].reason",
                                 "missing"),
    "exception with blank reason": ('[[exceptions]]\nmodel = "a/b"\nflags = ["naming"]\nreason = "  "\n',
                                    "exceptions[0].reason", "empty"),
    "exception without model": ('[[exceptions]]\nflags = ["naming"]\nreason = "ok"\n', "exceptions[0].model",
                                "missing"),
    "exception without flags": ('[[exceptions]]\nmodel = "a/b"\nreason = "ok"\n', "exceptions[0].flags",
                                "missing"),
    "exception with empty flags": ('[[exceptions]]\nmodel = "a/b"\nflags = []\nreason = "ok"\n',
                                   "exceptions[0].flags", "non-empty"),
    "exception with unknown flag": ('[[exceptions]]\nmodel = "a/b"\nflags = ["nam"]\nreason = "ok"\n',
                                    "exceptions[0].flags", "'nam'"),
    "exception date quoted": ('[[exceptions]]\nmodel = "a/b"\nflags = ["naming"]\nreason = "ok"\n'
                              'expires = "2027-01-01"\n', "exceptions[0].expires", "unquoted"),
    "exception date with time": ('[[exceptions]]\nmodel = "a/b"\nflags = ["naming"]\nreason = "ok"\n'
                                 "expires = 2027-01-01T10:00:00\n", "exceptions[0].expires", "TOML date"),
    "exception unknown key": ('[[exceptions]]\nmodel = "a/b"\nflags = ["naming"]\nreason = "ok"\nowner = "x"\n',
                              "exceptions[0].owner", "unknown key"),
    "second exception broken": ('[[exceptions]]\nmodel = "a/b"\nflags = ["naming"]\nreason = "ok"\n'
                                '[[exceptions]]\nmodel = "c/d"\nflags = ["naming"]\n', "exceptions[1].reason",
                                "missing"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_policy_names_file_key_and_problem(tmp_path, case):
    text, key, problem = BROKEN[case]
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    err = info.value
    assert err.exit_code == ExitCode.USAGE
    assert err.key == key
    assert problem in err.problem
    line = str(err)
    assert "\n" not in line and "openscope.toml" in line and key in line


def test_model_lists_read_by_scan_are_accepted(tmp_path):
    policy = load_policy(write(tmp_path, 'models = ["a/b"]\nmodels-files = ["m.txt"]\ndeny-flags = ["naming"]\n'))
    assert policy.deny_flags == ("naming",)


def test_invalid_toml_names_the_line(tmp_path):
    path = write(tmp_path, 'unknown = "warn"\ndeny-flags = [non-commercial]\n')
    with pytest.raises(PolicyError, match=r"openscope.toml: invalid TOML: .*line 2"):
        load_policy(path)


def test_missing_policy_file_is_an_input_error(tmp_path):
    with pytest.raises(PolicyError, match="policy file not found"):
        load_policy(tmp_path / "nope.toml")


def test_pyproject_errors_name_the_tool_table(tmp_path):
    path = write(tmp_path, '[tool.openscope]\nunknown = "maybe"\n', name="pyproject.toml")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert info.value.key == "tool.openscope.unknown"


def test_policy_is_found_upward_openscope_toml_before_pyproject(tmp_path):
    write(tmp_path, '[tool.openscope]\ndeny-flags = ["naming"]\n', name="pyproject.toml")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    path, data = find_policy(deep)
    assert path == tmp_path / "pyproject.toml" and data == {"deny-flags": ["naming"]}
    write(tmp_path / "a", 'deny-flags = ["geographic"]\n')
    path, data = find_policy(deep)
    assert path == tmp_path / "a" / "openscope.toml"
    assert load_policy(start=deep).deny_flags == ("geographic",)


def test_pyproject_without_openscope_table_is_skipped(tmp_path):
    write(tmp_path, '[tool.other]\nx = 1\n', name="pyproject.toml")
    sub = tmp_path / "sub"
    sub.mkdir()
    write(sub, '[project]\nname = "x"\n', name="pyproject.toml")
    found = find_policy(sub)
    assert found is None or found[0] not in (tmp_path / "pyproject.toml", sub / "pyproject.toml")


def test_builtin_default_policy_when_nothing_is_found(tmp_path, monkeypatch):
    monkeypatch.setattr("openscope.policy.find_policy", lambda start=None: None)
    policy = load_policy()
    assert policy.builtin and policy.source == "<built-in default>"
    assert "non-commercial" in policy.deny_flags


def test_empty_policy_allows_known_spectra_and_fails_unknown():
    policy = parse_policy({}, "openscope.toml")
    report = Report(models=[model("a/open", flags=["naming"]), model("b/api", spectrum="closed-api"),
                            model("c/dunno", spectrum="unknown")])
    result = apply_policy(policy, report, today=TODAY)
    assert [(v.model, v.rule, v.severity) for v in result.violations] == [("c/dunno", "unknown", "error")]
    assert not result.passed


# ---------------------------------------------------------------- judging

POLICY = Policy(allow_spectrum=("open-weights", "fully-open"), deny_flags=("non-commercial",),
                warn_flags=("attribution",), unknown="fail")


def test_spectrum_outside_allow_list_is_an_error():
    result = apply_policy(POLICY, Report(models=[model("openai:gpt-4o", spectrum="closed-api")]), today=TODAY)
    (v,) = result.violations
    assert (v.rule, v.severity) == ("spectrum", "error")
    assert "closed-api" in v.message and "allow-spectrum" in v.message
    assert not result.passed


def test_denied_flag_is_an_error_and_warn_flag_a_warning():
    report = Report(models=[model("x/nc", flags=["non-commercial", "attribution", "naming"])])
    result = apply_policy(POLICY, report, today=TODAY)
    got = {(v.rule, v.severity) for v in result.violations}
    assert got == {("non-commercial", "error"), ("attribution", "warning")}
    assert result.violations[0].severity == "error"  # errors come first
    assert not result.passed


def test_warnings_alone_pass():
    result = apply_policy(POLICY, Report(models=[model("x/a", flags=["attribution"])]), today=TODAY)
    assert result.passed and len(result.violations) == 1


def test_inherited_denied_flag_counts_and_says_where_from():
    flag = FlagFinding(flag="non-commercial", inherited_from="base/model")
    result = apply_policy(POLICY, Report(models=[model("x/derived", flags=[flag])]), today=TODAY)
    (v,) = result.violations
    assert v.rule == "non-commercial" and "inherited from base/model" in v.message


def test_thresholds_are_shown_in_the_message():
    policy = Policy(deny_flags=("user-cap",))
    flag = FlagFinding(flag="user-cap", thresholds={"users": 700000000})
    (v,) = apply_policy(policy, Report(models=[model("m/l", flags=[flag])]), today=TODAY).violations
    assert "700,000,000" in v.message


@pytest.mark.parametrize("mode, severity, passed", [("fail", "error", False), ("warn", "warning", True)])
def test_unassessed_models_follow_unknown_mode(mode, severity, passed):
    policy = Policy(unknown=mode)
    err = ErrorInfo(code="gated", message="x/y is gated: no token")
    report = Report(models=[model("x/y", spectrum="unknown", error=err)])
    report.policy = apply_policy(policy, report, today=TODAY)
    (v,) = report.policy.violations
    assert (v.rule, v.severity, report.policy.passed) == ("unknown", severity, passed)
    assert "gated" in v.message
    # The exit code agrees with the verdict: a warning passes (0); an unknown made a failure is 3.
    assert exit_code(report) == (ExitCode.UNASSESSED if mode == "fail" else ExitCode.OK)


def test_exception_waives_listed_flags_only_and_keeps_its_reason():
    policy = parse_policy({"deny-flags": ["non-commercial", "no-redistribution"], "exceptions": [
        {"model": "Acme/*", "flags": ["non-commercial"], "reason": "legal said yes", "expires": dt.date(2026, 6, 30)},
    ]}, "openscope.toml")
    report = Report(models=[model("acme/tiny", flags=["non-commercial", "no-redistribution"]),
                            model("other/m", flags=["non-commercial"])])
    result = apply_policy(policy, report, today=TODAY)
    assert {(v.model, v.rule) for v in result.violations} == {("acme/tiny", "no-redistribution"),
                                                              ("other/m", "non-commercial")}
    (w,) = result.waived
    assert (w.model, w.rule, w.reason, w.expires) == ("acme/tiny", "non-commercial", "legal said yes", "2026-06-30")


def test_exception_can_waive_spectrum_and_unknown():
    policy = parse_policy({"allow-spectrum": ["fully-open"], "exceptions": [
        {"model": "gpt-4o", "flags": ["spectrum"], "reason": "vendor contract"},
        {"model": "x/gone", "flags": ["unknown"], "reason": "mirror is internal"},
    ]}, "openscope.toml")
    err = ErrorInfo(code="not-found", message="x/gone not found")
    report = Report(models=[model("gpt-4o", spectrum="closed-api"), model("x/gone", spectrum="unknown", error=err)])
    report.policy = apply_policy(policy, report, today=TODAY)
    assert report.policy.passed and not report.policy.violations
    assert {w.rule for w in report.policy.waived} == {"spectrum", "unknown"}
    assert exit_code(report) == ExitCode.OK


def test_expired_exception_is_a_violation_naming_the_date():
    policy = parse_policy({"deny-flags": ["non-commercial"], "exceptions": [
        {"model": "acme/tiny", "flags": ["non-commercial"], "reason": "trial", "expires": dt.date(2025, 12, 31)},
    ]}, "openscope.toml")
    result = apply_policy(policy, Report(models=[model("acme/tiny", flags=["non-commercial"])]), today=TODAY)
    (v,) = result.violations
    assert (v.rule, v.severity) == ("exception-expired", "error")
    assert "expired on 2025-12-31" in v.message and "trial" in v.message
    assert not result.waived and not result.passed
    # The last valid day still counts.
    ok = apply_policy(policy, Report(models=[model("acme/tiny", flags=["non-commercial"])]),
                      today=dt.date(2025, 12, 31))
    assert ok.passed and ok.waived


def test_exception_matching_uses_id_or_ref_and_globs():
    policy = parse_policy({"deny-flags": ["naming"], "exceptions": [
        {"model": "meta-llama/Llama-3.1-*", "flags": ["naming"], "reason": "ok"},
    ]}, "openscope.toml")
    hit = model("meta-llama/Llama-3.1-8B", flags=["naming"])
    miss = model("meta-llama/Llama-3.2-1B", flags=["naming"])
    result = apply_policy(policy, Report(models=[hit, miss]), today=TODAY)
    assert [v.model for v in result.violations] == ["meta-llama/Llama-3.2-1B"]


def test_api_model_exception_matches_with_or_without_provider():
    policy = parse_policy({"allow-spectrum": ["open-weights"], "exceptions": [
        {"model": "gpt-4o", "flags": ["spectrum"], "reason": "vendor contract"},
        {"model": "anthropic:claude-*", "flags": ["spectrum"], "reason": "vendor contract"},
    ]}, "openscope.toml")
    gpt = ModelReport(ref="gpt-4o", id="openai:gpt-4o", kind="api", provenance="registry", spectrum="closed-api")
    claude = ModelReport(ref="claude-3-5-sonnet", id="anthropic:claude-3-5-sonnet", kind="api",
                         provenance="registry", spectrum="closed-api")
    gemini = ModelReport(ref="gemini-1.5-pro", id="google:gemini-1.5-pro", kind="api", provenance="registry",
                         spectrum="closed-api")
    result = apply_policy(policy, Report(models=[gpt, claude, gemini]), today=TODAY)
    assert [v.model for v in result.violations] == ["google:gemini-1.5-pro"]
    assert {w.model for w in result.waived} == {"openai:gpt-4o", "anthropic:claude-3-5-sonnet"}


def test_warn_only_always_exits_zero():
    report = Report(models=[model("x/nc", flags=["non-commercial"])])
    report.policy = apply_policy(POLICY, report, today=TODAY)
    assert exit_code(report) == ExitCode.POLICY_VIOLATED
    assert exit_code(report, warn_only=True) == ExitCode.OK


def test_same_model_twice_is_one_violation_but_pinned_revisions_stay_apart():
    twice = [model("x/nc", flags=["non-commercial"]), model("x/nc", flags=["non-commercial"])]
    pinned = ModelReport(ref="x/nc@v2", id="x/nc", kind="hub", provenance="registry", spectrum="open-weights",
                         flags=[FlagFinding(flag="non-commercial")])
    result = apply_policy(POLICY, Report(models=[*twice, pinned]), today=TODAY)
    assert sorted(v.model for v in result.violations) == ["x/nc", "x/nc@v2"]


# ---------------------------------------------------------------- unknown terms, exit codes


@pytest.mark.parametrize("status", ["unknown", "not-read"])
def test_unknown_terms_are_governed_by_the_unknown_setting(status):
    bare = model("baichuan-inc/Baichuan2-13B-Chat", license_status=status,
                 license_status_reason="declares no license, the card states none")
    for mode, severity in (("fail", "error"), ("warn", "warning")):
        report = Report(models=[bare])
        report.policy = apply_policy(Policy(unknown=mode), report, today=TODAY)
        (v,) = report.policy.violations
        assert (v.rule, v.severity) == ("unknown", severity)
        assert "terms are" in v.message and "declares no license" in v.message
        assert exit_code(report) == (ExitCode.UNASSESSED if mode == "fail" else ExitCode.OK)


def test_a_real_violation_beside_an_unknown_exits_one():
    report = Report(models=[model("x/nc", flags=["non-commercial"]), model("x/bare", license_status="unknown")])
    report.policy = apply_policy(POLICY, report, today=TODAY)
    assert {v.rule for v in report.policy.violations} == {"non-commercial", "unknown"}
    assert exit_code(report) == ExitCode.POLICY_VIOLATED


def test_audit_and_scan_exit_three_for_unassessed_models_without_a_policy():
    err = ErrorInfo(code="not-found", message="x/gone not found")
    report = Report(models=[model("x/gone", spectrum="unknown", error=err), model("x/ok")])
    assert exit_code(report, gate=False) == ExitCode.UNASSESSED
    assert exit_code(Report(models=[model("x/ok")]), gate=False) == ExitCode.OK


def test_a_closed_api_name_with_published_weights_names_the_alternative():
    api = ModelReport(ref="command-r", id="cohere:command-r", kind="api", provenance="registry", spectrum="closed-api",
                      alternatives=["CohereForAI/c4ai-command-r-v01"])
    (v,) = apply_policy(POLICY, Report(models=[api]), today=TODAY).violations
    assert v.rule == "spectrum" and "CohereForAI/c4ai-command-r-v01" in v.message


# ---------------------------------------------------------------- inline ignore


def test_inline_ignore_waives_the_rule_only_where_every_reference_says_so():
    from openscope.types import Location

    policy = Policy(deny_flags=("user-cap", "non-commercial"))
    quiet = model("m/l", flags=["user-cap", "non-commercial"],
                  locations=[Location("app.py", 3, ["user-cap"]), Location("train.py", 9, ["user-cap"])])
    loud = model("m/k", flags=["user-cap"], locations=[Location("app.py", 4, ["user-cap"]), Location("b.py", 1)])
    result = apply_policy(policy, Report(models=[quiet, loud]), today=TODAY)
    assert {(v.model, v.rule) for v in result.violations} == {("m/l", "non-commercial"), ("m/k", "user-cap")}
    (w,) = result.waived
    assert (w.model, w.rule) == ("m/l", "user-cap")
    assert "openscope: ignore[user-cap]" in w.reason and "app.py:3" in w.reason and "train.py:9" in w.reason


# ---------------------------------------------------------------- pyproject, schema


@pytest.mark.parametrize("text, key", [('tool = "x"\n', "tool"), ('[tool]\nopenscope = "x"\n', "tool.openscope")])
def test_a_pyproject_whose_tool_is_not_a_table_is_an_error_not_a_crash(tmp_path, text, key):
    path = write(tmp_path, text, name="pyproject.toml")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert info.value.key == key
    with pytest.raises(PolicyError) as info:  # found by searching upward, the same error
        load_policy(start=tmp_path)
    assert info.value.key == key


def test_policy_schema_is_generated_and_validates_the_shipped_policies():
    import tomllib

    import jsonschema

    from openscope.policy import DEFAULT_POLICY, PRESETS_DIR, STARTER_POLICY, policy_schema

    schema = policy_schema()
    assert schema["title"] == "openscope policy"
    props = schema["properties"]
    assert {"allow-spectrum", "deny-flags", "allow-licenses", "preset", "extend", "exceptions"} <= set(props)
    for path in (DEFAULT_POLICY, STARTER_POLICY, *PRESETS_DIR.glob("*.toml")):
        jsonschema.validate(tomllib.loads(path.read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"deny-flags": ["non-comercial"]}, schema)


def test_files_shipped_with_openscope_read_unvalidated_give_the_validated_policy():
    # The built-in default and the presets are merged without pydantic on every run (the warm `check`
    # path); this test is the validation they skip, and it requires the two readings to be the same.
    import tomllib
    from pathlib import Path

    from openscope.policy import DEFAULT_POLICY, PRESETS_DIR

    for path in (DEFAULT_POLICY, *PRESETS_DIR.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        validated = parse_policy(data, path)
        trusted = parse_policy(data, path, trusted=True)
        assert trusted == validated and trusted.layers == validated.layers, path.name
    assert load_policy(start=Path("/")).deny_flags == parse_policy(
        tomllib.loads(DEFAULT_POLICY.read_text(encoding="utf-8")), DEFAULT_POLICY).deny_flags


def test_a_user_policy_is_still_validated_when_it_starts_from_a_preset(tmp_path):
    with pytest.raises(PolicyError) as info:
        load_policy(write(tmp_path, 'preset = "commercial-saas"\ndeny-flags = ["non-comercial"]\n'))
    assert info.value.key == "deny-flags"


# ---------------------------------------------------------------- licenses, presets, extend


def test_license_families_and_categories_are_validated_against_the_catalog(tmp_path):
    ok = load_policy(write(tmp_path, 'allow-licenses = ["permissive", "llama", "Apache-2.0"]\n'
                                     'deny-licenses = ["cc-nc", "non-commercial", "agpl-3.0"]\n'))
    assert ok.allow_licenses == ("permissive", "llama", "Apache-2.0")
    with pytest.raises(PolicyError) as info:
        load_policy(write(tmp_path, 'deny-licenses = ["lama"]\n'))
    assert info.value.key == "deny-licenses" and "'lama'" in info.value.problem and "llama" in info.value.problem


def lic(key):
    from openscope.types import LicenseInfo

    return LicenseInfo(key, key, "declared", 1.0)


def test_family_and_category_rules_block_the_right_models():
    policy = parse_policy({"allow-licenses": ["permissive", "llama"], "deny-licenses": ["cc-nc"]}, "openscope.toml")
    report = Report(models=[
        model("a/mit", license=lic("mit")),
        model("b/llama", license=lic("llama3.1")),
        model("c/gemma", license=lic("gemma")),
        model("d/nc", license=lic("cc-by-nc-4.0")),
        # A relabelled fine-tune: MIT on the card, Llama's terms over the weights; both are allowed.
        model("e/relabel", license=lic("mit"), effective_license=lic("llama3.1")),
        # Two licenses on one card: the non-commercial one is denied.
        model("f/two", license=lic("apache-2.0"), licenses=[lic("apache-2.0"), lic("cc-by-nc-sa-4.0")]),
    ])
    result = apply_policy(policy, report, today=TODAY)
    got = {(v.model, v.rule) for v in result.violations}
    assert got == {("c/gemma", "license"), ("d/nc", "license"), ("f/two", "license")}
    messages = {v.model: v.message for v in result.violations}
    assert "not in allow-licenses" in messages["c/gemma"] and "cc-nc" in messages["d/nc"]


def test_categories_cover_osi_copyleft_custom_ai_and_api_terms():
    from openscope.policy import license_groups_of

    assert {"osi", "permissive", "apache-2.0"} <= license_groups_of("apache-2.0")
    assert {"copyleft", "gpl"} <= license_groups_of("agpl-3.0")
    assert "custom-ai" in license_groups_of("llama3.1") and "osi" not in license_groups_of("llama3.1")
    assert {"non-commercial", "cc-nc", "cc"} <= license_groups_of("cc-by-nc-4.0")
    assert "custom-ai" not in license_groups_of("cc-by-nc-4.0")
    assert "api-terms" in license_groups_of("openai-tou-2024")


def test_presets_are_data_and_a_policy_overrides_them_key_by_key(tmp_path):
    from openscope.policy import preset_names

    assert set(preset_names()) >= {"commercial-saas", "internal-research", "redistribute-weights"}
    saas = load_policy(write(tmp_path, 'preset = "commercial-saas"\n'))
    assert "hosting-restriction" in saas.deny_flags and saas.unknown == "fail"
    assert saas.layers[0] == "preset commercial-saas" and saas.layers[1].endswith("openscope.toml")
    tuned = load_policy(write(tmp_path, 'preset = "commercial-saas"\nwarn-flags = ["hosting-restriction"]\n'
                                        'unknown = "warn"\n'))
    # The nearer file decides the flag: it leaves the preset's deny list, the rest of the preset stays.
    assert "hosting-restriction" not in tuned.deny_flags and "non-commercial" in tuned.deny_flags
    assert tuned.warn_flags == ("hosting-restriction",) and tuned.unknown == "warn"
    with pytest.raises(PolicyError) as info:
        load_policy(write(tmp_path, 'preset = "saas"\n'))
    assert info.value.key == "preset" and "commercial-saas" in info.value.problem


def test_a_preset_blocks_the_right_models():
    policy = parse_policy({"preset": "redistribute-weights"}, "openscope.toml")
    report = Report(models=[model("a/ok", flags=["attribution"]), model("b/locked", flags=["no-redistribution"]),
                            ModelReport(ref="gpt-4o", id="openai:gpt-4o", kind="api", provenance="registry",
                                        spectrum="closed-api")])
    result = apply_policy(policy, report, today=TODAY)
    assert {(v.model, v.rule) for v in result.violations if v.severity == "error"} == {
        ("b/locked", "no-redistribution"), ("openai:gpt-4o", "spectrum")}


def test_extend_a_shared_file_with_exceptions_adding_up(tmp_path):
    shared = tmp_path / "org"
    shared.mkdir()
    write(shared, 'preset = "commercial-saas"\ndeny-licenses = ["cc-nc"]\n[[exceptions]]\nmodel = "a/*"\n'
                  'flags = ["naming"]\nreason = "org-wide, LEGAL-1"\n', name="base.toml")
    repo = tmp_path / "repo"
    repo.mkdir()
    policy = load_policy(write(repo, 'extend = "../org/base.toml"\nallow-spectrum = ["open-weights"]\n'
                                     '[[exceptions]]\nmodel = "b/*"\nflags = ["user-cap"]\nreason = "repo, LEGAL-2"\n'))
    assert policy.deny_licenses == ("cc-nc",) and "non-commercial" in policy.deny_flags
    assert policy.allow_spectrum == ("open-weights",)
    assert [e.model for e in policy.exceptions] == ["a/*", "b/*"]
    assert policy.layers[0] == "preset commercial-saas" and policy.layers[-1].endswith("openscope.toml")


@pytest.mark.parametrize("text, problem", [
    ('extend = "https://example.org/policy.toml"\n', "URLs are not fetched"),
    ('extend = "nope.toml"\n', "no such policy file"),
    ('extend = "openscope.toml"\n', "extends itself"),
    ('extend = 3\n', "path"),
])
def test_bad_extend_is_an_input_error(tmp_path, text, problem):
    with pytest.raises(PolicyError) as info:
        load_policy(write(tmp_path, text))
    assert info.value.key == "extend" and problem in info.value.problem


def test_an_error_in_an_extended_file_names_that_file(tmp_path):
    write(tmp_path, 'deny-flags = ["non-comercial"]\n', name="shared.toml")
    with pytest.raises(PolicyError) as info:
        load_policy(write(tmp_path, 'extend = "shared.toml"\n'))
    assert info.value.path.endswith("shared.toml") and info.value.key == "deny-flags"


def test_fail_on_makes_a_policy_of_flags_spectra_and_unknown():
    from openscope.errors import InputError
    from openscope.policy import apply_fail_on, fail_on_policy

    policy = fail_on_policy(["non-commercial,closed-api"])
    report = Report(models=[model("x/nc", flags=["non-commercial", "naming"]),
                            model("y/bare", license_status="unknown"),
                            ModelReport(ref="gpt-4o", id="openai:gpt-4o", kind="api", provenance="registry",
                                        spectrum="closed-api")])
    report.policy = apply_fail_on(policy, report)
    assert {(v.model, v.rule) for v in report.policy.violations} == {("x/nc", "non-commercial"),
                                                                     ("openai:gpt-4o", "spectrum")}
    assert exit_code(report, gate=False) == ExitCode.POLICY_VIOLATED
    only_unknown = Report(models=[model("y/bare", license_status="unknown")])
    only_unknown.policy = apply_fail_on(fail_on_policy(["unknown"]), only_unknown)
    assert exit_code(only_unknown, gate=False) == ExitCode.UNASSESSED
    with pytest.raises(InputError, match="--fail-on: unknown rule 'nc'"):
        fail_on_policy(["nc"])
