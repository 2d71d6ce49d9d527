#!/usr/bin/env python3
"""Dump the full license reading of a fixed set of texts as JSON, so a speed-up can prove it changed nothing.

    python bench/readings_snapshot.py OUT.json [--corpus DIR] [--licensedb N] [--seed S]
    cmp /tmp/before.json /tmp/after.json      # byte-identical, or the change altered a reading

The texts: every corpus license text and perturbed text ($OPENSCOPE_CORPUS, default ../shared/corpus),
bench/devset/licenses/*.txt, and N LicenseDB texts drawn with a fixed seed (bench/licensedb.py; skipped
with a note when the wheel cannot be had), each also "edited" (licensedb.edited) so that identification
cannot answer from the exact digest. Per text: identification, flags (source, thresholds, evidence file,
section and quote), obligations, warnings, `readable`, `unwrapped`, and the reader's internal sentence hits
(rule ids and classifier scores), which a reading could otherwise hide. The cache is off: every text is read.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
os.environ["OPENSCOPE_NO_CACHE"] = "1"
os.environ["OPENSCOPE_NO_KNOWN_READINGS"] = "1"  # the reader's own readings, not stored ones


def default_corpus() -> Path:
    return Path(os.environ.get("OPENSCOPE_CORPUS", ROOT.parent.parent / "shared" / "corpus"))


def snapshot_texts(corpus: Path, n_licensedb: int, seed: int) -> list[tuple[str, str]]:
    """(name, text) of every text the snapshot reads, originals first, then the edited copies."""
    texts = []
    paths = sorted((corpus / "licenses" / "texts").glob("*.txt")) + sorted((corpus / "perturbed" / "texts").glob("*"))
    paths += sorted((ROOT / "devset" / "licenses").glob("*.txt"))
    for p in paths:
        texts.append((f"{p.parent.parent.name}/{p.name}", p.read_text(encoding="utf-8", errors="replace")))
    import licensedb

    ok, why = licensedb.available()
    if ok and n_licensedb:
        pool = [t for t in licensedb.load() if t.text.strip()]
        for t in random.Random(seed).sample(pool, min(n_licensedb, len(pool))):
            texts.append((f"licensedb/{t.key}", t.text))
    elif n_licensedb:
        print(f"LicenseDB skipped: {why}", file=sys.stderr)
    return texts + [(f"edited:{name}", licensedb.edited(text)) for name, text in texts]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--corpus", type=Path, default=default_corpus())
    ap.add_argument("--licensedb", type=int, default=400, help="LicenseDB texts to draw")
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args()
    texts = snapshot_texts(args.corpus, args.licensedb, args.seed)
    from openscope.license import read_text

    rows = {}
    for name, text in texts:
        _LAST["hits"] = []
        try:
            analysis = read_text(text, name)
        except Exception as exc:  # noqa: BLE001 - a failure is part of the reading
            rows[name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        row = dataclasses.asdict(analysis)
        row["hits"] = sorted([*dataclasses.astuple(h)] for h in _LAST["hits"])  # of the text read_text read
        rows[name] = row
    args.out.write_text(json.dumps(rows, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(rows)} readings -> {args.out}")
    return 0


_LAST: dict = {"hits": []}


def _record_hits() -> None:
    """Wrap restrictions._analyse so the snapshot sees the hits of each reading (not only its findings)."""
    from openscope.license import restrictions

    inner = restrictions._analyse

    def recorded(*args, **kwargs):
        seg, hits = inner(*args, **kwargs)
        _LAST["hits"] = hits
        return seg, hits

    recorded.cache_clear = inner.cache_clear
    restrictions._analyse = recorded


if __name__ == "__main__":
    _record_hits()
    raise SystemExit(main())
