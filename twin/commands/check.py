"""The `twin check` command: run a scenario's variants or a sweep and judge its ``checks:``.

Exit code 0 when every check holds, 1 when any fails, 2 on bad input (through the ``twin`` group).
A scenario file runs its base and variants with common random numbers and judges each check per
variant; a sweep file runs every point and judges each check per point (or on their mean). The
results go to ``kpis.csv``, ``checks.csv``, ``risk.csv`` and ``summary.md`` in ``--out`` (and
``points.csv``, each point's parameter values beside its verdicts, for a sweep), optionally to a
JUnit XML file and a Markdown summary elsewhere; one line per check and group goes to standard
output, a sweep point's naming its parameter values. The semantics are in ``docs/ci-gate.md``.

Everything that can be told from the file (its checks, the variants they name) is checked before
anything is simulated; KPI names are checked against the KPI table once it exists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from twin.commands.folders import claim_output
from twin.commands.options import (
    executor_options,
    format_option,
    make_runner,
    out_option,
    replications_option,
    set_option,
)
from twin.commands.planner_files import write_workbook
from twin.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from twin.experiments.compare import VariantRuns
    from twin.experiments.runner import JobRunner
    from twin.scenario.checks import Check

# The experiments, KPIs and scenario files are imported inside the functions, not here: they pull
# in the model, pandas and scipy, which `twin check --help` need not wait for.

EXIT_FAILED = 1


@dataclass(frozen=True)
class Gate:
    """A loaded file, ready to run: its name, its checks, how its KPI table is grouped, and the
    function that runs it into that table (``group, replication, seed, <KPIs>, error``)."""

    name: str
    checks: list[Check]
    group: str  # "variant" or "point"
    base: str | None
    run: Callable[[JobRunner], Outcome]


@dataclass(frozen=True)
class Outcome:
    """A gate's run: the KPI table, the KPIs' units, notes for the planner, and for a sweep the
    design (``point`` and one column per parameter)."""

    kpis: pd.DataFrame
    units: dict[str, str]
    notes: list[str]
    design: pd.DataFrame | None = None


@click.command(name="check")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--junit",
    "junit_file",
    type=click.Path(path_type=Path),
    help="Also write the results as JUnit XML, for CI test reports.",
)
@click.option(
    "--summary",
    "summary_file",
    type=click.Path(path_type=Path),
    help="Also write the Markdown summary to this file (e.g. for the CI job summary).",
)
@out_option("Output folder (default: reports/check-<name>/).")
@replications_option("Replications per variant or sweep point (default: the file's).")
@click.option(
    "--confidence",
    type=click.FloatRange(min=0.5, max=1.0, min_open=True, max_open=True),
    help="Confidence of the checks that give none (default: judge their mean).",
)
@set_option(
    "Override a value of FILE (repeatable), e.g. --set run.horizon_days=90; in a sweep "
    "file, --set set.run.horizon_days=90 changes its base."
)
@executor_options
@format_option()
def check(
    file: Path,
    junit_file: Path | None,
    summary_file: Path | None,
    out_dir: Path | None,
    replications: int | None,
    confidence: float | None,
    overrides: tuple[str, ...],
    workers: int | None,
    scheduler: str | None,
    fresh: bool,
    quiet: bool,
    output_format: str = "table",
) -> None:
    """Run FILE (a scenario or a sweep) and judge its checks: exit 0 if all hold, 1 if not."""
    from twin.experiments.checks import evaluate_checks, point_values
    from twin.experiments.junit import describe, verdict
    from twin.scenario.sweep import is_sweep_file

    if is_sweep_file(file):
        gate = sweep_gate(file, overrides, replications)
    else:
        gate = scenario_gate(file, overrides, replications)
    out_dir = out_dir or Path("reports") / f"check-{gate.name}"
    folder = claim_output(out_dir, "output folder", "check")
    with make_runner(folder.path, workers, scheduler, fresh, quiet, label="check") as runner:
        outcome = gate.run(runner)
    for note in outcome.notes:
        click.echo(f"note: {note}", err=True)
    kpis = outcome.kpis
    results = evaluate_checks(
        gate.checks,
        kpis,
        group=gate.group,
        base=gate.base,
        confidence_default=confidence,
        source=str(file),
        units=outcome.units,
    )
    with folder.writing() as target:  # all files or none, renamed to out_dir at the end
        write_outputs(results, kpis, gate.name, target, junit_file, summary_file, outcome.design)
        write_workbook(target, "check.xlsx", outcome.units)
    passed = verdict(results)
    as_json = output_format == "json"
    if as_json:
        from twin.reports.json_summary import check_document, to_json

        document = check_document(
            gate.name, str(file), results, kpis, gate.group, passed, str(out_dir)
        )
        click.echo(to_json(document))
    values = {} if outcome.design is None else point_values(outcome.design)
    for _, row in results.iterrows():
        click.echo(describe(_with_values(row, values)), err=as_json)
    click.echo(
        f"{'All checks hold' if passed else 'Checks failed'}; results in {out_dir}", err=as_json
    )
    if not passed:
        click.get_current_context().exit(EXIT_FAILED)


def scenario_gate(file: Path, overrides: Sequence[str], replications: int | None) -> Gate:
    """The base and every variant of a scenario file, run with common random numbers."""
    from twin.experiments.checks import check_references
    from twin.experiments.compare import run_variants, scenario_roles
    from twin.kpis import kpi_units
    from twin.scenario.variants import load_variants

    variants = load_variants(file, tuple(overrides))
    base = variants.scenarios[variants.base]
    if not base.checks:
        raise _no_checks(file)
    for name, scenario in variants.scenarios.items():
        if scenario.checks != base.checks:  # a variant's own checks would go unjudged
            raise InputError(
                f"{file}: variants.{name}.checks: checks belong to the base scenario, which "
                f"judges every variant; move them to its 'checks:' and restrict them with "
                f"'variants: [{name}]'"
            )
    names = list(variants.scenarios)
    roles = scenario_roles(list(variants.scenarios.values()))
    check_references(
        base.checks, names, "variant", variants.base, source=str(file), known_kpis=kpi_units(roles)
    )
    n = replications or base.run.replications

    def run(runner: JobRunner) -> Outcome:
        runs = run_variants(variants, n, runner)
        return Outcome(variant_table(runs), runs.units(), runs.notes())

    return Gate(base.name, list(base.checks), "variant", variants.base, run)


def variant_table(runs: VariantRuns) -> pd.DataFrame:
    """``variant, replication, seed, <KPIs>, error``: every (variant, replication) once, a failed
    one with its error, so no replication drops out of a check unseen."""
    import pandas as pd

    table = runs.kpis()
    table["error"] = ""
    failed = [
        {
            "variant": f.variant,
            "replication": f.replication,
            "seed": runs.variants.scenarios[f.variant].run.seed,
            "error": f.failure.error,
        }
        for f in runs.failures
    ]
    if failed:
        table = pd.concat([table, pd.DataFrame(failed)], ignore_index=True)
    order = {name: i for i, name in enumerate(runs.names)}
    table = table.sort_values(
        ["variant", "replication"],
        key=lambda column: column.map(order) if column.name == "variant" else column,
    )
    return table.reset_index(drop=True)


def sweep_gate(file: Path, overrides: Sequence[str], replications: int | None) -> Gate:
    """Every point of a sweep file, all on the base's seed."""
    from twin.experiments.checks import check_references
    from twin.experiments.compare import scenario_roles
    from twin.experiments.sweep import run_sweep
    from twin.kpis import kpi_units
    from twin.scenario.sweep import load_sweep

    extra = list(overrides)
    if replications is not None:
        extra.append(f"replications={replications}")
    spec = load_sweep(file, tuple(extra), kpi_units=kpi_units)
    if not spec.checks:
        raise _no_checks(file)
    roles = scenario_roles([spec.base_scenario])
    check_references(spec.checks, [], "point", source=str(file), known_kpis=kpi_units(roles))

    def run(runner: JobRunner) -> Outcome:
        runs = run_sweep(spec, runner)
        # the parameter columns are not KPIs; the point number stands for its values
        kpis = runs.results.drop(columns=[p.path for p in spec.parameters])
        kpis["error"] = kpis["error"].fillna("")
        units = kpi_units(roles, list(kpis.columns))
        return Outcome(kpis, units, list(runs.notes), runs.design)

    return Gate(spec.name, list(spec.checks), "point", None, run)


def _with_values(row: pd.Series, values: dict[int, str]) -> pd.Series:
    """A results row whose sweep-point group names the point's values, for the terminal line
    (``point 1: staffing.warehouse.headcount=3``); other rows as they are."""
    group = str(row["group"])
    if not group.startswith("point "):
        return row
    text = values.get(int(group.removeprefix("point ")))
    if not text:
        return row
    shown = row.copy()
    shown["group"] = f"{group}: {text}"
    return shown


def write_outputs(
    results: pd.DataFrame,
    kpis: pd.DataFrame,
    name: str,
    out_dir: Path,
    junit_file: Path | None,
    summary_file: Path | None,
    design: pd.DataFrame | None = None,
) -> None:
    """``kpis.csv``, ``checks.csv``, ``risk.csv``, ``summary.md``, ``points.csv`` for a sweep
    (``design`` given), and the files asked for."""
    from twin.experiments.checks import points_table, risk_view
    from twin.experiments.junit import write_junit, write_summary

    kpis.to_csv(out_dir / "kpis.csv", index=False)
    results.to_csv(out_dir / "checks.csv", index=False)
    risk_view(results).to_csv(out_dir / "risk.csv", index=False)
    if design is not None:
        points_table(results, design).to_csv(out_dir / "points.csv", index=False)
    title = f"twin check {name}"
    write_summary(results, out_dir / "summary.md", title)
    extra: list[tuple[str, Path | None, Callable[[Path], Path]]] = [
        ("--summary", summary_file, lambda p: write_summary(results, p, title)),
        ("--junit", junit_file, lambda p: write_junit(results, p, title)),
    ]
    for option, path, write in extra:
        if path is None:
            continue
        try:
            write(path)
        except OSError as exc:
            raise InputError(f"{option} {path}: cannot write it ({exc.strerror or exc})") from None


def _no_checks(file: Path) -> InputError:
    return InputError(
        f"{file}: nothing to check: the file has no 'checks:' section; add targets such as "
        "checks: ['fill_rate >= 0.97'] (see docs/ci-gate.md)"
    )
