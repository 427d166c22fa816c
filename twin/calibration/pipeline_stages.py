"""Win probability by CRM stage: the share of closed deals won among those that were in a stage.

An open deal of the state is won with its stage's probability
(``customers.pipeline.win_probability_by_stage``, :mod:`twin.model.open_crm`). The estimate for
stage s is

    p_s = W_s / N_s,   se(p_s) = sqrt(p_s (1 - p_s) / N_s),

with N_s the closed (won or lost) deals known to have been in stage s before they closed and W_s
the won ones among them, and a Wilson 95 % interval (:func:`twin.stats.wilson_interval`). Open
deals are right-censored and left out, as for the overall win rate
(:func:`twin.calibration.behaviour.pipeline.fit_win_rate`).

Which closed deals were in a stage? A CRM extract usually keeps only a deal's current stage, so
a closed deal shows ``Won`` or ``Lost`` and not the stages it went through. What the history does
show is its creation date (``created_at``), which some CRMs stamp on entering a stage (Maven's
``engage_date``: a deal has one from the day it is Engaging). So a stage is *the dated stage*
when every open deal in it has a creation date while no open deal of any other stage has one;
then a closed deal with a creation date went through the dated stage before it closed, and
p_s is estimated for it. Every other open stage (a Prospecting deal has not been engaged: whether
it ever will is not in the history) is not estimated: it is reported ``defaulted`` and an open
deal in it takes the pipeline's ``win_probability``. A history whose open deals all carry a
creation date in several stages (Odoo's ``create_date``) gives no stage estimate.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from twin.calibration.behaviour.pipeline import LOST, WON
from twin.calibration.fit_report import FitReport
from twin.stats import wilson_interval

QUANTITY = "pipeline.win_probability_by_stage"
SOURCE = "opportunities.stage+created_at"
ESTIMATOR = "won / closed among the closed deals with a creation date (the dated stage's)"


def stage_outcomes(opportunities: pd.DataFrame) -> pd.DataFrame:
    """One row per opportunity: ``stage`` (stripped), ``won``, ``closed`` and ``dated`` (has a
    creation date)."""
    stage = opportunities["stage"].astype("string").str.strip()
    lower = stage.str.lower()
    won = lower.isin(WON).fillna(False).to_numpy(dtype=bool)
    closed = won | lower.isin(LOST).fillna(False).to_numpy(dtype=bool)
    created = opportunities.get("created_at")
    dated = np.zeros(len(opportunities), bool) if created is None else created.notna().to_numpy()
    return pd.DataFrame(
        {"stage": stage.to_numpy(dtype=object), "won": won, "closed": closed, "dated": dated}
    )


def dated_stage(outcomes: pd.DataFrame) -> str | None:
    """The one open stage whose open deals all have a creation date while those of every other
    open stage have none; None when there is no such stage."""
    open_deals = outcomes[~outcomes["closed"] & outcomes["stage"].notna()]
    share = open_deals.groupby("stage")["dated"].mean()
    full = share.index[share == 1.0].tolist()
    if len(full) != 1 or not (share.drop(full) == 0.0).all():
        return None
    return str(full[0])


def fit_stage_win_probabilities(opportunities: pd.DataFrame | None, report: FitReport) -> dict:
    """The ``behaviour.yaml`` pipeline entries ``win_probability_by_stage`` (stage ->
    probability, only the estimated stages) and ``stage_win_rates`` (each open stage's estimate
    or why there is none), with one fit-report row per open stage; empty when the history has no
    open opportunity with a stage, or no stage can be estimated."""
    if opportunities is None or not len(opportunities):
        return {}
    outcomes = stage_outcomes(opportunities)
    stages = sorted(set(outcomes.loc[~outcomes["closed"], "stage"].dropna()))
    if not stages:
        return {}
    chosen = dated_stage(outcomes)
    closed = outcomes[outcomes["closed"] & outcomes["dated"]]
    rates: dict[str, dict] = {}
    for stage in stages:
        if stage == chosen and len(closed):
            rates[stage] = _estimate(stage, int(closed["won"].sum()), len(closed), report)
        else:
            why = (
                f"no closed deal is known to have been in stage {stage}: the history keeps only "
                "each deal's final stage"
                + (
                    f", and only {chosen} deals carry a creation date"
                    if chosen
                    else " and no single stage's deals alone carry a creation date"
                )
                + "; an open deal in it takes the pipeline's win_probability"
            )
            report.add(QUANTITY, stage, math.nan, 0, SOURCE, True, why)
            rates[stage] = {"value": None, "n": 0, "defaulted": True, "note": why}
    by_stage = {s: r["value"] for s, r in rates.items() if not r["defaulted"]}
    if not by_stage:
        return {}
    return {"win_probability_by_stage": by_stage, "stage_win_rates": rates}


def _estimate(stage: str, won: int, n: int, report: FitReport) -> dict:
    """p = won / n with its binomial standard error and Wilson 95 % interval; one report row."""
    p = won / n
    se = math.sqrt(p * (1.0 - p) / n)
    low, high = wilson_interval(won, n)
    note = (
        f"{ESTIMATOR}: {won} won of {n} closed; se sqrt(p (1 - p) / n) = {se:.4f}, "
        f"Wilson 95 % CI [{low:.4f}, {high:.4f}]; open deals (right-censored) left out"
    )
    report.add(QUANTITY, stage, p, n, SOURCE, False, note)
    return {
        "value": p,
        "se": se,
        "ci95": [low, high],
        "successes": won,
        "n": n,
        "estimator": ESTIMATOR,
        "defaulted": False,
    }
