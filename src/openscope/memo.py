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
    lines: list[str] = []

    def visit(folder: str, rel: str) -> None:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    visit(entry.path, f"{rel}{entry.name}/")
            elif not entry.name.endswith(".pyc"):
                st = entry.stat()
                lines.append(f"{rel}{entry.name}\0{st.st_size}\0{st.st_mtime_ns}\n")

    visit(str(PACKAGE), "")
    return hashlib.sha256("".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


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
    from openscope.data import write_atomically

    try:
        write_atomically(path, json.dumps(record, ensure_ascii=False))
        _prune(path.parent)
    except OSError:
        pass


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


_CONVERTERS: dict[type, tuple] = {}


def _build(cls, data: dict):
    plan = _CONVERTERS.get(cls)
    if plan is None:
        plan = _CONVERTERS[cls] = _plan(cls)
    plain, converted = plan
    values = {name: data[name] for name in plain if name in data}
    for name, convert in converted:
        if name in data:
            values[name] = convert(data[name])
    return cls(**values)


def _plan(cls) -> tuple:
    """(fields whose JSON form is their value, (field, converter) for the others), from the annotations.

    The annotations of types.py are strings (`from __future__ import annotations`) written in a few shapes:
    `X`, `Optional[X]`, `list[X]`, `dict[str, X]`, where X is a dataclass of that module or a plain type.
    Reading those shapes costs far less than `typing.get_type_hints` evaluating each string."""
    import dataclasses

    plain, converted = [], []
    for f in dataclasses.fields(cls):
        convert = _converter(f.type if isinstance(f.type, str) else f.type.__name__, sys.modules[cls.__module__])
        if convert is None:
            plain.append(f.name)
        else:
            converted.append((f.name, convert))
    return tuple(plain), tuple(converted)


def _converter(annotation: str, module):
    """A function turning the JSON form of a value annotated `annotation` back into it; None when the
    JSON form is the value itself (strings, numbers, literals, lists and dicts of those)."""
    import dataclasses

    text = annotation.replace(" ", "")
    for wrapper in ("Optional[", "list[", "dict[str,", "tuple["):
        if text.startswith(wrapper) and text.endswith("]"):
            inner = _converter(text[len(wrapper):-1], module)
            if wrapper == "tuple[":
                if inner is not None or "|" in text:
                    raise TypeError(f"{annotation}: a tuple of objects has no JSON form of its own")
                return lambda value: None if value is None else tuple(value)
            if inner is None:
                return None
            if wrapper == "Optional[":
                return lambda value: None if value is None else inner(value)
            if wrapper == "list[":
                return lambda value: [inner(v) for v in value]
            return lambda value: {k: inner(v) for k, v in value.items()}
    if "|" in text:
        parts = [p for p in text.split("|") if p != "None"]
        return _converter(parts[0], module) if len(parts) == 1 else _no_dataclass(parts, module, annotation)
    if "[" in text:
        return _no_dataclass([text], module, annotation)
    target = getattr(module, text, None)
    if isinstance(target, type) and dataclasses.is_dataclass(target):
        return lambda value: None if value is None else _build(target, value)
    return None


def _no_dataclass(parts: list[str], module, annotation: str):
    """A union or a generic the shapes above do not cover: fine only when no dataclass is in it."""
    import dataclasses
    import re

    for name in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", "".join(parts)):
        target = getattr(module, name, None)
        if isinstance(target, type) and dataclasses.is_dataclass(target):
            raise TypeError(f"{annotation}: not a shape memo.py rebuilds")
    return None
