"""The HTML report beside a sweep's PDF, ``sweep.html``: the provenance, the headline
sensitivity index per KPI and parameter, each point's values and mean KPIs, the charts and the
glossary, drawn from the sweep folder's files (:mod:`twin.reports.html_report` for the parts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from twin.formatting import format_interval, format_value
from twin.reports.html import Cell, Section, facts, number_cell, page, paragraph, table
from twin.reports.html_report import charts_html, glossary_section, shown_unit, write_page
from twin.reports.kpi_words import KpiWords
from twin.reports.readers import read_sweep
from twin.reports.sweep_figures import UNITLESS, parameter_label
from twin.reports.sweep_figures import build_figures as build_sweep_figures

SWEEP_PAGE = "sweep.html"


def write_sweep_html(folder: Path, words: KpiWords | None = None) -> Path:
    """Write ``sweep.html`` of a sweep folder (its files as for ``sweep.pdf``)."""
    folder = Path(folder)
    words = words or KpiWords()
    manifest, results, sensitivity = read_sweep(folder)
    units: dict[str, str] = {str(k): str(v) for k, v in manifest.get("units", {}).items()}
    design = pd.read_csv(folder / "design.csv") if (folder / "design.csv").is_file() else None
    about = [
        ("Sweep file", str(manifest.get("sweep_file", ""))),
        ("Base scenario", str(manifest.get("base", ""))),
        ("Design", str(manifest["design"].get("kind", ""))),
        ("Points x replications", f"{manifest.get('points')} x {manifest.get('replications')}"),
        ("Seed (every point)", str(manifest.get("seed", ""))),
        ("Created (UTC)", str(manifest.get("created_utc", ""))),
        ("twin version", str(manifest.get("twin_version", ""))),
    ]
    body = paragraph(str(manifest.get("description") or "")) + facts(about)
    body += "".join(paragraph(f"Note: {note}", "note") for note in manifest.get("notes", []))
    method, index = manifest["headline"]
    head = sensitivity[(sensitivity["method"] == method) & (sensitivity["index"] == index)]
    rows = []
    for row in head.itertuples(index=False):
        unit = "ratio" if row.index in UNITLESS else units.get(row.kpi, "")
        rows.append(
            [
                Cell(words.label(row.kpi)),
                Cell(parameter_label(manifest, row.parameter)),
                number_cell(format_value(row.value, unit), abs(row.value)),
                number_cell(format_interval(row.ci_low, row.ci_high, unit), row.ci_low),
                # a variance share or a correlation has no unit; a swing is in the KPI's
                Cell("" if row.index in UNITLESS else shown_unit(unit, manifest.get("currency"))),
            ]
        )
    indices = table(
        ["KPI", "Parameter", f"{index} ({method})", "95 % interval", "Unit"], rows, numeric=(2, 3)
    )
    points = _points_table(manifest, results, words, units)
    sections = [
        Section("sweep", str(manifest["sweep"]), body),
        Section(
            "indices",
            f"Sensitivity: {index} by parameter",
            paragraph("Sorting by the index column sorts by its size.") + indices,
        ),
        Section("points", "Each point's values and mean KPIs", points),
        Section("charts", "Charts", charts_html(build_sweep_figures(folder))),
        glossary_section(manifest["kpis"], manifest.get("currency")),
    ]
    if design is None:
        sections.pop(2)
    text = page(
        "twin sensitivity sweep",
        str(manifest["sweep"]),
        sections,
        f"twin {manifest.get('twin_version', '')} · drawn from {folder.name}",
    )
    return write_page(folder / SWEEP_PAGE, text)


def _points_table(
    manifest: dict[str, Any], results: pd.DataFrame, words: KpiWords, units: dict[str, str]
) -> str:
    """Each design point's parameter values and the mean of each swept KPI over replications."""
    paths = [p["path"] for p in manifest["parameters"]]
    kpis = [k for k in manifest["kpis"] if k in results.columns]
    means = results.groupby("point", sort=True)[[*paths, *kpis]].mean(numeric_only=True)
    rows = [
        [
            number_cell(str(point), point),
            *(number_cell(f"{row[p]:g}", row[p]) for p in paths),
            *(number_cell(format_value(row[k], units.get(k, "")), row[k]) for k in kpis),
        ]
        for point, row in means.iterrows()
    ]
    heads = [
        "Point",
        *(parameter_label(manifest, p) for p in paths),
        *(f"{words.label(k)} ({shown_unit(units.get(k), manifest.get('currency'))})" for k in kpis),
    ]
    return table(heads, rows, numeric=range(len(heads)))
