"""The policy's commands through the real CLI: the issue's gate on models with unknown terms, exit codes,
`--fail-on`, `openscope init`, `openscope schema --kind policy`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

# The policy of issue 12: open models only, four flags denied, unknown terms fail.
ISSUE_POLICY = """
allow-spectrum = ["open-weights", "fully-open"]
deny-flags = ["non-commercial", "competitor-ban", "user-cap", "use-restrictions"]
unknown = "{mode}"
"""
UNKNOWN_TERMS = ["baichuan-inc/Baichuan2-13B-Chat", "apple/OpenELM-3B", "moonshotai/Kimi-K2-Instruct"]


def openscope(*args, cwd=None):
    env = {**os.environ, "OPENSCOPE_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "openscope", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.fixture
def app(tmp_path):
    lines = ["from transformers import AutoModel"]
    lines += [f'm{i} = AutoModel.from_pretrained("{mid}")' for i, mid in enumerate(UNKNOWN_TERMS)]
    (tmp_path / "app.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("mode, code", [("fail", 3), ("warn", 0)])
def test_models_with_unknown_terms_fail_the_issue_policy_and_warn_passes(app, mode, code):
    (app / "openscope.toml").write_text(ISSUE_POLICY.format(mode=mode), encoding="utf-8")
    result = openscope("check", "--format", "json", cwd=app)
    assert result.returncode == code, result.stderr
    report = json.loads(result.stdout)
    assert report["policy"]["passed"] is (mode == "warn")
    by_model = {v["model"]: v for v in report["policy"]["violations"]}
    assert set(by_model) == set(UNKNOWN_TERMS)
    for i, mid in enumerate(UNKNOWN_TERMS, start=2):
        v = by_model[mid]
        assert v["rule"] == "unknown" and "terms are unknown" in v["message"]
        assert v["severity"] == ("error" if mode == "fail" else "warning")
        assert f"app.py:{i}: {mid}" in result.stderr  # each line names where the model is referenced
    verdict = result.stderr.strip().splitlines()[-1]
    assert ("check FAILED" in verdict) is (mode == "fail") and ("check passed" in verdict) is (mode == "warn")


@pytest.mark.slow
def test_a_hosted_command_r_call_is_closed_api_and_names_its_weights(tmp_path):
    (tmp_path / "bot.py").write_text('import cohere\nco = cohere.Client()\nco.chat(model="command-r", message="hi")\n',
                                     encoding="utf-8")
    (tmp_path / "openscope.toml").write_text(ISSUE_POLICY.format(mode="fail"), encoding="utf-8")
    result = openscope("check", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    (model,) = json.loads(result.stdout)["models"]
    assert model["spectrum"] == "closed-api" and model["alternatives"] == ["CohereForAI/c4ai-command-r-v01"]
    assert "[spectrum] bot.py:3: cohere:command-r" in result.stderr
    assert "CohereForAI/c4ai-command-r-v01" in result.stderr


@pytest.mark.slow
def test_fail_on_for_audit_and_scan(tmp_path):
    nc = openscope("audit", "--fail-on", "non-commercial", "CohereForAI/c4ai-command-r-plus", "--format", "json")
    assert nc.returncode == 1 and "[non-commercial]" in nc.stderr
    assert json.loads(nc.stdout)["policy"]["source"] == "--fail-on non-commercial"
    clean = openscope("audit", "--fail-on", "non-commercial,closed-api", "meta-llama/Llama-3.1-8B", "--format", "json")
    assert clean.returncode == 0, clean.stderr
    api = openscope("audit", "--fail-on", "closed-api", "gpt-4o", "--format", "json")
    assert api.returncode == 1 and "[spectrum]" in api.stderr
    unknown = openscope("audit", "--fail-on", "unknown", "apple/OpenELM-3B", "--format", "json")
    assert unknown.returncode == 3
    typo = openscope("audit", "--fail-on", "noncommercial", "gpt-4o")
    assert typo.returncode == 2 and "--fail-on: unknown rule 'noncommercial'" in typo.stderr
    (tmp_path / "app.py").write_text('from transformers import AutoModel\n'
                                     'AutoModel.from_pretrained("CohereForAI/c4ai-command-r-plus")\n', encoding="utf-8")
    scanned = openscope("scan", "--fail-on", "non-commercial", "--format", "json", cwd=tmp_path)
    assert scanned.returncode == 1 and "app.py:2" in scanned.stderr
    assert openscope("scan", "--format", "json", cwd=tmp_path).returncode == 0  # no --fail-on: a report only


@pytest.mark.slow
def test_init_writes_a_starter_policy_that_check_accepts(tmp_path):
    first = openscope("init", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    text = (tmp_path / "openscope.toml").read_text(encoding="utf-8")
    assert 'preset = "commercial-saas"' in text and "# [[exceptions]]" in text
    again = openscope("init", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    research = openscope("init", "--preset", "internal-research", "--force", cwd=tmp_path)
    assert research.returncode == 0
    assert 'preset = "internal-research"' in (tmp_path / "openscope.toml").read_text(encoding="utf-8")
    assert openscope("init", "--preset", "nope", "other.toml", cwd=tmp_path).returncode == 2
    (tmp_path / "app.py").write_text('x = 1\n', encoding="utf-8")
    checked = openscope("check", "--format", "json", cwd=tmp_path)
    assert checked.returncode == 0 and "policy openscope.toml" in checked.stderr


@pytest.mark.slow
def test_schema_of_the_policy_file(tmp_path):
    out = openscope("schema", "--kind", "policy")
    schema = json.loads(out.stdout)
    assert schema["title"] == "openscope policy"
    assert "deny-licenses" in schema["properties"] and "ExceptionEntry" in schema["$defs"]


@pytest.mark.slow
def test_a_broken_extended_file_stops_check_with_one_line(tmp_path):
    (tmp_path / "org.toml").write_text('deny-licenses = ["lama"]\n', encoding="utf-8")
    (tmp_path / "openscope.toml").write_text(textwrap.dedent('extend = "org.toml"\n'), encoding="utf-8")
    result = openscope("check", cwd=tmp_path)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("openscope: error: org.toml: deny-licenses: unknown license, family or category 'lama'")


@pytest.mark.slow
def test_a_family_rule_and_a_preset_gate_real_models(tmp_path):
    (tmp_path / "app.py").write_text(
        'from transformers import AutoModel\n'
        'a = AutoModel.from_pretrained("CohereForAI/c4ai-command-r-plus")\n'
        'b = AutoModel.from_pretrained("meta-llama/Llama-3.1-8B")\n'
        'c = AutoModel.from_pretrained("mistralai/Mistral-7B-v0.1")\n', encoding="utf-8")
    (tmp_path / "openscope.toml").write_text('preset = "internal-research"\ndeny-licenses = ["cc-nc"]\n',
                                             encoding="utf-8")
    result = openscope("check", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    errors = [v for v in json.loads(result.stdout)["policy"]["violations"] if v["severity"] == "error"]
    assert [(v["model"], v["rule"]) for v in errors] == [("CohereForAI/c4ai-command-r-plus", "license")]
    assert "cc-by-nc-4.0" in errors[0]["message"] and "cc-nc" in errors[0]["message"]
    (tmp_path / "openscope.toml").write_text('preset = "redistribute-weights"\nallow-licenses = ["permissive"]\n',
                                             encoding="utf-8")
    result = openscope("check", "--format", "json", cwd=tmp_path)
    errors = {(v["model"], v["rule"]) for v in json.loads(result.stdout)["policy"]["violations"]
              if v["severity"] == "error"}
    assert ("meta-llama/Llama-3.1-8B", "license") in errors
    assert ("CohereForAI/c4ai-command-r-plus", "non-commercial") in errors
    assert not any(m == "mistralai/Mistral-7B-v0.1" for m, _ in errors)  # Apache-2.0 is permissive
