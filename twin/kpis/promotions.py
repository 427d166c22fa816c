"""KPIs of the promotions lever, from the ``promotion_lines`` and ``promotions`` tables.

The comparison with "no promotion" is exact per line: ``base_units`` are the units the same random
numbers give without any promotion, so incremental units, revenue and gross profit are sums of
(with - without) over the changed lines, the dip and cannibalisation losses included. They are
measured on demand (units ordered, at the line's price), for lines ordered in the KPI window
[warm-up, horizon). Definitions are in ``docs/levers/promotions.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.levels import count_at_zero, window_mean
from twin.records import RunResult
from twin.scenario.costs import Costs

UNITS: dict[str, str] = {
    "promo_incremental_units": "units",
    "promo_incremental_revenue": "currency",
    "promo_incremental_gross_profit": "currency",
    "promo_discount_cost": "currency",
    "promo_fixed_cost": "currency",
    "promo_cost": "currency",
    "promo_roi": "ratio",
    "promo_units_short": "units",
    "promo_stockout_sku_days": "sku-days",
}


def promotion_units(names: list[str]) -> dict[str, str]:
    """Units of the per-promotion KPIs (``<kpi>_<name>``)."""
    return {f"{kpi}_{name}": unit for name in names for kpi, unit in UNITS.items()}


def kpis(result: RunResult, costs: Costs) -> dict[str, float]:
    """This lever's KPIs of one replication, for the whole run and per promotion (suffix
    ``_<name>``); empty when the scenario has no promotions."""
    calendar = result.tables.get("promotions")
    if calendar is None or not len(calendar):
        return {}
    start, end = result.warmup_days, result.horizon_days
    lines = result.tables["promotion_lines"]
    lines = lines[(lines["t"] >= start) & (lines["t"] < end)]
    zero = _stockout_counter(result)
    out = _promotion_kpis(lines, calendar, result.unit_cost, zero, start, end)
    for row in calendar.itertuples(index=False):
        own = lines[lines["promotion"] == row.promotion]
        one = calendar[calendar["promotion"] == row.promotion]
        values = _promotion_kpis(own, one, result.unit_cost, zero, start, end)
        out.update({f"{kpi}_{row.name}": value for kpi, value in values.items()})
    return out


def _promotion_kpis(
    lines: pd.DataFrame,
    calendar: pd.DataFrame,
    unit_cost: np.ndarray,
    zero: StockoutCounter,
    start: float,
    end: float,
) -> dict[str, float]:
    """The KPIs of the promotions in ``calendar`` from their changed lines."""
    base = lines["base_units"].to_numpy(dtype=float)
    units = lines["units"].to_numpy(dtype=float)
    list_price = lines["list_price"].to_numpy()
    price = lines["price"].to_numpy()
    cost = np.asarray(unit_cost, dtype=float)[lines["sku"].to_numpy()]
    promoted = lines["promoted"].to_numpy(dtype=bool)
    incremental_profit = float((units * (price - cost) - base * (list_price - cost)).sum())
    discount_cost = float((units * (list_price - price))[promoted].sum())
    running = (calendar["t_end"] > start) & (calendar["t_start"] < end)
    fixed_cost = float(calendar.loc[running, "fixed_cost"].sum())
    total_cost = discount_cost + fixed_cost
    return {
        "promo_incremental_units": float((units - base).sum()),
        "promo_incremental_revenue": float((units * price - base * list_price).sum()),
        "promo_incremental_gross_profit": incremental_profit,
        "promo_discount_cost": discount_cost,
        "promo_fixed_cost": fixed_cost,
        "promo_cost": total_cost,
        "promo_roi": (incremental_profit - fixed_cost) / total_cost if total_cost else np.nan,
        "promo_units_short": float(lines["units_short"].to_numpy()[promoted].sum()),
        "promo_stockout_sku_days": sum(
            zero.sku_days(row.skus, max(row.t_start, start), min(row.t_end, end))
            for row in calendar.itertuples(index=False)
        ),
    }


class StockoutCounter:
    """Time with no free stock per SKU, from the ``stock_changes`` log."""

    def __init__(
        self, times: np.ndarray, keys: np.ndarray, deltas: np.ndarray, initial: np.ndarray
    ) -> None:
        self.times, self.keys, self.deltas, self.initial = times, keys, deltas, initial

    def sku_days(self, skus: tuple[int, ...], start: float, end: float) -> float:
        """Sum over ``skus`` of the days in [start, end) with no free stock (sku-days)."""
        if end <= start or not skus:
            return 0.0
        mine = np.isin(self.keys, np.asarray(skus, dtype=np.int64))
        times, deltas, _ = count_at_zero(
            self.times[mine], self.keys[mine], self.deltas[mine], self.initial
        )
        initial = float((self.initial[list(skus)] == 0).sum())
        return window_mean(times, deltas, initial, start, end) * (end - start)


def _stockout_counter(result: RunResult) -> StockoutCounter:
    changes = result.tables["stock_changes"]
    return StockoutCounter(
        changes["t"].to_numpy(),
        changes["sku"].to_numpy(),
        changes["on_hand_delta"].to_numpy(),
        np.asarray(result.initial_on_hand, dtype=float),
    )
