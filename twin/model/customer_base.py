"""Customer-level demand of a segment with a ``customer_base``: every customer's purchases, drawn
up front.

Each known customer starts in the state its history implies (Fader and Hardie's closed forms):
alive with probability ``P(alive | x, t_x, T)``; if alive, its purchase rate is drawn from the
posterior ``lambda ~ Gamma(r + x, rate alpha + T)`` and its drop-out from ``mu ~ Gamma(s, rate
beta + T)`` (Pareto/NBD: remaining lifetime ``Exp(mu)``) or ``p ~ Beta(a, b + x)`` (BG/NBD: after
each purchase it drops out with probability ``p``). New customers arrive by the section's
``new_customers`` (that arrival is their first order) with rates from the population prior. While
alive, a customer orders as a Poisson process of intensity ``lambda c(d) M_d``, ``c`` the calendar
shape of the segment's arrivals (mean 1 over the year from ``run.start_date``) and ``M`` the
segment's mean-one day multiplier (the section's ``overdispersion``, else the arrivals'), common to
every customer.

Everything is drawn vectorised when the replication is built, so the event loop still runs one
demand process per segment: per customer the count of orders in its window is Poisson with mean
``lambda (C(end) - C(start))``, ``C`` the cumulative shape, and the times are the inverse of ``C``
at uniform points. Streams (named by segment): ``parameters`` (the replication's parameter draw,
first), ``customer_state`` (alive), ``customer_rates`` (known customers' rates and lifetimes),
``new_customers`` (arrivals, rates and lifetimes of new and pipeline customers) and
``customer_orders`` (order times and BG drop-out draws); with parameter uncertainty also
``season`` (a factor for each month the history did not show, on the calendar and the new
customers' arrivals alike) and ``new_customer_parameters`` (the new-customer rate). A variant
that changes only a policy lever consumes them identically (common random numbers).

References: P. S. Fader, B. G. S. Hardie and K. L. Lee (2005), "Counting your customers the
easy way: an alternative to the Pareto/NBD model", Marketing Science 24(2); P. S. Fader and B.
G. S. Hardie (2005), "A note on deriving the Pareto/NBD model and related expressions".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import hyp2f1

from twin.model.arrivals import (
    drawn_parameters,
    poisson_arrival_times,
    rate_multipliers,
    season_factors,
    shared_draw,
)
from twin.scenario.arrival_rates import calendar_shape
from twin.scenario.arrivals import PoissonArrivals
from twin.scenario.customer_base import MODEL_PARAMETERS, CustomerBase
from twin.scenario.schema import Scenario
from twin.scenario.segments import Segment
from twin.streams import Streams

DAYS_PER_YEAR = 365
#: the least BG/NBD drop-out probability drawn (one drop-out in 10^12 purchases: never, in effect)
MIN_DROPOUT = 1e-12

# ---------------------------------------------------------------------------- closed forms


def _log_hyp2f1_a_a1(a, b, z) -> np.ndarray:
    """``log 2F1(a, b; a + 1; z)`` for 0 <= z < 1.

    Directly where scipy's value is finite; otherwise (large ``a``: a customer base whose
    purchase rates barely differ, r in the thousands) by Euler's transformation ``2F1(a, b; a+1;
    z) = (1 - z)^(1 - b) 2F1(1, a + 1 - b; a + 1; z)``, whose series has positive terms below
    those of ``1 / (1 - z)`` and never overflows. The direct value overflowed to inf or nan
    quietly, every customer's P(alive) became nan, and the segment ordered nothing.
    """
    a, b, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, z)))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        direct = np.log(hyp2f1(a, b, a + 1.0, z))
    bad = ~np.isfinite(direct)
    if bad.any():
        a, b, z = a[bad], b[bad], z[bad]
        direct[bad] = (1.0 - b) * np.log1p(-z) + np.log(hyp2f1(1.0, a + 1.0 - b, a + 1.0, z))
    return direct


def p_alive(model: str, params: dict[str, float], x, t_x, T) -> np.ndarray:
    """``P(alive at T | x, t_x, T)`` of each customer (Fader-Hardie closed forms).

    Pareto/NBD uses the Gaussian hypergeometric form of Fader and Hardie (2005, eq. 18),
    evaluated in logs; BG/NBD ``1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha +
    t_x))^(r + x))`` (Fader, Hardie and Lee 2005, eq. 13).
    """
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    r, alpha = params["r"], params["alpha"]
    if model == "bg_nbd":
        a, b = params["a"], params["b"]
        with np.errstate(divide="ignore", invalid="ignore"):
            log_odds = (
                np.log(a)
                - np.log(b + x - 1.0)
                + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
            )
        odds = np.where(x > 0, np.exp(log_odds), 0.0)
        return 1.0 / (1.0 + odds)
    s, beta = params["s"], params["beta"]
    rxs = r + x + s
    if alpha >= beta:
        z_first, z_second, second = alpha - beta, alpha, s + 1.0
    else:
        z_first, z_second, second = beta - alpha, beta, r + x
    log_at_tx = _log_hyp2f1_a_a1(rxs, second, z_first / (z_second + t_x)) - rxs * np.log(
        z_second + t_x
    )
    log_at_T = _log_hyp2f1_a_a1(rxs, second, z_first / (z_second + T)) - rxs * np.log(z_second + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_a0 = log_at_tx + np.log1p(-np.exp(log_at_T - log_at_tx))
        log_ratio = (
            np.log(s) - np.log(rxs) + (r + x) * np.log(alpha + T) + s * np.log(beta + T) + log_a0
        )
    return 1.0 / (1.0 + np.exp(log_ratio))


def expected_purchases(model: str, params: dict[str, float], t: float, x, t_x, T) -> np.ndarray:
    """``E[X(T, T + t) | x, t_x, T]``: expected purchases in the next ``t`` days at a flat
    calendar (Pareto/NBD: Fader and Hardie 2005, eq. 22; BG/NBD: Fader, Hardie and Lee 2005,
    eq. 10)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    r, alpha = params["r"], params["alpha"]
    alive = p_alive(model, params, x, t_x, T)
    if model == "bg_nbd":
        a, b = params["a"], params["b"]
        head = (a + b + x - 1.0) / (a - 1.0)
        tail = ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(
            r + x, b + x, a + b + x - 1.0, t / (alpha + T + t)
        )
        # the BG/NBD form already carries P(alive) in its denominator
        return head * (1.0 - tail) * alive
    s, beta = params["s"], params["beta"]
    rate = (r + x) / (alpha + T)
    if abs(s - 1.0) < 1e-12:
        lifetime = (beta + T) * np.log((beta + T + t) / (beta + T))
    else:
        lifetime = (beta + T) / (s - 1.0) * (1.0 - ((beta + T) / (beta + T + t)) ** (s - 1.0))
    return rate * lifetime * alive


def expected_new_customer_purchases(model: str, params: dict[str, float], t) -> np.ndarray:
    """``E[X(t)]``: expected repeat purchases of a new customer in its first ``t`` days."""
    t = np.asarray(t, dtype=float)
    r, alpha = params["r"], params["alpha"]
    if model == "bg_nbd":
        a, b = params["a"], params["b"]
        return (
            (a + b - 1.0)
            / (a - 1.0)
            * (1.0 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1.0, t / (alpha + t)))
        )
    s, beta = params["s"], params["beta"]
    if abs(s - 1.0) < 1e-12:
        return r * beta / alpha * np.log((beta + t) / beta)
    return r * beta / (alpha * (s - 1.0)) * (1.0 - (beta / (beta + t)) ** (s - 1.0))


# ---------------------------------------------------------------------------- parameters


def draw_parameters(spec: CustomerBase, uncertain: bool, rng: np.random.Generator) -> dict:
    """The replication's parameters: the point estimates, or with ``uncertain`` (and a
    covariance) ``exp(MVN(log(estimates), log_parameter_covariance))``."""
    names = MODEL_PARAMETERS[spec.model]
    point = spec.parameter_vector()
    covariance = spec.log_covariance()
    if not uncertain or covariance is None:
        return dict(zip(names, point.tolist(), strict=True))
    drawn = np.exp(rng.multivariate_normal(np.log(point), covariance, method="eigh"))
    return dict(zip(names, drawn.tolist(), strict=True))


# ---------------------------------------------------------------------------- calendar


class Calendar:
    """The cumulative calendar shape ``C(t) = integral of c over [0, t)`` and its inverse."""

    def __init__(self, shape: np.ndarray) -> None:
        self.shape = shape
        self.cumulative = np.concatenate(([0.0], np.cumsum(shape)))
        self.n_days = shape.size

    def at(self, t: np.ndarray) -> np.ndarray:
        """``C(t)`` for times in ``[0, n_days]``."""
        t = np.clip(np.asarray(t, dtype=float), 0.0, self.n_days)
        day = np.minimum(t.astype(np.int64), self.n_days - 1)
        return self.cumulative[day] + self.shape[day] * (t - day)

    def inverse(self, u: np.ndarray) -> np.ndarray:
        """The time ``t`` with ``C(t) = u`` (days with ``c = 0`` are skipped)."""
        day = np.searchsorted(self.cumulative, u, side="right") - 1
        day = np.clip(day, 0, self.n_days - 1)
        return day + (u - self.cumulative[day]) / self.shape[day]


def poisson_times(
    rates: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    calendar: Calendar,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Orders of independent Poisson processes, process ``i`` of intensity ``rates[i] c(t)`` on
    ``[starts[i], ends[i])``; returns ``(process index, time)`` per order, grouped by process."""
    low = calendar.at(starts)
    span = np.maximum(calendar.at(ends) - low, 0.0)
    counts = rng.poisson(rates * span)
    owner = np.repeat(np.arange(rates.size), counts)
    u = low[owner] + rng.random(owner.size) * span[owner]
    times = calendar.inverse(u)
    # rounding at a window's edge must not move an order outside it
    times = np.clip(times, starts[owner], np.nextafter(ends[owner], -np.inf))
    return owner, times


def first_k_per_owner(owner: np.ndarray, times: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Mask of the orders among the first ``keep[o]`` (in time) of each owner ``o``."""
    order = np.lexsort((times, owner))
    sorted_owner = owner[order]
    starts = np.searchsorted(sorted_owner, sorted_owner, side="left")
    rank = np.arange(order.size) - starts
    mask = np.empty(order.size, dtype=bool)
    mask[order] = rank < keep[sorted_owner]
    return mask


# ---------------------------------------------------------------------------- the cohort


@dataclass(frozen=True)
class Customers:
    """Rates and windows of a group of customers (known, new or pipeline slots).

    ``start``: when the customer's repeat purchases may begin (0, or its arrival day);
    ``end``: its Pareto/NBD death time or the horizon (``inf`` before a pipeline slot is won);
    ``dropout``: the BG/NBD drop-out probability per purchase (None for Pareto/NBD).
    """

    rate: np.ndarray
    start: np.ndarray
    end: np.ndarray
    dropout: np.ndarray | None


def _prior_draws(
    model: str, params: dict, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Purchase rates and drop-out (Pareto/NBD: lifetimes in days; BG/NBD: p) from the prior."""
    rate = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    if model == "bg_nbd":
        return rate, rng.beta(params["a"], params["b"], n)
    mu = rng.gamma(params["s"], 1.0 / params["beta"], n)
    with np.errstate(divide="ignore", over="ignore"):  # a tiny rate: lives for ever
        return rate, rng.exponential(1.0, n) / mu


@dataclass(frozen=True)
class Cohort:
    """One replication's customer base of a segment, drawn before the candidate orders.

    Slots: known customers ``0 .. n_known - 1``, new customers ``n_known .. n_known + n_new -
    1`` (in arrival order), then any pipeline slots of the customer loop.
    """

    model: str
    parameters: dict[str, float]
    alive: np.ndarray
    known: Customers
    new_arrivals: np.ndarray
    new: Customers
    calendar: Calendar
    horizon_days: float

    @property
    def n_known(self) -> int:
        return self.alive.size

    @property
    def n_new(self) -> int:
        return self.new_arrivals.size


def draw_cohort(segment: Segment, name: str, scenario: Scenario, streams: Streams) -> Cohort:
    """Draw the parameters, every known customer's state and rates, and the new customers'
    arrivals and rates of one segment, in that order (each from its own stream)."""
    spec = segment.customer_base
    assert spec is not None
    run = scenario.run
    horizon = float(run.horizon_days)
    n_days = int(np.ceil(horizon))
    params = draw_parameters(spec, run.parameter_uncertainty, streams.generator("parameters", name))
    model = spec.model
    history = spec.history
    x, t_x, T = history.frequency, history.recency_days, history.age_days
    alive = streams.generator("customer_state", name).random(x.size) < p_alive(
        model, params, x, t_x, T
    )
    rates = streams.generator("customer_rates", name)
    # one draw per known customer whatever its state, so the streams stay aligned
    rate = rates.gamma(params["r"] + x, 1.0 / (params["alpha"] + T))
    end = np.full(x.size, horizon)
    dropout = None
    if model == "bg_nbd":
        dropout = rates.beta(params["a"], params["b"] + x)
    else:
        mu = rates.gamma(params["s"], 1.0 / (params["beta"] + T))
        with np.errstate(divide="ignore", over="ignore"):  # a tiny rate: lives for ever
            end = np.minimum(rates.exponential(1.0, x.size) / mu, horizon)
    end = np.where(alive, end, 0.0)
    known = Customers(rate, np.zeros(x.size), end, dropout)
    season = None
    if run.parameter_uncertainty and isinstance(segment.arrivals, PoissonArrivals):
        season = season_factors(
            segment.arrivals, streams.generator("season", name), run.start_date, max(n_days, 1)
        )
    newcomers = streams.generator("new_customers", name)
    if spec.new_customers is not None:
        new_customers = spec.new_customers
        if run.parameter_uncertainty:
            new_customers = drawn_parameters(
                new_customers,
                streams.generator("new_customer_parameters", name),
                shared_draw(streams),
            )
        arrivals = poisson_arrival_times(new_customers, newcomers, run.start_date, horizon, season)
    else:
        arrivals = np.zeros(0)
    new_rate, drop = _prior_draws(model, params, arrivals.size, newcomers)
    if model == "bg_nbd":
        new = Customers(new_rate, arrivals, np.full(arrivals.size, horizon), drop)
    else:
        new = Customers(new_rate, arrivals, np.minimum(arrivals + drop, horizon), None)
    shape = calendar_shape(segment.arrivals, run.start_date, max(n_days, 1))
    if isinstance(segment.arrivals, PoissonArrivals):
        # the segment's day-to-day overdispersion moves every customer's intensity together;
        # the customer base's own (fitted around the customer model) where it states one
        varied = segment.arrivals
        if spec.overdispersion is not None:
            varied = varied.model_copy(update={"overdispersion": spec.overdispersion})
        noise = rate_multipliers(varied, streams.generator("rate_noise", name), shape.size)
        if noise is not None:
            shape = shape * noise
    if season is not None:  # the unseen months' guess, shared with the new customers' arrivals
        shape = shape * season[: shape.size]
    calendar = Calendar(shape)
    return Cohort(model, params, alive, known, arrivals, new, calendar, horizon)


@dataclass(frozen=True)
class CandidateOrders:
    """A cohort's orders (or, with the customer loop, candidate orders), in time order.

    ``acquisition[k]``: order ``k`` is a new customer's first order (always placed; it makes the
    customer active). ``drops[k]`` (BG/NBD with the loop): the customer drops out right after
    order ``k`` if it is placed. ``pipeline_lifetime`` (Pareto/NBD with the loop): each pipeline
    slot's lifetime from the day it is won.
    """

    times: np.ndarray
    customers: np.ndarray
    acquisition: np.ndarray
    drops: np.ndarray | None
    pipeline_lifetime: np.ndarray | None


def candidate_orders(
    cohort: Cohort,
    streams: Streams,
    name: str,
    scale: float = 1.0,
    pipeline_slots: int = 0,
    thinned: bool = False,
) -> CandidateOrders:
    """Draw the cohort's orders over the horizon.

    Without the customer loop (``thinned`` False, ``scale`` 1) these are the orders placed: a
    BG/NBD customer's orders stop after its geometric number of purchases. With the loop they
    are candidates at ``scale`` (``p(5)``) times each rate, thinned as they arrive; BG/NBD
    drop-out is then decided on placed orders (``drops``), and ``pipeline_slots`` slots after
    the new customers get prior rates and candidates over the whole horizon, used once won.
    """
    rng = streams.generator("customer_orders", name)
    horizon = cohort.horizon_days
    model = cohort.model
    known, new = cohort.known, cohort.new
    n_known, n_new = cohort.n_known, cohort.n_new
    rates = [known.rate, new.rate]
    starts = [known.start, new.start]
    ends = [known.end, new.end]
    dropouts = [known.dropout, new.dropout]
    lifetime = None
    if pipeline_slots:
        slot_rate, drop = _prior_draws(
            model,
            cohort.parameters,
            pipeline_slots,
            streams.generator("new_customers", f"{name}.pipeline"),
        )
        rates.append(slot_rate)
        starts.append(np.zeros(pipeline_slots))
        ends.append(np.full(pipeline_slots, horizon))
        if model == "bg_nbd":
            dropouts.append(drop)
        else:
            lifetime = drop
    rate = np.concatenate(rates) * scale
    start = np.concatenate(starts)
    end = np.concatenate(ends)
    owner, times = poisson_times(rate, start, end, cohort.calendar, rng)
    drops = None
    if model == "bg_nbd":
        p = np.concatenate(dropouts)
        if thinned:
            drops = rng.random(owner.size) < p[owner]
        else:
            # purchases until (and with) the drop-out; a Beta draw with a small `a` can round to
            # p = 0 (never drops out), which the geometric draw refuses: floor it far below any
            # horizon's purchase count
            purchases = rng.geometric(np.clip(p, MIN_DROPOUT, 1.0))
            keep = first_k_per_owner(owner, times, purchases)
            owner, times = owner[keep], times[keep]
    # new customers' first orders
    first_owner = np.arange(n_known, n_known + n_new)
    owner = np.concatenate((owner, first_owner))
    times = np.concatenate((times, cohort.new_arrivals))
    acquisition = np.concatenate((np.zeros(times.size - n_new, bool), np.ones(n_new, bool)))
    if drops is not None:
        drops = np.concatenate((drops, np.zeros(n_new, bool)))
    order = np.lexsort((~acquisition, times))  # at equal times the first order comes first
    return CandidateOrders(
        times[order],
        owner[order],
        acquisition[order],
        None if drops is None else drops[order],
        lifetime,
    )


def synthetic_history(
    model: str,
    params: dict[str, float],
    n: int,
    age_days: tuple[float, float],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Histories of ``n`` customers as the model makes them: each acquired ``T ~ U(age_days)``
    days before the as-of date, with ``x`` repeat purchases, the last ``t_x`` days after its
    first. The columns of a customers file (``customer`` ids ``c00000 ...``); for examples,
    tests and benchmarks, where the true parameters must be known."""
    age = rng.uniform(age_days[0], age_days[1], n)
    rate, drop = _prior_draws(model, params, n, rng)
    window = age if model == "bg_nbd" else np.minimum(age, drop)
    owner, times = poisson_times(
        rate, np.zeros(n), window, Calendar(np.ones(int(np.ceil(age.max())) + 1)), rng
    )
    if model == "bg_nbd":
        keep = first_k_per_owner(owner, times, rng.geometric(np.clip(drop, MIN_DROPOUT, 1.0)))
        owner, times = owner[keep], times[keep]
    frequency = np.bincount(owner, minlength=n)
    recency = np.zeros(n)
    np.maximum.at(recency, owner, times)
    return {
        "customer": np.array([f"c{k:05d}" for k in range(n)]),
        "frequency": frequency,
        "recency_days": recency,
        "age_days": age,
    }
