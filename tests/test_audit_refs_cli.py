"""`openscope audit -r FILE` / `-r -`: references read from a list, pasted Hub URLs, and what a miss says."""

from __future__ import annotations

import json

from click.testing import CliRunner

from openscope.cli import cli


def run(*args, stdin=None):
    return CliRunner().invoke(cli, ["audit", *args], input=stdin, catch_exceptions=False)


def test_refs_from_a_file_keep_their_line_and_a_bad_line_names_it(tmp_path):
    listed = tmp_path / "models.txt"
    listed.write_text("# approved models\nmeta-llama/Llama-3.1-8B-Instruct\n\n"
                      "https://huggingface.co/google/gemma-2-2b-it/tree/main   # pasted from the browser\n"
                      "gpt4o\n", encoding="utf-8")
    result = run("-r", str(listed), "gpt-4o", "--offline", "-f", "json")
    assert result.exit_code == 3  # the typo could not be assessed; the others are reported in full
    models = json.loads(result.stdout)["models"]
    assert [(m["id"], m["locations"]) for m in models] == [
        ("openai:gpt-4o", []),
        ("meta-llama/Llama-3.1-8B-Instruct", [{"path": str(listed), "line": 2}]),
        ("google/gemma-2-2b-it", [{"path": str(listed), "line": 4}]),
        (None, [])]
    assert models[2]["ref"].startswith("https://huggingface.co/google/gemma-2-2b-it/tree/main")
    error = models[3]["error"]
    assert error["code"] == "invalid-ref" and error["message"].startswith(f"{listed}:5: 'gpt4o'")
    assert "did you mean 'gpt-4o'?" in error["message"]
    assert f"{listed}:5:" in result.stderr


def test_refs_from_stdin():
    result = run("-r", "-", "--offline", "-f", "json", stdin="ollama:llama3.1:8b\nallenai/OLMo-7B\n")
    assert result.exit_code == 0, result.stderr
    models = json.loads(result.stdout)["models"]
    assert [m["id"] for m in models] == ["meta-llama/Llama-3.1-8B-Instruct", "allenai/OLMo-7B"]
    assert models[0]["ref"] == "ollama:llama3.1:8b" and models[0]["locations"] == [{"path": "<stdin>", "line": 1}]


def test_no_references_or_an_unreadable_list_is_a_usage_error(tmp_path):
    assert run("--offline").exit_code == 2
    missing = run("-r", str(tmp_path / "nope.txt"), "--offline")
    assert missing.exit_code == 2 and "nope.txt: cannot read references" in missing.stderr


def test_a_hub_miss_online_suggests_a_near_name_the_registry_knows(fake_hub, tmp_path):
    from openscope.errors import ModelNotFoundError
    from openscope.sources import FactResolver
    from openscope.sources.cache import FactCache
    from openscope.sources.hub import HubSource
    from openscope.types import ModelRef

    live = HubSource(endpoint=fake_hub.url, token=False, cache_dir=tmp_path / "hf", store=FactCache(tmp_path / "os"))
    resolver = FactResolver(hub_sources=[live])
    typo = ModelRef(raw="meta-llama/Llama-3.1-8B-Instrct", kind="hub", id="meta-llama/Llama-3.1-8B-Instrct")
    try:
        resolver.fetch(typo)
    except ModelNotFoundError as exc:
        assert "did you mean meta-llama/Llama-3.1-8B-Instruct?" in str(exc)
    else:
        raise AssertionError("the fake Hub has no such model")
