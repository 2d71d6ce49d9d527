"""Shared fixtures. Real third-party texts are read from the corpus at run time, never copied."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fakehub import fake_hub, hub_env  # noqa: F401  (a local fake Hugging Face Hub: tests/fakehub.py)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def _own_cache(tmp_path_factory):
    """The suite keeps its readings (license/cache.py) to itself, never in the user's cache."""
    if "OPENSCOPE_CACHE" not in os.environ:
        os.environ["OPENSCOPE_CACHE"] = str(tmp_path_factory.mktemp("openscope-cache"))
    yield


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


def _first_sample(kind: str, rows: list[dict]) -> list[dict]:
    """The rows of the sample the readers were developed on (bench/samples.yaml): in-sample tests hold
    these to the development targets; later samples are scored by the benches, untuned first."""
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from samples import FIRST, sample_of

    return [r for r in rows if sample_of(kind, r["id"]) == FIRST]


@pytest.fixture(scope="session")
def license_labels(corpus) -> list[dict]:
    return _first_sample("licenses", read_jsonl(corpus / "licenses" / "labels.jsonl"))


@pytest.fixture(scope="session")
def card_labels(corpus) -> list[dict]:
    return _first_sample("cards", read_jsonl(corpus / "cards" / "labels.jsonl"))
