"""Where the arrival trend's slope changes: greedy forward selection by a penalised likelihood.

The rule (BIC's penalty doubled, the gain scaled by the Pearson dispersion) is explained in
:mod:`twin.calibration.arrivals`.
"""

from __future__ import annotations

import math

import numpy as np

from twin.calibration.count_model import hinges, scoring


def select_changepoints(
    y: np.ndarray,
    X: np.ndarray,
    u: np.ndarray,
    candidates: list[float],
    min_segment: float,
    span: float,
    max_iter: int,
    tol: float,
) -> list[float]:
    """Greedy forward selection of trend knots (years) by the dispersion-scaled BIC rule."""
    penalty = 2.0 * math.log(y.size)
    chosen: list[float] = []
    _, _, loglik, _, _ = scoring(y, X, hinges(u, chosen), max_iter, tol)
    while True:
        best: tuple[float, float, float] | None = None  # (loglik, knot, dispersion)
        for knot in candidates:
            knots = sorted([*chosen, knot])
            edges = [0.0, *knots, span]
            if knot in chosen or min(np.diff(edges)) < min_segment:
                continue
            try:
                _, _, trial, _, mu = scoring(y, X, hinges(u, knots), max_iter, tol)
            except (RuntimeError, np.linalg.LinAlgError):
                continue
            if best is None or trial > best[0]:
                dof = max(y.size - X.shape[1] - len(knots) - 1, 1)
                phi = max(float(np.sum((y - mu) ** 2 / mu)) / dof, 1.0)
                best = (trial, knot, phi)
        if best is None or 2.0 * (best[0] - loglik) / best[2] <= penalty:
            return chosen
        loglik = best[0]
        chosen = sorted([*chosen, best[1]])
