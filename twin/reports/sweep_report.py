"""The PDF of a sweep folder, ``sweep.pdf``, drawn from its result files.

`write_sweep_report` reads ``manifest.json``, ``results.csv`` and ``sensitivity.csv`` of a sweep
folder (written by ``twin sweep``), saves the chart PNGs of :mod:`twin.reports.sweep_figures`
into it and writes ``sweep.pdf``: a title page with the sweep's provenance (the measured window in
dates among it) and a table of the top indices per KPI, then one page per chart, then the
glossary of the KPIs analysed.

Like the run report, nothing here simulates, figures never go through `pyplot`, and the PDF's
creation date comes from the manifest, so the same folder renders to the same file.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from twin.formatting import format_interval, format_value
from twin.reports.charts import save_figures
from twin.reports.glossary import glossary_pages
from twin.reports.pages import (
    LEFT,
    PAGE_SIZE,
    chart_page,
    created_utc,
    number_pages,
    put,
    save_pdf,
)
from twin.reports.readers import read_sweep
from twin.reports.sweep_figures import UNITLESS, build_figures, kpi_title, parameter_label
from twin.reports.window import window_text

REPORT_NAME = "sweep.pdf"
#: Parameters shown per KPI in the report's table.
TOP = 5


def _days(value: Any) -> str:
    return f"{value:g} days" if isinstance(value, int | float) else "n/a"


def measured_window(manifest: dict[str, Any]) -> str:
    """The base's measured window in dates; ``n/a`` for a sweep without a base scenario."""
    start, warmup, horizon = (
        manifest.get(k) for k in ("start_date", "warmup_days", "horizon_days")
    )
    if start is None or warmup is None or horizon is None:
        return "n/a"
    return window_text(start, float(warmup), float(horizon), short=True)


def _index_text(row: pd.Series, unit: str) -> tuple[str, str]:
    shown = "ratio" if row["index"] in UNITLESS else unit
    return format_value(row["value"], shown), format_interval(row["ci_low"], row["ci_high"], shown)


def _front_pages(manifest: dict[str, Any], sensitivity: pd.DataFrame) -> list[Figure]:
    """The title page: provenance, then the top parameters per KPI (continued when long)."""
    page = Figure(figsize=PAGE_SIZE)
    pages = [page]
    y = 0.85
    put(page, LEFT, y, "twin sensitivity sweep", fontsize=10, color="0.4")
    y += 0.5
    put(page, LEFT, y, str(manifest["sweep"]), fontsize=22, weight="bold")
    y += 0.38
    lines = textwrap.wrap(str(manifest.get("description") or ""), width=125)[:3]
    for line in lines:
        put(page, LEFT, y, line, fontsize=10.5)
        y += 0.2
    y += 0.15
    design = manifest["design"]
    design_text = ", ".join(f"{k} {v}" for k, v in design.items() if k != "kind")
    facts = [
        ("Sweep file", str(manifest["sweep_file"])),
        ("Base scenario", str(manifest["base"])),
        (
            "Base overrides (set)",
            ", ".join(f"{k}={v}" for k, v in manifest["set"].items()) or "none",
        ),
        ("Command-line --set", ", ".join(manifest.get("overrides", [])) or "none"),
        ("Design", f"{design['kind']}" + (f" ({design_text})" if design_text else "")),
        (
            "Points x replications",
            f"{manifest['points']} x {manifest['replications']} ({manifest['failed_rows']} failed)",
        ),
        ("Seed (every point)", str(manifest["seed"])),
        (
            "Horizon, warm-up",
            f"{_days(manifest['horizon_days'])}, {_days(manifest['warmup_days'])}",
        ),
        ("Measured window", measured_window(manifest)),
        ("Created (UTC)", created_utc(manifest).strftime("%Y-%m-%d %H:%M")),
        ("twin version", str(manifest["twin_version"])),
        ("Wall time", f"{manifest['wall_s']:.1f} s"),
    ]
    # the long entries (files, overrides, design) down the left, the short ones on the right
    for row, (label, value) in enumerate(facts[:5]):
        put(page, LEFT, y + row * 0.22, label, fontsize=9.5, color="0.4")
        put(page, LEFT + 1.7, y + row * 0.22, value[:70], fontsize=9.5)
    for row, (label, value) in enumerate(facts[5:]):
        put(page, 7.0, y + row * 0.22, label, fontsize=9.5, color="0.4")
        put(page, 8.7, y + row * 0.22, value[:36], fontsize=9.5)
    y += max(5, len(facts) - 5) * 0.22 + 0.3
    method, index = manifest["headline"]
    put(page, LEFT, y, f"Top parameters by {index} ({method})", fontsize=13, weight="bold")
    y += 0.3
    head = sensitivity[(sensitivity["method"] == method) & (sensitivity["index"] == index)]
    for kpi in manifest["kpis"]:
        rows = head[head["kpi"] == kpi]
        rows = rows.reindex(rows["value"].abs().sort_values(ascending=False).index).head(TOP)
        if y + 0.22 * (len(rows) + 1) > PAGE_SIZE[1] - 0.75:
            page = Figure(figsize=PAGE_SIZE)
            pages.append(page)
            y = 0.85
        title = kpi_title(manifest, kpi)
        put(
            page, LEFT, y, title if kpi in title else f"{title} · {kpi}", fontsize=10, weight="bold"
        )
        y += 0.22
        unit = manifest.get("units", {}).get(kpi, "")
        for _, row in rows.iterrows():
            value, interval = _index_text(row, unit)
            put(page, LEFT + 0.2, y, parameter_label(manifest, row["parameter"])[:70], fontsize=9)
            put(page, 6.4, y, value, fontsize=9, ha="right")
            put(page, 6.7, y, f"95 % interval {interval}", fontsize=9, color="0.35")
            y += 0.2
        y += 0.1
    for note in manifest.get("notes", [])[:4]:
        put(page, LEFT, min(y, PAGE_SIZE[1] - 0.7), f"Note: {note}"[:160], fontsize=8.5)
        y += 0.18
    return pages


def write_sweep_report(folder: Path) -> Path:
    """Write the chart PNGs and ``sweep.pdf`` of a sweep folder; returns the PDF's path."""
    folder = Path(folder)
    manifest, _, sensitivity = read_sweep(folder)
    charts = build_figures(folder)
    save_figures(charts, folder)
    pages = [*_front_pages(manifest, sensitivity), *(chart_page(f) for f in charts.values())]
    pages += glossary_pages(manifest["kpis"], manifest.get("currency"), measured_window(manifest))
    number_pages(pages, f"sweep {manifest['sweep']} · twin {manifest['twin_version']}")
    created = created_utc(manifest)
    metadata = {
        "Title": f"twin sweep: {manifest['sweep']}",
        "Subject": str(manifest.get("description", "")),
        "Creator": f"twin {manifest['twin_version']}",
        "CreationDate": created,
        "ModDate": created,
    }
    return save_pdf(folder / REPORT_NAME, pages, metadata)
