"""Sensitivity indices of a sweep's KPIs to its parameters, by the method its design supports.

:func:`analyse` returns one long table, ``kpi, parameter, method, index, value, ci_low, ci_high``
(intervals at 95 %; NaN where the method gives none). Every analysis uses the per-point mean over
replications, except the one-at-a-time intervals, which pair replications (common random numbers
make the per-replication difference the precise quantity).

By design (method: indices):

- ``sobol`` (``sobol``): ``S1``, ``ST`` (and ``S2`` with second order, parameter ``a:b``) with
  SALib's bootstrap half-widths (Saltelli et al. 2010);
- ``morris`` (``morris``): ``mu_star`` with its bootstrap interval, ``mu`` and ``sigma`` of the
  elementary effects, in KPI units per whole range of the parameter (Campolongo, Cariboni and
  Saltelli 2007);
- ``oat`` (``oat``): ``low``, ``high``, the KPI change from the base point at the lowest and
  highest level, and ``swing``, high minus low, with paired t intervals;
- ``lhs`` (``spearman``): ``rho``, Spearman's rank correlation with a Fisher-z interval of
  standard error sqrt(1.06/(n-3)) (Fieller, Hartley and Pearson 1957); (``src``): ``src``, the
  standardised regression coefficient with its OLS t interval;
- ``grid`` (``main_effect``): ``range``, the highest minus the lowest level mean, and
  ``eta_squared``, the share of the variance of the point means explained by the parameter.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from twin.errors import InputError
from twin.experiments.designs import salib_problem, sample_matrix
from twin.scenario.sweep import SweepSpec, level_values
from twin.stats import t_interval, t_quantile
from twin.tables import SENSITIVITY_COLUMNS

CONFIDENCE = 0.95
#: Bootstrap resamples of the SALib intervals.
RESAMPLES = 200

#: The index each design's charts and report rank parameters by.
HEADLINE = {
    "sobol": ("sobol", "ST"),
    "morris": ("morris", "mu_star"),
    "oat": ("oat", "swing"),
    "lhs": ("spearman", "rho"),
    "grid": ("main_effect", "range"),
}


def point_means(spec: SweepSpec, results: pd.DataFrame) -> pd.DataFrame:
    """Per-point means over replications of each analysed KPI, indexed by point, in point order.

    Failed rows (non-empty ``error``) are left out; a point with no successful row is NaN.
    """
    missing = [kpi for kpi in spec.kpis if kpi not in results.columns]
    if missing:
        raise InputError(
            f"sweep {spec.source}: kpis: {', '.join(missing)} not in the results (columns: "
            f"{', '.join(results.columns)})"
        )
    ok = results[results["error"].fillna("") == ""]
    points = np.sort(results["point"].unique())
    return ok.groupby("point")[spec.kpis].mean().reindex(points)


def analyse(spec: SweepSpec, results: pd.DataFrame) -> pd.DataFrame:
    """Sensitivity indices of every KPI of ``spec``, in the long format of
    :data:`twin.tables.SENSITIVITY_COLUMNS`."""
    kind = spec.design.kind
    means = point_means(spec, results)
    rows: list[tuple] = []
    for kpi in spec.kpis:
        y = means[kpi].to_numpy(dtype=float)
        if kind == "sobol":
            rows += _sobol(spec, kpi, y)
        elif kind == "morris":
            rows += _morris(spec, kpi, y)
        elif kind == "oat":
            rows += _oat(spec, kpi, results)
        elif kind == "lhs":
            rows += _lhs(spec, kpi, means.index.to_numpy(), y, results)
        else:
            rows += _grid(spec, kpi, means.index.to_numpy(), y, results)
    return pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS))


def _usable(y: np.ndarray) -> bool:
    """All points present and not constant: otherwise variance-based indices are undefined."""
    return bool(np.isfinite(y).all() and np.ptp(y) > 0)


def _sobol(spec: SweepSpec, kpi: str, y: np.ndarray) -> list[tuple]:
    from SALib.analyze import sobol

    names = [p.path for p in spec.parameters]
    second = spec.design.second_order
    if not _usable(y):
        rows = [(kpi, n, "sobol", i, np.nan, np.nan, np.nan) for n in names for i in ("S1", "ST")]
        if second:
            rows += [
                (kpi, f"{a}:{b}", "sobol", "S2", np.nan, np.nan, np.nan)
                for k, a in enumerate(names)
                for b in names[k + 1 :]
            ]
        return rows
    result = sobol.analyze(
        salib_problem(spec),
        y,
        calc_second_order=second,
        num_resamples=RESAMPLES,
        conf_level=CONFIDENCE,
        seed=spec.design.seed,
    )
    rows = []
    for k, name in enumerate(names):
        for index in ("S1", "ST"):
            value, half = float(result[index][k]), float(result[f"{index}_conf"][k])
            rows.append((kpi, name, "sobol", index, value, value - half, value + half))
    if second:
        for k, a in enumerate(names):
            for j in range(k + 1, len(names)):
                value, half = float(result["S2"][k, j]), float(result["S2_conf"][k, j])
                rows.append(
                    (kpi, f"{a}:{names[j]}", "sobol", "S2", value, value - half, value + half)
                )
    return rows


def _morris(spec: SweepSpec, kpi: str, y: np.ndarray) -> list[tuple]:
    from SALib.analyze import morris

    names = [p.path for p in spec.parameters]
    if not np.isfinite(y).all():
        return [
            (kpi, n, "morris", i, np.nan, np.nan, np.nan)
            for n in names
            for i in ("mu_star", "mu", "sigma")
        ]
    # The unrounded matrix: elementary effects assume the sampler's steps of the range.
    x = sample_matrix(spec)
    if len(x) != len(y):
        raise ValueError(f"{len(y)} point means for a morris design of {len(x)} points")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = morris.analyze(
            salib_problem(spec),
            x,
            y,
            num_resamples=RESAMPLES,
            conf_level=CONFIDENCE,
            num_levels=spec.design.levels,
            seed=spec.design.seed,
        )
    rows = []
    for k, name in enumerate(names):
        value, half = float(result["mu_star"][k]), float(result["mu_star_conf"][k])
        rows.append((kpi, name, "morris", "mu_star", value, value - half, value + half))
        rows.append((kpi, name, "morris", "mu", float(result["mu"][k]), np.nan, np.nan))
        rows.append((kpi, name, "morris", "sigma", float(result["sigma"][k]), np.nan, np.nan))
    return rows


def _by_replication(results: pd.DataFrame, point: int, kpi: str) -> pd.Series:
    rows = results[(results["point"] == point) & (results["error"].fillna("") == "")]
    return rows.set_index("replication")[kpi]


def _oat(spec: SweepSpec, kpi: str, results: pd.DataFrame) -> list[tuple]:
    """Point 0 is the base; then each parameter's levels in order (see the oat design)."""
    base = _by_replication(results, 0, kpi)
    rows = []
    point = 1
    first_levels = results.drop_duplicates("point").set_index("point")
    for parameter in spec.parameters:
        n_levels = len(level_values(parameter))
        points = list(range(point, point + n_levels))
        point += n_levels
        levels = first_levels.loc[points, parameter.path].to_numpy(dtype=float)
        low_point, high_point = points[int(np.argmin(levels))], points[int(np.argmax(levels))]
        low = _by_replication(results, low_point, kpi)
        high = _by_replication(results, high_point, kpi)
        for index, diff in (
            ("low", low - base),
            ("high", high - base),
            ("swing", high - low),
        ):
            value, _, lo, hi = t_interval(diff.to_numpy(dtype=float), CONFIDENCE)
            rows.append((kpi, parameter.path, "oat", index, value, lo, hi))
    return rows


def _lhs(
    spec: SweepSpec, kpi: str, points: np.ndarray, y: np.ndarray, results: pd.DataFrame
) -> list[tuple]:
    design = results.drop_duplicates("point").set_index("point").loc[points]
    ok = np.isfinite(y)
    n = int(ok.sum())
    rows = []
    names = [p.path for p in spec.parameters]
    x = design.loc[ok, names].to_numpy(dtype=float)
    yy = y[ok]
    z = stats.norm.ppf(0.5 + CONFIDENCE / 2)
    for k, name in enumerate(names):
        if n < 4 or np.ptp(x[:, k]) == 0 or np.ptp(yy) == 0:
            rows.append((kpi, name, "spearman", "rho", np.nan, np.nan, np.nan))
            continue
        rho = float(stats.spearmanr(x[:, k], yy).statistic)
        # Fisher's z with Fieller, Hartley and Pearson's variance 1.06/(n-3) for Spearman's rho
        centre = np.arctanh(np.clip(rho, -0.999999, 0.999999))
        half = z * np.sqrt(1.06 / (n - 3))
        rows.append(
            (kpi, name, "spearman", "rho", rho, np.tanh(centre - half), np.tanh(centre + half))
        )
    rows += _src(kpi, names, x, yy)
    return rows


def _src(kpi: str, names: list[str], x: np.ndarray, y: np.ndarray) -> list[tuple]:
    """Standardised regression coefficients b_k sd(x_k)/sd(y) of an OLS fit, with t intervals."""
    n, d = x.shape
    sx, sy = x.std(ddof=1, axis=0) if n > 1 else np.zeros(d), y.std(ddof=1) if n > 1 else 0.0
    if n < d + 2 or sy == 0 or not (sx > 0).all():
        return [(kpi, name, "src", "src", np.nan, np.nan, np.nan) for name in names]
    design = np.column_stack([np.ones(n), (x - x.mean(axis=0)) / sx])
    target = (y - y.mean()) / sy
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    residual = target - design @ coef
    dof = n - d - 1
    variance = float(residual @ residual) / dof
    covariance = variance * np.linalg.pinv(design.T @ design)
    t = t_quantile(CONFIDENCE, dof)
    rows = []
    for k, name in enumerate(names):
        value, half = float(coef[k + 1]), float(t * np.sqrt(covariance[k + 1, k + 1]))
        rows.append((kpi, name, "src", "src", value, value - half, value + half))
    return rows


def _grid(
    spec: SweepSpec, kpi: str, points: np.ndarray, y: np.ndarray, results: pd.DataFrame
) -> list[tuple]:
    design = results.drop_duplicates("point").set_index("point").loc[points]
    frame = design[[p.path for p in spec.parameters]].copy()
    frame["_y"] = y
    frame = frame[np.isfinite(y)]
    total = float(((frame["_y"] - frame["_y"].mean()) ** 2).sum()) if len(frame) else 0.0
    rows = []
    for parameter in spec.parameters:
        groups = frame.groupby(parameter.path)["_y"]
        level_means = groups.mean()
        if len(level_means) < 2:
            rows.append((kpi, parameter.path, "main_effect", "range", np.nan, np.nan, np.nan))
            rows.append((kpi, parameter.path, "main_effect", "eta_squared", np.nan, np.nan, np.nan))
            continue
        value_range = float(level_means.max() - level_means.min())
        between = float((groups.count() * (level_means - frame["_y"].mean()) ** 2).sum())
        eta = between / total if total > 0 else np.nan
        rows.append((kpi, parameter.path, "main_effect", "range", value_range, np.nan, np.nan))
        rows.append((kpi, parameter.path, "main_effect", "eta_squared", eta, np.nan, np.nan))
    return rows


def headline(kind: str, sensitivity: pd.DataFrame) -> pd.DataFrame:
    """The rows of a design's ranking index (:data:`HEADLINE`), per KPI in the table's order,
    largest magnitude first."""
    method, index = HEADLINE[kind]
    rows = sensitivity[(sensitivity["method"] == method) & (sensitivity["index"] == index)]
    order = {kpi: n for n, kpi in enumerate(dict.fromkeys(rows["kpi"]))}
    keys = pd.DataFrame({"k": rows["kpi"].map(order), "v": -rows["value"].abs()}, index=rows.index)
    return rows.loc[keys.sort_values(["k", "v"], kind="stable").index]
