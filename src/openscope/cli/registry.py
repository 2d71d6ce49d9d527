"""`openscope registry refresh IDS...`"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from openscope.cli.common import run
from openscope.errors import ExitCode


@click.group()
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
        from openscope.refs import is_hub_url, parse_hub_url

        # A pasted Hub URL names the same repo (a dataset or Space URL is reported by the refresh).
        wanted = [_url_id(w, parse_hub_url) if is_hub_url(w) else w for w in wanted]
        result = refresh_registry(wanted, Path(registry_dir) if registry_dir else None)
        for exc in result.failures:
            click.echo(f"openscope: error: {exc}", err=True)
        if result.written:
            click.echo(f"openscope: wrote {len(result.written)} model(s) to {result.path}; merge them into the "
                       "snapshot with: python scripts/build_registry.py", err=True)
        return ExitCode.UNASSESSED if result.failures else ExitCode.OK

    sys.exit(int(run(go)))


def _url_id(url: str, parse_hub_url) -> str:
    from openscope.errors import InvalidRefError

    try:
        ref = parse_hub_url(url)
    except InvalidRefError:
        return url
    return f"{ref.id}@{ref.revision}" if ref.revision else ref.id
