"""`--format json`: the SPEC §5 contract.

The text is exactly `json.dumps(report.to_dict(), indent=2, ensure_ascii=False)`, made faster for large
reports (10,000 models: the two took ~6 s of CPU, a third of the run): with `indent`, the standard
library falls back to its pure-Python encoder, a generator per nested value, and `dataclasses.asdict`
deep-copies every leaf. `plain` and `dumps` below do the same work with a list of chunks and no copies
of immutable leaves; `tests/test_formats.py` checks both against the standard library's results.
"""

from __future__ import annotations

import copy
import dataclasses
from json.encoder import encode_basestring  # the C one when available, as json.dumps(ensure_ascii=False)

from openscope.render.interface import Format
from openscope.types import Report


def render_report(report) -> str:
    d = report_dict(report) if type(report) is Report else report.to_dict()
    return dumps(d) + "\n"


render_license_report = render_report  # the license report is JSON the same way


FORMAT = Format("json", "The SPEC §5 JSON report.", render_report, render_license_report)


def report_dict(report: Report) -> dict:
    """`report.to_dict()` (types.py) with `plain` for `dataclasses.asdict`; keep the two alike."""
    d = plain(report)
    for model in d["models"]:
        for location in model["locations"]:
            if not location.get("ignore"):
                location.pop("ignore", None)
    return {"schema": d.pop("schema"), "tool": d.pop("tool"), **d}


# ---------------------------------------------------------------- dataclasses.asdict, without copies

_ATOMS = frozenset({str, int, float, bool, type(None)})  # deepcopy returns these themselves
_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(cls) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def plain(obj):
    """What `dataclasses.asdict(obj)` gives (same types, same order); leaves of other types are
    deep-copied as it does. (An immutable leaf is kept without a call: most values are.)"""
    cls = type(obj)
    if cls in _ATOMS:
        return obj
    if cls is list:
        return [v if type(v) in _ATOMS else plain(v) for v in obj]
    if cls is dict:
        return {plain(k): v if type(v) in _ATOMS else plain(v) for k, v in obj.items()}
    if dataclasses.is_dataclass(cls):
        out = {}
        for name in _field_names(cls):
            v = getattr(obj, name)
            out[name] = v if type(v) in _ATOMS else plain(v)
        return out
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return cls(*[plain(v) for v in obj])
    if isinstance(obj, (list, tuple)):
        return cls(plain(v) for v in obj)
    if isinstance(obj, dict):
        return cls((plain(k), plain(v)) for k, v in obj.items())
    return copy.deepcopy(obj)


# ---------------------------------------------------------------- json.dumps(indent=2, ensure_ascii=False)

def _float(o: float) -> str:
    if o != o:
        return "NaN"
    if o == float("inf"):
        return "Infinity"
    if o == -float("inf"):
        return "-Infinity"
    return float.__repr__(o)


def _key(k) -> str:
    if isinstance(k, str):
        return k
    if isinstance(k, float):
        return _float(k)
    if k is True:
        return "true"
    if k is False:
        return "false"
    if k is None:
        return "null"
    if isinstance(k, int):
        return int.__repr__(k)
    raise TypeError(f"keys must be str, int, float, bool or None, not {k.__class__.__name__}")


def dumps(obj) -> str:
    """`json.dumps(obj, indent=2, ensure_ascii=False)`, for the types a report holds."""
    chunks: list[str] = []
    _write(obj, chunks.append, "\n")
    return "".join(chunks)


def _write(o, emit, newline: str) -> None:
    """Append `o`'s text; `newline` is a line break and the indent of the line `o` starts on. The checks
    come in json.encoder's order (a str or int subclass is written as its base type); a str or None
    member of a list or dict, the most common, is written without a call."""
    if isinstance(o, str):
        emit(encode_basestring(o))
    elif o is None:
        emit("null")
    elif o is True:
        emit("true")
    elif o is False:
        emit("false")
    elif isinstance(o, int):
        emit(int.__repr__(o))
    elif isinstance(o, float):
        emit(_float(o))
    elif isinstance(o, (list, tuple)):
        if not o:
            emit("[]")
            return
        inner = newline + "  "
        sep = "[" + inner
        for v in o:
            if type(v) is str:
                emit(sep + encode_basestring(v))
            elif v is None:
                emit(sep + "null")
            else:
                emit(sep)
                _write(v, emit, inner)
            sep = "," + inner
        emit(newline + "]")
    elif isinstance(o, dict):
        if not o:
            emit("{}")
            return
        inner = newline + "  "
        sep = "{" + inner
        for k, v in o.items():
            key = encode_basestring(k if type(k) is str else _key(k))
            if type(v) is str:
                emit(sep + key + ": " + encode_basestring(v))
            elif v is None:
                emit(sep + key + ": null")
            else:
                emit(sep + key + ": ")
                _write(v, emit, inner)
            sep = "," + inner
        emit(newline + "}")
    else:
        raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")
