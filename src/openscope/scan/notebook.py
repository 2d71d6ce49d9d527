"""Model references in Jupyter notebooks (.ipynb code cells).

Line numbers are lines of the .ipynb file itself: the line of the JSON string that holds the code
line. That is what `git diff` (and so `--since`), SARIF viewers and editors showing the raw file use.
Reasons for unresolved references also name the cell and the line in it ("cell 3, line 2"; cells
counted from 1 in notebook order, markdown cells included) for people reading the notebook in Jupyter. Cells share one namespace, so a constant set in one cell counts in the others.
"""

from __future__ import annotations

import re
from dataclasses import replace

from openscope.scan.candidates import Extraction, Unresolved
from openscope.scan.configs import (
    JSONPositionError,
    LineIndex,
    PosStr,
    loads_with_positions,
)
from openscope.scan.python_ast import (
    find_references,
    module_imports,
    parse_python,
    usable_constants,
)

MAX_CELLS = 10_000  # code cells read from one notebook; real ones have tens or hundreds
# Code read from one notebook, all cells together: the cap a .py file has (walk.max_file_bytes). The
# notebook cap (20 MB) is for outputs and images; 20 MB of code would take minutes to parse.
MAX_CODE_CHARS = 1_000_000

# IPython syntax that is not Python: `%magic`, `!shell`, `?help`. Blanked to keep line numbers.
_IPYTHON_LINE = re.compile(r"^\s*[%!?]")


def _cell_lines(source, index: LineIndex) -> tuple[list[str], list[int]]:
    """The cell's code lines and, for each, the .ipynb line holding it."""
    pieces = source if isinstance(source, list) else [source]
    lines: list[str] = []
    file_lines: list[int] = []
    for piece in pieces:
        if not isinstance(piece, str):
            continue
        start = index.line(piece.offset) if isinstance(piece, PosStr) else 1
        for line in piece.splitlines() or [""]:
            lines.append(line)
            file_lines.append(start)
    return lines, file_lines


def scan_notebook(text: str, rules) -> Extraction:
    try:
        data = loads_with_positions(text.lstrip("\ufeff"))
    except JSONPositionError as exc:
        return Extraction(file_problem=f"not a valid notebook (invalid JSON: {exc})")
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        return Extraction(file_problem="not a valid notebook (no 'cells' list)")
    index = LineIndex(text.lstrip("\ufeff"))
    out = Extraction()
    if len(cells) > MAX_CELLS:
        out.unresolved.append(Unresolved(0, f"{len(cells):,} cells; only the first {MAX_CELLS:,} were scanned"))
        cells = cells[:MAX_CELLS]
    parsed = []  # (cell number, tree, .ipynb line of each cell line)
    code_chars = 0
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        lines, file_lines = _cell_lines(cell.get("source", []), index)
        code = "\n".join("" if _IPYTHON_LINE.match(line) else line for line in lines)
        code_chars += len(code)
        if code_chars > MAX_CODE_CHARS:
            first = file_lines[0] if file_lines else 0
            out.unresolved.append(Unresolved(first, f"cell {number}: the notebook holds more than "
                                                    f"{MAX_CODE_CHARS:,} characters of code; the rest was not scanned"))
            break
        tree, problem = parse_python(code, f"cell {number}")
        if tree is None:
            first = file_lines[0] if file_lines else 0
            out.unresolved.append(Unresolved(first, f"cell {number}: {problem}; cell not scanned"))
            continue
        parsed.append((number, tree, file_lines))

    def to_file_line(file_lines: list[int], n: int) -> int:
        return file_lines[min(max(n, 1), len(file_lines)) - 1] if file_lines else 0

    trees = [tree for _, tree, _ in parsed]
    constants = {
        name: (value, to_file_line(parsed[i][2], line))
        for name, (value, line, i) in usable_constants(trees).items()
    }
    imports = module_imports(trees)
    for number, tree, file_lines in parsed:
        found = find_references(tree, rules, constants, lambda n, fl=file_lines: to_file_line(fl, n), imports)
        out.candidates.extend(found.candidates)
        out.dropped += found.dropped
        for item in found.unresolved:
            out.unresolved.append(replace(item, reason=f"cell {number}, line {item.local_line or 0}: {item.reason}"))
    return out
