"""Which sample of the labelled corpus each item belongs to (bench/samples.yaml).

    sample_of("licenses", label_id) -> "first" | "second" | ...

The first sample is every id that no later sample lists: what the readers were developed on.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

SAMPLES_FILE = Path(__file__).with_name("samples.yaml")
FIRST = "first"


@functools.cache
def _samples() -> dict:
    return yaml.safe_load(SAMPLES_FILE.read_text(encoding="utf-8"))


def later_samples(kind: str) -> list[dict]:
    return list(_samples().get(kind) or [])


def sample_of(kind: str, item_id: str) -> str:
    for sample in later_samples(kind):
        if item_id in sample["ids"]:
            return sample["name"]
    return FIRST


def sample_names(kind: str) -> list[str]:
    return [FIRST, *(s["name"] for s in later_samples(kind))]
