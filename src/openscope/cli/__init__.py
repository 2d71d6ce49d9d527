"""The command line: a thin shell over the library (`import openscope`), one module per subcommand.

The report goes to stdout (or --output); the summary, progress and errors go to stderr.
Exit codes (SPEC §4): 0 success / policy passed, 1 policy violated, 2 usage or input error,
3 one or more models could not be assessed (the rest are still reported in full).
"""

from __future__ import annotations

import click

from openscope._version import __version__
from openscope.cli.audit import audit
from openscope.cli.bulk import bulk
from openscope.cli.check import check
from openscope.cli.diff import diff
from openscope.cli.init import init
from openscope.cli.license import license_cmd
from openscope.cli.notice import notice
from openscope.cli.registry import registry
from openscope.cli.scan import scan
from openscope.cli.schema import schema


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="openscope")
@click.option("--debug", is_flag=True, help="Print the traceback of an internal error (also OPENSCOPE_DEBUG=1).")
def cli(debug):
    """How open is an AI model really, and what will its license stop you doing?"""
    if debug:
        import os

        from openscope.errors import DEBUG_ENV

        os.environ[DEBUG_ENV] = "1"


for command in (audit, scan, license_cmd, check, init, diff, notice, schema, registry, bulk):
    cli.add_command(command)


def main():
    import gc

    # A large run keeps millions of objects alive until its report is written, and each time that heap
    # grows by a quarter the collector walks all of it again: 10,000 card folders paid for 12 such full
    # collections, 3.6 s of the 24 s of CPU a loaded run took. Full collections ten times rarer leave
    # one there; the young generations, where cyclic garbage is found, are collected as before.
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, old * 10)
    cli(prog_name="openscope")


if __name__ == "__main__":
    main()
