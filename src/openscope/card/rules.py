"""The card readers' data: `cardrules/*.yaml` (component rules, lineage rules, model families)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from openscope.data import load_yaml

RULES_DIR = Path(__file__).parents[1] / "cardrules"


@functools.cache
def component_rules() -> dict:
    return load_yaml(RULES_DIR / "components.yaml")


@functools.cache
def lineage_rules() -> dict:
    return load_yaml(RULES_DIR / "lineage.yaml")


@dataclass(frozen=True)
class Family:
    name: str
    pattern: re.Pattern
    license: str
    model: str | None
    group: str | None
    owners: tuple[str, ...] = ()

    def owned_by(self, org: str) -> bool:
        """Whether `org` publishes the family itself (its own models are not derivatives by name)."""
        orgs = {o.lower() for o in self.owners} | ({self.model.split("/")[0].lower()} if self.model else set())
        return org.lower() in orgs


@functools.cache
def families() -> tuple[Family, ...]:
    raw = load_yaml(RULES_DIR / "families.yaml")
    return tuple(Family(f["name"], re.compile(f["pattern"], re.I), f["license"], f.get("model"), f.get("group"),
                        tuple(f.get("owners") or ()))
                 for f in raw["families"])


@functools.cache
def family_groups() -> dict[str, list[re.Pattern]]:
    raw = load_yaml(RULES_DIR / "families.yaml").get("groups", {})
    return {g: [re.compile(p, re.I) for p in spec.get("license_patterns", [])] for g, spec in raw.items()}
