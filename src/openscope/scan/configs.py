"""Model ids in YAML and JSON config files, under the keys listed in patterns.yaml (`config_keys`).

Line numbers come from the parsers themselves: YAML node marks from `yaml.compose`, and for JSON a
small position-keeping parser (the standard `json` module forgets where things were).
"""

from __future__ import annotations

import bisect
import re
from json.decoder import scanstring
from json.scanner import NUMBER_RE

from openscope.scan.candidates import Candidate, Extraction, Unresolved

TEMPLATE_RE = re.compile(r"\$\{|\{\{|\{%|%\(|^\$[A-Za-z_]")
TEMPLATE_REASON = "value is a template or variable, not a literal"
_WS = re.compile(r"[ \t\n\r]*")


class PosStr(str):
    """A JSON string that remembers its offset in the text."""

    offset: int


class JSONPositionError(ValueError):
    """Like json.JSONDecodeError (a ValueError, as callers of a JSON parser expect); never leaves scan."""


def loads_with_positions(text: str):
    """Parse JSON like `json.loads`, but every string (keys too) is a PosStr carrying its offset."""

    def value(i: int):
        i = _WS.match(text, i).end()
        if i >= len(text):
            raise JSONPositionError(f"unexpected end of JSON at offset {i}")
        c = text[i]
        if c == '"':
            s, end = scanstring(text, i + 1)
            out = PosStr(s)
            out.offset = i
            return out, end
        if c == "{":
            obj: dict = {}
            i = _WS.match(text, i + 1).end()
            if text.startswith("}", i):
                return obj, i + 1
            while True:
                if not text.startswith('"', i):
                    raise JSONPositionError(f"expected a key at {_where(text, i)}")
                key, i = value(i)
                i = _WS.match(text, i).end()
                if not text.startswith(":", i):
                    raise JSONPositionError(f"expected ':' at {_where(text, i)}")
                obj[key], i = value(i + 1)
                i = _WS.match(text, i).end()
                if text.startswith(",", i):
                    i = _WS.match(text, i + 1).end()
                elif text.startswith("}", i):
                    return obj, i + 1
                else:
                    raise JSONPositionError(f"expected ',' or '}}' at {_where(text, i)}")
        if c == "[":
            arr: list = []
            i = _WS.match(text, i + 1).end()
            if text.startswith("]", i):
                return arr, i + 1
            while True:
                item, i = value(i)
                arr.append(item)
                i = _WS.match(text, i).end()
                if text.startswith(",", i):
                    i += 1
                elif text.startswith("]", i):
                    return arr, i + 1
                else:
                    raise JSONPositionError(f"expected ',' or ']' at {_where(text, i)}")
        for literal, result in (("true", True), ("false", False), ("null", None)):
            if text.startswith(literal, i):
                return result, i + len(literal)
        m = NUMBER_RE.match(text, i)
        if m and m.group():
            return float(m.group()) if (m.group(2) or m.group(3)) else int(m.group(1)), m.end()
        raise JSONPositionError(f"unexpected character {c!r} at {_where(text, i)}")

    try:
        result, end = value(0)
    except RecursionError:
        raise JSONPositionError("nested too deeply") from None
    except ValueError as exc:  # scanstring's own errors (bad escapes, unterminated strings)
        if isinstance(exc, JSONPositionError):
            raise
        raise JSONPositionError(str(exc).split(": line")[0]) from None
    if _WS.match(text, end).end() != len(text):
        raise JSONPositionError(f"extra data at {_where(text, end)}")
    return result


def _where(text: str, offset: int) -> str:
    return f"line {text.count(chr(10), 0, offset) + 1}"


class LineIndex:
    """Offset -> 1-based line number."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def _key_matches(key, keys: frozenset[str]) -> bool:
    return isinstance(key, str) and key.lower() in keys


def _collect(value, line: int, out: Extraction):
    text = str(value)
    if TEMPLATE_RE.search(text):
        out.unresolved.append(Unresolved(line, TEMPLATE_REASON))
    else:
        out.candidates.append(Candidate(text, line))


def scan_json(text: str, keys: frozenset[str]) -> Extraction:
    try:
        data = loads_with_positions(text.lstrip("\ufeff"))
    except JSONPositionError as exc:
        return Extraction(file_problem=f"not valid JSON ({exc})")
    index = LineIndex(text.lstrip("\ufeff"))
    out = Extraction()
    hits: list[PosStr] = []
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, val in node.items():
                if _key_matches(key, keys):
                    hits.extend(item for item in (val if isinstance(val, list) else [val]) if isinstance(item, PosStr))
                stack.append(val)
        elif isinstance(node, list):
            stack.extend(node)
    for item in sorted(hits, key=lambda s: s.offset):  # document order
        _collect(item, index.line(item.offset), out)
    return out


def scan_yaml(text: str, keys: frozenset[str]) -> Extraction:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out = Extraction()
    try:
        documents = list(yaml.compose_all(text, Loader=loader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        return Extraction(file_problem=f"not parseable YAML ({problem}{where})")
    except RecursionError:
        return Extraction(file_problem="not parseable YAML (nested too deeply)")
    hits: list = []
    seen: set[int] = set()  # anchors and aliases can share (or even loop back to) a node
    stack = [d for d in documents if d is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, val in node.value:
                if isinstance(key, yaml.ScalarNode) and _key_matches(key.value, keys):
                    items = val.value if isinstance(val, yaml.SequenceNode) else [val]
                    hits.extend(item for item in items
                                if isinstance(item, yaml.ScalarNode) and item.tag == "tag:yaml.org,2002:str")
                stack.append(val)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    for item in sorted(set(hits), key=lambda n: n.start_mark.index):  # document order; aliases count once
        _collect(item.value, item.start_mark.line + 1, out)
    return out
