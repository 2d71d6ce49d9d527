"""The scan loop: walk each root, read each file of a known kind, resolve and merge what it holds."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace
from pathlib import Path

from openscope.scan.candidates import Extraction, Unresolved, load_patterns
from openscope.scan.configs import scan_json, scan_yaml
from openscope.scan.manifest import scan_manifest, scan_toml
from openscope.scan.notebook import scan_notebook
from openscope.scan.python_ast import CallRules, scan_python
from openscope.scan.resolve import CandidateResolver, ref_key
from openscope.scan.walk import walk
from openscope.types import Location, ScanResult, SkippedRef

BINARY_PROBE = 8192


def _file_key(path: Path) -> Path:
    """Absolute path with real parent folders, the form `gitdiff` uses (the file itself may be a link)."""
    return path.parent.resolve() / path.name


def _mb(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


class Scanner:
    def __init__(self, display_base: Path, *, registry=None, show_progress: bool = False):
        patterns = load_patterns()
        self.display_base = Path(os.path.abspath(display_base))
        self.rules = CallRules(patterns["calls"], patterns["litellm_providers"])
        self.config_keys = frozenset(k.lower() for k in patterns["config_keys"])
        self.files = patterns["files"]
        self.walk_settings = patterns["walk"]
        self.resolver = CandidateResolver(patterns["not_references"], registry)
        self.show_progress = show_progress
        self.found: dict[tuple, tuple] = {}  # ref_key -> (first ModelRef, set of Locations)
        self.skipped: set[tuple[str, int, str]] = set()
        self.stats: Counter = Counter()
        self.done: set[Path] = set()

    # -- which files -----------------------------------------------------------------------
    def kind_of(self, path: Path) -> str | None:
        name, files = path.name, self.files
        lower = name.lower()
        if name in files["manifest_names"] or lower.endswith(tuple(files["manifest_suffixes"])):
            return "manifest"
        if name in files["toml_names"]:
            return "toml"
        suffix = path.suffix.lower()
        if suffix in files["python"]:
            return "python"
        if suffix in files["notebook"]:
            return "notebook"
        if suffix in files["config"] and name not in files["config_excluded_names"]:
            return "config"
        return None

    def display(self, path: Path) -> str:
        absolute = Path(os.path.abspath(path))
        try:
            return absolute.relative_to(self.display_base).as_posix()
        except ValueError:
            return absolute.as_posix()

    # -- the loop --------------------------------------------------------------------------
    def scan_root(self, root: Path, *, since: str | None = None) -> None:
        settings = self.walk_settings
        walked = walk(root, set(settings["skip_dirs"]), settings["venv_marker"])
        self.stats["files_seen"] += len(walked.files)
        self.stats["symlinked_dirs_not_followed"] += walked.symlinked_dirs
        for directory, reason in walked.problems:
            self._skip(self.display(directory), 0, reason)
            self.stats["dirs_unreadable"] += 1
        added = None
        if since is not None:
            from openscope.scan.gitdiff import added_lines

            added = added_lines(root, since)
        work = [(path, kind) for path in walked.files if (kind := self.kind_of(path))]
        if root.is_file() and not work:
            # A file named on the command line: a plain list is read as a manifest, anything else said so.
            if root.suffix.lower() in self.files["explicit_manifest_suffixes"]:
                work = [(root, "manifest")]
            else:
                self._skip_file(self.display(root), "not a file type scan reads (Python, notebook, YAML/JSON "
                                                    "config, models manifest, pyproject.toml/openscope.toml)")
        if added is not None:
            # TOML files are read anyway: a manifest they list may have changed while they did not.
            work = [(path, kind) for path, kind in work if kind == "toml" or _file_key(path) in added]
        for path, kind in self._progress(work):
            self.scan_file(path, kind, added)

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

    def scan_file(self, path: Path, kind: str, added: dict | None = None) -> None:
        key = _file_key(path)
        if key in self.done:
            return
        self.done.add(key)
        rel = self.display(path)
        data = self._read(path, rel, kind)
        if data is None:
            return
        if kind == "python":
            extraction = scan_python(data, self.rules, rel)
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                return self._skip_file(rel, "not UTF-8 text, not scanned")
            extraction = self._extract_text(path, kind, text, added)
        if extraction.file_problem:
            return self._skip_file(rel, extraction.file_problem)
        self.stats["files_scanned"] += 1
        # None keeps every line: no --since, or an untracked file (gitdiff.ALL_LINES).
        self._collect(path, rel, extraction, None if added is None else added.get(key, set()))

    def _read(self, path: Path, rel: str, kind: str) -> bytes | None:
        cap = self.walk_settings["max_notebook_bytes" if kind == "notebook" else "max_file_bytes"]
        try:
            size = path.stat().st_size
            if size > cap:
                return self._skip_file(rel, f"larger than {_mb(cap)} ({_mb(size)}), not scanned")
            data = path.read_bytes()
        except OSError as exc:
            return self._skip_file(rel, f"cannot read ({exc.strerror or exc})")
        if b"\0" in data[:BINARY_PROBE]:
            return self._skip_file(rel, "binary file, not scanned")
        return data

    def _extract_text(self, path: Path, kind: str, text: str, added) -> Extraction:
        if kind == "notebook":
            return scan_notebook(text, self.rules)
        if kind == "config":
            return scan_json(text, self.config_keys) if path.suffix.lower() == ".json" else scan_yaml(text, self.config_keys)
        if kind == "manifest":
            return scan_manifest(text)
        toml = scan_toml(text, path.name)
        for name, line in toml.manifest_files:
            listed = path.parent / name
            if listed.is_file():
                self.scan_file(listed, "manifest", added)
            else:
                toml.extraction.unresolved.append(Unresolved(line, f"models-files: {name}: no such file"))
        return toml.extraction

    def _collect(self, path: Path, rel: str, extraction: Extraction, added_here) -> None:
        def wanted(line: int, other_lines=()) -> bool:
            return added_here is None or any(n in added_here for n in (line, *other_lines))

        for item in extraction.unresolved:
            if wanted(item.line, item.other_lines):
                self._skip(rel, item.line, item.reason)
                self.stats["refs_unresolved"] += 1
        for cand in extraction.candidates:
            if not wanted(cand.line, cand.other_lines):
                continue
            resolved = self.resolver.resolve(cand, Path(os.path.abspath(path.parent)))
            if resolved is None:
                self.stats["strings_ignored"] += 1
            elif isinstance(resolved, str):
                self._skip(rel, cand.line, resolved)
                self.stats["refs_unresolved"] += 1
            else:
                self.stats["occurrences"] += 1
                _, locations = self.found.setdefault(ref_key(resolved), (resolved, set()))
                locations.add((rel, cand.line))

    def _skip(self, rel: str, line: int, reason: str) -> None:
        self.skipped.add((rel, line, reason))

    def _skip_file(self, rel: str, reason: str) -> None:
        self.stats["files_skipped"] += 1
        self._skip(rel, 0, reason)
        return None

    def result(self):
        refs = []
        for ref, locations in self.found.values():
            ordered = tuple(Location(p, n) for p, n in sorted(locations))
            refs.append(replace(ref, locations=ordered))
        refs.sort(key=lambda r: (r.kind, r.id.lower(), r.revision or "", r.provider or ""))
        skipped = [SkippedRef(p, n, reason) for p, n, reason in sorted(self.skipped)]
        stats = {k: 0 for k in ("files_seen", "files_scanned", "files_skipped", "refs_found", "occurrences",
                                "refs_unresolved", "strings_ignored")}
        stats.update(self.stats)
        stats["refs_found"] = len(refs)
        return ScanResult(refs=refs, skipped=skipped, stats=stats)
