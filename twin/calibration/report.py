"""The calibration report: how well the fitted scenario base matches the history.

`write_calibration_report` writes one PNG per chart and ``calibration.pdf`` into the model
folder, and ``calibration.html`` beside it (the same table, notes and charts, for the browser).
The PDF has, in order:

1. the fit report table (quantity, group, distribution, n, goodness-of-fit p, defaulted, note),
   then the notes of the calibration and the quality step and the charts that were skipped and
   why, flowing onto further pages when long;
2. per fitted duration (``transit_days`` and ``payment.delay_days`` per segment,
   ``lead_time_days`` per supplier): histogram with the fitted density, and a QQ plot
   (``fit_<quantity>_<group>.png``);
3. per segment: lines per order and units per line, observed against fitted pmf
   (``counts_<segment>.png``);
4. per segment: fitted weekday and monthly multipliers against the observed ones
   (``seasonality_<segment>.png``);
5. satisfaction against lateness, when the history has scores: mean score per lateness bin
   against the fitted curve (``satisfaction.png``);
6. the data-quality counts (``quality_summary.png``);
7. a glossary page: what the fit report's columns mean.

The charts show the values each fit was made from, as
:func:`~twin.calibration.calibrate.calibrate_history` kept them (``Calibration.values``). A
quantity that was defaulted or has no values is skipped and listed on the first pages.

The PDF is reproducible: its creation date is the model's ``run.start_date`` (the day after the
history ends) at 00:00 UTC, not the clock, so the same calibration gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from twin import __version__
from twin.calibration.behaviour.satisfaction import predicted_score
from twin.calibration.calibrate import Calibration
from twin.calibration.figures import (
    continuous_fit_figure,
    count_fit_figure,
    quality_figure,
    satisfaction_figure,
    seasonality_figure,
)
from twin.calibration.fit_report import FittedValues
from twin.calibration.quality import QualityResult
from twin.reports.charts import DPI
from twin.reports.glossary import calibration_glossary_page
from twin.reports.html_calibration import write_calibration_html
from twin.reports.pages import LEFT, PAGE_SIZE, RIGHT, chart_page, number_pages, put, save_pdf

__all__ = ["REPORT_NAME", "observed_seasonality", "write_calibration_report"]

REPORT_NAME = "calibration.pdf"

_TOP = 0.85
_BOTTOM = PAGE_SIZE[1] - 0.75
_ROW = 0.2
_FONT = 8.5
#: Table columns: (header, x position in inches, alignment, most characters shown).
_COLUMNS = (
    ("Quantity", LEFT + 0.1, "left", 30),
    ("Group", 3.2, "left", 22),
    ("Distribution", 4.9, "left", 14),
    ("n", 6.75, "right", 10),
    ("GoF p", 7.45, "right", 8),
    ("Defaulted", 7.6, "left", 5),
    ("Note", 8.3, "left", 48),
)


def observed_seasonality(
    times: pd.Series, period: tuple[dt.date, dt.date], fitted_month: list[float]
) -> tuple[np.ndarray, np.ndarray]:
    """Observed weekday and monthly multipliers of orders over `period`.

    The weekday value is the mean number of orders on that weekday's days divided by the mean of
    the seven. The month value is the mean orders per day in that calendar month (all years
    pooled), scaled so that its mean over the months with days equals the fitted multipliers'
    mean over the same months (the fit sets months without data to 1 and normalises all twelve).

    Parameters
    ----------
    times : pandas.Series
        Order timestamps inside `period`.
    period : (datetime.date, datetime.date)
        First and last day, inclusive.
    fitted_month : list of float
        The fitted ``monthly_multipliers`` (January first).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Seven weekday values (Monday first) and twelve month values; NaN where the period has no
        such day.
    """
    days = pd.date_range(pd.Timestamp(period[0]), pd.Timestamp(period[1]), freq="D")
    counts = times.dt.normalize().value_counts().reindex(days, fill_value=0).astype(float)
    weekday = counts.groupby(days.day_of_week).mean().reindex(range(7))
    weekday = (weekday / weekday.mean()).to_numpy(dtype=float)
    month = counts.groupby(days.month - 1).mean().reindex(range(12)).to_numpy(dtype=float)
    present = np.isfinite(month)
    observed_mean = month[present].mean() if present.any() else np.nan
    if present.any() and observed_mean > 0:
        month = month * float(np.mean(np.asarray(fitted_month)[present])) / observed_mean
    return weekday, month


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "x"


def _charts(
    calibration: Calibration, quality: QualityResult
) -> tuple[dict[str, Figure], list[str]]:
    """Every chart that applies, by PNG name in report order, and why others were skipped."""
    data = calibration.values
    segments = calibration.model.get("segments", {})
    suppliers = calibration.model.get("suppliers", {})
    charts: dict[str, Figure] = {}
    skipped: list[str] = []
    for quantity, group, values, dist in data.durations:
        where = f"supplier {group}" if group in suppliers else f"segment {group}"
        if group not in suppliers and group not in segments:
            where = group
        if not isinstance(dist, dict) or values.size == 0:
            shown = "none" if dist is None else f"{dist:g} days" if _is_number(dist) else dist
            skipped.append(
                f"{quantity}, {where}: not plotted ({values.size} values; model {shown})"
            )
            continue
        charts[f"fit_{_slug(quantity)}_{_slug(group)}.png"] = continuous_fit_figure(
            values, dist, f"{quantity}, {where}"
        )
    for seg_name, panels in data.counts.items():
        usable = [
            (name, values, dist)
            for name, values, dist in panels
            if values.size and isinstance(dist, dict)
        ]
        for name, values, dist in panels:
            if not (values.size and isinstance(dist, dict)):
                skipped.append(f"{name}, segment {seg_name}: not plotted ({values.size} values)")
        if usable:
            charts[f"counts_{_slug(seg_name)}.png"] = count_fit_figure(
                usable, f"Lines per order and units per line, segment {seg_name}"
            )
    for seg_name, times in data.arrivals.items():
        arrivals = segments.get(seg_name, {}).get("arrivals", {})
        if arrivals.get("kind") != "poisson" or times.empty or data.period is None:
            skipped.append(f"seasonality, segment {seg_name}: not plotted (no Poisson fit)")
            continue
        fitted_week = arrivals.get("weekday_multipliers", [1.0] * 7)
        fitted_month = arrivals.get("monthly_multipliers", [1.0] * 12)
        weekday, month = observed_seasonality(times, data.period, fitted_month)
        charts[f"seasonality_{_slug(seg_name)}.png"] = seasonality_figure(
            weekday,
            fitted_week,
            month,
            fitted_month,
            f"Seasonality, segment {seg_name} ({len(times)} orders, "
            f"{data.period[0]}..{data.period[1]})",
        )
    satisfaction = calibration.behaviour.get("satisfaction") or {}
    if satisfaction.get("bins") and satisfaction.get("score_curve"):
        curve = satisfaction["score_curve"]
        charts["satisfaction.png"] = satisfaction_figure(
            satisfaction["bins"],
            lambda lateness: predicted_score(curve, lateness),
            f"Satisfaction against lateness ({satisfaction['n']:,} scores, "
            f"fitted {curve['chosen']})",
        )
    else:
        skipped.append("satisfaction: not plotted (no scores on delivered orders)")
    if len(quality.counts):
        charts["quality_summary.png"] = quality_figure(quality.counts)
    else:
        skipped.append("data quality: not plotted (no row counts)")
    return charts, skipped


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Pages:
    """Text laid out top to bottom, continued on a new page when the current one is full."""

    def __init__(self) -> None:
        self.pages: list[Figure] = []
        self.y = _BOTTOM  # forces a first page

    def _page(self) -> Figure:
        return self.pages[-1]

    def room(self, height: float) -> None:
        if not self.pages or self.y + height > _BOTTOM:
            self.pages.append(Figure(figsize=PAGE_SIZE))
            self.y = _TOP

    def put(self, x: float, text: str, **style: Any) -> None:
        put(self._page(), x, self.y, text, **style)

    def line(self, text: str, height: float = _ROW, x: float = LEFT, **style: Any) -> None:
        self.room(height)
        self.y += height
        self.put(x, text, **style)

    def rule(self) -> None:
        width, height = PAGE_SIZE
        top = self.y + 0.07
        self._page().add_artist(
            Rectangle(
                (LEFT / width, 1 - top / height),
                (RIGHT - LEFT) / width,
                0.012 / height,
                transform=self._page().transFigure,
                color="0.2",
            )
        )


def _cell(value: object, limit: int) -> str:
    if isinstance(value, float):
        text = "" if not np.isfinite(value) else f"{value:.3g}"
    elif isinstance(value, bool | np.bool_):
        text = "yes" if value else ""
    else:
        text = str(value)
    return textwrap.shorten(text, limit, placeholder="…") if len(text) > limit else text


def _table_header(pages: _Pages) -> None:
    pages.room(2 * _ROW)
    pages.y += _ROW
    for name, x, align, _ in _COLUMNS:
        pages.put(x, name, fontsize=_FONT, weight="bold", ha=align)
    pages.rule()


def _front_pages(
    calibration: Calibration, quality: QualityResult, data: FittedValues, skipped: list[str]
) -> list[Figure]:
    model = calibration.model
    pages = _Pages()
    pages.line("twin calibration report", height=0.0, fontsize=10, color="0.4")
    pages.line(str(model.get("name", "calibrated")), height=0.5, fontsize=22, weight="bold")
    period = f"{data.period[0]}..{data.period[1]}" if data.period else "n/a"
    facts = (
        f"Active period {period} · {len(model.get('segments', {}))} segment(s) · "
        f"{len(model.get('products', []))} product(s) · "
        f"{len(model.get('suppliers', {}))} supplier(s)"
    )
    for text in textwrap.wrap(str(model.get("description", "")), 125)[:3]:
        pages.line(text, height=0.25, fontsize=10.5)
    pages.line(facts, height=0.25, fontsize=9.5, color="0.3")
    pages.line("Fit report", height=0.45, fontsize=13, weight="bold")
    pages.line(
        "One row per fitted quantity; 'defaulted' marks a stated default used for lack of data. "
        "GoF p (KS, or chi-square for whole days) is optimistic, as the parameters come from the "
        "same data: a screen, not a test.",
        fontsize=8.5,
        color="0.4",
    )
    _table_header(pages)
    for index, row in enumerate(calibration.report.itertuples(index=False)):
        if pages.y + _ROW > _BOTTOM:
            _table_header(pages)  # starts a new page
        pages.room(_ROW)
        pages.y += _ROW
        if index % 2 == 0:
            width, height = PAGE_SIZE
            top = pages.y - _ROW + 0.055
            pages._page().add_artist(
                Rectangle(
                    (LEFT / width, 1 - (top + _ROW) / height),
                    (RIGHT - LEFT) / width,
                    _ROW / height,
                    transform=pages._page().transFigure,
                    color="0.94",
                    zorder=-1,
                )
            )
        values = (
            row.quantity,
            row.group,
            row.distribution,
            f"{int(row.n):,}",
            row.gof_p,
            bool(row.defaulted),
            row.note,
        )
        for value, (_, x, align, limit) in zip(values, _COLUMNS, strict=True):
            pages.put(x, _cell(value, limit), fontsize=_FONT, ha=align)
    for title, notes in (
        ("Calibration notes", calibration.notes),
        ("Data quality notes", quality.notes),
        ("Charts skipped", skipped),
    ):
        if not notes:
            continue
        pages.room(0.45 + 2 * 0.18)  # a heading stays with its first lines
        pages.line(title, height=0.45, fontsize=12, weight="bold")
        for note in notes:
            for number, text in enumerate(textwrap.wrap(str(note), 150) or [""]):
                pages.line(("• " if number == 0 else "   ") + text, height=0.18, fontsize=8.5)
    return pages.pages


def _creation_date(model: dict) -> dt.datetime:
    start = model.get("run", {}).get("start_date")
    if isinstance(start, str):
        start = dt.date.fromisoformat(start[:10])
    if not isinstance(start, dt.date):
        start = dt.date(2000, 1, 1)
    return dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC)


def write_calibration_report(
    out_dir: Path,
    calibration: Calibration,
    quality: QualityResult,
) -> Path:
    """Write the calibration charts (PNG) and ``calibration.pdf`` into `out_dir`.

    Parameters
    ----------
    out_dir : pathlib.Path
        The model folder; created when absent.
    calibration : Calibration
        From :func:`~twin.calibration.calibrate.calibrate_history`, with the values it fitted.
    quality : QualityResult
        From :func:`~twin.calibration.quality.check_history`.

    Returns
    -------
    pathlib.Path
        Path of ``calibration.pdf``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    charts, skipped = _charts(calibration, quality)
    for name, figure in charts.items():
        figure.savefig(out / name, dpi=DPI, format="png", facecolor="white")
    pages = [
        *_front_pages(calibration, quality, calibration.values, skipped),
        # the charts keep their margins (fractions), so the footer strip stays free
        *(chart_page(figure, margins=False) for figure in charts.values()),
        calibration_glossary_page(),
    ]
    name = str(calibration.model.get("name", "calibrated"))
    created = _creation_date(calibration.model)
    metadata = {
        "Title": f"twin calibration report: {name}",
        "Subject": str(calibration.model.get("description", "")),
        "Creator": f"twin {__version__}",
        "CreationDate": created,
        "ModDate": created,
    }
    number_pages(pages, f"{name} · calibration · twin {__version__}")
    pdf = save_pdf(out / REPORT_NAME, pages, metadata)
    _write_html(out, calibration, quality, charts, skipped)
    return pdf


def _write_html(
    out: Path,
    calibration: Calibration,
    quality: QualityResult,
    charts: dict[str, Figure],
    skipped: list[str],
) -> Path:
    """Write ``calibration.html`` beside the PDF, from the same table, notes and charts."""
    model = calibration.model
    data = calibration.values
    facts = [
        ("Active period", f"{data.period[0]}..{data.period[1]}" if data.period else "n/a"),
        ("Description", str(model.get("description", ""))),
        ("Segments", str(len(model.get("segments", {})))),
        ("Products", str(len(model.get("products", [])))),
        ("Suppliers", str(len(model.get("suppliers", {})))),
        ("twin", __version__),
    ]
    notes = {
        "Calibration notes": calibration.notes,
        "Data quality notes": quality.notes,
        "Charts skipped": skipped,
    }
    name = str(model.get("name", "calibrated"))
    return write_calibration_html(out, name, facts, calibration.report, notes, charts)
