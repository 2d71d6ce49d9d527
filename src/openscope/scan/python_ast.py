"""Model references in Python source, found with `ast`.

What counts (patterns.yaml says which calls, clients, hosts and slot names):
- the model argument of a known call (`from_pretrained`, `client.chat.completions.create`, ...): a
  string literal, a module constant assigned once, or `os.getenv("X", "default")`'s default. Anything
  else there (a parameter, an f-string, an attribute) is reported as unresolved, with the reason.
  The client the call is made on says which provider it reaches (`client = Groq()`).
- model-named slots (keys.py): assignments (`MODEL_ID = ...`, `self.model_name = ...`, class fields
  of dataclasses and pydantic settings, `Field(default=...)`), function parameter defaults, keyword
  arguments, dict keys, argparse/click/typer option defaults and choices, `os.getenv` defaults,
  the return values of model-named functions; lists and dicts held there are registries of models.
- raw HTTP payloads (`requests.post(URL, json={"model": ...})`), read with the provider of URL's host.
- anywhere else (not in docstrings), only a string that is exactly a model the registry knows, or a
  Hub model URL.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable

from openscope.scan.candidates import AMBIGUOUS, CALL, LOOSE, SLOT, Candidate, Extraction, Unresolved
from openscope.scan.keys import AMBIGUOUS as AMBIGUOUS_SLOT
from openscope.scan.keys import MODEL

NOT_LITERAL = "argument is not a string literal"
VALUE_NOT_LITERAL = "value is not a string literal"
CALL_MARK = "()"
_PRIORITY = {CALL: 3, SLOT: 2, AMBIGUOUS: 1, LOOSE: 0}
_ENV_GETTERS = frozenset({"getenv", "os.getenv", "os.environ.get", "environ.get", "os.environ.setdefault",
                          "environ.setdefault", "os.environ.pop"})
_OPTION_CALLS = frozenset({"add_argument", "add_option", "option", "argument", "Option", "Argument"})
_FIELD_CALLS = frozenset({"Field", "field", "attrib", "attr.ib", "Option", "Argument"})
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def dotted_parts(node: ast.AST) -> list[str] | None:
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            break
        elif isinstance(node, ast.Call):
            parts.append(CALL_MARK)  # `OpenAI().chat...`: the receiver is a call result
            break
        else:
            if not parts:
                return None
            parts.append("?")
            break
    parts.reverse()
    return parts


_COMPOUND_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def _bound_names(nodes) -> Counter:
    """How many times each name is bound by these statements, not looking inside def/class bodies.

    Statements only (their targets, and the bodies of if/for/while/with/try/match): a binding inside
    an expression (a walrus) is not counted, which is as rare as it is unlikely for a model id.
    """
    counts: Counter = Counter()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            counts[node.name] += 1
            continue
        if kind is ast.Assign:
            targets = node.targets
        elif kind in (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor):
            targets = [node.target]
        elif kind in (ast.With, ast.AsyncWith):
            targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
        elif kind is ast.Delete:
            targets = node.targets
        elif kind in (ast.Import, ast.ImportFrom):
            for alias in node.names:
                counts[(alias.asname or alias.name).split(".")[0]] += 1
            continue
        elif kind is ast.ExceptHandler and node.name:
            counts[node.name] += 1
            targets = []
        else:
            targets = []
        for target in targets:
            if type(target) is ast.Name:
                counts[target.id] += 1
                continue
            for sub in ast.walk(target):  # a, b = ...; but not the x of x[i] = ... (a load)
                if type(sub) is ast.Name and type(sub.ctx) is not ast.Load:
                    counts[sub.id] += 1
        for name in _COMPOUND_FIELDS:
            stack.extend(getattr(node, name, ()) or ())
    return counts


def _env_default(node: ast.AST) -> ast.AST | None:
    """`os.getenv("X", "d")` / `os.environ.get("X", default="d")` -> the default's node."""
    if not isinstance(node, ast.Call):
        return None
    parts = dotted_parts(node.func)
    if not parts or ".".join(parts) not in _ENV_GETTERS and parts[-1] != "getenv":
        return None
    if len(node.args) >= 2:
        return node.args[1]
    return next((kw.value for kw in node.keywords if kw.arg == "default"), None)


def module_constants(tree: ast.Module, counted: bool = True) -> tuple[dict[str, tuple[str, int]], Counter]:
    """`NAME = "literal"` (or `os.getenv("X", "literal")`) at module level -> {NAME: (value, line)},
    plus how often each name is bound (an empty Counter unless `counted`)."""
    values: dict[str, tuple[str, int]] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        else:
            continue
        value = _env_default(value) or value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            for target in targets:
                if isinstance(target, ast.Name):
                    values[target.id] = (value.value, value.lineno)
    return values, _bound_names(tree.body) if counted else Counter()


def rebound_globally(tree: ast.Module) -> set[str]:
    """Names a function declares `global` (and so may reassign): never treated as constants."""
    return {name for node in ast.walk(tree) if isinstance(node, ast.Global) for name in node.names}


def _function_locals(fn, declared_global: set[str]) -> set[str]:
    args = fn.args
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    names.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    if not isinstance(fn, ast.Lambda):
        names.update(n for n in _bound_names(fn.body) if n not in declared_global)
    return names


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return f"variable {node.id!r}"
    if isinstance(node, ast.JoinedStr):
        return "f-string"
    if isinstance(node, ast.Attribute):
        return f"attribute {'.'.join(dotted_parts(node) or ['?'])!r}"
    if isinstance(node, ast.Call):
        return "result of a call"
    if isinstance(node, ast.BinOp):
        return "computed string"
    if isinstance(node, ast.Subscript):
        return "subscript"
    return type(node).__name__.lower()


def _is_str(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


class _Finder:
    """One `ast.walk` over the module collects what matters; then calls, slots and loose strings are read."""

    def __init__(self, tree: ast.Module, rules, constants: dict[str, tuple[str, int]] | None,
                 line_of: Callable[[int], int], imports: dict[str, str] | None = None):
        self.tree = tree
        self.rules = rules
        self.slots = rules.slots
        self._constants = constants
        self.line_of = line_of
        self.imports: dict[str, str] = dict(imports or {})
        self.functions: list[ast.AST] = []
        self.declared_global: set[str] = set()
        self._locals: dict[int, set[str]] = {}
        self.excluded: set[int] = set()  # string nodes that are never references (docstrings, f-string parts)
        self.found: dict[int, tuple[int, Candidate]] = {}  # id(string node) -> (priority, candidate)
        self.unresolved: list[Unresolved] = []
        self.dropped = 0
        self.bindings: dict[str, set] = {}  # name or dotted attribute -> providers of the clients bound to it
        self.dict_usage: dict[int, str] = {}  # id(dict node) -> provider of the HTTP call it is sent to
        self.named_dicts: dict[str, list[ast.Dict]] = {}

    # -- constants and scopes -----------------------------------------------------------------
    @property
    def constants(self) -> dict[str, tuple[str, int]]:
        if self._constants is None:
            values, bindings = module_constants(self.tree, counted=False)
            if values:  # counting every binding of the module is needed only when there are candidates
                bindings = _bound_names(self.tree.body)
            self._constants = {n: v for n, v in values.items() if bindings[n] == 1 and n not in self.declared_global}
        return self._constants

    def _shadowed(self, name: str, node: ast.AST) -> bool:
        """Is `name` a parameter or local variable of a function enclosing `node`?"""
        where = (node.lineno, node.col_offset)
        for fn in self.functions:
            if (fn.lineno, fn.col_offset) <= where <= (fn.end_lineno, fn.end_col_offset):
                if id(fn) not in self._locals:
                    self._locals[id(fn)] = _function_locals(fn, self.declared_global)
                if name in self._locals[id(fn)]:
                    return True
        return False

    def _literal(self, node: ast.AST) -> tuple[ast.AST | None, str | None, tuple[int, ...]]:
        """(the string node, its text, other lines) for a literal, a module constant or an env default."""
        if _is_str(node):
            return node, node.value, ()
        if isinstance(node, ast.Name) and node.id in self.constants and not self._shadowed(node.id, node):
            value, line = self.constants[node.id]  # line already in file coordinates
            return node, value, (line,)
        default = _env_default(node)
        if default is not None:
            return self._literal(default)
        return None, None, ()

    def _string_value(self, node) -> str | None:
        """Best-effort text of a URL: literals, constants, env defaults, f-strings and `+` of those."""
        _, text, _ = self._literal(node)
        if text is not None:
            return text
        if isinstance(node, ast.JoinedStr):
            parts = [v.value if _is_str(v) else (self._string_value(v.value) or "")
                     if isinstance(v, ast.FormattedValue) else "" for v in node.values]
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return (self._string_value(node.left) or "") + (self._string_value(node.right) or "")
        return None

    # -- emitting -----------------------------------------------------------------------------
    def emit(self, node: ast.AST, text: str, strength: str, *, usage=None, hint=None, other=(), slot_name=None):
        line = self.line_of(node.lineno)
        cand = Candidate(text, line, other_lines=tuple(o for o in other if o != line), strength=strength,
                         usage=usage, hint=hint, slot_name=slot_name)
        key = id(node)
        prio = _PRIORITY[strength]
        if key not in self.found or self.found[key][0] < prio:
            self.found[key] = (prio, cand)

    def slot_value(self, value: ast.AST, hint=None, usage=None, strength=SLOT, other=(), report=True,
                   registry: bool = True):
        """A model-named slot's value: a string, a registry (list, tuple, set, dict) of them, a
        `Field(default=...)`, an env default; f-strings and concatenations are unresolved."""
        if isinstance(value, ast.Call):
            parts = dotted_parts(value.func) or ["?"]
            if parts[-1] in _FIELD_CALLS:
                default = next((kw.value for kw in value.keywords if kw.arg == "default"), None)
                first = value.args[0] if value.args else None
                if default is None and first is not None and not (_is_str(first) and first.value.startswith("-")):
                    default = first  # typer.Option("default", "--flag"), Field("default")
                if default is not None:
                    self.slot_value(default, hint, usage, strength, other, report)
                return
        node, text, more = self._literal(value)
        if text is not None:
            self.emit(node, text, strength, usage=usage, hint=hint, other=(*other, *more))
        elif registry and isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            for item in value.elts:
                self.slot_value(item, hint, usage, strength, other, report=False)
        elif registry and isinstance(value, ast.Dict):
            self.model_dict(value, hint, usage)
        elif report and isinstance(value, (ast.JoinedStr, ast.BinOp)):
            self.unresolved.append(Unresolved(self.line_of(value.lineno), f"{VALUE_NOT_LITERAL} ({_describe(value)})",
                                              local_line=value.lineno))

    def model_dict(self, node: ast.Dict, hint=None, usage=None):
        """A dict under a model name: its values are models (`{"chat": "org/a"}`); keys count when they
        are known models (`{"gpt-4o": 0.5}`); nested dicts name their model with `name`, `id`, ..."""
        pairs = [(k.value if _is_str(k) else None, v) for k, v in zip(node.keys, node.values)]
        hint = self._dict_provider(pairs) or hint
        for (key, value), key_node in zip(pairs, node.keys):
            if key is None:
                continue
            normal = self.slots.normal(key)
            if isinstance(value, ast.Dict):
                if "/" in key:  # {"org/model": {...}}: a registry keyed by model id
                    self.emit(key_node, key, SLOT, usage=usage, hint=hint)
                self.model_dict(value, hint, usage)
            elif normal in self.slots.nested_name_keys or self.slots.is_model(key):
                self.slot_value(value, hint, usage)
            elif not any(w in self.slots.not_model_words for w in normal.split("_")) \
                    and normal not in self.slots.provider_keys | self.slots.repo_type_keys | self.slots.revision_keys:
                self.slot_value(value, hint, usage, registry=False, report=False)

    def _dict_provider(self, pairs) -> str | None:
        for key, value in pairs:
            if key is not None and self.slots.normal(key) in self.slots.provider_keys and _is_str(value):
                return self.slots.usage_word(value.value.lower())
        return None

    # -- imports and clients ------------------------------------------------------------------
    def qualify(self, parts: list[str]) -> str:
        head = self.imports.get(parts[0], parts[0])
        return ".".join([head, *parts[1:]])

    def client_provider(self, call: ast.Call) -> str | None:
        """The provider a client constructor call reaches (`Groq()`, `OpenAI(base_url=...)`)."""
        parts = dotted_parts(call.func)
        if not parts:
            return None
        qualified = self.qualify(parts)
        if not self.rules.any_constructor.fullmatch(qualified):
            return None  # one combined test first: most calls construct no client
        for client in self.rules.clients:
            if client.constructor is None or not client.constructor.fullmatch(qualified):
                continue
            if client.service is not None:
                first = call.args[0] if call.args else next(
                    (kw.value for kw in call.keywords if kw.arg == "service_name"), None)
                if not (_is_str(first) and client.service.fullmatch(first.value)):
                    continue
            provider = client.provider
            for kw in call.keywords:
                if kw.arg in client.base_url:
                    provider = self.rules.provider_of_url(self._string_value(kw.value)) or provider
                for name, flagged in client.flag:
                    if kw.arg == name and isinstance(kw.value, ast.Constant) and kw.value.value is True:
                        provider = flagged
            return provider
        return None

    def receiver_provider(self, func: ast.AST, qualified: str) -> str | None:
        """The provider of the client a method is called on: a bound name (`client = Groq()`), an
        attribute (`self.client`), a constructor call (`Groq().chat...`), or a client module (`ollama.chat`)."""
        node, chain = func, []
        while isinstance(node, ast.Attribute):
            chain.append(node.attr)
            node = node.value
        if isinstance(node, ast.Call):
            return self.client_provider(node) or self.receiver_provider(node.func, "")
        if isinstance(node, ast.Name):
            names = [node.id, *reversed(chain)]
            for n in range(len(names) - 1, 0, -1):
                providers = self.bindings.get(".".join(names[:n]))
                if providers:
                    return next(iter(providers)) if len(providers) == 1 else None
        module = qualified.split(".", 1)[0] if qualified else None
        return self.rules.client_modules.get(module) if module and (chain or module != qualified) else None

    # -- the walk -----------------------------------------------------------------------------
    def run(self) -> Extraction:
        strings, calls, assigns, dicts, exprs, joined, functions, globals_, imports = ([] for _ in range(9))
        buckets = {ast.Constant: strings, ast.Call: calls, ast.Assign: assigns, ast.AnnAssign: assigns,
                   ast.Dict: dicts, ast.Expr: exprs, ast.JoinedStr: joined, ast.FunctionDef: functions,
                   ast.AsyncFunctionDef: functions, ast.Lambda: functions, ast.Global: globals_,
                   ast.Import: imports, ast.ImportFrom: imports}
        # One pass over the tree, by hand (ast.walk's generator per node costs more than the rest).
        pending, fields_of, AST = [self.tree], _CHILD_FIELDS, ast.AST
        pop, push = pending.pop, pending.append
        while pending:
            node = pop()
            cls = node.__class__
            bucket = buckets.get(cls)
            if bucket is not None:
                bucket.append(node)
            fields = fields_of.get(cls)
            if fields is None:
                fields = fields_of[cls] = tuple(f for f in node._fields if f not in _NO_CHILDREN)
            for name in fields:
                value = getattr(node, name, None)
                if value.__class__ is list:
                    for item in value:
                        if isinstance(item, AST):  # Dict.keys holds None, Global.names holds str
                            push(item)
                elif isinstance(value, AST):
                    push(value)
        strings = [n for n in strings if n.value.__class__ is str]
        for node in exprs:
            if _is_str(node.value):
                self.excluded.add(id(node.value))  # docstrings and other bare strings: prose
        for node in joined:
            self.excluded.update(id(v) for v in node.values)
        self.functions.extend(functions)
        for node in globals_:
            self.declared_global.update(node.names)
        for node in imports:
            if node.__class__ is ast.Import:
                self.imports.update({a.asname: a.name for a in node.names if a.asname})
            elif node.module and not node.level:
                self.imports.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
        for node in assigns:
            self._bind_clients(node)
        for call in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
            self._call(call)
        for node in assigns:
            self._assignment(node)
        for node in dicts:
            self._dict(node)
        for fn in functions:
            self._function(fn)
        for node in strings:
            key = id(node)
            if key not in self.excluded and key not in self.found and self.rules.is_loose_reference(node.value):
                self.emit(node, node.value, LOOSE)
        out = Extraction(unresolved=self.unresolved, dropped=self.dropped)
        out.candidates = sorted((c for _, c in self.found.values()), key=lambda c: c.line)
        return out

    def _bind_clients(self, node):
        value = node.value
        if not isinstance(value, ast.Call):
            if isinstance(value, ast.Dict):
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                    if isinstance(target, ast.Name):
                        self.named_dicts.setdefault(target.id, []).append(value)
            return
        provider = self.client_provider(value)
        if provider is None:
            return
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
            parts = dotted_parts(target)
            if parts:
                self.bindings.setdefault(".".join(parts), set()).add(provider)

    def _exclude_strings(self, node):
        for sub in ast.walk(node):
            if _is_str(sub):
                self.excluded.add(id(sub))

    def _call(self, call: ast.Call):
        parts = dotted_parts(call.func) or ["?"]
        tail = parts[-1]
        qualified = self.qualify(parts)
        if tail in self.rules.non_model_calls or ".".join(parts[-2:]) in self.rules.non_model_calls:
            self._exclude_strings(call)
            return
        repo_type = next((kw.value.value.lower() for kw in call.keywords
                          if kw.arg == "repo_type" and _is_str(kw.value)), None)
        if repo_type in self.rules.non_model_repo_types:
            self.dropped += 1
            self._exclude_strings(call)
            return
        handled: set[int] = set()
        slots = [(kw, self.slots.slot(kw.arg)) for kw in call.keywords if kw.arg is not None]
        slots = [(kw, slot) for kw, slot in slots if slot is not None]
        client = self.receiver_provider(call.func, qualified) if slots or tail in self.rules.call_tails else None
        if tail in self.rules.call_tails:
            rule = self.rules.calls.match(parts, qualified, client)
            if rule is not None:
                handled = self._rule_call(call, rule, client)
        if tail in self.rules.http_callees:
            self._http_call(call, tail)
        if tail in _OPTION_CALLS:
            self._option(call)
        elif ".".join(parts) in _ENV_GETTERS or tail == "getenv":
            self._env_call(call)
        for kw, slot in slots:
            if id(kw.value) in handled:
                continue
            if slot.kind == MODEL:
                self.slot_value(kw.value, slot.hint or client, report=isinstance(kw.value, ast.JoinedStr))
            elif slot.kind == AMBIGUOUS_SLOT:
                node, text, more = self._literal(kw.value)
                if text is not None:
                    self.emit(node, text, AMBIGUOUS, hint=slot.hint, other=more, slot_name=kw.arg)

    def _rule_call(self, call: ast.Call, rule, client: str | None) -> set[int]:
        if any(kw.arg == name and _is_str(kw.value) and kw.value.value in values
               for name, values in rule.not_if for kw in call.keywords):
            self.dropped += 1
            self._exclude_strings(call)
            return set()
        value = _model_argument(call, rule)
        if value is None:
            return set()
        usage = rule.usage or client
        for kw in call.keywords:
            if kw.arg in rule.base_url:
                usage = self.rules.provider_of_url(self._string_value(kw.value)) or usage
        line = self.line_of(value.lineno)
        call_line = self.line_of(call.lineno)
        node, text, other = self._literal(value)
        if text is None:
            if not isinstance(value, ast.Constant):  # model=None and the like: no reference was made
                self.unresolved.append(Unresolved(line, f"{NOT_LITERAL} ({_describe(value)})", other, value.lineno))
            return {id(value)}
        for prefix, action in rule.prefixes:
            if action == "strip" and prefix and text.startswith(prefix):
                text = text[len(prefix):]
            elif action == "sentence-transformers" and "/" not in text and not text.startswith((".", "/", "~")) \
                    and self.rules.registry.hub(text) is None:
                text = f"sentence-transformers/{text}"  # the library's own default organisation
        revision = next((kw.value for kw in call.keywords if kw.arg == rule.revision), None) if rule.revision else None
        _, rev_text, _ = self._literal(revision) if revision is not None else (None, None, ())
        if rev_text and "@" not in text:
            text = f"{text}@{rev_text}"
        self.emit(node, text, CALL, usage=usage, other=(*other, call_line))
        return {id(value)}

    def _http_call(self, call: ast.Call, tail: str):
        index = 1 if tail in self.rules.http_method_first else 0
        url_node = call.args[index] if len(call.args) > index else next(
            (kw.value for kw in call.keywords if kw.arg in self.rules.http_url_keywords), None)
        provider = self.rules.provider_of_url(self._string_value(url_node)) if url_node is not None else None
        if provider is None:
            return
        for kw in call.keywords:
            if kw.arg not in self.rules.http_payload_keywords:
                continue
            payload = kw.value
            if isinstance(payload, ast.Call) and payload.args:  # json.dumps({...})
                payload = payload.args[0]
            if isinstance(payload, ast.Name):
                candidates = [d for d in self.named_dicts.get(payload.id, ()) if d.lineno <= call.lineno]
                payload = candidates[-1] if candidates else None
            if isinstance(payload, ast.Dict):
                self.dict_usage[id(payload)] = provider

    def _option(self, call: ast.Call):
        """argparse `add_argument("--model", default=..., choices=[...])`, click/typer options."""
        flags = [a.value for a in call.args if _is_str(a)]
        dest = next((kw.value.value for kw in call.keywords if kw.arg == "dest" and _is_str(kw.value)), None)
        name = dest or next((f for f in flags if f.startswith("--")), None) or next(
            (f for f in flags if not f.startswith("-")), None)
        slot = self.slots.slot(name.lstrip("-")) if name else None
        if slot is None or slot.kind != MODEL:
            return
        for kw in call.keywords:
            if kw.arg == "default":
                self.slot_value(kw.value, slot.hint)
            elif kw.arg == "choices":
                self.slot_value(kw.value, slot.hint, report=False)
            elif kw.arg == "type" and isinstance(kw.value, ast.Call) and kw.value.args:  # click.Choice([...])
                self.slot_value(kw.value.args[0], slot.hint, report=False)

    def _env_call(self, call: ast.Call):
        if not call.args or not _is_str(call.args[0]):
            return
        slot = self.slots.slot(call.args[0].value)
        default = _env_default(call)
        if slot is not None and slot.kind == MODEL and default is not None:
            self.slot_value(default, slot.hint)

    def _assignment(self, node):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if node.value is None:
            return
        for target in targets:
            if isinstance(target, ast.Name):
                name = target.id
            elif isinstance(target, ast.Attribute):
                name = target.attr
            elif isinstance(target, ast.Subscript) and _is_str(target.slice):
                name = target.slice.value  # os.environ["MODEL_ID"] = ..., cfg["model"] = ...
            else:
                continue
            slot = self.slots.slot(name)
            if slot is not None and slot.kind == MODEL:
                self.slot_value(node.value, slot.hint)

    def _dict(self, node: ast.Dict):
        usage = self.dict_usage.get(id(node))
        pairs = [(k.value if _is_str(k) else None, v) for k, v in zip(node.keys, node.values)]
        hint = self._dict_provider(pairs)
        repo_type = next((v.value.lower() for k, v in pairs
                          if k is not None and self.slots.normal(k) in self.slots.repo_type_keys and _is_str(v)), None)
        git = any(k is not None and self.slots.normal(k) in self.slots.git_context for k, _ in pairs)
        for key, value in pairs:
            if key is None:
                continue
            slot = self.slots.slot(key)
            if slot is None:
                continue
            if slot.kind == MODEL:
                self.slot_value(value, slot.hint or hint, usage, CALL if usage else SLOT)
            elif slot.kind == AMBIGUOUS_SLOT:
                if git or repo_type in self.rules.non_model_repo_types:
                    self.dropped += 1
                    self._exclude_strings(value)
                    continue
                node_, text, more = self._literal(value)
                if text is not None:
                    self.emit(node_, text, SLOT if repo_type == "model" else AMBIGUOUS, hint=slot.hint or hint,
                              other=more, slot_name=key)

    def _function(self, fn):
        args = fn.args
        positional = [*args.posonlyargs, *args.args]
        pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
        pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
        for arg, default in pairs:
            slot = self.slots.slot(arg.arg)
            if slot is not None and slot.kind == MODEL:
                self.slot_value(default, slot.hint)
        if isinstance(fn, _FUNCTIONS):
            slot = self.slots.slot(fn.name)
            if slot is not None and slot.kind == MODEL:
                for ret in _returns(fn):
                    self.slot_value(ret, slot.hint, report=False)


_NO_CHILDREN = frozenset({"ctx", "op", "ops"})  # Load/Store and operator singletons: nothing below them
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node under `tree`, in no particular order: ast.walk without a generator per node, and
    without the context and operator singletons hanging off most expressions."""
    out = [tree]
    append, AST, fields_of = out.append, ast.AST, _CHILD_FIELDS
    i = 0
    while i < len(out):
        node = out[i]
        i += 1
        fields = fields_of.get(node.__class__)
        if fields is None:
            fields = fields_of[node.__class__] = tuple(f for f in node._fields if f not in _NO_CHILDREN)
        for name in fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):  # Dict.keys holds None, Global.names holds str
                        append(item)
            elif isinstance(value, AST):
                append(value)
    return out


def _returns(fn) -> list[ast.AST]:
    """The values a function returns, not looking inside nested functions or classes."""
    out, stack = [], list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Return) and node.value is not None:
            out.append(node.value)
        stack.extend(ast.iter_child_nodes(node))
    return out


def _model_argument(call: ast.Call, rule) -> ast.AST | None:
    for name in rule.keywords:
        for kw in call.keywords:
            if kw.arg == name:
                return kw.value
    for index in rule.args:
        positional = call.args[: index + 1]
        if any(isinstance(a, ast.Starred) for a in positional):
            return None  # `f(*args)`: which argument lands where is unknown
        if len(call.args) > index:
            return call.args[index]
    return None


def parse_python(source: str | bytes, filename: str = "<code>") -> tuple[ast.Module | None, str | None]:
    """Parse, or say in one line why not (the file is then skipped and scanning continues)."""
    try:
        return ast.parse(source, filename=filename), None
    except SyntaxError as exc:
        where = f" at line {exc.lineno}" if exc.lineno else ""
        return None, f"not parseable Python ({exc.msg}{where})"
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, f"not parseable Python ({type(exc).__name__}: {exc})"


def find_references(tree: ast.Module, rules, constants: dict[str, tuple[str, int]] | None = None,
                    line_of: Callable[[int], int] = lambda n: n, imports: dict[str, str] | None = None) -> Extraction:
    """Model references in one module. `constants`: {NAME: (value, line)}; None works them out from `tree`."""
    try:
        return _Finder(tree, rules, constants, line_of, imports).run()
    except RecursionError:
        return Extraction(file_problem="not scanned (nested too deeply)")


def usable_constants(trees: list[ast.Module]) -> dict[str, tuple[str, int, int]]:
    """Constants bound exactly once across these modules (notebook cells share one namespace).

    Returns {NAME: (value, line, index of the tree that defines it)}.
    """
    bindings: Counter = Counter()
    rebound: set[str] = set()
    found: dict[str, tuple[str, int, int]] = {}
    for index, tree in enumerate(trees):
        values, counts = module_constants(tree)
        bindings.update(counts)
        rebound |= rebound_globally(tree)
        for name, (value, line) in values.items():
            found[name] = (value, line, index)
    return {n: v for n, v in found.items() if bindings[n] == 1 and n not in rebound}


def module_imports(trees: list[ast.Module]) -> dict[str, str]:
    """`import x as y` / `from m import n`: local name -> qualified name, over all these modules."""
    out: dict[str, str] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                out.update({a.asname: a.name for a in node.names if a.asname})
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                out.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
    return out


def scan_python(source: str | bytes, rules, filename: str = "<code>") -> Extraction:
    if not rules.python_may_hold(source):
        return Extraction()  # no model word, call, Hub URL or registry name anywhere: nothing to parse
    tree, problem = parse_python(source, filename)
    if tree is None:
        return Extraction(file_problem=problem)
    return find_references(tree, rules)



