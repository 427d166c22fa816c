"""The `twin compare` command (placeholder until it lands)."""

from __future__ import annotations

import click


@click.command(name="compare")
def compare() -> None:
    """Not yet available."""
    raise click.UsageError("twin compare is not yet available")
