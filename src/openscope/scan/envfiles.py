"""Model references in `.env` files and Dockerfiles.

`.env`: `NAME=VALUE` lines (`export` allowed, values quoted or not, `#` comments), where NAME is a
model slot (keys.py). Dockerfile: `ENV`/`ARG` values by the same rule, and `CMD`, `ENTRYPOINT` and
`RUN` read as command lines (commands.py); `FROM` names an image, never a model.
"""

from __future__ import annotations

import json
import re

from openscope.scan.candidates import Extraction
from openscope.scan.commands import CommandScanner, split_commands

_DOTENV = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")
_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)\s+(.*)$", re.DOTALL)


def _unquote(value: str) -> str:
    """A value as a shell (or docker compose) reads it: the inside of its quotes, or up to a comment."""
    value = value.strip()
    if value[:1] in ("'", '"'):
        end = value.find(value[0], 1)
        return value[1:end] if end > 0 else value[1:]
    return re.sub(r"\s+#.*$", "", value)


def scan_dotenv(text: str, commands: CommandScanner) -> Extraction:
    out = Extraction()
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        m = _DOTENV.match(line)
        if m:
            commands.env_value(m[1], _unquote(m[2]), number, out)
    return out


def _logical_lines(text: str):
    """Dockerfile instructions with their first line: continuations joined, comment lines dropped."""
    buf: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if buf and line.lstrip().startswith("#"):
            buf.append("")  # a comment inside a continued instruction: keep the line count
            continue
        if not buf:
            start = number
        if line.rstrip().endswith("\\"):
            buf.append(line.rstrip()[:-1])
            continue
        buf.append(line)
        yield start, "\n".join(buf)
        buf = []
    if buf:
        yield start, "\n".join(buf)


def _env_pairs(rest: str, first_line: int):
    """`ENV A=1 B="two words"` or the legacy `ENV NAME value`: (name, value, line)."""
    words = [w for cmd in split_commands(rest, first_line) for w in cmd]
    if words and "=" not in words[0][0]:
        name, line = words[0]
        legacy = rest.split(None, 1)
        yield name, legacy[1].strip() if len(legacy) > 1 else "", line
        return
    for word, line in words:
        name, eq, value = word.partition("=")
        if eq:
            yield name, value, line


def scan_dockerfile(text: str, commands: CommandScanner) -> Extraction:
    out = Extraction()
    for first_line, instruction in _logical_lines(text):
        m = _INSTRUCTION.match(instruction)
        if not m:
            continue
        keyword, rest = m[1].upper(), m[2]
        if keyword in ("ENV", "ARG"):
            for name, value, line in _env_pairs(rest, first_line):
                commands.env_value(name, _unquote(value), line, out)
        elif keyword in ("CMD", "ENTRYPOINT", "RUN"):
            exec_form = _exec_form(rest)
            if exec_form is not None:
                commands.scan_argv([(w, first_line + _line_offset(instruction, w)) for w in exec_form], out)
            else:
                commands.scan_text(rest, first_line, out)
    return out


def _exec_form(rest: str) -> list[str] | None:
    stripped = rest.strip()
    if not stripped.startswith("["):
        return None
    try:
        value = json.loads(stripped.replace("\n", " "))
    except ValueError:
        return None
    return [str(v) for v in value] if isinstance(value, list) else None


def _line_offset(instruction: str, word: str) -> int:
    at = instruction.find(json.dumps(word))
    return instruction.count("\n", 0, at) if at >= 0 else 0

