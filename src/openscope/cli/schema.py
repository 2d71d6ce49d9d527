"""`openscope schema`"""

from __future__ import annotations

import click


@click.command()
@click.option("--kind", type=click.Choice(("report", "license")), default="report", show_default=True)
def schema(kind):
    """Print the JSON Schema of the report, generated from the code."""
    import json

    from openscope.types import json_schema

    click.echo(json.dumps(json_schema(kind), indent=2))
