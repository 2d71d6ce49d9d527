"""Model references in command lines: Dockerfile CMD/ENTRYPOINT/RUN, compose and Kubernetes
`command:`/`args:`, CI `run:` steps and shell scripts.

A command line holds a model in a `--<model slot> VALUE` / `--<model slot>=VALUE` flag (the slot
rule of keys.py: `--model`, `--model-id`, `--model_name_or_path`, not `--served-model-name`), in a
`NAME=VALUE` environment prefix, or as the positional argument of a known command (`vllm serve`,
`ollama run`, `huggingface-cli download`; patterns.yaml `commands`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openscope.scan.candidates import SLOT, Candidate, Extraction, Unresolved
from openscope.scan.keys import MODEL

TEMPLATE_RE = re.compile(r"\$\{|\{\{|\{%|%\(|^\$[A-Za-z_]|\$\(")
TEMPLATE_REASON = "value is a template or variable, not a literal"
# `${MODEL:-org/x}` / `${MODEL-org/x}`: a variable with a default (shell, compose, Dockerfile).
_DEFAULTED = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^${}]+)\}$")
_DECLARE = frozenset({"export", "declare", "local", "readonly", "typeset"})
_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)
_OPERATORS = ("&&", "||", ";", "|", "&")

Word = tuple[str, int]  # (text, line)


def split_commands(text: str, first_line: int = 1) -> list[list[Word]]:
    """Shell-like word splitting that keeps each word's line: quotes, backslash escapes, line
    continuations, `#` comments, and `&&`, `||`, `;`, `|` between commands. Unbalanced quotes end
    the word at the end of the text (never an error)."""
    commands: list[list[Word]] = [[]]
    line = first_line
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            commands.append([])  # a new line is a new command unless continued
            i += 1
            continue
        if c in " \t\r":
            i += 1
            continue
        if c == "\\" and i + 1 < n and text[i + 1] == "\n":
            line += 1
            i += 2
            continue
        if c == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if op:
            commands.append([])
            i += len(op)
            continue
        start_line, buf = line, []
        while i < n and text[i] not in " \t\r\n" and not any(text.startswith(o, i) for o in _OPERATORS):
            c = text[i]
            if c == "\\" and i + 1 < n:
                if text[i + 1] == "\n":
                    line += 1
                    i += 2
                    break
                buf.append(text[i + 1])
                i += 2
            elif c in "'\"":
                end = text.find(c, i + 1)
                end = n if end == -1 else end
                chunk = text[i + 1:end]
                line += chunk.count("\n")
                buf.append(chunk)
                i = end + 1
            else:
                buf.append(c)
                i += 1
        commands[-1].append(("".join(buf), start_line))
    return [c for c in commands if c]


@dataclass(frozen=True)
class CommandRule:
    words: tuple[str, ...]
    arg: int
    usage: str | None
    not_if: dict


class CommandScanner:
    def __init__(self, commands: list[dict], flags: dict, slots):
        self.rules = [CommandRule(tuple(r["words"]), r.get("arg", 0), r.get("usage"),
                                  {k: frozenset(v) for k, v in (r.get("not_if") or {}).items()}) for r in commands]
        self.with_value = frozenset(flags.get("with_value", ()))
        self.short = frozenset(flags.get("short", ()))
        self.slots = slots

    def scan_text(self, text: str, first_line: int, out: Extraction) -> None:
        for argv in split_commands(text, first_line):
            self.scan_argv(argv, out)

    def scan_argv(self, argv: list[Word], out: Extraction) -> None:
        """One command's words (an exec-form list, or one shell command)."""
        i = 1 if argv and argv[0][0] in _DECLARE else 0
        while i < len(argv) and _ASSIGN.match(argv[i][0]):  # MODEL_ID=org/x python serve.py
            name, value = _ASSIGN.match(argv[i][0]).groups()
            self.env_value(name, value, argv[i][1], out)
            i += 1
        argv = argv[i:]
        if not argv:
            return
        # `python -m vllm.entrypoints.openai.api_server`, `/usr/bin/env ollama run`: look past launchers.
        names = [w.rsplit("/", 1)[-1] for w, _ in argv]
        rule, start = self._command_rule(names)
        positional: list[Word] = []
        flags: dict[str, str] = {}
        j = start
        while j < len(argv):
            word, line = argv[j]
            if word.startswith("-") and len(word) > 1:
                flag, eq, value = word.lstrip("-").partition("=")
                takes_value = bool(eq) or flag in self.with_value or self._flag_slot(word) is not None
                if not eq and takes_value and j + 1 < len(argv):
                    value, vline = argv[j + 1]
                    j += 1
                else:
                    vline = line
                flags[flag] = value
                slot = self._flag_slot(word)
                if slot is not None and slot.kind == MODEL and value:
                    self._value(value, vline, slot.hint or (rule.usage if rule else None), out, flag=word)
            else:
                positional.append((word, line))
            j += 1
        if rule is None:
            return
        if any(flags.get(k) in v for k, v in rule.not_if.items()):
            out.dropped += 1
            return
        if positional and -len(positional) <= rule.arg < len(positional):
            word, line = positional[rule.arg]
            self._value(word, line, rule.usage, out, flag=" ".join(rule.words))

    def _command_rule(self, names: list[str]) -> tuple[CommandRule | None, int]:
        for k in range(min(len(names), 4)):
            for rule in self.rules:
                n = len(rule.words)
                if tuple(names[k:k + n]) == rule.words:
                    return rule, k + n
        return None, 0

    def _flag_slot(self, word: str):
        flag = word.lstrip("-").partition("=")[0]
        if not word.startswith("--"):
            return self.slots.slot("hf_repo") if flag in self.short else None
        slot = self.slots.slot(flag)
        return slot if slot is not None and slot.kind == MODEL else None

    def _value(self, value: str, line: int, usage: str | None, out: Extraction, flag: str) -> None:
        literal_value(value, line, usage, out, flag)

    def env_value(self, name: str, value: str, line: int, out: Extraction) -> None:
        """`NAME=VALUE` (an environment variable): a candidate when NAME is a model slot."""
        slot = self.slots.slot(name)
        if slot is None or slot.kind != MODEL or not value.strip():
            return
        literal_value(value.strip(), line, slot.hint, out, name)


def literal_value(value: str, line: int, hint: str | None, out: Extraction, where: str) -> None:
    """A slot's value: a candidate, its default when it is `${VAR:-default}`, or unresolved (a template)."""
    defaulted = _DEFAULTED.match(value)
    if defaulted:
        value = defaulted.group(1)
    if TEMPLATE_RE.search(value):
        out.unresolved.append(Unresolved(line, f"{where}: {TEMPLATE_REASON}"))
    else:
        out.candidates.append(Candidate(value, line, strength=SLOT, hint=hint))
