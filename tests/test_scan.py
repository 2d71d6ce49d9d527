"""`collect_refs` on tests/fixtures/sample_repo: every planted reference, with its exact place, and nothing else.

The sample repository is copied to a temporary folder, where the test adds what cannot be committed
(gitignored files, a virtualenv, a huge file, a binary file, symlink loops), and is scanned both as
a plain folder (openscope's own .gitignore reader) and as a git work tree (`git ls-files`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from openscope.errors import InputError
from openscope.registry import Registry
from openscope.scan import collect_refs

SAMPLE = Path(__file__).parent / "fixtures" / "sample_repo"

# A registry of our own, so these tests do not move when the shipped registry grows. The two Hub ids
# are the ones train.yaml lists under `repo_id`, which counts only for models the registry knows.
TEST_REGISTRY = Registry([{"id": "HuggingFaceTB/SmolLM2-135M"}, {"id": "allenai/OLMo-2-1124-7B"}], {
    "openai": {"names": ["gpt-4o", "gpt-4o-mini", "gpt-4.1-mini", "text-embedding-3-small"]},
    "anthropic": {"names": ["claude-3-5-sonnet-20241022", "claude-3-haiku-20240307"]},
    "google": {"names": ["gemini-2.0-flash", "gemini-1.5-pro", "gemini-1.5-flash"]},
})

# (kind, id, revision, provider) -> every (path, line) where it was planted.
PLANTED = {
    ("api", "claude-3-5-sonnet-20241022", None, "anthropic"): [("app/apis.py", 17), ("models.txt", 5)],
    ("api", "claude-3-haiku-20240307", None, "anthropic"): [("app/apis.py", 23)],
    ("api", "gemini-1.5-flash", None, "google"): [("app/apis.py", 24)],
    ("api", "gemini-1.5-pro", None, "google"): [("app/apis.py", 19), ("pyproject.toml", 12)],
    ("api", "gemini-2.0-flash", None, "google"): [("app/apis.py", 18)],
    ("api", "gpt-4.1-mini", None, "openai"): [("app/apis.py", 15)],
    ("api", "gpt-4o", None, "openai"): [("app/apis.py", 14), ("app/apis.py", 22), ("models.txt", 4)],
    ("api", "gpt-4o-mini", None, "openai"): [("app/apis.py", 20), ("configs/serve.json", 8)],
    ("api", "text-embedding-3-small", None, "openai"): [("app/apis.py", 16)],
    ("hub", "acme-lab/support-lora", "v2", None): [("app/inference.py", 24)],
    ("hub", "allenai/OLMo-2-1124-7B", None, None): [
        ("configs/train.yaml", 19), ("notebooks/explore.ipynb", 20), ("notebooks/explore.ipynb", 40),
        ("openscope.toml", 2)],
    ("hub", "black-forest-labs/FLUX.1-schnell", None, None): [("app/embeddings.py", 10)],
    ("hub", "distilbert/distilbert-base-uncased-finetuned-sst-2-english", None, None): [("app/inference.py", 29)],
    ("hub", "EleutherAI/pythia-160m", None, None): [("deploy/extra-models.list", 2)],
    ("hub", "EleutherAI/pythia-160m", "step1000", None): [("notebooks/explore.ipynb", 51)],
    ("hub", "google/gemma-2-2b", None, None): [("app/embeddings.py", 11)],
    ("hub", "google/gemma-2-2b-it", None, None): [("deploy/prod.models.txt", 1)],
    ("hub", "HuggingFaceH4/zephyr-7b-beta", None, None): [("app/apis.py", 21)],
    ("hub", "HuggingFaceTB/SmolLM2-135M", None, None): [("configs/train.yaml", 19), ("pyproject.toml", 11)],
    ("hub", "meta-llama/Llama-3.1-8B-Instruct", None, None): [("app/inference.py", 19), ("models.txt", 2)],
    ("hub", "meta-llama/Llama-3.2-1B", None, None): [("configs/train.yaml", 5)],
    ("hub", "microsoft/phi-2", None, None): [("configs/serve.json", 3), ("configs/serve.json", 4)],
    # BASE_MODEL = "..." (a model-named constant) and its use in from_pretrained
    ("hub", "mistralai/Mistral-7B-v0.1", None, None): [("app/inference.py", 11), ("app/inference.py", 21)],
    # `model: {name_or_path: ...}`: a nested model key
    ("hub", "not-a-listed-key/value", None, None): [("configs/train.yaml", 4)],
    ("hub", "mistralai/Mixtral-8x7B-Instruct-v0.1", "main", None): [("models.txt", 3)],
    ("hub", "Qwen/Qwen2.5-0.5B", None, None): [("configs/train.yaml", 7)],
    ("hub", "Qwen/Qwen2.5-7B-Instruct", None, None): [("app/embeddings.py", 12)],
    ("hub", "sentence-transformers/all-MiniLM-L6-v2", None, None): [("app/embeddings.py", 7)],
    ("hub", "stabilityai/stable-diffusion-xl-base-1.0", None, None): [("app/embeddings.py", 9)],
    ("hub", "TheBloke/Llama-2-7B-GGUF", None, None): [("app/embeddings.py", 8)],
    ("hub", "unknown-org/imaginary-model", None, None): [("deploy/prod.models.txt", 2)],
    # The local folder listed in models.txt; its id is the absolute path, filled in per copy.
    ("local", "local-models/tiny", None, None): [("models.txt", 8)],
}

# (path, line, start of the reason) for references seen but not resolvable.
PLANTED_UNRESOLVED = {
    ("app/apis.py", 25, "argument is not a string literal (variable 'model_name')"),
    ("app/apis.py", 26, "unknown model name: 'house-model-v1'"),
    ("app/inference.py", 25, "argument is not a string literal (variable 'model_dir')"),
    ("app/inference.py", 26, "argument is not a string literal (f-string)"),
    ("app/inference.py", 28, "argument is not a string literal (variable 'CANDIDATE')"),  # assigned twice
    ("app/inference.py", 36, "argument is not a string literal (variable 'BASE_MODEL')"),  # a parameter
    ("configs/train.yaml", 13, "value is a template or variable, not a literal"),
    ("models.txt", 7, "unknown model name: 'not a model at all'"),
    ("notebooks/explore.ipynb", 62, "cell 5: not parseable Python"),
    ("notebooks/explore.ipynb", 72, "cell 6, line 1: argument is not a string literal (variable 'checkpoint')"),
}
# Files skipped whole (line 0): planted in the fixture or added by `sample_copy`.
PLANTED_SKIPPED_FILES = {
    ("app/broken.py", "not parseable Python"),
    ("app/blob.py", "binary file"),
    ("big/huge.json", "larger than 1 MB"),
    ("links/a.yaml", "cannot read"),
    ("links/b.yaml", "cannot read"),
}
LEAK_MARKERS = ("ignored-org", "venv-org", "node-org", "not-a-ref", "never-seen", "other-tool",
                "falcon", "bloom", "Llama-3.1-70B", "first-choice", "second-choice")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def sample_copy(tmp_path: Path, *, git: bool) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(SAMPLE, root, symlinks=True)
    call = 'from transformers import AutoModel\nAutoModel.from_pretrained("{}")\n'
    _write(root / "ignored" / "leak.py", call.format("ignored-org/leak"))
    _write(root / "app" / "secret.local.py", call.format("ignored-org/local-leak"))
    _write(root / ".venv" / "pyvenv.cfg", "home = /usr/bin\n")
    _write(root / ".venv" / "lib" / "python3.11" / "site-packages" / "pkg" / "mod.py", call.format("venv-org/leak"))
    _write(root / "envs" / "py311" / "pyvenv.cfg", "home = /usr/bin\n")
    _write(root / "envs" / "py311" / "lib" / "tool.py", call.format("venv-org/marker-leak"))
    _write(root / "node_modules" / "pkg" / "config.json", '{"model": "node-org/leak"}\n')
    _write(root / "__pycache__" / "cached.py", call.format("venv-org/cache-leak"))
    _write(root / "big" / "huge.json", '{"model": "meta-llama/Llama-3.1-8B", "pad": "' + "x" * 1_100_000 + '"}\n')
    (root / "app" / "blob.py").write_bytes(b"\x00\x01binary" + call.format("never-seen/binary").encode())
    (root / "links").mkdir()
    os.symlink("..", root / "links" / "loop")  # a directory symlink loop
    os.symlink("b.yaml", root / "links" / "a.yaml")  # a file symlink loop
    os.symlink("a.yaml", root / "links" / "b.yaml")
    if git:
        _git(root, "init", "-q")
        _git(root, "add", ".")
        _git(root, "commit", "-q", "-m", "sample")
    return root


def _git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env).stdout


def _found(result) -> dict:
    return {(r.kind, r.id, r.revision, r.provider): [(loc.path, loc.line) for loc in r.locations]
            for r in result.refs}


def _expected(root: Path) -> dict:
    expected = dict(PLANTED)
    local = expected.pop(("local", "local-models/tiny", None, None))
    expected[("local", str(root / "local-models" / "tiny"), None, None)] = local
    return expected


@pytest.fixture(params=["plain", "git"])
def scanned(request, tmp_path):
    root = sample_copy(tmp_path, git=request.param == "git")
    return root, collect_refs([root], registry=TEST_REGISTRY, base=root)


def test_finds_every_planted_reference_and_nothing_else(scanned):
    root, result = scanned
    assert _found(result) == _expected(root)


def test_unresolved_references_are_listed_with_their_reason(scanned):
    _, result = scanned
    unresolved = {(s.path, s.line, s.reason) for s in result.skipped if s.line > 0}
    for path, line, start in PLANTED_UNRESOLVED:
        assert any(p == path and n == line and r.startswith(start) for p, n, r in unresolved), (path, line, start)
    assert len(unresolved) == len(PLANTED_UNRESOLVED)


def test_skipped_files_are_listed_and_counted(scanned):
    _, result = scanned
    whole_files = {(s.path, s.reason) for s in result.skipped if s.line == 0}
    for path, start in PLANTED_SKIPPED_FILES:
        assert any(p == path and r.startswith(start) for p, r in whole_files), (path, start)
    assert len(whole_files) == len(PLANTED_SKIPPED_FILES)
    assert result.stats["files_skipped"] == len(PLANTED_SKIPPED_FILES)


def test_stats_add_up(scanned):
    _, result = scanned
    stats = result.stats
    assert stats["refs_found"] == len(PLANTED)
    assert stats["occurrences"] == sum(len(v) for v in PLANTED.values())
    assert stats["refs_unresolved"] == len(PLANTED_UNRESOLVED)
    assert stats["files_scanned"] + stats["files_skipped"] <= stats["files_seen"]
    assert stats["symlinked_dirs_not_followed"] == 1


def test_decoys_ignored_files_and_virtualenvs_never_surface(scanned):
    _, result = scanned
    text = repr(result.refs) + repr([s.reason for s in result.skipped if s.line > 0])
    for marker in LEAK_MARKERS:
        assert marker not in text, marker
    paths = {loc.path for r in result.refs for loc in r.locations} | {s.path for s in result.skipped}
    assert not any(p.startswith(("ignored/", ".venv/", "envs/", "node_modules/", "__pycache__/")) for p in paths)
    assert "app/secret.local.py" not in paths
    assert {"README.md", "docs/notes.txt", "scripts/util.py"}.isdisjoint(paths)


def test_scanning_a_single_file_reports_it_relative_to_the_current_folder(tmp_path, monkeypatch):
    root = sample_copy(tmp_path, git=False)
    monkeypatch.chdir(root)
    result = collect_refs(["app/embeddings.py"], registry=TEST_REGISTRY)
    assert {(r.id, r.locations[0].path, r.locations[0].line) for r in result.refs} == {
        (key[1], *locs[0]) for key, locs in PLANTED.items() if locs[0][0] == "app/embeddings.py"
    }


def test_several_paths_are_relative_to_the_current_folder(tmp_path, monkeypatch):
    root = sample_copy(tmp_path, git=False)
    monkeypatch.chdir(root)
    result = collect_refs(["configs", "deploy"], registry=TEST_REGISTRY)
    assert {loc.path for r in result.refs for loc in r.locations} == {
        "configs/train.yaml", "configs/serve.json", "deploy/prod.models.txt"}


def test_a_named_text_file_is_read_as_a_manifest_and_other_files_are_said_to_be_unread(tmp_path, monkeypatch):
    root = sample_copy(tmp_path, git=False)
    monkeypatch.chdir(root)
    notes = collect_refs(["docs/notes.txt"], registry=TEST_REGISTRY)
    assert [(r.id, [(loc.path, loc.line) for loc in r.locations]) for r in notes.refs] == [
        ("bigscience/bloom-560m", [("docs/notes.txt", 3)]), ("tiiuae/falcon-7b", [("docs/notes.txt", 2)])]
    assert [(s.line, s.reason.split(":")[0]) for s in notes.skipped] == [(1, "unknown model name")]
    readme = collect_refs(["README.md"], registry=TEST_REGISTRY)
    assert readme.refs == []
    assert [(s.path, s.line) for s in readme.skipped] == [("README.md", 0)]
    assert readme.skipped[0].reason.startswith("not a file type scan reads")


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no-such-dir"):
        collect_refs([tmp_path / "no-such-dir"])


def test_unreadable_directory_is_skipped_with_reason(tmp_path, monkeypatch):
    root = sample_copy(tmp_path, git=False)
    real_scandir = os.scandir

    def scandir(path):
        if Path(path).name == "configs":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr("openscope.scan.walk.os.scandir", scandir)
    result = collect_refs([root], registry=TEST_REGISTRY, base=root)
    assert any(s.path == "configs" and s.line == 0 and "Permission denied" in s.reason for s in result.skipped)
    assert not any(loc.path.startswith("configs/") for r in result.refs for loc in r.locations)
    assert any(loc.path == "models.txt" for r in result.refs for loc in r.locations)  # the rest still scanned


def test_symlink_loop_does_not_hang(tmp_path):
    root = tmp_path / "loops"
    (root / "a" / "b").mkdir(parents=True)
    os.symlink(root, root / "a" / "b" / "up")
    os.symlink("self.py", root / "self.py")
    _write(root / "a" / "m.py", 'import x\nx.from_pretrained("org/looped")\n')
    result = collect_refs([root], registry=TEST_REGISTRY, base=root)
    assert [(r.id, [(loc.path, loc.line) for loc in r.locations]) for r in result.refs] == [
        ("org/looped", [("a/m.py", 2)])]


# -- --since: only references on lines added after a git ref ---------------------------------------

def test_since_keeps_only_references_added_after_the_ref(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    call = "AutoModel.from_pretrained"
    _write(root / "app.py", f'MODEL = "org-a/base-model"\nm = {call}("org-a/old-model")\nn = {call}(MODEL)\n')
    _write(root / "models.txt", "org-a/listed-old\n")
    _write(root / "pyproject.toml", '[tool.openscope]\nmodels = ["org-a/declared-old"]\nmodels-files = ["more.list"]\n')
    _write(root / "more.list", "org-a/more-old\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "base")
    _git(root, "tag", "base")
    # Committed on the branch after the base:
    _write(root / "app.py", f'MODEL = "org-b/changed-constant"\nm = {call}("org-a/old-model")\nn = {call}(MODEL)\n'
                            f'p = {call}("org-b/committed-new")\n')
    _write(root / "models.txt", "org-a/listed-old\norg-b/listed-new\n")
    _write(root / "more.list", "org-a/more-old\norg-b/more-new\n")  # listed by pyproject.toml, which is unchanged
    _git(root, "commit", "-q", "-am", "feature")
    # Uncommitted, staged and untracked changes:
    with open(root / "app.py", "a", encoding="utf-8") as fh:
        fh.write(f'q = {call}("org-c/uncommitted")\n')
    _write(root / "staged.py", f'{call}("org-e/staged")\n')
    _git(root, "add", "staged.py")
    _write(root / "new.py", f'x = 1\n{call}("org-d/untracked")\n')

    result = collect_refs([root], since="base", registry=TEST_REGISTRY, base=root)
    assert _found(result) == {
        # The constant's line changed: MODEL is a model slot itself (line 1), and its use counts (line 3).
        ("hub", "org-b/changed-constant", None, None): [("app.py", 1), ("app.py", 3)],
        ("hub", "org-b/committed-new", None, None): [("app.py", 4)],
        ("hub", "org-c/uncommitted", None, None): [("app.py", 5)],
        ("hub", "org-b/listed-new", None, None): [("models.txt", 2)],
        ("hub", "org-b/more-new", None, None): [("more.list", 2)],
        ("hub", "org-e/staged", None, None): [("staged.py", 1)],
        ("hub", "org-d/untracked", None, None): [("new.py", 2)],
    }
    # Without --since every reference is there, old ones included.
    everything = {r.id for r in collect_refs([root], registry=TEST_REGISTRY, base=root).refs}
    assert {"org-a/old-model", "org-a/listed-old", "org-a/declared-old", "org-a/more-old"} <= everything


def test_since_bad_ref_or_no_git_is_an_input_error(tmp_path):
    _write(tmp_path / "plain" / "a.py", "x = 1\n")
    with pytest.raises(InputError, match="git work tree"):
        collect_refs([tmp_path / "plain"], since="main")
    root = tmp_path / "repo"
    _write(root / "a.py", "x = 1\n")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "one")
    with pytest.raises(InputError, match="no-such-branch"):
        collect_refs([root], since="no-such-branch")


# -- the command line --------------------------------------------------------------------------------

def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "openscope", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


@pytest.mark.slow
def test_cli_scan_prints_json_with_locations_and_exits_3_for_an_unknown_hub_id_offline(tmp_path):
    root = sample_copy(tmp_path, git=False)
    proc = _cli("scan", ".", "--offline", "--format", "json", cwd=root)
    assert proc.returncode == 3, proc.stderr
    report = json.loads(proc.stdout)
    assert report["schema"] == "openscope.report/1"
    models = {m["id"]: m for m in report["models"]}
    unknown = models["unknown-org/imaginary-model"]
    assert unknown["error"]["code"] == "not-found"
    assert unknown["spectrum"] == "unknown"
    assert unknown["locations"] == [{"path": "deploy/prod.models.txt", "line": 2}]
    assert models["meta-llama/Llama-3.1-8B-Instruct"]["locations"] == [
        {"path": "app/inference.py", "line": 19}, {"path": "models.txt", "line": 2}]
    assert all(m["locations"] for m in report["models"])
    assert {"path": "app/broken.py", "line": 0} in [{k: s[k] for k in ("path", "line")} for s in report["skipped"]]
    assert "unknown-org/imaginary-model" in proc.stderr


@pytest.mark.slow
def test_cli_scan_with_only_unresolved_references_exits_0(tmp_path):
    _write(tmp_path / "app.py", "def load(name):\n    return AutoModel.from_pretrained(name)\n")
    proc = _cli("scan", ".", "--offline", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["models"] == []
    assert report["skipped"] == [{"path": "app.py", "line": 2,
                                  "reason": "argument is not a string literal (variable 'name')"}]


@pytest.mark.slow
def test_cli_scan_missing_path_exits_2(tmp_path):
    proc = _cli("scan", str(tmp_path / "nowhere"), "--offline", "--format", "json")
    assert proc.returncode == 2
    assert "nowhere" in proc.stderr


@pytest.mark.slow
def test_scan_and_check_of_a_subfolder_name_paths_from_the_working_directory(tmp_path):
    """`scan sub` and `check sub` both report `sub/app/...`: paths are made relative once, by the scanner."""
    sample_copy(tmp_path, git=False)
    scan_report = json.loads(_cli("scan", "repo", "--offline", "--format", "json", cwd=tmp_path).stdout)
    check_sarif = json.loads(_cli("check", "repo", "--offline", "--format", "sarif",
                                  "--policy", "repo/openscope.toml", cwd=tmp_path).stdout)
    scanned = {loc["path"] for m in scan_report["models"] for loc in m["locations"]}
    assert "repo/app/inference.py" in scanned and all(p.startswith("repo/") for p in scanned)
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in check_sarif["runs"][0]["results"] for loc in r.get("locations", [])}
    assert uris and all(u.startswith("repo/") for u in uris), uris
