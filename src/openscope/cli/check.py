"""`openscope check [PATH...]`: the pre-merge gate."""

from __future__ import annotations

import sys

import click

from openscope.cli.common import common_options, emit, exclude_option, print_violations, run
from openscope.errors import OpenscopeError


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False),
              help="Policy file (default: openscope.toml or [tool.openscope] in pyproject.toml, searched upward).")
@click.option("--diff", "base_ref", metavar="BASE_REF",
              help="Check only model references added since this git ref (e.g. origin/main).")
@click.option("--baseline", "baseline", type=click.Path(dir_okay=False), metavar="FILE",
              help="A JSON report of an earlier run: every change since it is reported, and license changes, "
                   "restrictions gained, threshold changes, new conflicts and changed terms files fail the check "
                   "until the baseline is updated.")
@click.option("--warn-only", is_flag=True, help="Report violations but always exit 0 (except for a bad policy).")
@click.option("--quiet", "-q", is_flag=True, help="Print no report, only the violations and the summary (stderr).")
@click.option("--markdown-summary", type=click.Path(dir_okay=False), metavar="FILE",
              help='Also append the Markdown report to FILE (e.g. "$GITHUB_STEP_SUMMARY").')
@exclude_option
@common_options
def check(paths, policy_path, base_ref, baseline, warn_only, quiet, markdown_summary, exclude, fmt, output, offline):
    """The pre-merge gate: scan PATHs (default .), assess the models, apply the policy.

    Exit codes: 0 passed (warnings and unknown = "warn" included); 1 policy violated; 2 bad policy or
    usage; 3 failed only because some models' terms or spectrum could not be established (unknown = "fail").
    """

    def go():
        from openscope.api import check as run_check
        from openscope.policy import load_policy

        policy = load_policy(policy_path)
        if policy.builtin:
            click.echo("openscope: no openscope.toml or [tool.openscope] found; using the built-in default policy",
                       err=True)
        report = run_check(paths or (".",), policy=policy, offline=offline, since=base_ref, progress=True,
                           exclude=exclude, baseline=baseline)
        emit(report, fmt, output, quiet=quiet)
        if markdown_summary:
            append_markdown(report, markdown_summary)
        return summarize_check(report, warn_only)

    sys.exit(int(run(go)))


def append_markdown(report, path: str) -> None:
    from openscope.render.interface import render

    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(render(report, "markdown"))
    except OSError as exc:
        raise OpenscopeError(f"{path}: cannot write the Markdown summary ({exc.strerror or exc})") from None


def summarize_check(report, warn_only: bool) -> int:
    """Each violation on its own stderr line (errors first), then the verdict; returns the exit code."""
    from openscope.policy import exit_code

    result = report.policy
    print_violations(report)
    errors = sum(v.severity == "error" for v in result.violations)
    verdict = "passed" if result.passed else "FAILED"
    code = exit_code(report, warn_only=warn_only)
    note = " (--warn-only: exit 0)" if warn_only and not result.passed else ""
    if code == 3:
        note = " (exit 3: only models whose terms or spectrum could not be established)"
    click.echo(f"openscope: check {verdict}{note}: {errors} error(s), {len(result.violations) - errors} warning(s), "
               f"{len(result.waived)} waived; {len(report.models)} model(s); policy {result.source}", err=True)
    return code
