"""Ranking and selection: which variant is best for one KPI, and can it be told from the rest?

The best variant is the one with the best mean. Each other variant is compared with it by the
paired differences of their replications (common random numbers), with a Bonferroni-adjusted
confidence: with k variants there are k - 1 comparisons, each at level
:math:`1 - \\alpha / (k - 1)`, so that all k - 1 intervals hold together with probability at
least :math:`1 - \\alpha` (Law, *Simulation Modeling and Analysis*, 5th ed., §10.3). A variant
whose interval excludes 0 is *separable* from the best; one whose interval holds 0 cannot be told
from it with these replications.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from twin.errors import InputError
from twin.experiments.compare import VariantRuns, paired
from twin.stats import t_interval

#: KPIs for which more is better (a name with a suffix, ``promo_roi_spring``, takes its base's).
HIGHER_IS_BETTER = (
    "profit",
    "revenue",
    "gross_profit",
    "fill_rate",
    "otif_rate",
    "orders",
    "order_lines",
    "units_ordered",
    "satisfaction_mean",
    "active_customers_mean",
    "active_customers_end",
    "customers_acquired",
    "opportunities",
    "opportunities_won",
    "pipeline_conversion",
    "promo_incremental_units",
    "promo_incremental_revenue",
    "promo_incremental_gross_profit",
    "promo_roi",
    "cash_closing",
    "cash_min",
    "dpo_days",
)

#: KPIs for which less is better: costs, losses, waiting, lead times, money and stock tied up.
LOWER_IS_BETTER = (
    "cogs",
    "holding_cost",
    "ordering_cost",
    "staff_cost",
    "freight_cost",
    "backorder_cost",
    "bad_debt",
    "units_lost",
    "lead_time_mean_days",
    "lead_time_p50_days",
    "lead_time_p95_days",
    "backorder_units_mean",
    "inventory_units_mean",
    "inventory_value_mean",
    "stockout_sku_days",
    "receivables_mean",
    "receivables_0_30",
    "receivables_31_60",
    "receivables_61_90",
    "receivables_90_plus",
    "dso_days",
    "approval_lead_time_mean_days",
    "approval_lead_time_p95_days",
    "orders_held",
    "orders_rejected",
    "units_rejected",
    "revenue_rejected",
    "customers_churned",
    "churn_rate_per_year",
    "tickets",
    "response_mean_days",
    "response_p95_days",
    "resolution_mean_days",
    "resolution_p95_days",
    "parts_wait_mean_days",
    "tickets_waiting_parts_mean",
    "tickets_open_mean",
    "tickets_open_at_end",
    "wait_mean_days",
    "wait_p95_days",
    "queue_mean",
    "promo_discount_cost",
    "promo_fixed_cost",
    "promo_cost",
    "promo_units_short",
    "promo_stockout_sku_days",
    "dio_days",
    "cash_conversion_cycle_days",
    "working_capital_mean",
)

#: Columns of :func:`rank_variants`, in order.
RANKING_COLUMNS = (
    "rank",
    "variant",
    "mean",
    "ci_low",
    "ci_high",
    "diff_to_best",
    "diff_ci_low",
    "diff_ci_high",
    "separable",
)


@dataclass(frozen=True)
class Objective:
    """The KPI to select on and its direction."""

    kpi: str
    higher_is_better: bool

    @property
    def direction(self) -> str:
        return "higher is better" if self.higher_is_better else "lower is better"


def direction(kpi: str) -> bool | None:
    """True when more of `kpi` is better, False when less is, None when it cannot be told.

    A name with a suffix (``wait_p95_days_warehouse``, ``promo_cost_spring``) takes the direction
    of the longest listed name it starts with.
    """
    for names, higher in ((HIGHER_IS_BETTER, True), (LOWER_IS_BETTER, False)):
        if kpi in names:
            return higher
    prefixes = sorted((*HIGHER_IS_BETTER, *LOWER_IS_BETTER), key=len, reverse=True)
    base = next((p for p in prefixes if kpi.startswith(f"{p}_")), None)
    return None if base is None else base in HIGHER_IS_BETTER


def parse_objective(text: str, known: Iterable[str]) -> Objective:
    """Read ``--best KPI``, ``--best +KPI`` (higher is better) or ``--best -KPI`` (lower).

    Raises
    ------
    InputError
        The KPI is not in `known` (names to test with ``in`` and to iterate for hints), or
        its direction is not in the tables and no sign is given.
    """
    sign, kpi = (text[0], text[1:].strip()) if text[:1] in "+-" else ("", text.strip())
    if kpi not in known:
        close = difflib.get_close_matches(kpi, list(known), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise InputError(
            f"--best {text}: unknown KPI '{kpi}'{hint} Give a KPI these scenarios report (a "
            "column of kpis.csv, see docs/kpis.md), optionally with + (higher is better) or - "
            "(lower is better) in front"
        )
    if sign:
        return Objective(kpi, sign == "+")
    higher = direction(kpi)
    if higher is None:
        raise InputError(
            f"--best {text}: twin cannot tell whether more or less {kpi} is better; write "
            f"--best +{kpi} (higher is better) or --best -{kpi} (lower is better)"
        )
    return Objective(kpi, higher)


def rank_variants(
    runs: VariantRuns, objective: Objective, confidence: float = 0.95
) -> pd.DataFrame:
    """Rank the variants on one KPI and compare each with the best.

    Returns
    -------
    pandas.DataFrame
        :data:`RANKING_COLUMNS`, best first: the variant's mean and its interval (at
        `confidence`); ``diff_to_best`` the mean paired difference variant - best with its
        Bonferroni-adjusted interval; ``separable`` whether that interval excludes 0. The best's
        own row has diff 0, no interval, and ``separable`` True when it is separated from every
        other variant.
    """
    kpis = runs.kpis()
    kpi = objective.kpi
    stats = {}
    for name in runs.names:
        values = kpis.loc[kpis["variant"] == name, kpi] if kpi in kpis else pd.Series([])
        stats[name] = t_interval(values.to_numpy(dtype=float), confidence)
    sign = 1.0 if objective.higher_is_better else -1.0

    def key(name: str) -> tuple[int, float]:
        mean = stats[name][0]
        return (1, 0.0) if math.isnan(mean) else (0, -sign * mean)

    order = sorted(runs.names, key=key)  # stable: ties keep the variants' order, base first
    best = order[0]
    comparisons = max(1, len(order) - 1)
    adjusted = 1.0 - (1.0 - confidence) / comparisons
    rows = []
    for rank, name in enumerate(order, start=1):
        mean, _, low, high = stats[name]
        if name == best:
            rows.append([rank, name, mean, low, high, 0.0, math.nan, math.nan, None])
            continue
        diff, _, d_low, d_high = t_interval(paired(kpis, best, name, kpi), adjusted)
        separable = bool(d_low > 0 or d_high < 0)
        rows.append([rank, name, mean, low, high, diff, d_low, d_high, separable])
    others = [row[-1] for row in rows[1:]]
    rows[0][-1] = bool(others) and all(others)
    frame = pd.DataFrame(rows, columns=list(RANKING_COLUMNS))
    frame["separable"] = frame["separable"].astype(bool)
    return frame


def selection_sentence(
    ranking: pd.DataFrame,
    objective: Objective,
    confidence: float,
    fmt: Callable[[float], str] = "{:,.4g}".format,
) -> str:
    """One sentence: the best variant, and whether it is separated from every other.

    `fmt` writes the best mean (the CLI passes the report's number format with the unit).
    """
    best = ranking.iloc[0]
    others = ranking.iloc[1:]
    head = (
        f"Best for {objective.kpi} ({objective.direction}): {best['variant']}, mean "
        f"{fmt(best['mean'])}"
    )
    if others.empty:
        return f"{head}; it is the only variant."
    plural = "s" if len(others) > 1 else ""
    level = f"{confidence:.0%} confidence (Bonferroni over {len(others)} comparison{plural})"
    vague = others.loc[~others["separable"], "variant"].tolist()
    if not vague:
        return f"{head}; separated from every other variant at {level}."
    return f"{head}; it cannot be told from {', '.join(vague)} at {level}."
