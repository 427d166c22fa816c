"""Fit both CLV models to a customer base and choose one by AIC.

Both the Pareto/NBD and the BG/NBD have four parameters, so AIC picks the larger maximised
log-likelihood; both fits are kept so the report can show the margin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.calibration.customer_base import bg_nbd, pareto_nbd
from twin.calibration.customer_base.mle import ModelFit, fit_model

MODELS = {"pareto_nbd": pareto_nbd, "bg_nbd": bg_nbd}
"""The candidate models by their scenario name, each a module with ``PARAMETERS``,
``log_likelihood``, ``p_alive`` and ``expected_purchases``."""


@dataclass(frozen=True)
class CustomerBaseFit:
    """Both fitted models and the chosen one (``chosen`` is a key of ``fits``)."""

    fits: dict[str, ModelFit]
    chosen: str

    @property
    def best(self) -> ModelFit:
        return self.fits[self.chosen]


def summary_arrays(customers: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) as float arrays from a customer-summary frame."""
    return (
        customers["frequency"].to_numpy(dtype=float),
        customers["recency_days"].to_numpy(dtype=float),
        customers["age_days"].to_numpy(dtype=float),
    )


def _bg_starts(x: np.ndarray, T: np.ndarray) -> list[np.ndarray]:
    """BG/NBD start values: the purchase-rate prior's mean at the mean observed rate, a drop-out
    probability of about a quarter per purchase; a flatter second start."""
    rate = max(float(np.mean(x / np.maximum(T, 1.0))), 1e-4)
    return [np.array([1.0, 1.0 / rate, 1.0, 3.0]), np.array([0.3, 0.3 / rate, 0.5, 5.0])]


def _pareto_starts(bg: ModelFit, T: np.ndarray) -> list[np.ndarray]:
    """Pareto/NBD start values from the BG/NBD fit: the same purchase-rate prior and the same
    drop-out rate per day (BG/NBD's mean drop-out per purchase times the mean purchase rate),
    then a start with a mean lifetime of the typical age. The Pareto/NBD likelihood costs
    several times the BG/NBD's (the hypergeometric terms), so a good start saves most of it."""
    r, alpha, a, b = (bg.parameters[k] for k in ("r", "alpha", "a", "b"))
    dropout = max(a / (a + b) * r / alpha, 1e-6)
    age = max(float(np.median(T)), 1.0)
    return [np.array([r, alpha, 1.0, 1.0 / dropout]), np.array([0.3, 0.3 * alpha / r, 0.3, age])]


def fit_customer_base(customers: pd.DataFrame) -> CustomerBaseFit:
    """Fit the Pareto/NBD and BG/NBD to ``customers`` (frequency, recency_days, age_days) and
    choose the lower AIC (equal parameter counts: the higher log-likelihood)."""
    x, t_x, T = summary_arrays(customers)
    bg = fit_model(
        "bg_nbd", bg_nbd.PARAMETERS, bg_nbd.log_likelihood, (x, t_x, T), _bg_starts(x, T)
    )
    pareto = fit_model(
        "pareto_nbd",
        pareto_nbd.PARAMETERS,
        pareto_nbd.log_likelihood,
        (x, t_x, T),
        _pareto_starts(bg, T),
    )
    fits = {"pareto_nbd": pareto, "bg_nbd": bg}
    chosen = min(fits, key=lambda name: fits[name].aic)
    return CustomerBaseFit(fits=fits, chosen=chosen)
