"""Markdown, SARIF and CycloneDX renderings of hand-built reports; SARIF and CycloneDX are validated
against their published JSON schemas (tests/schemas/, cyclonedx-python-lib's bundled 1.6 schema)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from openscope.policy import Policy, PolicyException, apply_policy
from openscope.render.interface import render
from openscope.types import (
    ErrorInfo,
    Evidence,
    FlagFinding,
    LicenseFileReport,
    LicenseInfo,
    LicenseReport,
    Location,
    ModelReport,
    Report,
)
from openscope.vocabulary import flag_defs

SCHEMAS = Path(__file__).parent / "schemas"
TODAY = dt.date(2026, 1, 15)


@pytest.fixture(scope="module")
def sarif_schema():
    return json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def validate_sarif(text, schema) -> dict:
    doc = json.loads(text)
    jsonschema.Draft4Validator(schema).validate(doc)
    return doc


def validate_cyclonedx(text) -> dict:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, getattr(getattr(error, "data", None), "message", error)
    return json.loads(text)


def nc_flag():
    return FlagFinding(flag="non-commercial", source="rules",
                       evidence=[Evidence(file="LICENSE", section="3", quote="only for research | not products")])


def cap_flag():
    return FlagFinding(flag="user-cap", thresholds={"users": 700000000}, source="catalog",
                       evidence=[Evidence(file="LICENSE", section="2", quote="a made-up cap clause")])


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A tiny repository: app.py references two models; the policy file sits at its root."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(
        'import x\n\nMODEL = "acme/research-only@Main"\nOTHER = "meta/big-model"\n', encoding="utf-8")
    (tmp_path / "openscope.toml").write_text('deny-flags = ["non-commercial"]\n', encoding="utf-8")
    return tmp_path


def sample_report(workdir, *, exceptions=()):
    nc = ModelReport(ref="acme/research-only@Main", id="acme/research-only", kind="hub", provenance="local",
                     spectrum="open-weights", confidence=0.9, osi_open=False,
                     license=LicenseInfo("cc-by-nc-4.0", "Creative Commons Attribution Non Commercial 4.0",
                                         "declared", 1.0, "https://creativecommons.org/licenses/by-nc/4.0/"),
                     flags=[nc_flag()], locations=[Location(path="src/app.py", line=3)])
    big = ModelReport(ref="meta/big-model", id="meta/big-model", kind="hub", provenance="registry",
                      spectrum="open-weights", osi_open=False,
                      license=LicenseInfo("llama3.1", "Llama 3.1 Community License Agreement", "text", 0.95,
                                          "https://example.org/llama-license"),
                      flags=[cap_flag()], locations=[Location(path=str(workdir / "src" / "app.py"), line=4)])
    api = ModelReport(ref="gpt-4o", id="gpt-4o", kind="api", provenance="registry", spectrum="closed-api")
    report = Report(models=[nc, big, api])
    policy = Policy(allow_spectrum=("open-weights", "fully-open"), deny_flags=("non-commercial",),
                    warn_flags=("user-cap",), exceptions=tuple(exceptions), source="openscope.toml")
    report.policy = apply_policy(policy, report, today=TODAY)
    return report


# ---------------------------------------------------------------- SARIF


def results_by(doc, rule):
    return [r for r in doc["runs"][0]["results"] if r["ruleId"] == rule]


def test_sarif_check_results_sit_at_the_reference_and_validate(workdir, sarif_schema):
    doc = validate_sarif(render(sample_report(workdir), "sarif"), sarif_schema)
    assert doc["version"] == "2.1.0"
    (nc,) = results_by(doc, "non-commercial")
    loc = nc["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "src/app.py", "uriBaseId": "%SRCROOT%"}
    assert loc["region"]["startLine"] == 3
    assert nc["level"] == "error" and "acme/research-only" in nc["message"]["text"]
    # Paths are made relative once, by the scanner; an absolute one (outside the scanned base) stays a file URI.
    (cap,) = results_by(doc, "user-cap")
    cap_loc = cap["locations"][0]["physicalLocation"]
    assert cap_loc["artifactLocation"] == {"uri": (workdir / "src" / "app.py").as_uri()}
    assert cap_loc["region"]["startLine"] == 4
    assert cap["level"] == "warning" and "700,000,000" in cap["message"]["text"]
    base = doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base.startswith("file://") and base.endswith("/")


def test_sarif_rules_carry_help_from_the_flag_vocabulary(workdir, sarif_schema):
    doc = validate_sarif(render(sample_report(workdir), "sarif"), sarif_schema)
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert {"non-commercial", "user-cap", "spectrum"} <= set(rules)
    nc_def = flag_defs()["non-commercial"]
    assert rules["non-commercial"]["shortDescription"]["text"] == nc_def.title
    assert nc_def.description in rules["non-commercial"]["help"]["text"]
    assert rules["spectrum"]["help"]["text"]
    for r in doc["runs"][0]["results"]:
        assert rules[r["ruleId"]] is doc["runs"][0]["tool"]["driver"]["rules"][r["ruleIndex"]]


def test_sarif_model_without_location_is_attached_to_the_policy_file(workdir, sarif_schema):
    doc = validate_sarif(render(sample_report(workdir), "sarif"), sarif_schema)
    (spectrum,) = results_by(doc, "spectrum")
    assert "gpt-4o" in spectrum["message"]["text"]
    loc = spectrum["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "openscope.toml" and "region" not in loc


def test_sarif_without_policy_file_leaves_result_locationless(workdir, sarif_schema):
    (workdir / "openscope.toml").unlink()
    doc = validate_sarif(render(sample_report(workdir), "sarif"), sarif_schema)
    (spectrum,) = results_by(doc, "spectrum")
    assert "locations" not in spectrum


def test_sarif_waived_rule_is_a_suppressed_result_with_the_reason(workdir, sarif_schema):
    exc = PolicyException(model="acme/*", rules=("non-commercial",), reason="legal ticket L-1",
                          expires=dt.date(2026, 3, 1))
    doc = validate_sarif(render(sample_report(workdir, exceptions=[exc]), "sarif"), sarif_schema)
    (nc,) = results_by(doc, "non-commercial")
    (sup,) = nc["suppressions"]
    assert sup["kind"] == "external" and "legal ticket L-1" in sup["justification"] and "2026-03-01" in sup[
        "justification"]
    assert doc["runs"][0]["properties"]["policy"]["passed"] is False  # gpt-4o still violates allow-spectrum


def test_sarif_fingerprints_follow_line_text_not_line_number(workdir):
    first = json.loads(render(sample_report(workdir), "sarif"))
    app = workdir / "src" / "app.py"
    app.write_text("# a new comment line\n" + app.read_text(encoding="utf-8"), encoding="utf-8")
    moved = sample_report(workdir)
    for m in moved.models:
        for loc in m.locations:
            loc.line += 1
    second = json.loads(render(moved, "sarif"))
    fp = lambda doc, rule: results_by(doc, rule)[0]["partialFingerprints"]  # noqa: E731
    assert fp(first, "non-commercial") == fp(second, "non-commercial")
    assert fp(first, "non-commercial") != fp(first, "user-cap")


def test_sarif_without_policy_uses_flag_severity(workdir, sarif_schema):
    report = sample_report(workdir)
    report.policy = None
    report.models.append(ModelReport(ref="x/gone", id="x/gone", kind="hub", provenance=None,
                                     error=ErrorInfo(code="not-found", message="x/gone: not found")))
    doc = validate_sarif(render(report, "sarif"), sarif_schema)
    levels = {r["ruleId"]: r["level"] for r in doc["runs"][0]["results"]}
    assert levels["non-commercial"] == flag_defs()["non-commercial"].severity
    assert levels["user-cap"] == flag_defs()["user-cap"].severity
    assert levels["unknown"] == "warning"


def test_sarif_license_report_validates(tmp_path, sarif_schema, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "LICENSE").write_text("made-up terms\n", encoding="utf-8")
    report = LicenseReport(licenses=[
        LicenseFileReport(path="LICENSE", flags=[nc_flag()]),
        LicenseFileReport(path="missing.txt", error=ErrorInfo(code="unreadable", message="missing.txt: not found")),
    ])
    doc = validate_sarif(render(report, "sarif"), sarif_schema)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]]
    assert uris == ["LICENSE", "missing.txt"]  # one entry per file, in the order given


def test_sarif_schema_rejects_a_broken_document(sarif_schema):
    # Guards the guard: the stored schema really constrains what we emit.
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(sarif_schema).validate({"version": "2.1.0", "runs": [{"results": []}]})


# ---------------------------------------------------------------- CycloneDX


def components(doc):
    return {c["bom-ref"].split(":", 1)[1].split("@")[0]: c for c in doc["components"]}


def props(component, name):
    return [p["value"] for p in component["properties"] if p["name"] == name]


def test_cyclonedx_ml_bom_validates_and_describes_each_model(workdir):
    doc = validate_cyclonedx(render(sample_report(workdir), "cyclonedx"))
    assert doc["specVersion"] == "1.6" and doc["bomFormat"] == "CycloneDX"
    comps = components(doc)
    assert {c["type"] for c in comps.values()} == {"machine-learning-model"}
    nc = comps["acme/research-only"]
    assert nc["purl"] == "pkg:huggingface/acme/research-only@main"
    assert (nc["group"], nc["name"], nc["version"]) == ("acme", "research-only", "Main")
    assert "purl" not in comps["gpt-4o"]
    assert props(nc, "openscope:spectrum") == ["open-weights"]
    assert props(nc, "openscope:flag") == ["non-commercial"]
    assert props(nc, "openscope:osi_open") == ["false"]
    assert props(nc, "openscope:location") == ["src/app.py:3"]
    assert props(nc["modelCard"], "openscope:component:weights") == ["unknown"]  # openness lives in the model card
    assert props(comps["meta/big-model"], "openscope:flag:user-cap:users") == ["700000000"]
    assert any(p["name"].startswith("openscope:policy:error:") for p in nc["properties"])
    assert all(p["name"].startswith("openscope:") for c in comps.values() for p in c["properties"])


def test_cyclonedx_licenses_use_spdx_id_or_name_and_url(workdir):
    from openscope.catalog import load_catalog

    report = sample_report(workdir)
    spdx = load_catalog().get("apache-2.0").spdx
    report.models[0].license = LicenseInfo("apache-2.0", "Apache License 2.0", "declared", 1.0, spdx=spdx)
    comps = components(validate_cyclonedx(render(report, "cyclonedx")))
    assert comps["acme/research-only"]["licenses"] == [{"license": {"id": spdx, "acknowledgement": "declared"}}]
    custom = comps["meta/big-model"]["licenses"][0]["license"]
    assert custom == {"name": "Llama 3.1 Community License Agreement", "url": "https://example.org/llama-license",
                      "acknowledgement": "concluded"}
    assert "licenses" not in comps["gpt-4o"]


def test_cyclonedx_validator_rejects_a_bad_component():
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    bad = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "components": [{"type": "ml-model", "name": "x"}]}
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(bad)) is not None


# ---------------------------------------------------------------- Markdown


def test_markdown_puts_verdict_and_violations_before_models(workdir):
    md = render(sample_report(workdir), "markdown")
    assert md.startswith("## openscope check: ❌ failed")
    assert md.index("### Violations") < md.index("### Models")
    violations = md[md.index("### Violations"):md.index("### Models")]
    rows = [line for line in violations.splitlines() if line.startswith("| ")][1:]
    assert "error" in rows[0] and "warning" in rows[-1]  # errors first
    assert "`src/app.py:3`" in violations


def test_markdown_has_a_table_per_model_with_thresholds_and_escaped_quotes(workdir):
    md = render(sample_report(workdir), "markdown")
    assert md.count("<details") == 3
    assert "<details><summary><b>acme/research-only" in md  # collapsed: the summary table comes first
    assert "users 700,000,000" in md
    assert "only for research \\| not products" in md  # a pipe in a quote never breaks the table
    for line in md.splitlines():
        if line.startswith("|") and "---" not in line:
            assert line.rstrip().endswith("|")


def test_markdown_lists_waivers_with_reason(workdir):
    exc = PolicyException(model="acme/research-only", rules=("non-commercial",), reason="board approved")
    md = render(sample_report(workdir, exceptions=[exc]), "markdown")
    waived = md[md.index("### Waived"):]
    assert "board approved" in waived and "never" in waived


def test_markdown_for_audit_and_license_reports():
    report = Report(models=[ModelReport(ref="a/b", id="a/b", kind="hub", provenance="registry",
                                        spectrum="fully-open", osi_open=True)])
    md = render(report, "markdown")
    assert md.startswith("## openscope: 1 model(s)") and "### Violations" not in md
    lic = LicenseReport(licenses=[LicenseFileReport(path="LICENSE", flags=[cap_flag()])])
    md = render(lic, "markdown")
    assert "`LICENSE`" in md and "users 700,000,000" in md


def test_sarif_model_referenced_twice_gets_a_result_at_each_place(workdir, sarif_schema):
    first = ModelReport(ref="acme/nc", id="acme/nc", kind="hub", provenance="local", spectrum="open-weights",
                        flags=[nc_flag()], locations=[Location(path="src/app.py", line=3)])
    second = ModelReport(ref="acme/nc", id="acme/nc", kind="hub", provenance="local", spectrum="open-weights",
                         flags=[nc_flag()], locations=[Location(path="models.txt", line=1)])
    report = Report(models=[first, second])
    report.policy = apply_policy(Policy(deny_flags=("non-commercial",)), report, today=TODAY)
    doc = validate_sarif(render(report, "sarif"), sarif_schema)
    places = sorted((r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                     r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in doc["runs"][0]["results"])
    assert places == [("models.txt", 1), ("src/app.py", 3)]


@pytest.mark.parametrize("fmt", ["markdown", "sarif"])
def test_license_command_offers_markdown_and_sarif(tmp_path, monkeypatch, fmt, sarif_schema):
    from click.testing import CliRunner

    from openscope.cli import cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "TERMS.txt").write_text("You may use these weights for research only and not for any commercial "
                                        "purpose.\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["license", "TERMS.txt", "missing.txt", "--format", fmt],
                                catch_exceptions=False)
    assert result.exit_code == 3, result.stderr  # one file unreadable, the other still analysed
    if fmt == "sarif":
        doc = validate_sarif(result.stdout, sarif_schema)
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
        assert "missing.txt" in uris and uris <= {"TERMS.txt", "missing.txt"}
    else:
        assert result.stdout.startswith("## openscope license: 2 file(s)")
        assert "`TERMS.txt`" in result.stdout and "`missing.txt`" in result.stdout


def test_every_format_is_one_module_and_the_cli_offers_exactly_those():
    from click.testing import CliRunner

    from openscope.cli import cli
    from openscope.render.interface import format_names, get_format

    names = format_names()
    assert set(names) >= {"table", "json", "markdown", "sarif", "cyclonedx"}
    for name in names:
        assert get_format(name).name == name  # the module name is the format name
    help_text = CliRunner().invoke(cli, ["audit", "--help"]).output
    assert "[" + "|".join(names) + "]" in " ".join(help_text.split())
    license_names = [n for n in names if get_format(n).render_license_report is not None]
    help_text = CliRunner().invoke(cli, ["license", "--help"]).output
    assert "[" + "|".join(license_names) + "]" in " ".join(help_text.split())


def test_an_unknown_format_is_an_input_error():
    from openscope.errors import InputError
    from openscope.render.interface import get_format

    with pytest.raises(InputError, match="unknown format 'yaml'"):
        get_format("yaml")


def many_models(n: int) -> Report:
    long_quote = "a made-up clause that goes on and on " * 8
    models = []
    for i in range(n):
        flags = [FlagFinding(flag=f, source="rules", thresholds={"users": 700000000} if f == "user-cap" else {},
                             evidence=[Evidence(file="LICENSE", section=str(j + 1), quote=long_quote)])
                 for j, f in enumerate(("user-cap", "use-restrictions", "attribution", "naming"))]
        models.append(ModelReport(ref=f"org{i:03d}/model-{i:03d}", id=f"org{i:03d}/model-{i:03d}", kind="hub",
                                  provenance="registry", spectrum="open-weights", flags=flags,
                                  locations=[Location(path=f"src/app{i}.py", line=i + 1)]))
    return Report(models=models)


def test_markdown_for_100_models_stays_under_the_pr_comment_cap_and_says_what_it_left_out():
    report = many_models(100)
    report.policy = apply_policy(Policy(warn_flags=("user-cap", "naming")), report, today=TODAY)
    md = render(report, "markdown")
    assert len(md) < 65536
    assert md.index("### Violations") < md.index("### Models with problems (100)") < md.index("<details>")
    shown = md.count("<details>")
    assert 0 < shown < 100
    note = md.strip().splitlines()[-1]
    assert note.startswith("_Left out to fit a PR comment") and f"{100 - shown} of 100 model(s)" in note


def test_markdown_small_report_leaves_nothing_out_and_lists_clean_models_in_one_line():
    report = many_models(3)
    report.models.append(ModelReport(ref="a/clean", id="a/clean", kind="hub", provenance="registry",
                                     spectrum="fully-open", osi_open=True))
    md = render(report, "markdown")
    assert "Left out" not in md and md.count("<details>") == 3
    assert "**Clean (1):** `a/clean`" in md and "<b>a/clean" not in md


def test_shell_completion_offers_format_names(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "_OPENSCOPE_COMPLETE": "bash_complete", "COMP_WORDS": "openscope audit --format c",
           "COMP_CWORD": "3"}
    proc = subprocess.run([sys.executable, "-c", "from openscope.cli import main; main()"], env=env,
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.stdout.split() == ["plain,cyclonedx"], proc.stderr


def test_format_with_path_writes_the_file_and_a_second_bare_format_is_refused(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from openscope.cli import cli

    monkeypatch.chdir(tmp_path)
    ok = CliRunner().invoke(cli, ["audit", "gpt-4o", "--offline", "-f", "markdown:out.md", "-f", "json"])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "out.md").read_text(encoding="utf-8").startswith("## openscope: 1 model(s)")
    assert '"schema": "openscope.report/1"' in ok.stdout
    both = CliRunner().invoke(cli, ["audit", "gpt-4o", "--offline", "-f", "markdown", "-f", "json"])
    assert both.exit_code == 2 and "only one format can go to stdout" in both.output
    empty = CliRunner().invoke(cli, ["audit", "gpt-4o", "--offline", "-f", "json:"])
    assert empty.exit_code == 2 and "give a PATH" in empty.output


# ---------------------------------------------------------------- JSON (render/json.py's own encoder)


def test_json_report_is_the_standard_librarys_text(workdir):
    from openscope.api import audit
    from openscope.render.json import render_report

    report = sample_report(workdir)
    report.models[0].locations.append(Location(path="src/app.py", line=9, ignore=["user-cap"]))
    folders = sorted(p for p in (Path(__file__).parent / "fixtures" / "hub" / "acme").iterdir() if p.is_dir())
    report.models += audit([str(p) for p in folders], offline=True).models
    assert render_report(report) == json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("value", [
    {"a": [1, 2.5, -0.0, 1e-07, 1e300, True, False, None, "é \"q\" \\ \n\u2028"], "b": {}, "c": [], "d": [[], {}]},
    {1: "int key", 2.5: "float key", True: "bool key", None: "none key", "": ("tuple", ["nested", {"x": 0}])},
    [float("nan"), float("inf"), -float("inf"), 10**30, "\x00\x1f"],
    "top", 7, None, [],
])
def test_json_dumps_matches_json_dumps_indent_2(value):
    from openscope.render.json import dumps

    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_json_dumps_refuses_what_json_refuses():
    from openscope.render.json import dumps

    with pytest.raises(TypeError):
        dumps({"a": object()})
    with pytest.raises(TypeError):
        dumps({("tuple", "key"): 1})
