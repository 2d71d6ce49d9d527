"""`openscope diff OLD.json NEW.json`: what changed between two reports."""

from __future__ import annotations

import sys

import click

from openscope.cli.common import run, write_out
from openscope.errors import ExitCode


@click.command()
@click.argument("old", type=click.Path(dir_okay=True))
@click.argument("new", type=click.Path(dir_okay=True))
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="Text, Markdown (a PR comment) or JSON (openscope.diff/1).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write to FILE instead of stdout.")
def diff(old, new, fmt, output):
    """Compare two JSON reports (`scan`/`audit`/`check --format json`): models added or removed, license
    changes, restrictions gained or lost, threshold changes, new license conflicts, changed terms files.

    Exit codes: 0 nothing changed; 1 something changed; 2 a report file is unreadable or not a report.
    """

    def go():
        from openscope.drift import compare, load_report
        from openscope.render.diff import render_diff
        from openscope.types import DiffReport

        before, after = load_report(old), load_report(new)
        result = DiffReport(old=str(old), new=str(new), changes=compare(before, after))
        text = render_diff(result, fmt)
        write_out(text, output, "the diff")
        click.echo(f"openscope: {len(result.changes)} change(s)", err=True)
        return ExitCode.POLICY_VIOLATED if result.changes else ExitCode.OK

    sys.exit(int(run(go)))
