#!/usr/bin/env python3
"""Regenerate src/openscope/data_index/: the bundled YAML files (and shipped policy TOML files), parsed, with their digests.

The index only speeds up start-up (PyYAML is slow to import and to run); the YAML files stay the
reviewable source of truth, and an entry whose file has changed is ignored at run time. Run this
after editing any indexed YAML file: tests/test_data_index.py fails while the index is stale.
One index file per folder of YAML files (data.index_file_name), so a command parses only what it reads.
"""

import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from openscope.data import DATA_DIR, DATA_INDEX, index_file_name, parse_data_file  # noqa: E402

# Every YAML file openscope reads at run time (registry sources are read only by `openscope registry build`),
# and the policy files it ships (the default policy a `check` without a policy file applies, the presets).
INDEXED = ["licenses/*.yaml", "licenses/catalog/*.yaml", "licenses/rules/*.yaml", "licenses/obligations/*.yaml",
           "models_registry/closed_api.yaml", "models_registry/renamed_orgs.yaml", "models_registry/datasets.yaml",
           "cardrules/*.yaml", "scan/*.yaml", "policies/*.yaml", "policies/default.toml", "policies/presets/*.toml"]


def indexed_paths() -> list[Path]:
    return sorted({p for pattern in INDEXED for p in DATA_DIR.glob(pattern)})


SCHEMA = "openscope.data-index/2"  # 2: one file per folder


def build() -> dict[str, dict]:
    """Index file name -> its content."""
    out: dict[str, dict] = {}
    for path in indexed_paths():
        data = parse_data_file(path)
        if json.loads(json.dumps(data)) != data:
            raise SystemExit(f"{path}: does not survive JSON (dates or non-string keys?); quote those values")
        rel = path.relative_to(DATA_DIR).as_posix()
        index = out.setdefault(index_file_name(rel), {"schema": SCHEMA, "files": {}})
        index["files"][rel] = {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "data": data}
    return out


if __name__ == "__main__":
    indexes = build()
    DATA_INDEX.mkdir(exist_ok=True)
    for stale in sorted(set(p.name for p in DATA_INDEX.glob("*.json")) - set(indexes)):
        (DATA_INDEX / stale).unlink()
    for name, index in sorted(indexes.items()):
        (DATA_INDEX / name).write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")) + "\n",
                                       encoding="utf-8")
    print(f"wrote {DATA_INDEX}/ ({len(indexes)} index files, {sum(len(i['files']) for i in indexes.values())} files)")
