"""The ``twin optimise`` command: the decisions that optimise a KPI, with a statistical guarantee.

``twin optimise FILE`` loads the optimisation file and its base
(``twin.scenario.optimise_file``), searches, sharpens and selects on common random numbers
(``twin.experiments.optimise``) and writes the folder: ``trials.csv``, ``pareto.csv``,
``best.yaml``, ``manifest.json``, ``pareto.png``, ``optimise.pdf`` and ``optimise.html``
(``docs/optimise.md``).
Exit 0 with a feasible answer, 1 when nothing feasible was found within the budget, 2 on bad
input.
"""

from __future__ import annotations

from pathlib import Path

import click

from twin.commands.folders import claim_output
from twin.commands.options import (
    executor_options,
    make_runner,
    no_report_option,
    out_option,
    set_option,
)
from twin.commands.planner_files import write_html

#: Exit code when no candidate is feasible with the file's confidence within the budget.
EXIT_NOTHING_FEASIBLE = 1


@click.command(name="optimise")
@click.argument("optimise_file", metavar="FILE", type=click.Path(path_type=Path))
@out_option("Optimisation folder (default: reports/optimise-<name>/).")
@set_option(
    "Override a key of the optimisation file (repeatable), e.g. --set budget.simulations=60; "
    "a key starting with set. overrides the base scenario, e.g. --set set.run.horizon_days=60."
)
@no_report_option("Skip pareto.png, optimise.pdf and optimise.html.")
@executor_options
def optimise(
    optimise_file: Path,
    out_dir: Path | None,
    overrides: tuple[str, ...],
    no_report: bool,
    workers: int | None,
    scheduler: str | None,
    fresh: bool,
    quiet: bool,
) -> None:
    """Search FILE's decisions for the best feasible one: exit 0 if found, 1 if not."""
    # here, not at import: the search pulls in the model, pandas, optuna and matplotlib
    from twin.experiments.optimise import optimise as run_optimisation
    from twin.experiments.optimise_output import manifest, write_optimisation
    from twin.kpis import kpi_units
    from twin.reports.optimise_report import write_optimise_report
    from twin.scenario.optimise_file import load_optimisation

    spec = load_optimisation(optimise_file, overrides, kpi_units=kpi_units)
    out_dir = out_dir or Path("reports") / f"optimise-{spec.name}"
    folder = claim_output(out_dir, "optimisation folder", "optimise")
    with make_runner(
        folder.path, workers, scheduler, fresh, quiet, label=f"optimise {spec.name}"
    ) as r:
        result = run_optimisation(spec, r)
    scenario = spec.base_scenario
    roles = list(scenario.staffing.roles()) if scenario.staffing else []
    named = [*spec.objective.terms, *(c.kpi for c in spec.constraints)]
    units = {k: v for k, v in kpi_units(roles, named).items() if k in named}
    meta = manifest(result, units)
    with folder.writing() as target:  # all files or none, renamed to out_dir at the end
        write_optimisation(target, result, meta, overlay_dir=out_dir)
        if not no_report:
            write_optimise_report(target)
            write_html(target, "optimise")
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    for sentence in meta["sentences"]:
        click.echo(sentence)
    click.echo(f"Results in {out_dir}")
    if result.winner is None:
        click.get_current_context().exit(EXIT_NOTHING_FEASIBLE)
