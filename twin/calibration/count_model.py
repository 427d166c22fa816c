"""The arrival fit's count model: daily counts, and its likelihood maximised by Fisher scoring.

Orders on day d are Poisson with ``log mu_d = X_d beta + log(1 + U_d t)``: log-linear factors
(weekday, month, holidays, events) times the twin's piecewise-linear trend factor, whose columns
are :func:`hinges`. :func:`scoring` maximises the likelihood; :func:`normalised` turns fitted
factors into multipliers of mean 1 with delta-method standard errors.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd


def daily_counts(timestamps: pd.Series, start: dt.date | None, end: dt.date | None) -> pd.DataFrame:
    times = pd.to_datetime(pd.Series(timestamps), errors="raise")
    if times.isna().any():
        raise ValueError(
            f"fit_poisson_arrivals: {int(times.isna().sum())} timestamps are missing (NaT)"
        )
    if times.empty:
        raise ValueError("fit_poisson_arrivals: no timestamps")
    days = times.dt.tz_localize(None) if times.dt.tz is not None else times
    days = days.dt.normalize()
    first = pd.Timestamp(start) if start is not None else days.min()
    last = pd.Timestamp(end) if end is not None else days.max()
    if last < first:
        raise ValueError(f"fit_poisson_arrivals: end {last.date()} is before start {first.date()}")
    outside = (days < first) | (days > last)
    if outside.any():
        raise ValueError(
            f"fit_poisson_arrivals: {int(outside.sum())} timestamps fall outside "
            f"{first.date()}..{last.date()}"
        )
    index = pd.date_range(first, last, freq="D")
    counts = days.value_counts().reindex(index, fill_value=0)
    return pd.DataFrame({"date": index, "orders": counts.to_numpy(dtype=np.float64)})


def _information(G: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Fisher information G' diag(mu) G.

    By einsum rather than a BLAS product: for these thin matrices a multi-threaded BLAS can be a
    hundred times slower on a busy machine than the plain loop.
    """
    return np.einsum("ni,nj->ij", G * mu[:, None], G)


def scoring(
    y: np.ndarray,
    X: np.ndarray,
    U: np.ndarray | None,
    max_iter: int,
    tol: float,
    offset: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, float, int, np.ndarray]:
    """Maximise sum(y log mu - mu) with log mu = offset + X beta + log(1 + U t) by Fisher
    scoring.

    Returns (theta = [beta, t], covariance = inverse Fisher information, loglik, iterations,
    fitted mu); without ``U`` there is no t, without ``offset`` it is 0.
    """
    p = X.shape[1]
    k = 0 if U is None else U.shape[1]
    theta = np.zeros(p + k)
    base = np.zeros(y.size) if offset is None else offset
    theta[0] = math.log(y.mean()) - float(np.log(np.mean(np.exp(base))))

    def evaluate(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray] | None:
        eta = base + X @ theta[:p]
        if U is not None:
            linear = 1.0 + U @ theta[p:]
            if (linear <= 0).any():
                return None
            eta = eta + np.log(linear)
            G = np.column_stack([X, U / linear[:, None]])
        else:
            G = X
        mu = np.exp(eta)
        return float(np.dot(y, eta) - mu.sum()), mu, G

    loglik, mu, G = evaluate(theta)  # type: ignore[misc]
    iterations = 0
    while True:
        iterations += 1
        if iterations > max_iter:
            raise RuntimeError(f"fit_poisson_arrivals: no convergence in {max_iter} iterations")
        information = _information(G, mu)
        step = np.linalg.solve(information, G.T @ (y - mu))
        scale = 1.0
        for _ in range(60):
            trial = evaluate(theta + scale * step)
            if trial is not None and trial[0] >= loglik - 1e-12 * abs(loglik):
                break
            scale *= 0.5
        else:
            raise RuntimeError("fit_poisson_arrivals: step halving failed to improve the fit")
        theta = theta + scale * step
        loglik, mu, G = trial
        if np.max(np.abs(scale * step)) < tol:
            break
    return theta, np.linalg.inv(_information(G, mu)), loglik, iterations, mu


def score_design(X: np.ndarray, U: np.ndarray | None, theta: np.ndarray) -> np.ndarray:
    """The derivative of log mu with respect to theta, one row per day: [X, U / (1 + U t)]."""
    if U is None:
        return X
    linear = 1.0 + U @ theta[X.shape[1] :]
    return np.column_stack([X, U / linear[:, None]])


def normalised(
    levels: int,
    column_of: dict[int, int],
    zero: set[int],
    absent: list[int],
    theta: np.ndarray,
    cov: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Multipliers e^b normalised to mean 1, their standard errors, d log(mean) / d theta, mean.

    ``column_of`` maps a level to its coefficient in theta; a level with days but no column is
    the reference (b = 0); a level in ``zero`` has multiplier 0. The mean is over the levels with
    days; a level in ``absent`` (no days in the period) is set to exactly 1 outside it.
    """
    raw = np.array(
        [
            0.0 if j in zero else (math.exp(theta[column_of[j]]) if j in column_of else 1.0)
            for j in range(levels)
        ]
    )
    counted = [j for j in range(levels) if j not in absent]
    mean = float(raw[counted].mean())
    total = float(raw[counted].sum())
    g_mean = np.zeros(theta.size)
    for j, column in column_of.items():
        g_mean[column] = raw[j] / total
    values = raw / mean
    values[absent] = 1.0
    se = np.full(levels, np.nan)
    for j in counted:
        if j in zero:
            continue
        g = -g_mean.copy()
        if j in column_of:
            g[column_of[j]] += 1.0
        se[j] = values[j] * math.sqrt(max(float(g @ cov @ g), 0.0))
    return values, se, g_mean, mean


def hinges(u: np.ndarray, knots: list[float]) -> np.ndarray:
    """The trend's columns: u, then max(u - c, 0) for each knot c (years)."""
    return np.column_stack([u, *(np.maximum(u - c, 0.0) for c in knots)])
