"""The pre-commit hook, run for real: pre-commit clones this repository at HEAD, builds the hook's
virtualenv (pip install from PyPI, ~1 minute once), and runs `openscope check` in a temporary git
repository. It must fail on a denied model and pass once a reviewed exception covers it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HOOK_ID = "openscope-check"

CARD = "---\nlicense: cc-by-nc-4.0\n---\n# Tiny research model\nA made-up folder for openscope's tests.\n"
POLICY = 'allow-spectrum = ["open-weights", "fully-open", "closed-api"]\ndeny-flags = ["non-commercial"]\n'
EXCEPTION = """
[[exceptions]]
model = "./models/tiny-nc"
flags = ["non-commercial"]
reason = "Internal evaluation only, approved in LEGAL-7"
expires = 2099-12-31
"""


def hook_definition() -> dict:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return next(h for h in hooks if h["id"] == HOOK_ID)


def test_hook_definition_follows_the_contract():
    hook = hook_definition()
    assert hook["entry"] == "openscope check"
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    for path in ("app.py", "nb/explore.ipynb", "configs/serve.yaml", "configs/a.yml", "configs/serve.json",
                 "models.txt", "deploy/prod.models.txt", "pyproject.toml", "sub/openscope.toml"):
        assert files.search(path), path
    for path in ("README.md", "image.png", "setup.cfg", "models.txt.bak", "LICENSE"):
        assert not files.search(path), path


def git(repo, *args):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env)


@pytest.fixture
def project(tmp_path):
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("needs openscope's own git checkout (pre-commit clones it)")
    head = git(ROOT, "rev-parse", "HEAD").stdout.strip()
    repo = tmp_path / "project"
    (repo / "models" / "tiny-nc").mkdir(parents=True)
    (repo / "models" / "tiny-nc" / "README.md").write_text(CARD, encoding="utf-8")
    (repo / "models.txt").write_text("./models/tiny-nc\n", encoding="utf-8")
    (repo / "app.py").write_text('MODEL = "./models/tiny-nc"\n', encoding="utf-8")
    (repo / "openscope.toml").write_text(POLICY, encoding="utf-8")
    config = {"repos": [{"repo": str(ROOT), "rev": head, "hooks": [{"id": HOOK_ID}]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    return repo


def run_hook(repo, home):
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "OPENSCOPE_OFFLINE": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", HOOK_ID, "--all-files"], cwd=repo,
                          capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.slow
def test_hook_fails_on_denied_model_and_passes_after_an_exception(project, tmp_path):
    home = tmp_path / "pre-commit-home"  # one hook environment, built once, used by both runs
    failed = run_hook(project, home)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "[non-commercial]" in failed.stdout and "check FAILED" in failed.stdout
    assert "exit code: 1" in failed.stdout

    with open(project / "openscope.toml", "a", encoding="utf-8") as fh:
        fh.write(EXCEPTION)
    git(project, "add", "openscope.toml")
    passed = run_hook(project, home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


BARE_CARD = "---\nlibrary_name: transformers\n---\n# Bare model\nA made-up folder whose card names no license.\n"


@pytest.mark.slow
def test_hook_exit_codes_for_unknown_terms_follow_the_policy(project, tmp_path):
    """unknown = "warn" shows the model and passes (exit 0); unknown = "fail" blocks with exit 3."""
    home = tmp_path / "pre-commit-home"
    (project / "models" / "bare").mkdir()
    (project / "models" / "bare" / "README.md").write_text(BARE_CARD, encoding="utf-8")
    (project / "models.txt").write_text("./models/bare\n", encoding="utf-8")
    (project / "app.py").write_text('MODEL = "./models/bare"\n', encoding="utf-8")
    (project / "openscope.toml").write_text(POLICY + 'unknown = "warn"\n', encoding="utf-8")
    git(project, "add", ".")
    warned = run_hook(project, home)
    assert warned.returncode == 0, warned.stdout + warned.stderr
    assert "Passed" in warned.stdout  # pre-commit shows a passing hook's output only with --verbose

    (project / "openscope.toml").write_text(POLICY + 'unknown = "fail"\n', encoding="utf-8")
    git(project, "add", ".")
    failed = run_hook(project, home)
    assert failed.returncode == 1, failed.stdout + failed.stderr  # pre-commit reports any failure as 1
    assert "error: [unknown]" in failed.stdout and "its terms are unknown" in failed.stdout
    assert "exit code: 3" in failed.stdout and "check FAILED" in failed.stdout
