"""The `twin check` command (placeholder until it lands)."""

from __future__ import annotations

import click


@click.command(name="check")
def check() -> None:
    """Not yet available."""
    raise click.UsageError("twin check is not yet available")
