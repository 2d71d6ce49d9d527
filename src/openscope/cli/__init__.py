"""The command line: a thin shell over the library (`import openscope`), one module per subcommand.

The report goes to stdout (or --output); the summary, progress and errors go to stderr.
Exit codes (SPEC §4): 0 success / policy passed, 1 policy violated, 2 usage or input error,
3 one or more models could not be assessed (the rest are still reported in full).
"""

from __future__ import annotations

import importlib

import click

from openscope._version import __version__

# Each subcommand's module, imported only when that command runs or the group's help lists it: a
# one-model `openscope audit` then loads cli/audit.py and what it uses, not every command's imports.
SUBCOMMANDS = {
    "audit": "openscope.cli.audit:audit",
    "bulk": "openscope.cli.bulk:bulk",
    "check": "openscope.cli.check:check",
    "diff": "openscope.cli.diff:diff",
    "init": "openscope.cli.init:init",
    "license": "openscope.cli.license:license_cmd",
    "notice": "openscope.cli.notice:notice",
    "registry": "openscope.cli.registry:registry",
    "scan": "openscope.cli.scan:scan",
    "schema": "openscope.cli.schema:schema",
}


class LazyGroup(click.Group):
    """A group whose subcommands are named up front and imported on first use (click's documented
    pattern for lazily loaded subcommands: `list_commands` and `get_command` overridden)."""

    def __init__(self, *args, lazy_subcommands: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands

    def list_commands(self, ctx) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in self.commands:
            # An unknown name loads them all: click's "Did you mean ...?" looks among the loaded commands.
            for name in [cmd_name] if cmd_name in self.lazy_subcommands else self.lazy_subcommands:
                self._load(name)
        return super().get_command(ctx, cmd_name)

    def _load(self, name: str) -> None:
        if name in self.commands:
            return
        module, attr = self.lazy_subcommands[name].split(":")
        command = getattr(importlib.import_module(module), attr)
        if command.name != name:
            raise RuntimeError(f"{module}:{attr} is the command {command.name!r}, not {name!r}")
        self.add_command(command)


@click.group(cls=LazyGroup, lazy_subcommands=SUBCOMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="openscope")
@click.option("--debug", is_flag=True, help="Print the traceback of an internal error (also OPENSCOPE_DEBUG=1).")
def cli(debug):
    """How open is an AI model really, and what will its license stop you doing?"""
    if debug:
        import os

        from openscope.errors import DEBUG_ENV

        os.environ[DEBUG_ENV] = "1"


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
