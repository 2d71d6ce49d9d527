"""The CLI against the fake Hub in a subprocess (HF_ENDPOINT is read when huggingface_hub is imported)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ONLINE_REFS = ["acme/open-small", "acme/custom-rl", "acme/linked-terms", "acme/no-card", "acme/open-small@v1.0"]
SECRET = "hf_fakeTokenForCliTests9876543210zyxw"


def openscope(env, *args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "openscope", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=240)


def report(proc) -> list[dict]:
    return json.loads(proc.stdout)["models"]


def error_lines(proc) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith("openscope: error:")]


def test_offline_after_online_gives_the_same_report_without_a_request(hub_env, fake_hub, tmp_path):
    online = openscope(hub_env, "audit", *ONLINE_REFS, "--format", "json", cwd=tmp_path)
    assert online.returncode == 0, online.stderr
    assert fake_hub.requests(route="api")
    fake_hub.clear_log()
    offline = openscope(hub_env, "audit", *ONLINE_REFS, "--format", "json", "--offline", cwd=tmp_path)
    assert offline.returncode == 0, offline.stderr
    assert fake_hub.log == []
    on, off = report(online), report(offline)
    assert [m["provenance"] for m in on] == ["hub"] * len(ONLINE_REFS)
    assert [m["provenance"] for m in off] == ["cache"] * len(ONLINE_REFS)
    assert [{**m, "provenance": "cache"} for m in on] == off


def test_hf_hub_offline_env_makes_no_request(hub_env, fake_hub, tmp_path):
    assert openscope(hub_env, "audit", "acme/open-small", "-f", "json", cwd=tmp_path).returncode == 0
    fake_hub.clear_log()
    proc = openscope({**hub_env, "HF_HUB_OFFLINE": "1"}, "audit", "acme/open-small", "-f", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert fake_hub.log == []
    assert report(proc)[0]["provenance"] == "cache"


def test_failures_get_one_line_each_and_the_rest_is_reported(hub_env, fake_hub, tmp_path):
    refs = ["acme/open-small", "acme/nope", "acme/gated-model", "acme/open-small@v9", "acme/custom-rl"]
    proc = openscope(hub_env, "audit", *refs, "-f", "json", cwd=tmp_path)
    assert proc.returncode == 3
    models = report(proc)
    assert [m["ref"] for m in models] == refs
    assert [m["error"]["code"] if m["error"] else None for m in models] == [None, "not-found", "gated", "not-found", None]
    lines = error_lines(proc)
    assert len(lines) == 3
    assert [next(r for r in refs if f" {r}:" in line) for line in lines] == refs[1:4]
    assert "request access on" in lines[1] and f"{fake_hub.url}/acme/gated-model" in lines[1]
    assert "'v9'" in lines[2]


def test_token_never_printed_even_on_errors(hub_env, fake_hub, tmp_path):
    fake_hub.set_fault("acme/custom-rl", unauthorized=True)
    fake_hub.set_fault("acme/linked-terms", bad_token=True)
    fake_hub.set_fault("acme/no-card", fail_first=99)
    fake_hub.set_fault("acme/broken-yaml", malformed_api=True)
    refs = ["acme/open-small", "acme/nope", "acme/gated-model", "acme/custom-rl", "acme/linked-terms",
            "acme/no-card", "acme/broken-yaml"]
    out = tmp_path / "report.json"
    proc = openscope({**hub_env, "HF_TOKEN": SECRET, "OPENSCOPE_HUB_MAX_WAIT": "0"},
                     "audit", *refs, "-f", "json", "--output", str(out), cwd=tmp_path)
    assert proc.returncode == 3
    assert len(error_lines(proc)) == 6
    assert fake_hub.log and all(r.authorized for r in fake_hub.log)  # the token was used ...
    for text in (proc.stdout, proc.stderr, out.read_text()):
        assert SECRET not in text  # ... and never shown


def test_batch_runs_concurrently_and_keeps_input_order(hub_env, fake_hub, tmp_path):
    refs = []
    for i in range(12):
        repo = f"batch/model-{i:02d}"
        fake_hub.add_repo(repo, {"README.md": f"---\nlicense: mit\n---\nModel {i}.\n", "LICENSE": f"Terms {i}."})
        fake_hub.set_fault(repo, latency=0.05 * (12 - i))  # early refs answer last
        refs.append(repo)
    proc = openscope(hub_env, "audit", *refs, "-f", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [m["id"] for m in report(proc)] == refs
    assert fake_hub.max_in_flight > 1
    assert all(line.startswith("openscope:") for line in proc.stderr.splitlines())  # no bar off a terminal


def test_unreachable_hub_falls_back_to_the_cache(hub_env, fake_hub, tmp_path):
    assert openscope(hub_env, "audit", "acme/open-small", "-f", "json", cwd=tmp_path).returncode == 0
    fake_hub.set_fault("acme/open-small", fail_first=99)
    proc = openscope({**hub_env, "OPENSCOPE_HUB_MAX_WAIT": "0"}, "audit", "acme/open-small", "-f", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    model = report(proc)[0]
    assert model["provenance"] == "cache"
    assert "hub-unreachable" in [w["code"] for w in model["warnings"]]


def test_registry_refresh_writes_facts_and_reports_failures(hub_env, fake_hub, tmp_path):
    long_text = "A long gating prompt that is prose, not a fact. " * 8
    fake_hub.add_repo("acme/long-card", {"README.md": f"---\nlicense: mit\nextra_gated_prompt: {long_text}\n---\n"})
    ids = tmp_path / "ids.txt"
    ids.write_text("# models to refresh\nacme/custom-rl\n\nacme/gated-model  # gated: the card is still public\n")
    registry_dir = tmp_path / "registry"
    proc = openscope(hub_env, "registry", "refresh", "acme/open-small", "acme/nope", "acme/long-card",
                     "--from-file", str(ids), "--registry-dir", str(registry_dir), cwd=tmp_path)
    assert proc.returncode == 3
    assert len(error_lines(proc)) == 1 and "acme/nope" in error_lines(proc)[0]
    assert "openscope registry build --refresh" in proc.stderr
    data = json.loads((registry_dir / "sources" / "hub_refresh.json").read_text())
    by_id = {m["id"]: m for m in data["models"]}
    assert sorted(by_id) == ["acme/custom-rl", "acme/gated-model", "acme/long-card", "acme/open-small"]
    entry = by_id["acme/open-small"]
    assert set(entry) == {"id", "card_data", "gated", "tags", "siblings", "sha", "links"}
    assert entry["sha"] == fake_hub.repo("acme/open-small").sha
    assert data["fetched_at"] and data["endpoint"] == fake_hub.url
    assert entry["card_data"]["license"] == "apache-2.0"
    assert by_id["acme/gated-model"]["gated"] == "manual"
    assert by_id["acme/long-card"]["card_data"] == {"license": "mit"}
    # Files are not needed for registry facts: only model_info and the public README were asked for.
    assert not [r for r in fake_hub.requests(route="file") if r.filename != "README.md"]

    again = openscope(hub_env, "registry", "refresh", "acme/no-card", "--registry-dir", str(registry_dir), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    merged = json.loads((registry_dir / "sources" / "hub_refresh.json").read_text())
    assert len(merged["models"]) == 5


def test_registry_refresh_writes_to_the_users_cache_or_output_never_the_package(hub_env, tmp_path):
    from openscope.data import REGISTRY_DIR

    package_file = REGISTRY_DIR / "sources" / "hub_refresh.json"
    before = package_file.exists()
    proc = openscope(hub_env, "registry", "refresh", "acme/open-small", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    cached = Path(hub_env["OPENSCOPE_CACHE"]) / "registry" / "hub_refresh.json"
    assert [m["id"] for m in json.loads(cached.read_text())["models"]] == ["acme/open-small"]
    assert str(cached) in proc.stderr and package_file.exists() == before
    out = tmp_path / "answers" / "refresh.json"
    proc = openscope(hub_env, "registry", "refresh", "acme/custom-rl", "--output", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [m["id"] for m in json.loads(out.read_text())["models"]] == ["acme/custom-rl"]


def test_registry_build_ships_in_the_package_and_fails_clearly_without_a_corpus(hub_env, tmp_path):
    proc = openscope(hub_env, "registry", "build", "--corpus", str(tmp_path / "nowhere"),
                     "--output-dir", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 2
    assert len(error_lines(proc)) == 1 and "corpus not found" in proc.stderr and "nowhere" in proc.stderr
    assert not (tmp_path / "out").exists()
    assert openscope(hub_env, "registry", "build", cwd=tmp_path).returncode == 2  # --output-dir is required


def test_registry_refresh_needs_ids(hub_env, tmp_path):
    proc = openscope(hub_env, "registry", "refresh", "--registry-dir", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2
    assert "give model ids" in proc.stderr


def test_startup_does_not_import_huggingface_hub():
    code = ("import sys, openscope.cli, openscope.api, openscope.sources.hub, openscope.sources.cache; "
            "print('huggingface_hub' in sys.modules, 'httpx2' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_saved_login_token_opens_a_gated_model(hub_env, fake_hub, tmp_path):
    # `hf auth login` saves the token under HF_HOME; huggingface_hub finds it without HF_TOKEN.
    token_file = tmp_path / "hf" / "token"
    token_file.parent.mkdir(parents=True, exist_ok=True)
    token_file.write_text(SECRET)
    fake_hub.set_fault("acme/gated-model", granted_tokens={SECRET})
    proc = openscope(hub_env, "audit", "acme/gated-model", "-f", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    model = report(proc)[0]
    assert model["gated"] is True and model["error"] is None
    assert fake_hub.requests("acme/gated-model", route="file") and all(r.authorized for r in fake_hub.log)
    assert SECRET not in proc.stdout + proc.stderr


def test_gated_without_access_falls_back_to_the_registry(hub_env, fake_hub, tmp_path):
    # A registry model whose files the user may not read yet: the snapshot answers, with a warning.
    repo = "meta-llama/Llama-3.1-8B"
    from openscope.registry import load_registry

    if load_registry().hub(repo) is None:
        pytest.skip(f"{repo} is not in the registry snapshot")
    fake_hub.add_repo(repo, {"README.md": "---\nlicense: llama3.1\n---\n", "LICENSE": "Terms."}, {"gated": "manual"})
    proc = openscope(hub_env, "audit", repo, "-f", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    model = report(proc)[0]
    assert model["provenance"] == "registry"
    assert "hub-gated" in [w["code"] for w in model["warnings"]]
