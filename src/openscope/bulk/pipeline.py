"""`openscope bulk`: the stages, their files under DIR/_stage, and the outputs.

    read     one task per row group: the needed columns, into buckets by id     _stage/split/bNNNNN/
    texts    hash the fetched license files; analyse each distinct text once    _stage/texts/
    cards    one task per bucket: facts, license, card links and components     _stage/local/bNNNNN.parquet
    graph    the base graph over the narrow table (this process); each base's   _stage/values/
             shared value, height by height (tasks); the models near cycles     DIR/models/part-special.parquet
             or over-deep chains, one by one (this process)
    report   one task per bucket: every model's report row                      DIR/models/part-bNNNNN.parquet
    summary  counts added up                                                   DIR/summary.json
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections import Counter
from pathlib import Path

from openscope.bulk import dumps, engine, records, report, texts
from openscope.errors import InputError

BUCKET_ROWS = 5_000  # models per bucket: a task's memory stays flat however big the dump
TEXT_SHARE = 2_000  # model folders hashed per task
ANALYSE_SHARE = 8  # distinct texts analysed per task


# ------------------------------------------------------------------------------- tasks (run anywhere)

def _read_split(stage: Path, b: int):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = stage / "split" / f"b{b:05d}"
    files = sorted(folder.glob("p*.parquet")) if folder.exists() else []
    if not files:
        return []
    return pa.concat_tables([pq.read_table(f, schema=dumps.split_schema()) for f in files]).to_pylist()


def merge_rows(rows: list[dict]) -> tuple[dict[str, dict], int]:
    """One row per model: card text from the cards dump, Hub metadata from hub-stats; first copy wins."""
    models: dict[str, dict] = {}
    seen: set[tuple[str, str]] = set()
    duplicates = 0
    for r in rows:
        key = r["id"].lower()
        if (key, r["src"]) in seen:
            duplicates += 1
            continue
        seen.add((key, r["src"]))
        m = models.setdefault(key, {"id": r["id"], "card": None, "cardData": None, "tags": None, "siblings": None,
                                    "gated": None, "sha": None, "modified": None, "src": set()})
        m["src"].add(r["src"])
        if r["src"] == "stats":
            m.update(id=r["id"], cardData=r["cardData"], siblings=r["siblings"], gated=r["gated"], sha=r["sha"])
            m["tags"] = r["tags"]
        elif r["src"] == "cards":
            m["card"] = r["card"]
            if m["tags"] is None:
                m["tags"] = r["tags"]
        m["modified"] = max(filter(None, (m["modified"], r["modified"])), default=None)
    return models, duplicates


def _documents(entries: list, warnings: list) -> dict[str, str]:
    from openscope.errors import ModelError
    from openscope.sources.interface import LICENSE_FILE_NAMES

    by_name = {e["name"]: e["path"] for e in entries}
    out = {}
    for name in LICENSE_FILE_NAMES:
        if name in by_name:
            try:
                _, text, _ = texts.read_license(Path(by_name[name]), name)
            except (ModelError, OSError):
                continue
            out[name] = text
    return out


def cards_task(b: int, stage: str) -> dict:
    """Task: one bucket's models -> their local records (and the narrow columns the graph reads)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from openscope.catalog import load_catalog

    stage = Path(stage)
    catalog = load_catalog()
    models, duplicates = merge_rows(_read_split(stage, b))
    text_index = _load_json(stage / "texts" / f"b{b:05d}.json", {})
    analyses = texts.Analyses(_load_json(stage / "texts" / "raw.json", {}), _load_json(stage / "texts" / "analyses.json", {}))
    out = {"key": [], "id": [], "error": [], "refs": [], "rec": [], "lic": [], "modified": []}
    errors = 0
    memo: dict = {}  # license decisions within this task (records.assessed_license)
    with records.spacy_zone():  # the vocabulary entries this bucket's cards add are freed after it
        for key, m in models.items():
            rec: dict
            try:
                if "invalid" in m["src"]:
                    raise records.RowError(f"{m['id']}: the row has no model id")
                rec = records.local_record(m, _documents(text_index.get(key, []), []), catalog, analyses, memo)
                refs = sorted({link["ref"].lower() for link in rec["links"] if link["ref"]})
                error = None
            except records.RowError as exc:
                error, refs, rec = str(exc), [], {}
            except Exception as exc:  # a malformed row is an error row, never a failed job
                error, refs, rec = f"{type(exc).__name__}: {exc}"[:500], [], {}
            errors += error is not None
            out["key"].append(key)
            out["id"].append(m["id"])
            out["error"].append(error)
            out["refs"].append(refs)
            lic = rec.pop("lic", None)  # its own column: the report pass decodes each distinct one once
            out["rec"].append(records.to_json(rec) if error is None else None)
            out["lic"].append(lic if error is None else None)
            out["modified"].append(m["modified"])
    path = stage / "local" / f"b{b:05d}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([("key", pa.string()), ("id", pa.string()), ("error", pa.string()),
                        ("refs", pa.list_(pa.string())), ("rec", pa.large_string()), ("lic", pa.large_string()),
                        ("modified", pa.string())])
    pq.write_table(pa.table(out, schema=schema), str(path) + ".tmp", compression="zstd")
    os.replace(str(path) + ".tmp", path)
    return {"models": len(models), "errors": errors, "duplicates": duplicates, "analysis_misses": analyses.misses}


def _error_report(model_id: str, message: str):
    from openscope.types import ErrorInfo, ModelReport

    return ModelReport(ref=model_id, id=model_id, kind="hub", provenance="hub", spectrum="unknown",
                       error=ErrorInfo("unreadable", message if message.startswith(model_id) else
                                       f"{model_id}: could not be assessed ({message})"),
                       license_status="unknown", license_status_reason="not assessed")


def report_task(b: int, stage: str, out_dir: str) -> dict:
    """Task: one bucket's report rows, with the shared values of the bases its models name."""
    import pyarrow.parquet as pq

    from openscope.bulk.graph import GraphAssessor
    from openscope.catalog import load_catalog

    stage = Path(stage)
    catalog = load_catalog()
    graph = _load_json(stage / "graph" / f"b{b:05d}.json", {})
    special, cyclic, dangling = set(graph["special"]), set(graph["cyclic"]), graph["dangling"]
    local = pq.read_table(stage / "local" / f"b{b:05d}.parquet").to_pylist()
    needed = {r for row in local for r in row["refs"]}
    values = _load_values(stage, needed)
    from openscope.bulk.graph import Shape

    # Only shared values are looked up here (special models were reported by the graph pass).
    shape = Shape({k: v.get("height", 0) for k, v in values.items()}, {}, set(), {})
    assessor = GraphAssessor(catalog, shape, lambda key: values.get(key, {}).get("error_rec"),
                             {k: v for k, v in values.items() if "error_rec" not in v})
    rows = []
    for row in local:
        if row["key"] in special:
            continue
        if row["error"]:
            model = _error_report(row["id"], row["error"])
            declared = []
        else:
            rec = json.loads(row["rec"])
            rec["lic"] = row["lic"]
            try:
                model = assessor.assess(rec)
            except Exception as exc:  # never a failed job
                model = _error_report(row["id"], f"{type(exc).__name__}: {exc}"[:500])
            declared = records.assessment_of(rec["lic"], catalog, assessor.licenses).declared
        rows.append(report.row_of(model, catalog=catalog, declared=declared, dangling=dangling.get(row["key"], []),
                                  in_cycle=row["key"] in cyclic))
    path = Path(out_dir) / "models" / f"part-b{b:05d}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    report.write_rows(rows, path)
    return report.count(rows)


VALUES_DB = "values.sqlite"  # every shared value so far, merged by the driver after each height
VALUES_CACHE_KIB = 2048  # SQLite's page cache per reader (its default): one file, so a reader's memory stays flat


def _load_values(stage: Path, needed: set[str]) -> dict:
    """Shared base values for `needed` and everything up their chains (conditions read those facts).

    Read from the one merged file (`_merge_values`): one connection and one page cache, however many
    value tasks the dump needed (one file per task was one page cache each: a worker's memory grew
    with the dump)."""
    import sqlite3

    path = stage / VALUES_DB
    if not path.exists():
        return {}
    values: dict = {}
    frontier = set(needed)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        db.execute(f"PRAGMA cache_size=-{VALUES_CACHE_KIB}")
        while frontier:
            asked = sorted(frontier)
            frontier = set()
            for i in range(0, len(asked), 900):  # SQLite's bound-parameter limit
                chunk = asked[i:i + 900]
                query = f"SELECT key, value FROM v WHERE key IN ({','.join('?' * len(chunk))})"
                for key, blob in db.execute(query, chunk):
                    value = json.loads(blob)
                    values[key] = value
                    frontier.update(m.lower() for m in value.get("chain", [])[1:])
            frontier -= set(values)
            frontier -= set(asked)
    finally:
        db.close()
    return values


def _merge_values(stage: Path, files: list[Path]) -> None:
    """Add the value files of finished tasks to the merged store (idempotent: a resumed run merges again).

    Written by the driver only, between heights: no task reads it while it changes."""
    import sqlite3

    path = stage / VALUES_DB
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS v (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.close()
    db = sqlite3.connect(path, isolation_level=None)
    try:
        for f in files:
            if not f.exists():
                continue
            db.execute("ATTACH DATABASE ? AS part", (str(f),))
            db.execute("BEGIN")
            db.execute("INSERT OR IGNORE INTO main.v SELECT key, value FROM part.v")
            db.execute("COMMIT")
            db.execute("DETACH DATABASE part")
            f.unlink()  # merged and committed: the copy is not needed again (half the disk at 1M rows)
    finally:
        db.close()


def _load_json(path: Path, default):
    if not path.exists():
        return default
    return json.loads(path.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------- the driver

def run(dumps_in: list[str], out: Path, *, licenses: Path | None = None, scheduler: str = "pandas",
        workers: int = 2, progress: bool = True, bucket_rows: int = BUCKET_ROWS, restart: bool = False) -> dict:
    started, cpu0 = time.monotonic(), engine.cpu_seconds()
    out = Path(out)
    stage = out / "_stage"
    if restart and stage.exists():
        shutil.rmtree(stage)
        shutil.rmtree(out / "models", ignore_errors=True)
    pieces = dumps.pieces(dumps_in)
    rows_in = sum(p.rows for p in pieces)
    buckets = max(1, math.ceil(rows_in / bucket_rows))
    manifest = {"inputs": sorted({p.path for p in pieces}), "rows": rows_in, "buckets": buckets,
                "licenses": str(licenses) if licenses else None}
    stage.mkdir(parents=True, exist_ok=True)
    old = _load_json(stage / "manifest.json", None)
    if old is not None and old != manifest:
        raise InputError(f"{out}: holds an unfinished run over other inputs; pass --restart or another --out")
    texts.save(stage / "manifest.json", manifest)
    timings: dict[str, float] = {}
    stage_cpu: dict[str, float] = {}
    driver_rss: dict[str, float] = {}  # this process's peak RSS at the end of each stage
    in_process = scheduler in ("pandas", "synchronous")

    with engine.Runner(scheduler, workers, progress) as runner:
        t, c = time.monotonic(), _cpu_mark(runner)
        split = runner.map("read", dumps.split_piece, [(p, i, buckets, stage) for i, p in enumerate(pieces)],
                           [engine.marker(stage, f"read-{i}") for i in range(len(pieces))])
        timings["read"], stage_cpu["read"] = time.monotonic() - t, _cpu_since(runner, c, in_process)
        driver_rss["read"] = round(engine.peak_rss_mb(), 1)

        t, c = time.monotonic(), _cpu_mark(runner)
        text_stats = _texts(runner, stage, licenses, buckets)
        timings["texts"], stage_cpu["texts"] = time.monotonic() - t, _cpu_since(runner, c, in_process)
        driver_rss["texts"] = round(engine.peak_rss_mb(), 1)

        t, c = time.monotonic(), _cpu_mark(runner)
        local = runner.map("cards", cards_task, [(b, str(stage)) for b in range(buckets)],
                           [engine.marker(stage, f"cards-{b}") for b in range(buckets)])
        timings["cards"], stage_cpu["cards"] = time.monotonic() - t, _cpu_since(runner, c, in_process)
        driver_rss["cards"] = round(engine.peak_rss_mb(), 1)

        t, c = time.monotonic(), _cpu_mark(runner)
        graph_stats, special_counts = _graph(runner, stage, out, buckets)
        timings["graph"], stage_cpu["graph"] = time.monotonic() - t, _cpu_since(runner, c, in_process)
        driver_rss["graph"] = round(engine.peak_rss_mb(), 1)

        t, c = time.monotonic(), _cpu_mark(runner)
        counts = runner.map("report", report_task, [(b, str(stage), str(out)) for b in range(buckets)],
                            [engine.marker(stage, f"report-{b}") for b in range(buckets)])
        timings["report"], stage_cpu["report"] = time.monotonic() - t, _cpu_since(runner, c, in_process)
        driver_rss["report"] = round(engine.peak_rss_mb(), 1)
        workers_rss = dict(runner.workers_seen)
        stage_rss = dict(runner.stage_rss)
        task_cpu = runner.task_cpu_s
        tasks_run, tasks_skipped = runner.tasks_run, runner.tasks_skipped

    total = special_counts
    for c in counts:
        total = report.add_counts(total, c)
    by_source = Counter()
    for s in split:
        by_source[s["kind"]] += s["rows"]
    latest = max((s["latest"] for s in split if s["latest"]), default=None)
    wall = time.monotonic() - started
    driver_cpu = engine.cpu_seconds() - cpu0
    models_n = total.get("totals", {}).get("models", 0)
    summary = {
        "schema": "openscope.bulk/1",
        "dump_date": latest[:10] if latest else None,
        "inputs": manifest["inputs"], "rows_read": dict(by_source), "models": models_n,
        **{k: total.get(k, {}) for k in ("totals", "spectrum", "license", "effective_license", "family", "flag",
                                          "other", "warning", "error")},
        "lineage": graph_stats,
        "texts": text_stats,
        "duplicates": sum(x["duplicates"] for x in local),
        "run": {
            "scheduler": scheduler, "workers": workers if not in_process else 1, "buckets": buckets,
            "tasks_run": tasks_run, "tasks_skipped": tasks_skipped, "wall_s": round(wall, 2),
            "stage_s": {k: round(v, 2) for k, v in timings.items()},
            "stage_cpu_s": {k: round(v, 2) for k, v in stage_cpu.items()},
            "cpu_s": round(driver_cpu + (0 if in_process else task_cpu), 2),
            "cpu_ms_per_model": round(1000 * (driver_cpu + (0 if in_process else task_cpu)) / max(models_n, 1), 3),
            "driver_peak_rss_mb": round(engine.peak_rss_mb(), 1),
            "worker_peak_rss_mb": {str(k): round(v, 1) for k, v in sorted(workers_rss.items())},
            # Where memory went: the driver's peak after each stage, the largest task peak in each stage.
            "driver_peak_rss_mb_by_stage": driver_rss,
            "task_peak_rss_mb_by_stage": {k: round(v, 1) for k, v in stage_rss.items()},
        },
    }
    texts.save(out / "summary.json", summary)
    return summary


def _cpu_mark(runner) -> tuple[float, float]:
    return engine.cpu_seconds(), runner.task_cpu_s


def _cpu_since(runner, mark: tuple[float, float], in_process: bool) -> float:
    """CPU seconds of one stage: this process's, plus the tasks' when they ran in other processes."""
    driver, tasks = mark
    return engine.cpu_seconds() - driver + (0.0 if in_process else runner.task_cpu_s - tasks)


def _texts(runner, stage: Path, licenses: Path | None, buckets: int) -> dict:
    folder = stage / "texts"
    folder.mkdir(parents=True, exist_ok=True)
    if licenses is None:
        return {"files": 0, "distinct": 0, "analysed": 0}
    if not Path(licenses).is_dir():
        raise InputError(f"{licenses}: not a folder of license files")
    dirs = [(mid, str(p)) for mid, p in texts.model_dirs(Path(licenses))]
    shares = [dirs[i:i + TEXT_SHARE] for i in range(0, len(dirs), TEXT_SHARE)]
    hashed = runner.map("texts: hash", texts.hash_share, [(s,) for s in shares],
                        [engine.marker(stage, f"hash-{i}") for i in range(len(shares))])
    by_bucket: dict[int, dict[str, list]] = {}
    raw, samples = {}, {}
    for h in hashed:
        for r in h["rows"]:
            by_bucket.setdefault(dumps.bucket_of(r["id"], buckets), {}).setdefault(r["id"].lower(), []).append(r)
            raw[r["raw"]] = r["norm"]
        for norm, path in h["samples"].items():
            samples.setdefault(norm, path)
    distinct = sorted(samples.items())
    parts = [distinct[i:i + ANALYSE_SHARE] for i in range(0, len(distinct), ANALYSE_SHARE)]
    analysed = runner.map("texts: analyse", texts.analyse_share, [(p,) for p in parts],
                          [engine.marker(stage, f"analyse-{i}") for i in range(len(parts))])
    by_norm = {}
    for a in analysed:
        by_norm.update(a)
    for b, entries in by_bucket.items():
        texts.save(folder / f"b{b:05d}.json", entries)
    texts.save(folder / "raw.json", raw)
    texts.save(folder / "analyses.json", by_norm)
    return {"files": sum(len(h["rows"]) for h in hashed), "distinct": len(distinct), "analysed": len(by_norm)}


def _read_records(path: Path, keys: set[str]) -> tuple[dict[str, str], dict]:
    """The stored records of `keys` in one bucket file, kept as arrow bytes (decoded when read)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not keys:
        return {}, {}
    t = pq.read_table(path, columns=["key", "id", "rec", "lic"])
    t = t.filter(pa.compute.is_in(t.column("key"), value_set=pa.array(sorted(keys))))
    recs, lics = t.column("rec").combine_chunks(), t.column("lic").combine_chunks()
    return dict(zip(t.column("key").to_pylist(), t.column("id").to_pylist())), \
        {k: (recs, lics, i) for i, k in enumerate(t.column("key").to_pylist())}


def _decode(at: dict, key: str):
    recs, lics, i = at[key]
    value = recs[i].as_py()
    if value is None:
        return None
    rec = json.loads(value)
    rec["lic"] = lics[i].as_py()  # the license assessment's JSON (records.assessment_of decodes it)
    return rec


def values_task(level: int, part: int, groups: list[tuple[int, list[str]]], errors: dict[str, str],
                stage: str) -> int:
    """Task: the shared values of some buckets' bases at one height (the lower heights are done)."""
    from openscope.bulk.graph import GraphAssessor, Shape
    from openscope.catalog import load_catalog

    stage = Path(stage)
    ids, at, keys = {}, {}, []
    for b, group in groups:
        i, a = _read_records(stage / "local" / f"b{b:05d}.parquet", set(group))
        ids.update(i)
        at.update(a)
        keys += group
    decoded = {key: _decode(at, key) for key in at}  # once each: the links below, then the assessor
    needed = set()
    for key in keys:
        rec = decoded[key]
        needed.update(link["ref"].lower() for link in (rec or {}).get("links", []) if link["ref"])
    values = _load_values(stage, needed)
    heights = {k: v.get("height", 0) for k, v in values.items()} | {k: level for k in keys}
    assessor = GraphAssessor(load_catalog(), Shape(heights, {}, set(), {}),
                             lambda k: {"error": errors[k]} if k in errors else decoded.get(k),
                             {k: v for k, v in values.items() if "error_rec" not in v})
    for key in keys:
        assessor.prime(key, ids.get(key, key))
    rows = [(key, records.to_json({**value, "height": heights.get(key, 0)})) for key, value in assessor.computed.items()]
    _write_values(stage / "values" / f"h{level}-p{part:04d}.sqlite", rows)
    return len(rows)


def _write_values(path: Path, rows: list[tuple[str, str]]) -> None:
    """Shared values by key: an indexed SQLite file per task (JSON values), so a reader looks up the
    few keys it needs instead of scanning every value of the dump."""
    import sqlite3

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    with sqlite3.connect(tmp) as db:
        db.execute("CREATE TABLE v (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.executemany("INSERT OR IGNORE INTO v VALUES (?, ?)", rows)
    db.close()
    os.replace(tmp, path)


def narrow_graph(files: list[Path]) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """The base graph of the dump from the cards stage's narrow columns: lower-case id -> base refs, for
    the models that name a base and the models that are named (those with `()`), and the error rows.

    A model that names no base and that no model names is in no cycle, has height 0 and no context:
    the graph pass never asks about it, so it is not held (the driver's memory is that of the models in
    the base graph, not of every row). Each ref's string is held once however many models name it."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    edges: dict[str, tuple[str, ...]] = {}
    errors: dict[str, str] = {}
    names: dict[str, str] = {}  # every ref named, one string each
    for f in files:
        t = pq.ParquetFile(f).read(columns=["key", "refs", "error"])
        named_some = pc.fill_null(pc.greater(pc.fill_null(pc.list_value_length(t.column("refs")), 0), 0), False)
        t = t.filter(pc.or_(named_some, pc.is_valid(t.column("error"))))
        for key, refs, error in zip(t.column("key").to_pylist(), t.column("refs").to_pylist(),
                                    t.column("error").to_pylist()):
            if refs:
                edges[key] = tuple(names.setdefault(r, r) for r in refs)
            if error:
                errors[key] = error
    if names:
        wanted = pa.array(sorted(names), pa.string())
        for f in files:  # which of the named refs the dump holds
            keys = pq.ParquetFile(f).read(columns=["key"]).column("key")
            for key in keys.filter(pc.is_in(keys, value_set=wanted)).to_pylist():
                edges.setdefault(names[key], ())
    return edges, errors


def _graph(runner, stage: Path, out: Path, buckets: int) -> tuple[dict, dict]:
    """The narrow table of the whole dump -> heights and cycles; shared base values, height by height,
    on the workers; the models near cycles or over-deep chains, one by one, here."""
    import pyarrow.parquet as pq

    from openscope.assess.lineage import MAX_DEPTH
    from openscope.bulk.graph import GraphAssessor, shape
    from openscope.catalog import load_catalog

    files = [stage / "local" / f"b{b:05d}.parquet" for b in range(buckets)]
    edges, errors = narrow_graph(files)
    sh = shape(edges)
    bases = {r for refs in edges.values() for r in refs if r in edges}
    special = {k for k in edges if sh.special(k)}

    _write_values(stage / "values" / "errors.sqlite",
                  [(k, records.to_json({"error_rec": {"error": errors[k]}})) for k in sorted(bases & set(errors))])
    _merge_values(stage, [stage / "values" / "errors.sqlite"])
    shared = [k for k in bases if k not in errors and not sh.context.get(k) and sh.height.get(k, 0) <= MAX_DEPTH - 1]
    computed = 0
    for level in range(MAX_DEPTH):
        by_bucket: dict[int, list[str]] = {}
        for k in shared:
            if sh.height.get(k, 0) == level:
                by_bucket.setdefault(dumps.bucket_of(k, buckets), []).append(k)
        # A few tasks per height, not one per bucket: each reads the lower heights' values once.
        parts = max(1, min(len(by_bucket), math.ceil(buckets / 8)))  # fixed by the input: resumable
        groups: list[list] = [[] for _ in range(parts)]
        for n, (b, keys) in enumerate(sorted(by_bucket.items())):
            groups[n % parts].append((b, sorted(keys)))
        items = []
        for part, group in enumerate(g for g in groups if g):
            refs = {r for _, keys in group for k in keys for r in edges[k]}
            items.append((level, part, group, {r: errors[r] for r in refs if r in errors}, str(stage)))
        computed += sum(runner.map(f"graph: height {level}", values_task, items,
                                   [engine.marker(stage, f"values-{level}-{it[1]}") for it in items]))
        _merge_values(stage, [stage / "values" / f"h{level}-p{it[1]:04d}.sqlite" for it in items])

    # The special models, resolved one by one with every record they reach.
    reach = set(special)
    stack = list(special)
    while stack:
        for r in edges.get(stack.pop(), ()):
            if r in edges and r not in reach:
                reach.add(r)
                stack.append(r)
    ids, at = {}, {}
    for b in range(buckets):
        mine = {k for k in reach if dumps.bucket_of(k, buckets) == b}
        i, a = _read_records(files[b], mine)
        ids.update(i)
        at.update(a)
    values = _load_values(stage, {r for k in reach for r in edges.get(k, ())} | reach)
    catalog = load_catalog()
    assessor = GraphAssessor(catalog, sh, lambda k: None if k not in edges else
                             ({"error": errors[k]} if k in errors else _decode(at, k)),
                             {k: v for k, v in values.items() if "error_rec" not in v})
    rows = []
    for key in sorted(special):
        if key in errors:
            model, declared = _error_report(ids.get(key, key), errors[key]), []
        else:
            try:
                rec = _decode(at, key)
                model = assessor.assess(rec)
                declared = records.assessment_of(rec["lic"], catalog, assessor.licenses).declared
            except Exception as exc:
                model, declared = _error_report(ids.get(key, key), f"{type(exc).__name__}: {exc}"[:500]), []
        rows.append(report.row_of(model, catalog=catalog, declared=declared, dangling=sh.dangling.get(key, []),
                                  in_cycle=key in sh.cyclic))
    (out / "models").mkdir(parents=True, exist_ok=True)
    report.write_rows(rows, out / "models" / "part-special.parquet")
    # What each bucket's report task needs to know of the graph, in that bucket's own file.
    per_bucket: dict[int, dict] = {}
    for key in special | sh.cyclic | set(sh.dangling):
        entry = per_bucket.setdefault(dumps.bucket_of(key, buckets), {"special": [], "cyclic": [], "dangling": {}})
        if key in special:
            entry["special"].append(key)
        if key in sh.cyclic:
            entry["cyclic"].append(key)
        if key in sh.dangling:
            entry["dangling"][key] = sh.dangling[key]
    (stage / "graph").mkdir(exist_ok=True)
    for b in range(buckets):
        texts.save(stage / "graph" / f"b{b:05d}.json", per_bucket.get(b, {"special": [], "cyclic": [], "dangling": {}}))
    stats = {"models_with_bases": sum(1 for v in edges.values() if v), "bases_in_dump": len(bases),
             "shared_values": computed, "in_cycle": len(sh.cyclic),
             "resolved_one_by_one": len(special), "max_height": max(sh.height.values(), default=0),
             "with_dangling_bases": len(sh.dangling),
             "dangling_ids": len({r for v in sh.dangling.values() for r in v})}
    return stats, report.count(rows)
