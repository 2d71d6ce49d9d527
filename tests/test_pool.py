"""Both cores: a batch read by forked workers gives exactly the serial readings, in input order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openscope.license as license_reader

OWN = [
    "You may use the model for research only. You may not use it for any commercial purpose.",
    "Permission is granted to use, copy and modify this software, provided this notice is kept.",
    "You must not use the model to develop or improve any other large language model.",
    "Licensee shall not use the outputs to provide services to more than 700 million users a month.",
]


POOL_CHECK = """
import json, sys
import openscope.license as license_reader
items = [tuple(item) for item in json.loads(sys.stdin.read())]
used = []
real = license_reader._read_in_pool
license_reader._read_in_pool = lambda pairs, n: used.append(n) or real(pairs, n)
serial = license_reader.analyze_texts(items, workers=1)
assert not used
pooled = license_reader.analyze_texts(items, workers=2, pool_min=2)
assert used == [2], f"the pool was not used: {used}"
assert pooled == serial, "pooled readings differ from serial ones"
assert any(a.flags for a in serial) and any(a.identification for a in serial)
print("same", len(items))
"""


def test_pool_reads_exactly_what_serial_reads(corpus):
    # In a fresh process: the pool forks only a process without other threads, and the suite has some.
    paths = sorted((corpus / "licenses" / "texts").glob("*.txt"))[:14]
    items = [(p.read_text(encoding="utf-8"), p.name) for p in paths] + [(t, f"own-{i}.txt") for i, t in enumerate(OWN)]
    items.append(items[0])  # a repeated text is read once and answered twice
    env = {**os.environ, "OPENSCOPE_NO_CACHE": "1"}
    result = subprocess.run([sys.executable, "-c", POOL_CHECK], input=json.dumps(items), env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["same", str(len(items))]


def test_small_batch_stays_in_one_process(monkeypatch):
    monkeypatch.setenv("OPENSCOPE_NO_CACHE", "1")
    used = []
    monkeypatch.setattr(license_reader, "_read_in_pool", lambda pairs, n: used.append(n))
    items = [(t, "T") for t in OWN[: license_reader.POOL_MIN_TEXTS - 1]]
    read = license_reader.analyze_texts(items, workers=2)
    assert not used and len(read) == len(items) and read[0].flags


def test_cli_batch_is_the_same_with_one_or_two_workers(tmp_path):
    files = []
    for i, text in enumerate(OWN * 2):
        path = tmp_path / f"t{i}.txt"
        path.write_text(f"{text}\nSection {i}.", encoding="utf-8")
        files.append(str(path))
    exe = Path(sys.executable).with_name("openscope")

    def run(workers: str) -> str:
        env = {**os.environ, "OPENSCOPE_NO_CACHE": "1", "OPENSCOPE_WORKERS": workers}
        result = subprocess.run([str(exe), "license", "-f", "json", *files], env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return result.stdout

    one = run("1")
    assert one == run("2")
    assert '"flags"' in one
