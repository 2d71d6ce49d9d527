"""Shared fixtures. Real third-party texts are read from the corpus at run time, never copied."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fakehub import fake_hub, hub_env  # noqa: F401  (a local fake Hugging Face Hub: tests/fakehub.py)

ROOT = Path(__file__).resolve().parents[1]


def corpus_dir() -> Path:
    return Path(os.environ.get("OPENSCOPE_CORPUS", ROOT.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = corpus_dir()
    if not (path / "licenses" / "labels.jsonl").exists():
        pytest.skip(f"corpus not found at {path} (set OPENSCOPE_CORPUS to the shared corpus folder)")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def license_labels(corpus) -> list[dict]:
    return read_jsonl(corpus / "licenses" / "labels.jsonl")


@pytest.fixture(scope="session")
def card_labels(corpus) -> list[dict]:
    return read_jsonl(corpus / "cards" / "labels.jsonl")
