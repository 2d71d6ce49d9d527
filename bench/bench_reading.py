#!/usr/bin/env python3
"""CPU cost of reading one license text after warm-up, by stage, in one process.

    python bench/bench_reading.py [--rounds 5] [--edited] [--licensedb N] [--profile OUT.prof]

Reads the corpus license and perturbed texts ($OPENSCOPE_CORPUS, default ../shared/corpus); `--edited`
reads them edited (bench/licensedb.edited: identification cannot answer from the digest), `--licensedb N`
adds N LicenseDB texts (fixed seed). Every text is read `--rounds` times after one warm-up pass, each time
afresh (no reading cache, the per-process repeat cache cleared), as `analyze_text` does it: identification,
language check, segmentation, restriction rules, classifier, findings (thresholds, quotes) and
obligations. Times are CPU time (time.process_time), not wall: the machine is shared, and wall time
measures the other jobs too. Per text the median over rounds is taken; the table gives the median and
p90 over texts of each stage and of the whole, and texts/s in one process (texts / summed CPU seconds).
The collector is frozen after warm-up, as the CLI does for a batch.
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
os.environ["OPENSCOPE_NO_CACHE"] = "1"
os.environ["OPENSCOPE_NO_KNOWN_READINGS"] = "1"  # the corpus texts are known: read them

# (stage, module, function): each is timed where read_text calls it; nested stages are subtracted.
STAGES = [
    ("identify", "openscope.license.identify", "identify_text"),
    ("language", "openscope.text.language", "check"),
    ("segment", "openscope.license.segment", "segment"),
    ("rules", "openscope.license.restrictions", "_rule_hits"),
    ("classifier", "openscope.license.restrictions", "_classifier_pass"),
    ("obligations", "openscope.license.obligations", "read_obligations"),
]
_SPENT: dict[str, float] = {}


def _timed(stage: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        t0 = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            _SPENT[stage] = _SPENT.get(stage, 0.0) + time.process_time() - t0
    return wrapper


def instrument() -> None:
    import importlib

    for stage, module, name in STAGES:
        mod = importlib.import_module(module)
        setattr(mod, name, _timed(stage, getattr(mod, name)))


def load_texts(corpus: Path, edited: bool, n_licensedb: int, seed: int) -> list[tuple[str, str]]:
    paths = sorted((corpus / "licenses" / "texts").glob("*.txt")) + sorted((corpus / "perturbed" / "texts").glob("*"))
    texts = [(p.name, p.read_text(encoding="utf-8", errors="replace")) for p in paths]
    if n_licensedb:
        import licensedb

        ok, why = licensedb.available()
        if ok:
            pool = [t for t in licensedb.load() if t.text.strip()]
            texts += [(t.key, t.text) for t in random.Random(seed).sample(pool, min(n_licensedb, len(pool)))]
        else:
            print(f"LicenseDB skipped: {why}", file=sys.stderr)
    if edited:
        import licensedb

        texts = [(name, licensedb.edited(text)) for name, text in texts]
    return texts


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=Path(os.environ.get("OPENSCOPE_CORPUS",
                                                                     ROOT.parent.parent / "shared" / "corpus")))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--edited", action="store_true", help="read the texts edited (no exact identification)")
    ap.add_argument("--licensedb", type=int, default=0, help="add N LicenseDB texts")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--profile", type=Path, help="write a cProfile of the timed rounds here")
    args = ap.parse_args()
    texts = load_texts(args.corpus, args.edited, args.licensedb, args.seed)
    if not texts:
        print(f"no texts under {args.corpus}", file=sys.stderr)
        return 1
    from openscope.license import analyze_text, restrictions, warm_up

    t0 = time.process_time()
    warm_up()
    start_cpu = time.process_time() - t0
    instrument()
    for name, text in texts:  # first pass untimed: lazy tables, caches of words, fingerprints touched
        analyze_text(text, name)
    gc.freeze()
    per_text: dict[str, list[dict]] = {name: [] for name, _ in texts}
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    round_totals = []
    for _ in range(args.rounds):
        restrictions._analyse.cache_clear()
        round_cpu = 0.0
        for name, text in texts:
            _SPENT.clear()
            if profiler:
                profiler.enable()
            t0 = time.process_time()
            analyze_text(text, name)
            total = time.process_time() - t0
            if profiler:
                profiler.disable()
            restrictions._analyse.cache_clear()
            round_cpu += total
            row = {stage: _SPENT.get(stage, 0.0) for stage, _, _ in STAGES}
            row["other"] = total - sum(row.values())
            row["total"] = total
            per_text[name].append(row)
        round_totals.append(round_cpu)
    if profiler:
        profiler.dump_stats(str(args.profile))
    columns = [stage for stage, _, _ in STAGES] + ["other", "total"]
    medians = {name: {c: statistics.median(r[c] for r in rows) for c in columns} for name, rows in per_text.items()}
    print(f"{len(texts)} texts{' (edited)' if args.edited else ''}, {args.rounds} rounds, CPU ms per text "
          f"(median over rounds; then over texts); warm-up {start_cpu * 1000:.0f} ms CPU")
    print(f"{'stage':<12} {'median':>8} {'p90':>8} {'mean':>8}")
    for c in columns:
        values = [m[c] * 1000 for m in medians.values()]
        print(f"{c:<12} {statistics.median(values):8.2f} {pct(values, 0.9):8.2f} {statistics.mean(values):8.2f}")
    best = statistics.median(round_totals)
    print(f"texts/s in one process (CPU): {len(texts) / best:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
