"""`openscope bulk`: the same answers as the single-model path, on any scheduler, resumable, never sunk by a row.

The dumps are made by bench/hubdump.py (its own card patterns and license texts, never corpus text).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import hubdump  # noqa: E402

from openscope.bulk import pipeline, records  # noqa: E402
from openscope.bulk.graph import missing_base  # noqa: E402


def make_dump(tmp: Path, rows: int, seed: int = 0) -> Path:
    hubdump.write(hubdump.generate(rows, seed, license_share=0.3), tmp, card_files=2, seed=seed)
    return tmp


def inputs(dump: Path) -> list[str]:
    return [str(dump / "models.parquet"), str(dump / "cards")]


def table(out: Path):
    return pq.read_table(out / "models").sort_by("id")


@pytest.fixture(scope="module")
def dump3k(tmp_path_factory) -> Path:
    return make_dump(tmp_path_factory.mktemp("dump3k"), 3000)


@pytest.fixture(scope="module")
def bulk3k(dump3k, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out3k")
    pipeline.run(inputs(dump3k), out, licenses=dump3k / "licenses", scheduler="pandas", progress=False,
                 bucket_rows=700)
    return out


def dump_rows(dump: Path) -> dict[str, dict]:
    """The dump's rows merged by id, read straight from the files (not through bulk's split)."""
    stats = pq.read_table(dump / "models.parquet").to_pylist()
    cards = pa.concat_tables([pq.read_table(p) for p in sorted((dump / "cards").rglob("*.parquet"))]).to_pylist()
    out = {}
    for r in stats:
        out[r["id"].lower()] = {"id": r["id"], "cardData": r["cardData"], "tags": r["tags"], "gated": r["gated"],
                                "siblings": [s["rfilename"] for s in r["siblings"]], "card": None}
    for r in cards:
        out.setdefault(r["modelId"].lower(), {"id": r["modelId"], "tags": r["tags"]})["card"] = r["card"]
    return out


def documents(dump: Path, model_id: str) -> dict[str, str]:
    path = dump / "licenses" / model_id / "LICENSE"
    return {"LICENSE": path.read_bytes().decode("utf-8")} if path.exists() else {}


def test_differential_1000_rows_same_answers_as_the_single_model_path(dump3k, bulk3k):
    """1,000 sampled models audited one by one (a fresh Assessor each, bases fetched from the dump)."""
    from openscope.assess.model import Assessor
    from openscope.catalog import load_catalog

    rows = dump_rows(dump3k)
    catalog = load_catalog()

    def fetch_base(ref):
        row = rows.get(ref.lower())
        if row is None:
            raise missing_base(ref)
        return records.facts_of(row, documents(dump3k, row["id"]))

    got = {r["id"]: r for r in table(bulk3k).to_pylist()}
    assert len(got) == len(rows)
    sample = random.Random(7).sample(sorted(rows), 1000)
    compared = mismatches = 0
    errors = []
    for key in sample:
        row = rows[key]
        if len(row.get("card") or "") > records.MAX_CARD_CHARS:
            assert got[row["id"]]["error_code"] == "unreadable"
            continue
        try:
            single = Assessor(catalog, fetch_base).assess(fetch_base(row["id"]))
        except Exception as exc:  # the single path has no error rows: bulk must have made one
            assert got[row["id"]]["error_code"] == "unreadable", row["id"]
            assert row["id"] in got[row["id"]]["error_message"] and type(exc).__name__ in got[row["id"]]["error_message"]
            errors.append(row["id"])
            continue
        mine = got[single.id]
        compared += 1
        expect = {
            "spectrum": single.spectrum,
            "flags": json.dumps([[f.flag, f.inherited_from, f.thresholds, f.source] for f in single.flags]),
            "conflicts": sorted(w.message for w in single.warnings if w.code == "license-conflict"),
            "license": single.license.id if single.license else None,
            "effective": single.effective_license.id if single.effective_license else None,
        }
        actual = {
            "spectrum": mine["spectrum"],
            "flags": json.dumps([[f["flag"], f["inherited_from"], f["thresholds"], f["source"]]
                                 for f in json.loads(mine["flags_json"])]),
            "conflicts": sorted(w["message"] for w in json.loads(mine["warnings_json"]) if w["code"] == "license-conflict"),
            "license": mine["license_id"], "effective": mine["effective_license_id"],
        }
        if expect != actual:
            mismatches += 1
            print(single.id, expect, actual)
    assert compared >= 950 and mismatches == 0
    # The sample holds what makes lineage hard.
    sampled = [got[rows[k]["id"]] for k in sample]
    assert any(r["conflict"] for r in sampled) and any(r["inherited_flags"] for r in sampled)
    assert any(r["dangling_bases"] for r in sampled)


def test_cycles_and_dangling_bases_are_reported(bulk3k):
    t = table(bulk3k).to_pylist()
    summary = json.loads((bulk3k / "summary.json").read_text())
    cyclic = [r for r in t if r["in_cycle"]]
    assert cyclic and all("lineage-cycle" in r["warnings"] for r in cyclic)
    assert summary["lineage"]["in_cycle"] == len(cyclic)
    dangling = [r for r in t if r["dangling_bases"]]
    assert dangling and all("base-unavailable" in r["warnings"] for r in dangling)
    assert summary["totals"]["with_dangling_bases"] == len(dangling)


def test_license_texts_are_analysed_once_per_distinct_text(bulk3k, dump3k):
    summary = json.loads((bulk3k / "summary.json").read_text())
    files = list((dump3k / "licenses").rglob("LICENSE"))
    assert summary["texts"]["files"] == len(files) > 50
    # The generator writes three texts in line-ending / copyright variants: three analyses.
    assert summary["texts"]["distinct"] == summary["texts"]["analysed"] == len(hubdump.LICENSE_TEXTS)
    assert summary["other"]["resolved"] > 0 and summary["other"]["unresolved"] > 0


def test_malformed_rows_become_error_rows(bulk3k):
    t = table(bulk3k).to_pylist()
    errors = [r for r in t if r["error_code"]]
    assert errors, "the generator plants malformed rows"
    for r in errors:
        assert r["spectrum"] == "unknown" and r["error_message"].startswith(r["id"])
        assert "\n" not in r["error_message"]
    assert any("characters" in r["error_message"] for r in errors)  # the 900k-character card
    summary = json.loads((bulk3k / "summary.json").read_text())
    assert summary["totals"]["errors"] == len(errors) and summary["models"] == len(t)


def test_summary_counts_add_up(bulk3k):
    t = table(bulk3k).to_pylist()
    s = json.loads((bulk3k / "summary.json").read_text())
    assert sum(s["spectrum"].values()) == len(t) == s["models"]
    assert s["flag"].get("user-cap") == sum("user-cap" in r["flags"] for r in t)
    assert s["totals"]["conflicts"] == sum(r["conflict"] for r in t if not r["error_code"])
    assert s["dump_date"] and s["rows_read"]["stats"] == len(t)


@pytest.fixture(scope="module")
def dump600(tmp_path_factory) -> Path:
    return make_dump(tmp_path_factory.mktemp("dump600"), 600, seed=3)


def comparable(out: Path):
    s = json.loads((out / "summary.json").read_text())
    s.pop("run")
    s.pop("inputs")
    return table(out).to_pylist(), s


@pytest.mark.slow
def test_pandas_only_and_dask_give_identical_output(dump600, tmp_path):
    pytest.importorskip("dask")
    pytest.importorskip("distributed")
    outs, runs = {}, {}
    for scheduler in ("pandas", "synchronous", "processes"):
        out = tmp_path / scheduler
        runs[scheduler] = pipeline.run(inputs(dump600), out, licenses=dump600 / "licenses", scheduler=scheduler,
                                       workers=2, progress=False, bucket_rows=150)["run"]
        outs[scheduler] = comparable(out)
    assert outs["pandas"] == outs["synchronous"] == outs["processes"]
    assert len(outs["pandas"][0]) == 600
    # Peak memory is measured per worker process (two of them), and stays bounded.
    peaks = runs["processes"]["worker_peak_rss_mb"]
    assert len(peaks) == 2 and all(0 < mb < 1500 for mb in peaks.values())


def test_dask_is_imported_only_when_a_dask_scheduler_is_asked_for(dump600, tmp_path):
    code = ("import sys; from openscope.bulk import pipeline; "
            f"pipeline.run({inputs(dump600)!r}, {str(tmp_path / 'o')!r}, progress=False, bucket_rows=300); "
            "print('dask' in sys.modules, 'distributed' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]


def test_an_interrupted_run_resumes_from_finished_partitions(dump600, tmp_path):
    out = tmp_path / "run"
    first = pipeline.run(inputs(dump600), out, licenses=dump600 / "licenses", progress=False, bucket_rows=150)
    expected = comparable(out)
    # What a crash in the report stage leaves: two partitions done, two not.
    for b in (1, 3):
        (out / "_stage" / "done" / f"report-{b}.json").unlink()
        (out / "models" / f"part-b{b:05d}.parquet").unlink()
    (out / "summary.json").unlink()
    again = pipeline.run(inputs(dump600), out, licenses=dump600 / "licenses", progress=False, bucket_rows=150)
    assert again["run"]["tasks_run"] == 2
    assert again["run"]["tasks_skipped"] == first["run"]["tasks_run"] - 2
    assert comparable(out) == expected
    with pytest.raises(Exception, match="other inputs"):
        pipeline.run([str(dump600 / "models.parquet")], out, progress=False, bucket_rows=150)


def test_hf_paths_are_read_through_hffilesystem(dump600, tmp_path, fake_hub, monkeypatch):
    files = {"models.parquet": (dump600 / "models.parquet").read_bytes()}
    for p in (dump600 / "cards").rglob("*.parquet"):
        files["cards/" + p.relative_to(dump600 / "cards").as_posix()] = p.read_bytes()
    fake_hub.add_repo("example-org/hub-dump", files, repo_type="dataset")
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)  # the client's own setting; nothing in it is patched
    local, remote = tmp_path / "local", tmp_path / "remote"
    pipeline.run(inputs(dump600), local, progress=False, bucket_rows=150)
    pipeline.run(["hf://datasets/example-org/hub-dump/models.parquet", "hf://datasets/example-org/hub-dump/cards"],
                 remote, progress=False, bucket_rows=150)
    assert comparable(local)[0] == comparable(remote)[0]
    routes = {r.route for r in fake_hub.requests("example-org/hub-dump")}
    assert {"file", "tree"} <= routes
    assert any(r.status == 206 for r in fake_hub.requests("example-org/hub-dump", route="file"))


@pytest.mark.slow
def test_cli_bulk(dump600, tmp_path):
    out = tmp_path / "cli"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, "-m", "openscope", "bulk", *inputs(dump600), "--out", str(out),
                           "--scheduler", "pandas", "--bucket-rows", "300"], capture_output=True, text=True, env=env)
    assert proc.returncode == 3, proc.stderr  # the planted malformed rows are models that could not be assessed
    assert "600 model(s)" in proc.stderr and "tasks" in proc.stderr  # summary and progress on stderr
    assert pq.read_table(out / "models").num_rows == 600
    bad = subprocess.run([sys.executable, "-m", "openscope", "bulk", str(tmp_path / "nope.parquet"), "--out",
                          str(tmp_path / "x"), "--scheduler", "pandas"], capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "nope.parquet" in bad.stderr
