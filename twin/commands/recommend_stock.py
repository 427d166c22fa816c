"""The ``twin recommend-stock`` command: per-SKU stocking levels for a fill-rate target or least
cost, checked by simulation on common random numbers.

``twin recommend-stock MODEL_OR_SCENARIO --target fill_rate=0.97`` computes analytic levels,
simulates them against today's rules, corrects them until the simulated fill rate is on target
(``twin.experiments.recommend_stock``), and writes the recommendation folder
(``twin.experiments.recommend_stock_output``, ``docs/recommend-stock.md``). Exit 0 with a
recommendation on target, 1 when the simulated fill rate stays outside the tolerance, 2 on bad
input.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from twin.commands.folders import claim_output
from twin.commands.options import executor_options, make_runner, out_option, replications_option
from twin.errors import InputError

#: Exit code when the simulated fill rate stays outside the tolerance of the target.
EXIT_OFF_TARGET = 1


def scenario_path(path: Path) -> Path:
    """The scenario file: ``path`` itself, or ``model.yaml`` in a model folder."""
    if path.is_dir():
        model = path / "model.yaml"
        if not model.is_file():
            raise InputError(
                f"MODEL_OR_SCENARIO {path}: the folder holds no model.yaml; give a model folder "
                "written by twin calibrate, or a scenario file"
            )
        return model
    if not path.exists():
        raise InputError(
            f"MODEL_OR_SCENARIO {path}: file not found; give a scenario file or a model folder"
        )
    return path


@click.command(name="recommend-stock")
@click.argument("source", metavar="MODEL_OR_SCENARIO", type=click.Path(path_type=Path))
@click.option(
    "--target",
    "target_text",
    required=True,
    metavar="fill_rate=VALUE|cost",
    help="fill_rate=0.97: the least stock whose simulated fill rate is on target; cost: the "
    "levels with the least simulated holding + ordering + backorder cost.",
)
@out_option("Recommendation folder (default: reports/recommend-stock-<scenario name>/).")
@replications_option("Replications per evaluation (default: the scenario's run.replications).")
@click.option(
    "--tolerance",
    type=click.FloatRange(0.0, 0.5, min_open=True),
    default=0.01,
    show_default=True,
    help="How far the simulated mean fill rate may be from the target (a ratio: 0.01 = 1 point).",
)
@click.option(
    "--quantity",
    "quantity_rule",
    type=click.Choice(["current", "eoq"]),
    default="current",
    show_default=True,
    help="Order quantity of (s, S) and (R, Q) SKUs: today's, or the economic order quantity.",
)
@click.option(
    "--demand-model",
    "family",
    type=click.Choice(["gamma", "normal"]),
    default="gamma",
    show_default=True,
    help="Distribution of lead-time demand in the analytic first guess.",
)
@click.option(
    "--allocation",
    type=click.Choice(["value", "equal"]),
    default="value",
    show_default=True,
    help="value: meet the target overall at the least stock value (no SKU below --sku-floor); "
    "equal: every SKU at the target.",
)
@click.option(
    "--sku-floor",
    "floor",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    default=0.9,
    show_default=True,
    help="With --allocation value, the least analytic fill rate of any one SKU.",
)
@click.option(
    "--max-evaluations",
    type=click.IntRange(min=3),
    default=8,
    show_default=True,
    help="Most candidate sets of levels to simulate.",
)
@click.option("--warehouse", default="", help="warehouse_id of every row of orderpoints.csv.")
@click.option("--location", default="", help="location_id of every row of orderpoints.csv.")
@executor_options
def recommend_stock(
    source: Path,
    target_text: str,
    out_dir: Path | None,
    replications: int | None,
    tolerance: float,
    quantity_rule: str,
    family: str,
    allocation: str,
    floor: float,
    max_evaluations: int,
    warehouse: str,
    location: str,
    workers: int | None,
    scheduler: str | None,
    fresh: bool,
    quiet: bool,
) -> None:
    """Recommend per-SKU reorder points and order-up-to levels for a fill rate or least cost.

    Writes recommended.yaml (an overlay scenario extending MODEL_OR_SCENARIO),
    recommended_rules.csv, orderpoints.csv (Odoo reordering rules), levels.csv, summary.csv
    (today's rules against the recommendation) and iterations.csv.
    """
    from twin.experiments.recommend_stock import parse_target

    target = parse_target(target_text)  # before anything loads or runs
    base_file = scenario_path(source)
    from twin.commands.run import load_scenario

    scenario = load_scenario(base_file)
    n = replications or scenario.run.replications
    if n < 2:
        raise InputError(
            f"--replications {n}: a fill rate's confidence interval needs at least 2 "
            "replications; give --replications 2 or more"
        )
    out_dir = out_dir or Path("reports") / f"recommend-stock-{scenario.name}"
    folder = claim_output(out_dir, "recommendation folder", "recommend-stock")
    # imported once the input is known good
    from twin.experiments.recommend_stock import evaluator, recommend
    from twin.experiments.recommend_stock_output import write_recommendation
    from twin.model.catalogue import Catalogue

    start = time.perf_counter()
    note = (lambda _: None) if quiet else (lambda line: click.echo(line, err=True))
    with make_runner(folder.path, workers, scheduler, fresh, True, label="recommend") as runner:
        result = recommend(
            scenario,
            target,
            evaluator(runner, n),
            n,
            quantity_rule=quantity_rule,  # type: ignore[arg-type]
            family=family,  # type: ignore[arg-type]
            allocation=allocation,  # type: ignore[arg-type]
            floor=floor,
            tolerance=tolerance,
            max_iterations=max_evaluations,
            note=note,
        )
    wall = time.perf_counter() - start
    with folder.writing() as target_dir:
        write_recommendation(
            target_dir,
            result,
            scenario,
            Catalogue.from_scenario(scenario),
            base_file,
            out_dir,
            warehouse,
            location,
        )
    click.echo(_sentence(result))
    click.echo(f"Results in {out_dir} ({wall:.1f} s simulating, {n} replications each)")
    if not result.met:
        click.get_current_context().exit(EXIT_OFF_TARGET)


def _sentence(result) -> str:
    """What to set and how it compares, in words."""
    chosen, today = result.chosen, result.today
    rate, low, high = chosen.interval("fill_rate")
    today_rate = today.interval("fill_rate")[0]
    value = chosen.interval("inventory_value_mean")[0]
    today_value = today.interval("inventory_value_mean")[0]
    cost = chosen.interval("stock_cost")[0]
    today_cost = today.interval("stock_cost")[0]
    if result.target.value is None:
        verdict = f"the least simulated stock cost of {len(result.evaluations)} candidates"
    else:
        verdict = "on target" if result.met else "NOT within the tolerance of the target"
    return (
        f"Recommended levels ({result.target}, {verdict}): simulated fill rate {rate:.4f} "
        f"(95 % CI {low:.4f} to {high:.4f}) against {today_rate:.4f} with today's rules; "
        f"mean inventory value {value:,.0f} against {today_value:,.0f} "
        f"({(value / today_value - 1) * 100:+.1f} %); stock cost {cost:,.0f} against "
        f"{today_cost:,.0f}."
    )
