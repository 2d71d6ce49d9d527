"""The shared vocabulary of tags (SPEC §1, §2), loaded once from `licenses/flags.yaml`, and the obligation
vocabulary (`licenses/obligations.yaml`), with the merge of obligation findings in its order (here, not in
the reader, so that assessing a model from catalog facts does not load the obligation reader)."""

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
def _obligation_order() -> dict[str, int]:
    """Vocabulary order of the obligations, built once (merge_obligations runs for every model in bulk)."""
    return {name: i for i, name in enumerate(obligation_names())}


def merge_obligations(*groups: list) -> list:  # lists of ObligationFinding
    """Union by obligation, value and origin (`inherited_from`: a base's license obliges on its own), in
    vocabulary order; a finding without a value joins one of the same obligation and origin that has a
    value, and evidence is pooled."""
    order = _obligation_order()
    merged: dict = {}  # (obligation, value, inherited_from) -> its merged finding
    for group in groups:
        for o in group:
            key = (o.obligation, o.value, o.inherited_from)
            if key not in merged:
                # A copy: type(o) is ObligationFinding (types.py sits beside this module, which does not import it).
                merged[key] = type(o)(o.obligation, o.value, dict(o.thresholds), o.source, o.inherited_from,
                                      list(o.evidence))
                continue
            m = merged[key]
            m.evidence.extend(e for e in o.evidence if e not in m.evidence)
            for k, v in o.thresholds.items():
                m.thresholds.setdefault(k, v)
    valued = {(name, origin) for name, value, origin in merged if value is not None}
    out = []
    for (name, value, origin), o in merged.items():
        if value is None and (name, origin) in valued:
            target = next(m for (n, v, g), m in merged.items() if n == name and g == origin and v is not None)
            target.evidence.extend(e for e in o.evidence if e not in target.evidence)
            continue
        out.append(o)
    return sorted(out, key=lambda o: (o.inherited_from is not None, o.inherited_from or "",
                                      order.get(o.obligation, len(order)), o.value or ""))


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
