"""Rolling-origin backtest: calibrate before each origin, forecast the next weeks, score them.

For each origin (:mod:`twin.calibration.backtest_windows`) the history known then
(:func:`twin.calibration.calibrate.history_until`, as ``twin calibrate --until``) is fitted and
written to ``models/<origin>/``; that model is simulated from the origin over the window
(:func:`twin.calibration.validate.scenario_for`: a warm-up of ``WARMUP_DAYS`` before the origin,
arrival rates re-expressed at the new start) with the replications on the experiment executors;
and each week's actual value is set against the replications' distribution and against a naive
baseline (:mod:`twin.calibration.backtest_scores`).

The history is mapped and quality-checked once, by the caller; each origin only cuts it.

Series (weekly, per week of the window, by the week the order was placed in):

- ``orders``: orders placed (not cancelled, with ordered lines), unit ``orders``;
- ``units``: units ordered on their lines, unit ``units``;
- ``revenue``: ordered line value (quantity x unit price), unit ``currency``;
- ``lead_time_days``: mean days from order to (last) delivery of the week's delivered orders,
  only when the history has ``delivered_at``. The simulation then runs ``LEAD_TIME_TAIL_WEEKS``
  past the window, so late-window orders can be delivered, as they were in the history.

Tables (columns documented in ``docs/backtest.md``): ``backtest`` (one row per origin x week x
series, :data:`BACKTEST_COLUMNS`), ``summary`` (per origin x series and ``all``,
:data:`SUMMARY_COLUMNS`), ``history`` (the training weeks' actual values, for the fan charts).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from twin.calibration.backtest_scores import QUANTILES, SCORE_COLUMNS, naive_baseline, score_window
from twin.calibration.backtest_windows import training_weeks
from twin.calibration.base_values import orders_with_lines
from twin.calibration.calibrate import calibrate_history, history_until
from twin.calibration.mapping import MappedHistory
from twin.calibration.output import write_model
from twin.calibration.segments import active_period
from twin.calibration.validate import WARMUP_DAYS, scenario_for
from twin.calibration.validation_history import DAY, WEEK_DAYS, Period
from twin.experiments.replicate import ReplicationOutput, default_workers, run_replications
from twin.scenario.schema import Scenario
from twin.stats import prediction_band

#: series -> unit
SERIES: dict[str, str] = {
    "orders": "orders",
    "units": "units",
    "revenue": "currency",
    "lead_time_days": "days",
}

LEAD_TIME_TAIL_WEEKS = 4

#: Training weeks kept per origin in ``history`` (what the fan charts show before the origin).
HISTORY_WEEKS_SHOWN = 26

BACKTEST_COLUMNS = (
    "origin",
    "week",
    "week_start",
    "series",
    "unit",
    "actual",
    "forecast_mean",
    "p05",
    "p25",
    "p50",
    "p75",
    "p95",
    "band90_low",
    "band90_high",
    "band50_low",
    "band50_high",
    "baseline",
    "baseline_value",
)

SUMMARY_COLUMNS = ("origin", "series", "unit", *SCORE_COLUMNS)


@dataclass
class Backtest:
    """The tables of a backtest and what it noted."""

    backtest: pd.DataFrame
    summary: pd.DataFrame
    history: pd.DataFrame
    origins: list[dt.date]
    horizon_weeks: int
    replications: int
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def history_span(tables: dict[str, pd.DataFrame]) -> tuple[dt.date, dt.date]:
    """The active period's first day and the day after its last, as calibration sees it."""
    orders, _ = orders_with_lines(tables, "Backtest", "in the history")
    first, last = active_period(orders["ordered_at"])
    return first, last + dt.timedelta(days=1)


def weekly_history(
    orders: pd.DataFrame, lines: pd.DataFrame, start: dt.date, weeks: int, lead_times: bool
) -> pd.DataFrame:
    """``week`` and one column per series of the history, one row per week from ``start``.

    Week 0 is ``[start, start + 7 days)``; ``lead_time_days`` is NaN in a week without a
    delivered order.
    """
    per_order = lines.assign(value=lines["quantity"] * lines["unit_price"]).groupby("order_id")
    days = ((orders["ordered_at"] - pd.Timestamp(start)) / DAY).to_numpy(dtype=float)
    inside = (days >= 0) & (days < weeks * WEEK_DAYS)
    window = orders[inside]
    week = np.floor(days[inside] / WEEK_DAYS).astype(int)
    ids = window["order_id"]
    values = {
        "orders": np.ones(len(window)),
        "units": ids.map(per_order["quantity"].sum()).fillna(0.0).to_numpy(dtype=float),
        "revenue": ids.map(per_order["value"].sum()).fillna(0.0).to_numpy(dtype=float),
    }
    if lead_times:
        values["lead_time_days"] = ((window["delivered_at"] - window["ordered_at"]) / DAY).to_numpy(
            dtype=float
        )
    return _weekly_frame(week, values, weeks)


def weekly_simulated(output: ReplicationOutput, weeks: int, lead_times: bool) -> pd.DataFrame:
    """The same weekly series of one replication's orders placed in the window."""
    orders = output.orders
    days = orders["t_arrival"].to_numpy(dtype=float) - WARMUP_DAYS
    inside = (days >= 0) & (days < weeks * WEEK_DAYS)
    week = np.floor(days[inside] / WEEK_DAYS).astype(int)
    values = {
        "orders": np.ones(int(inside.sum())),
        "units": orders["units"].to_numpy(dtype=float)[inside],
        "revenue": orders["value"].to_numpy(dtype=float)[inside],
    }
    if lead_times:
        lead = orders["t_last_delivery"] - orders["t_arrival"]
        values["lead_time_days"] = lead.to_numpy(dtype=float)[inside]
    return _weekly_frame(week, values, weeks)


def _weekly_frame(week: np.ndarray, values: dict[str, np.ndarray], weeks: int) -> pd.DataFrame:
    """Weekly sums of counts and values; the weekly mean of ``lead_time_days`` (NaN-aware)."""
    frame = {"week": np.arange(weeks)}
    for name, value in values.items():
        if name == "lead_time_days":
            known = np.isfinite(value) & (value >= 0)
            total = np.bincount(week[known], weights=value[known], minlength=weeks)
            count = np.bincount(week[known], minlength=weeks)
            with np.errstate(invalid="ignore", divide="ignore"):
                frame[name] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        else:
            frame[name] = np.bincount(week, weights=value, minlength=weeks).astype(float)
    return pd.DataFrame(frame)


def _seeded(scenario: Scenario, seed: int | None) -> Scenario:
    if seed is None:
        return scenario
    data = scenario.model_dump()
    data["run"]["seed"] = seed
    return Scenario.model_validate(data)


@dataclass
class _Window:
    """One origin's actual, simulated and baseline weeks of one series."""

    origin: dt.date
    series: str
    actual: np.ndarray
    simulated: np.ndarray
    baseline_name: str
    baseline: np.ndarray
    scale: float


def run_backtest(
    tables: dict[str, pd.DataFrame],
    origins: list[dt.date],
    *,
    horizon_weeks: int,
    replications: int,
    models_dir: Path,
    mapped: MappedHistory,
    source: str,
    mapping: str,
    seed: int | None = None,
    workers: int | None = None,
    say: Callable[[str], None] | None = None,
) -> Backtest:
    """Calibrate before each origin, simulate the window and score it against the history.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        Canonical history tables after the quality step (mapped and checked once).
    origins : list of datetime.date
        Checked origins (:func:`twin.calibration.backtest_windows.check_origins`).
    horizon_weeks : int
        Weeks forecast after each origin (>= 1).
    replications : int
        Replications per origin (>= 2, for a band).
    models_dir : pathlib.Path
        Where each origin's model folder ``<origin>/`` is written.
    mapped, source, mapping
        The mapped history, the source and the mapping file, for each model's provenance.
    seed : int, optional
        ``run.seed`` of every origin's simulation (default: the calibrated model's).
    workers : int, optional
        Local processes for the replications (default: all cores, at most one per replication).
    say : callable, optional
        Called with one line of progress per origin.
    """
    orders, lines = orders_with_lines(tables, "Backtest", "in the history")
    first, _ = active_period(orders["ordered_at"])
    lead_times = bool(orders.get("delivered_at", pd.Series(dtype=float)).notna().any())
    series = [s for s in SERIES if s != "lead_time_days" or lead_times]
    notes: list[str] = []
    if not lead_times:
        notes.append("lead_time_days: not scored, the history has no delivered_at")
    windows: list[_Window] = []
    rows: list[pd.DataFrame] = []
    history_rows: list[pd.DataFrame] = []
    seconds = {"calibrate": 0.0, "simulate": 0.0}
    for origin in origins:
        started = time.perf_counter()
        calibration = calibrate_history(
            history_until(tables, pd.Timestamp(origin)), name=f"backtest_{origin}"
        )
        model_dir = Path(models_dir) / origin.isoformat()
        write_model(model_dir, calibration, mapped, source, mapping)
        calibrated = time.perf_counter()
        simulated_weeks = horizon_weeks + (LEAD_TIME_TAIL_WEEKS if lead_times else 0)
        scenario = _seeded(
            scenario_for(model_dir, Period(origin, simulated_weeks), replications), seed
        )
        outputs = run_replications(
            scenario, replications, workers or default_workers(replications), keep_orders=True
        )
        done = time.perf_counter()
        seconds["calibrate"] += calibrated - started
        seconds["simulate"] += done - calibrated
        if say:
            say(
                f"origin {origin}: calibrated in {calibrated - started:.1f} s, "
                f"{replications} replications of {simulated_weeks} weeks in "
                f"{done - calibrated:.1f} s"
            )
        train = training_weeks(first, origin)
        train_start = origin - dt.timedelta(weeks=train)
        actual = weekly_history(orders, lines, train_start, train + horizon_weeks, lead_times)
        sims = [weekly_simulated(o, horizon_weeks, lead_times) for o in outputs]
        week_starts = pd.date_range(origin, periods=horizon_weeks, freq=f"{WEEK_DAYS}D")
        shown = actual.iloc[max(0, train - HISTORY_WEEKS_SHOWN) : train]
        for name in series:
            values = actual[name].to_numpy(dtype=float)
            stack = np.vstack([s[name].to_numpy(dtype=float) for s in sims])
            base_name, base, scale = naive_baseline(values[:train], horizon_weeks)
            window = _Window(origin, name, values[train:], stack, base_name, base, scale)
            windows.append(window)
            rows.append(_backtest_rows(window, week_starts))
            history_rows.append(
                pd.DataFrame(
                    {
                        "origin": origin.isoformat(),
                        "week_start": pd.date_range(
                            train_start, periods=train + horizon_weeks, freq=f"{WEEK_DAYS}D"
                        )[shown.index],
                        "series": name,
                        "unit": SERIES[name],
                        "actual": shown[name].to_numpy(dtype=float),
                    }
                )
            )
        for output in outputs:
            notes.extend(n for n in output.notes if n not in notes)
    return Backtest(
        backtest=pd.concat(rows, ignore_index=True)[list(BACKTEST_COLUMNS)],
        summary=summarise(windows, series),
        history=pd.concat(history_rows, ignore_index=True),
        origins=list(origins),
        horizon_weeks=horizon_weeks,
        replications=replications,
        seconds=seconds,
        notes=notes,
    )


def _backtest_rows(window: _Window, week_starts: pd.DatetimeIndex) -> pd.DataFrame:
    stack = window.simulated
    # weeks where a replication has no value (lead time without deliveries) are left out
    quantiles = np.nanquantile(stack, QUANTILES, axis=0) if stack.size else None
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(stack, axis=0)
    frame = pd.DataFrame(
        {
            "origin": window.origin.isoformat(),
            "week": np.arange(len(week_starts)),
            "week_start": week_starts.date,
            "series": window.series,
            "unit": SERIES[window.series],
            "actual": window.actual,
            "forecast_mean": mean,
            "baseline": window.baseline_name,
            "baseline_value": window.baseline,
        }
    )
    for level, values in zip(QUANTILES, quantiles, strict=True):
        frame[f"p{round(level * 100):02d}"] = values
    for level in (90, 50):
        frame[f"band{level}_low"], frame[f"band{level}_high"] = prediction_band(stack, level / 100)
    return frame[list(BACKTEST_COLUMNS)]


def summarise(windows: list[_Window], series: list[str]) -> pd.DataFrame:
    """Scores per origin x series, then per series over all origins' weeks (``origin`` = all)."""
    rows = []
    for window in windows:
        scores = score_window(
            window.actual, window.simulated, window.baseline, window.scale, window.baseline_name
        )
        rows.append({"origin": window.origin.isoformat(), "series": window.series, **scores})
    for name in series:
        chosen = [w for w in windows if w.series == name]
        names = sorted({w.baseline_name for w in chosen})
        scores = score_window(
            np.concatenate([w.actual for w in chosen]),
            np.hstack([w.simulated for w in chosen]),
            np.concatenate([w.baseline for w in chosen]),
            np.concatenate([np.full(w.actual.size, w.scale) for w in chosen]),
            "+".join(names),
        )
        rows.append({"origin": "all", "series": name, **scores})
    summary = pd.DataFrame(rows)
    summary.insert(2, "unit", summary["series"].map(SERIES))
    return summary[list(SUMMARY_COLUMNS)]
