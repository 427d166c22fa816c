"""Growth or season: the two readings of a history that shows some month in one year only,
the season reading carried in the forecast's band by its Akaike weight.

Over one year a rise from January to November is growth ("the business was smaller in
January") or season ("January is a quiet month"): both fit the monthly totals alike. The month
pooling (:mod:`twin.calibration.month_pooling`) reads such a rise as growth, because its prior
(log month factors i.i.d. about a common level) finds a steady run of month factors improbable
and the trend's slope has no prior; one year of history cannot check that prior. What the
history *can* say is whether the counts rise *within* the months, the one thing a season of
month factors cannot explain. So the two readings are compared on that:

- the **growth reading** is the arrival fit as made (months pooled, the trend and its
  changepoints); its evidence for a trend is the joint fit with every month free (log-likelihood
  ``l_t``, ``k`` trend parameters: the first slope and one per changepoint);
- the **season reading** is the same calendar with every month free and no trend
  (log-likelihood ``l_s``): next year repeats this year's months at their level.

The season reading is nested in the free joint fit (slopes 0), so their Akaike weights
(Burnham and Anderson 2002, ch. 2.9) weigh the within-month evidence for growth against its
``k`` parameters: ``w_s = 1 / (1 + exp(D / 2))`` with ``D = 2 (l_t - l_s) / phi - 2 k``,
``phi`` the Pearson dispersion of the free joint fit (at least 1; quasi-AIC, as the changepoint
and event rules scale by it). A history that grows within its months (a young marketplace) gives
``w_s`` near 0 and the fit is unchanged; one whose within-month slopes are noise gives the
season reading about the weight the two extra parameters leave it (``w_s`` up to
``1 / (1 + e^-k)``).

The model simulates one calendar and draws log(rate) from one normal, so the mixture is
carried on the forecast's first quarter (``FORECAST_DAYS`` after the history): with ``E_g`` and
``E_s`` the two readings' expected orders over it and ``d = log(E_s / E_g)``, log(rate) is the
mixture ``(1 - w_s) N(0, sd**2) + w_s N(d, sd**2)`` about the growth reading (``sd`` the stated
``log_rate_sd``), and the stated sd becomes the one whose central ``BAND_LEVEL`` interval about
the growth reading holds that mixture's: ``max(-q_low, q_high) / z``, the mixture's
``(1 - BAND_LEVEL) / 2`` and ``(1 + BAND_LEVEL) / 2`` quantiles over the normal's. The sd it
adds in quadrature is stated as ``uncertainty.shared_sd``: a term every segment draws from the
same standard normal in a replication, because growth or season is a reading of the company's
calendar, and segments that draw it independently would spread their total less than any one of
them (three segments alike: by a factor of about 1.7). The band a
planner reads (and ``twin backtest`` scores) then holds the season reading with its weight; a
second-moment match would not (a weight of 0.2 and ``d`` = -0.18 gives a moment sd of 0.09, but
the mixture's 5 % quantile is at -0.21). The sampling sd of the rate and its correlation with the
slope are kept. The point
forecast (rate, months, slopes, events) stays the growth reading's: moving it to the mixture's
mean would forecast a young business that doubled in its first year at three quarters of its
level whenever its within-month slopes are noisy (a week-to-week multiplier of sd 0.15 gives
``w_s`` of 0.04 to 0.7 on such histories), while a band that holds the season reading costs no
bias either way.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import scipy.optimize
import scipy.stats

from twin.scenario.arrival_rates import daily_rates
from twin.scenario.arrivals import PoissonArrivals

__all__ = [
    "BAND_LEVEL",
    "FORECAST_DAYS",
    "SeasonReading",
    "band_sd",
    "blend_readings",
    "season_weight",
]

#: The central band the stated normal is matched on (the 90 % band a planner reads).
BAND_LEVEL = 0.90

#: Days after the history over which the two readings' forecasts are matched (a quarter, the
#: horizon a planner reads and ``twin backtest`` scores by default).
FORECAST_DAYS = 91


@dataclass(frozen=True)
class SeasonReading:
    """The season reading's weight and what it did to the spec.

    Attributes
    ----------
    weight : float
        Akaike weight of the season reading, ``w_s`` (0 to 1).
    log_ratio : float
        ``log(E_s / E_g)``: the season reading's forecast quarter over the growth reading's.
    added_sd : float
        ``sqrt(new_sd**2 - sd**2)``: the sd added to log(rate) in quadrature.
    """

    weight: float
    log_ratio: float
    added_sd: float


def season_weight(
    loglik_trend: float, loglik_season: float, trend_parameters: int, dispersion: float
) -> float:
    """Akaike weight of the season reading against the free joint fit with a trend.

    Parameters
    ----------
    loglik_trend : float
        Maximised log-likelihood with every month free and the trend (``l_t``).
    loglik_season : float
        Maximised log-likelihood with every month free and no trend (``l_s``).
    trend_parameters : int
        Trend parameters of the first fit (``k`` >= 1).
    dispersion : float
        Pearson dispersion of the first fit; values below 1 count as 1.
    """
    if trend_parameters < 1:
        raise ValueError("season_weight: the trend fit has at least one trend parameter")
    gain = 2.0 * (loglik_trend - loglik_season) / max(dispersion, 1.0) - 2.0 * trend_parameters
    if gain > 700.0:  # exp overflows; the weight is 0 to double precision
        return 0.0
    return 1.0 / (1.0 + math.exp(0.5 * gain))


def band_sd(sd: float, log_ratio: float, weight: float, level: float = BAND_LEVEL) -> float:
    """The sd of a normal about 0 whose central ``level`` band holds that of the mixture
    ``(1 - weight) N(0, sd**2) + weight N(log_ratio, sd**2)`` (module docstring).

    Never below ``sd``; equal to it when ``weight`` is 0 or ``log_ratio`` is 0.
    """
    if sd <= 0.0:
        raise ValueError("band_sd: the stated sd must be positive")
    if weight <= 0.0 or log_ratio == 0.0:
        return sd
    normal = scipy.stats.norm

    def below(q: float) -> float:
        return (1.0 - weight) * normal.cdf(q / sd) + weight * normal.cdf((q - log_ratio) / sd)

    tail = (1.0 - level) / 2.0
    span = abs(log_ratio) + 10.0 * sd  # both quantiles lie within it
    low = scipy.optimize.brentq(lambda q: below(q) - tail, -span, span, xtol=1e-12)
    high = scipy.optimize.brentq(lambda q: below(q) - (1.0 - tail), -span, span, xtol=1e-12)
    return max(sd, max(-low, high) / normal.ppf(1.0 - tail))


def _quarter(spec: dict, reference: dt.date, forecast_from: dt.date) -> float:
    """Expected orders of the ``FORECAST_DAYS`` from ``forecast_from`` (spec day 0 at
    ``reference``)."""
    lead = (forecast_from - reference).days
    rates = daily_rates(PoissonArrivals.model_validate(spec), reference, lead + FORECAST_DAYS)
    return float(rates[lead:].sum())


def blend_readings(
    growth: dict,
    season: dict,
    weight: float,
    reference: dt.date,
    forecast_from: dt.date,
) -> tuple[dict, SeasonReading]:
    """The growth reading's spec with a band that holds the season reading by its weight.

    ``growth`` and ``season`` are ``arrivals:`` specs whose day 0 is ``reference``; the
    forecast quarter starts on ``forecast_from`` (module docstring). The growth spec must state
    ``uncertainty``.
    """
    e_growth = _quarter(growth, reference, forecast_from)
    e_season = _quarter(season, reference, forecast_from)
    if weight <= 0.0 or e_growth <= 0.0 or e_season <= 0.0:
        return growth, SeasonReading(0.0, 0.0, 0.0)
    log_ratio = math.log(e_season / e_growth)
    stated = dict(growth["uncertainty"])
    old_sd = stated["log_rate_sd"]
    # a rate known exactly (no stated sd) is matched as if known to 0.1 %
    new_sd = band_sd(max(old_sd, 1e-3), log_ratio, weight)
    added_sd = math.sqrt(max(new_sd**2 - old_sd**2, 0.0))
    # the reading is the company's, not one segment's sample: the added sd is the shared term
    # (one draw per replication for every segment), the sampling sd and its correlation with
    # the slope stay as fitted
    stated["shared_sd"] = min(added_sd, 3.0)  # the section's bound
    return {**growth, "uncertainty": stated}, SeasonReading(weight, log_ratio, added_sd)
