"""The reading cache (license/cache.py): a hit is the fresh reading, keys follow text and reader,
records are whole or absent under concurrency and kill -9, the folder is bounded, --no-cache."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from openscope.license import read_text
from openscope.license import cache as reading_cache
from openscope.license.cache import ReadingCache

# openscope's own words, written to raise flags with evidence and sections.
OWN_TEXT = """Model Terms

1. Use. You may use the model for research and for evaluation.
2. Limits. You may not use the model or its outputs for any commercial purpose.
3. Scale. If your services have more than 700 million monthly active users, you must ask for a license.
"""


def records(folder: Path) -> list[Path]:
    return sorted(p for p in (folder / "readings").rglob("*.json"))


def test_hit_is_the_fresh_reading_under_any_file_name(tmp_path):
    cache = ReadingCache(tmp_path)
    fresh = read_text(OWN_TEXT, "TERMS.md")
    assert fresh.flags and all(e.file == "TERMS.md" for f in fresh.flags for e in f.evidence)
    assert cache.get(OWN_TEXT, "TERMS.md") is None
    cache.put(OWN_TEXT, "TERMS.md", fresh)
    assert len(records(tmp_path)) == 1
    assert cache.get(OWN_TEXT, "TERMS.md") == fresh
    # Stored once for one name, answered for another as a fresh reading under that name.
    assert cache.get(OWN_TEXT, "LICENSE") == read_text(OWN_TEXT, "LICENSE")


def test_corpus_texts_hit_as_read(corpus, tmp_path):
    cache = ReadingCache(tmp_path)
    texts = sorted((corpus / "licenses" / "texts").glob("*.txt"))[:12]
    for path in texts:
        text = path.read_text(encoding="utf-8")
        fresh = read_text(text, path.name)
        cache.put(text, path.name, fresh)
        assert cache.get(text, "other.txt") == read_text(text, "other.txt"), path.name


def test_one_word_changed_is_another_key(tmp_path):
    cache = ReadingCache(tmp_path)
    cache.put(OWN_TEXT, "T", read_text(OWN_TEXT, "T"))
    edited = OWN_TEXT.replace("commercial", "military")
    assert cache.key(edited) != cache.key(OWN_TEXT)
    assert cache.get(edited, "T") is None


def test_reader_data_change_changes_the_digest(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    rules = package / "licenses" / "rules"
    rules.mkdir(parents=True)
    rule = rules / "non-commercial.yaml"
    rule.write_text("patterns: [a]\n")
    monkeypatch.setattr(reading_cache, "_PACKAGE", package)
    reading_cache.reader_digest.cache_clear()
    try:
        before = reading_cache.reader_digest(tmp_path / "c")
        assert reading_cache.reader_digest(tmp_path / "c") == before  # remembered, not rehashed
        rule.write_text("patterns: [b]\n")  # same size: the content decides
        os.utime(rule, ns=(rule.stat().st_atime_ns, rule.stat().st_mtime_ns + 1_000_000))
        reading_cache.reader_digest.cache_clear()
        after = reading_cache.reader_digest(tmp_path / "c")
        assert after != before
        # Without the remembered digest (another cache root) the content gives the same answer.
        reading_cache.reader_digest.cache_clear()
        assert reading_cache.reader_digest(tmp_path / "fresh") == after
    finally:
        reading_cache.reader_digest.cache_clear()


def test_damaged_or_half_written_record_is_a_miss(tmp_path):
    cache = ReadingCache(tmp_path)
    fresh = read_text(OWN_TEXT, "T")
    cache.put(OWN_TEXT, "T", fresh)
    (path,) = records(tmp_path)
    body = path.read_text(encoding="utf-8")
    path.write_text(body[: len(body) // 2], encoding="utf-8")
    assert cache.get(OWN_TEXT, "T") is None
    other = json.loads(body)
    other["key"] = "0" * 64  # a record under the wrong name
    path.write_text(json.dumps(other), encoding="utf-8")
    assert cache.get(OWN_TEXT, "T") is None
    cache.put(OWN_TEXT, "T", fresh)
    assert cache.get(OWN_TEXT, "T") == fresh


def _hammer(root: str, texts: list[str], rounds: int, queue) -> None:
    cache = ReadingCache(root)
    expected = {t: read_text(t, "T") for t in texts}
    bad = 0
    for _ in range(rounds):
        for t in texts:
            hit = cache.get(t, "T")
            if hit is not None and hit != expected[t]:
                bad += 1
            cache.put(t, "T", expected[t])
    queue.put(bad)


def test_concurrent_writers_and_readers_never_see_a_partial_record(tmp_path):
    texts = [OWN_TEXT.replace("700", str(n)) for n in (100, 200, 300)]
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_hammer, args=(str(tmp_path), texts, 30, queue)) for _ in range(3)]
    for w in workers:
        w.start()
    results = [queue.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    assert results == [0, 0, 0]
    assert len(records(tmp_path)) == len(texts)
    assert not list((tmp_path / "readings").rglob(".tmp-*"))


WRITER = """
import sys
from openscope.license.cache import ReadingCache
from openscope.license import read_text
cache = ReadingCache(sys.argv[1])
base = read_text(sys.argv[2], "T")
print("ready", flush=True)
n = 0
while True:
    n += 1
    text = sys.argv[2] + " x" * n
    cache.put(text, "T", base)
"""


def test_kill_9_mid_write_leaves_whole_records_only(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), OWN_TEXT * 200], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    found = records(tmp_path)
    assert found, "the writer wrote nothing before it was killed"
    for path in found:
        record = json.loads(path.read_text(encoding="utf-8"))  # every record under a final name parses
        assert path.stem == record["key"]
    # A temporary file a killed run leaves is never read and is removed once stale.
    cache = ReadingCache(tmp_path)
    stale = tmp_path / "readings" / "00" / ".tmp-left"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text("{")
    os.utime(stale, (time.time() - 2 * reading_cache.STALE_TMP_SECONDS,) * 2)
    cache.prune()
    assert not stale.exists()


def test_folder_is_bounded_and_keeps_the_recently_used(tmp_path):
    cache = ReadingCache(tmp_path, max_bytes=10_000)
    fresh = read_text(OWN_TEXT, "T")
    texts = [f"{OWN_TEXT}\nVersion {n}." for n in range(40)]
    for n, text in enumerate(texts):
        cache.put(text, "T", fresh)
        path = cache._path(cache.key(text))
        os.utime(path, (1_000_000 + n, 1_000_000 + n))  # distinct ages without sleeping
    cache.get(texts[0], "T")  # used now: the newest
    cache.prune()
    total = sum(p.stat().st_size for p in records(tmp_path))
    assert 0 < total <= 10_000
    assert cache.get(texts[0], "T") is not None
    assert cache.get(texts[-1], "T") is not None
    assert cache.get(texts[1], "T") is None


def test_cache_root_honours_openscope_cache_then_xdg(monkeypatch, tmp_path):
    from openscope.data import cache_root

    monkeypatch.delenv("OPENSCOPE_CACHE", raising=False)
    monkeypatch.delenv("HF_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "huggingface" / "openscope"
    monkeypatch.setenv("OPENSCOPE_CACHE", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"


def _license_cli(args, cache_dir: Path, **extra):
    exe = Path(sys.executable).with_name("openscope")
    env = {k: v for k, v in os.environ.items() if k != "OPENSCOPE_NO_CACHE"}
    env.update(OPENSCOPE_CACHE=str(cache_dir), **extra)
    return subprocess.run([str(exe), "license", "-f", "json", *args], env=env, capture_output=True, text=True)


def test_cli_stores_reuses_and_no_cache_bypasses(tmp_path):
    terms = tmp_path / "TERMS.md"
    terms.write_text(OWN_TEXT, encoding="utf-8")
    off = _license_cli(["--no-cache", str(terms)], tmp_path / "c1")
    assert off.returncode == 0, off.stderr
    assert not records(tmp_path / "c1")
    cold = _license_cli([str(terms)], tmp_path / "c2")
    assert len(records(tmp_path / "c2")) == 1
    warm = _license_cli([str(terms)], tmp_path / "c2")
    assert cold.stdout == warm.stdout == off.stdout
    assert json.loads(warm.stdout)["licenses"][0]["flags"]


def test_environment_turns_the_cache_off(tmp_path):
    terms = tmp_path / "TERMS.md"
    terms.write_text(OWN_TEXT, encoding="utf-8")
    result = _license_cli([str(terms)], tmp_path / "c", OPENSCOPE_NO_CACHE="1")
    assert result.returncode == 0, result.stderr
    assert not records(tmp_path / "c")
