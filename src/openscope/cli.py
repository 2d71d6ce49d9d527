"""The command line: a thin shell over the library (`import openscope`).

The report goes to stdout (or --output); the summary, progress and errors go to stderr.
Exit codes (SPEC §4): 0 success / policy passed, 1 policy violated, 2 usage or input error,
3 one or more models could not be assessed (the rest are still reported in full).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from openscope._version import __version__
from openscope.errors import ExitCode, OpenscopeError

FORMAT_CHOICES = ("table", "json", "markdown", "sarif", "cyclonedx")


def common_options(fn):
    fn = click.option("--offline", is_flag=True, envvar="OPENSCOPE_OFFLINE",
                      help="Use only the registry snapshot and the local cache; no network.")(fn)
    fn = click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
                      help="Write the report to FILE instead of stdout.")(fn)
    fn = click.option("--format", "-f", "fmt", type=click.Choice(FORMAT_CHOICES),
                      help="Report format (default: table on a terminal, json otherwise).")(fn)
    return fn


def emit(report, fmt: str | None, output: str | None) -> None:
    from openscope.render import render

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="openscope")
def cli():
    """How open is an AI model really, and what will its license stop you doing?"""


@cli.command()
@click.argument("refs", nargs=-1, required=True)
@common_options
def audit(refs, fmt, output, offline):
    """Assess models: Hub ids (org/name[@rev]), local folders or cards, API model names."""

    def go():
        from openscope.api import audit as run_audit

        report = run_audit(refs, offline=offline)
        emit(report, fmt, output)
        return summarize(report)

    sys.exit(int(run(go)))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--since", metavar="GIT_REF",
              help="Only references on lines added since this git ref (committed, uncommitted or untracked).")
@common_options
def scan(paths, since, fmt, output, offline):
    """Find model references in code, notebooks, configs and manifests under PATHs (default .), then assess them.

    References that cannot be resolved statically (variables, unknown names) are listed under
    `skipped`; they do not change the exit code.
    """

    def go():
        from openscope.api import scan as run_scan

        report = run_scan(paths or (".",), offline=offline, since=since, progress=True)
        emit(report, fmt, output)
        if report.skipped:
            click.echo(f"openscope: {len(report.skipped)} reference(s) or file(s) skipped (see 'skipped' in the report)",
                       err=True)
        return summarize(report)

    sys.exit(int(run(go)))


@cli.command("license")
@click.argument("files", nargs=-1, required=True)
@click.option("--format", "-f", "fmt", type=click.Choice(("table", "json", "markdown", "sarif")),
              help="Report format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE.")
def license_cmd(files, fmt, output):
    """Identify license texts and flag their restrictions (FILE may be '-' for stdin)."""

    def go():
        from openscope.api import analyze_license_files

        stdin_data = sys.stdin.buffer.read() if "-" in files else None  # bytes: decoded like a file
        if len(files) > 1:
            import gc

            from openscope.license import warm_up

            # The spaCy pipeline, matchers and classifier live until exit: keeping the collector from
            # rescanning them makes a batch ~30% faster (measured in bench/run.py).
            warm_up()
            gc.freeze()
        report = analyze_license_files(files, stdin_text=stdin_data)
        emit(report, fmt, output)
        failed = [e for e in report.licenses if e.error]
        for e in failed:
            click.echo(f"openscope: error: {e.error.message}", err=True)
        return ExitCode.UNASSESSED if failed else ExitCode.OK

    sys.exit(int(run(go)))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False),
              help="Policy file (default: openscope.toml or [tool.openscope] in pyproject.toml, searched upward).")
@click.option("--diff", "base_ref", metavar="BASE_REF",
              help="Check only model references added since this git ref (e.g. origin/main).")
@click.option("--warn-only", is_flag=True, help="Report violations but always exit 0 (except for a bad policy).")
@click.option("--quiet", "-q", is_flag=True, help="Print no report, only the violations and the summary (stderr).")
@click.option("--markdown-summary", type=click.Path(dir_okay=False), metavar="FILE",
              help='Also append the Markdown report to FILE (e.g. "$GITHUB_STEP_SUMMARY").')
@common_options
def check(paths, policy_path, base_ref, warn_only, quiet, markdown_summary, fmt, output, offline):
    """The pre-merge gate: scan PATHs (default .), assess the models, apply the policy.

    Exit codes: 0 passed; 1 policy violated; 2 bad policy or usage; 3 passed except that some models
    could not be assessed and the policy says unknown = "warn".
    """

    def go():
        from openscope.api import check as run_check
        from openscope.policy import load_policy

        policy = load_policy(policy_path)
        if policy.builtin:
            click.echo("openscope: no openscope.toml or [tool.openscope] found; using the built-in default policy",
                       err=True)
        report = run_check(paths or (".",), policy=policy, offline=offline, since=base_ref, progress=True)
        if not quiet or output:
            emit(report, fmt, output)
        if markdown_summary:
            append_markdown(report, markdown_summary)
        return summarize_check(report, warn_only)

    sys.exit(int(run(go)))


def append_markdown(report, path: str) -> None:
    from openscope.render import render

    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(render(report, "markdown"))
    except OSError as exc:
        raise OpenscopeError(f"{path}: cannot write the Markdown summary ({exc.strerror or exc})") from None


def summarize_check(report, warn_only: bool) -> int:
    """Each violation on its own stderr line (errors first), then the verdict; returns the exit code."""
    from openscope.policy import exit_code

    result = report.policy
    for v in result.violations:
        click.echo(f"openscope: {v.severity}: [{v.rule}] {v.message}", err=True)
    for w in result.waived:
        until = f" until {w.expires}" if w.expires else ""
        click.echo(f"openscope: waived: [{w.rule}] {w.model}{until}: {w.reason}", err=True)
    errors = sum(v.severity == "error" for v in result.violations)
    verdict = "passed" if result.passed else "FAILED"
    code = exit_code(report, warn_only=warn_only)
    note = " (--warn-only: exit 0)" if warn_only and not result.passed else ""
    click.echo(f"openscope: check {verdict}{note}: {errors} error(s), {len(result.violations) - errors} warning(s), "
               f"{len(result.waived)} waived; {len(report.models)} model(s); policy {result.source}", err=True)
    return code


@cli.command()
@click.option("--kind", type=click.Choice(("report", "license")), default="report", show_default=True)
def schema(kind):
    """Print the JSON Schema of the report, generated from the code."""
    import json

    from openscope.types import json_schema

    click.echo(json.dumps(json_schema(kind), indent=2))


@cli.group()
def registry():
    """Maintain the offline registry snapshot."""


@registry.command("refresh")
@click.argument("ids", nargs=-1)
@click.option("--from-file", type=click.Path(exists=True, dir_okay=False), help="Also read ids from FILE, one per line.")
@click.option("--registry-dir", type=click.Path(file_okay=False),
              help="Registry folder (default: the package's models_registry); writes sources/hub_refresh.json.")
def registry_refresh(ids, from_file, registry_dir):
    """Fetch Hub models' facts (card data, gated, tags, files, sha) for the registry snapshot."""

    def go():
        from openscope.errors import InputError
        from openscope.sources.hub import read_id_file, refresh_registry

        wanted = list(ids)
        if from_file:
            try:
                wanted += read_id_file(Path(from_file))
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"{from_file}: cannot read ids ({getattr(exc, 'strerror', None) or exc})") from None
        if not wanted:
            raise InputError("registry refresh: give model ids or --from-file FILE")
        result = refresh_registry(wanted, Path(registry_dir) if registry_dir else None)
        for exc in result.failures:
            click.echo(f"openscope: error: {exc}", err=True)
        if result.written:
            click.echo(f"openscope: wrote {len(result.written)} model(s) to {result.path}; merge them into the "
                       "snapshot with: python scripts/build_registry.py", err=True)
        return ExitCode.UNASSESSED if result.failures else ExitCode.OK

    sys.exit(int(run(go)))


def main():
    cli(prog_name="openscope")


if __name__ == "__main__":
    main()
