"""`openscope license FILE...`"""

from __future__ import annotations

import functools
import sys

import click

from openscope.cli.common import emit, format_options, run
from openscope.errors import ExitCode


@click.command("license")
@click.argument("files", nargs=-1, required=True)
@functools.partial(format_options, licenses=True)
def license_cmd(files, fmt, output):
    """Identify license texts and flag their restrictions (FILE may be '-' for stdin)."""

    def go():
        from openscope.api import analyze_license_files

        stdin_data = None
        if "-" in files:  # bytes, decoded like a file; endless input stops one byte past the cap (then cut)
            from openscope.text.bounded import read_stream_bounded
            from openscope.text.decode import MAX_LICENSE_BYTES

            stdin_data, _ = read_stream_bounded(sys.stdin.buffer, MAX_LICENSE_BYTES + 1, truncate=True)
        # The spaCy pipeline, matchers and classifier live until exit: keeping the collector from
        # rescanning them makes a batch ~30% faster (measured in bench/run.py). Readings the cache
        # holds need none of them, so the warm-up waits for a text that must be read.
        report = analyze_license_files(files, stdin_text=stdin_data, freeze=True)
        emit(report, fmt, output)
        failed = [e for e in report.licenses if e.error]
        for e in failed:
            click.echo(f"openscope: error: {e.error.message}", err=True)
        return ExitCode.UNASSESSED if failed else ExitCode.OK

    sys.exit(int(run(go)))
