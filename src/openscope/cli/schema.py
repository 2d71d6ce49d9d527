"""`openscope schema`"""

from __future__ import annotations

import click


@click.command()
@click.option("--kind", type=click.Choice(("report", "license", "policy")), default="report", show_default=True)
def schema(kind):
    """Print the JSON Schema of the report (or of a license report, or of the policy file), generated from the code."""
    import json

    if kind == "policy":
        from openscope.policy import policy_schema

        click.echo(json.dumps(policy_schema(), indent=2))
        return
    from openscope.types import json_schema

    click.echo(json.dumps(json_schema(kind), indent=2))
