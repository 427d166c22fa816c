"""Charts that show how well the calibrated model matches the history it was fitted to.

Each function takes observed values and the fitted model (a distribution dict in the twin's
vocabulary, or an arrivals spec) and returns a `matplotlib.figure.Figure` created directly, never
through `pyplot` (see `twin.reports.figures` for why). Nothing here reads files or fits anything.

- `continuous_fit_figure`: histogram of a duration with the fitted density, and a QQ plot of the
  data quantiles against the fitted quantiles (points on the diagonal = a good fit).
- `count_fit_figure`: observed against fitted probability mass of counts (lines per order, units
  per line).
- `seasonality_figure`: fitted weekday and monthly multipliers against the observed ones.
- `quality_figure`: rows used and quarantined per table and reason.

`frozen_distribution` maps a fitted continuous model to a frozen `scipy.stats` distribution with
the same parametrisation the twin samples from (the twin's ``normal`` is truncated at 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.stats
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from twin.calibration.arrivals import MONTHS
from twin.distributions import (
    Constant,
    Discrete,
    Empirical,
    Exponential,
    Gamma,
    Lognormal,
    NegativeBinomial,
    Normal,
    Poisson,
    Triangular,
    Uniform,
    Weibull,
    parse_distribution,
)
from twin.reports.charts import FIGSIZE, MEAN_COLOUR, style_axes
from twin.scenario.common import WEEKDAYS

__all__ = [
    "QQ_POINTS",
    "continuous_fit_figure",
    "count_fit_figure",
    "count_pmf",
    "frozen_distribution",
    "quality_figure",
    "seasonality_figure",
]

DATA_COLOUR = "#9e9e9e"
FIT_COLOUR = "#c62828"
#: Most points of a QQ plot: quantiles at plotting positions (i + 0.5) / QQ_POINTS.
QQ_POINTS = 200
#: Histograms and pmfs show values up to this quantile of the data, so a long tail does not
#: squeeze the bulk into one bin; the share left out is stated in the panel.
TAIL_QUANTILE = 0.995
#: Most bars of a count panel.
MAX_COUNT_BARS = 60


def _new_figure(ncols: int, left: float = 0.07) -> tuple[Figure, list[Axes]]:
    # Fixed margins (fractions of the figure) rather than constrained layout: a report has a
    # dozen charts or more, each drawn twice (PNG and PDF), and constrained layout triples the
    # drawing time. Fractions also keep the layout when the PDF page resizes the figure.
    figure = Figure(figsize=FIGSIZE)
    margins = {"left": left, "right": 0.98, "bottom": 0.11, "top": 0.86, "wspace": 0.22}
    axes = list(figure.subplots(1, ncols, squeeze=False, gridspec_kw=margins)[0])
    style_axes(axes)
    return figure, axes


#: The style of a panel's note in its title's place (e.g. the values left out of a histogram).
_NOTE = {"fontsize": 9, "color": "0.4"}


def _title(ax: Axes, text: str, **style: Any) -> None:
    """A panel title at the top of its axes.

    ``y=1.0`` is where matplotlib would place it anyway (no ticks or labels above the axes), and
    stating it spares every draw the automatic placement, which measures the axis' tick labels
    once more per titled panel: about a tenth of the report's drawing time.
    """
    ax.set_title(text, y=1.0, **style)


def frozen_distribution(dist: dict[str, Any]) -> Any:
    """A frozen `scipy.stats` distribution equal to the twin's model, or None.

    Parameters
    ----------
    dist : dict
        A continuous model in the twin's vocabulary (``exponential``, ``gamma``, ``lognormal``,
        ``weibull``, ``normal``, ``uniform``, ``triangular``).

    Returns
    -------
    scipy.stats frozen distribution or None
        None for ``constant``, ``empirical``, counts and anything else without a density.
    """
    model = parse_distribution(dist)
    if isinstance(model, Exponential):
        return scipy.stats.expon(scale=model.mean)
    if isinstance(model, Gamma):
        return scipy.stats.gamma(model.shape, scale=model.scale)
    if isinstance(model, Lognormal):
        m, s = model.log_parameters()
        return scipy.stats.lognorm(s, scale=math.exp(m))
    if isinstance(model, Weibull):
        return scipy.stats.weibull_min(model.shape, scale=model.scale)
    if isinstance(model, Normal):
        # The twin's normal is truncated at 0; mu and sd are the untruncated parameters.
        return scipy.stats.truncnorm(-model.mu / model.sd, np.inf, loc=model.mu, scale=model.sd)
    if isinstance(model, Uniform):
        return scipy.stats.uniform(loc=model.low, scale=model.high - model.low)
    if isinstance(model, Triangular):
        width = model.high - model.low
        return scipy.stats.triang((model.mode - model.low) / width, loc=model.low, scale=width)
    return None


def _fitted_quantiles(dist: dict[str, Any], probabilities: np.ndarray) -> np.ndarray:
    model = parse_distribution(dist)
    if isinstance(model, Constant):
        return np.full(probabilities.size, float(model.value))
    if isinstance(model, Empirical):
        return np.quantile(model.data, probabilities)
    frozen = frozen_distribution(dist)
    if frozen is None:
        raise ValueError(f"no quantile function for a {dist.get('dist')!r} model")
    return frozen.ppf(probabilities)


def _label(dist: dict[str, Any]) -> str:
    name = str(dist.get("dist", "?"))
    shown = {k: v for k, v in dist.items() if k != "dist" and isinstance(v, int | float) and v == v}
    if not shown:
        return name
    return name + " (" + ", ".join(f"{k} {v:.3g}" for k, v in shown.items()) + ")"


def continuous_fit_figure(values: np.ndarray, dist: dict[str, Any], title: str) -> Figure:
    """Histogram with the fitted density, and a QQ plot, of one fitted duration.

    Parameters
    ----------
    values : numpy.ndarray
        The observed values the model was fitted to (days).
    dist : dict
        The fitted model in the twin's vocabulary.
    title : str
        Figure title, e.g. ``"transit_days, segment trade"``.

    Returns
    -------
    matplotlib.figure.Figure
        Left: density histogram of the data up to its 99.5 % quantile and the fitted density
        (for ``empirical``, the histogram of its values as a step line; for ``constant``, a
        vertical line). Right: data quantiles against fitted quantiles with the diagonal.
    """
    x = np.sort(np.asarray(values, dtype=float))
    if x.size == 0:
        raise ValueError(f"{title}: no values to plot")
    figure, (hist_ax, qq_ax) = _new_figure(2)
    top = float(np.quantile(x, TAIL_QUANTILE))
    shown = x[x <= top]
    edges = np.histogram_bin_edges(shown, bins=min(60, max(10, int(np.sqrt(shown.size)))))
    # density over the whole sample, so the bars and the fitted curve share one normalisation
    counts, _ = np.histogram(shown, bins=edges)
    density = counts / (x.size * np.diff(edges))
    hist_ax.stairs(density, edges, fill=True, color=DATA_COLOUR, label=f"data (n = {x.size})")
    model = parse_distribution(dist)
    frozen = frozen_distribution(dist)
    if frozen is not None:
        grid = np.linspace(max(0.0, float(edges[0])), float(edges[-1]), 400)
        hist_ax.plot(grid, frozen.pdf(grid), color=FIT_COLOUR, linewidth=2, label=_label(dist))
    elif isinstance(model, Empirical):
        density, _ = np.histogram(model.data, bins=edges)
        density = density / (model.data.size * np.diff(edges))
        hist_ax.stairs(density, edges, color=FIT_COLOUR, linewidth=2, label="empirical (fitted)")
    elif isinstance(model, Constant):
        hist_ax.axvline(float(model.value), color=FIT_COLOUR, linewidth=2, label=_label(dist))
    hist_ax.relim()
    hist_ax.autoscale_view()
    left_out = x.size - shown.size
    if left_out:
        _title(hist_ax, f"{left_out} values above {top:.3g} not shown", loc="right", **_NOTE)
    hist_ax.set_xlabel("days")
    hist_ax.set_ylabel("density")
    hist_ax.legend(frameon=False, fontsize=9)

    points = min(QQ_POINTS, x.size)
    probabilities = (np.arange(points) + 0.5) / points
    observed = np.quantile(x, probabilities)
    fitted = _fitted_quantiles(dist, probabilities)
    qq_ax.plot(fitted, observed, "o", markersize=3, color=MEAN_COLOUR)
    low = float(min(observed.min(), fitted.min()))
    high = float(max(observed.max(), fitted.max()))
    qq_ax.plot([low, high], [low, high], color="0.5", linewidth=1, linestyle="--")
    qq_ax.set_xlabel("fitted quantile (days)")
    qq_ax.set_ylabel("data quantile (days)")
    _title(qq_ax, "QQ plot", fontsize=10)
    figure.suptitle(title, fontsize=13, weight="bold")
    return figure


def count_pmf(dist: dict[str, Any], support: np.ndarray) -> np.ndarray:
    """Probability of each value in `support` under a fitted count model.

    Parameters
    ----------
    dist : dict
        ``poisson``, ``negative_binomial``, ``discrete`` or ``constant``.
    support : numpy.ndarray
        Integer values.

    Returns
    -------
    numpy.ndarray
        P(X = v) for each v; NaN everywhere for a model that is not a count model.
    """
    model = parse_distribution(dist)
    k = np.asarray(support, dtype=float)
    if isinstance(model, Poisson):
        return scipy.stats.poisson.pmf(k, model.mean)
    if isinstance(model, NegativeBinomial):
        p = model.dispersion / (model.dispersion + model.mean)
        return scipy.stats.nbinom.pmf(k, model.dispersion, p)
    if isinstance(model, Discrete):
        # the model rounds its draws, so a merged tail point counts for its rounded value
        pmf = pd.Series(model.probabilities, index=np.round(model.values)).groupby(level=0).sum()
        return pmf.reindex(k, fill_value=0.0).to_numpy(dtype=float)
    if isinstance(model, Constant):
        return (k == round(float(model.value))).astype(float)
    return np.full(k.size, np.nan)


def count_fit_figure(
    panels: Sequence[tuple[str, np.ndarray, dict[str, Any]]], title: str
) -> Figure:
    """Observed against fitted pmf, one panel per count quantity.

    Parameters
    ----------
    panels : sequence of (str, numpy.ndarray, dict)
        Quantity name, observed counts and fitted model.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Bars: observed share of each value (up to the data's 99.5 % quantile); dots: fitted pmf.
    """
    if not panels:
        raise ValueError(f"{title}: no count quantities to plot")
    figure, axes = _new_figure(len(panels))
    for ax, (name, values, dist) in zip(axes, panels, strict=True):
        x = np.rint(np.asarray(values, dtype=float))
        low = int(x.min())
        top = min(int(np.quantile(x, TAIL_QUANTILE)), low + MAX_COUNT_BARS - 1)
        support = np.arange(low, top + 1)
        observed = pd.Series(x).value_counts().reindex(support.astype(float), fill_value=0) / x.size
        ax.bar(support, observed.to_numpy(), color=DATA_COLOUR, label=f"data (n = {x.size})")
        ax.plot(support, count_pmf(dist, support), "o-", color=FIT_COLOUR, markersize=4,
                linewidth=1, label=_label(dist))  # fmt: skip
        left_out = int((x > top).sum())
        if left_out:
            _title(ax, f"{left_out} values above {top} not shown", loc="right", **_NOTE)
        ax.set_xlabel(name)
        ax.set_ylabel("probability")
        ax.legend(frameon=False, fontsize=9)
    figure.suptitle(title, fontsize=13, weight="bold")
    return figure


def seasonality_figure(
    observed_weekday: np.ndarray,
    fitted_weekday: Sequence[float],
    observed_month: np.ndarray,
    fitted_month: Sequence[float],
    title: str,
) -> Figure:
    """Fitted weekday and monthly multipliers against the observed ones.

    Parameters
    ----------
    observed_weekday : numpy.ndarray
        Mean orders per day on each weekday (Monday first) divided by the mean over the seven;
        NaN for a weekday without days in the period.
    fitted_weekday : sequence of float
        The arrivals spec's ``weekday_multipliers``.
    observed_month, fitted_month
        The same for the twelve months (January first).
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels of bars (observed) and dots (fitted).
    """
    figure, (week_ax, month_ax) = _new_figure(2)
    for ax, names, observed, fitted in (
        (week_ax, WEEKDAYS, observed_weekday, fitted_weekday),
        (month_ax, MONTHS, observed_month, fitted_month),
    ):
        positions = np.arange(len(names))
        ax.bar(positions, np.nan_to_num(observed, nan=0.0), color=DATA_COLOUR, label="observed")
        ax.plot(positions, fitted, "o", color=FIT_COLOUR, markersize=6, label="fitted")
        ax.axhline(1.0, color="0.5", linewidth=0.8, linestyle="--")
        ax.set_xticks(positions, names)
        ax.set_ylabel("multiplier (mean 1)")
        ax.legend(frameon=False, fontsize=9)
    _title(week_ax, "weekday", fontsize=10)
    _title(month_ax, "month (months without days: no bar)", fontsize=10)
    figure.suptitle(title, fontsize=13, weight="bold")
    return figure


def satisfaction_figure(
    bins: Sequence[dict], curve: Callable[[np.ndarray], np.ndarray], title: str
) -> Figure:
    """Mean score per lateness bin (with 95 % intervals) against the fitted score curve.

    Parameters
    ----------
    bins : sequence of dict
        ``behaviour.yaml``'s ``satisfaction.bins``: ``days_late_above``, ``days_late_at_most``,
        ``n``, ``mean_score``, ``se``.
    curve : callable
        Mean score at an array of days late (the fitted curve).
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        One panel: bin means as points with error bars at each bin's middle (open-ended bins at
        a week beyond their finite edge), the curve as a line.
    """
    figure, (ax,) = _new_figure(1)
    # open edges are written as null (YAML has no infinity)
    lows = np.array(
        [-np.inf if b["days_late_above"] is None else b["days_late_above"] for b in bins]
    )
    highs = np.array(
        [np.inf if b["days_late_at_most"] is None else b["days_late_at_most"] for b in bins]
    )
    middle = np.where(
        np.isfinite(lows) & np.isfinite(highs),
        (lows + highs) / 2,
        np.where(np.isfinite(lows), lows + 7.0, highs - 7.0),
    )
    lows, highs = lows.astype(float), highs.astype(float)
    means = np.array([float(b["mean_score"]) for b in bins])
    errors = 1.96 * np.nan_to_num(np.array([float(b["se"] or 0.0) for b in bins]))
    ax.errorbar(middle, means, yerr=errors, fmt="o", color=DATA_COLOUR, label="observed mean")
    for x, mean, b in zip(middle, means, bins, strict=True):
        ax.annotate(f"n={int(b['n']):,}", (x, mean), textcoords="offset points", xytext=(4, 6),
                    fontsize=7, color="0.4")  # fmt: skip
    grid = np.linspace(min(middle.min(), -7.0), max(middle.max(), 14.0), 400)
    ax.plot(grid, curve(grid), color=FIT_COLOUR, label="fitted curve")
    ax.axvline(0.0, color="0.5", linewidth=0.8, linestyle="--")
    ax.set_xlabel("days late (delivered date - promised date)")
    ax.set_ylabel("score")
    ax.legend(frameon=False, fontsize=9)
    figure.suptitle(title, fontsize=13, weight="bold")
    return figure


def quality_figure(counts: pd.DataFrame) -> Figure:
    """Rows per table and reason, used (green) and quarantined (red), on a log scale.

    Parameters
    ----------
    counts : pandas.DataFrame
        ``QualityResult.counts``: columns ``table, outcome, reason, rows``.

    Returns
    -------
    matplotlib.figure.Figure
        Horizontal bars with the row count printed at the end of each.
    """
    # room on the left for the longest label (about 0.07 in per character at 9 pt)
    widest = max((len(label) for label in quality_labels(counts)), default=10)
    figure, (ax,) = _new_figure(1, left=min(0.5, 0.03 + 0.0075 * widest))
    draw_quality_bars(ax, counts, label_size=8 if len(counts) > 20 else 9)
    figure.suptitle("Data quality: rows per table and reason", fontsize=13, weight="bold")
    return figure


def quality_labels(counts: pd.DataFrame) -> list[str]:
    """One bar label per row of ``QualityResult.counts``: ``table: reason``."""
    return [f"{t}: {r}" for t, r in zip(counts["table"], counts["reason"], strict=True)]


def draw_quality_bars(ax: Axes, counts: pd.DataFrame, label_size: float | None = None) -> None:
    """The quality bars on ``ax``: rows per table and reason on a log scale, green when used.

    Shared by the calibration report's page and the model folder's ``quality.png``;
    ``label_size`` None keeps matplotlib's default tick-label size.
    """
    labels = quality_labels(counts)
    colours = ["tab:green" if o == "used" else "tab:red" for o in counts["outcome"]]
    positions = np.arange(len(counts))
    ax.barh(positions, counts["rows"], color=colours)
    if label_size is None:
        ax.set_yticks(positions, labels)
    else:
        ax.set_yticks(positions, labels, fontsize=label_size)
    ax.invert_yaxis()
    if len(counts):
        ax.set_xscale("log")
    for y, value in zip(positions, counts["rows"], strict=True):
        ax.annotate(f"{int(value):,}", (value, y), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=8)  # fmt: skip
    ax.set_xlabel("rows (log scale); green used, red quarantined")
