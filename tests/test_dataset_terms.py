"""Dataset terms: the datasets a card names (`datasets:` and Hub dataset links in its body), each with the
license its own card declares, read from the (fake) Hub over real HTTP or from the registry offline; a
non-commercial dataset under a model whose terms allow commercial use is a warning."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from openscope.card.parse import named_datasets
from test_audit_offline import offline_env

pytestmark = pytest.mark.slow

NC_CARD = "---\nlicense: cc-by-nc-4.0\n---\n# A research-only corpus\n"
MODEL_CARD = ("---\nlicense: apache-2.0\ndatasets:\n- acme/corpus-a\n---\n# Model\n\n"
              "Instruction-tuned on [our chats](https://huggingface.co/datasets/acme/chats-nc).\n")


def cli(env, cwd, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "openscope", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


def datasets(model) -> dict:
    return {d["id"]: d for d in model["datasets"]}


def test_named_datasets_reads_front_matter_body_links_and_training_facts():
    body = "See https://huggingface.co/datasets/acme/chats-nc and huggingface.co/datasets/Acme/Corpus-A."
    named = named_datasets({"datasets": ["acme/corpus-a"]}, body, {"data": {"datasets": ["allenai/dolma"]}})
    assert named == ["acme/corpus-a", "acme/chats-nc", "allenai/dolma"]


def test_dataset_licenses_come_from_the_hub_with_their_flags(hub_env, fake_hub, tmp_path):
    fake_hub.add_repo("acme/chats-nc", {"README.md": NC_CARD}, repo_type="dataset")
    fake_hub.add_repo("acme/tuned", {"README.md": MODEL_CARD, "config.json": "{}"})
    proc = cli(hub_env, tmp_path, "audit", "acme/tuned", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    model = json.loads(proc.stdout)["models"][0]
    found = datasets(model)
    assert found["acme/corpus-a"]["license"] == "cc-by-4.0" and found["acme/corpus-a"]["license_source"] == "hub"
    nc = found["acme/chats-nc"]  # named only by a link in the card's body
    assert nc["license"] == "cc-by-nc-4.0" and nc["license_id"] == "cc-by-nc-4.0"
    assert "non-commercial" in nc["flags"]
    warning = next(w for w in model["warnings"] if w["code"] == "dataset-non-commercial")
    assert "acme/chats-nc" in warning["message"] and "apache-2.0" in warning["message"]
    assert model["components"]["training_data"] == "restricted"
    assert any("dataset acme/chats-nc: cc-by-nc-4.0 (its Hub card)" in line for line in model["component_evidence"]["training_data"])
    requested = {r.repo for r in fake_hub.requests(route="api")}
    assert {"acme/corpus-a", "acme/chats-nc"} <= requested
    # Offline, the cache answers the same, without a request.
    fake_hub.clear_log()
    again = json.loads(cli(hub_env, tmp_path, "audit", "acme/tuned", "--offline", "-f", "json").stdout)["models"][0]
    assert fake_hub.log == []
    assert datasets(again)["acme/chats-nc"]["license"] == "cc-by-nc-4.0"
    assert datasets(again)["acme/chats-nc"]["license_source"] == "hub"  # the cache keeps who said it


def test_offline_a_local_card_gets_dataset_licenses_from_the_registry(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "README.md").write_text("---\nlicense: mit\ndatasets: [tatsu-lab/alpaca, yahma/alpaca-cleaned]\n---\n")
    model = json.loads(cli(offline_env(tmp_path), tmp_path, "audit", str(folder), "--offline", "-f", "json").stdout)
    model = model["models"][0]
    found = datasets(model)
    assert found["tatsu-lab/alpaca"]["license"] == "cc-by-nc-4.0"
    assert found["tatsu-lab/alpaca"]["license_source"] == "registry"
    assert found["yahma/alpaca-cleaned"]["flags"] == ["attribution"]
    assert [w["code"] for w in model["warnings"]].count("dataset-non-commercial") == 1


def test_no_warning_when_the_model_itself_is_non_commercial(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "README.md").write_text("---\nlicense: cc-by-nc-4.0\ndatasets: [tatsu-lab/alpaca]\n---\n")
    model = json.loads(cli(offline_env(tmp_path), tmp_path, "audit", str(folder), "--offline", "-f", "json").stdout)
    assert "dataset-non-commercial" not in [w["code"] for w in model["models"][0]["warnings"]]


def test_a_body_link_alone_names_training_data_and_markdown_shows_it(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# M\n\n"
                                      "Tuned on https://huggingface.co/datasets/tatsu-lab/alpaca.\n")
    env = offline_env(tmp_path)
    model = json.loads(cli(env, tmp_path, "audit", str(folder), "--offline", "-f", "json").stdout)["models"][0]
    assert datasets(model)["tatsu-lab/alpaca"]["license_source"] == "registry"
    assert model["components"]["training_data"] == "restricted"
    markdown = cli(env, tmp_path, "audit", str(folder), "--offline", "-f", "markdown").stdout
    assert "Models with problems (1)" in markdown
    assert "`tatsu-lab/alpaca`: cc-by-nc-4.0 (non-commercial, attribution)" in markdown
