"""The floor plan: which part of openscope may import which (docs/architecture.md).

Every import counts, the ones inside functions too. A part ("room") is the first name below
`openscope` (`openscope.license.rules` is in `license`). Rooms are layered; a module may import from
its own room or from a lower layer, never from a higher one or from another room of its own layer,
and the modules never import each other in a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "openscope"

# Lowest first. Rooms on one line are independent of each other.
LAYERS = [
    ("_version", "errors", "data"),
    ("types", "vocabulary"),
    ("text",),
    ("catalog", "registry"),
    ("refs",),
    ("scan", "card", "license"),
    ("sources", "assess"),  # fetching never assesses; assessing never fetches (the driver passes facts in)
    # a renderer formats the report it is given; drift compares two reports; memo remembers an offline
    # audit's report (it reads the reading and Hub caches, below it)
    ("policy", "render", "drift", "memo"),
    ("api", "bulk"),  # bulk drives the stages over a whole dump, beside the single-model driver
    ("cli", "__init__"),
    ("__main__",),
]
LAYER_OF = {room: i for i, rooms in enumerate(LAYERS) for room in rooms}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """openscope modules `path` imports anywhere in its code (a `from X import y` of a submodule counts as X.y)."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target.startswith("openscope") and target != name:
                out.add(target)
    return out


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(path, name, known) for name, path in found.items()}


def test_every_room_has_a_layer():
    assert {room(m) for m in modules()} <= set(LAYER_OF), "a new room needs a place in LAYERS"


def test_no_import_goes_up_or_sideways():
    wrong = []
    for source, targets in graph().items():
        for target in targets:
            a, b = room(source), room(target)
            if target == "openscope" and a != "__main__":
                wrong.append(f"{source} -> the package root")
            elif a != b and LAYER_OF[b] >= LAYER_OF[a]:
                wrong.append(f"{source} ({a}) -> {target} ({b})")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycle():
    edges = graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(path[path.index(nxt):] + [node, nxt]) if nxt in path else f"{node} -> {nxt}")
            elif nxt not in state:
                visit(nxt, path + [node])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [])
    assert not cycles, "\n".join(cycles)


def test_the_checker_sees_function_level_and_relative_imports(tmp_path):
    pkg = tmp_path / "openscope"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("def f():\n    from openscope.sub import b\n    from . import c\n")
    (pkg / "sub" / "b.py").write_text("")
    (pkg / "sub" / "c.py").write_text("")
    known = {"openscope", "openscope.sub", "openscope.sub.a", "openscope.sub.b", "openscope.sub.c"}
    assert imports_of(pkg / "sub" / "a.py", "openscope.sub.a", known) == {"openscope.sub.b", "openscope.sub.c"}
