"""Bench `openscope bulk` on generated dumps and print a table (a bench, not a test).

    python bench/bench_bulk.py --rows 10000 100000 [--workers 2] [--scheduler processes] [--keep DIR]
    python bench/bench_bulk.py --compare BEFORE/models AFTER/models     # same table, row for row?

For each size: generates the dump (bench/hubdump.py) unless --keep already has it, runs
`openscope bulk DUMP --licenses ... --out ... --scheduler processes --workers N` in a fresh process,
and reads the run's summary.json. Columns:

    wall        end to end, seconds (process start, Dask cluster start and all stages)
    CPU-ms/model  CPU of the driver and every task, per model
    RSS         peak resident memory: the driver (it also hosts the Dask scheduler), the largest
                worker, and their sum (driver + every worker)
    texts       license files / distinct normalised texts / analyses run
    stages      seconds per stage: read, texts, cards, graph, report (wall, then CPU of the driver and
                the tasks: on a busy machine wall grows, CPU much less)

The machine is shared with whatever else runs on it: compare CPU-ms/model across runs, not only wall.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ensure_dump(rows: int, folder: Path) -> Path:
    if not (folder / "models.parquet").exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "hubdump.py"), "--rows", str(rows), "--out", str(folder)],
                       check=True, stdout=subprocess.DEVNULL)
    return folder


def run_once(dump: Path, out: Path, scheduler: str, workers: int) -> dict:
    cmd = [sys.executable, "-m", "openscope", "bulk", str(dump / "models.parquet"), str(dump / "cards"),
           "--licenses", str(dump / "licenses"), "--out", str(out), "--scheduler", scheduler,
           "--workers", str(workers), "--restart", "-q"]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - start
    if proc.returncode not in (0, 3):
        raise SystemExit(proc.stderr)
    summary = json.loads((out / "summary.json").read_text())
    summary["_wall"] = wall
    return summary


def compare(before: Path, after: Path) -> int:
    """Whether two runs' `DIR/models` tables are equal row for row (by id, every column; the table has
    no timing columns). Prints the first differences; returns the number of rows that differ."""
    import pyarrow.parquet as pq

    a = {r["id"]: r for r in pq.read_table(before).to_pylist()}
    b = {r["id"]: r for r in pq.read_table(after).to_pylist()}
    differ = sorted(set(a) ^ set(b))
    for key in sorted(set(a) & set(b)):
        if a[key] != b[key]:
            differ.append(key)
    for key in differ[:5]:
        if key not in a or key not in b:
            print(f"{key}: only in {'after' if key in b else 'before'}", file=sys.stderr)
            continue
        cols = [c for c in a[key] if a[key][c] != b[key].get(c)]
        for c in cols[:3]:
            print(f"{key}: {c}: {str(a[key][c])[:200]!r} != {str(b[key][c])[:200]!r}", file=sys.stderr)
    print(f"{len(a):,} rows before, {len(b):,} after, {len(differ):,} differ")
    return len(differ)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scheduler", default="processes")
    ap.add_argument("--keep", type=Path, help="folder for the dumps (kept and reused between runs)")
    ap.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"),
                    help="compare two DIR/models tables row for row instead of benching")
    args = ap.parse_args(argv)
    if args.compare:
        raise SystemExit(1 if compare(*args.compare) else 0)
    base = args.keep or Path(tempfile.mkdtemp(prefix="openscope-bulk-bench-"))
    lines = ["| rows | wall s | CPU-ms/model | RSS driver / max worker / total MB | texts: files / distinct / analysed "
             "| stages wall s (read, texts, cards, graph, report) | stages CPU s |", "|---|---|---|---|---|---|---|"]
    for rows in args.rows:
        dump = ensure_dump(rows, base / f"dump-{rows}")
        s = run_once(dump, base / f"out-{rows}", args.scheduler, args.workers)
        run = s["run"]
        workers = list(run["worker_peak_rss_mb"].values()) if args.scheduler not in ("pandas", "synchronous") else []
        driver = run["driver_peak_rss_mb"]
        total = driver + sum(workers)
        st, sc = run["stage_s"], run.get("stage_cpu_s", {})
        lines.append(f"| {s['models']:,} | {s['_wall']:.1f} | {run['cpu_ms_per_model']:.2f} | "
                     f"{driver:.0f} / {max(workers, default=0):.0f} / {total:.0f} | "
                     f"{s['texts']['files']:,} / {s['texts']['distinct']} / {s['texts']['analysed']} | "
                     f"{st['read']:.0f}, {st['texts']:.0f}, {st['cards']:.0f}, {st['graph']:.0f}, {st['report']:.0f} | "
                     + ", ".join(f"{sc.get(k, 0):.0f}" for k in ("read", "texts", "cards", "graph", "report")) + " |")
        print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
