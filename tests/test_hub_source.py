"""HubSource and CacheSource against the local fake Hub, over real HTTP (huggingface_hub is never patched)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml
from fakehub import FIXTURES

from openscope.errors import ModelNotFoundError
from openscope.sources.cache import FactCache
from openscope.sources.hub import CacheSource, HubSource, RetryPolicy, license_files
from openscope.types import DATASET_SOURCE_KEY, ModelRef


def hub_ref(text: str) -> ModelRef:
    repo, _, rev = text.partition("@")
    return ModelRef(raw=text, kind="hub", id=repo, revision=rev or None)


def fixture_text(repo: str, name: str) -> str:
    return (FIXTURES / repo / name).read_text(encoding="utf-8")


def front_matter(repo: str) -> dict:
    return yaml.safe_load(fixture_text(repo, "README.md").split("---", 2)[1])


@pytest.fixture
def dirs(tmp_path):
    return {"hf": tmp_path / "hf-cache", "store": FactCache(tmp_path / "openscope")}


@pytest.fixture
def source(fake_hub, dirs):
    return HubSource(endpoint=fake_hub.url, token=False, cache_dir=dirs["hf"], store=dirs["store"],
                     retry=RetryPolicy(sleep=lambda s: None))


@pytest.fixture
def cache(dirs):
    return CacheSource(store=dirs["store"], cache_dir=dirs["hf"])


def test_fetch_gathers_card_license_files_and_datasets(source, fake_hub):
    facts = source.fetch(hub_ref("acme/open-small"))
    assert facts.provenance == "hub" and facts.kind == "hub"
    assert facts.id == "acme/open-small"
    assert facts.sha == fake_hub.repo("acme/open-small").sha
    assert facts.card_data == front_matter("acme/open-small")
    assert [(d.name, d.text) for d in facts.documents] == [("LICENSE", fixture_text("acme/open-small", "LICENSE"))]
    assert sorted(facts.siblings) == ["LICENSE", "README.md", "config.json"]
    assert facts.gated is False
    assert "license:apache-2.0" in facts.tags
    dataset_card = yaml.safe_load((FIXTURES / "datasets/acme/corpus-a/README.md").read_text().split("---", 2)[1])
    assert facts.datasets == {"acme/corpus-a": {**dataset_card, DATASET_SOURCE_KEY: "hub"}}
    assert facts.warnings == []


def test_files_are_downloaded_at_the_commit_model_info_named(source, fake_hub):
    source.fetch(hub_ref("acme/open-small"))
    sha = fake_hub.repo("acme/open-small").sha
    files = fake_hub.requests("acme/open-small", route="file")
    assert {r.filename for r in files} == {"README.md", "LICENSE"}
    assert all(f"/resolve/{sha}/" in r.path for r in files)
    assert not any(r.filename == "config.json" for r in files)  # only card and license-bearing files


def test_every_license_bearing_file_is_read(source):
    facts = source.fetch(hub_ref("acme/custom-rl"))
    assert [d.name for d in facts.documents] == ["LICENSE.md", "USE_POLICY.md", "NOTICE"]


def test_license_link_to_a_file_in_the_repo_is_followed(source):
    facts = source.fetch(hub_ref("acme/linked-terms"))
    assert [d.name for d in facts.documents] == ["docs/TERMS.md"]
    assert facts.documents[0].text == fixture_text("acme/linked-terms", "docs/TERMS.md")


def test_license_file_selection():
    siblings = ["README.md", "LICENSE-MODEL", "NOTICE.rst", "LICENSE.py", "src/LICENSE", "terms/T.md", "USE_POLICY.md"]
    link = {"license_link": "https://huggingface.co/o/n/blob/main/terms/T.md"}
    assert license_files(siblings, link) == ["USE_POLICY.md", "LICENSE-MODEL", "NOTICE.rst", "terms/T.md"]
    assert license_files(["README.md"], {"license_link": "README.md"}) == []
    assert license_files(["LICENSE"], {"license_link": "https://example.com/terms"}) == ["LICENSE"]
    other_repo = {"license_link": "https://huggingface.co/base/model/blob/main/terms/T.md"}
    assert license_files(["terms/T.md"], other_repo, "acme/tuned") == []
    assert license_files(["terms/T.md"], other_repo, "Base/Model") == ["terms/T.md"]


def test_readme_front_matter_wins_over_model_info_card_data(fake_hub, source):
    fake_hub.add_repo("acme/two-cards", {"README.md": "---\nlicense: apache-2.0\n---\nBody.\n"},
                      {"cardData": {"license": "mit"}})
    facts = source.fetch(hub_ref("acme/two-cards"))
    assert facts.card_data == {"license": "apache-2.0"}
    assert facts.front_matter == "valid-yaml"


def test_broken_readme_front_matter_falls_back_to_model_info(source, fake_hub):
    facts = source.fetch(hub_ref("acme/broken-yaml"))
    assert facts.card_data == fake_hub.repo("acme/broken-yaml").info["cardData"]
    assert [w.code for w in facts.warnings] == ["card-invalid"]
    assert "acme/broken-yaml" in facts.warnings[0].message


def test_repo_without_readme_uses_model_info_card_data(source, fake_hub):
    facts = source.fetch(hub_ref("acme/no-card"))
    assert facts.card_data == fake_hub.repo("acme/no-card").info["cardData"]
    assert [w.code for w in facts.warnings] == ["card-missing"]
    assert [d.name for d in facts.documents] == ["LICENSE"]
    assert not fake_hub.requests("acme/no-card", route="file") or all(
        r.filename != "README.md" for r in fake_hub.requests("acme/no-card", route="file"))


def test_missing_file_list_tries_the_usual_names(source, fake_hub):
    fake_hub.add_repo("acme/no-siblings", {"README.md": "---\nlicense: mit\n---\n", "LICENSE": "Short terms."},
                      {"omit": ["siblings"]})
    facts = source.fetch(hub_ref("acme/no-siblings"))
    assert [d.name for d in facts.documents] == ["LICENSE"]
    assert facts.card_data == {"license": "mit"}


def test_gated_model_read_with_a_granted_token(fake_hub, dirs):
    fake_hub.set_fault("acme/gated-model", granted_tokens={"hf_granted_for_tests"})
    source = HubSource(endpoint=fake_hub.url, token="hf_granted_for_tests", cache_dir=dirs["hf"], store=dirs["store"])
    facts = source.fetch(hub_ref("acme/gated-model"))
    assert facts.gated is True
    assert [d.name for d in facts.documents] == ["LICENSE"]
    assert all(r.authorized for r in fake_hub.requests("acme/gated-model"))


def test_dataset_failure_is_only_a_warning(source, fake_hub):
    card = "---\nlicense: mit\ndatasets:\n- acme/corpus-a\n- acme/missing-set\n---\n"
    fake_hub.add_repo("acme/two-datasets", {"README.md": card})
    facts = source.fetch(hub_ref("acme/two-datasets"))
    assert list(facts.datasets) == ["acme/corpus-a"]
    warnings = [w for w in facts.warnings if w.code == "dataset-unavailable"]
    assert len(warnings) == 1 and "acme/missing-set" in warnings[0].message
    assert "no such dataset" in warnings[0].message


def test_revision_is_asked_for_and_remembered(source, cache, fake_hub):
    online = source.fetch(hub_ref("acme/open-small@v1.0"))
    assert [r.path for r in fake_hub.requests(route="api") if "models" in r.path] == [
        "/api/models/acme/open-small/revision/v1.0"]
    offline = cache.fetch(hub_ref("acme/open-small@v1.0"))
    assert offline.sha == online.sha
    with pytest.raises(ModelNotFoundError, match="not in the local cache at v2"):
        cache.fetch(hub_ref("acme/open-small@v2"))


def test_warm_rerun_makes_no_file_requests(source, fake_hub):
    source.fetch(hub_ref("acme/custom-rl"))
    assert fake_hub.requests("acme/custom-rl", route="file")
    fake_hub.clear_log()
    source.fetch(hub_ref("acme/custom-rl"))
    assert fake_hub.requests(route="file") == [], fake_hub.log
    assert [r.method for r in fake_hub.requests(route="api")] == ["GET", "GET"], fake_hub.log  # model + its dataset


def test_cache_gives_the_same_facts_without_any_request(source, cache, fake_hub):
    refs = ["acme/open-small", "acme/custom-rl", "acme/linked-terms", "acme/broken-yaml"]
    online = [source.fetch(hub_ref(r)) for r in refs]
    fake_hub.clear_log()
    fake_hub.stop()  # any request now would fail: the cache must not need one
    offline = [cache.fetch(hub_ref(r)) for r in refs]
    assert fake_hub.log == []
    for on, off in zip(online, offline):
        assert off.provenance == "cache"
        assert dataclasses.replace(on, provenance="cache") == off


def test_cache_miss_is_not_found(cache):
    with pytest.raises(ModelNotFoundError, match="acme/open-small: not in the local cache"):
        cache.fetch(hub_ref("acme/open-small"))


def test_cache_notices_files_removed_from_the_hub_cache(source, cache, dirs):
    source.fetch(hub_ref("acme/open-small"))
    shutil.rmtree(Path(dirs["hf"]) / "models--acme--open-small" / "snapshots")
    facts = cache.fetch(hub_ref("acme/open-small"))
    assert facts.documents == []
    assert {w.code for w in facts.warnings} >= {"cache-incomplete"}
    assert any("LICENSE" in w.message for w in facts.warnings)


def test_damaged_cache_record_is_a_miss(source, cache, dirs):
    source.fetch(hub_ref("acme/open-small"))
    for record in (dirs["store"].root / "models").rglob("*.json"):
        record.write_text("{ not json", encoding="utf-8")
    with pytest.raises(ModelNotFoundError):
        cache.fetch(hub_ref("acme/open-small"))


def test_cache_lookup_ignores_case_and_accepts_the_sha(source, cache, fake_hub):
    source.fetch(hub_ref("acme/open-small"))
    sha = fake_hub.repo("acme/open-small").sha
    assert cache.fetch(hub_ref("ACME/Open-Small")).id == "acme/open-small"
    assert cache.fetch(hub_ref(f"acme/open-small@{sha}")).sha == sha
