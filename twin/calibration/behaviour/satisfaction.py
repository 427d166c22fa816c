"""The ``satisfaction`` block: review score against delivery lateness.

Bin means with their intervals, the mean-score curve chosen by AIC among parametric candidates
(:func:`predicted_score` evaluates it, for the validation and the report), and the probability of
a low score by logistic regression.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import scipy.optimize
import scipy.special

from twin.calibration.behaviour.estimates import proportion
from twin.calibration.fit_report import DAY, MIN_FIT_VALUES, FitReport

LATENESS_BINS = (-math.inf, -7, -1, 0, 3, 7, 14, 30, math.inf)
"""Edges (days late) of the satisfaction bins: (-inf, -7], (-7, -1], (-1, 0] (= on the promised
day), (0, 3], (3, 7], (7, 14], (14, 30], (30, inf)."""


def latenessdays(orders: pd.DataFrame) -> pd.Series:
    """Days late per order: delivered date − promised date (by calendar date; < 0 is early)."""
    return (orders["delivered_at"].dt.normalize() - orders["promised_at"].dt.normalize()) / DAY


def _curve_candidates() -> dict[str, tuple[Callable[..., np.ndarray], list[float], int]]:
    """Mean score as a function of days late L: name → (function, start values, parameters)."""

    def constant(lateness, a):
        return np.full_like(lateness, a, dtype=float)

    def step(lateness, a, b):
        return np.where(lateness > 0, a - b, a)

    def hinge(lateness, a, b):
        return a - b * np.maximum(lateness, 0.0)

    def step_hinge(lateness, a, b, c):
        late = lateness > 0
        return a - late * (b + c * np.maximum(lateness - 1.0, 0.0))

    def logistic(lateness, top, drop, midpoint, width):
        z = np.clip((lateness - midpoint) / np.maximum(np.abs(width), 1e-3), -50, 50)
        return top - drop / (1.0 + np.exp(-z))

    return {
        "constant": (constant, [4.0], 1),
        "step": (step, [4.0, 1.0], 2),
        "piecewise_linear": (hinge, [4.0, 0.1], 2),
        "step_piecewise_linear": (step_hinge, [4.0, 1.0, 0.05], 3),
        "logistic": (logistic, [4.3, 2.0, 2.0, 2.0], 4),
    }


_CURVE_FORMS = {
    "constant": "score = a",
    "step": "score = a − b·[L > 0]",
    "piecewise_linear": "score = a − b·max(L, 0)",
    "step_piecewise_linear": "score = a − [L > 0]·(b + c·max(L − 1, 0))",
    "logistic": "score = top − drop / (1 + exp(−(L − midpoint) / width))",
}


def predicted_score(curve: dict, lateness: np.ndarray) -> np.ndarray:
    """Mean score at `lateness` (days late) of a fitted ``score_curve`` (``chosen``, ``params``)."""
    function, _, _ = _curve_candidates()[curve["chosen"]]
    return function(np.asarray(lateness, dtype=float), **curve["params"])


def fit_score_curve(lateness: np.ndarray, score: np.ndarray) -> dict:
    """Mean score against days late L: candidates fitted by least squares, chosen by AIC.

    Each candidate is a mean curve with normal errors of one variance, so its log-likelihood is
    ``−n/2 (log(2π RSS/n) + 1)`` and ``AIC = 2(k + 1) − 2 loglik`` (k curve parameters plus the
    variance). The scores are on the source's ordinal scale; treating them as numbers is the
    usual first model of a review score and gives the mean the twin needs.
    """
    lateness = np.asarray(lateness, dtype=float)
    score = np.asarray(score, dtype=float)
    n = score.size
    candidates = []
    for name, (function, start, k) in _curve_candidates().items():
        try:
            params, _ = scipy.optimize.curve_fit(function, lateness, score, p0=start, maxfev=5000)
        except (RuntimeError, ValueError, scipy.optimize.OptimizeWarning):
            candidates.append({"name": name, "params": None, "k": k, "aic": math.nan,
                               "note": "did not converge"})  # fmt: skip
            continue
        rss = float(np.sum((score - function(lateness, *params)) ** 2))
        loglik = -n / 2 * (math.log(2 * math.pi * max(rss, 1e-300) / n) + 1)
        names = function.__code__.co_varnames[1 : 1 + k]
        candidates.append(
            {
                "name": name,
                "form": _CURVE_FORMS[name],
                "params": {p: float(v) for p, v in zip(names, params, strict=True)},
                "k": k,
                "rss": rss,
                "aic": 2 * (k + 1) - 2 * loglik,
            }
        )
    fitted = [c for c in candidates if c["params"] is not None and math.isfinite(c["aic"])]
    best = min(fitted, key=lambda c: c["aic"])
    for candidate in candidates:
        candidate["chosen"] = candidate is best
        if candidate["params"] is not None:
            candidate["delta_aic"] = candidate["aic"] - best["aic"]
    return {"chosen": best["name"], "form": best["form"], "params": best["params"],
            "aic": best["aic"], "n": n, "candidates": candidates}  # fmt: skip


def fit_low_score(lateness: np.ndarray, low: np.ndarray) -> dict:
    """Probability of a low score: logistic regression on ``[L > 0]`` and ``max(L, 0)``.

    ``logit P(low) = b0 + b1·[L > 0] + b2·max(L, 0)``, fitted by maximum likelihood (BFGS on the
    log-likelihood), with standard errors from the inverse Hessian of the log-likelihood at the
    optimum.
    """
    late = (lateness > 0).astype(float)
    days_late = np.maximum(lateness, 0.0)
    design = np.column_stack([np.ones_like(late), late, days_late])
    y = low.astype(float)

    def negloglik(beta: np.ndarray) -> tuple[float, np.ndarray]:
        eta = design @ beta
        value = float(np.sum(np.logaddexp(0.0, eta) - y * eta))
        gradient = design.T @ (scipy.special.expit(eta) - y)
        return value, gradient

    share = min(max(y.mean(), 1e-6), 1 - 1e-6)
    start = np.array([math.log(share / (1 - share)), 0.0, 0.0])
    result = scipy.optimize.minimize(negloglik, start, jac=True, method="BFGS")
    beta = result.x
    p = scipy.special.expit(design @ beta)
    hessian = design.T @ (design * (p * (1 - p))[:, None])
    se = np.sqrt(np.clip(np.diag(np.linalg.pinv(hessian)), 0.0, None))
    return {
        "form": "logit P(low) = b0 + b1·[L > 0] + b2·max(L, 0)",
        "params": {"b0": float(beta[0]), "b1": float(beta[1]), "b2": float(beta[2])},
        "se": {"b0": float(se[0]), "b1": float(se[1]), "b2": float(se[2])},
        "aic": 2 * 3 + 2 * float(result.fun),
        "n": int(y.size),
    }


def fit_satisfaction(
    tables: dict[str, pd.DataFrame], rows: FitReport, low_score_max: float
) -> dict:
    tickets = tables.get("tickets")
    orders = tables.get("orders")
    source = "tickets.score+orders.delivered_at-promised_at"
    scored = tickets.dropna(subset=["score", "order_id"]) if tickets is not None else pd.DataFrame()
    if scored.empty or orders is None:
        note = "no scored tickets on orders: satisfaction not fitted"
        rows.add("satisfaction.score_curve", "all", "none", 0, source, True, note)
        return {"defaulted": True, "note": note}
    late = latenessdays(orders.set_index("order_id"))
    lateness = scored["order_id"].map(late).to_numpy(dtype=float)
    known = np.isfinite(lateness)
    score = scored["score"].to_numpy(dtype=float)[known]
    lateness = lateness[known]
    note = (
        f"{int(known.sum())} scores on delivered orders with a promise date "
        f"({int((~known).sum())} scores without a delivery or promise date left out); "
        "lateness = delivered date − promised date in days"
    )
    if score.size < MIN_FIT_VALUES:
        rows.add("satisfaction.score_curve", "all", "none", int(score.size), source, True, note)
        return {"defaulted": True, "n": int(score.size), "note": note}
    bins = pd.cut(lateness, LATENESS_BINS, right=True)
    frame = pd.DataFrame({"bin": bins, "score": score, "low": score <= low_score_max})
    table = frame.groupby("bin", observed=True).agg(
        n=("score", "size"), mean_score=("score", "mean"), sd=("score", "std"), low=("low", "sum")
    )
    bin_rows = []
    for interval, row in table.iterrows():
        low_p = proportion(int(row["low"]), int(row["n"]))
        bin_rows.append(
            {
                "days_late_above": float(interval.left),
                "days_late_at_most": float(interval.right),
                "n": int(row["n"]),
                "mean_score": float(row["mean_score"]),
                "se": float(row["sd"] / math.sqrt(row["n"])) if row["n"] > 1 else math.nan,
                "low_score_probability": low_p["value"],
                "low_score_ci95": low_p["ci95"],
            }
        )
    curve = fit_score_curve(lateness, score)
    low = fit_low_score(lateness, score <= low_score_max)
    on_time = lateness <= 0
    rows.add(
        "satisfaction.score_curve", "all", {"dist": curve["chosen"], **curve["params"]},
        curve["n"], source, False, f"{curve['form']}, chosen by AIC; " + note, aic=curve["aic"],
    )  # fmt: skip
    rows.add(
        "satisfaction.low_score_probability", "all", {"dist": "logistic", **low["params"]},
        low["n"], source, False, f"{low['form']}; low = score <= {low_score_max:g}",
        aic=low["aic"],
    )  # fmt: skip
    return {
        "mean_score_on_time": float(score[on_time].mean()) if on_time.any() else math.nan,
        "mean_score_late": float(score[~on_time].mean()) if (~on_time).any() else math.nan,
        "n_on_time": int(on_time.sum()),
        "n_late": int((~on_time).sum()),
        "low_score_max": low_score_max,
        "bins": bin_rows,
        "score_curve": curve,
        "low_score": low,
        "n": int(score.size),
        "source": source,
        "defaulted": False,
        "note": note,
    }
