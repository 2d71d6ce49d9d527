"""One output row per model (the SPEC §5 fields that apply, as columns), and the summary's counts."""

from __future__ import annotations

import functools
from collections import Counter
from openscope.bulk.records import dump_flag, dump_info, dump_warning, to_json
from openscope.types import ModelReport
from openscope.vocabulary import flag_names

# The parquet schema of DIR/models: flat columns to query, JSON columns with the full report objects.
COLUMNS = [
    ("id", "string"), ("kind", "string"), ("provenance", "string"), ("spectrum", "string"), ("confidence", "double"),
    ("osi_open", "bool"), ("gated", "bool"), ("license_id", "string"), ("license_name", "string"),
    ("license_identified_by", "string"), ("effective_license_id", "string"), ("effective_license_from", "string"),
    ("family", "string"), ("flags", "list<string>"), ("flag_mask", "int32"), ("inherited_flags", "list<string>"),
    ("conflict", "bool"), ("weights", "string"), ("training_code", "string"), ("training_data", "string"),
    ("base_models", "list<string>"), ("dangling_bases", "list<string>"), ("in_cycle", "bool"),
    ("warnings", "list<string>"), ("task", "string"), ("datasets", "list<string>"), ("declared", "list<string>"),
    ("error_code", "string"), ("error_message", "string"), ("license_status", "string"),
    # Full objects (evidence: file, section and quote for every flag), as the JSON report has them.
    ("license_json", "string"), ("effective_license_json", "string"), ("flags_json", "string"),
    ("components_json", "string"), ("warnings_json", "string"), ("reasons_json", "string"),
]


@functools.cache
def _flag_order() -> dict[str, int]:
    return {name: i for i, name in enumerate(flag_names())}


def flag_mask(flags) -> int:
    order = _flag_order()  # once per process, not once per row
    mask = 0
    for name in flags:
        mask |= 1 << order[name]
    return mask


def row_of(report: ModelReport, *, catalog=None, declared=(), dangling=(), in_cycle=False) -> dict:
    lic, eff = report.license, report.effective_license
    governing = eff or lic
    entry = catalog.known(governing.id) if catalog is not None and governing and governing.id else None
    names = [f.flag for f in report.flags]
    return {
        "id": report.id, "kind": report.kind, "provenance": report.provenance, "spectrum": report.spectrum,
        "confidence": float(report.confidence), "osi_open": report.osi_open, "gated": report.gated,
        "license_id": lic.id if lic else None, "license_name": lic.name if lic else None,
        "license_identified_by": lic.identified_by if lic else None,
        "effective_license_id": eff.id if eff else None, "effective_license_from": report.effective_license_from,
        "family": (entry.family or entry.key) if entry is not None else None,
        "flags": names, "flag_mask": flag_mask(names),
        "inherited_flags": [f"{f.flag}<-{f.inherited_from}" for f in report.flags if f.inherited_from],
        "conflict": any(w.code == "license-conflict" for w in report.warnings),
        "weights": report.components.get("weights"), "training_code": report.components.get("training_code"),
        "training_data": report.components.get("training_data"),
        "base_models": list(report.base_models), "dangling_bases": list(dangling), "in_cycle": bool(in_cycle),
        "warnings": [w.code for w in report.warnings], "task": report.task,
        "datasets": [d.id for d in report.datasets], "declared": [str(d) for d in declared],
        "error_code": report.error.code if report.error else None,
        "error_message": report.error.message if report.error else None,
        "license_status": report.license_status,
        "license_json": to_json(dump_info(lic)) if lic else None,
        "effective_license_json": to_json(dump_info(eff)) if eff else None,
        "flags_json": to_json([dump_flag(f) for f in report.flags]), "components_json": to_json(report.components),
        "warnings_json": to_json([dump_warning(w) for w in report.warnings]), "reasons_json": to_json(report.reasons),
    }


def arrow_schema():
    import pyarrow as pa

    types = {"string": pa.string(), "double": pa.float64(), "bool": pa.bool_(), "int32": pa.int32(),
             "list<string>": pa.list_(pa.string())}
    return pa.schema([(name, types[t]) for name, t in COLUMNS])


def write_rows(rows: list[dict], path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = sorted(rows, key=lambda r: r["id"])
    table = pa.Table.from_pylist(rows, schema=arrow_schema())
    tmp = str(path) + ".tmp"
    pq.write_table(table, tmp, compression="zstd")
    import os

    os.replace(tmp, path)


# ------------------------------------------------------------------------------- the summary

def count(rows: list[dict]) -> dict:
    """Counters for summary.json from a partition's rows (they add up across partitions)."""
    c: dict[str, Counter] = {k: Counter() for k in ("spectrum", "license", "effective_license", "family", "flag",
                                                     "other", "warning", "error")}
    totals = Counter()
    for r in rows:
        totals["models"] += 1
        c["spectrum"][r["spectrum"]] += 1
        if r["error_code"]:
            totals["errors"] += 1
            c["error"][r["error_code"]] += 1
            continue
        c["license"][r["license_id"] or ("none" if not r["license_name"] else "unidentified")] += 1
        c["effective_license"][r["effective_license_id"] or "none"] += 1
        c["family"][r["family"] or "none"] += 1
        for f in r["flags"]:
            c["flag"][f] += 1
        for w in set(r["warnings"]):
            c["warning"][w] += 1
        totals["conflicts"] += bool(r["conflict"])
        totals["no_license"] += not r["license_name"] and not r["effective_license_id"]
        totals["inherited_flags"] += bool(r["inherited_flags"])
        totals["in_cycle"] += bool(r["in_cycle"])
        totals["with_dangling_bases"] += bool(r["dangling_bases"])
        if any(str(d).strip().lower() == "other" for d in r["declared"]):
            c["other"]["resolved" if r["license_id"] else "unresolved"] += 1
    return {"totals": dict(totals), **{k: dict(v) for k, v in c.items()}}


def add_counts(a: dict, b: dict) -> dict:
    out = {}
    for key in set(a) | set(b):
        x, y = a.get(key, {}), b.get(key, {})
        merged = Counter(x)
        merged.update(y)
        out[key] = dict(sorted(merged.items(), key=lambda kv: (-kv[1], kv[0])))
    return out
