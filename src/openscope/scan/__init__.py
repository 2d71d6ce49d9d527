"""`openscope scan`: find model references (with file and line) in code bases and manifests.

    from openscope.scan import collect_refs
    result = collect_refs(["."])          # ScanResult(refs, skipped, stats)

Every candidate string goes through `openscope.refs.parse_ref`; strings found in code or configs
that are not references (MIME types, file paths, URLs, prose) are dropped, while declared
manifest entries that do not parse are reported as skipped. What is looked for lives in
patterns.yaml.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from openscope.errors import InputError
from openscope.types import ScanResult

__all__ = ["collect_refs"]


def collect_refs(paths, *, since: str | None = None, progress: bool = False, registry=None,
                 base: Path | str | None = None) -> ScanResult:
    """Find model references under `paths` (folders or files).

    Locations are relative to `base` (default: the current directory, which is the repository root
    in CI, as SARIF and `git diff` expect) for files under it, and absolute otherwise; this is the one
    place paths are made relative. `since` (a git ref) keeps only references on lines added since
    that ref (committed on this branch, uncommitted, or in untracked files).
    A path that does not exist is an InputError (exit 2); everything else is reported and skipped.
    """
    from openscope.scan.scanner import Scanner

    roots = [Path(p) for p in (paths or ["."])]
    for root in roots:
        if not os.path.lexists(root):
            raise InputError(f"{root}: no such file or directory")
    scanner = Scanner(Path(base) if base is not None else Path.cwd(), registry=registry,
                      show_progress=progress and sys.stderr.isatty())
    for root in roots:
        scanner.scan_root(root, since=since)
    return scanner.result()
