"""The ``twin`` command group: what planners type, one command per module in :mod:`twin.commands`.

Every bad input ends in one clear paragraph on stderr and exit code 2, never a traceback: the
commands raise :class:`twin.errors.InputError` and :class:`TwinGroup` turns it into that message.

The commands are loaded lazily: :data:`COMMANDS` names each command's module and its one-line
help, so ``twin --help`` and ``twin --version`` import no command module, and ``twin run ...``
imports only ``twin.commands.run``. The command modules in turn import pandas, scipy, matplotlib
and the model inside their functions, so ``twin <command> --help`` and bad input answer at once.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

import click

from twin import __version__
from twin.errors import InputError

EXIT_BAD_INPUT = 2

#: name -> (module defining a click command of that name, the command's one-line help as its
#: docstring's first paragraph says it); ``tests/cli/test_startup.py`` keeps the two in step.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": (
        "twin.commands.run",
        "Simulate SCENARIO_FILE's replications and write KPIs, daily levels and a report.",
    ),
    "schema": (
        "twin.commands.schema",
        "Print the JSON Schema of scenario files, for editors that validate YAML as you type.",
    ),
    "calibrate": (
        "twin.commands.calibrate",
        "Fit a scenario base from the ERP/CRM history in SOURCE (a folder or a database URL).",
    ),
    "validate": (
        "twin.commands.validate",
        "Simulate MODEL_DIR's model over its history and compare: exit 1 if a tolerance is missed.",
    ),
    "backtest": (
        "twin.commands.backtest",
        "Calibrate before each origin and score the weeks after: exit 1 if a tolerance is missed.",
    ),
    "synth": (
        "twin.commands.synth",
        "Write ERP and CRM history of a scenario's company, with realistic dirt, for calibration.",
    ),
    "compare": (
        "twin.commands.compare",
        "Compare BASE with its variants on common random numbers.",
    ),
    "sweep": (
        "twin.commands.sweep",
        "Run the sensitivity sweep in FILE and write its results, indices, charts and PDF.",
    ),
    "template": (
        "twin.commands.template",
        "Write SCENARIO_FILE's lever keys as an Excel workbook to edit and pass to --set-file.",
    ),
    "optimise": (
        "twin.commands.optimise",
        "Search FILE's decisions for the best feasible one: exit 0 if found, 1 if not.",
    ),
    "check": (
        "twin.commands.check",
        "Run FILE (a scenario or a sweep) and judge its checks: exit 0 if all hold, 1 if not.",
    ),
    "recommend-stock": (
        "twin.commands.recommend_stock",
        "Recommend per-SKU reorder points and order-up-to levels for a fill rate or least cost.",
    ),
}


class TwinGroup(click.Group):
    """Turns bad input raised anywhere in a command into its message and exit code 2, and loads
    the commands of ``lazy_commands`` (name -> (module, one-line help)) when first used."""

    def __init__(
        self,
        *args: object,
        lazy_commands: Mapping[str, tuple[str, str]] | None = None,
        **kw: object,
    ) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.add_command(load_command(cmd_name, self.lazy_commands[cmd_name][0]))
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their one-line help, as click lists them, without loading any."""
        commands: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None:  # not loaded: a stand-in carrying the registered help
                command = click.Command(name, help=self.lazy_commands[name][1])
            if not command.hidden:
                commands.append((name, command))
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _ in commands)
            rows = [(name, command.get_short_help_str(limit)) for name, command in commands]
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except InputError as err:
            click.echo(f"Error: {err}", err=True)
            ctx.exit(EXIT_BAD_INPUT)


def load_command(name: str, module: str) -> click.Command:
    """The click command ``name`` defined in ``module`` (as ``name`` with ``_`` for ``-``),
    imported now."""
    command = getattr(importlib.import_module(module), name.replace("-", "_"))
    if not isinstance(command, click.Command):
        raise TypeError(f"{module}.{name} is not a click command")
    return command


@click.group(
    cls=TwinGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="twin")
def cli() -> None:
    """twin: a discrete-event digital twin of the order-to-cash and supply-chain loop.

    Time is in days throughout; money in the scenario's currency.
    """


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="twin")


if __name__ == "__main__":
    main()
