"""The generated catalog index must match the YAML it was built from, and load the same catalog."""

import json

from openscope import catalog as cat


def test_committed_index_is_current():
    paths = sorted(cat.CATALOG_DIR.glob("*.yaml"))
    index = json.loads(cat.INDEX_FILE.read_text())
    assert index["sources_sha256"] == cat.sources_digest(paths), (
        "catalog.index.json is stale: run python scripts/build_catalog_index.py"
    )


def test_index_loads_the_same_catalog_as_the_yaml(tmp_path):
    from_index = cat.load_catalog()
    # A copy of the folder is not the bundled one, so it is always parsed from YAML.
    copy = tmp_path / "catalog"
    copy.mkdir()
    for p in cat.CATALOG_DIR.glob("*.yaml"):
        (copy / p.name).write_bytes(p.read_bytes())
    from_yaml = cat.load_catalog(copy)
    assert len(from_index) == len(from_yaml) > 0
    for entry in from_yaml:
        other = from_index.get(entry.key)
        assert other is not None
        assert (other.flags, other.osi_open, other.aliases, other.incorporates) == (
            entry.flags, entry.osi_open, entry.aliases, entry.incorporates)


def test_stale_index_is_ignored(tmp_path, monkeypatch):
    stale = json.loads(cat.INDEX_FILE.read_text())
    stale["sources_sha256"] = "0" * 64
    fake = tmp_path / "catalog.index.json"
    fake.write_text(json.dumps(stale))
    monkeypatch.setattr(cat, "INDEX_FILE", fake)
    paths = sorted(cat.CATALOG_DIR.glob("*.yaml"))
    assert cat._indexed_entries(cat.CATALOG_DIR, paths) is None
