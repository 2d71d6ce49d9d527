"""`openscope registry refresh IDS...` and `openscope registry build`"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from openscope.cli.common import run
from openscope.errors import ExitCode


@click.group()
def registry():
    """Maintain an offline registry snapshot."""


@registry.command("refresh")
@click.argument("ids", nargs=-1)
@click.option("--from-file", type=click.Path(exists=True, dir_okay=False), help="Also read ids from FILE, one per line.")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="The hub_refresh.json to write or extend (default: registry/hub_refresh.json in openscope's "
                   "cache, $OPENSCOPE_CACHE).")
@click.option("--registry-dir", type=click.Path(file_okay=False),
              help="A registry folder (such as a checkout's src/openscope/models_registry): writes "
                   "DIR/sources/hub_refresh.json.")
def registry_refresh(ids, from_file, output, registry_dir):
    """Fetch Hub models' facts (card data, gated, tags, files, sha) for a registry snapshot."""

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
        if output and registry_dir:
            raise InputError("registry refresh: give --output or --registry-dir, not both")
        from openscope.refs import is_hub_url, parse_hub_url

        # A pasted Hub URL names the same repo (a dataset or Space URL is reported by the refresh).
        wanted = [_url_id(w, parse_hub_url) if is_hub_url(w) else w for w in wanted]
        result = refresh_registry(wanted, Path(registry_dir) if registry_dir else None,
                                  path=Path(output) if output else None)
        for exc in result.failures:
            click.echo(f"openscope: error: {exc}", err=True)
        if result.written:
            click.echo(f"openscope: wrote {len(result.written)} model(s) to {result.path}; merge them into a "
                       f"snapshot with: openscope registry build --refresh {result.path} --output-dir DIR", err=True)
        return ExitCode.UNASSESSED if result.failures else ExitCode.OK

    sys.exit(int(run(go)))


def _url_id(url: str, parse_hub_url) -> str:
    from openscope.errors import InvalidRefError

    try:
        ref = parse_hub_url(url)
    except InvalidRefError:
        return url
    return f"{ref.id}@{ref.revision}" if ref.revision else ref.id


@registry.command("build")
@click.option("--output-dir", required=True, type=click.Path(file_okay=False),
              help="Where hub_models.json and SNAPSHOT go.")
@click.option("--corpus", type=click.Path(file_okay=False), envvar="OPENSCOPE_CORPUS", default="../shared/corpus",
              show_default=True, help="The shared corpus (cards, openness datasets); $OPENSCOPE_CORPUS.")
@click.option("--sources-dir", type=click.Path(file_okay=False),
              help="curated_hub.yaml and license_names.yaml (default: the package's models_registry/sources).")
@click.option("--refresh", type=click.Path(dir_okay=False),
              help="Hub answers written by `registry refresh` (default: SOURCES_DIR/hub_refresh.json, if any).")
def registry_build(output_dir, corpus, sources_dir, refresh):
    """Build an offline registry snapshot (hub_models.json, SNAPSHOT) from facts, never from verdicts."""

    def go():
        from openscope.errors import InputError
        from openscope.sources.registry_build import SOURCES_DIR, BuildError, build, write

        try:
            data, text = build(Path(corpus), Path(sources_dir) if sources_dir else SOURCES_DIR,
                               Path(refresh) if refresh else None)
        except BuildError as exc:
            raise InputError(f"registry build: {exc}") from None
        path = write(data, text, Path(output_dir))
        counts = data["snapshot"]["counts"]
        click.echo(f"openscope: wrote {path} ({counts['models']} models, layers {counts['by_layer']})", err=True)
        return ExitCode.OK

    sys.exit(int(run(go)))
