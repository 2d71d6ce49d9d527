"""`openscope audit --offline` end to end through the real CLI: a fresh machine, no network, no token."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

ACCEPTANCE = {
    "meta-llama/Llama-3.1-8B-Instruct": "open-weights",
    "gpt-4o": "closed-api",
    "allenai/OLMo-7B": "fully-open",
    "google/gemma-2-2b-it": "open-weights",
    "mistralai/Mistral-7B-Instruct-v0.2": "open-weights",
}


def offline_env(tmp_path) -> dict:
    """No Hub token, empty caches, and an endpoint that cannot answer: only the registry can help."""
    dropped = ("HF_", "HUGGINGFACE_", "TRANSFORMERS_OFFLINE", "OPENSCOPE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_HUB_CACHE=str(tmp_path / "hf" / "hub"),
               OPENSCOPE_CACHE=str(tmp_path / "openscope"), HF_ENDPOINT="http://127.0.0.1:9",
               HF_HUB_DISABLE_TELEMETRY="1")
    return env


def audit(tmp_path, *refs) -> tuple[int, dict, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "openscope", "audit", *refs, "--offline", "--format", "json"],
        capture_output=True, text=True, env=offline_env(tmp_path), timeout=300, cwd=tmp_path,
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"no JSON report (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return proc.returncode, report, proc.stderr


@pytest.fixture(scope="module")
def acceptance(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("offline")
    code, report, stderr = audit(tmp, *ACCEPTANCE)
    return code, {m["ref"]: m for m in report["models"]}, stderr


def flags_of(model) -> dict:
    return {f["flag"]: f for f in model["flags"]}


def test_exit_code_and_spectrum(acceptance):
    code, models, stderr = acceptance
    assert code == 0, stderr
    assert list(models) == list(ACCEPTANCE)
    assert {ref: m["spectrum"] for ref, m in models.items()} == ACCEPTANCE
    for ref, m in models.items():
        assert m["error"] is None, ref
        assert m["provenance"] == "registry", ref


def test_llama_flags_and_user_threshold(acceptance):
    llama = acceptance[1]["meta-llama/Llama-3.1-8B-Instruct"]
    flags = flags_of(llama)
    assert set(flags) == {"user-cap", "use-restrictions", "attribution", "naming"}
    assert flags["user-cap"]["thresholds"]["users"] == 700_000_000
    assert llama["license"]["id"] == "llama3.1"
    assert llama["osi_open"] is False and llama["gated"] is True


def test_gemma_flags(acceptance):
    gemma = acceptance[1]["google/gemma-2-2b-it"]
    assert set(flags_of(gemma)) == {"use-restrictions", "flow-down", "licensor-control"}


def test_mistral_apache_has_no_flags(acceptance):
    mistral = acceptance[1]["mistralai/Mistral-7B-Instruct-v0.2"]
    assert mistral["license"]["id"] == "apache-2.0"
    assert mistral["flags"] == []
    assert mistral["osi_open"] is True


def test_olmo_components_all_open(acceptance):
    olmo = acceptance[1]["allenai/OLMo-7B"]
    assert olmo["components"]["weights"] == "open"
    assert olmo["components"]["training_code"] == "open"
    assert olmo["components"]["training_data"] == "open"


def test_gpt4o_flags_come_from_openai_terms(acceptance):
    gpt = acceptance[1]["gpt-4o"]
    assert gpt["kind"] == "api"
    assert gpt["license"]["id"] == "openai-tou-2024"
    assert gpt["flags"], "OpenAI's terms restrict use; no flags were reported"
    for flag in gpt["flags"]:
        assert all("openai" in ev["file"].lower() for ev in flag["evidence"]), flag


def test_every_flag_has_evidence_with_a_file(acceptance):
    for ref, m in acceptance[1].items():
        for flag in m["flags"]:
            assert flag["evidence"], f"{ref}: {flag['flag']} has no evidence"
            assert all(ev["file"] for ev in flag["evidence"]), f"{ref}: {flag['flag']} evidence without a file"


def test_bad_references_do_not_hide_the_others(tmp_path):
    refs = ["meta-llama/Llama-3.1-8B-Instruct", "no-such-org/no-such-model-xyz", "gpt-4o", "meta llama/Llama-3.1-8B!", "google/gemma-2-2b-it"]
    code, report, stderr = audit(tmp_path, *refs)
    assert code == 3
    models = report["models"]
    assert [m["ref"] for m in models] == refs
    by_ref = {m["ref"]: m for m in models}
    assert by_ref["no-such-org/no-such-model-xyz"]["error"]["code"] == "not-found"
    assert by_ref["meta llama/Llama-3.1-8B!"]["error"]["code"] == "invalid-ref"
    for ref in ("no-such-org/no-such-model-xyz", "meta llama/Llama-3.1-8B!"):
        assert by_ref[ref]["spectrum"] == "unknown"
        assert ref in by_ref[ref]["error"]["message"]
    assert by_ref["meta-llama/Llama-3.1-8B-Instruct"]["spectrum"] == "open-weights"
    assert by_ref["gpt-4o"]["spectrum"] == "closed-api"
    assert by_ref["google/gemma-2-2b-it"]["spectrum"] == "open-weights"
    assert by_ref["meta-llama/Llama-3.1-8B-Instruct"]["flags"]
    assert "no-such-org/no-such-model-xyz" in stderr
