"""`openscope check`: exit codes, outputs and the GitHub Action's check step.

Two layers: the command in-process with the scan replaced by hand-built reports (every exit code,
deterministic), and the real command in a temporary git repository (scan + assess + policy, offline).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from openscope.cli import cli
from openscope.types import ErrorInfo, FlagFinding, Location, ModelReport, Report

ROOT = Path(__file__).resolve().parents[1]
SARIF_SCHEMA = ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json"

# ---------------------------------------------------------------- in-process, scan replaced


def hub(mid, flags=(), spectrum="open-weights", error=None, path="app.py", line=1):
    return ModelReport(ref=mid, id=mid, kind="hub", provenance="registry", spectrum=spectrum,
                       flags=[FlagFinding(flag=f) for f in flags], error=error,
                       locations=[Location(path=path, line=line)])


@pytest.fixture
def fake_scan(monkeypatch, tmp_path):
    """Replace pipeline.scan; the test sets `.models`; calls are recorded."""
    monkeypatch.chdir(tmp_path)

    class Fake:
        models: list = []
        calls: list = []

        def __call__(self, paths, *, offline=False, since=None, progress=False, **scan_options):
            self.calls.append({"paths": tuple(paths), "offline": offline, "since": since})
            return Report(models=list(self.models))

    fake = Fake()
    fake.calls = []
    monkeypatch.setattr("openscope.api.scan", fake)
    return fake


def run_cli(*args):
    return CliRunner().invoke(cli, ["check", *args], catch_exceptions=False)


def policy_file(tmp_path, text):
    (tmp_path / "openscope.toml").write_text(textwrap.dedent(text), encoding="utf-8")


def test_passes_with_exit_0_and_a_summary_line(fake_scan, tmp_path):
    policy_file(tmp_path, 'deny-flags = ["non-commercial"]\n')
    fake_scan.models = [hub("a/ok", flags=["attribution"])]
    result = run_cli("--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["policy"]["passed"] is True and report["policy"]["violations"] == []
    assert "check passed" in result.stderr and "policy openscope.toml" in result.stderr
    assert fake_scan.calls == [{"paths": (".",), "offline": False, "since": None}]


def test_violation_exits_1_and_lists_each_violation_on_stderr(fake_scan, tmp_path):
    policy_file(tmp_path, 'deny-flags = ["non-commercial"]\nwarn-flags = ["naming"]\n')
    fake_scan.models = [hub("a/nc", flags=["non-commercial", "naming"])]
    result = run_cli("--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["policy"]["passed"] is False
    lines = result.stderr.splitlines()
    # Each line names where the model is referenced, as a linter names file:line.
    assert lines[0].startswith("openscope: error: [non-commercial] app.py:1: a/nc")
    assert lines[1].startswith("openscope: warning: [naming] app.py:1: a/nc")
    assert "check FAILED: 1 error(s), 1 warning(s)" in lines[-1]


def test_warn_only_reports_but_exits_0(fake_scan, tmp_path):
    policy_file(tmp_path, 'deny-flags = ["non-commercial"]\n')
    fake_scan.models = [hub("a/nc", flags=["non-commercial"])]
    result = run_cli("--warn-only", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["policy"]["passed"] is False
    assert "--warn-only" in result.stderr


@pytest.mark.parametrize("mode, code, verdict", [("warn", 0, "check passed"), ("fail", 3, "check FAILED")])
def test_unassessed_models_pass_when_unknown_is_warn_and_exit_3_when_it_fails(fake_scan, tmp_path, mode, code,
                                                                               verdict):
    policy_file(tmp_path, f'unknown = "{mode}"\n')
    fake_scan.models = [hub("a/ok"), hub("x/gated", spectrum="unknown",
                                          error=ErrorInfo(code="gated", message="x/gated: gated, no token")),
                        ModelReport(ref="x/bare", id="x/bare", kind="hub", provenance="registry",
                                    spectrum="open-weights", license_status="unknown",
                                    license_status_reason="declares no license",
                                    locations=[Location(path="cfg.yaml", line=7)])]
    result = run_cli("--format", "json")
    assert result.exit_code == code  # the words and the exit code agree
    assert verdict in result.stderr.splitlines()[-1]
    severity = "warning" if mode == "warn" else "error"
    assert f"openscope: {severity}: [unknown] cfg.yaml:7: x/bare: its terms are unknown" in result.stderr
    assert len(json.loads(result.stdout)["models"]) == 3  # the rest is still reported


def test_unknowns_beside_a_real_violation_exit_1(fake_scan, tmp_path):
    policy_file(tmp_path, 'deny-flags = ["non-commercial"]\n')
    fake_scan.models = [hub("a/nc", flags=["non-commercial"]),
                        hub("x/gone", spectrum="unknown",
                            error=ErrorInfo(code="not-found", message="x/gone: not found"))]
    assert run_cli("--format", "json").exit_code == 1


def test_inline_ignore_is_honoured_and_shown_as_waived(fake_scan, tmp_path):
    policy_file(tmp_path, 'deny-flags = ["non-commercial"]\n')
    model = hub("a/nc", flags=["non-commercial"])
    model.locations = [Location(path="app.py", line=3, ignore=["non-commercial"])]
    fake_scan.models = [model]
    result = run_cli("--format", "json")
    assert result.exit_code == 0
    (waived,) = json.loads(result.stdout)["policy"]["waived"]
    assert waived["rule"] == "non-commercial" and "app.py:3" in waived["reason"]
    assert "waived: [non-commercial] a/nc" in result.stderr


def test_a_pyproject_with_tool_as_a_string_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('tool = "x"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--offline"])
    assert result.exit_code == 2
    assert "pyproject.toml: tool: must be a table" in result.stderr and "Traceback" not in result.stderr


# Each broken policy case, named, with the key the one-line error must name.
BROKEN_POLICIES = {
    "unknown-key": ('deny_flags = ["non-commercial"]\n', "deny_flags"),
    "unknown-flag": ('deny-flags = ["commercial"]\n', "deny-flags"),
    "unknown-spectrum": ('allow-spectrum = ["open-source"]\n', "allow-spectrum"),
    "wrong-type": ('unknown = true\n', "unknown"),
    "missing-reason": ('[[exceptions]]\nmodel = "a/b"\nflags = ["naming"]\nexpires = 2027-01-01\n',
                       "exceptions[0].reason"),
    "bad-date": ('[[exceptions]]\nmodel = "a/b"\nflags = ["naming"]\nreason = "ok"\nexpires = "soon"\n',
                 "exceptions[0].expires"),
    "not-toml": ("deny-flags = [\n", "invalid TOML"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_POLICIES))
def test_broken_policy_exits_2_before_scanning(fake_scan, tmp_path, case):
    text, key = BROKEN_POLICIES[case]
    policy_file(tmp_path, text)
    result = run_cli()
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("openscope: error: openscope.toml: ") and key in line
    assert fake_scan.calls == []


def test_missing_policy_given_with_option_exits_2(fake_scan, tmp_path):
    result = run_cli("--policy", "nowhere.toml")
    assert result.exit_code == 2 and "nowhere.toml: policy file not found" in result.stderr


def test_no_policy_file_uses_the_builtin_default_and_says_so(fake_scan, tmp_path, monkeypatch):
    monkeypatch.setattr("openscope.policy.find_policy", lambda start=None: None)
    fake_scan.models = [hub("a/nc", flags=["non-commercial"])]
    result = run_cli("--format", "json")
    assert "built-in default policy" in result.stderr
    assert result.exit_code == 1  # the default denies non-commercial


def test_diff_and_offline_reach_the_scan(fake_scan, tmp_path):
    policy_file(tmp_path, "")
    (tmp_path / "src").mkdir()
    run_cli("src", "--diff", "origin/main", "--offline", "--format", "json")
    assert fake_scan.calls == [{"paths": ("src",), "offline": True, "since": "origin/main"}]


def test_quiet_prints_no_report_and_markdown_summary_is_appended(fake_scan, tmp_path):
    policy_file(tmp_path, 'deny-flags = ["non-commercial"]\n')
    fake_scan.models = [hub("a/nc", flags=["non-commercial"])]
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    result = run_cli("--quiet", "--markdown-summary", str(summary))
    assert result.exit_code == 1 and result.stdout == ""
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## openscope check: ❌ failed")


def test_sarif_output_file(fake_scan, tmp_path):
    policy_file(tmp_path, 'deny-flags = ["non-commercial"]\n')
    fake_scan.models = [hub("a/nc", flags=["non-commercial"], path="src/app.py", line=7)]
    result = run_cli("--format", "sarif", "--output", "out.sarif")
    assert result.exit_code == 1 and result.stdout == ""
    doc = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    (res,) = doc["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == 7


# ---------------------------------------------------------------- the real command in a git repo

APP = """\
from openai import OpenAI

client = OpenAI()
reply = client.chat.completions.create(model="gpt-4o", messages=[])
"""
CARD = "---\nlicense: cc-by-nc-4.0\n---\n# Tiny research model\nA made-up folder for openscope's tests.\n"
POLICY = """\
allow-spectrum = ["open-weights", "fully-open", "closed-api"]
deny-flags = ["non-commercial"]
unknown = "fail"
"""
EXCEPTION = """
[[exceptions]]
model = "./models/tiny-nc"
flags = ["non-commercial"]
reason = "Internal evaluation only, approved in LEGAL-7"
expires = 2099-12-31
"""


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"})


@pytest.fixture
def repo(tmp_path):
    repo = tmp_path / "repo"
    (repo / "models" / "tiny-nc").mkdir(parents=True)
    (repo / "app.py").write_text(APP, encoding="utf-8")
    (repo / "models" / "tiny-nc" / "README.md").write_text(CARD, encoding="utf-8")
    (repo / "models.txt").write_text("# models we ship\n\n./models/tiny-nc\n", encoding="utf-8")
    (repo / "openscope.toml").write_text(POLICY, encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    return repo


def openscope(repo, *args):
    return subprocess.run([sys.executable, "-m", "openscope", "check", "--offline", *args], cwd=repo,
                          capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})


@pytest.mark.slow
def test_real_check_fails_on_denied_flag_with_sarif_at_file_and_line(repo):
    proc = openscope(repo, "--format", "sarif", "--output", "out.sarif")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads((repo / "out.sarif").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(doc)
    denied = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "non-commercial"]
    assert len(denied) == 1 and denied[0]["level"] == "error"
    loc = denied[0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "models.txt" and loc["region"]["startLine"] == 3
    assert "[non-commercial]" in proc.stderr


@pytest.mark.slow
def test_real_check_of_a_subfolder_locates_results_from_the_working_directory(repo):
    # Code scanning reads SARIF paths from the repository root, where CI runs the check.
    proc = subprocess.run([sys.executable, "-m", "openscope", "check", "--offline", "--policy",
                           "repo/openscope.toml", "--format", "sarif", "repo"], cwd=repo.parent,
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    (denied,) = [r for r in json.loads(proc.stdout)["runs"][0]["results"] if r["ruleId"] == "non-commercial"]
    loc = denied["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "repo/models.txt" and loc["region"]["startLine"] == 3


@pytest.mark.slow
def test_real_check_passes_once_a_reviewed_exception_covers_it(repo):
    with open(repo / "openscope.toml", "a", encoding="utf-8") as fh:
        fh.write(EXCEPTION)
    proc = openscope(repo, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    policy = json.loads(proc.stdout)["policy"]
    assert policy["passed"] is True
    (waiver,) = policy["waived"]
    assert waiver["rule"] == "non-commercial" and "LEGAL-7" in waiver["reason"]


@pytest.mark.slow
def test_real_check_expired_exception_fails_and_names_the_date(repo):
    with open(repo / "openscope.toml", "a", encoding="utf-8") as fh:
        fh.write(EXCEPTION.replace("2099-12-31", "2020-01-31"))
    proc = openscope(repo, "--format", "json")
    assert proc.returncode == 1
    (v,) = json.loads(proc.stdout)["policy"]["violations"]
    assert v["rule"] == "exception-expired" and "expired on 2020-01-31" in v["message"]


@pytest.mark.slow
def test_real_check_broken_policy_exits_2(repo):
    (repo / "openscope.toml").write_text('deny-flags = ["non-comercial"]\n', encoding="utf-8")
    proc = openscope(repo)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("openscope: error: openscope.toml: deny-flags: unknown flag 'non-comercial'; "
                                   "expected one of " + ", ".join(yaml.safe_load(
                                       (ROOT / "src/openscope/licenses/flags.yaml").read_text())["flags"]))


@pytest.mark.slow
def test_real_check_diff_sees_only_references_added_since_the_base(repo):
    # The base already violates the policy; a new commit adds only an allowed API model.
    (repo / "more.py").write_text('client.chat.completions.create(model="gpt-4o-mini", messages=[])\n',
                                  encoding="utf-8")
    git(repo, "add", "more.py")
    git(repo, "commit", "-q", "-m", "add a model")
    proc = openscope(repo, "--diff", "HEAD~1", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert [m["ref"] for m in json.loads(proc.stdout)["models"]] == ["gpt-4o-mini"]
    full = openscope(repo, "--format", "json")
    assert full.returncode == 1 and len(json.loads(full.stdout)["models"]) == 3


# ---------------------------------------------------------------- the GitHub Action


def action():
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def step(doc, step_id):
    return next(s for s in doc["runs"]["steps"] if s.get("id") == step_id)


def test_action_is_composite_and_fails_only_after_uploading():
    doc = action()
    assert doc["runs"]["using"] == "composite"
    steps = doc["runs"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert uses[0].startswith("actions/setup-python@")
    install = step(doc, "install")["run"]
    assert "pip install" in install and "$GITHUB_ACTION_PATH" in install
    check = step(doc, "check")
    assert "openscope check" in check["run"] and '--format "sarif:' in check["run"]
    assert "$GITHUB_STEP_SUMMARY" in check["run"]
    upload = next(i for i, u in enumerate(uses) if u.startswith("github/codeql-action/upload-sarif@"))
    fail = len(steps) - 1
    assert upload < fail and "always()" in steps[upload]["if"] and "always()" in steps[fail]["if"]
    assert "steps.check.outputs.exit-code" in steps[fail]["env"]["CHECK_EXIT_CODE"]
    assert set(doc["inputs"]) >= {"paths", "policy", "diff-base", "warn-only", "upload-sarif", "hf-token"}
    assert set(doc["outputs"]) >= {"exit-code", "sarif-file", "markdown-file", "report-files"}


def test_action_caches_pip_per_version_and_the_model_records():
    doc = action()
    caches = [s for s in doc["runs"]["steps"] if s.get("uses", "").startswith("actions/cache@")]
    keys = [c["with"]["key"] for c in caches]
    assert any("pip" in k and "steps.version.outputs.version" in k for k in keys)
    records = next(c for c in caches if "records" in c["with"]["key"])
    assert "openscope-cache" in records["with"]["path"] and records["with"]["restore-keys"]
    assert "OPENSCOPE_CACHE=" in step(doc, "version")["run"]


def test_action_passes_the_token_only_through_the_environment():
    check = step(action(), "check")
    assert check["env"]["INPUT_HF_TOKEN"] == "${{ inputs.hf-token }}"
    assert 'export HF_TOKEN="$INPUT_HF_TOKEN"' in check["run"] and "::add-mask::" in check["run"]
    assert "set -x" not in check["run"] and "HF_TOKEN" not in check["run"].split("openscope check", 1)[1]


def test_action_skips_sarif_upload_with_a_note_where_the_token_cannot_write():
    steps = action()["runs"]["steps"]
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    note = next(s for s in steps if s.get("name", "").startswith("Note why SARIF"))
    fork = "github.event.pull_request.head.repo.full_name != github.repository"
    assert fork in upload["if"] and "!(" in upload["if"] and fork in note["if"]
    assert "dependabot" in upload["if"] and "::notice" in note["run"]


@pytest.mark.parametrize("code,job", [("0", 0), ("1", 1), ("2", 2), ("3", 3), ("", 2)])
def test_action_fails_the_job_by_the_policys_exit_semantics(code, job, tmp_path):
    last = action()["runs"]["steps"][-1]
    proc = subprocess.run(["bash", "-e", "-c", last["run"]], env={**os.environ, "CHECK_EXIT_CODE": code},
                          capture_output=True, text=True)
    assert proc.returncode == job, proc.stderr  # exit 3 is a failure (unknown = "fail"); "warn" exits 0


@pytest.mark.slow
def test_action_check_step_runs_and_records_the_exit_code(repo, tmp_path):
    """Run the action's own check script with the environment GitHub gives a step."""
    check_step = step(action(), "check")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "openscope"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m openscope "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    out, summary = tmp_path / "github_output", tmp_path / "summary.md"
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "GITHUB_OUTPUT": str(out),
           "GITHUB_STEP_SUMMARY": str(summary), "OPENSCOPE_PATHS": ".", "OPENSCOPE_POLICY": "",
           "OPENSCOPE_DIFF_BASE": "", "OPENSCOPE_SARIF": "openscope.sarif", "INPUT_OFFLINE": "true",
           "INPUT_WARN_ONLY": "false", "OPENSCOPE_MARKDOWN": "openscope.md", "OPENSCOPE_CYCLONEDX": "bom.json",
           "INPUT_HF_TOKEN": "hf_notarealtoken123"}
    proc = subprocess.run(["bash", "-e", "-c", check_step["run"]], cwd=repo, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr  # the step itself succeeds; the last step fails the job
    outputs = out.read_text(encoding="utf-8")
    assert outputs.splitlines()[0] == "exit-code=1"
    assert "openscope.sarif\nopenscope.md\nbom.json\n" in outputs  # report-files, one per line
    assert (repo / "openscope.md").is_file() and (repo / "bom.json").is_file()
    assert "hf_notarealtoken123" not in proc.stdout.replace("::add-mask::hf_notarealtoken123", "") + proc.stderr
    assert json.loads((repo / "openscope.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
    assert summary.read_text(encoding="utf-8").startswith("## openscope check: ❌ failed")


@pytest.mark.slow
def test_one_check_run_writes_every_format_and_each_validates(tmp_path):
    """The sample repository, one `check` run: SARIF, Markdown, CycloneDX and SPDX files plus JSON on stdout,
    all from one assessment, each validated against its published schema."""
    import io

    import jsonschema_rs
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from spdx_python_model import v3_0_1 as spdx

    sample = ROOT / "tests" / "fixtures" / "sample_repo"
    if not sample.is_dir():
        pytest.skip("tests/fixtures/sample_repo is not there")
    repo = tmp_path / "sample"
    shutil.copytree(sample, repo)
    (repo / "openscope.toml").write_text('unknown = "warn"\ndeny-flags = ["non-commercial"]\n', encoding="utf-8")
    proc = openscope(repo, "--format", "sarif:out.sarif", "--format", "markdown:summary.md",
                     "--format", "cyclonedx:bom.json", "-f", "spdx:doc.spdx.json", "--format", "json")
    assert proc.returncode in (0, 1, 3), proc.stderr
    models = json.loads(proc.stdout)["models"]
    assert models
    names = {m["ref"] if m["ref"].startswith((m["id"] or "") + "@") else m["id"] for m in models}

    sarif = json.loads((repo / "out.sarif").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(sarif)
    for result in sarif["runs"][0]["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert (repo / uri).is_file(), uri  # every annotation points at a file of the repository

    bom_text = (repo / "bom.json").read_text(encoding="utf-8")
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(bom_text)
    assert error is None, getattr(getattr(error, "data", None), "message", error)
    refs = {c["bom-ref"] for c in json.loads(bom_text)["components"]}
    assert {f"model:{n}" for n in names} <= refs  # one component per model, by name; bases and datasets beside

    spdx_text = (repo / "doc.spdx.json").read_text(encoding="utf-8")
    schema = json.loads((ROOT / "tests" / "schemas" / "spdx-json-schema-3.0.1.json").read_text(encoding="utf-8"))
    jsonschema_rs.Draft202012Validator(schema).validate(json.loads(spdx_text))
    objects = spdx.SHACLObjectSet()
    spdx.JSONLDDeserializer().read(io.StringIO(spdx_text), objects)
    spdx.JSONLDSerializer().write(objects, io.BytesIO())
    assert {p.name for p in objects.foreach_type(spdx.ai_AIPackage)} >= {m["id"] for m in models}

    md = (repo / "summary.md").read_text(encoding="utf-8")
    assert md.startswith("## openscope check") and len(md) < 65536
