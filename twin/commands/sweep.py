"""The `twin sweep` command (placeholder until it lands)."""

from __future__ import annotations

import click


@click.command(name="sweep")
def sweep() -> None:
    """Not yet available."""
    raise click.UsageError("twin sweep is not yet available")
