"""Who is new: first orders split into new customers and old customers seen for the first time,
and whether there are new customers at all (an open customer base or a closed panel).

An extract starts in the middle of a company's life, so a customer's first order in it is a first
purchase only if the customer is new. Old customers, alive when the extract starts, show up as
they next buy: many at first, fewer and fewer later. The daily count of first orders is then the
sum of two Poisson processes,

    E[first orders on day d] = nu c_d + N0 (F(C_{d+1}) - F(C_d)),

``c`` the segment's calendar shape, ``C`` its clock (the cumulative shape from the extract's first
day, :mod:`.clock`), ``F(u)`` the probability that a customer alive at the start has bought within
``u`` clock days (:func:`first_purchase_probability`). ``nu`` (new customers per clock day) and
``N0`` (old customers alive at the start) are fitted by maximum likelihood (concave in them).

Closed panel or open base: two models of two parameters each, chosen by AIC (with equal counts,
the larger likelihood). *Open*: ``nu`` and ``N0``, the old customers' rates as fitted by the
repeat-purchase model. *Closed*: ``nu = 0``, every first order an old customer's, and ``N0`` with
a rate shape ``r0`` of their own (profile likelihood over ``log r0``), at the fitted model's mean
rate ``r / alpha`` (``alpha0 = r0 alpha / r``; drop-out as fitted). The old customers' shape is
freed in the closed model because the repeat-purchase fit sees customers from their first order
in the extract, and those seen are mostly the frequent buyers (a slow buyer alive at the start is
seen late or not at all): its ``r`` understates how many slow buyers an old population holds, and
a panel's late first orders would read as new customers. The mean is held, so the slowest old
customers cannot mimic a steady stream of newcomers (a gamma with a free mean can make ``F``
straight over the window). A closed panel (a household panel, a fixed set of accounts) gets no
new customers. An open base keeps the open fit, whose standard error of ``log nu`` comes from the
Fisher information of ``(nu, N0)`` scaled by Pearson's dispersion (quasi-Poisson), as the days
vary more than Poisson.

Old customers not yet seen by the as-of date, ``N0 (1 - F(C_end))`` of them in expectation, still
buy in the forecast: they join the customers file with no purchase seen (frequency 0, recency 0,
age ``C_end``), which is exactly the state the model's posterior needs for them (a customer known
to be alive ``C_end`` clock days ago who has not bought since). A company whose extract starts
with its first customer fits ``N0 = 0``, and the split changes nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import integrate, optimize

from twin.calibration.customer_base.clock import Clock
from twin.calibration.fitting.threads import one_blas_thread


def first_purchase_probability(model: str, params: dict[str, float], u: np.ndarray) -> np.ndarray:
    """P(a customer alive at time 0 buys at least once within ``u`` clock days).

    With rates gamma(r, alpha), no purchase in ``t`` days has probability ``(alpha / (alpha +
    t))^r``. BG/NBD (drop-out only at a purchase): ``1 - (alpha / (alpha + u))^r``. Pareto/NBD:
    the customer may die first, after a lifetime ``tau`` with survival ``(beta / (beta + t))^s``,
    so ``1 - E[(alpha / (alpha + min(tau, u)))^r]``, whose part over ``tau < u`` is one integral
    (scipy's ``quad_vec``, every ``u`` at once).
    """
    u = np.asarray(u, dtype=float)
    r, alpha = params["r"], params["alpha"]

    def silent(t: np.ndarray) -> np.ndarray:  # P(no purchase within t)
        return np.exp(r * (np.log(alpha) - np.log(alpha + t)))

    if model == "bg_nbd":
        return 1.0 - silent(u)
    s, beta = params["s"], params["beta"]

    def survival(t: np.ndarray) -> np.ndarray:
        return np.exp(s * (np.log(beta) - np.log(beta + t)))

    def density_part(x: float) -> np.ndarray:  # t = u x, dt = u dx
        t = u * x
        return u * silent(t) * (s / (beta + t)) * survival(t)

    died_first, _ = integrate.quad_vec(density_part, 0.0, 1.0, epsabs=1e-12, epsrel=1e-10)
    return 1.0 - silent(u) * survival(u) - died_first


@dataclass(frozen=True)
class FirstPurchaseFit:
    """The split of first orders (rates per clock day, counts in customers)."""

    new_per_day: float
    """``nu``: new customers per clock day (per day on a flat calendar); 0 for a closed panel."""
    old_at_start: float
    """``N0``: old customers alive when the extract starts."""
    old_unseen: float
    """``N0 (1 - F(C_end))``: of those, not seen by the as-of date (expected)."""
    log_rate_sd: float
    """Standard error of ``log(nu)`` (quasi-Poisson); 0 when ``nu`` is 0."""
    dispersion: float
    """Pearson's dispersion of the daily counts (1 when they vary as Poisson, or less)."""
    first_orders: int
    """First orders in the extract the split was fitted to."""
    days: int
    old_shape: float = math.nan
    """Shape of the old customers' gamma rate prior: the fitted model's ``r`` in an open base,
    their own ``r0`` (with the fitted model's mean) in a closed panel."""
    aic_open: float = math.nan
    """AIC of the open base (``nu``, ``N0``; up to the counts' constant)."""
    aic_closed: float = math.nan
    """AIC of the closed panel (``N0``, ``r0``; same constant)."""

    @property
    def closed(self) -> bool:
        """Whether the first orders are those of a closed panel (``nu = 0`` not rejected)."""
        return self.new_per_day == 0.0


SHAPE_BOUNDS = (math.log(0.01), math.log(100.0))
"""Box of ``log r0``: from a near-degenerate mix of rates to nearly one common rate."""
FLOOR = 1e-12
"""Least mean of a day in the Poisson fits (a day no process reaches)."""


def daily_first_orders(
    first_orders: pd.Series, first_day: dt.date, as_of: pd.Timestamp
) -> np.ndarray:
    """Count of first orders on each day from ``first_day`` to the day before ``as_of``."""
    start = pd.Timestamp(first_day)
    n_days = int((pd.Timestamp(as_of) - start) / pd.Timedelta(days=1))
    day = ((first_orders - start) // pd.Timedelta(days=1)).to_numpy(dtype="int64")
    day = day[(day >= 0) & (day < n_days)]
    return np.bincount(day, minlength=n_days).astype(float)


def old_customer_parameters(model: str, params: dict[str, float], shape: float) -> dict:
    """The fitted model's parameters with the purchase-rate prior of the old customers: shape
    ``r0`` and the fitted model's mean rate ``r / alpha`` (so ``alpha0 = r0 alpha / r``)."""
    return {**params, "r": shape, "alpha": shape * params["alpha"] / params["r"]}


@dataclass(frozen=True)
class _Poisson:
    """Maximum-likelihood fit of ``counts ~ Poisson(design @ beta)``, ``beta >= 0``."""

    beta: np.ndarray
    nll: float


def _fit_poisson(
    design: np.ndarray, counts: np.ndarray, scale: np.ndarray | None = None
) -> _Poisson:
    """The concave Poisson fit with non-negative coefficients (L-BFGS-B on scaled ones, from
    half the scale each; by default each column's scale makes it explain all the counts)."""
    k = design.shape[1]
    if scale is None:
        scale = np.maximum(counts.sum() / np.maximum(design.sum(axis=0), 1e-12), 1e-9)

    def negative_log_likelihood(z: np.ndarray) -> tuple[float, np.ndarray]:
        mean = np.maximum(design @ (z * scale), FLOOR)
        value = float(mean.sum() - counts @ np.log(mean))
        gradient = (design.T @ (1.0 - counts / mean)) * scale
        return value, gradient

    result = optimize.minimize(
        negative_log_likelihood,
        np.full(k, 0.5),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, None)] * k,
    )
    return _Poisson(result.x * scale, float(result.fun))


@one_blas_thread()  # many small L-BFGS-B fits: see twin.calibration.fitting.threads
def fit_first_purchases(
    first_orders: pd.Series,
    first_day: dt.date,
    as_of: pd.Timestamp,
    clock: Clock | None,
    model: str,
    params: dict[str, float],
) -> FirstPurchaseFit:
    """Split the first orders of the extract and test for new customers (module docstring)."""
    counts = daily_first_orders(first_orders, first_day, as_of)
    n_days = counts.size
    bounds = pd.Series(pd.date_range(pd.Timestamp(first_day), periods=n_days + 1, freq="D"))
    u = clock(bounds) if clock is not None else np.arange(n_days + 1, dtype=float)
    shape = np.diff(u)

    def old_column(log_r0: float) -> np.ndarray:
        old_params = old_customer_parameters(model, params, math.exp(log_r0))
        return np.diff(first_purchase_probability(model, old_params, u))

    # open: new customers and old ones at the fitted model's rates
    old = np.diff(first_purchase_probability(model, params, u))
    design = np.column_stack((shape, old))
    open_fit = _fit_poisson(
        design,
        counts,
        np.array([max(counts.sum() / max(shape.sum(), 1e-12), 1e-9), max(counts.sum(), 1.0)]),
    )
    new_per_day, old_at_start = open_fit.beta.tolist()
    mean = np.maximum(design @ open_fit.beta, FLOOR)
    used = mean > 1e-9
    dispersion = float(
        np.sum((counts[used] - mean[used]) ** 2 / mean[used]) / max(int(used.sum()) - 2, 1)
    )
    dispersion = max(dispersion, 1.0)
    # closed: old customers only, at a rate shape of their own (profile likelihood)
    found = optimize.minimize_scalar(
        lambda z: _fit_poisson(old_column(z)[:, None], counts).nll,
        bounds=SHAPE_BOUNDS,
        method="bounded",
        options={"xatol": 1e-4},
    )
    closed_fit = _fit_poisson(old_column(found.x)[:, None], counts)
    # equal parameter counts (nu, N0 against N0, r0): AIC picks the larger likelihood
    closed = closed_fit.nll <= open_fit.nll or new_per_day <= 0.0
    log_rate_sd = 0.0
    old_params = params
    if closed:
        new_per_day, old_at_start = 0.0, float(closed_fit.beta[0])
        old_params = old_customer_parameters(model, params, math.exp(found.x))
    else:
        information = (design[used] / mean[used, None]).T @ design[used]
        free = [0] if old_at_start <= 0.0 else [0, 1]  # a parameter on its bound is not free
        covariance = np.linalg.pinv(information[np.ix_(free, free)]) * dispersion
        log_rate_sd = float(np.sqrt(max(covariance[0, 0], 0.0)) / new_per_day)
    seen_by_end = float(first_purchase_probability(model, old_params, np.array([u[-1]]))[0])
    return FirstPurchaseFit(
        new_per_day=new_per_day,
        old_at_start=old_at_start,
        old_unseen=old_at_start * (1.0 - seen_by_end),
        log_rate_sd=log_rate_sd,
        dispersion=dispersion,
        first_orders=int(counts.sum()),
        days=n_days,
        old_shape=old_params["r"],
        aic_open=2.0 * 2 + 2.0 * open_fit.nll,
        aic_closed=2.0 * 2 + 2.0 * closed_fit.nll,
    )


UNSEEN_PREFIX = "unseen-"
"""Id prefix of the old customers not yet seen (they have no id in the history)."""


def with_unseen_customers(
    customers: pd.DataFrame, split: FirstPurchaseFit, age_days: float
) -> pd.DataFrame:
    """The customer summaries plus ``round(split.old_unseen)`` customers without a purchase
    seen: frequency 0, recency 0, age ``age_days`` (the clock from the extract's first day to
    the as-of date), first order unknown."""
    n = round(split.old_unseen)
    if n == 0:
        return customers
    unseen = pd.DataFrame(
        {
            "customer": [f"{UNSEEN_PREFIX}{i}" for i in range(1, n + 1)],
            "frequency": np.zeros(n, dtype="int64"),
            "recency_days": np.zeros(n),
            "age_days": np.full(n, float(age_days)),
            "first_order_at": pd.Series(
                pd.NaT, index=range(n), dtype=customers["first_order_at"].dtype
            ),
        }
    )
    return pd.concat([customers, unseen[customers.columns]], ignore_index=True)
