"""Offline audits remembered: the report an offline audit gave, given again while nothing it came from changed.

`check --offline` (and `scan --offline`) of an unchanged repository asks the same question on every run:
the same references, answered from openscope's own files. Assessing them again cost about half of such
a run (importing the assessment chain, loading the catalog, tracing each model's bases), so the audit's
report is kept in openscope's cache and read back instead:

    <root>/reports/<key>.json       root: $OPENSCOPE_CACHE (data.cache_root)

The key is a digest of
- the references, in order, with every location (file, line, the rules a line waives), as the scan found them;
- the names, sizes and modification times of every file of the installed package (code, registry
  snapshot, catalog, rules): any edit, upgrade or reinstall is another key;
- the Python release and the installed spaCy release (what shapes a reading besides openscope's files,
  as for the stored readings of license/known.py), and the environment variables an offline fetch reads.

A report is remembered only when every fact came from openscope's own files: no local folder or card
among the references, and none of the Hub ids asked for (the references and every base their assessment
followed) has a record in the cache of Hub answers (sources/cache.py), which an online run may fill at
any time; a hit checks again that none has one now. What is stored is the audit's report before the
policy is applied: `check` judges it afresh on every run (the policy file and today's date are not part
of the key), and every format is rendered from it as from a fresh one. `OPENSCOPE_NO_CACHE=1` or
`--no-cache` turns this off, as it does the reading cache. Writes are atomic (a temporary file renamed over
the record); a record that does not parse, or names another key, is a miss; the oldest records beyond
MAX_RECORDS are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

SCHEMA = "openscope.audit-memo/1"
MAX_RECORDS = 64  # one per repository state: a few recent ones of a few repositories
PACKAGE = Path(__file__).resolve().parent
# What an offline fetch or a reading reads from the environment besides the cache root.
_ENVIRONMENT = ("HF_ENDPOINT", "HF_HOME", "HF_HUB_CACHE", "XDG_CACHE_HOME", "OPENSCOPE_NO_KNOWN_READINGS")


def remembered_audit(refs: list, compute, new_resolver):
    """`compute(resolver)` (an offline audit of `refs` through `resolver`), or the report it gave before for
    the same question. `new_resolver()` makes the offline resolver a computed audit uses."""
    from openscope.license.cache import enabled

    if not enabled() or any(ref.kind == "local" for ref in refs):
        return compute(new_resolver())
    from openscope.data import cache_root

    root = cache_root()
    key = _key(refs)
    path = root / "reports" / f"{key}.json"
    report = _load(path, key, root)
    if report is not None:
        return report
    resolver = _Asking(new_resolver())
    report = compute(resolver)
    asked = sorted({ref.id for ref in resolver.asked if ref.kind == "hub"})
    if all(ref.kind in ("hub", "api") for ref in resolver.asked) and not _any_cached(root, asked):
        _store(path, {"schema": SCHEMA, "key": key, "asked": asked, "report": report.to_dict()})
    return report


class _Asking:
    """A resolver that notes every reference it was asked for (the bases an assessment follows included)."""

    def __init__(self, resolver):
        self.resolver = resolver
        self.asked: list = []

    def fetch(self, ref):
        self.asked.append(ref)  # list.append is atomic: the fetch threads may call at once
        return self.resolver.fetch(ref)


def _key(refs: list) -> str:
    question = {
        "schema": SCHEMA,
        "package": package_state(),
        "python": sys.version,
        "spacy": _spacy_release(),
        "environment": {name: os.environ.get(name) for name in _ENVIRONMENT},
        "refs": [[ref.raw, ref.kind, ref.id, ref.revision, ref.provider,
                  [[loc.path, loc.line, list(loc.ignore)] for loc in ref.locations]] for ref in refs],
    }
    return hashlib.sha256(json.dumps(question, sort_keys=True).encode("utf-8")).hexdigest()


def package_state() -> str:
    """SHA-256 of the relative path, size and modification time of every file of the package (not bytecode)."""
    digest = hashlib.sha256()
    for folder, subfolders, names in os.walk(PACKAGE):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        rel = os.path.relpath(folder, PACKAGE)
        for name in sorted(names):
            if name.endswith(".pyc"):
                continue
            st = os.stat(os.path.join(folder, name))
            digest.update(f"{rel}/{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _spacy_release() -> str | None:
    """The installed spaCy's version, read from its about.py without importing it (as license/known.py does)."""
    import importlib.util
    import re

    try:
        spec = importlib.util.find_spec("spacy")
        if spec is None or not spec.origin:
            return None
        about = Path(spec.origin).with_name("about.py").read_text(encoding="utf-8")
    except (OSError, ImportError, ValueError):
        return None
    found = re.search(r"^__version__\s*=\s*[\"']([^\"']+)", about, re.M)
    return found.group(1) if found else None


def _any_cached(root: Path, hub_ids: list[str]) -> bool:
    """Whether the cache of Hub answers holds a record of any of these ids (an offline fetch would use it)."""
    from openscope.sources.cache import FactCache

    store = FactCache(root)
    return any(store.has_records(hub_id) for hub_id in hub_ids)


def _load(path: Path, key: str, root: Path):
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("schema") != SCHEMA or record.get("key") != key:
        return None
    asked = record.get("asked")
    if not isinstance(asked, list) or _any_cached(root, asked):
        return None
    try:
        report = report_from_dict(record["report"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None  # a damaged record is a miss, never a crash
    try:
        os.utime(path)  # last use: pruning removes the records used longest ago
    except OSError:
        pass
    return report


def _store(path: Path, record: dict) -> None:
    """Write the record whole or not at all, then prune; a cache that cannot be written is no error."""
    import tempfile

    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(record, fh, ensure_ascii=False)
        os.replace(tmp, path)
        tmp = None
        _prune(path.parent)
    except OSError:
        if tmp:
            Path(tmp).unlink(missing_ok=True)


def _prune(folder: Path) -> None:
    records = []
    for entry in os.scandir(folder):
        if entry.name.endswith(".json") and not entry.name.startswith("."):
            try:
                records.append((entry.stat().st_mtime_ns, entry.path))
            except OSError:
                continue
    for _, stale in sorted(records)[:-MAX_RECORDS]:
        Path(stale).unlink(missing_ok=True)


# ---------------------------------------------------------------- the report, back from its JSON form

def report_from_dict(data: dict):
    """The `Report` whose `to_dict()` is `data` (every nested dataclass rebuilt from its type hints)."""
    from openscope.types import Report

    return _build(Report, data)


_CONVERTERS: dict[type, list] = {}


def _build(cls, data: dict):
    fields = _CONVERTERS.get(cls)
    if fields is None:
        import dataclasses
        import typing

        hints = typing.get_type_hints(cls)
        fields = _CONVERTERS[cls] = [(f.name, _converter(hints[f.name])) for f in dataclasses.fields(cls)]
    return cls(**{name: convert(data[name]) for name, convert in fields if name in data})


def _same(value):
    return value


def _converter(tp):
    """A function turning the JSON form of a value of type `tp` back into that value."""
    import dataclasses
    import typing

    if dataclasses.is_dataclass(tp):
        return lambda value: None if value is None else _build(tp, value)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Union:
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            convert = _converter(inner[0])
            return lambda value: None if value is None else convert(value)
        return _same
    if origin is list:
        convert = _converter(args[0])
        return _same if convert is _same else (lambda value: [convert(v) for v in value])
    if origin is dict:
        convert = _converter(args[1])
        return _same if convert is _same else (lambda value: {k: convert(v) for k, v in value.items()})
    if origin is tuple:
        raise TypeError(f"{tp}: a tuple has no JSON form of its own")
    return _same
