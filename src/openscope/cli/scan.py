"""`openscope scan [PATH...]`"""

from __future__ import annotations

import sys

import click

from openscope.cli.common import common_options, emit, fail_on_option, judge_fail_on, exclude_option, run, summarize


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--since", metavar="GIT_REF",
              help="Only references on lines added since this git ref (committed, uncommitted or untracked).")
@exclude_option
@fail_on_option
@common_options
def scan(paths, since, exclude, fail_on, fmt, output, offline):
    """Find model references in code, notebooks, configs and manifests under PATHs (default .), then assess them.

    References that cannot be resolved statically (variables, unknown names) are listed under
    `skipped`; they do not change the exit code. Exit codes: 0; 1 a --fail-on rule matched; 3 a model
    could not be assessed (or only 'unknown' matched --fail-on).
    """

    def go():
        from openscope.api import scan as run_scan

        if fail_on:
            from openscope.policy import fail_on_policy

            fail_on_policy(fail_on)  # a typo fails before any work (exit 2)
        report = run_scan(paths or (".",), offline=offline, since=since, progress=True, exclude=exclude)
        judge_fail_on(report, fail_on)
        emit(report, fmt, output)
        if report.skipped:
            click.echo(f"openscope: {len(report.skipped)} reference(s) or file(s) skipped (see 'skipped' in the report)",
                       err=True)
        return summarize(report)

    sys.exit(int(run(go)))
