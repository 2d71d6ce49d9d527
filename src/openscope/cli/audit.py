"""`openscope audit REF...`"""

from __future__ import annotations

import sys

import click

from openscope.cli.common import common_options, emit, run, summarize


@click.command()
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
