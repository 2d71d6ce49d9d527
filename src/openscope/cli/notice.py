"""`openscope notice [PATH...]`: the notice bundle a product ships for the models it uses."""

from __future__ import annotations

import sys

import click

from openscope.cli.common import run, write_out
from openscope.errors import ExitCode


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--include-texts", is_flag=True,
              help="Also include each license, use policy and NOTICE text, as fetched from the model's repository "
                   "at its revision (offline: from the local cache; registry-only models get a link).")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="A plain-text NOTICE file, Markdown, or JSON (openscope.notice/1).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the bundle to FILE instead of stdout.")
@click.option("--since", metavar="GIT_REF", help="Only models referenced on lines added since this git ref.")
@click.option("--offline", is_flag=True, envvar="OPENSCOPE_OFFLINE",
              help="Use only the registry snapshot and the local cache; no network.")
def notice(paths, include_texts, fmt, output, since, offline):
    """Write the notice bundle for the models found under PATHs (default .), the same references `scan` finds.

    For each model: the license that governs its weights, the credits to display, the attribution notices
    and copyright lines its files state, links to the license texts, and what its terms oblige; a base
    model whose terms reach a model gets its own entry. Exit codes: 0 written; 2 usage or input error;
    3 written, but some models could not be assessed (listed under "Not included").
    """

    def go():
        from openscope.api import notice as build
        from openscope.render.notice import render_notice

        bundle = build(paths or (".",), offline=offline, include_texts=include_texts, since=since, progress=True)
        text = render_notice(bundle, fmt)
        write_out(text, output, "the notice bundle")
        for m in bundle.missing:
            click.echo(f"openscope: error: {m.message}", err=True)
        linked = sum(1 for e in bundle.models for t in e.texts if t.text is None)
        note = f"; {linked} text(s) only linked (not at hand offline)" if linked else ""
        click.echo(f"openscope: notice bundle for {len(bundle.models)} model(s) and {len(bundle.hosted)} hosted "
                   f"service(s){note}" + (f"; {len(bundle.missing)} not included" if bundle.missing else ""), err=True)
        return ExitCode.UNASSESSED if bundle.missing else ExitCode.OK

    sys.exit(int(run(go)))
