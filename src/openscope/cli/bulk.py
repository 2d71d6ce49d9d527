"""`openscope bulk DUMP... --out DIR`: audit a whole Hub dump on Dask (the `bulk` extra)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from openscope.cli.common import run
from openscope.errors import ExitCode, InputError


@click.command("bulk")
@click.argument("dumps", nargs=-1, required=True)
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="Output folder: models/ (parquet, one row per model), summary.json, _stage/ (resumable work).")
@click.option("--licenses", type=click.Path(file_okay=False, exists=True),
              help="Folder of fetched license files, <org>/<name>/LICENSE (USE_POLICY.md, NOTICE ...).")
@click.option("--scheduler", default="processes", show_default=True,
              help="synchronous | processes | ADDRESS of a Dask scheduler (tcp://host:8786) | pandas (no Dask).")
@click.option("--workers", type=int, default=None, help="Worker processes for --scheduler processes [CPU count].")
@click.option("--bucket-rows", type=int, default=5000, show_default=True, help="Models per partition.")
@click.option("--restart", is_flag=True, help="Drop the unfinished work in --out and start over.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def bulk(dumps, out, licenses, scheduler, workers, bucket_rows, restart, quiet):
    """Audit every model of hub-stats / model-card dumps (files, folders or hf://datasets/... paths).

    Reads only the columns it needs, analyses each distinct license text once, resolves lineage over
    the whole base graph, and resumes from finished partitions when run again on the same --out."""

    def go():
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InputError('openscope bulk reads parquet with pyarrow: pip install "openscope[bulk]"') from None
        if scheduler != "pandas":
            try:
                import dask  # noqa: F401
                if scheduler != "synchronous":
                    import distributed  # noqa: F401
            except ImportError:
                raise InputError('--scheduler needs Dask: pip install "openscope[bulk]" (or --scheduler pandas)') from None
        if bucket_rows < 1:
            raise InputError("--bucket-rows must be at least 1")
        from openscope.bulk.pipeline import run as run_bulk

        summary = run_bulk(list(dumps), Path(out), licenses=Path(licenses) if licenses else None, scheduler=scheduler,
                           workers=workers or os.cpu_count() or 1, progress=not quiet, bucket_rows=bucket_rows,
                           restart=restart)
        spectrum = ", ".join(f"{n} {s}" for s, n in summary["spectrum"].items())
        errors = summary["totals"].get("errors", 0)
        click.echo(f"openscope: bulk: {summary['models']} model(s): {spectrum or 'none'}; {errors} error row(s); "
                   f"{summary['run']['wall_s']}s; {out}/models, {out}/summary.json", err=True)
        return ExitCode.UNASSESSED if errors else ExitCode.OK

    sys.exit(int(run(go)))
