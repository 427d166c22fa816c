"""The ``pipeline`` block (credit and sales levers): win rate, cycle times, deal value, agents.

The win rate is won / (won + lost) with a Wilson interval; open deals are right-censored and left
out. Cycle times of won and lost deals and the value of won deals are fitted distributions.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from twin.calibration.behaviour.estimates import fitted_duration, proportion
from twin.calibration.fit_report import DAY, FitReport

DEFAULT_WIN_RATE = 0.25
DEFAULT_CYCLE_DAYS = 30.0
WON = frozenset({"won", "closed won", "closed_won", "closedwon", "win"})
LOST = frozenset({"lost", "closed lost", "closed_lost", "closedlost", "loss"})


def fit_win_rate(opportunities: pd.DataFrame) -> tuple[dict, np.ndarray, np.ndarray]:
    """Win rate = won / (won + lost) with its Wilson 95 % interval, and the won and lost masks.

    A stage is won or lost by name, case-insensitively (:data:`WON`, :data:`LOST`); every other
    stage is an open deal. Open deals are right-censored (their outcome is not known yet) and are
    left out; the number is kept in ``open``.
    """
    stage = opportunities["stage"].astype("string").str.strip().str.lower()
    won = stage.isin(WON).fillna(False).to_numpy(dtype=bool)
    lost = stage.isin(LOST).fillna(False).to_numpy(dtype=bool)
    open_ = ~(won | lost)
    win = proportion(int(won.sum()), int(won.sum() + lost.sum()))
    censoring = (
        f"{int(open_.sum())} open deals excluded (right-censored: their outcome is not yet "
        "known; if won and lost deals close at different speeds the closed-deal win rate is "
        "biased towards the faster outcome)"
    )
    win.update(open=int(open_.sum()), source="opportunities", defaulted=False, note=censoring)
    return win, won, lost


def fit_pipeline(tables: dict[str, pd.DataFrame], rows: FitReport) -> dict:
    opportunities = tables.get("opportunities")
    source = "opportunities"
    if opportunities is None or opportunities.empty:
        note = (
            f"no opportunities: win rate {DEFAULT_WIN_RATE}, cycle {DEFAULT_CYCLE_DAYS:g} days "
            "(placeholders; set them from the CRM)"
        )
        rows.add("pipeline.win_rate", "all", DEFAULT_WIN_RATE, 0, source, True, note)
        return {
            "win_rate": {"value": DEFAULT_WIN_RATE, "n": 0, "defaulted": True, "note": note},
            "cycle_days": {
                outcome: {"dist": {"dist": "constant", "value": DEFAULT_CYCLE_DAYS},
                          "n": 0, "defaulted": True}
                for outcome in ("won", "lost")
            },
            "defaulted": True,
        }  # fmt: skip
    win, won, lost = fit_win_rate(opportunities)
    rows.add(
        "pipeline.win_rate", "all", win["value"], win["n"], source, False,
        f"won / (won + lost), Wilson 95 % CI [{win['ci95'][0]:.4f}, {win['ci95'][1]:.4f}]; "
        + win["note"],
    )  # fmt: skip
    cycle_all = (opportunities["closed_at"] - opportunities["created_at"]) / DAY
    cycle_days = {}
    for outcome, mask in (("won", won), ("lost", lost)):
        values = cycle_all[mask].to_numpy(dtype=float)
        cycle_days[outcome] = fitted_duration(
            rows, f"pipeline.cycle_days.{outcome}", "all", values[np.isfinite(values)],
            "opportunities.closed_at-created_at", DEFAULT_CYCLE_DAYS,
        )  # fmt: skip
    amounts = opportunities.loc[won, "amount"].to_numpy(dtype=float)
    deal_value = fitted_duration(
        rows, "pipeline.deal_value", "all", amounts[np.isfinite(amounts)],
        "opportunities.amount (won)", None,
    )  # fmt: skip
    return {
        "win_rate": win,
        "cycle_days": cycle_days,
        "deal_value": deal_value,
        "opportunities_per_agent_day": agent_rate(opportunities, rows),
        "defaulted": False,
    }


def agent_rate(opportunities: pd.DataFrame, rows: FitReport | None = None) -> dict:
    """Opportunities created per day per sales agent, over the span of the creation dates.

    The span runs from the first to the last creation date of the whole table (both days
    included), the same for every agent; an opportunity without an owner is ``unassigned``.
    """
    rows = rows or FitReport()
    created = opportunities.dropna(subset=["created_at"])
    source = "opportunities.created_at+owner"
    if created.empty:
        note = "no creation dates: no agent rate"
        rows.add("pipeline.opportunities_per_agent_day", "all", math.nan, 0, source, True, note)
        return {"value": None, "n": 0, "defaulted": True, "note": note}
    first = created["created_at"].min().normalize()
    last = created["created_at"].max().normalize()
    span = int((last - first) / DAY) + 1
    owner = created["owner"].astype("string").fillna("unassigned")
    per_agent = owner.value_counts().sort_index() / span
    note = (
        f"opportunities with a creation date / {span} days ({first.date()}..{last.date()}), "
        f"per agent; {len(opportunities) - len(created)} without a creation date not counted"
    )
    rows.add(
        "pipeline.opportunities_per_agent_day", "all", float(per_agent.mean()), len(created),
        source, False, note + f"; {len(per_agent)} agents",
    )  # fmt: skip
    return {
        "value": float(per_agent.mean()),
        "sd": float(per_agent.std(ddof=1)) if len(per_agent) > 1 else 0.0,
        "agents": len(per_agent),
        "per_agent": {str(k): float(v) for k, v in per_agent.items()},
        "span_days": span,
        "n": len(created),
        "source": source,
        "defaulted": False,
        "note": note,
    }
