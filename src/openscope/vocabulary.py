"""The shared vocabulary of tags (SPEC §1, §2), loaded once from `licenses/flags.yaml`, and the obligation
vocabulary (`licenses/obligations.yaml`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from openscope.data import DATA_DIR, LICENSES_DIR, load_yaml

SPECTRUM_VALUES = ("closed-api", "open-weights", "fully-open", "unknown")
COMPONENT_VALUES = ("open", "restricted", "closed", "unknown")
CORE_COMPONENTS = ("weights", "training_code", "training_data")
ERROR_CODES = ("not-found", "gated", "network", "invalid-ref", "unreadable")
IDENTIFIED_BY = ("declared", "text", "classifier", "registry")


@dataclass(frozen=True)
class FlagDef:
    name: str
    title: str
    description: str
    severity: str
    threshold: str | None = None


@functools.cache
def flag_defs() -> dict[str, FlagDef]:
    raw = load_yaml(LICENSES_DIR / "flags.yaml")["flags"]
    return {name: FlagDef(name=name, **spec) for name, spec in raw.items()}


@functools.cache
def flag_names() -> tuple[str, ...]:
    return tuple(flag_defs())


@dataclass(frozen=True)
class ObligationDef:
    name: str
    title: str
    description: str
    checklist: str
    value: str | None = None  # what a finding's `value` holds, when the terms give one
    checklist_without_value: str | None = None


@functools.cache
def obligation_defs() -> dict[str, ObligationDef]:
    raw = load_yaml(LICENSES_DIR / "obligations.yaml")["obligations"]
    return {name: ObligationDef(name=name, **spec) for name, spec in raw.items()}


@functools.cache
def obligation_names() -> tuple[str, ...]:
    return tuple(obligation_defs())


@functools.cache
def policy_rule_defs() -> dict[str, dict]:
    """Help for the policy rules that are not flags (`policies/rules.yaml`: SARIF help, docs)."""
    return load_yaml(DATA_DIR / "policies" / "rules.yaml")["rules"]


@functools.cache
def drift_defs() -> dict[str, dict]:
    """The kinds of drift between two reports (`policies/drift.yaml`): title, description, severity, fix."""
    return load_yaml(DATA_DIR / "policies" / "drift.yaml")["kinds"]


def format_thresholds(thresholds: dict) -> str:
    """A flag's thresholds as people read them: "users 700,000,000, revenue usd 1,000,000"."""
    return ", ".join(f"{key.replace('_', ' ')} {value:,}" for key, value in thresholds.items())
