"""The ``twin backtest`` command: rolling-origin evaluation of calibrate + run on a history.

``twin backtest SOURCE --mapping M --out DIR`` maps and checks the history once
(:func:`twin.commands.calibrate.mapped_and_checked`, as ``twin calibrate`` and ``twin validate``),
then for each origin calibrates on the history before it, simulates the next weeks and scores
them (:mod:`twin.calibration.backtest`); exit 1 when a tolerance is missed, 2 on bad input.
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
    workers_option,
)
from twin.commands.planner_files import write_workbook
from twin.errors import InputError


@click.command(name="backtest")
@click.argument("source")
@mapping_option()
@out_option(
    "Folder to write backtest.csv, summary.csv, the fan charts and backtest.pdf.", required=True
)
@click.option(
    "--origins",
    metavar="DATE,DATE,...",
    help="Cut-off dates (YYYY-MM-DD, comma-separated); default --n-origins spread evenly.",
)
@click.option(
    "--n-origins",
    type=click.IntRange(min=1),
    help="Origins spread evenly over the history when --origins is not given [default: 4].",
)
@click.option(
    "--horizon-weeks",
    type=click.IntRange(min=1),
    default=13,
    show_default=True,
    help="Weeks forecast after each origin.",
)
@click.option(
    "--replications",
    type=click.IntRange(min=2),
    default=20,
    show_default=True,
    help="Replications per origin (at least 2, for a band).",
)
@click.option("--seed", type=click.IntRange(min=0), help="run.seed of every origin's simulation.")
@click.option(
    "--tolerance",
    "tolerances",
    multiple=True,
    metavar="SERIES.SCORE=BOUND",
    help="Bound on a score over all origins (repeatable), BOUND or LOW:HIGH; defaults "
    "orders.coverage_90=0.8:0.97, orders.bias=0.1, orders.relative_mae=1.",
)
@workers_option("Local processes (default: all cores, at most one per replication).")
@as_of_option("Date of the extract, as given to `twin calibrate` (default: now).")
def backtest(
    source: str,
    mapping_file: Path,
    out_dir: Path,
    origins: str | None,
    n_origins: int | None,
    horizon_weeks: int,
    replications: int,
    seed: int | None,
    tolerances: tuple[str, ...],
    workers: int | None,
    as_of: dt.datetime | None,
) -> None:
    """Calibrate before each origin and score the weeks after: exit 1 if a tolerance is missed."""
    from twin.calibration.backtest import SERIES, history_span, run_backtest
    from twin.calibration.backtest_checks import judge, parse_tolerances
    from twin.calibration.backtest_output import write_backtest
    from twin.calibration.backtest_windows import check_origins, parse_origins, spread_origins
    from twin.calibration.sources import shown_source
    from twin.reports.html_backtest import write_backtest_html

    if origins is not None and n_origins is not None:
        raise InputError("--origins and --n-origins: give one of them, not both")
    bounds = parse_tolerances(tolerances, tuple(SERIES))
    given = parse_origins(origins) if origins is not None else None
    folder = claim_output(out_dir, "backtest folder", "backtest")  # a busy --out costs no work
    started = time.perf_counter()
    mapped, quality = mapped_and_checked(mapping_file, source, as_of)
    first, end = history_span(quality.tables)
    if given is not None:
        chosen = check_origins(given, first, end, horizon_weeks)
    else:
        chosen = spread_origins(first, end, horizon_weeks, n_origins or 4)
    loaded = time.perf_counter()
    click.echo(
        f"History {first}..{end - dt.timedelta(days=1)} mapped and checked in "
        f"{loaded - started:.1f} s; origins {', '.join(map(str, chosen))}",
        err=True,
    )
    # every file, the per-origin models included, appears in out_dir at the end or not at all
    with folder.writing() as target:
        result = run_backtest(
            quality.tables,
            chosen,
            horizon_weeks=horizon_weeks,
            replications=replications,
            models_dir=target / "models",
            mapped=mapped,
            source=source,
            mapping=str(mapping_file),
            seed=seed,
            workers=workers,
            say=lambda line: click.echo(line, err=True),
        )
        checks = judge(result.summary, bounds)
        facts = [
            ("Source", f"{shown_source(source)} (mapping {mapping_file})"),
            ("Active period", f"{first} .. {end - dt.timedelta(days=1)}"),
            ("Origins", ", ".join(map(str, chosen))),
            ("Window", f"{horizon_weeks} weeks after each origin, weeks aligned to the origin"),
            (
                "Replications",
                f"{replications} per origin"
                + (f", seed {seed}" if seed is not None else ", the model's seed"),
            ),
        ]
        write_backtest(result, checks, target, facts)
        write_workbook(target, "backtest.xlsx")
        write_backtest_html(
            target,
            result.backtest,
            result.summary,
            result.history,
            checks,
            facts,
            result.replications,
        )
    click.echo(
        f"Backtest of {len(chosen)} origins x {horizon_weeks} weeks in "
        f"{time.perf_counter() - started:.1f} s; results in {out_dir / 'summary.csv'}"
    )
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    failed = checks[checks["passed"].eq(False).fillna(False).astype(bool)]
    for row in failed.itertuples(index=False):
        click.echo(
            f"FAILED {row.series}.{row.score}: {row.value:.3f} outside [{row.low:g}, {row.high:g}]",
            err=True,
        )
    if len(failed):
        click.get_current_context().exit(1)
