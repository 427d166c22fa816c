"""Design points of a sweep: which parameter values each point of a sweep runs.

Grid and one-at-a-time designs are built by hand; Latin hypercube, Morris and Sobol' designs come
from SALib's samplers with the design's seed, so the same sweep file always gives the same points.
A parameter whose base value is a whole number (a headcount) gets its values rounded to the
nearest integer after sampling; the unrounded matrix (:func:`sample_matrix`) is what the Morris
analysis needs, since its elementary effects assume the sampler's grid steps.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from twin.distributions import (
    LogNormalDist,
    LogUniformDist,
    NormalDist,
    TriangularDist,
    TruncatedNormalDist,
    UniformDist,
)
from twin.scenario.sweep import Parameter, SweepSpec, level_values


def salib_problem(spec: SweepSpec) -> dict:
    """SALib's problem definition: names, bounds and (for lhs and sobol) distributions.

    The names are the parameter paths. Morris ignores ``dists``: it moves over ``low``/``high``.
    """
    sampled = spec.design.kind in ("lhs", "sobol")
    bounds, dists = [], []
    for parameter in spec.parameters:
        if sampled and parameter.dist is not None:
            name, bound = _salib_dist(parameter)
        else:
            name, bound = "unif", [parameter.low, parameter.high]
        dists.append(name)
        bounds.append(bound)
    problem: dict = {
        "num_vars": len(spec.parameters),
        "names": [p.path for p in spec.parameters],
        "bounds": bounds,
    }
    if sampled:
        problem["dists"] = dists
    return problem


def _salib_dist(parameter: Parameter) -> tuple[str, list[float]]:
    """SALib's name and parameter list for a parameter's ``dist``."""
    dist = parameter.dist
    if isinstance(dist, UniformDist):
        return "unif", [dist.low, dist.high]
    if isinstance(dist, LogUniformDist):
        return "logunif", [dist.low, dist.high]
    if isinstance(dist, TriangularDist):
        # SALib: start, end, and the peak as a fraction of the width
        peak = (dist.mode - dist.low) / (dist.high - dist.low)
        return "triang", [dist.low, dist.high, min(peak, 1.0 - 1e-12)]
    if isinstance(dist, NormalDist):
        return "norm", [dist.mean, dist.sd]
    if isinstance(dist, TruncatedNormalDist):
        return "truncnorm", [dist.low, dist.high, dist.mu, dist.sd]
    if isinstance(dist, LogNormalDist):
        # SALib takes the mean and sd of ln(x): sigma^2 = ln(1 + sd^2/mean^2), mu = ln(mean) -
        # sigma^2/2 (the lognormal's moments, e.g. Johnson, Kotz and Balakrishnan, ch. 14)
        sigma2 = float(np.log1p((dist.sd / dist.mean) ** 2))
        return "lognorm", [float(np.log(dist.mean)) - sigma2 / 2, float(np.sqrt(sigma2))]
    raise TypeError(f"unknown dist {dist!r}")


def sample_matrix(spec: SweepSpec) -> np.ndarray:
    """The design as a points x parameters matrix, before integer rounding."""
    design = spec.design
    kind = design.kind
    if kind == "grid":
        levels = [level_values(p) for p in spec.parameters]
        return np.array(list(itertools.product(*levels)), dtype=float)
    if kind == "oat":
        return _oat_matrix(spec)
    problem = salib_problem(spec)
    if kind == "lhs":
        from SALib.sample import latin

        return latin.sample(problem, design.samples, seed=design.seed)
    if kind == "morris":
        from SALib.sample import morris

        return morris.sample(
            problem, design.trajectories, num_levels=design.levels, seed=design.seed
        )
    from SALib.sample import sobol

    return sobol.sample(
        problem, design.samples, calc_second_order=design.second_order, seed=design.seed
    )


def _oat_matrix(spec: SweepSpec) -> np.ndarray:
    centre = []
    for parameter in spec.parameters:
        value = spec.base_value(parameter.path)
        if value is None:
            raise ValueError(
                f"an oat design needs the base value of {parameter.path!r}; load the sweep "
                "with load_sweep"
            )
        centre.append(float(value))
    rows = [list(centre)]
    for column, parameter in enumerate(spec.parameters):
        for level in level_values(parameter):
            row = list(centre)
            row[column] = level
            rows.append(row)
    return np.array(rows, dtype=float)


def design_points(spec: SweepSpec) -> pd.DataFrame:
    """One row per point: ``point`` (0, 1, ...), then one column per parameter, named by path.

    Whole-number parameters (those whose base value is an int) hold ints, rounded half to even.
    """
    matrix = sample_matrix(spec)
    frame = pd.DataFrame({"point": np.arange(len(matrix), dtype=int)})
    for column, parameter in enumerate(spec.parameters):
        values = matrix[:, column]
        if spec.is_integer(parameter.path):
            frame[parameter.path] = np.rint(values).astype(int)
        else:
            frame[parameter.path] = values.astype(float)
    return frame
