"""Which files a scan reads: git's view of the tree when there is one, else a walk honouring .gitignore.

Never entered: virtualenvs (by name or by a `pyvenv.cfg` inside), node_modules, VCS folders,
caches and the other `walk.skip_dirs` of patterns.yaml. Symlinked directories are not followed
(like git and ripgrep), which also makes symlink loops harmless. `.gitignore` patterns are git's own
syntax, matched by `pathspec`; `--exclude` / `exclude = [...]` patterns use the same syntax.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


MAX_IGNORE_FILE_BYTES = 1_000_000


@dataclass
class WalkResult:
    files: list[Path] = field(default_factory=list)
    # (path, reason) for directories that could not be listed.
    problems: list[tuple[Path, str]] = field(default_factory=list)
    symlinked_dirs: int = 0
    excluded: int = 0  # folders and files dropped by --exclude / exclude = [...]


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


def walk(root: Path, skip_dirs: set[str], venv_marker: str, excluded=None) -> WalkResult:
    if root.is_file():
        return WalkResult(files=[root])
    if git_toplevel(root) is not None:
        listed = _git_files(root)
        if listed is not None and (listed or not _git_ignores(root)):
            result = _filter_git_listing(root, listed, skip_dirs, venv_marker)
            if excluded:
                kept = [p for p in result.files if not excluded(p)]
                result.excluded += len(result.files) - len(kept)
                result.files = kept
            return result
    result = _walk_tree(root, skip_dirs, venv_marker, excluded or None)
    if excluded:
        kept = [p for p in result.files if not excluded(p)]
        result.excluded += len(result.files) - len(kept)
        result.files = kept
    return result


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


def _walk_tree(root: Path, skip_dirs: set[str], venv_marker: str, excluded=None) -> WalkResult:
    result = WalkResult()
    # Each stack entry: a directory and the .gitignore rules in force there.
    stack: list[tuple[Path | str, tuple[IgnoreFile, ...]]] = [(root, ())]
    while stack:
        directory, rules = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            result.problems.append((Path(directory), f"cannot list directory ({exc.strerror or exc})"))
            continue
        names = {e.name for e in entries}
        if directory != root and venv_marker in names:
            continue
        if ".gitignore" in names:
            rules = rules + (IgnoreFile.read(Path(directory) / ".gitignore", Path(directory)),)
        subdirs = []
        for entry in entries:
            path = entry.path  # a str: Path objects cost more than the rest of the walk
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_link, is_dir = False, False
            if is_dir and entry.name in skip_dirs:
                continue
            if rules and _ignored(path, is_dir, rules):
                continue
            if is_dir:
                if excluded is not None and excluded(path, True):
                    result.excluded += 1
                    continue
                subdirs.append((path, rules))
            elif is_link and _is_dir(path):
                result.symlinked_dirs += 1
            else:
                result.files.append(path)
        stack.extend(reversed(subdirs))
    result.files = [Path(p) for p in result.files]
    return result


def _is_dir(path: Path | str) -> bool:
    try:
        return os.path.isdir(path)
    except OSError:  # a symlink loop: not a directory we can enter
        return False


def _ignored(path: Path, is_dir: bool, rules) -> bool:
    ignored = False
    for ignore in rules:  # deeper .gitignore files come later and win
        verdict = ignore.match(path, is_dir)
        if verdict is not None:
            ignored = verdict
    return ignored


def compile_gitignore(lines, *, strict: bool = False, source: str = ""):
    """Git's ignore patterns, one per line, as a `pathspec.GitIgnoreSpec`. A pattern git would reject
    is skipped (a .gitignore never stops a scan); with `strict`, it is an InputError naming it instead."""
    import pathspec  # only when there are patterns: most scans in a git work tree need none

    good = []
    for line in lines:
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except (ValueError, TypeError, re.error) as exc:  # GitIgnorePatternError is a ValueError; `[z-a]` a re.error
            if strict:
                from openscope.errors import InputError

                raise InputError(f"{source}: invalid pattern {line!r} ({exc})") from None
            continue
        good.append(line)
    return pathspec.GitIgnoreSpec.from_lines(good)


class IgnoreFile:
    """One .gitignore file: its patterns (git's syntax, by pathspec) apply below its folder."""

    def __init__(self, base: Path, spec):
        self.base = base
        self.spec = spec

    @classmethod
    def read(cls, path: Path, base: Path) -> IgnoreFile:
        from openscope.errors import UnreadableError
        from openscope.text.bounded import read_bounded

        try:  # a .gitignore that is a FIFO, a device or 1 GB is no .gitignore: read as empty
            text = read_bounded(path, MAX_IGNORE_FILE_BYTES)[0].decode("utf-8", "replace")
        except UnreadableError:
            text = ""
        return cls(base, compile_gitignore(text.splitlines()))

    def match(self, path: Path | str, is_dir: bool) -> bool | None:
        """True: ignored; False: re-included by `!`; None: no rule says anything."""
        rel = os.path.relpath(path, self.base).replace(os.sep, "/")
        return self.spec.check_file(rel + "/" if is_dir else rel).include


class Excludes:
    """`--exclude` globs and `exclude = [...]` of openscope.toml / [tool.openscope]: gitignore-style
    patterns, each relative to a folder (the scan's base for --exclude, the TOML file's folder)."""

    def __init__(self):
        self.sources: list[tuple[str, object, str]] = []  # (folder, pathspec.GitIgnoreSpec, label)

    def add(self, folder: Path, patterns: list[str], label: str) -> None:
        if patterns:
            self.sources.append((os.path.abspath(folder), compile_gitignore(patterns, strict=True, source=label),
                                 label))

    def __bool__(self) -> bool:
        return bool(self.sources)

    def __call__(self, path: Path, is_dir: bool = False) -> str | None:
        """The label of the exclusion that drops `path`, or None."""
        absolute = os.path.abspath(path)
        for folder, spec, label in self.sources:
            if absolute.startswith(folder + os.sep):
                rel = absolute[len(folder) + 1:].replace(os.sep, "/")
                if spec.match_file(rel + "/" if is_dir else rel):
                    return label
        return None
