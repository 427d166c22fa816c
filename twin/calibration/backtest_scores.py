"""Scores of a probabilistic weekly forecast against what happened, and the naive baselines.

A forecast is an ensemble: ``simulated[r, k]`` is replication r's value of week k of the window.
Everything here is a pure function of arrays, so it is tested on hand-computed cases and closed
forms (``tests/calibration/test_backtest_scores.py``).

Scores of one window (weeks whose actual value is not NaN):

- ``mape``: mean over weeks with actual > 0 of ``|mean_k - y_k| / y_k`` (``mean_k`` the ensemble
  mean of week k);
- ``bias``: ``sum_k (mean_k - y_k) / sum_k y_k``;
- ``coverage_50``, ``coverage_90``: share of weeks whose actual lies in the 50 % or 90 %
  prediction band of the replications (:func:`twin.stats.prediction_band`: the order statistics
  a new draw falls between with at least that probability; with 20 replications the 90 % band is
  their range), bounds included;
- ``width_50``, ``width_90``: mean band width over weeks divided by the mean actual (relative);
- ``crps``: mean over weeks of the ensemble CRPS (:func:`crps_ensemble`), in the series' unit;
- ``pinball``: mean over weeks and the levels :data:`QUANTILES` of the pinball loss of the
  ensemble's quantiles (:func:`pinball_loss`), in the series' unit;
- ``mase``: mean absolute error of the ensemble mean divided by ``scale`` (Hyndman and Koehler
  2006), ``scale`` being the in-sample mean absolute error of the naive forecast on the training
  weeks (:func:`naive_baseline`); ``baseline_mase`` the same of the baseline forecast;
  ``relative_mae`` = MAE(twin) / MAE(baseline).
"""

from __future__ import annotations

import numpy as np

from twin.stats import prediction_band

#: Quantile levels of the fan (and of ``backtest.csv``'s p05..p95 columns).
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)

SEASON_WEEKS = 52
RECENT_WEEKS = 8

#: The columns of a score row, after ``origin``, ``series`` and ``unit``.
SCORE_COLUMNS = (
    "weeks",
    "actual_mean",
    "forecast_mean",
    "mape",
    "bias",
    "coverage_50",
    "coverage_90",
    "width_50",
    "width_90",
    "crps",
    "pinball",
    "baseline",
    "baseline_mape",
    "baseline_bias",
    "mase",
    "baseline_mase",
    "relative_mae",
)


def crps_ensemble(simulated: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """The continuous ranked probability score of an ensemble, per week.

    ``CRPS = E|X - y| - E|X - X'| / 2`` with X, X' independent draws from the ensemble's
    empirical distribution (Gneiting and Raftery 2007, eq. 21): the exact CRPS of that step
    distribution. ``E|X - X'|`` over n sorted members is ``2 / n^2 * sum_i (2i - n - 1) x_(i)``.

    Parameters
    ----------
    simulated : numpy.ndarray
        Members x weeks (or one member vector for a single week), in the series' unit.
    actual : numpy.ndarray
        The observed value of each week (or a scalar).

    Returns
    -------
    numpy.ndarray
        The CRPS of each week, in the series' unit (lower is better; 0 for a point on the truth).
    """
    x = np.sort(np.asarray(simulated, dtype=float), axis=0)
    y = np.asarray(actual, dtype=float)
    n = x.shape[0]
    weights = (2.0 * np.arange(1, n + 1) - n - 1).reshape((n,) + (1,) * (x.ndim - 1))
    spread = 2.0 / n**2 * np.sum(weights * x, axis=0)
    return np.mean(np.abs(x - y), axis=0) - 0.5 * spread


def pinball_loss(quantile: np.ndarray, actual: np.ndarray, level: float) -> np.ndarray:
    """Pinball (quantile) loss ``max(tau (y - q), (tau - 1)(y - q))`` of a ``level`` quantile."""
    error = np.asarray(actual, dtype=float) - np.asarray(quantile, dtype=float)
    return np.maximum(level * error, (level - 1.0) * error)


def naive_baseline(train: np.ndarray, horizon: int) -> tuple[str, np.ndarray, float]:
    """The naive forecast of the next ``horizon`` weeks from the training weeks, and its scale.

    With more than :data:`SEASON_WEEKS` training weeks, the *seasonal naive* forecast: week k
    of the window gets the value of the same week a year (52 weeks) earlier, and the scale is the
    mean of ``|y_t - y_{t-52}|`` over the training weeks. Otherwise the *mean of the last 8 weeks*
    for every week, and the scale is the mean of the one-step naive errors ``|y_t - y_{t-1}|``.
    NaN weeks (no value) are left out of the scale and the mean.

    Parameters
    ----------
    train : numpy.ndarray
        Weekly values before the origin, oldest first, in the series' unit.
    horizon : int
        Weeks to forecast (>= 1).

    Returns
    -------
    tuple of (str, numpy.ndarray, float)
        ``"seasonal_naive"`` or ``"mean_8_weeks"``, the forecast, and the MASE scale (NaN when
        the training weeks give none).
    """
    train = np.asarray(train, dtype=float)
    if train.size > SEASON_WEEKS:
        start = train.size - SEASON_WEEKS
        index = start + np.arange(horizon) % SEASON_WEEKS
        errors = np.abs(train[SEASON_WEEKS:] - train[:-SEASON_WEEKS])
        return "seasonal_naive", train[index], _nanmean(errors)
    recent = train[-RECENT_WEEKS:]
    level = _nanmean(recent)
    return "mean_8_weeks", np.full(horizon, level), _nanmean(np.abs(np.diff(train)))


def _nanmean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator and np.isfinite(denominator) else float("nan")


def score_window(
    actual: np.ndarray,
    simulated: np.ndarray,
    baseline: np.ndarray,
    scale: float,
    baseline_name: str = "",
) -> dict[str, float | str | int]:
    """The scores of :data:`SCORE_COLUMNS` for one series over one or more windows' weeks.

    Parameters
    ----------
    actual : numpy.ndarray
        Weekly actual values (NaN: no value that week, left out).
    simulated : numpy.ndarray
        Replications x weeks.
    baseline : numpy.ndarray
        The baseline forecast of each week.
    scale : float or numpy.ndarray
        The MASE scale (per week when weeks of several windows are pooled).
    baseline_name : str
        Written into the ``baseline`` column.
    """
    actual = np.asarray(actual, dtype=float)
    simulated = np.asarray(simulated, dtype=float)
    baseline = np.asarray(baseline, dtype=float)
    scales = np.broadcast_to(np.asarray(scale, dtype=float), actual.shape)
    keep = np.isfinite(actual) & np.isfinite(simulated).all(axis=0)
    y, x, b, s = actual[keep], simulated[:, keep], baseline[keep], scales[keep]
    row: dict[str, float | str | int] = dict.fromkeys(SCORE_COLUMNS, float("nan"))
    row.update(weeks=int(y.size), baseline=baseline_name)
    if not y.size:
        return row
    mean = x.mean(axis=0)
    q05, q25, q50, q75, q95 = np.quantile(x, QUANTILES, axis=0)
    low_50, high_50 = prediction_band(x, 0.5)
    low_90, high_90 = prediction_band(x, 0.9)
    level = float(y.mean())
    positive = y > 0
    twin_errors = np.abs(mean - y)
    base_errors = np.abs(b - y)
    scaled = np.isfinite(s) & (s > 0)
    row.update(
        actual_mean=level,
        forecast_mean=float(mean.mean()),
        mape=float(np.mean(twin_errors[positive] / y[positive])) if positive.any() else np.nan,
        bias=_ratio(float((mean - y).sum()), float(y.sum())),
        coverage_50=float(np.mean((y >= low_50) & (y <= high_50))),
        coverage_90=float(np.mean((y >= low_90) & (y <= high_90))),
        width_50=_ratio(float(np.mean(high_50 - low_50)), level),
        width_90=_ratio(float(np.mean(high_90 - low_90)), level),
        crps=float(crps_ensemble(x, y).mean()),
        pinball=float(
            np.mean(
                [
                    pinball_loss(q, y, tau).mean()
                    for q, tau in zip((q05, q25, q50, q75, q95), QUANTILES, strict=True)
                ]
            )
        ),
        baseline_mape=float(np.mean(base_errors[positive] / y[positive]))
        if positive.any() and np.isfinite(b).all()
        else np.nan,
        baseline_bias=_ratio(float((b - y).sum()), float(y.sum())),
        mase=float(np.mean(twin_errors[scaled] / s[scaled])) if scaled.any() else np.nan,
        baseline_mase=float(np.mean(base_errors[scaled] / s[scaled])) if scaled.any() else np.nan,
        relative_mae=_ratio(float(twin_errors.mean()), float(base_errors.mean())),
    )
    return row
