"""`openscope init`: write a commented starter policy."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from openscope.cli.common import run
from openscope.errors import ExitCode


@click.command()
@click.argument("path", default="openscope.toml", type=click.Path(dir_okay=False))
@click.option("--preset", metavar="NAME", help="The preset to start from (default: commercial-saas).")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def init(path, preset, force):
    """Write a commented starter policy to PATH (default openscope.toml), for `openscope check`."""

    def go():
        from openscope.errors import InputError
        from openscope.policy import parse_policy, preset_names, starter_policy

        text = starter_policy()
        if preset:
            if preset not in preset_names():
                raise InputError(f"init: --preset: unknown preset {preset!r}; "
                                 f"expected one of {', '.join(preset_names())}")
            text = text.replace('preset = "commercial-saas"', f'preset = "{preset}"', 1)
        target = Path(path)
        if target.exists() and not force:
            raise InputError(f"{path}: already exists; edit it, or pass --force to overwrite it")
        if target.name == "pyproject.toml":
            raise InputError(f"{path}: init writes a policy file of its own; "
                             "put its keys under [tool.openscope] by hand")
        import tomllib

        parse_policy(tomllib.loads(text), target)  # what is written must load
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
        click.echo(f"openscope: wrote {path}; review it, then run: openscope check", err=True)
        return ExitCode.OK

    sys.exit(int(run(go)))
