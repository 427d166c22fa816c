"""The ``twin`` command group: what planners type, one command per module in :mod:`twin.commands`.

Every bad input ends in one clear paragraph on stderr and exit code 2, never a traceback: the
commands raise :class:`twin.errors.InputError` and :class:`TwinGroup` turns it into that message.
"""

from __future__ import annotations

import click

from twin import __version__
from twin.commands.calibrate import calibrate
from twin.commands.check import check
from twin.commands.compare import compare
from twin.commands.run import run
from twin.commands.schema import schema
from twin.commands.sweep import sweep
from twin.commands.synth import synth
from twin.commands.validate import validate
from twin.errors import InputError

EXIT_BAD_INPUT = 2


class TwinGroup(click.Group):
    """Turns bad input raised anywhere in a command into its message and exit code 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except InputError as err:
            click.echo(f"Error: {err}", err=True)
            ctx.exit(EXIT_BAD_INPUT)


@click.group(cls=TwinGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="twin")
def cli() -> None:
    """twin: a discrete-event digital twin of the order-to-cash and supply-chain loop.

    Time is in days throughout; money in the scenario's currency.
    """


for _command in (run, schema, calibrate, validate, synth, compare, sweep, check):
    cli.add_command(_command)


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="twin")


if __name__ == "__main__":
    main()
