"""Analytic stocking levels: the lead-time-demand loss function and the type-2 fill rate.

The first guess of ``twin recommend-stock``, before any simulation. Demand over a protection
period (the lead time, plus the review period under periodic review) is approximated by a
normal or a gamma distribution with the period's mean and variance; its first-order loss
function :math:`G(x) = E[(X - x)^+]` gives the expected units short, and from it the type-2
fill rate (the share of demanded units served from stock) of each policy:

* continuous review, reorder point s and order quantity Q (an (s, S) policy with Q = S - s plus
  the mean undershoot u of s, or an (R, Q) policy with u = 0):
  :math:`\\beta = 1 - [G(s - u) - G(s + Q)] / (Q + u)`;
* periodic review every R days up to S (base stock):
  :math:`\\beta = 1 - [G_{L+R}(S) - G_L(S)] / (\\lambda R)`.

References: E. A. Silver, D. F. Pyke, R. Peterson, *Inventory Management and Production
Planning and Scheduling*, 3rd ed., Wiley 1998, sections 7.5-7.9 (the loss function, the
(s, Q), (R, S) and (s, S) fill rates, undershoot); S. Axsaeter, *Inventory Control*, 3rd ed.,
Springer 2015, section 5.3 (gamma lead-time demand). Everything here is vectorised over SKUs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from scipy import stats

Family = Literal["normal", "gamma"]
FAMILIES: tuple[str, ...] = ("gamma", "normal")


def normal_loss(x: np.ndarray, mean: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """:math:`E[(X - x)^+]` for X normal: :math:`\\sigma [\\varphi(z) - z (1 - \\Phi(z))]`,
    :math:`z = (x - \\mu) / \\sigma`; with zero variance, :math:`(\\mu - x)^+`."""
    x, mean, variance = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (x, mean, variance))
    )
    sd = np.sqrt(variance)
    out = np.maximum(mean - x, 0.0)
    spread = sd > 0
    z = (x[spread] - mean[spread]) / sd[spread]
    out[spread] = sd[spread] * (stats.norm.pdf(z) - z * stats.norm.sf(z))
    return out


def gamma_loss(x: np.ndarray, mean: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """:math:`E[(X - x)^+]` for X gamma with shape k, scale theta matching ``mean``, ``variance``:
    :math:`k\\theta\\,\\bar F_{k+1}(x) - x\\,\\bar F_k(x)` for x >= 0 (Axsaeter 2015, 5.3.3),
    :math:`\\mu - x` below 0; with zero variance or mean, :math:`(\\mu - x)^+`."""
    x, mean, variance = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (x, mean, variance))
    )
    out = np.maximum(mean - x, 0.0)
    spread = (variance > 0) & (mean > 0) & (x > 0)
    m, v, at = mean[spread], variance[spread], x[spread]
    shape, scale = m * m / v, v / m
    out[spread] = m * stats.gamma.sf(at, shape + 1.0, scale=scale) - at * stats.gamma.sf(
        at, shape, scale=scale
    )
    return np.maximum(out, 0.0)


def loss(x: np.ndarray, mean: np.ndarray, variance: np.ndarray, family: Family) -> np.ndarray:
    """The first-order loss function of the protection-period demand (units)."""
    return (gamma_loss if family == "gamma" else normal_loss)(x, mean, variance)


def continuous_fill_rate(
    reorder_point: np.ndarray,
    quantity: np.ndarray,
    undershoot: np.ndarray,
    mean: np.ndarray,
    variance: np.ndarray,
    family: Family,
) -> np.ndarray:
    """Type-2 fill rate of continuous review at ``reorder_point`` s ordering ``quantity`` Q
    (units) with mean ``undershoot`` u of s (units; 0 for (R, Q)); ``mean`` and ``variance`` are
    the lead-time demand's (units, units squared)."""
    s = np.asarray(reorder_point, dtype=float) - undershoot
    q = np.maximum(np.asarray(quantity, dtype=float) + undershoot, 1e-9)
    short = loss(s, mean, variance, family) - loss(s + q, mean, variance, family)
    return np.clip(1.0 - short / q, 0.0, 1.0)


def periodic_fill_rate(
    level: np.ndarray,
    review_demand: np.ndarray,
    protection_mean: np.ndarray,
    protection_variance: np.ndarray,
    lead_mean: np.ndarray,
    lead_variance: np.ndarray,
    family: Family,
) -> np.ndarray:
    """Type-2 fill rate of ordering up to ``level`` S every review period R: ``review_demand``
    is the mean demand in R (units), the protection period's demand is over L + R, the lead
    time's over L. An SKU without demand is always served (1.0)."""
    short = loss(level, protection_mean, protection_variance, family) - loss(
        level, lead_mean, lead_variance, family
    )
    demand = np.broadcast_to(np.asarray(review_demand, dtype=float), short.shape)
    rate = 1.0 - np.divide(short, demand, out=np.zeros_like(demand), where=demand > 0)
    return np.clip(rate, 0.0, 1.0)


def smallest_level(
    fill_rate: Callable[[np.ndarray], np.ndarray],
    target: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> np.ndarray:
    """Per SKU, the smallest whole level in [low, high] whose ``fill_rate(levels)`` reaches
    ``target``, by bisection (the fill rate rises with the level); ``high`` where none does."""
    low = np.asarray(low, dtype=np.int64).copy()
    high = np.asarray(high, dtype=np.int64).copy()
    target = np.broadcast_to(np.asarray(target, dtype=float), low.shape)
    reached_low = fill_rate(low) >= target
    high = np.where(reached_low, low, high)
    # invariant: fill_rate(high) >= target (or high is the cap), fill_rate(low) < target
    while True:
        open_ = high - low > 1
        if not open_.any():
            return high
        middle = (low + high) // 2
        ok = fill_rate(middle) >= target
        high = np.where(open_ & ok, middle, high)
        low = np.where(open_ & ~ok, middle, low)
