"""`openscope notice`: the notice bundle, through the real CLI, offline on the sample repository and
online against the fake Hub (texts fetched at the model's revision, then again from the cache offline)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from openscope.license.notices import copyright_lines
from test_audit_offline import offline_env

pytestmark = pytest.mark.slow
SAMPLE = Path(__file__).parent / "fixtures" / "sample_repo"

CREDIT_LICENSE = """Acme Credit Model License (test fixture)

Copyright 2025 Acme Labs Ltd.

1. Grant. You may use, copy and share the model.
2. Credit. If you ship a product built with the model, you must prominently display "Powered by Acme" in it.
3. Copies. You must give every recipient of the model a copy of this License.
"""
CREDIT_NOTICE = "Acme Credit Model\nCopyright 2025 Acme Labs Ltd. and contributors\n"


def cli(env, cwd, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "openscope", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def sample_bundle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("notice")
    repo = tmp / "sample_repo"
    shutil.copytree(SAMPLE, repo)
    proc = cli(offline_env(tmp), repo, "notice", "--offline", "--format", "json")
    text = cli(offline_env(tmp), repo, "notice", "--offline").stdout
    return proc, json.loads(proc.stdout), text


def test_sample_repo_bundle_names_each_models_license_credit_and_texts(sample_bundle):
    proc, bundle, _ = sample_bundle
    assert bundle["schema"] == "openscope.notice/1"
    entries = {e["model"]: e for e in bundle["models"]}
    llama = entries["meta-llama/Llama-3.1-8B-Instruct"]
    assert llama["license"]["name"] == "Llama 3.1 Community License Agreement"
    assert llama["credits"] == ["Built with Llama"]
    assert "https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct/blob/main/LICENSE" in llama["links"]
    assert {loc["path"] for loc in llama["locations"]} == {"models.txt", "app/inference.py"}
    assert {o["obligation"] for o in llama["obligations"]} >= {"display-credit", "name-prefix", "ship-license-copy"}
    olmo = entries["allenai/OLMo-2-1124-7B"]
    assert olmo["license"]["id"] == "apache-2.0" and olmo["credits"] == []
    assert any("offline registry facts" in n for n in olmo["notes"])
    # The base whose terms reach a model used gets its entry, saying for which model it is shipped.
    assert "HuggingFaceH4/zephyr-7b-beta" in entries["mistralai/Mistral-7B-v0.1"]["required_by"]
    assert {e["model"] for e in bundle["hosted"]} >= {"openai:gpt-4o", "anthropic:claude-3-5-sonnet-20241022"}
    assert "openai:gpt-4o" not in entries
    assert {m["code"] for m in bundle["missing"]} == {"not-found"}
    assert proc.returncode == 3  # written, but three references could not be assessed
    assert "3 not included" in proc.stderr


def test_sample_repo_text_bundle_reads_like_a_notice_file(sample_bundle):
    _, _, text = sample_bundle
    assert text.startswith("THIRD-PARTY MODEL NOTICES")
    block = text.split("meta-llama/Llama-3.1-8B-Instruct\n", 1)[1].split("=" * 78, 2)[1]
    assert "License: Llama 3.1 Community License Agreement (llama3.1)" in block
    assert 'Credit to display: "Built with Llama"' in block
    assert '[ ] Start the name of any model you derive from it and distribute with "Llama"' in block
    assert "Hosted services" in text and "Not included: these models could not be assessed" in text


def test_online_bundle_includes_the_texts_at_the_revision_then_offline_from_the_cache(hub_env, fake_hub, tmp_path):
    repo = fake_hub.add_repo("acme/credit-model", {
        "README.md": "---\nlicense: other\nlicense_name: acme-credit\n---\n# Credit model\n",
        "LICENSE": CREDIT_LICENSE, "NOTICE": CREDIT_NOTICE, "config.json": "{}"})
    project = tmp_path / "project"
    project.mkdir()
    (project / "models.txt").write_text("acme/credit-model\nacme/open-small\n")
    online = cli(hub_env, project, "notice", "--include-texts", "--format", "json")
    assert online.returncode == 0, online.stderr
    entry = next(e for e in json.loads(online.stdout)["models"] if e["model"] == "acme/credit-model")
    assert entry["revision"] == repo.sha
    assert entry["credits"] == ["Powered by Acme"]
    assert entry["copyright"] == ["Copyright 2025 Acme Labs Ltd.", "Copyright 2025 Acme Labs Ltd. and contributors"]
    assert entry["notices"] == [CREDIT_NOTICE.strip()]
    texts = {t["file"]: t for t in entry["texts"]}
    assert texts["LICENSE"]["text"] == CREDIT_LICENSE
    assert texts["LICENSE"]["url"] == f"https://huggingface.co/acme/credit-model/blob/{repo.sha}/LICENSE"
    fake_hub.clear_log()
    offline = cli(hub_env, project, "notice", "--include-texts", "--offline")
    assert offline.returncode == 0, offline.stderr
    assert fake_hub.log == []
    assert CREDIT_LICENSE.splitlines()[4] in offline.stdout and "Powered by Acme" in offline.stdout


def test_markdown_bundle_has_a_checklist_per_model(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "models.txt").write_text("meta-llama/Llama-3.1-8B-Instruct\n")
    md = cli(offline_env(tmp_path), repo, "notice", "--offline", "-f", "markdown").stdout
    assert md.startswith("# Third-party model notices")
    assert "## meta-llama/Llama-3.1-8B-Instruct" in md and '- [ ] Display "Built with Llama"' in md


def test_an_unwritable_output_is_one_line_and_exit_2(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "models.txt").write_text("allenai/OLMo-7B\n")
    proc = cli(offline_env(tmp_path), repo, "notice", "--offline", "-o", str(tmp_path / "no" / "such" / "NOTICE"))
    assert proc.returncode == 2
    assert proc.stderr.count("openscope: error:") == 1 and "cannot write the notice bundle" in proc.stderr


def test_copyright_lines_keep_statements_and_drop_templates_and_prose():
    text = ("Copyright 2024 Acme Labs\nCopyright (c) <year> <copyright holders>\nCopyright [yyyy] [name of owner]\n"
            "Copyright notices must be kept in copies.\n© 2023 Foo Inc. All rights reserved.\n(c) To generate spam;\n")
    assert copyright_lines(text) == ["Copyright 2024 Acme Labs", "© 2023 Foo Inc. All rights reserved."]
