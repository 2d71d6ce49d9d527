"""Hub fetching speed against the fake Hub with injected latency; prints a table.

    .venv/bin/python bench/bench_hub.py [--models 100] [--latency 0.05] [--workers 8]

Targets: concurrent cold fetch <= 1/6 of the sequential time; a warm online re-run makes only
revalidation requests (model_info; no file GET); an offline re-run makes none.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fakehub import FakeHub  # noqa: E402

from openscope.api import fetch_all  # noqa: E402
from openscope.sources import FactResolver  # noqa: E402
from openscope.sources.cache import FactCache  # noqa: E402
from openscope.sources.hub import CacheSource, HubSource  # noqa: E402
from openscope.types import ModelRef  # noqa: E402


def resolver_for(hub: FakeHub, folder: Path, *, offline: bool = False) -> FactResolver:
    store = FactCache(folder / "openscope")
    cache = CacheSource(store=store, cache_dir=folder / "hf")
    if offline:
        return FactResolver(hub_sources=[cache])
    live = HubSource(endpoint=hub.url, token=False, cache_dir=folder / "hf", store=store)
    return FactResolver(hub_sources=[live, cache])


def run(hub: FakeHub, resolver: FactResolver, refs: list[ModelRef], workers: int) -> tuple[float, Counter, int]:
    hub.clear_log()
    started = time.perf_counter()
    results = fetch_all(resolver, refs, workers=workers, progress=False)
    elapsed = time.perf_counter() - started
    failed = sum(isinstance(r, Exception) for r in results)
    counts = Counter(f"{r.route} {r.method}" for r in hub.log)
    return elapsed, counts, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    hub = FakeHub(root=None, latency=args.latency)
    refs = []
    for i in range(args.models):
        repo = f"bench/model-{i:03d}"
        hub.add_repo(repo, {"README.md": f"---\nlicense: mit\n---\nBenchmark model {i}.\n",
                            "LICENSE": f"Benchmark terms {i}: use freely, keep this line."})
        refs.append(ModelRef(raw=repo, kind="hub", id=repo))

    rows = []
    with hub, tempfile.TemporaryDirectory() as tmp:
        seq_dir, par_dir = Path(tmp) / "sequential", Path(tmp) / "concurrent"
        rows.append(("cold, sequential (1 worker)", *run(hub, resolver_for(hub, seq_dir), refs, 1)))
        rows.append((f"cold, concurrent ({args.workers} workers)", *run(hub, resolver_for(hub, par_dir), refs, args.workers)))
        rows.append(("warm, online re-run", *run(hub, resolver_for(hub, par_dir), refs, args.workers)))
        rows.append(("warm, offline re-run", *run(hub, resolver_for(hub, par_dir, offline=True), refs, args.workers)))

    kinds = ["api GET", "file HEAD", "file GET"]
    print(f"{args.models} models, {args.latency * 1000:.0f} ms latency per request\n")
    print(f"{'run':<30} {'wall s':>8} {'x seq':>7} " + " ".join(f"{k:>10}" for k in kinds) + f" {'failed':>7}")
    sequential = rows[0][1]
    for name, elapsed, counts, failed in rows:
        print(f"{name:<30} {elapsed:8.2f} {elapsed / sequential:7.3f} "
              + " ".join(f"{counts.get(k, 0):>10}" for k in kinds) + f" {failed:>7}")
    ratio = rows[1][1] / sequential
    warm, offline = rows[2][2], rows[3][2]
    print()
    print(f"concurrent / sequential = 1/{1 / ratio:.1f} (target <= 1/6): {'met' if ratio <= 1 / 6 else 'NOT met'}")
    print(f"warm online re-run: {warm.get('file GET', 0)} file GET, {warm.get('file HEAD', 0)} HEAD, "
          f"{warm.get('api GET', 0)} model_info (target: no file GET): {'met' if not warm.get('file GET') else 'NOT met'}")
    print(f"offline re-run: {sum(offline.values())} requests (target 0): {'met' if not offline else 'NOT met'}")


if __name__ == "__main__":
    main()
