"""The ``twin compare`` command: variants of a scenario on common random numbers.

``twin compare BASE [VARIANT...]`` loads the base and its variants (``twin.scenario.variants``),
runs replication 0 .. n-1 of each on the same seed (``twin.experiments.compare``), and writes the
comparison folder: the paired comparison, the ranking for one KPI, the per-replication KPIs,
daily levels and lead times, a manifest, the charts and ``compare.pdf`` (``docs/compare.md``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from twin.commands.folders import claim_output
from twin.commands.options import (
    executor_options,
    format_option,
    make_runner,
    no_report_option,
    out_option,
    replications_option,
    set_option,
)
from twin.commands.planner_files import write_html, write_workbook

if TYPE_CHECKING:
    from twin.experiments.precision import PrecisionResult


@click.command(name="compare")
@click.argument("base_file", metavar="BASE", type=click.Path(path_type=Path))
@click.argument("variant_names", metavar="[VARIANT]...", nargs=-1)
@out_option("Comparison folder (default: reports/compare-<base name>/).")
@replications_option(
    "Replications per variant (default: the base's run.replications); with --precision, "
    "the first batch."
)
@set_option("Override a value of the base and of every variant (repeatable).")
@click.option(
    "--precision",
    "precision",
    multiple=True,
    metavar="KPI=TARGET",
    help="Add replications until this KPI's CI half-width is at most TARGET (in its unit, or "
    "2% of the base mean); for variants, the half-width of the paired difference. Repeatable.",
)
@click.option(
    "--max-replications",
    type=click.IntRange(min=2),
    default=100,
    show_default=True,
    help="Cap on the replications --precision may add up to.",
)
@click.option(
    "--best",
    default="profit",
    show_default=True,
    metavar="[+|-]KPI",
    help="Select the best variant on this KPI; + or - forces higher or lower is better "
    "(e.g. --best -inventory_value_mean).",
)
@click.option(
    "--confidence",
    type=click.FloatRange(0.5, 1.0, min_open=False, max_open=True),
    default=0.95,
    show_default=True,
    help="Confidence level of every interval.",
)
@no_report_option("Skip the charts and compare.pdf.")
@executor_options
@format_option()
def compare(
    base_file: Path,
    variant_names: tuple[str, ...],
    out_dir: Path | None,
    replications: int | None,
    overrides: tuple[str, ...],
    precision: tuple[str, ...],
    max_replications: int,
    best: str,
    confidence: float,
    no_report: bool,
    workers: int | None,
    scheduler: str | None,
    fresh: bool,
    quiet: bool,
    output_format: str = "table",
) -> None:
    """Compare BASE with its variants on common random numbers.

    Each VARIANT is a name in BASE's variants: section or another scenario file; none means
    every variant of BASE. Writes comparison.csv (paired differences to the base), ranking.csv,
    kpis.csv, the charts and compare.pdf.
    """
    # here, not at import: comparing pulls in the model, pandas, scipy and matplotlib
    from twin.experiments.compare import (
        compare_table,
        manifest,
        possible_kpis,
        require_reported,
        run_variants,
        write_comparison,
    )
    from twin.experiments.precision import parse_precision, run_to_precision
    from twin.experiments.ranking import parse_objective, rank_variants, selection_sentence
    from twin.formatting import format_value
    from twin.kpi_labels import unit_text
    from twin.reports.compare_report import write_compare_report
    from twin.reports.terminal import diff_table, table_console
    from twin.scenario.variants import load_variants

    variants = load_variants(base_file, overrides, variant_names)
    scenarios = list(variants.scenarios.values())
    possible = possible_kpis(scenarios)
    objective = parse_objective(best, possible)  # checked before anything runs
    targets = [parse_precision(text, lambda kpi: kpi in possible) for text in precision]
    n = replications or variants.scenarios[variants.base].run.replications
    out_dir = out_dir or Path("reports") / f"compare-{variants.base}"
    folder = claim_output(out_dir, "comparison folder", "compare")

    start = time.perf_counter()
    reached: PrecisionResult | None = None
    # The one place the runner is built: executor, result store (resume) and progress bar.
    with make_runner(folder.path, workers, scheduler, fresh, quiet, label="compare") as runner:
        if targets:
            runs, reached = run_to_precision(
                variants,
                targets,
                n,
                max(n, max_replications),
                runner,
                confidence,
                on_batch=lambda so_far, _: require_reported(so_far, [objective.kpi], "--best"),
            )
        else:
            runs = run_variants(variants, n, runner)
    wall = time.perf_counter() - start
    require_reported(runs, [objective.kpi], "--best")
    comparison = compare_table(runs, confidence)
    ranking = rank_variants(runs, objective, confidence)
    unit = runs.units().get(objective.kpi, "")
    currency = variants.scenarios[variants.base].currency
    shown_unit = unit_text(unit, currency) if unit else ""
    sentence = selection_sentence(
        ranking, objective, confidence, lambda v: f"{format_value(v, unit)} {shown_unit}".strip()
    )
    extra: dict = {
        "best": {"kpi": objective.kpi, "higher_is_better": objective.higher_is_better},
        "selection": sentence,
    }
    if reached is not None:
        extra["precision"] = {
            "targets": [str(t) for t in targets],
            "max_replications": max_replications,
            "reached": reached.reached,
            "half_widths": reached.table.to_dict(orient="records"),
        }
    with folder.writing() as target:  # all files or none, renamed to out_dir at the end
        write_comparison(target, runs, comparison, ranking, manifest(runs, confidence, wall, extra))
        write_workbook(target, "compare.xlsx")
        if not no_report:
            write_compare_report(target)
            write_html(target, "compare")

    as_json = output_format == "json"
    if as_json:
        from twin.reports.json_summary import compare_document, to_json

        failures = [
            {"variant": f.variant, "replication": f.replication, "error": f.failure.error}
            for f in runs.failures
        ]
        document = compare_document(
            variants.base,
            runs.names,
            variants.scenarios[variants.base].run.seed,
            runs.replications,
            confidence,
            comparison,
            ranking,
            extra,
            failures,
            str(out_dir),
        )
        click.echo(to_json(document))
    elif not quiet:
        table_console().print(
            diff_table(comparison, variants.base, confidence, [objective.kpi], currency)
        )
    click.echo(sentence, err=as_json)
    if reached is not None:
        if reached.reached:
            click.echo(
                f"Precision targets met with {reached.replications} replications.", err=as_json
            )
        else:
            missed = reached.table[~reached.table["met"]]
            listing = ", ".join(f"{r.kpi} of {r.variant}" for r in missed.itertuples())
            click.echo(
                f"warning: precision targets not met at --max-replications "
                f"{reached.replications}: {listing}",
                err=True,
            )
    for failure in runs.failures:
        click.echo(
            f"warning: {failure.variant} replication {failure.replication} failed: "
            f"{failure.failure.error}",
            err=True,
        )
    click.echo(f"Results in {out_dir} ({wall:.1f} s simulating)", err=as_json)
