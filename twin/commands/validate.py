"""The ``twin validate`` command: replay a calibrated model over its history and compare.

``twin validate MODEL_DIR --source ... --mapping ...`` reads the same history as ``twin
calibrate`` (:func:`twin.commands.calibrate.mapped_and_checked`), simulates the model over it
(``twin.calibration.validate``) and writes the comparison, its weekly charts and
``validation.html`` (the same for the browser); exit 1 when a KPI misses its tolerance.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import click

from twin.commands.calibrate import mapped_and_checked
from twin.commands.folders import claim_output
from twin.commands.options import (
    as_of_option,
    mapping_option,
    out_option,
    replications_option,
    workers_option,
)
from twin.commands.planner_files import write_workbook
from twin.errors import InputError


@click.command(name="validate")
@click.argument("model_dir", type=click.Path(path_type=Path))
@click.option(
    "--source", required=True, help="The history the model was fitted from (folder or URL)."
)
@mapping_option()
@click.option(
    "--holdout-from",
    "holdout_from",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Compare only the history from this date (default: the whole active period).",
)
@out_option("Output folder (default: MODEL_DIR/validation/).")
@replications_option(default=10, show_default=True)
@click.option(
    "--tolerance",
    "tolerances",
    multiple=True,
    metavar="KPI=MAPE",
    help="MAPE bound of a KPI (repeatable); defaults weekly_orders=0.20, weekly_revenue=0.25.",
)
@workers_option("Local processes (default: all cores, at most one per replication).")
@as_of_option("Date of the extract, as given to `twin calibrate` (default: now).")
def validate(
    model_dir: Path,
    source: str,
    mapping_file: Path,
    holdout_from: dt.datetime | None,
    out_dir: Path | None,
    replications: int,
    tolerances: tuple[str, ...],
    workers: int | None,
    as_of: dt.datetime | None,
) -> None:
    """Simulate MODEL_DIR's model over its history and compare: exit 1 if a tolerance is missed."""
    from twin.calibration.validate import parse_tolerances, validate_model
    from twin.calibration.validation_output import write_validation

    bounds = parse_tolerances(tolerances)
    if not (model_dir / "model.yaml").is_file():
        raise InputError(f"{model_dir}: no model.yaml; give a folder written by `twin calibrate`")
    out_dir = out_dir or model_dir / "validation"
    folder = claim_output(out_dir, "validation folder", "validate")
    # the same quality step as `twin calibrate`, so the history compared is the history fitted
    _, quality = mapped_and_checked(mapping_file, source, as_of)
    start = time.perf_counter()
    result = validate_model(
        model_dir,
        quality.tables,
        holdout_from=holdout_from.date() if holdout_from else None,
        replications=replications,
        tolerances=bounds,
        workers=workers,
    )
    with folder.writing() as target:  # all files or none, renamed to out_dir at the end
        write_validation(result, target)
        write_workbook(target, "validation.xlsx")
        _write_html(target, result, model_dir)
    period = result.period
    click.echo(
        f"Compared {period.weeks} weeks from {period.start} with {replications} replications "
        f"({time.perf_counter() - start:.1f} s); results in {out_dir / 'validation.csv'}"
    )
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    failures = result.failures()
    for _, row in failures.iterrows():
        click.echo(
            f"FAILED {row['kpi']}: MAPE {row['mape']:.3f} > tolerance {row['tolerance']:g}",
            err=True,
        )
    if len(failures):
        click.get_current_context().exit(1)


def _write_html(target: Path, result, model_dir: Path) -> Path:
    """Write ``validation.html`` beside the weekly charts, from the validation's table."""
    from twin.calibration.validation_output import weekly_figure
    from twin.reports.html_validate import write_validation_html

    labels = {"orders": "Orders per week", "revenue": "Revenue per week"}
    figures = {
        f"weekly_{column}.png": weekly_figure(result.weekly, column, label, result.replications)
        for column, label in labels.items()
    }
    period = result.period
    facts = [
        ("Model", str(model_dir)),
        ("Compared", f"{period.weeks} weeks from {period.start}"),
        ("Replications", str(result.replications)),
    ]
    return write_validation_html(target, result.table, figures, facts, result.notes)
