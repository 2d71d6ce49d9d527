"""Drift: `openscope diff OLD NEW` and `check --baseline FILE`, through the real CLI, and the comparison itself."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from openscope.drift import compare
from openscope.types import Document, ModelFacts, ModelReport, Report, TermsFile
from test_audit_offline import offline_env

SAMPLE = Path(__file__).parent / "fixtures" / "sample_repo"


def cli(tmp_path, cwd, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "openscope", *args], capture_output=True, text=True,
                          env=offline_env(tmp_path), cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def two_reports(tmp_path_factory):
    """Two scans of the sample repository; between them one model's card changes its license."""
    tmp = tmp_path_factory.mktemp("drift")
    repo = tmp / "repo"
    shutil.copytree(SAMPLE, repo)
    (tmp / "old.json").write_text(cli(tmp, repo, "scan", ".", "--offline", "-f", "json").stdout)
    card = repo / "local-models" / "tiny" / "README.md"
    card.write_text(card.read_text().replace("license: apache-2.0", "license: mit"))
    (tmp / "new.json").write_text(cli(tmp, repo, "scan", ".", "--offline", "-f", "json").stdout)
    return tmp


@pytest.mark.slow
def test_diff_of_the_sample_repo_reports_exactly_the_license_change(two_reports):
    proc = cli(two_reports, two_reports, "diff", "old.json", "new.json", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    diff = json.loads(proc.stdout)
    assert diff["schema"] == "openscope.diff/1"
    assert diff["changes"] == [{"kind": "license-changed", "model": "tiny", "old": "apache-2.0", "new": "mit",
                                "message": "tiny: license changed from apache-2.0 to mit"}]
    text = cli(two_reports, two_reports, "diff", "old.json", "new.json").stdout
    assert "[license-changed] tiny: license changed from apache-2.0 to mit" in text


@pytest.mark.slow
def test_diff_of_a_report_with_itself_is_empty_and_exits_0(two_reports):
    proc = cli(two_reports, two_reports, "diff", "old.json", "old.json")
    assert proc.returncode == 0 and proc.stdout.startswith("no changes")


@pytest.mark.slow
def test_a_baseline_kept_in_the_repository_is_not_scanned_as_references(two_reports):
    # A report names the bases of the models it assessed; scanned as a config it would add them as models.
    repo = two_reports / "repo"
    new = json.loads((two_reports / "new.json").read_text())
    (repo / "openscope-baseline.json").write_text(json.dumps(new))
    try:
        proc = cli(two_reports, repo, "check", ".", "--offline", "--baseline", "openscope-baseline.json", "-f", "json")
    finally:
        (repo / "openscope-baseline.json").unlink()
    report = json.loads(proc.stdout)
    assert report["drift"] == []
    assert sorted(m["ref"] for m in report["models"]) == sorted(m["ref"] for m in new["models"])


@pytest.mark.slow
@pytest.mark.parametrize(("content", "problem"), [
    (None, "no such report file"),
    ("{not json", "not a JSON report (line 1"),
    ('{"schema": "openscope.license/1", "licenses": []}', "not an openscope report (schema 'openscope.license/1'"),
    ('{"schema": "openscope.report/1", "models": [{"id": "x"}]}', "models[0]: expected a model report"),
])
def test_an_unreadable_or_invalid_report_is_exit_2_naming_the_file(two_reports, content, problem):
    bad = two_reports / "bad.json"
    bad.unlink(missing_ok=True)
    if content is not None:
        bad.write_text(content)
    proc = cli(two_reports, two_reports, "diff", "old.json", "bad.json")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("openscope: error: bad.json: ")
    assert problem in proc.stderr and "Traceback" not in proc.stderr


def _model(ref, lic="apache-2.0", flags=(), **extra) -> dict:
    mid = ref.split("@")[0]
    m = {"ref": ref, "id": mid, "kind": "hub", "spectrum": "open-weights", "license": {"id": lic},
         "flags": [{"flag": f, "thresholds": t, "inherited_from": None} for f, t in flags], "warnings": [],
         "error": None, "obligations": []}
    m.update(extra)
    return m


def _report(*models) -> dict:
    return {"schema": "openscope.report/1", "models": list(models)}


def test_compare_names_every_kind_of_change():
    old = _report(_model("a/kept", flags=[("user-cap", {"users": 700}), ("attribution", {})]),
                  _model("a/gone"), _model("a/pinned@v1", terms_files=[{"file": "LICENSE", "sha256": "1" * 64}]))
    conflict = {"code": "license-conflict", "message": "declares mit but derives from x"}
    new = _report(_model("a/kept", flags=[("user-cap", {"users": 350}), ("naming", {})], warnings=[conflict]),
                  _model("a/new", lic="llama3.1"),
                  _model("a/pinned@v2", terms_files=[{"file": "LICENSE", "sha256": "2" * 64}]))
    got = [(c.kind, c.model) for c in compare(old, new)]
    assert got == [("model-added", "a/new"), ("model-removed", "a/gone"), ("flag-added", "a/kept"),
                   ("flag-removed", "a/kept"), ("threshold-changed", "a/kept"), ("conflict-added", "a/kept"),
                   ("terms-changed", "a/pinned@v2")]
    moved = next(c for c in compare(old, new) if c.kind == "terms-changed")
    assert moved.message == "a/pinned@v2: LICENSE differs from the baseline's (revision v1 -> v2)"
    threshold = next(c for c in compare(old, new) if c.kind == "threshold-changed")
    assert (threshold.old, threshold.new) == ("users 700", "users 350")


def test_obligations_changed_under_the_same_license_but_not_with_a_new_license():
    credit = {"obligation": "display-credit", "value": "Built with X", "inherited_from": None}
    old = _report(_model("a/m", obligations=[]), _model("a/n", obligations=[]))
    new = _report(_model("a/m", obligations=[credit]), _model("a/n", lic="mit", obligations=[credit]))
    kinds = [(c.kind, c.model) for c in compare(old, new)]
    assert kinds == [("obligations-changed", "a/m"), ("license-changed", "a/n")]


@pytest.mark.slow
def test_check_with_a_baseline_fails_on_a_license_change_and_passes_when_nothing_changed(tmp_path):
    repo = tmp_path / "repo"
    (repo / "tiny").mkdir(parents=True)
    (repo / "tiny" / "README.md").write_text("---\nlicense: apache-2.0\n---\n# tiny\n")
    (repo / "models.txt").write_text("allenai/OLMo-7B\n./tiny\n")
    (repo / "openscope.toml").write_text('allow-spectrum = ["open-weights", "fully-open"]\nunknown = "warn"\n')
    first = cli(tmp_path, repo, "check", "--offline", "-f", "json")
    assert first.returncode == 0, first.stderr
    (tmp_path / "baseline.json").write_text(first.stdout)
    same = cli(tmp_path, repo, "check", "--offline", "--baseline", str(tmp_path / "baseline.json"), "-f", "json")
    assert same.returncode == 0, same.stderr
    assert json.loads(same.stdout)["drift"] == []
    (repo / "tiny" / "README.md").write_text("---\nlicense: cc-by-nc-4.0\n---\n# tiny\n")
    (repo / "models.txt").write_text("allenai/OLMo-7B\n./tiny\nmicrosoft/phi-2\n")
    changed = cli(tmp_path, repo, "check", "--offline", "--baseline", str(tmp_path / "baseline.json"), "-f", "json")
    assert changed.returncode == 1
    report = json.loads(changed.stdout)
    assert {(d["kind"], d["model"]) for d in report["drift"]} >= {
        ("license-changed", "tiny"), ("flag-added", "tiny"), ("model-added", "microsoft/phi-2")}
    rules = {(v["rule"], v["severity"]) for v in report["policy"]["violations"]}
    assert {("drift/license-changed", "error"), ("drift/model-added", "warning")} <= rules
    # a violation line names the rule, where the model is referenced, then the model and the change
    assert "[drift/license-changed] models.txt:2: tiny: license changed from apache-2.0 to cc-by-nc-4.0" \
        in changed.stderr


@pytest.mark.slow
def test_a_broken_baseline_stops_check_before_any_scan(tmp_path):
    (tmp_path / "baseline.json").write_text("[]")
    proc = cli(tmp_path, tmp_path, "check", "--offline", "--baseline", "baseline.json")
    assert proc.returncode == 2
    assert "baseline.json: not an openscope report" in proc.stderr


class _Resolver:
    """A fact source for upstream_drift: the current revision of each repository (no Hub involved)."""

    def __init__(self, texts: dict[str, str], sha: str):
        self.texts, self.sha = texts, sha

    def fetch(self, ref):
        return ModelFacts(ref=ref, id=ref.id, kind="hub", provenance="hub", sha=self.sha,
                          card_data={"license": "apache-2.0"},
                          documents=[Document(n, t) for n, t in self.texts.items()])


def test_a_pinned_model_whose_upstream_terms_differ_is_a_finding_of_its_own():
    import hashlib

    from openscope.api import upstream_drift

    pinned_text = "Acme terms, first version.\n"
    model = ModelReport(ref="acme/m@v1", id="acme/m", kind="hub", provenance="hub", revision="a" * 40,
                        terms_files=[TermsFile("LICENSE", hashlib.sha256(pinned_text.encode()).hexdigest())])
    report = Report(models=[model])
    same = upstream_drift(report, resolver=_Resolver({"LICENSE": pinned_text}, "b" * 40))
    assert same == []
    moved = upstream_drift(report, resolver=_Resolver({"LICENSE": "Acme terms, now with a user cap.\n"}, "b" * 40))
    assert [(f.kind, f.model, f.old, f.new) for f in moved] == [("upstream-terms-changed", "acme/m@v1", "v1", "b" * 40)]
    assert "acme/m@v1: pinned at v1; upstream (" + "b" * 40 + ") LICENSE differs" in moved[0].message
