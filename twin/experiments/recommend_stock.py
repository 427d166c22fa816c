"""Stocking recommendations: per-SKU levels that meet a fill-rate target, or cost least.

``recommend(scenario, target, runner, ...)``:

1. **Analytic first guess.** Per SKU, the demand and lead-time moments the scenario implies
   (:mod:`twin.experiments.recommend_stock_demand`) give analytic type-2 fill rates as a
   function of the level; the levels meet a *design fill rate* theta
   (:mod:`twin.experiments.recommend_stock_levels`): overall (demand-weighted) at the least
   stock value (``value``, the default: cheap fast movers get more service, dear slow ones
   less, none below a floor), or SKU by SKU (``equal``). Every SKU keeps its policy kind,
   review and shortage rule.
2. **Simulation check and correction.** The scenario with those levels runs ``replications``
   replications on the scenario's seed, so every candidate, and today's rules, see the same
   demand and lead times (common random numbers). The analytic formulas leave out the weekday
   pattern, rate uncertainty and the model's details, so the simulated fill rate misses the
   target by a roughly constant factor on the shortfall 1 - fill rate. theta is moved on the
   scale x = log(1 - theta) until the simulated mean fill rate is within ``tolerance / 5`` of
   the target: the first step assumes slope 1 (the shortfall scales), later steps are secants,
   kept inside the bracket found so far (bisection when a secant leaves it).
3. For ``--target cost`` the design fill rate is instead chosen by a golden-section search on x
   minimising the simulated mean stock cost (holding + ordering + backorder).

The result holds every evaluation (``iterations``), the chosen levels and the per-SKU and total
comparison with today's rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from twin.errors import InputError
from twin.experiments.jobs import Failure, raise_bad_input
from twin.experiments.recommend_stock_analytic import Family
from twin.experiments.recommend_stock_levels import (
    Allocation,
    QuantityRule,
    analytic_levels,
    demand_table,
    order_quantities,
    rule_rows,
    sku_demand,
    today_levels,
    today_rules,
    with_rules,
)
from twin.experiments.recommend_stock_measure import (
    SKU_COLUMNS,
    TOTAL_KPIS,
    StockOutcome,
    stock_job,
)
from twin.model.catalogue import Catalogue
from twin.scenario.schema import Scenario
from twin.stats import t_interval

#: The KPIs a target may name.
TARGET_KPIS = ("fill_rate", "cost")

#: Design fill rates stay inside these bounds (theta of 1 would ask for infinite stock).
THETA_BOUNDS = (0.5, 0.99995)


@dataclass(frozen=True)
class Target:
    """What the levels aim at: ``fill_rate`` ``value`` (a ratio in (0, 1)), or least ``cost``."""

    kpi: str
    value: float | None = None

    def __str__(self) -> str:
        return self.kpi if self.value is None else f"{self.kpi}={self.value:g}"


def parse_target(text: str) -> Target:
    """``fill_rate=0.97`` or ``cost``; anything else is an :class:`InputError` naming it."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if name not in TARGET_KPIS:
        raise InputError(
            f"--target {text!r}: unknown target KPI {name!r}; give fill_rate=VALUE (a ratio "
            "between 0 and 1, e.g. fill_rate=0.97) or cost (least holding + ordering + "
            "backorder cost)"
        )
    if name == "cost":
        if sep:
            raise InputError(f"--target {text!r}: cost takes no value; give --target cost")
        return Target("cost")
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not sep or not (0.0 < number < 1.0):
        raise InputError(
            f"--target {text!r}: the fill rate target must be a ratio strictly between 0 and "
            "1, e.g. fill_rate=0.97 for 97 %"
        )
    return Target("fill_rate", number)


@dataclass
class Evaluation:
    """One simulated set of rules: today's (``theta`` NaN) or the analytic levels at ``theta``."""

    label: str
    theta: float
    rows: pd.DataFrame  # the rules' skus-file rows
    outcomes: list[StockOutcome]
    levels: pd.DataFrame | None = None  # the analytic levels (None: today's rules)

    def values(self, kpi: str) -> np.ndarray:
        """The total KPI per replication; ``stock_cost`` is holding + ordering + backorder."""
        if kpi == "stock_cost":
            parts = ("holding_cost", "ordering_cost", "backorder_cost")
            return np.array([sum(o.kpis[p] for p in parts) for o in self.outcomes])
        return np.array([o.kpis[kpi] for o in self.outcomes])

    def interval(self, kpi: str, confidence: float = 0.95) -> tuple[float, float, float]:
        """(mean, low, high) of the KPI's mean over replications (Student t)."""
        mean, _, low, high = t_interval(self.values(kpi), confidence)
        return mean, low, high

    def sku_means(self) -> pd.DataFrame:
        """Per SKU number, each measure's mean over replications (fill rate: pooled units)."""
        frames = [o.skus for o in self.outcomes]
        mean = sum(f[list(SKU_COLUMNS)] for f in frames) / len(frames)
        mean["fill_rate"] = np.where(
            mean["demand_units"] > 0, mean["filled_units"] / mean["demand_units"], np.nan
        )
        if any(f["fill_rate"].isna().all() for f in frames):
            mean["fill_rate"] = np.nan  # lost sales: not measured per SKU
        return mean


@dataclass
class Recommendation:
    """What :func:`recommend` found."""

    target: Target
    replications: int
    tolerance: float
    today: Evaluation
    chosen: Evaluation
    levels: pd.DataFrame  # per SKU: demand, lead time, today's and the recommended levels
    evaluations: list[Evaluation] = field(default_factory=list)

    @property
    def met(self) -> bool:
        """For a fill-rate target: the chosen levels' simulated mean is within the tolerance."""
        if self.target.value is None:
            return True
        return abs(self.chosen.interval("fill_rate")[0] - self.target.value) <= self.tolerance

    def iterations(self) -> pd.DataFrame:
        """One row per evaluation: label, design fill rate, each total KPI's mean and CI."""
        rows = []
        for e in [self.today, *self.evaluations]:
            row: dict[str, object] = {"rules": e.label, "design_fill_rate": e.theta}
            for kpi in (*TOTAL_KPIS, "stock_cost"):
                mean, low, high = e.interval(kpi)
                row[kpi] = mean
                if kpi in ("fill_rate", "inventory_value_mean", "stock_cost"):
                    row[f"{kpi}_ci_low"], row[f"{kpi}_ci_high"] = low, high
            row["chosen"] = e is self.chosen
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self, catalogue: Catalogue) -> pd.DataFrame:
        """Today's rules against the recommendation, per SKU and in total (``sku`` TOTAL)."""
        frames = []
        for rules, e in (("today", self.today), ("recommended", self.chosen)):
            per_sku = e.sku_means()
            per_sku.insert(0, "sku", list(catalogue.skus))
            per_sku.insert(0, "rules", rules)
            total: dict[str, object] = {"rules": rules, "sku": "TOTAL"}
            total.update({c: per_sku[c].sum() for c in SKU_COLUMNS})
            # the run's own KPIs for the total: physical stock and every order
            total["fill_rate"] = e.interval("fill_rate")[0]
            total["inventory_value_mean_kpi"] = e.interval("inventory_value_mean")[0]
            total["stock_cost"] = e.interval("stock_cost")[0]
            frames += [per_sku, pd.DataFrame([total])]
        return pd.concat(frames, ignore_index=True)


Evaluate = Callable[[list[Scenario]], list[list[StockOutcome]]]


def evaluator(runner, replications: int) -> Evaluate:
    """Run each scenario's replications 0..n-1 as stock jobs on ``runner`` (a JobRunner)."""

    def evaluate(scenarios: list[Scenario]) -> list[list[StockOutcome]]:
        jobs = [stock_job(s, r) for s in scenarios for r in range(replications)]
        outcomes = runner.run(jobs)
        raise_bad_input(outcomes)
        for outcome in outcomes:
            if isinstance(outcome, Failure):
                raise RuntimeError(f"replication failed: {outcome.error}\n{outcome.traceback}")
        return [outcomes[i * replications : (i + 1) * replications] for i in range(len(scenarios))]

    return evaluate


def recommend(
    scenario: Scenario,
    target: Target,
    evaluate: Evaluate,
    replications: int,
    quantity_rule: QuantityRule = "current",
    family: Family = "gamma",
    allocation: Allocation = "value",
    floor: float = 0.9,
    tolerance: float = 0.01,
    max_iterations: int = 8,
    note: Callable[[str], None] = lambda _: None,
) -> Recommendation:
    """Levels per SKU for ``target`` (see the module docstring); ``evaluate`` runs scenarios
    (:func:`evaluator`), ``note`` hears one line per evaluation. ``allocation`` ``value`` meets
    the design fill rate overall at the least stock value, no SKU's analytic fill rate below
    ``floor``; ``equal`` gives every SKU the design fill rate."""
    if target.kpi == "cost":
        require_costs(scenario)
    catalogue = Catalogue.from_scenario(scenario)
    rules = today_rules(scenario, catalogue)
    demand = sku_demand(scenario, catalogue)
    quantity = order_quantities(scenario, catalogue, rules, demand, quantity_rule)
    today_s, today_big_s = today_levels(rules)
    unit_cost = np.asarray(catalogue.unit_cost, dtype=float)

    def candidate(theta: float, label: str) -> Evaluation:
        levels = analytic_levels(
            rules, demand, quantity, theta, family, allocation, unit_cost, min(floor, theta)
        )
        rows = rule_rows(catalogue, rules, levels)
        (outcomes,) = evaluate([with_rules(scenario, rows)])
        evaluation = Evaluation(label, theta, rows, outcomes, levels)
        mean, low, high = evaluation.interval("fill_rate")
        cost = evaluation.interval("stock_cost")[0]
        note(
            f"{label}: design fill rate {theta:.5f} -> simulated fill rate {mean:.4f} "
            f"[{low:.4f}, {high:.4f}], stock cost {cost:,.0f}"
        )
        return evaluation

    (today_outcomes,) = evaluate([scenario])
    today = Evaluation("today", math.nan, pd.DataFrame(), today_outcomes)
    mean, low, high = today.interval("fill_rate")
    note(f"today's rules: simulated fill rate {mean:.4f} [{low:.4f}, {high:.4f}]")
    if target.kpi == "fill_rate":
        evaluations = _toward_fill_rate(target.value, candidate, tolerance, max_iterations)
        chosen = min(
            evaluations,
            key=lambda e: abs(e.interval("fill_rate")[0] - target.value),  # type: ignore[operator]
        )
    else:
        evaluations = _least_cost(candidate, max_iterations)
        chosen = min(evaluations, key=lambda e: e.interval("stock_cost")[0])
    levels = demand_table(catalogue, demand)
    levels["category"] = list(catalogue.category)
    levels["unit_cost"] = list(catalogue.unit_cost)
    levels["today_reorder_point"] = today_s
    levels["today_order_up_to"] = today_big_s
    chosen_levels = chosen.levels
    assert chosen_levels is not None  # every candidate has its levels
    for column in ("policy", "review_period_days", "reorder_point", "order_up_to", "quantity"):
        levels[column] = chosen_levels[column].to_numpy()
    levels["design_fill_rate"] = chosen.theta
    levels["analytic_fill_rate"] = chosen_levels["analytic_fill_rate"].to_numpy()
    return Recommendation(target, replications, tolerance, today, chosen, levels, evaluations)


def require_costs(scenario: Scenario) -> None:
    """A cost target needs a holding cost and a backorder cost: with either at 0 the least
    cost is no stock, or all of it."""
    costs = scenario.costs
    holding = costs.holding.per_unit_day or costs.holding.annual_rate
    backorder = costs.backorder.per_unit + costs.backorder.per_unit_day
    if not holding or not backorder:
        raise InputError(
            f"--target cost: scenario {scenario.name!r} has no holding cost "
            "(costs.holding.annual_rate or per_unit_day) or no backorder cost "
            "(costs.backorder.per_unit or per_unit_day), so stock has no price to trade off; "
            "set both in its costs section, or give --target fill_rate=VALUE"
        )


def _x(theta: float) -> float:
    return math.log(1.0 - theta)


def _theta(x: float) -> float:
    low, high = THETA_BOUNDS
    return min(max(1.0 - math.exp(x), low), high)


def _toward_fill_rate(
    goal: float, candidate: Callable[[float, str], Evaluation], tolerance: float, limit: int
) -> list[Evaluation]:
    """Secant steps on x = log(1 - theta) against y = log(1 - simulated fill rate), kept inside
    the bracket found so far, until the fill rate is within ``tolerance / 5`` of ``goal``."""
    y_goal = math.log(1.0 - goal)
    evaluations: list[Evaluation] = []
    below: tuple[float, float] | None = None  # (x, y) with the fill rate under the goal
    above: tuple[float, float] | None = None
    x = _x(goal)
    for step in range(1, limit + 1):
        evaluation = candidate(_theta(x), f"candidate {step}")
        evaluations.append(evaluation)
        rate = evaluation.interval("fill_rate")[0]
        if abs(rate - goal) <= tolerance / 5.0:
            break
        y = math.log(max(1.0 - rate, 1e-9))
        point = (_x(evaluation.theta), y)
        if rate < goal:
            below = point
        else:
            above = point
        if below is not None and above is not None:
            slope = (above[1] - below[1]) / (above[0] - below[0])
            x_next = below[0] + (y_goal - below[1]) / slope if slope > 0 else math.nan
            inside = min(below[0], above[0]) < x_next < max(below[0], above[0])
            x = x_next if inside else (below[0] + above[0]) / 2.0
        else:
            x = point[0] + (y_goal - y)  # the shortfall scales with the design shortfall
        if _theta(x) in (e.theta for e in evaluations):
            break  # at a bound already tried: nothing new to learn
    return evaluations


def _least_cost(candidate: Callable[[float, str], Evaluation], limit: int) -> list[Evaluation]:
    """Golden-section search on x = log(1 - theta) over theta in [0.80, 0.999] for the least
    simulated mean stock cost, ``limit`` evaluations in all (at least 3)."""
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = _x(0.999), _x(0.80)
    evaluations: list[Evaluation] = []
    cache: dict[float, float] = {}

    def cost(x: float) -> float:
        if x not in cache:
            evaluation = candidate(_theta(x), f"candidate {len(evaluations) + 1}")
            evaluations.append(evaluation)
            cache[x] = evaluation.interval("stock_cost")[0]
        return cache[x]

    c, d = b - ratio * (b - a), a + ratio * (b - a)
    cost(c)
    cost(d)
    while len(evaluations) < max(limit, 3):
        if cost(c) < cost(d):
            b, d = d, c
            c = b - ratio * (b - a)
            cost(c)
        else:
            a, c = c, d
            d = a + ratio * (b - a)
            cost(d)
    return evaluations
