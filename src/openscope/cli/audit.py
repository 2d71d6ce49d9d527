"""`openscope audit REF...` (and `-r FILE`, `-r -` for stdin)"""

from __future__ import annotations

import sys
from dataclasses import replace

import click

from openscope.cli.common import common_options, emit, fail_on_option, judge_fail_on, run, summarize


@click.command()
@click.argument("refs", nargs=-1)
@click.option("--refs-file", "-r", "refs_files", multiple=True, metavar="FILE",
              help="Also read references from FILE, one per line (# comments); '-' reads stdin. Repeatable.")
@fail_on_option
@common_options
def audit(refs, refs_files, fail_on, fmt, output, offline):
    """Assess models: Hub ids (org/name[@rev]) or Hub URLs, local folders or cards, API model names
    (gpt-4o, provider:name), Ollama names (ollama:llama3.1:8b)."""

    def go():
        from openscope.api import audit as run_audit
        from openscope.errors import InputError

        wanted = list(refs)
        for name in refs_files:
            wanted += read_refs_file(name)
        if not wanted:
            raise InputError("audit: give model references, or -r FILE (one per line; '-' for stdin)")
        if fail_on:
            from openscope.policy import fail_on_policy

            fail_on_policy(fail_on)  # a typo fails before any work (exit 2)
        report = run_audit(wanted, offline=offline)
        judge_fail_on(report, fail_on)
        emit(report, fmt, output)
        return summarize(report)

    sys.exit(int(run(go)))


def read_refs_file(name: str) -> list:
    """Each line of FILE as a ModelRef that knows its place (FILE:LINE), or the error naming that place."""
    from openscope.errors import InputError, InvalidRefError
    from openscope.refs import parse_ref, ref_lines
    from openscope.types import Location

    from openscope.text.bounded import read_bounded, read_stream_bounded
    from openscope.text.decode import MAX_TEXT_BYTES

    shown = "<stdin>" if name == "-" else name

    def refused(message: str) -> InputError:
        return InputError(message.replace(": ", ": cannot read references: ", 1) if "cannot read" not in message
                          else message.replace("cannot read", "cannot read references", 1))

    if name == "-":
        data, _ = read_stream_bounded(getattr(sys.stdin, "buffer", sys.stdin), MAX_TEXT_BYTES, error=refused)
    else:
        data, _ = read_bounded(name, MAX_TEXT_BYTES, label=name, error=refused)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{shown}: cannot read references (not UTF-8 text)") from None
    out: list = []
    for number, entry in ref_lines(text):
        try:
            ref = parse_ref(entry)
        except InvalidRefError as exc:
            out.append(InvalidRefError(entry, f"{shown}:{number}: {exc}"))
            continue
        out.append(replace(ref, locations=(Location(shown, number),)))
    return out
