"""Declared model lists: models.txt manifests and `models = [...]` in pyproject.toml / openscope.toml.

A manifest line is a reference by declaration, so it is not filtered like strings found in code:
a line that is not a valid reference is reported (skipped, with the reason) rather than ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from openscope.errors import InputError
from openscope.refs import ref_lines
from openscope.scan.candidates import Candidate, Extraction, Unresolved


def scan_manifest(text: str) -> Extraction:
    """One reference per line; `#` starts a comment (at line start, or after whitespace)."""
    return Extraction(candidates=[Candidate(entry, number, explicit=True) for number, entry in ref_lines(text)])


def toml_excludes(path: Path) -> list[str]:
    """`exclude = [...]` of openscope.toml (top level) or pyproject.toml ([tool.openscope]).
    A value that is not a list of strings is an InputError naming the file and key: a gate must not
    silently scan what it was told to skip, nor skip what it was told to scan."""
    import tomllib

    from openscope.errors import UnreadableError
    from openscope.text.bounded import read_bounded

    try:  # the same cap as the file itself has when it is scanned (walk.max_file_bytes)
        data = tomllib.loads(read_bounded(path, 1_000_000)[0].decode("utf-8-sig"))
    except (UnreadableError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []  # reported when the file itself is scanned
    table, section = _table(data, path.name)
    value = table.get("exclude")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        key = f"{section}.exclude" if section else "exclude"
        raise InputError(f"{path}: {key}: must be a list of gitignore-style patterns (strings)")
    return value


@dataclass
class TomlModels:
    extraction: Extraction = field(default_factory=Extraction)
    # `models-files = [...]`: further manifests to read, relative to the TOML file.
    manifest_files: list[tuple[str, int]] = field(default_factory=list)


def _table(data: dict, name: str) -> tuple[dict, str | None]:
    if name == "pyproject.toml":
        tool = data.get("tool")
        section = tool.get("openscope") if isinstance(tool, dict) else None
        return (section if isinstance(section, dict) else {}), "tool.openscope"
    return data, None


def _string_lines(text: str, key: str, values: list[str], section: str | None) -> tuple[int, list[int]]:
    """Line of `key = ` and of each value of its array, found by scanning the TOML text after the key."""
    lines = text.splitlines()
    begin = 0
    if section:
        header = re.compile(rf"^\s*\[\s*{re.escape(section)}\s*\]")
        begin = next((i for i, line in enumerate(lines) if header.match(line)), 0)
    key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    start = next((i for i in range(begin, len(lines)) if key_re.match(lines[i])), begin)
    found, cursor = [], start
    for value in values:
        quoted = [f'"{value}"', f"'{value}'"]
        for i in range(cursor, len(lines)):
            if any(q in lines[i] for q in quoted):
                found.append(i + 1)
                cursor = i
                break
        else:
            found.append(start + 1)
    return start + 1, found


def scan_toml(text: str, filename: str) -> TomlModels:
    import tomllib

    result = TomlModels()
    try:
        data = tomllib.loads(text.lstrip("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        result.extraction.file_problem = f"not valid TOML ({exc})"
        return result
    table, section = _table(data, filename)
    prefix = f"{section}." if section else ""
    for key in ("models", "models-files"):
        if key not in table:
            continue
        values = table[key]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            line = _string_lines(text, key, [], section)[0]
            result.extraction.unresolved.append(Unresolved(line, f"{prefix}{key} must be a list of strings"))
            continue
        for value, line in zip(values, _string_lines(text, key, values, section)[1]):
            if key == "models":
                result.extraction.candidates.append(Candidate(value, line, explicit=True))
            else:
                result.manifest_files.append((value, line))
    return result
