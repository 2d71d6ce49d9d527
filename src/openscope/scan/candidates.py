"""What every extractor hands back: candidate strings and references it saw but could not read."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

PATTERNS_FILE = Path(__file__).with_name("patterns.yaml")


@dataclass(frozen=True)
class Candidate:
    """A string found where a model reference belongs (a call argument, a config key, a manifest line)."""

    text: str
    line: int
    # Manifest entries are references by declaration: no decoy filtering, local paths kept.
    explicit: bool = False
    # Other lines whose change also changes this reference (a module constant's definition), for --since.
    other_lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class Unresolved:
    """A reference slot whose value cannot be known statically (variable, f-string, template)."""

    line: int
    reason: str
    other_lines: tuple[int, ...] = ()


@dataclass
class Extraction:
    candidates: list[Candidate] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    # Set when the whole file could not be read or parsed: the reason, reported with line 0.
    file_problem: str | None = None


@functools.cache
def load_patterns(path: Path | None = None) -> dict:
    """patterns.yaml: call patterns, config keys, decoy rules and walk settings."""
    from openscope.data import load_yaml

    data = load_yaml(path or PATTERNS_FILE)
    for section in ("calls", "config_keys", "not_references", "files", "walk", "litellm_providers"):
        if section not in data:
            from openscope.errors import CatalogError

            raise CatalogError(f"{path or PATTERNS_FILE}: missing section {section!r}")
    return data
