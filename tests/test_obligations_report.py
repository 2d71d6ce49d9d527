"""Obligations in the model report and in every format, through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from test_audit_offline import offline_env

pytestmark = pytest.mark.slow


def cli(tmp_path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "openscope", *args], capture_output=True, text=True,
                          env=offline_env(tmp_path), timeout=300, cwd=tmp_path)


@pytest.fixture(scope="module")
def sarif_schema():
    return json.loads((Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def obligations(model) -> dict:
    return {(o["obligation"], o["inherited_from"]): o for o in model["obligations"]}


def test_a_registry_model_takes_its_obligations_from_the_catalog(tmp_path):
    proc = cli(tmp_path, "audit", "meta-llama/Llama-3.1-8B-Instruct", "--offline", "-f", "json")
    model = json.loads(proc.stdout)["models"][0]
    found = obligations(model)
    assert found[("display-credit", None)]["value"] == "Built with Llama"
    assert found[("name-prefix", None)]["value"] == "Llama"
    assert found[("request-license-above-threshold", None)]["thresholds"] == {"users": 700000000}
    credit = found[("display-credit", None)]
    assert credit["source"] == "catalog" and credit["evidence"][0]["file"] == "catalog:llama3.1"
    assert credit["evidence"][0]["section"] == "1.b.i"


@pytest.mark.corpus
def test_a_model_folder_with_its_license_reads_obligations_from_the_text(tmp_path, corpus):
    folder = tmp_path / "my-llama"
    folder.mkdir()
    (folder / "README.md").write_text("---\nlicense: llama3.1\n---\n# my llama\n")
    (folder / "LICENSE").write_text((corpus / "licenses" / "texts" / "llama-3.1.txt").read_text())
    model = json.loads(cli(tmp_path, "audit", str(folder), "-f", "json").stdout)["models"][0]
    credit = obligations(model)[("display-credit", None)]
    assert credit["source"] == "rules" and credit["value"] == "Built with Llama"
    assert credit["evidence"][0]["file"] == "LICENSE" and "“Built with Llama”" in credit["evidence"][0]["quote"]
    assert model["terms_files"][0]["file"] == "LICENSE" and len(model["terms_files"][0]["sha256"]) == 64


def test_a_fine_tune_carries_its_base_obligations_as_inherited(tmp_path):
    folder = tmp_path / "tune"
    folder.mkdir()
    (folder / "README.md").write_text("---\nlicense: apache-2.0\nbase_model: meta-llama/Llama-3.1-8B-Instruct\n---\n")
    model = json.loads(cli(tmp_path, "audit", str(folder), "--offline", "-f", "json").stdout)["models"][0]
    found = obligations(model)
    assert ("ship-license-copy", None) in found  # its own Apache-2.0
    inherited = found[("display-credit", "meta-llama/Llama-3.1-8B-Instruct")]
    assert inherited["value"] == "Built with Llama"


def test_every_format_shows_the_obligations(tmp_path, sarif_schema):
    ref = "meta-llama/Llama-3.1-8B-Instruct"
    proc = cli(tmp_path, "audit", ref, "--offline", "-f", "table", "-f", f"markdown:{tmp_path / 'r.md'}",
               "-f", f"sarif:{tmp_path / 'r.sarif'}", "-f", f"html:{tmp_path / 'r.html'}",
               "-f", f"spdx:{tmp_path / 'r.spdx'}")
    assert proc.returncode == 0, proc.stderr
    assert "must do" in proc.stdout and 'display-credit: "Built' in proc.stdout
    md = (tmp_path / "r.md").read_text()
    assert '- [ ] Display "Built with Llama" where people see the product' in md
    assert '- [ ] Start the name of any model you derive from it and distribute with "Llama"' in md
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    jsonschema.Draft4Validator(sarif_schema).validate(sarif)
    notes = [r for r in sarif["runs"][0]["results"] if r["ruleId"].startswith("obligation/")]
    assert {r["ruleId"] for r in notes} >= {"obligation/display-credit", "obligation/name-prefix"}
    assert all(r["level"] == "note" for r in notes)
    html = (tmp_path / "r.html").read_text()
    assert "What you must do" in html and "Built with Llama" in html
    spdx = (tmp_path / "r.spdx").read_text()
    assert "obligation: Display" in spdx


def test_cyclonedx_lists_obligations_as_properties(tmp_path):
    pytest.importorskip("cyclonedx")
    proc = cli(tmp_path, "audit", "meta-llama/Llama-3.1-8B-Instruct", "--offline", "-f", "cyclonedx")
    comp = next(c for c in json.loads(proc.stdout)["components"] if c["bom-ref"].startswith("model:"))
    values = [p["value"] for p in comp["properties"] if p["name"] == "openscope:obligation"]
    assert 'display-credit: "Built with Llama"' in values


def test_markdown_gives_a_clean_model_its_own_checklist(tmp_path):
    md = cli(tmp_path, "audit", "allenai/OLMo-7B", "--offline", "-f", "markdown").stdout
    assert "### What you must do" in md
    assert "- [ ] Ship a copy of the license" in md and "[catalog:apache-2.0 §4(a)]" in md


def test_license_command_reports_obligations(tmp_path):
    text = tmp_path / "LICENSE"
    text.write_text("You may use the Model. If you distribute it, you must give every recipient a copy of this "
                    "License and prominently display \"Powered by Orca\" in your product.\n")
    report = json.loads(cli(tmp_path, "license", str(text), "-f", "json").stdout)
    got = {(o["obligation"], o["value"]) for o in report["licenses"][0]["obligations"]}
    assert {("ship-license-copy", None), ("display-credit", "Powered by Orca")} <= got
