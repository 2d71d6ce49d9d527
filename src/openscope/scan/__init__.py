"""`openscope scan`: find model references (with file and line) in code bases and manifests.

    from openscope.scan import collect_refs
    result = collect_refs(["."])          # ScanResult(refs, skipped, stats)

Every candidate string goes through `openscope.refs.parse_ref`, with what its place says about it
(the provider of the client it reaches, the runtime, a Hub loader). Strings in code or configs that
are not references (MIME types, file paths, URLs, prose) are dropped; strings that look like model
references but cannot be resolved are reported as skipped, with the reason. What is looked for
lives in patterns.yaml.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from openscope.errors import InputError
from openscope.types import ScanResult

__all__ = ["collect_refs"]


def collect_refs(paths, *, since: str | None = None, progress: bool = False, registry=None,
                 base: Path | str | None = None, exclude: list[str] | tuple[str, ...] = (),
                 policy_file: Path | str | None = None) -> ScanResult:
    """Find model references under `paths` (folders or files).

    Locations are relative to `base` (default: the current directory, which is the repository root
    in CI, as SARIF and `git diff` expect) for files under it, and absolute otherwise; this is the one
    place paths are made relative. `since` (a git ref) keeps only references on lines added since
    that ref (committed on this branch, uncommitted, or in untracked files). `exclude`: gitignore-style
    patterns, relative to `base`; `exclude = [...]` in openscope.toml / [tool.openscope] of a scanned
    folder (and of `policy_file`, the policy `check` applies) adds patterns relative to that file.
    A path that does not exist, or a bad exclude pattern, is an InputError (exit 2); everything else
    is reported and skipped.
    """
    from openscope.scan.scanner import Scanner

    roots = [Path(p) for p in (paths or ["."])]
    for root in roots:
        if not os.path.lexists(root):
            raise InputError(f"{root}: no such file or directory")
    scanner = Scanner(Path(base) if base is not None else Path.cwd(), registry=registry,
                      show_progress=progress and sys.stderr.isatty(), exclude=list(exclude))
    if policy_file is not None:
        scanner.add_policy_excludes(Path(policy_file))
    for root in roots:
        if root.is_dir():
            scanner.read_excludes(root)
    for root in roots:
        scanner.scan_root(root, since=since)
    return scanner.result()
