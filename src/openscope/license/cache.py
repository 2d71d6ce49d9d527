"""Readings already made: a content-addressed cache of `analyze_text` results on disk.

A reading depends on the text and on the reader (its code and its data: rules, classifier weights,
fingerprints, the catalog). Each record is keyed by the SHA-256 of the text joined with the reader's
digest, so an edited rule or a new release never answers from an old reading, and one word changed in
a text is a different key. The file name a reading was made for is not part of the key: it is cut out
of the stored reading (evidence `file`, warning prefixes) and put back on a hit.

    <root>/readings/<key[:2]>/<key>.json       root: $OPENSCOPE_CACHE (data.cache_root)

Writes go to a temporary file renamed over the record (os.replace), so a concurrent reader or a run
killed mid-write leaves either the whole record or none; a record that does not parse or does not
name its own key is a miss. The folder is kept under a size bound, oldest records (by last use) first.
`OPENSCOPE_NO_CACHE=1` or `--no-cache` turns the cache off for a run.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from pathlib import Path

from openscope.types import Evidence, FlagFinding, Identification, ObligationFinding, ReportWarning, TextAnalysis

SCHEMA = "openscope.reading/2"  # 2: obligations kept
MAX_BYTES = 64 * 1024 * 1024  # ~20,000 readings of ~3 KB
PRUNE_EVERY = 256  # writes between size checks in one process (and the first write of each)
STALE_TMP_SECONDS = 3600  # a temporary file this old was left by a killed run

_PACKAGE = Path(__file__).resolve().parents[1]
# What a reading depends on: the reader's code and the license data it reads (vocabulary.py: the
# obligation vocabulary and merge_obligations, which the obligation reader uses).
_READER_PARTS = ("license", "text", "licenses", "types.py", "data.py", "vocabulary.py", "_version.py")
# The readings stored at build time (known.py) are made by the reader this digest names: not part of it.
KNOWN_READINGS_PATH = _PACKAGE / "licenses" / "known_readings.json"


def enabled() -> bool:
    return os.environ.get("OPENSCOPE_NO_CACHE", "") in ("", "0")


def disable() -> None:
    """Turn the cache off for this process and the workers it forks (`--no-cache`)."""
    os.environ["OPENSCOPE_NO_CACHE"] = "1"


def _reader_files() -> list[Path]:
    files = []
    for part in _READER_PARTS:
        path = _PACKAGE / part
        if path.is_file():
            files.append(path)
        else:
            files.extend(p for p in path.rglob("*") if p.is_file() and p.suffix != ".pyc")
    return sorted(p for p in files if p != KNOWN_READINGS_PATH)


@functools.cache
def reader_digest(root: Path | None = None, *, memo: bool = True) -> str:
    """SHA-256 of the reader's files (code and data), content-addressed.

    Hashing ~5 MB costs ~0.1 s, more than a warm one-text run, so the content digest is remembered
    in the cache under a digest of the files' names, sizes and modification times (a stat each);
    `memo=False` (the cache is off) hashes the files and writes nothing.
    """
    files = _reader_files()
    if not memo:
        return _content_digest(files)
    stat_hash = hashlib.sha256(SCHEMA.encode())
    for p in files:
        st = p.stat()
        stat_hash.update(f"{p.relative_to(_PACKAGE)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    memo_path = (root or _root()) / "readers" / stat_hash.hexdigest()
    try:
        digest = memo_path.read_text(encoding="ascii").strip()
        if len(digest) == 64:
            return digest
    except OSError:
        pass
    digest = _content_digest(files)
    _atomic_write(memo_path, digest)
    return digest


def _content_digest(files: list[Path]) -> str:
    content = hashlib.sha256(SCHEMA.encode())
    for p in files:
        content.update(f"{p.relative_to(_PACKAGE)}\0".encode())
        content.update(hashlib.sha256(p.read_bytes()).digest())
    return content.hexdigest()


def _root() -> Path:
    from openscope.data import cache_root

    return cache_root()


def _atomic_write(path: Path, text: str) -> bool:
    """Write `text` to `path` whole or not at all; False when the cache cannot be written (never raises)."""
    from openscope.data import write_atomically

    try:
        write_atomically(path, text)
        return True
    except OSError:
        return False


def _template(analysis: TextAnalysis, filename: str) -> dict:
    """The reading as JSON with `filename` cut out (evidence files, warning prefixes)."""
    prefix = f"{filename}: "
    ident = analysis.identification
    return {
        "identification": None if ident is None else {
            "key": ident.key, "confidence": ident.confidence, "method": ident.method,
            "modified": ident.modified, "differences": list(ident.differences)},
        "flags": [{"flag": f.flag, "thresholds": f.thresholds, "source": f.source, "inherited_from": f.inherited_from,
                   "evidence": [{"file": None if e.file == filename else e.file, "section": e.section,
                                 "quote": e.quote} for e in f.evidence]} for f in analysis.flags],
        "obligations": [{"obligation": o.obligation, "value": o.value, "thresholds": o.thresholds, "source": o.source,
                         "inherited_from": o.inherited_from,
                         "evidence": [{"file": None if e.file == filename else e.file, "section": e.section,
                                       "quote": e.quote} for e in o.evidence]} for o in analysis.obligations],
        "warnings": [{"code": w.code, "named": w.message.startswith(prefix),
                      "message": w.message[len(prefix):] if w.message.startswith(prefix) else w.message}
                     for w in analysis.warnings],
        "unwrapped": analysis.unwrapped,
        "readable": analysis.readable,
    }


def _fill(data: dict, filename: str) -> TextAnalysis:
    ident = data["identification"]
    return TextAnalysis(
        identification=None if ident is None else Identification(
            key=ident["key"], confidence=ident["confidence"], method=ident["method"],
            modified=ident["modified"], differences=list(ident["differences"])),
        flags=[FlagFinding(flag=f["flag"], thresholds=dict(f["thresholds"]), source=f["source"],
                           inherited_from=f["inherited_from"],
                           evidence=[Evidence(file=filename if e["file"] is None else e["file"], section=e["section"],
                                              quote=e["quote"]) for e in f["evidence"]]) for f in data["flags"]],
        obligations=[ObligationFinding(obligation=o["obligation"], value=o["value"], thresholds=dict(o["thresholds"]),
                                       source=o["source"], inherited_from=o["inherited_from"],
                                       evidence=[Evidence(file=filename if e["file"] is None else e["file"],
                                                          section=e["section"], quote=e["quote"])
                                                 for e in o["evidence"]]) for o in data.get("obligations", ())],
        warnings=[ReportWarning(w["code"], f"{filename}: {w['message']}" if w["named"] else w["message"])
                  for w in data["warnings"]],
        unwrapped=data["unwrapped"],
        readable=data["readable"],
    )


class ReadingCache:
    """Readings on disk under `root`/readings, at most `max_bytes` of them."""

    def __init__(self, root: Path | str | None = None, *, max_bytes: int = MAX_BYTES):
        self.root = Path(root) if root is not None else _root()
        self.folder = self.root / "readings"
        self.max_bytes = max_bytes
        self._writes = 0

    def key(self, text: str) -> str:
        text_hash = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        return hashlib.sha256(f"{reader_digest(self.root)}\0{text_hash}".encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, text: str, filename: str) -> TextAnalysis | None:
        key = self.key(text)
        path = self._path(key)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(record, dict) or record.get("schema") != SCHEMA or record.get("key") != key:
                return None
            analysis = _fill(record["reading"], filename)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent, half-written by a killed run, or damaged: read the text again
        try:
            os.utime(path)  # last use, for the size bound
        except OSError:
            pass
        return analysis

    def put(self, text: str, filename: str, analysis: TextAnalysis) -> None:
        template = _template(analysis, filename)
        if _fill(template, filename) != analysis:
            return  # the file name is somewhere the template does not cut it from: never store a wrong reading
        key = self.key(text)
        body = json.dumps({"schema": SCHEMA, "key": key, "reading": template}, ensure_ascii=False,
                          separators=(",", ":"))
        if _atomic_write(self._path(key), body):
            if self._writes % PRUNE_EVERY == 0:
                self.prune()
            self._writes += 1

    def prune(self) -> None:
        """Remove the least recently used readings beyond `max_bytes`, and temporary files of killed runs."""
        entries = []
        now = time.time()
        try:
            shards = list(os.scandir(self.folder))
        except OSError:
            return
        for shard in shards:
            try:
                files = list(os.scandir(shard.path)) if shard.is_dir() else []
            except OSError:
                continue
            for f in files:
                try:
                    st = f.stat()
                except OSError:
                    continue
                if f.name.startswith(".tmp-"):
                    if now - st.st_mtime > STALE_TMP_SECONDS:
                        Path(f.path).unlink(missing_ok=True)
                    continue
                entries.append((st.st_mtime, st.st_size, f.path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            Path(path).unlink(missing_ok=True)
            total -= size


@functools.cache
def _cache_at(root: Path) -> ReadingCache:
    return ReadingCache(root)


def default_cache() -> ReadingCache:
    """The cache under openscope's cache root as the environment names it now."""
    return _cache_at(_root())


def reading(text: str, filename: str, read) -> TextAnalysis:
    """`read(text, filename)`, answered from the cache when it holds this text's reading by this reader."""
    if not enabled():
        return read(text, filename)
    cache = default_cache()
    hit = cache.get(text, filename)
    if hit is not None:
        return hit
    analysis = read(text, filename)
    cache.put(text, filename, analysis)
    return analysis
