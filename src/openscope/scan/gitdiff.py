"""Lines added since a git ref, for `scan --since REF` and `check --diff REF`.

"Added since REF" means: committed on this branch since it forked from REF (git's `REF...HEAD`)
plus uncommitted changes and untracked files. One `git diff --unified=0 <merge-base>` compares the
merge base with the working tree, so the line numbers are those of the files as they are now.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from openscope.errors import InputError

ALL_LINES = None  # marker: every line of the file is new (an untracked file)
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def _git(root: Path, *args: str) -> str:
    try:
        proc = subprocess.run(["git", "-c", "core.quotepath=off", "-C", str(root), *args],
                              capture_output=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as exc:
        raise InputError(f"{root}: cannot run git ({exc})") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"{root}: git {args[0]} failed: {message[-1] if message else 'exit ' + str(proc.returncode)}")
    return proc.stdout.decode("utf-8", "surrogateescape")


def added_lines(root: Path, since: str) -> dict[Path, set[int] | None]:
    """{absolute file path: added line numbers, or ALL_LINES for untracked files}."""
    from openscope.scan.walk import git_toplevel

    top = git_toplevel(root if root.is_dir() else root.parent)
    if top is None:
        raise InputError(f"{root}: --since {since} needs a git work tree, and this path is not in one")
    top = top.resolve()
    try:
        _git(top, "rev-parse", "--verify", "--quiet", f"{since}^{{commit}}")
    except InputError:
        raise InputError(f"--since {since}: not a commit, branch or tag in {top}") from None
    base = _git(top, "merge-base", since, "HEAD").strip()
    diff = _git(top, "diff", "--unified=0", "--no-color", "--no-ext-diff", "--no-textconv", base, "--")
    result = parse_unified_diff(diff, top)
    for name in _git(top, "ls-files", "--others", "--exclude-standard", "-z").split("\0"):
        if name:
            result[top / name] = ALL_LINES
    return result


def parse_unified_diff(diff: str, top: Path) -> dict[Path, set[int]]:
    result: dict[Path, set[int]] = {}
    current: set[int] | None = None
    in_header = False  # file headers sit between `diff --git` and the first hunk
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            in_header, current = True, None
        elif in_header and line.startswith("+++ "):
            name = line[4:]
            if name == "/dev/null":
                current = None
                continue
            if name.startswith('"'):  # C-quoted name (odd characters)
                name = name[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
                name = name.encode("latin-1", "replace").decode("utf-8", "replace")
            current = result.setdefault(top / name.removeprefix("b/"), set())
        elif line.startswith("@@"):
            in_header = False
            m = _HUNK.match(line)
            if current is None or m is None:
                continue
            start, count = int(m[1]), int(m[2]) if m[2] is not None else 1
            current.update(range(start, start + count))
    return result
