"""What every subcommand shares: the common options, writing the report, the summary, errors to exit codes."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from openscope.errors import ExitCode, InputError, OpenscopeError, redact
from openscope.render.interface import FormatChoices


class FormatSpec(click.ParamType):
    """`FMT` or `FMT:PATH`: a format name (one module in render/), optionally with the file it goes to."""

    name = "format"

    def __init__(self, licenses: bool = False):
        self.choices = FormatChoices(licenses=licenses)

    def get_metavar(self, param, ctx=None) -> str:
        return "[" + "|".join(self.choices) + "][:PATH]"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        name, sep, path = str(value).partition(":")
        if name not in self.choices:
            self.fail(f"{name!r} is not one of {', '.join(self.choices)} (optionally followed by :PATH)", param, ctx)
        if sep and not path:
            self.fail(f"{value!r}: give a PATH after ':' or leave the ':' out", param, ctx)
        return name, path or None

    def shell_complete(self, ctx, param, incomplete):
        from click.shell_completion import CompletionItem

        return [CompletionItem(n) for n in self.choices if n.startswith(incomplete)]


def _one_bare_format(ctx, param, value):
    bare = [fmt for fmt, path in value if path is None]
    if len(bare) > 1:
        raise click.BadParameter(f"{' and '.join(bare)}: only one format can go to stdout or --output; "
                                 "give the others a file (FMT:PATH)", ctx, param)
    return value


def _no_cache(ctx, param, value):
    if value:
        from openscope.license.cache import disable

        disable()


def format_options(fn, licenses: bool = False):
    # Every command that reports reads license texts, so each offers --no-cache with its formats.
    fn = click.option("--no-cache", is_flag=True, expose_value=False, callback=_no_cache,
                      help="Read every license text afresh: neither use nor store readings in openscope's cache "
                           "($OPENSCOPE_CACHE/readings; OPENSCOPE_NO_CACHE=1 does the same).")(fn)
    fn = click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
                      help="Write the report of a --format without :PATH to FILE instead of stdout.")(fn)
    fn = click.option("--format", "-f", "fmt", type=FormatSpec(licenses=licenses), multiple=True,
                      callback=_one_bare_format,
                      help="Report format, repeatable: FMT writes to stdout (or --output), FMT:PATH to PATH; "
                           "all share one assessment. Default: table on a terminal, json otherwise.")(fn)
    return fn


def common_options(fn):
    fn = click.option("--offline", is_flag=True, envvar="OPENSCOPE_OFFLINE",
                      help="Use only the registry snapshot and the local cache; no network.")(fn)
    return format_options(fn)


def exclude_option(fn):
    return click.option("--exclude", "exclude", multiple=True, metavar="GLOB",
                        help="Do not scan paths matching GLOB (gitignore syntax, relative to the scanned folder "
                             "or the current one; repeatable). Adds to `exclude = [...]` in the policy table.")(fn)


def emit(report, specs, output: str | None, *, quiet: bool = False) -> list[str]:
    """Write the report in every requested format; returns the files written.

    `specs` are (format, path or None) pairs from --format (a bare string is one format). Each format is
    rendered from the same report; a format without a path goes to --output, or to stdout unless `quiet`.
    """
    from openscope.render.interface import render

    if isinstance(specs, str):
        specs = [(specs, None)]
    specs = list(specs or ())
    if not specs:
        specs = [("table" if output is None and sys.stdout.isatty() else "json", None)]
    if sum(path is None for _, path in specs) > 1:
        raise InputError("only one --format without :PATH can go to stdout or --output")
    rendered = [(fmt, path or output, render(report, fmt)) for fmt, path in specs]  # all or nothing
    written = []
    for fmt, path, text in rendered:
        if path or not quiet:
            write_out(text, path, f"the {fmt} report")
        if path:
            written.append(path)
    return written


def write_out(text: str, path, what: str) -> None:
    """`text` to the file `path`, or to stdout when there is none; a failed write is a one-line error
    (stdout on a full disk or a closed pipe: a truncated output must not pass as a good one)."""
    if path:
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise OpenscopeError(f"{path}: cannot write {what} ({exc.strerror or exc})") from None
        return
    try:
        click.echo(text, nl=False)
        sys.stdout.flush()
    except OSError as exc:
        _drop_stdout()
        raise OpenscopeError(f"cannot write {what} to stdout ({exc.strerror or exc})") from None


def print_violations(report) -> None:
    """One stderr line per violation, errors first, each naming where the model is referenced (file:line)."""
    from openscope.types import locations_by_model

    places = locations_by_model(report)
    for v in report.policy.violations:
        where = places.get(v.model) or []
        at = ""
        if where:
            more = f" (+{len(where) - 1} more)" if len(where) > 1 else ""
            at = f"{where[0].path}:{where[0].line}{more}: "
        click.echo(f"openscope: {v.severity}: [{v.rule}] {at}{v.message}", err=True)
    for w in report.policy.waived:
        until = f" until {w.expires}" if w.expires else ""
        click.echo(f"openscope: waived: [{w.rule}] {w.model}{until}: {w.reason}", err=True)


def fail_on_option(fn):
    return click.option("--fail-on", "fail_on", multiple=True, metavar="RULES",
                        help="Exit 1 when a model carries one of these flags or sits on one of these spectra "
                             "(comma-separated or repeated: non-commercial,closed-api; 'unknown' for models whose "
                             "terms or spectrum could not be established, exit 3).")(fn)


def judge_fail_on(report, fail_on) -> None:
    """`--fail-on`: judge the report against the policy those rules make (report.policy)."""
    if fail_on:
        from openscope.policy import apply_fail_on, fail_on_policy

        report.policy = apply_fail_on(fail_on_policy(fail_on), report)


def _drop_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail again after our error."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def summarize(report) -> int:
    """One line per failing model on stderr, then a summary; returns the exit code."""
    failed = [m for m in report.models if m.error]
    for m in failed:
        click.echo(f"openscope: error: {redact(m.error.message)}", err=True)
    counts: dict[str, int] = {}
    for m in report.models:
        counts[m.spectrum] = counts.get(m.spectrum, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    click.echo(f"openscope: {len(report.models)} model(s): {summary or 'none'}", err=True)
    if report.policy is not None:  # --fail-on
        from openscope.policy import exit_code

        print_violations(report)
        code = exit_code(report, gate=False)
        if report.policy.violations:
            click.echo(f"openscope: --fail-on matched {len(report.policy.violations)} time(s) "
                       f"({report.policy.source.removeprefix('--fail-on ')}): exit {int(code)}", err=True)
        return code
    return ExitCode.UNASSESSED if failed else ExitCode.OK


def run(fn):
    """Turn openscope errors into one clear line on stderr and the documented exit code."""
    try:
        return fn()
    except OpenscopeError as exc:
        click.echo(f"openscope: error: {redact(str(exc))}", err=True)
        sys.exit(int(exc.exit_code))
    except Exception as exc:  # a bug outside any one model: one line and exit 3, never exit 1 ("policy violated")
        from openscope.errors import internal_error

        click.echo(f"openscope: error: {internal_error('openscope', exc)}", err=True)
        sys.exit(int(ExitCode.UNASSESSED))
