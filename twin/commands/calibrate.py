"""The ``twin calibrate`` command: fit a scenario base from ERP/CRM history.

``twin calibrate SOURCE --mapping FILE --out DIR`` maps the source's tables onto the canonical
history (``twin.calibration.mapping``), sends every row through the quality step
(``twin.calibration.quality``), fits the model (``twin.calibration.calibrate``) and writes the
model folder with ``quality.csv`` and ``calibration.pdf``; with ``--as-of DATE`` also the
company's open state at the start of DATE (``state/``, :mod:`twin.calibration.open_state`).
:func:`mapped_and_checked` is shared with ``twin validate``, so the history compared is the
history fitted.

The calibration modules are imported when a command runs, not when ``twin`` starts: they pull in
scipy and the data readers, which every other command would otherwise pay for.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from twin.commands.folders import claim_output
from twin.commands.options import as_of_option, mapping_option, out_option
from twin.commands.planner_files import write_workbook
from twin.errors import InputError

if TYPE_CHECKING:
    from twin.calibration.timing import PhaseTimer


def mapped_and_checked(
    mapping_file: Path, source: str, as_of: dt.datetime | None, timer: PhaseTimer | None = None
):
    """The history of ``source`` mapped by ``mapping_file`` and through the quality step; one
    place, so `calibrate` and `validate` see the same history. `timer` records the phases
    ``read`` and ``quality``."""
    from twin.calibration.mapping import apply_mapping
    from twin.calibration.mapping_schema import load_mapping
    from twin.calibration.quality import check_history
    from twin.calibration.timing import PhaseTimer

    timer = timer or PhaseTimer()
    with timer.phase("read"):
        mapping = load_mapping(mapping_file)
        mapped = apply_mapping(mapping, source)
    with timer.phase("quality"):
        quality = check_history(
            mapped.tables,
            as_of=as_of,
            source_line_numbers=mapping.line_numbers_from_source,
            match=mapped.match,  # the ERP-CRM account match, when the mapping asks for one
            notes=mapped.notes,
            origins=mapped.origins,  # quarantined rows name their file and row
            **mapping.quality_options(),
        )
    return mapped, quality


@click.command(name="calibrate")
@click.argument("source")
@mapping_option()
@out_option("Model folder to write, e.g. calibration/<name>/.", required=True)
@click.option("--name", help="Scenario name of the model (default: the out folder's name).")
@click.option("--strict", is_flag=True, help="Fail (exit 2) if any row is quarantined.")
@as_of_option("Date of the extract: later timestamps are future dates (default: now).")
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Fit only the history before this date (then validate --holdout-from it).",
)
@click.option(
    "--verbose",
    is_flag=True,
    help="Print the seconds of each phase (read, quality, each fit, state, writing, report).",
)
def calibrate(
    source: str,
    mapping_file: Path,
    out_dir: Path,
    name: str | None,
    strict: bool,
    as_of: dt.datetime | None,
    until: dt.datetime | None,
    verbose: bool,
) -> None:
    """Fit a scenario base from the ERP/CRM history in SOURCE (a folder or a database URL)."""
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    from twin.calibration.timing import PhaseTimer

    timer = PhaseTimer()
    with timer.phase("import"):  # scipy, pandas and matplotlib, loaded on first use
        from twin.calibration.calibrate import calibrate_history, history_until
        from twin.calibration.output import write_model
        from twin.calibration.quality_output import write_quality
        from twin.calibration.report import write_calibration_report
        from twin.calibration.sources import shown_source

    folder = claim_output(out_dir, "model folder", "calibrate")
    mapped, quality = mapped_and_checked(mapping_file, source, as_of, timer)
    quarantined = quality.counts.loc[quality.counts["outcome"] == "quarantined", "rows"].sum()
    if strict and quarantined:
        with folder.writing() as target:
            write_quality(quality, target)
            write_workbook(target, "calibration.xlsx")
        raise InputError(
            f"--strict: {int(quarantined)} rows of {shown_source(source)} were quarantined; see "
            f"{out_dir / 'quality.csv'} and {out_dir / 'quarantine'}"
        )
    fitted_tables = quality.tables if until is None else history_until(quality.tables, until)
    with timer.phase("fit"):
        calibration = calibrate_history(fitted_tables, name=name or out_dir.name, timer=timer)
    calibration.notes.extend(quality.notes)
    state = None
    if as_of is not None:  # the company's open state at the extract date, beside the model
        with timer.phase("open state"):
            state = _open_state(mapped, quality, as_of, source, calibration)
    with folder.writing() as target:  # all files or none, renamed to out_dir at the end
        with timer.phase("write model, state, quality"):
            write_model(target, calibration, mapped, source, str(mapping_file))
            if state is not None:
                from twin.calibration.open_state import write_state

                write_state(target, state)
            write_quality(quality, target)
        with timer.phase("report"):
            write_calibration_report(target, calibration, quality)
            write_workbook(target, "calibration.xlsx")
    click.echo(f"{int(quarantined)} rows quarantined; model in {out_dir / 'model.yaml'}")
    if verbose:
        click.echo(
            timer.table(time.perf_counter() - started_wall, time.process_time() - started_cpu),
            err=True,
        )


def _open_state(mapped, quality, as_of: dt.datetime, source: str, calibration):
    """The company's open state at ``as_of``, in the model's segments; its report rows and notes
    are added to ``calibration``."""
    import pandas as pd

    from twin.calibration.open_state import build_open_state, in_model_segments, state_report_rows
    from twin.calibration.sources import shown_source

    state = build_open_state(
        mapped.tables,
        quality.quarantine,
        as_of,
        origins=mapped.origins,
        # a database URL's last part may hold its password (postgresql://u:pw@host?...)
        source=Path(shown_source(source)).name or shown_source(source),
    )
    state = in_model_segments(state, calibration.segment_of_order, calibration.segment_of_customer)
    calibration.report = pd.concat(
        [calibration.report, state_report_rows(state)], ignore_index=True
    )
    calibration.notes.extend(state.notes)
    return state
