"""The ``twin run`` command: simulate a scenario's replications and write its run folder.

``twin run SCENARIO_FILE`` loads the scenario with its ``--set`` overrides, runs its replications
(``twin.experiments.replicate``), writes the run folder (``twin.experiments.output``) with the
warm-up check ``warmup.csv`` (``twin.kpis.warmup``), draws the charts and ``report.pdf``
(``twin.reports.document``) and prints the KPI summary.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from twin.commands.folders import claim_output
from twin.commands.options import (
    format_option,
    no_report_option,
    out_option,
    quiet_option,
    replications_option,
    set_file_option,
    set_option,
    workers_option,
)
from twin.commands.planner_files import write_html, write_workbook

if TYPE_CHECKING:
    from twin.scenario.schema import Scenario

#: The confidence level of the summary's intervals (the table's "95 % CI").
CONFIDENCE = 0.95


def load_scenario(
    path: Path, overrides: tuple[str, ...] = (), set_files: tuple[Path, ...] = ()
) -> Scenario:
    """The validated scenario in ``path`` with ``--set-file`` workbooks and then ``--set``
    overrides applied."""
    from twin.scenario.loader import load
    from twin.scenario.schema import Scenario

    return load(Scenario, path, list(overrides), set_files=set_files)


@click.command(name="run")
@click.argument("scenario_file", type=click.Path(path_type=Path))
@out_option("Run folder (default: reports/<scenario name>/).")
@replications_option("Overrides run.replications.")
@click.option("--seed", type=click.IntRange(min=0), help="Overrides run.seed.")
@set_option("Override any scenario value (repeatable), e.g. --set run.horizon_days=90.")
@set_file_option(
    "Set the values of a lever workbook's rows (repeatable; `twin template` writes one), "
    "before any --set."
)
@click.option("--orders", "keep_orders", is_flag=True, help="Also write the per-order log.")
@click.option(
    "--orders-format", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True
)
@workers_option("Local processes (default: all cores, at most one per replication).")
@no_report_option("Skip the charts and the PDF.")
@quiet_option("No progress bar or summary table.")
@format_option()
def run(
    scenario_file: Path,
    out_dir: Path | None,
    replications: int | None,
    seed: int | None,
    overrides: tuple[str, ...],
    set_files: tuple[Path, ...],
    keep_orders: bool,
    orders_format: str,
    workers: int | None,
    no_report: bool,
    quiet: bool,
    output_format: str = "table",
) -> None:
    """Simulate SCENARIO_FILE's replications and write KPIs, daily levels and a report."""
    extra = list(overrides)
    if replications is not None:
        extra.append(f"run.replications={replications}")
    if seed is not None:
        extra.append(f"run.seed={seed}")
    scenario = load_scenario(scenario_file, tuple(extra), set_files)
    n = scenario.run.replications
    out_dir = out_dir or Path("reports") / scenario.name
    folder = claim_output(out_dir, "run folder", "run")  # a bad or busy --out costs no run
    # imported once the input is known good: a bad scenario or --out answers at once
    from twin.commands.progress import ProgressBar
    from twin.experiments.output import write_run
    from twin.experiments.replicate import default_workers, run_scenario
    from twin.reports.document import write_report
    from twin.reports.terminal import print_summary, table_console
    from twin.stats import summarise

    start = time.perf_counter()
    with ProgressBar(f"{scenario.name}: replications", quiet=quiet) as progress:
        outputs = run_scenario(scenario, n, workers or default_workers(n), keep_orders, progress)
    wall = time.perf_counter() - start
    from twin.kpis.warmup import warmup_check, warmup_summary

    run_control = scenario.run
    warmup = warmup_check(
        outputs.daily(),
        run_control.warmup_days,
        run_control.horizon_days,
        from_state=scenario.initial_state is not None,
    )
    with folder.writing() as target:  # all files or none, renamed to out_dir at the end
        write_run(target, outputs, wall, orders_format=orders_format)
        warmup.to_csv(target / "warmup.csv", index=False)
        write_workbook(target, "run.xlsx")
        if not no_report:
            write_report(target)
            write_html(target, "run")
    summary = summarise(outputs.kpis(), outputs.units(), CONFIDENCE)
    notes = list(outputs.notes())
    as_json = output_format == "json"
    if as_json:
        from twin.reports.json_summary import run_document, to_json

        document = run_document(
            scenario.name,
            scenario.run.seed,
            n,
            scenario.run.horizon_days,
            scenario.run.warmup_days,
            summary,
            CONFIDENCE,
            str(out_dir),
            notes,
        )
        click.echo(to_json(document))
    elif not quiet:
        print_summary(
            summary,
            f"{scenario.name}: {n} replications, {scenario.run.horizon_days:g} days",
            table_console(),
            scenario.currency,
        )
    if not quiet:
        for note in notes:
            click.echo(f"note: {note}", err=True)
        click.echo(warmup_summary(warmup), err=True)
    click.echo(f"Results in {out_dir} ({wall:.1f} s simulating)", err=as_json)
