"""The ``twin template`` command: a scenario's levers as an Excel workbook a planner edits.

``twin template SCENARIO_FILE --out levers.xlsx`` loads the scenario (with any ``--set``) and
writes one row per lever key (``twin.scenario.workbook_overrides``): key path, current value,
unit, what it takes and description. The edited workbook goes back in with ``twin run SCENARIO
--set-file levers.xlsx`` or ``overrides: levers.xlsx`` in a scenario file (docs/scenarios.md).
"""

from __future__ import annotations

from pathlib import Path

import click

from twin.commands.options import set_option


@click.command(name="template")
@click.argument("scenario_file", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The workbook to write (.xlsx).",
)
@set_option("Override a scenario value before writing (repeatable).")
def template(scenario_file: Path, out_file: Path, overrides: tuple[str, ...]) -> None:
    """Write SCENARIO_FILE's lever keys as an Excel workbook to edit and pass to --set-file."""
    from twin.errors import InputError
    from twin.scenario.loader import load
    from twin.scenario.schema import Scenario
    from twin.scenario.workbook_overrides import lever_rows, write_template

    if out_file.suffix.lower() != ".xlsx":
        raise InputError(f"--out {out_file}: give a workbook name ending in .xlsx")
    scenario = load(Scenario, scenario_file, list(overrides))
    rows = lever_rows(scenario)
    write_template(rows, out_file, f"{scenario.name} ({scenario_file})")
    click.echo(f"{len(rows)} lever keys of {scenario.name} in {out_file}")
