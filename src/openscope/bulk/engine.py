"""Where the tasks run: in this process without Dask ("pandas"), or on Dask.

    synchronous   Dask's single-threaded scheduler, in this process (tests, debugging)
    processes     a local Dask cluster of `workers` processes, one thread each
    ADDRESS       an existing Dask scheduler (tcp://host:8786): `dask scheduler` / `dask worker`

A task is a plain importable function and its arguments; its output is written by the task itself
(stage files), so a re-run skips every task whose done-marker exists and resumes from the finished
partitions. Every task also returns its process's peak RSS, so peak memory per worker is measured.
Progress goes to stderr: tasks done / total, rate and ETA.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


# The cyclic garbage collector's thresholds while a task runs. A task allocates millions of small
# containers (decoded records, facts, findings, report rows) and frees almost all of them by reference
# counting; at Python's default (700 allocations) the collector runs thousands of times a task and each
# older-generation pass walks the worker's whole heap (spaCy, rules, memos). Rarer collections were
# 10-20 % less CPU for a report task in one process (same peak RSS); nothing a task computes depends on
# when cyclic garbage is freed. The process's own thresholds are restored after each task (a worker
# of a user's Dask cluster keeps its settings between our tasks).
TASK_GC_THRESHOLDS = (50_000, 20, 100)


def run_task(fn, args, marker: str | None):
    """Run one task (in whichever process); its result is kept in `marker` so a re-run can skip it."""
    import gc

    cpu = cpu_seconds()
    before = gc.get_threshold()
    gc.set_threshold(*TASK_GC_THRESHOLDS)
    try:
        result = fn(*args)
    finally:
        gc.set_threshold(*before)
    meta = {"pid": os.getpid(), "rss_mb": peak_rss_mb(), "cpu_s": cpu_seconds() - cpu}
    if marker is not None:
        tmp = marker + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"result": result, "meta": meta}, fh)
        os.replace(tmp, marker)
    return result, meta


class Progress:
    def __init__(self, label: str, total: int, enabled: bool):
        self.label, self.total, self.enabled = label, total, enabled
        self.done = 0
        self.start = self.last = time.monotonic()

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self.last >= 1.0 or self.done == self.total):
            self.last = now
            rate = self.done / max(now - self.start, 1e-9)
            eta = (self.total - self.done) / rate if rate else 0.0
            print(f"openscope bulk: {self.label}: {self.done}/{self.total} tasks, {rate:.1f} tasks/s, "
                  f"ETA {eta:.0f}s", file=sys.stderr, flush=True)


class Runner:
    def __init__(self, scheduler: str = "pandas", workers: int = 2, progress: bool = True,
                 memory_limit: str = "1.5GiB"):
        self.scheduler = scheduler
        self.workers = workers
        self.progress = progress
        self.memory_limit = memory_limit
        self.client = None
        self.cluster = None
        self.tasks_run = 0
        self.tasks_skipped = 0
        self.workers_seen: dict[int, float] = {}  # pid -> peak RSS (MiB)
        self.stage_rss: dict[str, float] = {}  # stage label -> largest peak RSS a task of it reported (MiB)
        self.task_cpu_s = 0.0

    def __enter__(self) -> Runner:
        if self.scheduler not in ("pandas", "synchronous"):
            from distributed import Client, LocalCluster

            if self.scheduler == "processes":
                import logging

                # One thread per process: matching is CPU-bound Python. Dask's own chatter stays off stderr.
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                            memory_limit=self.memory_limit, dashboard_address=None,
                                            silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
            else:
                self.client = Client(self.scheduler)
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def map(self, label: str, fn, items: list[tuple], markers: list[str | None] | None = None) -> list:
        """fn(*item) for every item; items whose marker file exists are not run again."""
        markers = markers or [None] * len(items)
        results: list = [None] * len(items)
        todo = []
        for i, marker in enumerate(markers):
            if marker is not None and os.path.exists(marker):
                with open(marker, encoding="utf-8") as fh:
                    results[i] = json.load(fh)["result"]
                self.tasks_skipped += 1
            else:
                todo.append(i)
        bar = Progress(label, len(items), self.progress)
        bar.advance(len(items) - len(todo)) if len(todo) < len(items) else None
        if self.scheduler == "pandas":
            for i in todo:
                results[i] = self._keep(run_task(fn, items[i], markers[i]), label)
                bar.advance()
        elif self.scheduler == "synchronous":
            import dask
            from dask.callbacks import Callback

            tasks = [dask.delayed(run_task, pure=False)(fn, items[i], markers[i]) for i in todo]

            class _Tick(Callback):
                def _posttask(self, key, result, dsk, state, worker_id):
                    if isinstance(key, tuple) or str(key).startswith("run_task"):
                        bar.advance()

            with _Tick():
                out = dask.compute(*tasks, scheduler="synchronous")
            for i, r in zip(todo, out):
                results[i] = self._keep(r, label)
        else:
            from distributed import as_completed

            futures = {self.client.submit(run_task, fn, items[i], markers[i], pure=False): i for i in todo}
            for future in as_completed(futures):
                results[futures[future]] = self._keep(future.result(), label)
                bar.advance()
        return results

    def _keep(self, outcome, label: str):
        result, meta = outcome
        stage = label.split(":")[0]
        # A process's peak only grows: the first stage that reaches it is where the memory went.
        self.stage_rss[stage] = max(self.stage_rss.get(stage, 0.0), meta["rss_mb"])
        self.tasks_run += 1
        self.task_cpu_s += meta["cpu_s"]
        self.workers_seen[meta["pid"]] = max(self.workers_seen.get(meta["pid"], 0.0), meta["rss_mb"])
        return result


def marker(stage: Path, name: str) -> str:
    (stage / "done").mkdir(parents=True, exist_ok=True)
    return str(stage / "done" / f"{name}.json")
