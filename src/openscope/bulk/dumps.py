"""The dumps: which file is which, the columns bulk reads from each, and the split into buckets.

Two public dumps are understood, told apart by their columns:
- `cfahlgren1/hub-stats` models.parquet ("stats"): id, cardData (the parsed front matter, JSON), tags,
  siblings, gated ... and no card text;
- `librarian-bots/model_cards_with_metadata` data/train-*.parquet ("cards"): modelId, card (the whole
  README), tags, last_modified ...
A path is a file, a folder (its *.parquet files, recursively) or an `hf://datasets/ORG/NAME/...` path,
read through huggingface_hub's fsspec filesystem (HfFileSystem; HF_ENDPOINT and HF_TOKEN apply).
Only the columns below are read. Each row group is one task; it writes its rows into buckets by a
stable hash of the lower-case id, so that every model's rows from both dumps meet in one bucket.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

from openscope.errors import InputError

STATS_COLUMNS = ("id", "cardData", "tags", "siblings", "gated", "sha", "lastModified")
CARDS_COLUMNS = ("modelId", "card", "tags", "last_modified")
# The bucket files' schema: one row per dump row, both dumps alike.
SPLIT_FIELDS = ("id", "src", "card", "cardData", "tags", "siblings", "gated", "sha", "modified")


@dataclass(frozen=True)
class Piece:
    """One row group of one dump file: a unit of reading."""

    path: str
    kind: str  # "stats" | "cards"
    row_group: int
    rows: int


def filesystem(path: str):
    """(fsspec filesystem, path inside it): HfFileSystem for hf://, the local one otherwise."""
    if path.startswith("hf://"):
        from huggingface_hub import HfFileSystem

        endpoint = os.environ.get("HF_ENDPOINT")
        return HfFileSystem(endpoint=endpoint) if endpoint else HfFileSystem(), path[len("hf://"):]
    from fsspec.implementations.local import LocalFileSystem

    return LocalFileSystem(), str(Path(path).resolve())


def _files(path: str) -> list[str]:
    fs, inner = filesystem(path)
    try:
        if fs.isdir(inner):
            found = sorted(p for p in fs.find(inner) if p.endswith(".parquet"))
            if not found:
                raise InputError(f"{path}: no .parquet files in this folder")
            return [("hf://" + p) if path.startswith("hf://") else p for p in found]
        if not fs.exists(inner):
            raise InputError(f"{path}: no such file")
    except InputError:
        raise
    except Exception as exc:  # an unreachable Hub, a bad token: one line, not a traceback
        raise InputError(f"{path}: cannot list ({type(exc).__name__}: {exc})") from None
    return [path if path.startswith("hf://") else inner]


def _open(path: str):
    fs, inner = filesystem(path)
    return fs.open(inner, "rb")


def kind_of(names: set[str], path: str) -> str:
    if {"modelId", "card"} <= names:
        return "cards"
    if {"id", "cardData"} <= names:
        return "stats"
    raise InputError(f"{path}: neither a hub-stats models file (id, cardData) nor a model-cards file "
                     f"(modelId, card); columns: {', '.join(sorted(names)[:12])}")


def pieces(paths: list[str]) -> list[Piece]:
    import pyarrow.parquet as pq

    out: list[Piece] = []
    for path in paths:
        for f in _files(path):
            try:
                with _open(f) as fh:
                    meta = pq.ParquetFile(fh).metadata
                    names = set(meta.schema.to_arrow_schema().names)
            except InputError:
                raise
            except Exception as exc:
                raise InputError(f"{f}: not a readable parquet file ({type(exc).__name__}: {exc})") from None
            kind = kind_of(names, f)
            out += [Piece(f, kind, i, meta.row_group(i).num_rows) for i in range(meta.num_row_groups)]
    return out


def bucket_of(model_id: str, buckets: int) -> int:
    return zlib.crc32(model_id.lower().encode("utf-8")) % buckets


def _json_or_none(value):
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def _iso(value):
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def read_piece(piece: Piece) -> list[dict]:
    """The rows of one row group, in the bucket files' shape (malformed values kept, judged later)."""
    import pyarrow.parquet as pq

    wanted = STATS_COLUMNS if piece.kind == "stats" else CARDS_COLUMNS
    with _open(piece.path) as fh:
        pf = pq.ParquetFile(fh)
        present = [c for c in wanted if c in pf.schema_arrow.names]
        table = pf.read_row_group(piece.row_group, columns=present)
    cols = {c: table.column(c).to_pylist() for c in present}
    n = table.num_rows
    get = lambda c: cols.get(c, [None] * n)  # noqa: E731
    rows = []
    if piece.kind == "stats":
        for i, (mid, cd, tags, sib, gated, sha, mod) in enumerate(zip(get("id"), get("cardData"), get("tags"),
                                                                      get("siblings"), get("gated"), get("sha"),
                                                                      get("lastModified"))):
            siblings = [s.get("rfilename") if isinstance(s, dict) else s for s in sib or []]
            rows.append({"id": mid, "src": "stats", "card": None, "cardData": _json_or_none(cd),
                         "tags": [str(t) for t in tags] if isinstance(tags, list) else None,
                         "siblings": [str(s) for s in siblings if s], "gated": None if gated is None else str(gated),
                         "sha": sha, "modified": _iso(mod), "_row": i})
    else:
        for i, (mid, card, tags, mod) in enumerate(zip(get("modelId"), get("card"), get("tags"), get("last_modified"))):
            rows.append({"id": mid, "src": "cards", "card": card, "cardData": None,
                         "tags": [str(t) for t in tags] if isinstance(tags, list) else None, "siblings": None,
                         "gated": None, "sha": None, "modified": _iso(mod), "_row": i})
    for r in rows:
        if not isinstance(r["id"], str) or not r["id"].strip():
            r["id"] = f"<row {r['_row']} of {Path(piece.path).name} row group {piece.row_group}>"
            r["src"] = "invalid"
        del r["_row"]
    return rows


def split_schema():
    import pyarrow as pa

    return pa.schema([("id", pa.string()), ("src", pa.string()), ("card", pa.large_string()),
                      ("cardData", pa.string()), ("tags", pa.list_(pa.string())), ("siblings", pa.list_(pa.string())),
                      ("gated", pa.string()), ("sha", pa.string()), ("modified", pa.string())])


def split_piece(piece: Piece, index: int, buckets: int, stage: Path) -> dict:
    """Task: one row group -> one small parquet file per bucket it has rows for."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = read_piece(piece)
    by_bucket: dict[int, list[dict]] = {}
    for r in rows:
        by_bucket.setdefault(bucket_of(r["id"], buckets), []).append(r)
    out = stage / "split"
    for b, part in by_bucket.items():
        folder = out / f"b{b:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"p{index:06d}.parquet.tmp"
        pq.write_table(pa.Table.from_pylist(part, schema=split_schema()), tmp)
        os.replace(tmp, folder / f"p{index:06d}.parquet")
    modified = [r["modified"] for r in rows if r["modified"]]
    return {"rows": len(rows), "kind": piece.kind, "latest": max(modified) if modified else None}
