"""The ``twin`` command: what planners type.

Every bad input ends in one clear paragraph on stderr and exit code 2, never a traceback: the
commands raise :class:`twin.errors.InputError` and :func:`main` turns it into that message.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from twin import __version__
from twin.errors import InputError
from twin.experiments.output import write_run
from twin.experiments.replicate import default_workers, run_scenario
from twin.reports.document import write_report
from twin.reports.terminal import print_summary
from twin.scenario.loader import load
from twin.scenario.schema import Scenario
from twin.stats import summarise

EXIT_BAD_INPUT = 2


def load_scenario(path: Path, overrides: tuple[str, ...] = ()) -> Scenario:
    """The validated scenario in ``path`` with ``--set`` overrides applied."""
    return load(Scenario, path, list(overrides))


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


@cli.command()
@click.argument("scenario_file", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Run folder (default: reports/<scenario name>/).",
)
@click.option("--replications", type=click.IntRange(min=1), help="Overrides run.replications.")
@click.option("--seed", type=click.IntRange(min=0), help="Overrides run.seed.")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY.PATH=VALUE",
    help="Override any scenario value (repeatable), e.g. --set run.horizon_days=90.",
)
@click.option("--orders", "keep_orders", is_flag=True, help="Also write the per-order log.")
@click.option(
    "--orders-format", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Local processes (default: all cores, at most one per replication).",
)
@click.option("--no-report", is_flag=True, help="Skip the charts and the PDF.")
@click.option("--quiet", is_flag=True, help="No progress bar or summary table.")
def run(
    scenario_file: Path,
    out_dir: Path | None,
    replications: int | None,
    seed: int | None,
    overrides: tuple[str, ...],
    keep_orders: bool,
    orders_format: str,
    workers: int | None,
    no_report: bool,
    quiet: bool,
) -> None:
    """Simulate SCENARIO_FILE's replications and write KPIs, daily levels and a report."""
    extra = list(overrides)
    if replications is not None:
        extra.append(f"run.replications={replications}")
    if seed is not None:
        extra.append(f"run.seed={seed}")
    scenario = load_scenario(scenario_file, tuple(extra))
    n = scenario.run.replications
    out_dir = out_dir or Path("reports") / scenario.name
    try:  # before simulating, so a bad --out does not cost a whole run
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"--out {out_dir}: cannot create the run folder ({exc.strerror or exc}); give a "
            "folder path that is not an existing file"
        ) from None
    console = Console(stderr=True, quiet=quiet)
    start = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"{scenario.name}: replications", total=n)
        outputs = run_scenario(
            scenario,
            n,
            workers or default_workers(n),
            keep_orders,
            progress=lambda done, _total: progress.update(task, completed=done),
        )
    wall = time.perf_counter() - start
    write_run(out_dir, outputs, wall, orders_format=orders_format)
    if not no_report:
        write_report(out_dir)
    if not quiet:
        summary = summarise(outputs.kpis(), outputs.units())
        print_summary(
            summary,
            f"{scenario.name}: {n} replications, {scenario.run.horizon_days:g} days",
            Console(),
        )
        for note in outputs.notes():
            click.echo(f"note: {note}", err=True)
    click.echo(f"Results in {out_dir} ({wall:.1f} s simulating)")


def mapped_and_checked(mapping_file: Path, source: str, as_of: dt.datetime | None):
    """The history of ``source`` mapped by ``mapping_file`` and through the quality step; one
    place, so `calibrate` and `validate` see the same history."""
    from twin.calibration.mapping import apply_mapping
    from twin.calibration.mapping_schema import load_mapping
    from twin.calibration.quality import check_history

    mapping = load_mapping(mapping_file)
    mapped = apply_mapping(mapping, source)
    quality = check_history(
        mapped.tables,
        as_of=as_of,
        source_line_numbers=mapping.line_numbers_from_source,
        match=mapped.match,  # the ERP-CRM account match, when the mapping asks for one
        notes=mapped.notes,
        **mapping.quality_options(),
    )
    return mapped, quality


@cli.command()
@click.argument("source")
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(path_type=Path),
    required=True,
    help="Mapping file from the source's tables onto the canonical history.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Model folder to write, e.g. calibration/<name>/.",
)
@click.option("--name", help="Scenario name of the model (default: the out folder's name).")
@click.option("--strict", is_flag=True, help="Fail (exit 2) if any row is quarantined.")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Date of the extract: later timestamps are future dates (default: now).",
)
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Fit only the history before this date (then validate --holdout-from it).",
)
def calibrate(
    source: str,
    mapping_file: Path,
    out_dir: Path,
    name: str | None,
    strict: bool,
    as_of: dt.datetime | None,
    until: dt.datetime | None,
) -> None:
    """Fit a scenario base from the ERP/CRM history in SOURCE (a folder or a database URL)."""
    from twin.calibration.calibrate import calibrate_history, history_until
    from twin.calibration.output import write_model
    from twin.calibration.quality_output import write_quality
    from twin.calibration.report import write_calibration_report

    mapped, quality = mapped_and_checked(mapping_file, source, as_of)
    quarantined = quality.counts.loc[quality.counts["outcome"] == "quarantined", "rows"].sum()
    if strict and quarantined:
        write_quality(quality, out_dir)
        raise InputError(
            f"--strict: {int(quarantined)} rows of {source} were quarantined; see "
            f"{out_dir / 'quality.csv'} and {out_dir / 'quarantine'}"
        )
    fitted_tables = quality.tables if until is None else history_until(quality.tables, until)
    calibration = calibrate_history(fitted_tables, name=name or out_dir.name)
    calibration.notes.extend(quality.notes)
    paths = write_model(out_dir, calibration, mapped, source, str(mapping_file))
    write_quality(quality, out_dir)
    write_calibration_report(out_dir, calibration, quality)
    click.echo(f"{int(quarantined)} rows quarantined; model in {paths['model']}")


@cli.command()
@click.argument("model_dir", type=click.Path(path_type=Path))
@click.option(
    "--source", required=True, help="The history the model was fitted from (folder or URL)."
)
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(path_type=Path),
    required=True,
    help="Mapping file from the source's tables onto the canonical history.",
)
@click.option(
    "--holdout-from",
    "holdout_from",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Compare only the history from this date (default: the whole active period).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Output folder (default: MODEL_DIR/validation/).",
)
@click.option("--replications", type=click.IntRange(min=1), default=10, show_default=True)
@click.option(
    "--tolerance",
    "tolerances",
    multiple=True,
    metavar="KPI=MAPE",
    help="MAPE bound of a KPI (repeatable); defaults weekly_orders=0.20, weekly_revenue=0.25.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Local processes (default: all cores, at most one per replication).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Date of the extract, as given to `twin calibrate` (default: now).",
)
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
    out_dir = out_dir or model_dir / "validation"
    paths = write_validation(result, out_dir)
    period = result.period
    click.echo(
        f"Compared {period.weeks} weeks from {period.start} with {replications} replications "
        f"({time.perf_counter() - start:.1f} s); results in {paths['validation']}"
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


@cli.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("calibration/sample"),
    show_default=True,
)
@click.option(
    "--scenario",
    "scenario_file",
    type=click.Path(path_type=Path),
    default=Path("calibration/company/company.yaml"),
    show_default=True,
    help="The company whose history to write.",
)
@click.option("--years", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), help="Seed of the history and its dirt.")
def synth(out_dir: Path, scenario_file: Path, years: int, seed: int | None) -> None:
    """Write ERP and CRM history of a scenario's company, with realistic dirt, for calibration."""
    from twin.calibration.synth import DEFAULT_SEED, write_sample

    sample = write_sample(
        out_dir, scenario_file, years=years, seed=DEFAULT_SEED if seed is None else seed
    )
    click.echo(
        f"History {sample.history_start}..{sample.history_end} in {out_dir} "
        f"({sample.total_bytes / 1e6:.1f} MB)"
    )


def scenario_json_schema(partial: bool = False) -> dict:
    """The JSON Schema of scenario files; ``partial`` drops required keys, for files that
    ``extends:`` a base and so state only what they change."""
    document = Scenario.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "twin scenario"
    document["properties"]["extends"] = {
        "type": "string",
        "description": "Base scenario file (relative to this one), deep-merged under this file.",
    }
    if partial:
        _drop_required(document)
    return document


def _drop_required(node: object) -> None:
    if isinstance(node, dict):
        node.pop("required", None)
        for value in node.values():
            _drop_required(value)
    elif isinstance(node, list):
        for value in node:
            _drop_required(value)


@cli.command()
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option(
    "--partial", is_flag=True, help="No required keys: for scenario files that extend a base."
)
def schema(out_file: Path | None, partial: bool) -> None:
    """Print the JSON Schema of scenario files, for editors that validate YAML as you type."""
    text = json.dumps(scenario_json_schema(partial), indent=2) + "\n"
    if out_file is None:
        click.echo(text, nl=False)
    else:
        out_file.write_text(text, encoding="utf-8")


from twin.commands.check import check  # noqa: E402  (registered after the group exists)
from twin.commands.compare import compare  # noqa: E402
from twin.commands.sweep import sweep  # noqa: E402

for _command in (compare, sweep, check):
    cli.add_command(_command)


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="twin")


if __name__ == "__main__":
    main()
