"""Where the bundled data lives and how it is read: data paths, the YAML loader, the generated index.

Importing and running PyYAML costs more than the rest of an offline audit, so the bundled YAML
files (and the shipped policy TOML files: importing and running tomllib was a tenth of a warm `check`)
are also kept parsed in a generated JSON index (scripts/build_data_index.py). Each entry
carries the digest of the file it came from and is used only while that still matches: an edited
YAML file is always read itself, and the YAML files stay the reviewable source of truth.

The index is one JSON file per folder of YAML files (`data_index/licenses-catalog.json` ...), read
when a file of that folder is first asked for: an audit that reads the catalog never parses the
license and card rules, which were nine tenths of the time spent parsing a single index.
"""

from __future__ import annotations

import functools
from pathlib import Path

DATA_DIR = Path(__file__).parent
LICENSES_DIR = DATA_DIR / "licenses"
REGISTRY_DIR = DATA_DIR / "models_registry"
DATA_INDEX = DATA_DIR / "data_index"  # a folder: one index file per folder of bundled YAML files


def cache_root() -> Path:
    """openscope's cache: $OPENSCOPE_CACHE, else `openscope/` under the Hugging Face home (~/.cache/huggingface).

    Hub records (sources/cache.py) and license readings (license/cache.py) live below it.
    """
    import os

    explicit = os.environ.get("OPENSCOPE_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    # huggingface_hub's own rule for HF_HOME (XDG_CACHE_HOME honoured), without importing it (start-up cost).
    hf_home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "huggingface")
    return Path(hf_home).expanduser() / "openscope"


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all: a temporary file in the same folder, renamed over it, so
    a reader never sees half a record (concurrent runs, kill -9). Raises OSError; the temporary file is removed."""
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def index_file_name(rel: str) -> str:
    """The index file, under DATA_INDEX, that holds the bundled file `rel` (a path below DATA_DIR)."""
    folder = rel.rpartition("/")[0]
    return (folder.replace("/", "-") or "top") + ".json"


@functools.cache
def _data_index(name: str) -> dict:
    import json

    try:
        return json.loads((DATA_INDEX / name).read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError):
        return {}


def parse_yaml_file(path: Path):
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)


def parse_data_file(path: Path):
    """A bundled data file parsed from its source: TOML (the shipped policies) or YAML."""
    if Path(path).suffix == ".toml":
        import tomllib

        with open(path, "rb") as fh:
            return tomllib.load(fh)
    return parse_yaml_file(path)


_MISSING = object()


def indexed(path: Path, default=None):
    """The parsed form of the bundled file `path` from the data index, while the digest it was indexed
    with still matches the file; else `default` (a file edited since, or not indexed)."""
    path = Path(path)
    prefix = str(DATA_DIR) + "/"
    text_path = str(path)
    # Bundled files are addressed from DATA_DIR, so a string prefix test is enough (no resolve()).
    rel = text_path[len(prefix):] if text_path.startswith(prefix) else None
    entry = _data_index(index_file_name(rel)).get(rel) if rel is not None else None
    if entry is not None:
        import hashlib

        if hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]:
            return entry["data"]
    return default


def load_yaml(path: Path):
    data = indexed(path, _MISSING)
    return parse_yaml_file(path) if data is _MISSING else data
