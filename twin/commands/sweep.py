"""The ``twin sweep`` command: a sensitivity sweep over a scenario's parameters.

``twin sweep FILE`` loads the sweep file and its base (``twin.scenario.sweep``), runs every design
point times every replication on common random numbers (``twin.experiments.sweep``), computes
the design's sensitivity indices (``twin.experiments.sensitivity``) and writes the sweep folder:
``design.csv``, ``results.csv``, ``sensitivity.csv``, ``manifest.json``, the charts and
``sweep.pdf`` (``docs/sweeps.md``).
"""

from __future__ import annotations

import time
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
from twin.commands.planner_files import write_html, write_workbook


@click.command(name="sweep")
@click.argument("sweep_file", metavar="FILE", type=click.Path(path_type=Path))
@out_option("Sweep folder (default: reports/sweep-<name>/).")
@set_option(
    "Override a key of the sweep file (repeatable), e.g. --set replications=1; a key "
    "starting with set. overrides the base scenario, e.g. --set set.run.horizon_days=60."
)
@no_report_option("Skip the charts and sweep.pdf.")
@executor_options
def sweep(
    sweep_file: Path,
    out_dir: Path | None,
    overrides: tuple[str, ...],
    no_report: bool,
    workers: int | None,
    scheduler: str | None,
    fresh: bool,
    quiet: bool,
) -> None:
    """Run the sensitivity sweep in FILE and write its results, indices, charts and PDF."""
    # here, not at import: the sweep pulls in the model, pandas, scipy and matplotlib
    from twin.experiments.sensitivity import HEADLINE, analyse, headline
    from twin.experiments.sweep import run_sweep, sweep_manifest, write_sweep
    from twin.formatting import format_value
    from twin.kpis import kpi_units
    from twin.reports.sweep_figures import UNITLESS, kpi_title
    from twin.reports.sweep_report import write_sweep_report
    from twin.scenario.sweep import load_sweep

    spec = load_sweep(sweep_file, overrides, kpi_units=kpi_units)
    out_dir = out_dir or Path("reports") / f"sweep-{spec.name}"
    folder = claim_output(out_dir, "sweep folder", "sweep")  # a bad --out costs no sweep
    start = time.perf_counter()
    # The one place the runner is built: executor, result store (resume) and progress bar.
    label = f"sweep {spec.name}"
    with make_runner(folder.path, workers, scheduler, fresh, quiet, label=label) as r:
        runs = run_sweep(spec, r)
    wall = time.perf_counter() - start
    sensitivity = analyse(spec, runs.results)
    kind = spec.design.kind
    manifest = sweep_manifest(runs, wall, HEADLINE[kind])
    with folder.writing() as target:  # all files or none, renamed to out_dir at the end
        write_sweep(target, runs, sensitivity, manifest)
        write_workbook(target, "sweep.xlsx")
        if not no_report:
            write_sweep_report(target)
            write_html(target, "sweep")
    for note in runs.notes:
        click.echo(f"note: {note}", err=True)
    if not quiet:
        method, index = HEADLINE[kind]
        labels = {p.path: p.name for p in spec.parameters}
        for kpi, rows in headline(kind, sensitivity).groupby("kpi", sort=False):
            unit = "ratio" if index in UNITLESS else manifest["units"].get(kpi, "")
            top = ", ".join(
                f"{labels.get(row.parameter, row.parameter)} {format_value(row.value, unit)}"
                for row in rows.head(3).itertuples()
            )
            click.echo(f"{kpi_title(manifest, kpi)} [{kpi}]: largest {index} ({method}): {top}")
    click.echo(
        f"Results in {out_dir} ({len(runs.design)} points x {spec.replications} replications, "
        f"{wall:.1f} s)"
    )
