"""Maximum likelihood for the CLV models: L-BFGS-B on log parameters, Hessian standard errors.

The parameters of both models are positive, so they are fitted as their logarithms (no bounds
needed in principle; wide box bounds keep a flat likelihood from wandering to overflow). The
covariance of the log parameters is the inverse of the observed information, the Hessian of the
negative log-likelihood at the optimum, taken by central finite differences of the analytic
log-likelihood; standard errors of the parameters follow by the delta method
(se(theta) = theta * se(log theta)).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from twin.calibration.fitting.threads import one_blas_thread

LOG_BOUND = (-12.0, 12.0)
"""Box for every log parameter (e^12 ~ 1.6e5): a fit at the edge is reported as such."""

HESSIAN_STEP = 1e-4
"""Finite-difference step in log-parameter space."""

MAX_EVALUATIONS = 400
"""Cap on log-likelihood evaluations per start (a Pareto/NBD evaluation on 5,000 customers takes
10-30 ms; well-posed fits need 100-150), so a flat likelihood cannot stall calibration."""

LogLik = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ModelFit:
    """One fitted model.

    Attributes
    ----------
    model : str
        ``pareto_nbd`` or ``bg_nbd``.
    parameters : dict of str to float
        Maximum-likelihood estimates (rates per day).
    log_covariance : numpy.ndarray
        Covariance of the log parameters (order of ``parameters``); NaN when the Hessian is
        not positive definite.
    se : dict of str to float
        Standard errors of the parameters (delta method).
    log_likelihood : float
        Maximised total log-likelihood.
    n : int
        Customers fitted.
    converged : bool
        The optimiser's success flag and no parameter at the box edge.
    message : str
        What the optimiser said, or why the fit is doubtful.
    """

    model: str
    parameters: dict[str, float]
    log_covariance: np.ndarray
    se: dict[str, float]
    log_likelihood: float
    n: int
    converged: bool
    message: str

    @property
    def aic(self) -> float:
        """Akaike's criterion, 2k - 2 log L."""
        return 2.0 * len(self.parameters) - 2.0 * self.log_likelihood


def _at_edge(log_params: np.ndarray) -> np.ndarray:
    return np.isclose(log_params, LOG_BOUND[0], atol=1e-3) | np.isclose(
        log_params, LOG_BOUND[1], atol=1e-3
    )


def log_hessian(total: Callable[[np.ndarray], float], at: np.ndarray) -> np.ndarray:
    """Hessian of ``total`` (a function of the log parameters) at ``at``, central differences."""
    k = len(at)
    h = HESSIAN_STEP
    hessian = np.empty((k, k))
    f0 = total(at)
    for i in range(k):
        e_i = np.zeros(k)
        e_i[i] = h
        hessian[i, i] = (total(at + e_i) - 2.0 * f0 + total(at - e_i)) / h**2
        for j in range(i):
            e_j = np.zeros(k)
            e_j[j] = h
            hessian[i, j] = hessian[j, i] = (
                total(at + e_i + e_j)
                - total(at + e_i - e_j)
                - total(at - e_i + e_j)
                + total(at - e_i - e_j)
            ) / (4.0 * h**2)
    return hessian


def fit_model(
    model: str,
    names: tuple[str, ...],
    log_likelihood: LogLik,
    summaries: tuple[np.ndarray, np.ndarray, np.ndarray],
    starts: list[np.ndarray],
) -> ModelFit:
    """Maximise ``sum(log_likelihood(params, x, t_x, T))`` from the starts (parameters, not
    logs) in turn, until one converges inside the box; the best optimum found wins."""
    x, t_x, T = summaries
    known: dict[bytes, float] = {}  # by the exact point: the Hessian starts at the optimum

    def negative(log_params: np.ndarray) -> float:
        key = np.asarray(log_params, dtype=float).tobytes()
        if key not in known:
            with np.errstate(invalid="ignore", over="ignore"):  # far from the optimum: reject
                value = -float(np.sum(log_likelihood(np.exp(log_params), x, t_x, T)))
            known[key] = value if np.isfinite(value) else 1e300
        return known[key]

    with one_blas_thread():  # see twin.calibration.fitting.threads
        best = None
        for start in starts:
            result = minimize(
                negative,
                np.log(np.asarray(start, dtype=float)),
                method="L-BFGS-B",
                bounds=[LOG_BOUND] * len(names),
                options={"maxfun": MAX_EVALUATIONS},
            )
            if best is None or result.fun < best.fun:
                best = result
            at_edge = _at_edge(best.x)
            if best.success and not at_edge.any():
                break  # each start costs a second or so on 5,000 customers: stop at a clean one
        assert best is not None
        hessian = log_hessian(negative, best.x)
    message = str(best.message)
    if at_edge.any():
        message = "at the bound of " + ", ".join(np.array(names)[at_edge]) + "; " + message
    try:
        np.linalg.cholesky(hessian)
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        covariance = np.full_like(hessian, np.nan)
        message = "Hessian not positive definite, no standard errors; " + message
    parameters = np.exp(best.x)
    se = parameters * np.sqrt(np.diag(covariance))
    return ModelFit(
        model=model,
        parameters={n: float(v) for n, v in zip(names, parameters, strict=True)},
        log_covariance=covariance,
        se={n: float(v) for n, v in zip(names, se, strict=True)},
        log_likelihood=-float(best.fun),
        n=len(x),
        converged=bool(best.success) and not at_edge.any(),
        message=message,
    )
