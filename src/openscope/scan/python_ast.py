"""Model references in Python source, found with `ast` through the call patterns in patterns.yaml.

Only string literals and simple module-level string constants (`NAME = "org/x"`, assigned once)
count; anything else in a model slot (a parameter, an f-string, an attribute) is reported as
unresolved, with the reason.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from openscope.scan.candidates import Candidate, Extraction, Unresolved

NOT_LITERAL = "argument is not a string literal"
CALL_MARK = "()"


@dataclass(frozen=True)
class CallRule:
    callee: tuple[str, ...]
    receiver: re.Pattern | None
    args: tuple[int, ...]
    keywords: tuple[str, ...]
    revision: str | None
    prefixes: tuple[tuple[str, str], ...]


class CallRules:
    """The `calls:` section of patterns.yaml, indexed by the last name of the callee."""

    def __init__(self, raw_rules: list[dict], litellm_providers: dict[str, str]):
        self.by_tail: dict[str, list[CallRule]] = {}
        self.litellm = dict(litellm_providers)
        for raw in raw_rules:
            receiver = raw.get("receiver")
            rule = CallRule(
                callee=tuple(raw["callee"].split(".")),
                receiver=re.compile(receiver) if receiver else None,
                args=tuple(raw.get("args", ())),
                keywords=tuple(raw.get("keywords", ())),
                revision=raw.get("revision"),
                prefixes=tuple((raw.get("prefixes") or {}).items()),
            )
            self.by_tail.setdefault(rule.callee[-1], []).append(rule)

    def match(self, parts: list[str]) -> CallRule | None:
        """`parts` is the dotted callee, outermost first (`client.chat.completions.create`)."""
        for rule in self.by_tail.get(parts[-1], ()):
            n = len(rule.callee)
            if len(parts) < n or tuple(parts[-n:]) != rule.callee:
                continue
            if rule.receiver is not None:
                if len(parts) <= n or not rule.receiver.fullmatch(parts[-n - 1]):
                    continue
            return rule
        return None

    def rewrite(self, rule: CallRule, text: str) -> tuple[str, str | None]:
        """Apply the rule's prefixes: (model string, None), or (text, reason it names no auditable model)."""
        for prefix, action in rule.prefixes:
            if action == "strip" and prefix and text.startswith(prefix):
                return text[len(prefix):], None
            if action == "litellm" and "/" in text:
                provider, rest = text.split("/", 1)
                kind = self.litellm.get(provider)
                if kind in ("api", "hub"):
                    return rest, None
                if kind == "local":
                    return text, f"litellm provider {provider!r} serves local models, not a Hub id or API model"
        return text, None


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


def _bound_names(nodes) -> Counter:
    """How many times each name is bound by these statements, not looking inside def/class bodies."""
    counts: Counter = Counter()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            counts[node.name] += 1
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            counts[node.id] += 1
        elif isinstance(node, ast.alias):
            counts[(node.asname or node.name).split(".")[0]] += 1
        stack.extend(ast.iter_child_nodes(node))
    return counts


def module_constants(tree: ast.Module) -> tuple[dict[str, tuple[str, int]], Counter]:
    """`NAME = "literal"` at module level -> {NAME: (value, line)}, plus how often each name is bound."""
    values: dict[str, tuple[str, int]] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        else:
            continue
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            for target in targets:
                if isinstance(target, ast.Name):
                    values[target.id] = (value.value, value.lineno)
    return values, _bound_names(tree.body)


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


class _CallFinder:
    """One `ast.walk` over the module; scopes and constants are worked out only when a call needs them."""

    def __init__(self, tree: ast.Module, rules: CallRules, constants: dict[str, tuple[str, int]] | None,
                 line_of: Callable[[int], int]):
        self.tree = tree
        self.rules = rules
        self._constants = constants
        self.line_of = line_of
        self.functions: list[ast.AST] = []
        self.declared_global: set[str] = set()
        self._locals: dict[int, set[str]] = {}
        self.out = Extraction()

    @property
    def constants(self) -> dict[str, tuple[str, int]]:
        if self._constants is None:
            values, bindings = module_constants(self.tree)
            self._constants = {n: v for n, v in values.items() if bindings[n] == 1 and n not in self.declared_global}
        return self._constants

    def run(self) -> Extraction:
        tails = self.rules.by_tail
        matched = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                func = node.func
                tail = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
                if tail in tails:
                    matched.append(node)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                self.functions.append(node)
            elif isinstance(node, ast.Global):
                self.declared_global.update(node.names)
        for call in sorted(matched, key=lambda n: (n.lineno, n.col_offset)):
            rule = self.rules.match(dotted_parts(call.func) or ["?"])
            if rule is not None:
                value = _model_argument(call, rule)
                if value is not None:
                    self._record(call, rule, value)
        return self.out

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

    def _record(self, call: ast.Call, rule: CallRule, value: ast.AST):
        line = self.line_of(value.lineno)
        text, other = self._literal(value)
        if text is None:
            if isinstance(value, ast.Constant):
                return  # model=None and the like: no reference was made
            self.out.unresolved.append(Unresolved(line, f"{NOT_LITERAL} ({_describe(value)})", other))
            return
        text, not_auditable = self.rules.rewrite(rule, text)
        if not_auditable:
            self.out.unresolved.append(Unresolved(line, not_auditable, other))
            return
        revision = next((kw.value for kw in call.keywords if kw.arg == rule.revision), None) if rule.revision else None
        rev_text, _ = self._literal(revision) if revision is not None else (None, ())
        if rev_text and "@" not in text:
            text = f"{text}@{rev_text}"
        self.out.candidates.append(Candidate(text, line, other_lines=other))

    def _literal(self, node: ast.AST) -> tuple[str | None, tuple[int, ...]]:
        if isinstance(node, ast.Constant):
            return (node.value, ()) if isinstance(node.value, str) else (None, ())
        if isinstance(node, ast.Name) and node.id in self.constants and not self._shadowed(node.id, node):
            value, line = self.constants[node.id]  # line already in file coordinates
            return value, (line,)
        return None, ()


def _model_argument(call: ast.Call, rule: CallRule) -> ast.AST | None:
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


def parse_python(source: str | bytes, filename: str = "<code>") -> tuple[ast.Module | None, str | None]:
    """Parse, or say in one line why not (the file is then skipped and scanning continues)."""
    try:
        return ast.parse(source, filename=filename), None
    except SyntaxError as exc:
        where = f" at line {exc.lineno}" if exc.lineno else ""
        return None, f"not parseable Python ({exc.msg}{where})"
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, f"not parseable Python ({type(exc).__name__}: {exc})"


def find_calls(tree: ast.Module, rules: CallRules, constants: dict[str, tuple[str, int]] | None = None,
               line_of: Callable[[int], int] = lambda n: n) -> Extraction:
    """Model references in calls. `constants`: {NAME: (value, line)}; None works them out from `tree`."""
    return _CallFinder(tree, rules, constants, line_of).run()


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


def scan_python(source: str | bytes, rules: CallRules, filename: str = "<code>") -> Extraction:
    tree, problem = parse_python(source, filename)
    if tree is None:
        return Extraction(file_problem=problem)
    return find_calls(tree, rules)
