"""The generated data index must be current, complete, and load exactly what the YAML says."""

import hashlib
import importlib.util
import json
from pathlib import Path

from openscope import data as data_module

ROOT = Path(__file__).resolve().parents[1]


def _build_script():
    spec = importlib.util.spec_from_file_location("build_data_index", ROOT / "scripts" / "build_data_index.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _committed_indexes() -> dict[str, dict]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(data_module.DATA_INDEX.glob("*.json"))}


def test_committed_index_is_current_and_complete():
    indexes = _committed_indexes()
    files = {rel: entry for index in indexes.values() for rel, entry in index["files"].items()}
    expected = {p.relative_to(data_module.DATA_DIR).as_posix() for p in _build_script().indexed_paths()}
    assert set(files) == expected, "data_index/ is stale: run python scripts/build_data_index.py"
    assert set(indexes) == {data_module.index_file_name(rel) for rel in expected}, "stale index files in data_index/"
    for name, index in indexes.items():
        for rel, entry in index["files"].items():
            assert data_module.index_file_name(rel) == name, f"{rel} is in {name}"
            digest = hashlib.sha256((data_module.DATA_DIR / rel).read_bytes()).hexdigest()
            assert entry["sha256"] == digest, f"{rel} changed: run python scripts/build_data_index.py"
            assert entry["data"] == data_module.parse_data_file(data_module.DATA_DIR / rel)


def test_an_edited_file_is_read_itself_not_from_the_index(tmp_path, monkeypatch):
    flags = data_module.LICENSES_DIR / "flags.yaml"
    copy_dir = tmp_path / "pkg"
    (copy_dir / "licenses").mkdir(parents=True)
    edited = copy_dir / "licenses" / "flags.yaml"
    edited.write_text(flags.read_text().replace("title: User cap", "title: Edited title"))
    (copy_dir / "data_index").mkdir()
    for name, index in _committed_indexes().items():
        (copy_dir / "data_index" / name).write_text(json.dumps(index))
    monkeypatch.setattr(data_module, "DATA_DIR", copy_dir)
    data_module._data_index.cache_clear()
    monkeypatch.setattr(data_module, "DATA_INDEX", copy_dir / "data_index")
    try:
        assert data_module.load_yaml(edited)["flags"]["user-cap"]["title"] == "Edited title"
    finally:
        data_module._data_index.cache_clear()


def test_an_audit_parses_only_the_index_files_it_reads():
    """The catalog's, the vocabulary's and the registry's folders: not the rules (most of the parsing)."""
    import subprocess
    import sys

    code = ("import openscope.data as d, functools\n"
            "seen = []\n"
            "inner = d._data_index.__wrapped__\n"
            "d._data_index = functools.cache(lambda name: seen.append(name) or inner(name))\n"
            "import openscope.api as p\n"
            "r = p.audit(['meta-llama/Llama-3.1-8B-Instruct'], offline=True)\n"
            "assert r.models[0].error is None, r.models[0].error\n"
            "print(sorted(seen))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['licenses-catalog.json', 'licenses.json', 'models_registry.json']"


def test_audit_of_a_registry_model_does_not_import_yaml_or_spacy():
    import subprocess
    import sys

    code = ("import sys, openscope.api as p; r = p.audit(['meta-llama/Llama-3.1-8B-Instruct'], offline=True);"
            "assert r.models[0].error is None, r.models[0].error;"
            "print(sorted(m for m in ('yaml', 'spacy', 'sklearn', 'huggingface_hub') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
