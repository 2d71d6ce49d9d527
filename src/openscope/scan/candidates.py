"""What every extractor hands back: candidate strings and references it saw but could not read."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

PATTERNS_FILE = Path(__file__).with_name("patterns.yaml")

# How sure the place is that it holds a model, which decides what an unresolvable string becomes.
CALL = "call"  # the model argument of a known call: anything unresolvable is skipped, with the reason
SLOT = "slot"  # a model-named slot (key, variable, parameter, flag): skipped when it looks like a model name
AMBIGUOUS = "ambiguous"  # repo_id and the like: a model only when the registry knows it, else skipped
LOOSE = "loose"  # any other string: only an exact registry name or a Hub URL counts, nothing is skipped


@dataclass(frozen=True)
class Candidate:
    """A string found where a model reference belongs (a call argument, a config key, a manifest line)."""

    text: str
    line: int
    # Manifest entries are references by declaration: no decoy filtering, local paths kept.
    explicit: bool = False
    # Other lines whose change also changes this reference (a module constant's definition), for --since,
    # and where an `# openscope: ignore` comment also applies.
    other_lines: tuple[int, ...] = ()
    strength: str = CALL
    # What the place says the name is (refs.parse_ref `usage`): a provider, a runtime or "hub".
    usage: str | None = None
    # A softer say, from the slot's own name (GROQ_MODEL): tried first, then the text is read on its own.
    hint: str | None = None
    # Why an AMBIGUOUS slot was looked at (`repo_id`), for the skip reason.
    slot_name: str | None = None


@dataclass(frozen=True)
class Unresolved:
    """A reference slot whose value cannot be known statically (variable, f-string, template)."""

    line: int
    reason: str
    other_lines: tuple[int, ...] = ()
    # The line in the parsed source when that is not the file (a notebook cell), for the reason's text.
    local_line: int | None = None


@dataclass
class Extraction:
    candidates: list[Candidate] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    # Set when the whole file could not be read or parsed: the reason, reported with line 0.
    file_problem: str | None = None
    # Strings seen in slots and dropped as not references (paths, URLs, prose): counted, not listed.
    dropped: int = 0


@functools.cache
def load_patterns(path: Path | None = None) -> dict:
    """patterns.yaml: call patterns, clients, slot names, decoy rules, file kinds and walk settings."""
    from openscope.data import load_yaml

    data = load_yaml(path or PATTERNS_FILE)
    for section in ("calls", "clients", "provider_hosts", "http_calls", "keys", "commands", "command_flags",
                    "non_model_calls", "non_model_repo_types", "not_references", "files", "walk",
                    "litellm_providers"):
        if section not in data:
            from openscope.errors import CatalogError

            raise CatalogError(f"{path or PATTERNS_FILE}: missing section {section!r}")
    return data
