"""Validate a calibrated model against the history it came from: does the twin reproduce it?

The model folder's ``model.yaml`` is run over the *compared period* (the history's active period,
or its tail from a hold-out date) and the simulated KPIs are set against the actual ones.

Period and warm-up
------------------
The compared period starts at the active period's first day (``active_period``, as calibration
uses it) or at the hold-out date, and covers the whole weeks up to the active period's last day.
Each replication starts ``WARMUP_DAYS`` (8 weeks) earlier and discards that warm-up, so stock,
backlog and receivables have settled from the model's initial state when comparison starts; a
whole number of weeks keeps simulated and actual weeks on the same weekdays.

What is compared
----------------
- ``weekly_orders`` and ``weekly_revenue``: per week of the period, the actual orders (not
  cancelled, with ordered lines, by ``ordered_at``) and their ordered line value paid (quantity x
  unit price - discount) against the simulated orders (by ``t_arrival``) and their ``value``.
- ``lead_time_p50_days``, ``lead_time_p95_days``: actual ``delivered_at - ordered_at`` of the
  period's orders, against the same quantiles of completed simulated orders.
- ``dso_days``: mean open receivables / invoiced revenue per day over the period, when the history
  has invoices and payments (an invoice is open from ``issued_at`` to its last ``paid_at``).
- ``satisfaction``: the mean review or ticket score of the period's delivered orders, against
  the score the fitted satisfaction curve (``behaviour.yaml``, score against days late) gives the
  simulated orders' lateness (delivered date - promised date). It tests the chain of lead time,
  promise and curve; skipped when the history has no scores or the model no fitted curve.
- ``fill_rate`` appears as a row without values and with a note: the canonical history records
  no filled or short quantities.

Columns of ``validation.csv`` are
:data:`twin.calibration.validation_scores.COLUMNS`. For a weekly series, ``actual`` and
``simulated_mean`` are mean weekly values; ``simulated_p05``/``simulated_p95`` are the 5 % and
95 % quantiles over replications of a replication's mean weekly value; ``mape`` is the mean over
weeks (with actual > 0) of ``|simulated mean - actual| / actual``; ``bias`` is
``sum(simulated mean - actual) / sum(actual)``; ``coverage_90`` is the share of weeks whose actual
lies in the simulated 5-95 % band of that week. For a single KPI, ``mape`` is
``|simulated mean - actual| / |actual|`` and ``bias`` the signed relative error. A tolerance is a
bound on ``mape``; ``passed`` is empty where there is no tolerance or no value.

This module runs the twin; the actual side is :mod:`twin.calibration.validation_history`, the
scoring :mod:`twin.calibration.validation_scores` and the files
:mod:`twin.calibration.validation_output`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from twin.calibration.base_values import orders_with_lines
from twin.calibration.behaviour.satisfaction import predicted_score
from twin.calibration.output import BEHAVIOUR_FILE
from twin.calibration.validation_history import (
    DAY,
    WEEK_DAYS,
    Period,
    actual_dso_days,
    actual_satisfaction,
    actual_weekly,
    compared_period,
)
from twin.calibration.validation_scores import COLUMNS, kpi_row, scalar_row, weekly_row
from twin.errors import InputError
from twin.experiments.replicate import ReplicationOutput, default_workers, run_replications
from twin.scenario.loader import load
from twin.scenario.schema import Scenario
from twin.scenario.yaml_source import load_yaml

WARMUP_DAYS = 56

#: Default MAPE tolerances (dimensionless); ``--tolerance kpi=value`` overrides or adds.
DEFAULT_TOLERANCES: dict[str, float] = {"weekly_orders": 0.20, "weekly_revenue": 0.25}

KPIS = (
    "weekly_orders",
    "weekly_revenue",
    "lead_time_p50_days",
    "lead_time_p95_days",
    "fill_rate",
    "dso_days",
    "satisfaction",
)


@dataclass
class Validation:
    """The comparison table, the weekly series behind it and what was skipped."""

    table: pd.DataFrame
    weekly: pd.DataFrame
    period: Period
    replications: int
    notes: list[str] = field(default_factory=list)

    def failures(self) -> pd.DataFrame:
        """Rows whose MAPE is above their tolerance."""
        return self.table[self.table["passed"].eq(False).fillna(False).astype(bool)]


def parse_tolerances(items: tuple[str, ...] | list[str]) -> dict[str, float]:
    """Default tolerances updated by ``kpi=value`` items (MAPE, a fraction >= 0)."""
    tolerances = dict(DEFAULT_TOLERANCES)
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or name not in KPIS:
            raise InputError(
                f"--tolerance {item}: expected kpi=value with kpi one of {', '.join(KPIS)}, "
                "e.g. --tolerance weekly_orders=0.15"
            )
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not np.isfinite(value) or value < 0:
            raise InputError(f"--tolerance {item}: the value must be a number >= 0 (a MAPE)")
        tolerances[name] = value
    return tolerances


def simulated_weekly(outputs: list[ReplicationOutput], period: Period) -> pd.DataFrame:
    """``replication, week, orders, revenue`` of each replication's window orders."""
    frames = []
    for output in outputs:
        orders = output.orders
        days = orders["t_arrival"].to_numpy(dtype=float) - WARMUP_DAYS
        inside = (days >= 0) & (days < period.days)
        week = np.floor(days[inside] / WEEK_DAYS).astype(int)
        values = orders["value"].to_numpy(dtype=float)[inside]
        frames.append(
            pd.DataFrame(
                {
                    "replication": output.replication,
                    "week": np.arange(period.weeks),
                    "orders": np.bincount(week, minlength=period.weeks).astype(float),
                    "revenue": np.bincount(week, weights=values, minlength=period.weeks),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def rereference_arrivals(
    arrivals: dict, shift_days: float, start_date: dt.date | None = None
) -> dict:
    """Poisson arrivals expressed at day ``shift_days`` of the old clock instead of day 0.

    The twin's rate on day d is ``rate * trend(d)`` from ``run.start_date`` (``start_date``, needed
    when the trend has ``trend_changes``), and calibration states ``rate`` and the slopes at the
    day after the history. Moving the start to the compared period (``shift_days`` < 0) without
    this would apply the end-of-history level to the whole period. At the new day 0 the level is
    ``rate * f`` with ``f = trend(shift)``, and every slope (``trend_per_year`` and each change's)
    becomes ``slope / f``; change dates and events are calendar dates and stay as they are.

    The ``uncertainty`` of the rate and trend is re-expressed at the new day 0 too. A
    replication's draw ``(a, b)`` multiplies the old level by ``exp(a)`` and adds ``b`` to every
    slope, so at the new day 0 (``s = shift / 365`` years, ``k`` the slope in force there) the
    level moves by ``a' = a + b s / f`` and the slope in new units by ``b' = b (f - k s) / f**2``
    (to first order in ``b``; exact for the level's mean path of a linear trend), and the
    standard deviations and correlation are those of ``(a', b')``. The scale of the slope changes
    drawn after the history (``trend_change_scale``) is a slope too and becomes ``scale / f``.
    """
    if arrivals.get("kind") != "poisson":
        return arrivals  # replayed order times are calendar times already
    from twin.scenario.arrival_rates import trend_factor

    rate, trend = arrivals["rate_per_day"], arrivals.get("trend_per_year", 0.0)
    changes = arrivals.get("trend_changes") or []
    if changes and start_date is None:
        raise ValueError("rereference_arrivals: trend_changes need the old start_date")
    pairs = [
        (float((dt.date.fromisoformat(str(c["date"])) - start_date).days), c["trend_per_year"])
        for c in changes
    ]
    factor = float(trend_factor(trend, pairs, np.array([shift_days]))[0])
    if factor <= 0:
        raise InputError(
            f"the model's arrival trend ({trend:.3g} per year) gives no orders "
            f"{-shift_days:g} days before its start date; compare a later period (--holdout-from)"
        )
    result = {**arrivals, "rate_per_day": rate * factor, "trend_per_year": trend / factor}
    stated = arrivals.get("uncertainty")
    if stated:
        at = np.array([shift_days, shift_days + 1.0])
        slope = float(np.diff(trend_factor(trend, pairs, at))[0]) * 365.0
        result["uncertainty"] = rereference_uncertainty(stated, shift_days / 365.0, factor, slope)
    if changes:
        result["trend_changes"] = [
            {**c, "trend_per_year": c["trend_per_year"] / factor} for c in changes
        ]
    return result


def rereference_uncertainty(stated: dict, years: float, factor: float, slope: float) -> dict:
    """The rate and trend uncertainty at ``years`` from the old day 0 (see
    :func:`rereference_arrivals`): ``factor`` the trend factor there, ``slope`` its slope."""
    sd_a, sd_b = stated.get("log_rate_sd", 0.0), stated.get("trend_sd", 0.0)
    rho = stated.get("correlation", 0.0)
    u, c = years / factor, (factor - slope * years) / factor**2  # a' = a + u b, b' = c b
    var_a = sd_a**2 + u * u * sd_b**2 + 2.0 * u * rho * sd_a * sd_b
    cov = c * (rho * sd_a * sd_b + u * sd_b**2)
    new_a, new_b = math.sqrt(max(var_a, 0.0)), abs(c) * sd_b
    correlation = cov / (new_a * new_b) if new_a > 0 and new_b > 0 else 0.0
    result = {
        **stated,
        "log_rate_sd": min(new_a, 3.0),  # the section's bound
        "trend_sd": new_b,
        "correlation": max(-1.0, min(1.0, correlation)),
    }
    if "trend_change_scale" in stated:  # a slope, in units of the day-0 rate like the trend's
        result["trend_change_scale"] = stated["trend_change_scale"] / factor
    return result


def scenario_for(model_dir: Path, period: Period, replications: int) -> Scenario:
    """The model as a scenario over the compared period, with ``WARMUP_DAYS`` before it.

    Arrival rates and trends are re-expressed at the new start date
    (:func:`rereference_arrivals`); everything else is the model as calibrated.
    """
    model = Path(model_dir) / "model.yaml"
    if not model.is_file():
        raise InputError(f"{model_dir}: no model.yaml; give a folder written by `twin calibrate`")
    base = load(Scenario, model)
    start = period.start - dt.timedelta(days=WARMUP_DAYS)
    shift_days = float((start - base.run.start_date).days)
    data = base.model_dump()
    data["run"].update(
        start_date=start,
        horizon_days=float(WARMUP_DAYS + period.days),
        warmup_days=float(WARMUP_DAYS),
        replications=replications,
    )
    for segment in data["segments"].values():
        segment["arrivals"] = rereference_arrivals(
            segment["arrivals"], shift_days, base.run.start_date
        )
    try:
        return Scenario.model_validate(data)
    except ValueError as exc:
        raise InputError(f"{model}: the model over the compared period is invalid: {exc}") from None


def validate_model(
    model_dir: Path,
    tables: dict[str, pd.DataFrame],
    *,
    holdout_from: dt.date | None = None,
    replications: int = 10,
    tolerances: dict[str, float] | None = None,
    workers: int | None = None,
) -> Validation:
    """Simulate the model over the compared period and compare it with the history.

    Parameters
    ----------
    model_dir : pathlib.Path
        Folder holding ``model.yaml`` (written by ``twin calibrate``).
    tables : dict of str to pandas.DataFrame
        Canonical history tables after the quality step (``check_history(...).tables``).
    holdout_from : datetime.date, optional
        Compare only from this day (a held-out tail); default the active period's first day.
    replications : int
        Number of replications (>= 1).
    tolerances : dict of str to float, optional
        MAPE bound per KPI (dimensionless); default :data:`DEFAULT_TOLERANCES`.
    workers : int, optional
        Local processes; default all cores, at most one per replication.

    Returns
    -------
    Validation
        The table with columns :data:`COLUMNS`, the weekly series and notes.

    Raises
    ------
    InputError
        No orders with lines; a hold-out date outside the active period; no ``model.yaml`` or one
        that does not validate as a scenario.
    """
    if replications < 1:
        raise InputError(f'"replications" must be >= 1, got {replications}')
    tolerances = DEFAULT_TOLERANCES if tolerances is None else tolerances
    orders, lines = orders_with_lines(tables, "Validation", "in the history")
    period = compared_period(orders["ordered_at"], holdout_from)
    scenario = scenario_for(model_dir, period, replications)
    outputs = run_replications(
        scenario, replications, workers or default_workers(replications), keep_orders=True
    )
    actual = actual_weekly(orders, lines, period)
    simulated = simulated_weekly(outputs, period)
    notes: list[str] = []
    rows = []
    for kpi, column in (("weekly_orders", "orders"), ("weekly_revenue", "revenue")):
        wide = simulated.pivot(index="replication", columns="week", values=column)
        rows.append(weekly_row(kpi, actual[column].to_numpy(), wide))

    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    window = orders[(orders["ordered_at"] >= start) & (orders["ordered_at"] < end)]
    lead = ((window["delivered_at"] - window["ordered_at"]) / DAY).to_numpy(dtype=float)
    lead = lead[np.isfinite(lead) & (lead >= 0)]
    kpis = pd.DataFrame([o.kpis for o in outputs])
    for kpi, q in (("lead_time_p50_days", 0.5), ("lead_time_p95_days", 0.95)):
        if lead.size:
            actual_q = float(np.quantile(lead, q))
            rows.append(scalar_row(kpi, actual_q, kpis[kpi].to_numpy(dtype=float)))
        else:
            rows.append(kpi_row(kpi, note="no delivered_at in the period's orders"))
    rows.append(
        kpi_row(
            "fill_rate",
            note="skipped: the history records no filled or short quantities per order line",
        )
    )
    dso = actual_dso_days(tables, period)
    if np.isfinite(dso):
        rows.append(scalar_row("dso_days", dso, kpis["dso_days"].to_numpy(dtype=float)))
    else:
        rows.append(kpi_row("dso_days", note="skipped: the history has no invoices with payments"))
    rows.append(_satisfaction_row(model_dir, tables, window, outputs, period))
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["tolerance"] = table["kpi"].map(tolerances).astype(float)
    has_value = table["mape"].notna() & table["tolerance"].notna()
    passed = pd.Series(pd.NA, index=table.index, dtype="boolean")
    passed[has_value] = table.loc[has_value, "mape"] <= table.loc[has_value, "tolerance"]
    table["passed"] = passed
    for _, row in table[table["tolerance"].notna() & ~has_value].iterrows():
        notes.append(f"{row['kpi']}: tolerance {row['tolerance']:g} not checked ({row['note']})")
    notes.extend(f"{r['kpi']}: {r['note']}" for _, r in table.iterrows() if r["note"])
    for output in outputs:
        notes.extend(n for n in output.notes if n not in notes)

    weekly = actual.rename(columns={"orders": "actual_orders", "revenue": "actual_revenue"})
    weekly.insert(1, "week_start", period.week_starts())
    for column in ("orders", "revenue"):
        grouped = simulated.groupby("week")[column]
        weekly[f"simulated_{column}_mean"] = grouped.mean().to_numpy()
        weekly[f"simulated_{column}_p05"] = grouped.quantile(0.05).to_numpy()
        weekly[f"simulated_{column}_p95"] = grouped.quantile(0.95).to_numpy()
    return Validation(table, weekly, period, replications, notes)


def simulated_satisfaction(
    outputs: list[ReplicationOutput], period: Period, curve: dict
) -> np.ndarray:
    """Per replication, the mean fitted score of the window's delivered orders.

    A replication starts at midnight, so the floor of a time in days is its calendar date, and
    lateness is compared by date as in the history (delivered date - promised date).
    """
    means = []
    for output in outputs:
        orders = output.orders
        days = orders["t_arrival"].to_numpy(dtype=float) - WARMUP_DAYS
        delivered = orders["t_last_delivery"].to_numpy(dtype=float)
        inside = (days >= 0) & (days < period.days) & np.isfinite(delivered)
        promised = orders["t_promised"].to_numpy(dtype=float)[inside]
        lateness = np.floor(delivered[inside]) - np.floor(promised)
        means.append(float(predicted_score(curve, lateness).mean()) if lateness.size else np.nan)
    return np.asarray(means)


def _satisfaction_row(
    model_dir: Path,
    tables: dict[str, pd.DataFrame],
    window: pd.DataFrame,
    outputs: list[ReplicationOutput],
    period: Period,
) -> dict:
    scores = actual_satisfaction(tables, window)
    if not scores.size:
        return kpi_row("satisfaction", note="skipped: no scored tickets on the period's orders")
    path = Path(model_dir) / BEHAVIOUR_FILE
    behaviour = load_yaml(path)[0] if path.is_file() else {}
    curve = (behaviour.get("satisfaction") or {}).get("score_curve")
    if not curve:
        return kpi_row("satisfaction", note=f"skipped: no fitted score curve in {path}")
    try:
        predicted_score(curve, np.zeros(1))
    except (KeyError, TypeError, AttributeError) as exc:
        raise InputError(
            f"{path}: satisfaction.score_curve is not a fitted curve ({exc!r}); expected "
            "'chosen' (constant, step, piecewise_linear, step_piecewise_linear or logistic) and "
            "the 'params' of that form, as `twin calibrate` writes them"
        ) from None
    simulated = simulated_satisfaction(outputs, period, curve)
    note = f"mean score of {scores.size} tickets; simulated through the fitted {curve['chosen']}"
    return scalar_row("satisfaction", float(scores.mean()), simulated, note=note)
