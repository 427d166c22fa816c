"""Synthetic customer bases with known parameters, for recovery tests and benchmarks.

Each customer's first purchase is at day 0 of its own clock and its age at the as-of date is
given; purchases are counted up to that age (the summaries) and in the ``holdout_days`` after it
(the holdout count), exactly as the models define them: a Poisson process of rate lambda while
alive, Pareto/NBD death after an Exp(mu) lifetime, BG/NBD death with probability p right after
each repeat purchase. Draws come from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ("frequency", "recency_days", "age_days", "holdout", "alive")
"""Columns of a synthetic base: summaries, purchases in the holdout, alive at the as-of date."""


def _summaries(
    times: list[np.ndarray], ages: np.ndarray, holdout_days: float, alive: np.ndarray
) -> pd.DataFrame:
    frequency = np.array([int(np.sum(t <= a)) for t, a in zip(times, ages, strict=True)])
    recency = np.array(
        [
            float(t[t <= a].max()) if np.any(t <= a) else 0.0
            for t, a in zip(times, ages, strict=True)
        ]
    )
    holdout = np.array(
        [int(np.sum((t > a) & (t <= a + holdout_days))) for t, a in zip(times, ages, strict=True)]
    )
    return pd.DataFrame(
        {
            "frequency": frequency,
            "recency_days": recency,
            "age_days": ages.astype(float),
            "holdout": holdout,
            "alive": alive,
        },
        columns=list(COLUMNS),
    )


def _poisson_times(rng: np.random.Generator, rates: np.ndarray, until: np.ndarray) -> list:
    counts = rng.poisson(rates * until)
    return [np.sort(rng.uniform(0.0, u, n)) for n, u in zip(counts, until, strict=True)]


def pareto_nbd_customers(
    rng: np.random.Generator,
    params: tuple[float, float, float, float],
    ages: np.ndarray,
    holdout_days: float = 0.0,
) -> pd.DataFrame:
    """A Pareto/NBD base (columns :data:`COLUMNS`); ``params = (r, alpha, s, beta)`` per day."""
    r, alpha, s, beta = params
    n = len(ages)
    rates = rng.gamma(r, 1.0 / alpha, n)
    lifetimes = rng.exponential(1.0, n) / rng.gamma(s, 1.0 / beta, n)
    times = _poisson_times(rng, rates, np.minimum(lifetimes, ages + holdout_days))
    return _summaries(times, ages, holdout_days, lifetimes > ages)


def bg_nbd_customers(
    rng: np.random.Generator,
    params: tuple[float, float, float, float],
    ages: np.ndarray,
    holdout_days: float = 0.0,
) -> pd.DataFrame:
    """A BG/NBD base (columns :data:`COLUMNS`); ``params = (r, alpha, a, b)``, alpha per day."""
    r, alpha, a, b = params
    n = len(ages)
    rates = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    # repeat purchases made before dropping out: the one after which the customer leaves counts
    lasting = rng.geometric(p)
    times = _poisson_times(rng, rates, ages + holdout_days)
    kept = [t[:j] for t, j in zip(times, lasting, strict=True)]
    # alive at its age: it has not yet made the purchase after which it leaves
    alive = np.array([np.sum(t <= g) < j for t, g, j in zip(times, ages, lasting, strict=True)])
    return _summaries(kept, ages, holdout_days, alive)
