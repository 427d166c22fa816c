"""What every chart of twin shares: size, resolution, colours, axes style, tick labels, the
interval band of a mean, and saving as PNG.

The run, comparison, sweep, calibration and validation charts all draw with these, so they look
alike on paper. Figures are `matplotlib.figure.Figure` objects created directly, never through
`pyplot`: no global figure registry and no backend switch, so reports can be drawn in threads or
worker processes side by side. Saving to PNG uses the Agg canvas, chosen by the file format.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter

from twin.stats import t_half_width

#: Figure size of a chart saved as PNG (inches).
FIGSIZE = (10.0, 5.6)
#: PNG resolution (dots per inch): 1200 x 672 pixels at `FIGSIZE`.
DPI = 120
#: Confidence level of the interval bands.
CONFIDENCE = 0.95

MEAN_COLOUR = "#1f4e79"
BAND_COLOUR = "#6b9bd1"
WARMUP_COLOUR = "0.88"
GAIN_COLOUR = "#2e7d32"
COST_COLOUR = "#c62828"
TOTAL_COLOUR = "#1f4e79"


def style_axes(axes: Iterable[Axes], grid_axis: str = "both") -> None:
    """The house style of a panel: a light grid behind the data, no top or right spine."""
    for ax in axes:
        ax.grid(True, axis=grid_axis, color="0.9", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)


def new_figure(
    nrows: int = 1,
    ncols: int = 1,
    height: float = FIGSIZE[1],
    sharex: bool = False,
    sharey: bool = False,
) -> tuple[Figure, list[Axes]]:
    """A chart-sized figure with constrained layout and ``nrows`` x ``ncols`` styled panels,
    row by row."""
    figure = Figure(figsize=(FIGSIZE[0], height), layout="constrained")
    axes = figure.subplots(nrows, ncols, sharex=sharex, sharey=sharey, squeeze=False)
    panels = axes.ravel().tolist()
    style_axes(panels)
    return figure, panels


class GroupedFormatter(Formatter):
    """Tick labels with thousands separators and only as many decimals as the tick step needs.

    Matplotlib's default formatter switches to an offset or scientific notation for money-sized
    numbers, which planners misread; this one writes ``1,250,000`` and ``0.5`` alike.
    """

    _decimals = 0

    def set_locs(self, locs: Sequence[float]) -> None:
        """Choose the decimals once per draw from the spacing of the tick locations."""
        super().set_locs(locs)
        steps = np.abs(np.diff(np.asarray(locs, dtype=float)))
        steps = steps[steps > 0]
        step = float(steps.min()) if steps.size else 1.0
        self._decimals = max(0, int(-np.floor(np.log10(step))))

    def __call__(self, x: float, pos: int | None = None) -> str:
        decimals = self._decimals
        # Adding 0.0 turns a rounded -0.0 into 0.0, so no tick reads "-0".
        return f"{round(x, decimals) + 0.0:,.{decimals}f}"


def t_band(
    frame: pd.DataFrame, by: str, value: str, confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Mean of `value` across replications for each `by`, with a Student-t interval.

    The half-width is :math:`t_{1-\\alpha/2,\\,n-1}\\, s / \\sqrt{n}` with :math:`s` the sample
    standard deviation over the :math:`n` replications (:func:`twin.stats.t_half_width`). With
    one replication the half-width is 0, so the band collapses onto the mean rather than
    vanishing as NaN.

    Parameters
    ----------
    frame : pandas.DataFrame
        Long table with one row per replication and `by` value.
    by : str
        Column to group on (e.g. ``"day"``).
    value : str
        Column to summarise.
    confidence : float
        Confidence level, in (0, 1).

    Returns
    -------
    pandas.DataFrame
        Indexed by `by`, columns ``mean, low, high, n``.
    """
    grouped = frame.groupby(by)[value].agg(["mean", "std", "count"])
    n = grouped["count"].to_numpy(dtype=float)
    half = t_half_width(grouped["std"].to_numpy(dtype=float), n, confidence, single=0.0)
    mean = grouped["mean"].to_numpy(dtype=float)
    return pd.DataFrame(
        {"mean": mean, "low": mean - half, "high": mean + half, "n": n.astype(int)},
        index=grouped.index,
    )


def save_figures(figures: dict[str, Figure], run_dir: Path) -> list[Path]:
    """Save figures as PNG files at `DPI` into `run_dir`.

    Parameters
    ----------
    figures : dict of str to matplotlib.figure.Figure
        File name -> figure, as returned by `build_figures`.
    run_dir : pathlib.Path
        Destination folder.

    Returns
    -------
    list of pathlib.Path
        The written files, in the order of `figures`.
    """
    paths = []
    for name, figure in figures.items():
        path = Path(run_dir) / name
        figure.savefig(path, dpi=DPI, format="png", facecolor="white")
        paths.append(path)
    return paths
