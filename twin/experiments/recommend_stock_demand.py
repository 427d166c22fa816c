"""Per-SKU demand and lead-time moments implied by a scenario, for the analytic stocking levels.

A segment's orders arrive at its mean daily rate (``expected_orders_per_day``, Poisson); an
order has N lines (``lines_per_order``, made whole as the model does), each line picks SKU i
with its mix probability p_i and asks for X units (``quantity``, or the SKU's units-per-line
table of a prices file). The units of SKU i in one order are then D = X_1 + ... + X_K with
K ~ Binomial(N, p_i), so

    E[K] = p E[N],   E[K^2] = p (1 - p) E[N] + p^2 E[N^2],
    E[D] = E[K] E[X],   E[D^2] = E[K] Var X + E[K^2] E[X]^2,

and the daily demand, a compound Poisson sum over orders, has mean Lambda E[D] and variance
Lambda E[D^2], summed over segments. Over a protection period of a random lead time L plus a
fixed review period R, demand has mean lambda (E[L] + R) and variance
sigma^2 (E[L] + R) + lambda^2 Var L (Silver, Pyke and Peterson 1998, 7.11).

What is left out, and corrected by the simulation check: the weekday and month pattern of the
rates and their parameter uncertainty (both add variance), promotions, and an after-sales
section's spare parts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from twin.distributions.continuous import Constant
from twin.distributions.discrete import Discrete, NegativeBinomial, Poisson
from twin.model.arrivals import expected_orders_per_day
from twin.model.catalogue import Catalogue, mix_probabilities
from twin.scenario.prices import unit_tables
from twin.scenario.schema import Scenario


@dataclass(frozen=True)
class SkuDemand:
    """Per SKU (arrays indexed by SKU number): demand per day and per order, lead time."""

    mean_per_day: np.ndarray  # units/day
    variance_per_day: np.ndarray  # units^2/day
    order_mean: np.ndarray  # E[units of the SKU in an order that asks for it], units
    order_second_moment: np.ndarray  # E[that^2], units^2
    lead_time_mean_days: np.ndarray
    lead_time_variance_days2: np.ndarray

    def undershoot(self) -> np.ndarray:
        """Mean undershoot of a reorder point under continuous review (units): with demands in
        whole units of size Z, (E[Z^2] - E[Z]) / (2 E[Z]) (0 when every demand is one unit)."""
        z1, z2 = self.order_mean, self.order_second_moment
        ratio = np.divide(z2 - z1, 2.0 * z1, out=np.zeros_like(z1), where=z1 > 0)
        return np.maximum(ratio, 0.0)

    def over(self, review_days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of demand over the lead time plus ``review_days`` (units)."""
        days = self.lead_time_mean_days + review_days
        mean = self.mean_per_day * days
        variance = (
            self.variance_per_day * days + self.mean_per_day**2 * self.lead_time_variance_days2
        )
        return mean, variance


def whole_count_moments(dist) -> tuple[float, float]:
    """E[Y] and E[Y^2] of a count as the model makes it whole, Y = max(floor(x + 1/2), 1).

    Exact for constant, discrete, Poisson and negative-binomial draws; for another family,
    its own mean (at least 1) and variance, which ignore the rounding.
    """
    if isinstance(dist, Constant):
        y = max(np.floor(dist.value + 0.5), 1.0)
        return y, y * y
    if isinstance(dist, Discrete):
        values = np.maximum(np.floor(np.asarray(dist.values, dtype=float) + 0.5), 1.0)
        p = np.asarray(dist.probabilities, dtype=float)
        return float(p @ values), float(p @ values**2)
    if isinstance(dist, Poisson | NegativeBinomial):
        if isinstance(dist, Poisson):
            frozen = stats.poisson(dist.mean)
        else:
            k = dist.dispersion
            frozen = stats.nbinom(k, k / (k + dist.mean))
        top = int(frozen.ppf(1.0 - 1e-12)) + 1
        values = np.arange(top + 1, dtype=float)
        p = frozen.pmf(values)
        values = np.maximum(values, 1.0)  # a draw of 0 becomes 1
        return float(p @ values), float(p @ values**2)
    mean = max(float(dist.mean), 1.0)
    return mean, mean * mean + float(dist.variance)


def _unit_table_moments(table: np.ndarray, factor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and second moment of each SKU's units-per-line draw from a prices file's quantile
    table (piecewise linear between its 11 quantiles): a segment from a to b contributes
    (a + b) / 2 and (a^2 + ab + b^2) / 3."""
    a, b = table[:, :-1], table[:, 1:]
    mean = ((a + b) / 2.0).mean(axis=1) * factor
    second = ((a * a + a * b + b * b) / 3.0).mean(axis=1) * factor**2
    return np.maximum(mean, 1.0), np.maximum(second, 1.0)


def sku_demand(scenario: Scenario, catalogue: Catalogue) -> SkuDemand:
    """The per-SKU demand and lead-time moments of ``scenario`` (see the module docstring)."""
    n = len(catalogue)
    mean = np.zeros(n)
    variance = np.zeros(n)
    orders_with = np.zeros(n)  # orders per day that ask for the SKU (approximately)
    for name, segment in scenario.segments.items():
        rate = expected_orders_per_day(segment, scenario)
        skus, p = mix_probabilities(segment.sku_mix, catalogue)
        skus = np.asarray(skus, dtype=np.int64)
        n1, n2 = whole_count_moments(segment.lines_per_order)
        x1, x2 = whole_count_moments(segment.quantity)
        x1 = np.full(skus.size, x1)
        x2 = np.full(skus.size, x2)
        prices = catalogue.line_prices
        tables = None if prices is None else unit_tables(prices, catalogue.skus, name)
        if tables is not None:
            table, factor, has_row = tables
            t1, t2 = _unit_table_moments(table, factor)
            x1 = np.where(has_row[skus], t1[skus], x1)
            x2 = np.where(has_row[skus], t2[skus], x2)
        k1 = p * n1
        k2 = p * (1.0 - p) * n1 + p * p * n2
        d1 = k1 * x1
        d2 = k1 * (x2 - x1 * x1) + k2 * x1 * x1
        mean[skus] += rate * d1
        variance[skus] += rate * d2
        # P(K >= 1) ~ 1 - (1 - p)^E[N]: the share of orders asking for the SKU
        orders_with[skus] += rate * (1.0 - (1.0 - p) ** n1)
    order_mean = np.divide(mean, orders_with, out=np.zeros(n), where=orders_with > 0)
    order_second = np.divide(variance, orders_with, out=np.zeros(n), where=orders_with > 0)
    suppliers = [scenario.suppliers[s].lead_time_days for s in catalogue.supplier]
    return SkuDemand(
        mean_per_day=mean,
        variance_per_day=variance,
        order_mean=order_mean,
        order_second_moment=order_second,
        lead_time_mean_days=np.array([float(d.mean) for d in suppliers]),
        lead_time_variance_days2=np.array([float(d.variance) for d in suppliers]),
    )
