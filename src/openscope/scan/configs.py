"""Model ids in YAML and JSON config files (and docker-compose, Kubernetes and CI files, which are YAML).

What is read, at any depth (slot names follow keys.py):
- string values (or lists of them) under model keys: `model`, `embedding_model`, `defaultModel`, ...;
  under a model key, a mapping names the model with `name`, `name_or_path`, `id`, ... and its other
  string values are a registry of models (`models: {chat: org/a, embed: org/b}`);
- a `provider:` beside a model key says how to read it (`{provider: ollama, model: llama3.1}`), and a
  `revision:` beside it pins the Hub id;
- `repo_id` and the like only when known as a model or said to be one, never beside git keys or a
  `repo_type` naming a dataset or Space;
- environment lists (`- MODEL=org/x`, `{name: MODEL, value: org/x}`) and command lines
  (`command:`, `args:`, `run:`), read as commands.py reads them;
- anywhere else, only a string that is exactly a model the registry knows, or a Hub model URL.

Line numbers come from the parsers themselves: YAML node marks from `yaml.compose`, and for JSON a
small position-keeping parser (the standard `json` module forgets where things were).
"""

from __future__ import annotations

import bisect
import re
from json.decoder import scanstring
from json.scanner import NUMBER_RE

from openscope.scan.candidates import AMBIGUOUS, LOOSE, SLOT, Candidate, Extraction, Unresolved
from openscope.scan.commands import TEMPLATE_REASON, TEMPLATE_RE, literal_value
from openscope.scan.keys import AMBIGUOUS as AMBIGUOUS_SLOT
from openscope.scan.keys import MODEL

_WS = re.compile(r"[ \t\n\r]*")


class PosStr(str):
    """A JSON string that remembers its offset in the text."""

    offset: int


class JSONPositionError(ValueError):
    """Like json.JSONDecodeError (a ValueError, as callers of a JSON parser expect); never leaves scan."""


MAX_JSON_VALUES = 1_000_000  # a 20 MB file of `[1,1,1,...]` is millions of Python objects: refuse it, linearly
MAX_INT_DIGITS = 100  # a longer integer is kept as a float (int() refuses 4,300+ digits; it is no reference)


def loads_with_positions(text: str, max_values: int = MAX_JSON_VALUES):
    """Parse JSON like `json.loads`, but every string (keys too) is a PosStr carrying its offset."""
    if text.count(",") + text.count("[") + text.count("{") >= max_values:
        _refuse_many_values(text, max_values)  # at C speed, before the slow parse meets them one by one
    budget = [max_values]

    def value(i: int):
        budget[0] -= 1
        if budget[0] < 0:
            raise JSONPositionError(f"more than {max_values:,} values")
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
            exact = not (m.group(2) or m.group(3)) and len(m.group(1)) <= MAX_INT_DIGITS
            return int(m.group(1)) if exact else float(m.group()), m.end()
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


def _refuse_many_values(text: str, max_values: int) -> None:
    """Raise JSONPositionError when `text` holds more than `max_values` values (commas in strings only
    made it look so otherwise); invalid JSON is left for the positional parser to describe."""
    import json

    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return
    count, stack = 0, [data]
    while stack:
        node = stack.pop()
        count += 1
        if count > max_values:
            raise JSONPositionError(f"more than {max_values:,} values")
        if isinstance(node, dict):
            stack.extend(node.values())
            count += len(node)  # the keys
        elif isinstance(node, list):
            stack.extend(node)


def _where(text: str, offset: int) -> str:
    return f"line {text.count(chr(10), 0, offset) + 1}"


class LineIndex:
    """Offset -> 1-based line number."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


# -- one tree for both formats ---------------------------------------------------------------------

class Str:
    __slots__ = ("text", "line", "body_line")

    def __init__(self, text: str, line: int, body_line: int | None = None):
        self.text, self.line = text, line
        self.body_line = body_line or line  # first line of a block scalar's content (`run: |`)


class Map:
    __slots__ = ("pairs", "key_nodes")

    def __init__(self, pairs, key_nodes=None):
        self.pairs = pairs  # [(key or None, node)]
        self.key_nodes = key_nodes or {}  # key -> Str (with its line), for registries keyed by model id


class Seq:
    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items


def _from_json(value, index: LineIndex):
    if isinstance(value, PosStr):
        return Str(str(value), index.line(value.offset))
    if isinstance(value, dict):
        keys = {str(k): Str(str(k), index.line(k.offset)) for k in value if isinstance(k, PosStr)}
        return Map([(str(k), _from_json(v, index)) for k, v in value.items()], keys)
    if isinstance(value, list):
        return Seq([_from_json(v, index) for v in value])
    return None


def _from_yaml(node, memo: dict):
    import yaml

    if id(node) in memo:  # anchors and aliases share (or even loop back to) a node: read it once
        return memo[id(node)]
    if isinstance(node, yaml.ScalarNode):
        if node.tag != "tag:yaml.org,2002:str" and not node.tag.startswith("!"):
            out = None
        else:
            line = node.start_mark.line + 1
            out = Str(node.value, line, line + 1 if node.style in ("|", ">") else line)
        memo[id(node)] = out
        return out
    if isinstance(node, yaml.MappingNode):
        out = memo[id(node)] = Map([])
        for key, val in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name is not None:
                out.key_nodes.setdefault(name, Str(name, key.start_mark.line + 1))
            if name == "<<":  # a merge key: its mapping's pairs belong here
                merged = _from_yaml(val, memo)
                for part in ([merged] if isinstance(merged, Map) else getattr(merged, "items", [])):
                    if isinstance(part, Map):
                        out.pairs.extend(part.pairs)
                continue
            out.pairs.append((name, _from_yaml(val, memo)))
        return out
    if isinstance(node, yaml.SequenceNode):
        out = memo[id(node)] = Seq([])
        out.items.extend(_from_yaml(v, memo) for v in node.value)
        return out
    return None


# -- the walk --------------------------------------------------------------------------------------

class ConfigWalker:
    def __init__(self, rules):
        self.rules = rules
        self.slots = rules.slots
        self.out = Extraction()
        self.seen: set[int] = set()
        self.emitted: set[int] = set()

    def candidate(self, node: Str, strength: str, hint=None, revision=None, slot_name=None):
        if id(node) in self.emitted:
            return
        self.emitted.add(id(node))
        text = node.text
        if TEMPLATE_RE.search(text) and strength != LOOSE:
            defaulted = Extraction()
            literal_value(text, node.line, hint, defaulted, "value")
            if defaulted.candidates:
                text = defaulted.candidates[0].text
            else:
                self.out.unresolved.append(Unresolved(node.line, TEMPLATE_REASON))
                return
        if revision and "/" in text and "@" not in text and "://" not in text:
            text = f"{text}@{revision}"
        self.out.candidates.append(Candidate(text, node.line, strength=strength, hint=hint, slot_name=slot_name))

    def loose(self, node):
        if isinstance(node, Str) and self.rules.is_loose_reference(node.text):
            self.candidate(node, LOOSE)

    def walk(self, node, in_model: bool = False, hint: str | None = None, git: bool = False):
        if node is None or id(node) in self.seen:
            return
        self.seen.add(id(node))
        if isinstance(node, Map):
            self._map(node, in_model, hint, git)
        elif isinstance(node, Seq):
            for item in node.items:
                self.walk(item, in_model, hint, git)
        else:
            self.loose(node)

    def _model_value(self, node, hint, revision, slot_name=None):
        if isinstance(node, Str):
            self.candidate(node, SLOT, hint, revision, slot_name)
        elif isinstance(node, Seq):
            for item in node.items:
                if isinstance(item, Str):
                    self.candidate(item, SLOT, hint, revision, slot_name)
                else:
                    self.walk(item, True, hint)
        elif isinstance(node, Map):
            self.walk(node, True, hint)

    def _map(self, node: Map, in_model: bool, hint: str | None, git: bool):
        slots, rules = self.slots, self.rules
        keys = {slots.normal(k): v for k, v in node.pairs if isinstance(k, str)}
        provider = next((slots.usage_word(v.text.lower()) for k, v in keys.items()
                         if k in slots.provider_keys and isinstance(v, Str)), None)
        repo_type = next((v.text.lower() for k, v in keys.items()
                          if k in slots.repo_type_keys and isinstance(v, Str)), None)
        revision = next((v.text for k, v in keys.items() if k in slots.revision_keys and isinstance(v, Str)), None)
        git = git or any(k in slots.git_context for k in keys)
        here_hint = provider or hint
        # Kubernetes-style environment entries: {name: MODEL_ID, value: org/x}
        if isinstance(keys.get("name"), Str) and isinstance(keys.get("value"), Str) and not in_model:
            value = keys["value"]
            slot = slots.slot(keys["name"].text)
            if slot is not None and slot.kind == MODEL:
                self.emitted.add(id(value))
                self.rules.commands.env_value(keys["name"].text, value.text, value.line, self.out)
        for key, val in node.pairs:
            if not isinstance(key, str):
                self.walk(val, False, here_hint, git)
                continue
            normal = slots.normal(key)
            slot = slots.slot(key)
            if normal in slots.command_keys:
                self._command(val)
                continue
            if normal in slots.env_keys and isinstance(val, Seq):
                for item in val.items:
                    if isinstance(item, Str) and "=" in item.text:
                        name, _, value = item.text.partition("=")
                        self.emitted.add(id(item))
                        rules.commands.env_value(name, value, item.line, self.out)
                    else:
                        self.walk(item, False, here_hint, git)
                continue
            if slot is not None and slot.kind == MODEL:
                self._model_value(val, slot.hint or here_hint, revision)
            elif slot is not None and slot.kind == AMBIGUOUS_SLOT:
                if git or (repo_type in rules.non_model_repo_types):
                    self.out.dropped += 1
                    continue
                strength = SLOT if (in_model or repo_type == "model") else AMBIGUOUS
                items = val.items if isinstance(val, Seq) else [val]
                for item in items:
                    if isinstance(item, Str):
                        self.candidate(item, strength, slot.hint or here_hint, revision, key)
            elif in_model and normal in slots.nested_name_keys:
                self._model_value(val, here_hint, revision)
            elif in_model and isinstance(val, Map) and ("/" in key or rules.is_loose_reference(key)) \
                    and key in node.key_nodes:
                self.candidate(node.key_nodes[key], SLOT, here_hint)  # {org/model: {price: ...}}: keyed by id
                self.walk(val, True, here_hint, git)
            elif in_model and isinstance(val, Str) and normal not in slots.provider_keys | slots.repo_type_keys \
                    | slots.revision_keys and not any(w in slots.not_model_words for w in normal.split("_")):
                self.candidate(val, SLOT, here_hint)  # a registry of models: {chat: org/a, embed: org/b}
            else:
                self.walk(val, False, here_hint, git)

    def _command(self, node):
        commands = self.rules.commands
        if isinstance(node, Str):
            self.emitted.add(id(node))
            commands.scan_text(node.text, node.body_line, self.out)
        elif isinstance(node, Seq):
            words = [(item.text, item.line) for item in node.items if isinstance(item, Str)]
            if any("\n" in w or " " in w.strip() for w, _ in words):  # CI `script: [cmd one, cmd two]`
                for item in node.items:
                    if isinstance(item, Str):
                        commands.scan_text(item.text, item.body_line, self.out)
            else:
                commands.scan_argv(words, self.out)
            for item in node.items:
                if not isinstance(item, Str):
                    self.walk(item)
        else:
            self.walk(node)  # `run:` holding a mapping is a section, not a command


def _is_openscope_output(data) -> bool:
    """openscope's own JSON (a report kept as a `check --baseline`, a diff, a notice bundle) names the models
    it assessed and their bases; scanning it would count them as references of the repository."""
    schema = data.get("schema") if isinstance(data, dict) else None
    return isinstance(schema, str) and schema.startswith("openscope.")


def scan_json(text: str, rules) -> Extraction:
    try:
        data = loads_with_positions(text.lstrip("\ufeff"))
    except JSONPositionError as exc:
        return Extraction(file_problem=f"not valid JSON ({exc})")
    if _is_openscope_output(data):
        return Extraction()
    walker = ConfigWalker(rules)
    try:
        walker.walk(_from_json(data, LineIndex(text.lstrip("\ufeff"))))
    except RecursionError:
        return Extraction(file_problem="not valid JSON (nested too deeply)")
    return _in_order(walker.out)


def scan_yaml(text: str, rules) -> Extraction:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        documents = list(yaml.compose_all(text, Loader=loader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        return Extraction(file_problem=f"not parseable YAML ({problem}{where})")
    except RecursionError:
        return Extraction(file_problem="not parseable YAML (nested too deeply)")
    walker = ConfigWalker(rules)
    memo: dict = {}
    try:
        for document in documents:
            if document is not None:
                walker.walk(_from_yaml(document, memo))
    except RecursionError:
        return Extraction(file_problem="not parseable YAML (nested too deeply)")
    return _in_order(walker.out)


def _in_order(out: Extraction) -> Extraction:
    out.candidates.sort(key=lambda c: c.line)  # document order
    out.unresolved.sort(key=lambda u: u.line)
    return out
