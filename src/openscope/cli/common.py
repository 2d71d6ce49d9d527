"""What every subcommand shares: the common options, writing the report, the summary, errors to exit codes."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from openscope.errors import ExitCode, OpenscopeError
from openscope.render.interface import FormatChoices


def common_options(fn):
    fn = click.option("--offline", is_flag=True, envvar="OPENSCOPE_OFFLINE",
                      help="Use only the registry snapshot and the local cache; no network.")(fn)
    fn = click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
                      help="Write the report to FILE instead of stdout.")(fn)
    fn = click.option("--format", "-f", "fmt", type=click.Choice(FormatChoices()),
                      help="Report format (default: table on a terminal, json otherwise).")(fn)
    return fn


def exclude_option(fn):
    return click.option("--exclude", "exclude", multiple=True, metavar="GLOB",
                        help="Do not scan paths matching GLOB (gitignore syntax, relative to the scanned folder "
                             "or the current one; repeatable). Adds to `exclude = [...]` in the policy table.")(fn)


def emit(report, fmt: str | None, output: str | None) -> None:
    from openscope.render.interface import render

    fmt = fmt or ("table" if output is None and sys.stdout.isatty() else "json")
    text = render(report, fmt)
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise OpenscopeError(f"{output}: cannot write report ({exc.strerror or exc})") from None
    else:
        click.echo(text, nl=False)


def summarize(report) -> int:
    """One line per failing model on stderr, then a summary; returns the exit code."""
    failed = [m for m in report.models if m.error]
    for m in failed:
        click.echo(f"openscope: error: {m.error.message}", err=True)
    counts: dict[str, int] = {}
    for m in report.models:
        counts[m.spectrum] = counts.get(m.spectrum, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    click.echo(f"openscope: {len(report.models)} model(s): {summary or 'none'}", err=True)
    return ExitCode.UNASSESSED if failed else ExitCode.OK


def run(fn):
    """Turn openscope errors into one clear line on stderr and the documented exit code."""
    try:
        return fn()
    except OpenscopeError as exc:
        click.echo(f"openscope: error: {exc}", err=True)
        sys.exit(int(exc.exit_code))
