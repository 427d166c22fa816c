"""The PDF report of one run folder.

`write_report` writes the chart PNGs into the run folder and ``report.pdf`` next to them: a title
page with the run's provenance, the measured window in dates and the KPI table (plain labels with
their identifiers, money in the scenario's currency; continued on further pages when long), then
one page per chart, then the glossary of the KPIs shown. Pages are A4 landscape, drawn as vector
graphics with matplotlib's PDF backend.

The PDF is reproducible: its creation date comes from the manifest's ``created_utc`` rather than
the clock, so rendering the same run folder twice gives byte-identical files (with the same
matplotlib and font versions).
"""

from __future__ import annotations

import math
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from twin.formatting import format_interval, format_value
from twin.kpi_labels import kpi_name, unit_text
from twin.reports.charts import save_figures
from twin.reports.figures import build_figures
from twin.reports.glossary import glossary_pages
from twin.reports.lookahead_report import CHART_NAME, lookahead_figure, read_lookahead, table_page
from twin.reports.pages import (
    LEFT,
    PAGE_SIZE,
    RIGHT,
    chart_page,
    created_utc,
    number_pages,
    put,
    save_pdf,
)
from twin.reports.readers import read_manifest, read_run_csv
from twin.reports.staff_page import STAFF_CHART, staff_page
from twin.reports.warmup_note import warmup_note
from twin.reports.window import window_text
from twin.tables import SUMMARY_COLUMNS

REPORT_NAME = "report.pdf"

MANIFEST_KEYS = (
    "scenario",
    "description",
    "twin_version",
    "seed",
    "replications",
    "horizon_days",
    "warmup_days",
    "start_date",
    "wall_s",
    "created_utc",
)

# Table geometry in inches, measured from the top-left corner of the page.
_TABLE_BOTTOM = PAGE_SIZE[1] - 0.75
_ROW = 0.21
_KPI_X = LEFT + 0.1
_ID_X = 4.05
_MEANRIGHT = 7.45
_CIRIGHT = 9.75
_UNIT_X = 9.95
_TABLE_FONT = 9.0
_ID_FONT = 7.5
#: Characters of an identifier shown before it is shortened (a promotion's name can be long).
_ID_WIDTH = 40


def _creation_date(manifest: dict[str, Any], path: Path) -> datetime:
    """The run's creation time as an aware UTC datetime; a naive timestamp is taken as UTC."""
    try:
        return created_utc(manifest)
    except ValueError as error:
        raise ValueError(f"{path}: created_utc is not an ISO 8601 timestamp ({error})") from error


def _number(manifest: dict[str, Any], key: str, path: Path) -> float:
    value = manifest[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{path}: {key} must be a number, got {value!r}")
    return float(value)


def _duration(seconds: float) -> str:
    """Wall time for people: ``"42.1 s"``, ``"3 min 07 s"``, ``"2 h 05 min"``."""
    if not math.isfinite(seconds):
        return "n/a"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _limited_wrap(text: str, width: int, max_lines: int) -> list[str]:
    lines = textwrap.wrap(text, width=width) or [""]
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], textwrap.shorten(" ".join(lines[max_lines - 1 :]), width)]
    return lines


def _title_block(
    figure: Figure,
    manifest: dict[str, Any],
    created: datetime,
    path: Path,
    warmup_note: str | None = None,
) -> float:
    """Draw the provenance block of page 1, with the warm-up note when there is one; return where
    the KPI table may start (inches)."""
    y = 0.85
    put(figure, LEFT, y, "twin simulation report", fontsize=10, color="0.4")
    y += 0.5
    put(figure, LEFT, y, str(manifest["scenario"]), fontsize=22, weight="bold")
    y += 0.38
    for line in _limited_wrap(str(manifest["description"]), width=125, max_lines=4):
        put(figure, LEFT, y, line, fontsize=10.5)
        y += 0.2
    y += 0.15

    horizon = _number(manifest, "horizon_days", path)
    warmup = _number(manifest, "warmup_days", path)
    # two columns: provenance on the left, the simulated time on the right
    left = [
        ("Created (UTC)", created.strftime("%Y-%m-%d %H:%M")),
        ("twin version", str(manifest["twin_version"])),
        ("Seed", str(manifest["seed"])),
        ("Replications", str(manifest["replications"])),
        ("Wall time", _duration(_number(manifest, "wall_s", path))),
    ]
    right = [
        ("Measured window", window_text(manifest["start_date"], warmup, horizon, short=True)),
        ("Simulated from", str(manifest["start_date"])),
        ("Horizon", f"{horizon:g} days"),
        ("Warm-up", f"{warmup:g} days (excluded from KPIs)"),
    ]
    if "parameter_uncertainty" in manifest:  # older run folders do not say
        drawn = bool(manifest["parameter_uncertainty"])
        right.append(
            (
                "Fitted parameters",
                "drawn per replication (parameter_uncertainty on)"
                if drawn
                else "point estimates in every replication",
            )
        )
    for column, facts in enumerate((left, right)):
        x = LEFT + column * 5.2
        for row, (label, value) in enumerate(facts):
            weight = "bold" if label == "Measured window" else "normal"
            put(figure, x, y + row * 0.22, label, fontsize=9.5, color="0.4")
            put(figure, x + 1.35, y + row * 0.22, value, fontsize=9.5, weight=weight)
    y += max(len(left), len(right)) * 0.22 + 0.05
    if warmup_note:
        for line in _limited_wrap(warmup_note, width=150, max_lines=3):
            put(figure, LEFT, y, line, fontsize=9.5, color="firebrick")
            y += 0.19
        y += 0.05

    packages = manifest.get("packages") or {}
    if isinstance(packages, dict) and packages:
        listing = ", ".join(f"{name} {version}" for name, version in sorted(packages.items()))
        for line in _limited_wrap(f"Packages: {listing}", width=170, max_lines=2):
            put(figure, LEFT, y, line, fontsize=8, color="0.45")
            y += 0.17
    return y + 0.3


def _table_heading(figure: Figure, y: float, continued: bool, replications: object) -> float:
    title = "Key performance indicators" + (" (continued)" if continued else "")
    put(figure, LEFT, y, title, fontsize=13, weight="bold")
    if not continued:
        note = (
            f"Means over {replications} {'replication' if replications == 1 else 'replications'} "
            "after warm-up; the 95 % CI is a Student-t interval across replications "
            "(n/a with one replication)."
        )
        put(figure, LEFT, y + 0.22, note, fontsize=8.5, color="0.4")
        y += 0.22
    return y + 0.42


def _table_rows(figure: Figure, rows: pd.DataFrame, y: float, currency: str | None = None) -> None:
    """Draw the table header at `y` (inches from top) and then `rows`, one per line: the KPI's
    label, its identifier in grey, mean, interval and unit (money as ``currency``)."""
    width, height = PAGE_SIZE
    header = {"fontsize": _TABLE_FONT, "weight": "bold"}
    put(figure, _KPI_X, y, "KPI", **header)
    put(figure, _ID_X, y, "identifier", **header)
    put(figure, _MEANRIGHT, y, "Mean", ha="right", **header)
    put(figure, _CIRIGHT, y, "95 % CI", ha="right", **header)
    put(figure, _UNIT_X, y, "Unit", **header)
    rule = y + 0.07
    figure.add_artist(
        Rectangle(
            (LEFT / width, 1 - rule / height),
            (RIGHT - LEFT) / width,
            0.012 / height,
            transform=figure.transFigure,
            color="0.2",
        )
    )
    for index, row in enumerate(rows.itertuples(index=False)):
        baseline = y + (index + 1) * _ROW + 0.02
        if index % 2 == 0:
            # Stripes guide the eye along a row across the wide gap between name and numbers.
            top = baseline - _ROW + 0.055
            figure.add_artist(
                Rectangle(
                    (LEFT / width, 1 - (top + _ROW) / height),
                    (RIGHT - LEFT) / width,
                    _ROW / height,
                    transform=figure.transFigure,
                    color="0.94",
                    zorder=-1,
                )
            )
        body = {"fontsize": _TABLE_FONT}
        kpi = str(row.kpi)
        put(figure, _KPI_X, baseline, kpi_name(kpi), **body)
        identifier = kpi if len(kpi) <= _ID_WIDTH else kpi[: _ID_WIDTH - 1] + "…"
        put(figure, _ID_X, baseline, identifier, fontsize=_ID_FONT, color="0.4")
        put(figure, _MEANRIGHT, baseline, format_value(row.mean, row.unit), ha="right", **body)
        ci = format_interval(row.ci_low, row.ci_high, row.unit)
        put(figure, _CIRIGHT, baseline, ci, ha="right", **body)
        put(figure, _UNIT_X, baseline, unit_text(row.unit, currency), color="0.35", **body)


def table_pages(
    summary: pd.DataFrame,
    manifest: dict[str, Any],
    path: Path,
    warmup_note: str | None = None,
) -> list[Figure]:
    """Draw the title page with the KPI table, plus continuation pages as needed.

    Parameters
    ----------
    summary : pandas.DataFrame
        The ``summary.csv`` table (``kpi, mean, std, ci_low, ci_high, unit``).
    manifest : dict
        The run manifest with every key in `MANIFEST_KEYS`.
    path : pathlib.Path
        The manifest's path, named in error messages.
    warmup_note : str, optional
        Printed under the provenance when the warm-up check found the warm-up too short.

    Returns
    -------
    list of matplotlib.figure.Figure
        A4 landscape pages without footers (page numbers are added once the total is known).
    """
    created = _creation_date(manifest, path)
    pages = []
    start = 0
    while start < len(summary) or not pages:
        page = Figure(figsize=PAGE_SIZE)
        y = _title_block(page, manifest, created, path, warmup_note) if not pages else 0.85
        y = _table_heading(page, y, continued=bool(pages), replications=manifest["replications"])
        # One row for the header, then as many KPI rows as fit above the bottom margin.
        capacity = max(1, int((_TABLE_BOTTOM - y) / _ROW) - 1)
        rows = summary.iloc[start : start + capacity]
        _table_rows(page, rows, y, manifest.get("currency"))
        start += capacity
        pages.append(page)
    return pages


def write_report(run_dir: Path) -> Path:
    """Write the chart PNGs and ``report.pdf`` for a run folder.

    Parameters
    ----------
    run_dir : pathlib.Path
        Run folder holding ``manifest.json``, ``summary.csv``, ``daily.csv`` and
        ``lead_times.csv`` as written by ``twin run``.

    Returns
    -------
    pathlib.Path
        Path of the written ``report.pdf`` inside `run_dir`.

    Raises
    ------
    ValueError
        If an input file is missing or malformed; the message names the file and what is
        wrong. Nothing is written in that case.
    """
    run_dir = Path(run_dir)
    manifest_path = run_dir / "manifest.json"
    manifest = read_manifest(run_dir, MANIFEST_KEYS)
    created = _creation_date(manifest, manifest_path)
    summary = read_run_csv(run_dir, "summary.csv", SUMMARY_COLUMNS)
    currency = manifest.get("currency")
    front = table_pages(summary, manifest, manifest_path, warmup_note(run_dir))
    charts = build_figures(run_dir)
    lookahead = read_lookahead(run_dir)  # report.lookahead_weeks: the forecast page and chart
    if lookahead is not None:
        scenario, replications = str(manifest["scenario"]), manifest["replications"]
        front.append(table_page(lookahead, scenario, replications, currency))
        charts = {CHART_NAME: lookahead_figure(lookahead, currency), **charts}

    save_figures(charts, run_dir)
    pages = [
        *front,
        *(
            staff_page(figure, summary, currency)
            if name == STAFF_CHART
            else chart_page(figure, keep_short=True)
            for name, figure in charts.items()
        ),
    ]
    window = window_text(
        manifest["start_date"],
        _number(manifest, "warmup_days", manifest_path),
        _number(manifest, "horizon_days", manifest_path),
    )
    pages += glossary_pages(summary["kpi"].astype(str), currency, window)
    metadata = {
        "Title": f"twin report: {manifest['scenario']}",
        "Subject": str(manifest["description"]),
        "Creator": f"twin {manifest['twin_version']}",
        "CreationDate": created,
        "ModDate": created,
    }
    number_pages(pages, f"{manifest['scenario']} · twin {manifest['twin_version']}")
    return save_pdf(run_dir / REPORT_NAME, pages, metadata)
