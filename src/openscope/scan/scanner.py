"""The scan loop: walk each root, read each file of a known kind, resolve and merge what it holds."""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

from openscope.scan.candidates import Extraction, Unresolved, load_patterns
from openscope.scan.resolve import CandidateResolver, ref_key
from openscope.scan.rules import ScanRules
from openscope.scan.walk import Excludes, walk
from openscope.text.bounded import inside, read_bounded
from openscope.types import Location, ScanResult, SkippedRef

BINARY_PROBE = 8192
# `# openscope: ignore` drops the reference on that line; `# openscope: ignore[user-cap, non-commercial]`
# keeps it and records which policy rules the line waives (Location.ignore), as linters' noqa codes do.
SUPPRESSION = re.compile(r"#\s*openscope:\s*ignore\b(?:\[([^\]]*)\])?", re.IGNORECASE)
SUPPRESSION_MARK = b"openscope:"


OUTSIDE = "resolves outside the scanned folder (a symlink or path out of the tree); not read"


class _Refused(Exception):
    """A file read_bounded would not read: the reason becomes the file's `skipped` entry."""


def suppressions(text: str) -> dict[int, tuple[str, ...]]:
    """{line: the rules it names (empty: all)} for every `# openscope: ignore[...]` comment."""
    out: dict[int, tuple[str, ...]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        m = SUPPRESSION.search(line)
        if m:
            out[number] = tuple(r.strip().lower() for r in (m.group(1) or "").split(",") if r.strip())
    return out


# The scanner a fork worker extracts with (set just before the workers are forked).
_WORKER = None
_NOTHING = (None, Extraction(), {})  # a file read and parsed that holds nothing (never mutated)
PARALLEL_MIN_FILES = 2000


def _extract_worker(item):
    path, kind = item
    result = _WORKER.extract(path, kind)
    problem, extraction, marks = result
    if problem is None and not (extraction.candidates or extraction.unresolved or extraction.dropped or marks):
        return None  # most files hold nothing: send back as little as possible
    return result


class Scanner:
    def __init__(self, display_base: Path, *, registry=None, show_progress: bool = False,
                 exclude: list[str] | None = None, workers: int | None = None,
                 parallel_min: int = PARALLEL_MIN_FILES):
        if registry is None:
            from openscope.registry import load_registry

            registry = load_registry()
        patterns = load_patterns()
        self.display_base = os.path.abspath(display_base)
        self.rules = ScanRules(patterns, registry)
        self.files = patterns["files"]
        self.walk_settings = patterns["walk"]
        self.resolver = CandidateResolver(patterns["not_references"], registry, self.rules)
        self.show_progress = show_progress
        self.workers, self.parallel_min = workers, parallel_min
        self.excludes = Excludes()
        self.excludes.add(Path(self.display_base), list(exclude or ()), "--exclude")
        self.found: dict[tuple, tuple] = {}  # ref_key -> (first ModelRef, {(path, line): ignore rules})
        self.skipped: set[tuple[str, int, str]] = set()
        self.stats: Counter = Counter()
        self.done: set[str] = set()
        self._real_dirs: dict[str, str] = {}
        self.boundary: str | None = None  # the scanned root, real path: nothing outside it is read
        self.root_file: str | None = None  # a file named on the command line is read wherever it points
        self.manifest_errors: list[str] = []
        from openscope.vocabulary import flag_names

        self.known_rules = frozenset(flag_names()) | {"spectrum", "unknown", "license"}

    # -- which files -----------------------------------------------------------------------
    def kind_of(self, path: Path | str) -> str | None:
        name, files = os.path.basename(path), self.files
        lower = name.lower()
        if name in files["manifest_names"] or lower.endswith(tuple(files["manifest_suffixes"])):
            return "manifest"
        if name in files["toml_names"]:
            return "toml"
        dot = lower.rfind(".")
        suffix = lower[dot:] if dot > 0 else ""
        if suffix in files["python"]:
            return "python"
        if suffix in files["notebook"]:
            return "notebook"
        if suffix in files["config"] and name not in files["config_excluded_names"]:
            return "config"
        if lower in files["dotenv_names"] or lower.startswith(tuple(files["dotenv_prefixes"])) \
                or lower.endswith(tuple(files["dotenv_suffixes"])):
            return "dotenv"
        if lower in files["dockerfile_names"] or lower.startswith(tuple(files["dockerfile_prefixes"])) \
                or lower.endswith(tuple(files["dockerfile_suffixes"])):
            return "dockerfile"
        if suffix in files["shell"]:
            return "shell"
        return None

    def display(self, path: Path | str) -> str:
        absolute = os.path.abspath(path)
        base = self.display_base
        if absolute.startswith(base + os.sep):
            return absolute[len(base) + 1:].replace(os.sep, "/")
        if absolute == base:
            return "."
        return Path(absolute).as_posix()

    def _folder(self, path: Path | str) -> tuple[str, str, str]:
        """(absolute, real, displayed) path of a file's folder, worked out once per folder."""
        parent = os.path.dirname(os.fspath(path)) or "."
        known = self._real_dirs.get(parent)
        if known is None:
            absolute = os.path.abspath(parent)
            shown = self.display(absolute)
            prefix = "" if shown == "." else shown + "/"
            known = self._real_dirs[parent] = (absolute, os.path.realpath(absolute), prefix)
        return known

    def _file_key(self, path: Path | str) -> str:
        """Absolute path with real parent folders, the form `gitdiff` uses (the file itself may be a link)."""
        return os.path.join(self._folder(path)[1], os.path.basename(path))

    def _display_file(self, path: Path | str) -> str:
        return self._folder(path)[2] + os.path.basename(path)

    # -- the loop --------------------------------------------------------------------------
    def read_excludes(self, root: Path) -> None:
        """`exclude = [...]` in the policy table of the folder being scanned (openscope.toml, or
        [tool.openscope] of pyproject.toml), relative to that folder."""
        folder = root if root.is_dir() else root.parent
        for name in self.files["toml_names"]:
            self.add_policy_excludes(folder / name)

    def add_policy_excludes(self, path: Path) -> None:
        from openscope.scan.manifest import toml_excludes

        if path.is_file():
            patterns = toml_excludes(path)
            self.excludes.add(path.parent, patterns, f"{self.display(path)}: exclude")

    def outside(self, path: Path | str) -> bool:
        """Whether reading `path` would leave the scanned root (a symlink out of the tree, a listed path)."""
        if self.boundary is None or (self.root_file is not None and os.fspath(path) == self.root_file):
            return False
        if not os.path.islink(path) and (self._folder(path)[1] + os.sep).startswith(self.boundary):
            return False  # the common case: a plain file in a folder of the tree (folders are never followed)
        return not inside(path, self.boundary)

    def scan_root(self, root: Path, *, since: str | None = None) -> None:
        settings = self.walk_settings
        self.boundary = os.path.realpath(root if root.is_dir() else root.parent).rstrip(os.sep) + os.sep
        self.resolver.boundary = self.boundary
        self.root_file = os.fspath(root) if not root.is_dir() else None
        if root.is_file():
            label = self.excludes(root)
            if label:
                self.stats["files_excluded"] += 1
                self._skip(self.display(root), 0, f"excluded by {label}")
                return
        walked = walk(root, set(settings["skip_dirs"]), settings["venv_marker"], self.excludes or None)
        self.stats["files_seen"] += len(walked.files)
        self.stats["files_excluded"] += walked.excluded
        self.stats["symlinked_dirs_not_followed"] += walked.symlinked_dirs
        for directory, reason in walked.problems:
            self._skip(self.display(directory), 0, reason)
            self.stats["dirs_unreadable"] += 1
        added = None
        if since is not None:
            from openscope.scan.gitdiff import added_lines

            added = {str(k): v for k, v in added_lines(root, since).items()}
        work = [(path, kind) for path in walked.files if (kind := self.kind_of(path))]
        if root.is_file() and not work:
            # A file named on the command line: a plain list is read as a manifest, anything else said so.
            if root.suffix.lower() in self.files["explicit_manifest_suffixes"]:
                work = [(root, "manifest")]
            else:
                self._skip_file(self.display(root), "not a file type scan reads (Python, notebook, YAML/JSON "
                                                    "config, .env, Dockerfile, shell script, models manifest, "
                                                    "pyproject.toml/openscope.toml)")
        keyed = [(path, kind, self._file_key(path)) for path, kind in work]
        if added is not None:
            # TOML files are read anyway: a manifest they list may have changed while they did not.
            keyed = [item for item in keyed if item[1] == "toml" or item[2] in added]
        work = []
        for item in keyed:
            if item[2] not in self.done:  # a file can be reached twice: a root and a manifest list
                self.done.add(item[2])
                if self.outside(item[0]):
                    self._skip_file(self._display_file(item[0]), OUTSIDE)
                    continue
                work.append(item)
        parallel = [item for item in work if item[1] != "toml"] if self._parallel_ok(len(work)) else []
        extracted = self._extract_in_parallel(parallel) if parallel else {}
        for path, kind, key in self._progress(work):
            self.scan_file(path, kind, added, key=key, result=extracted.pop(key, None) if extracted else None)

    def _progress(self, work):
        if not self.show_progress or len(work) < self.walk_settings["progress_threshold"]:
            yield from work
            return
        from rich.console import Console
        from rich.progress import Progress

        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("scanning", total=len(work))
            for item in work:
                yield item
                bar.advance(task)

    # -- both cores --------------------------------------------------------------------------
    def _parallel_ok(self, n_files: int) -> bool:
        """Reading and parsing is CPU-bound: on a big tree, fork workers do it (Linux only, where fork
        shares the loaded rules for free); resolving and merging stay here, in order."""
        if self.workers is not None:
            return self.workers > 1 and n_files >= self.parallel_min
        cores = os.cpu_count() or 1
        if n_files < self.parallel_min or cores < 2 or sys.platform != "linux":
            return False
        # Only with a core to spare: on a machine already busy, workers add their overhead and no speed.
        return os.getloadavg()[0] < cores - 0.5

    def _extract_in_parallel(self, work) -> dict:
        import multiprocessing

        global _WORKER
        _WORKER = self
        processes = self.workers or min(os.cpu_count() or 2, 4)
        try:
            with multiprocessing.get_context("fork").Pool(processes) as pool:
                results = pool.map(_extract_worker, [(str(p), k) for p, k, _ in work], chunksize=256)
        finally:
            _WORKER = None
        return {key: result or _NOTHING for (_, _, key), result in zip(work, results)}

    # -- one file ----------------------------------------------------------------------------
    def scan_file(self, path: Path, kind: str, added: dict | None = None, *, key: str | None = None,
                  result=None) -> None:
        """Read one file; `key` says the caller has already claimed it (see scan_root)."""
        if key is None:
            key = self._file_key(path)
            if key in self.done:
                return
            self.done.add(key)
        rel = self._display_file(path)
        if result is None:
            result = self.extract(path, kind, added)
        problem, extraction, marks = result
        if problem is not None:
            if kind == "manifest":
                self.manifest_errors.append(f"{rel}: {problem}")
            return self._skip_file(rel, problem)
        self.stats["files_scanned"] += 1
        self.stats["strings_ignored"] += extraction.dropped
        # None keeps every line: no --since, or an untracked file (gitdiff.ALL_LINES).
        self._collect(path, rel, extraction, None if added is None else added.get(key, set()), marks)

    def extract(self, path: Path, kind: str, added=None) -> tuple[str | None, Extraction | None, dict]:
        """(why the whole file is skipped, or None; what it holds; its suppression comments).
        An unexpected failure on one file skips that file with the reason; the scan goes on."""
        try:
            return self._extract(path, kind, added)
        except Exception as exc:
            from openscope.errors import InputError, internal_error

            if isinstance(exc, InputError):
                raise
            return str(internal_error(self._display_file(path), exc)).split(": ", 1)[1], None, {}

    def _extract(self, path: Path, kind: str, added=None) -> tuple[str | None, Extraction | None, dict]:
        cap = self.walk_settings["max_notebook_bytes" if kind == "notebook" else "max_file_bytes"]
        try:
            data, _ = read_bounded(path, cap, label="", error=_Refused)
        except _Refused as exc:
            return str(exc).removeprefix(": ").replace(", not read", ", not scanned"), None, {}
        utf16 = kind == "manifest" and data[:2] in (b"\xff\xfe", b"\xfe\xff")
        if b"\0" in data[:BINARY_PROBE] and not utf16:
            return "binary file, not scanned", None, {}
        if kind == "python":
            from openscope.scan.python_ast import scan_python  # each file kind's reader is imported when met

            extraction = scan_python(data, self.rules, os.path.basename(path))
            text = None
        else:
            try:
                if utf16:
                    text = data.decode("utf-16")  # Windows editors save plain lists as UTF-16 with a BOM
                else:
                    text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                return "not UTF-8 text, not scanned", None, {}
            extraction = self._extract_text(Path(path), kind, text, added)
        if extraction.file_problem:
            return extraction.file_problem, None, {}
        marks = {}
        if SUPPRESSION_MARK in data:
            marks = suppressions(text if text is not None else data.decode("utf-8", "replace"))
        return None, extraction, marks

    def _extract_text(self, path: Path, kind: str, text: str, added) -> Extraction:
        rules = self.rules
        if kind == "notebook":
            from openscope.scan.notebook import scan_notebook

            return scan_notebook(text, rules)
        if kind == "config":
            from openscope.scan.configs import scan_json, scan_yaml

            return scan_json(text, rules) if path.suffix.lower() == ".json" else scan_yaml(text, rules)
        if kind in ("dotenv", "dockerfile"):
            from openscope.scan.envfiles import scan_dockerfile, scan_dotenv

            return scan_dotenv(text, rules.commands) if kind == "dotenv" else scan_dockerfile(text, rules.commands)
        from openscope.scan.manifest import scan_manifest, scan_toml

        if kind == "manifest":
            return scan_manifest(text)
        if kind == "shell":
            out = Extraction()
            rules.commands.scan_text(text, 1, out)
            return out
        toml = scan_toml(text, path.name)
        for name, line in toml.manifest_files:
            listed = path.parent / name
            if self.outside(listed):
                toml.extraction.unresolved.append(Unresolved(line, f"models-files: {name}: {OUTSIDE}"))
            elif listed.is_file():
                self.scan_file(listed, "manifest", added)
            else:
                toml.extraction.unresolved.append(Unresolved(line, f"models-files: {name}: no such file"))
        return toml.extraction

    def _collect(self, path: Path, rel: str, extraction: Extraction, added_here, marks: dict) -> None:
        def wanted(line: int, other_lines=()) -> bool:
            return added_here is None or any(n in added_here for n in (line, *other_lines))

        def suppression(line: int, other_lines=()) -> tuple[str, ...] | None:
            for n in (line, *other_lines):
                if n in marks:
                    return marks[n]
            return None

        for item in extraction.unresolved:
            if not wanted(item.line, item.other_lines):
                continue
            if suppression(item.line, item.other_lines) == ():
                self.stats["refs_suppressed"] += 1
                continue
            self._skip(rel, item.line, item.reason)
            self.stats["refs_unresolved"] += 1
        base_dir = Path(self._folder(path)[0]) if extraction.candidates else None
        for cand in extraction.candidates:
            if not wanted(cand.line, cand.other_lines):
                continue
            resolved = self.resolver.resolve(cand, base_dir)
            if resolved is None:
                self.stats["strings_ignored"] += 1
                continue
            ignore = suppression(cand.line, cand.other_lines)
            if isinstance(resolved, str):
                if ignore == ():
                    self.stats["refs_suppressed"] += 1
                    continue
                self._skip(rel, cand.line, resolved)
                self.stats["refs_unresolved"] += 1
                continue
            if ignore == ():
                self.stats["refs_suppressed"] += 1
                self._skip(rel, cand.line, f"suppressed by '# openscope: ignore' ({resolved.raw})")
                continue
            unknown = [r for r in (ignore or ()) if r not in self.known_rules]
            if unknown:
                self._skip(rel, cand.line, f"openscope: ignore[...] names unknown rule(s) {', '.join(unknown)}; "
                                           "expected flag names, 'spectrum', 'unknown' or 'license'")
            self.stats["occurrences"] += 1
            _, locations = self.found.setdefault(ref_key(resolved), (resolved, {}))
            rules = tuple(r for r in (ignore or ()) if r in self.known_rules)
            if (rel, cand.line) not in locations or rules:
                locations[(rel, cand.line)] = rules

    def _skip(self, rel: str, line: int, reason: str) -> None:
        self.skipped.add((rel, line, reason))

    def _skip_file(self, rel: str, reason: str) -> None:
        self.stats["files_skipped"] += 1
        self._skip(rel, 0, reason)
        return None

    def result(self):
        refs = []
        for ref, locations in self.found.values():
            ordered = tuple(Location(p, n, list(rules)) for (p, n), rules in sorted(locations.items()))
            refs.append(replace(ref, locations=ordered))
        refs.sort(key=lambda r: (r.kind, r.id.lower(), r.revision or "", r.provider or ""))
        skipped = [SkippedRef(p, n, reason) for p, n, reason in sorted(self.skipped)]
        stats = {k: 0 for k in ("files_seen", "files_scanned", "files_skipped", "files_excluded", "refs_found",
                                "occurrences", "refs_unresolved", "refs_suppressed", "strings_ignored")}
        stats.update(self.stats)
        stats["refs_found"] = len(refs)
        return ScanResult(refs=refs, skipped=skipped, stats=stats, manifest_errors=list(self.manifest_errors))
