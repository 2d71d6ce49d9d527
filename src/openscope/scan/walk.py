"""Which files a scan reads: git's view of the tree when there is one, else a walk honouring .gitignore.

Never entered: virtualenvs (by name or by a `pyvenv.cfg` inside), node_modules, VCS folders,
caches and the other `walk.skip_dirs` of patterns.yaml. Symlinked directories are not followed
(like git and ripgrep), which also makes symlink loops harmless.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class WalkResult:
    files: list[Path] = field(default_factory=list)
    # (path, reason) for directories that could not be listed.
    problems: list[tuple[Path, str]] = field(default_factory=list)
    symlinked_dirs: int = 0


def git_toplevel(path: Path) -> Path | None:
    try:
        proc = subprocess.run(["git", "-C", str(path), "rev-parse", "--show-toplevel"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(proc.stdout.strip()) if proc.returncode == 0 and proc.stdout.strip() else None


def _git_files(root: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files under root, relative to it; None if git fails."""
    try:
        proc = subprocess.run(["git", "-C", str(root), "ls-files", "-co", "--exclude-standard", "-z"],
                              capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    names = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted({n for n in names if n})


def _git_ignores(path: Path) -> bool:
    """True when git ignores the folder itself (then the user asked for it explicitly: walk it)."""
    try:
        proc = subprocess.run(["git", "-C", str(path.parent), "check-ignore", "-q", path.name],
                              capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0


def walk(root: Path, skip_dirs: set[str], venv_marker: str) -> WalkResult:
    if root.is_file():
        return WalkResult(files=[root])
    if git_toplevel(root) is not None:
        listed = _git_files(root)
        if listed is not None and (listed or not _git_ignores(root)):
            return _filter_git_listing(root, listed, skip_dirs, venv_marker)
    return _walk_tree(root, skip_dirs, venv_marker)


def _filter_git_listing(root: Path, listed: list[str], skip_dirs: set[str], venv_marker: str) -> WalkResult:
    venvs = {name.rsplit("/", 1)[0] for name in listed if name.rsplit("/", 1)[-1] == venv_marker and "/" in name}
    result = WalkResult()
    for name in listed:
        parts = name.split("/")
        if any(p in skip_dirs for p in parts[:-1]):
            continue
        if venvs and any("/".join(parts[:i]) in venvs for i in range(1, len(parts))):
            continue
        path = root / name
        if path.is_symlink() and path.is_dir():
            result.symlinked_dirs += 1
            continue
        if path.is_file() or path.is_symlink():  # a broken or looping link is reported when read
            result.files.append(path)
    return result


def _walk_tree(root: Path, skip_dirs: set[str], venv_marker: str) -> WalkResult:
    result = WalkResult()
    # Each stack entry: a directory and the .gitignore rules in force there.
    stack: list[tuple[Path, tuple[IgnoreFile, ...]]] = [(root, ())]
    while stack:
        directory, rules = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            result.problems.append((directory, f"cannot list directory ({exc.strerror or exc})"))
            continue
        names = {e.name for e in entries}
        if directory != root and venv_marker in names:
            continue
        if ".gitignore" in names:
            rules = rules + (IgnoreFile.read(directory / ".gitignore", directory),)
        subdirs = []
        for entry in entries:
            path = Path(entry.path)
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_link, is_dir = False, False
            if is_dir and entry.name in skip_dirs:
                continue
            if _ignored(path, is_dir, rules):
                continue
            if is_dir:
                subdirs.append((path, rules))
            elif is_link and _is_dir(path):
                result.symlinked_dirs += 1
            else:
                result.files.append(path)
        stack.extend(reversed(subdirs))
    return result


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a symlink loop: not a directory we can enter
        return False


def _ignored(path: Path, is_dir: bool, rules) -> bool:
    ignored = False
    for ignore in rules:
        verdict = ignore.match(path, is_dir)
        if verdict is not None:
            ignored = verdict
    return ignored


@dataclass(frozen=True)
class IgnoreRule:
    regex: re.Pattern
    negate: bool
    dir_only: bool
    anchored: bool


class IgnoreFile:
    """The common subset of .gitignore: globs, `**`, `!` negation, trailing `/`, leading `/`."""

    def __init__(self, base: Path, rules: list[IgnoreRule]):
        self.base = base
        self.rules = rules

    @classmethod
    def read(cls, path: Path, base: Path) -> IgnoreFile:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return cls(base, [])
        return cls(base, [rule for line in text.splitlines() if (rule := parse_ignore_line(line))])

    def match(self, path: Path, is_dir: bool) -> bool | None:
        """True: ignored; False: re-included by `!`; None: no rule says anything."""
        rel = path.relative_to(self.base).as_posix()
        verdict = None
        for rule in self.rules:
            if rule.dir_only and not is_dir:
                continue
            subject = rel if rule.anchored else rel.rsplit("/", 1)[-1]
            if rule.regex.fullmatch(subject):
                verdict = not rule.negate
        return verdict


def parse_ignore_line(line: str) -> IgnoreRule | None:
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("#"):
        return None
    line = re.sub(r"(?<!\\)\s+$", "", line)
    negate = line.startswith("!")
    if negate:
        line = line[1:]
    line = line.removeprefix("\\")  # `\#file`, `\!file`
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    anchored = "/" in line
    line = line.lstrip("/")
    if not line:
        return None
    return IgnoreRule(re.compile(_glob_to_regex(line)), negate, dir_only, anchored)


def _glob_to_regex(glob: str) -> str:
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == len(glob):
            out.append("/.*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[":
            end = glob.find("]", i + 2)
            if end == -1:
                out.append(re.escape(glob[i]))
                i += 1
            else:
                body = glob[i + 1:end].replace("\\", "\\\\")
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = end + 1
        elif glob[i] == "\\" and i + 1 < len(glob):
            out.append(re.escape(glob[i + 1]))
            i += 2
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)
