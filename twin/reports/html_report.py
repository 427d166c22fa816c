"""The HTML report beside a run's and a comparison's PDF, ``report.html`` and ``compare.html``,
each one self-contained file (:mod:`twin.reports.html`), and what every page shares.

Each page holds what its PDF holds, for the browser: the provenance, the KPI table (sortable),
the charts as crisp inline SVG with the values under the pointer, the comparison with its
verdicts, and a glossary of the KPIs shown. They are drawn from their folder's files, like the
PDFs, with the same chart functions. The sweep's page is :mod:`twin.reports.html_sweep`, the
backtest's :mod:`twin.reports.html_backtest`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from twin.formatting import format_interval, format_value
from twin.kpi_labels import unit_text
from twin.reports.compare_figures import MANIFEST_KEYS as COMPARE_KEYS
from twin.reports.compare_figures import build_compare_figures
from twin.reports.figures import build_figures
from twin.reports.glossary import glossary_entries
from twin.reports.html import (
    Cell,
    Section,
    chart,
    esc,
    facts,
    glossary,
    number_cell,
    page,
    paragraph,
    table,
)
from twin.reports.kpi_words import KpiWords
from twin.reports.lookahead_report import CHART_NAME, lookahead_figure, read_lookahead
from twin.reports.readers import read_manifest, read_run_csv
from twin.reports.warmup_note import warmup_note
from twin.reports.window import window_text
from twin.tables import COMPARISON_COLUMNS, SUMMARY_COLUMNS

RUN_PAGE = "report.html"
COMPARE_PAGE = "compare.html"


def charts_html(figures: dict[str, Figure]) -> str:
    """Every figure as an inline chart, captioned with the PNG file beside it."""
    return "\n".join(
        chart(figure, f"chart-{index}", f"Also saved as {name}.")
        for index, (name, figure) in enumerate(figures.items())
    )


def shown_unit(unit: object, currency: object = None) -> str:
    """A unit in the planner's words, as the PDF shows it (:func:`twin.kpi_labels.unit_text`):
    a ratio as a share, money as the scenario's currency code when it names one."""
    if not isinstance(unit, str) or not unit:
        return ""
    return unit_text(unit, currency if isinstance(currency, str) and currency else None)


def glossary_section(kpis: Iterable[str], currency: object = None) -> Section:
    """The glossary, one entry per KPI family as in the PDF's (:mod:`twin.reports.glossary`)."""
    code = currency if isinstance(currency, str) and currency else None
    body = paragraph(
        "Every KPI named on this page: its plain name, identifier (the column in "
        "the CSV files), unit and definition; a staff role's or promotion's KPIs share one line."
    ) + glossary(glossary_entries(kpis, code))
    return Section("glossary", "Glossary", body)


def write_page(path: Path, text: str) -> Path:
    """Write a page's text as UTF-8 (the page declares it); return its path."""
    path.write_text(text, encoding="utf-8")
    return path


def plain_number(value: object) -> float:
    """A manifest's number as a float; 0 for anything else (the readers checked the keys)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


# --- run ----------------------------------------------------------------------------------


def kpi_table(summary: pd.DataFrame, words: KpiWords, currency: object = None) -> str:
    """The run's KPI table: plain name, identifier, mean, interval, unit; sortable."""
    rows = [
        [
            Cell(words.label(row.kpi)),
            Cell(f"<code>{esc(row.kpi)}</code>", row.kpi, markup=True),
            number_cell(format_value(row.mean, row.unit), row.mean),
            number_cell(format_interval(row.ci_low, row.ci_high, row.unit), row.ci_low),
            Cell(shown_unit(row.unit, currency)),
        ]
        for row in summary.itertuples(index=False)
    ]
    return table(["KPI", "Identifier", "Mean", "95 % CI", "Unit"], rows, numeric=(2, 3))


def write_run_html(run_dir: Path, words: KpiWords | None = None) -> Path:
    """Write ``report.html`` of a run folder (its files as for ``report.pdf``)."""
    run_dir = Path(run_dir)
    words = words or KpiWords()
    manifest = read_manifest(
        run_dir,
        (
            "scenario",
            "description",
            "replications",
            "horizon_days",
            "warmup_days",
            "start_date",
            "seed",
            "created_utc",
        ),
    )
    summary = read_run_csv(run_dir, "summary.csv", SUMMARY_COLUMNS)
    about = [
        (
            "Measured window",
            window_text(
                manifest["start_date"],
                plain_number(manifest["warmup_days"]),
                plain_number(manifest["horizon_days"]),
            ),
        ),
        ("Simulated from", str(manifest["start_date"])),
        ("Horizon", f"{plain_number(manifest['horizon_days']):g} days"),
        ("Warm-up", f"{plain_number(manifest['warmup_days']):g} days (excluded from KPIs)"),
        ("Replications", str(manifest["replications"])),
        ("Seed", str(manifest["seed"])),
        ("Created (UTC)", str(manifest["created_utc"])),
        ("twin version", str(manifest.get("twin_version", ""))),
    ]
    notes = [warmup_note(run_dir), *manifest.get("notes", [])]
    body = paragraph(str(manifest["description"])) + facts(about)
    body += "".join(paragraph(str(note), "note") for note in notes if note)
    n = manifest["replications"]
    explain = (
        f"Means over {n} replications after the warm-up; the 95 % CI is a Student-t interval "
        "across replications (n/a with one). Click a header to sort."
    )
    figures = build_figures(run_dir)
    lookahead = read_lookahead(run_dir)
    if lookahead is not None:
        figures = {CHART_NAME: lookahead_figure(lookahead), **figures}
    sections = [
        Section("run", "The run", body),
        Section(
            "kpis",
            "Key performance indicators",
            paragraph(explain) + kpi_table(summary, words, manifest.get("currency")),
        ),
        Section("charts", "Charts", charts_html(figures)),
        glossary_section(summary["kpi"], manifest.get("currency")),
    ]
    text = page(
        "twin simulation report",
        str(manifest["scenario"]),
        sections,
        f"twin {manifest.get('twin_version', '')} · drawn from {run_dir.name}",
    )
    return write_page(run_dir / RUN_PAGE, text)


# --- compare ------------------------------------------------------------------------------


def verdict(row: Any, base: str, words: KpiWords) -> Cell:
    """The paired difference's verdict: better, worse or higher/lower when no direction is
    known, or no clear difference when the interval holds zero."""
    if row.variant == base:
        return Cell("base", css="verdict-same")
    if str(row.significant) != "True":
        return Cell("no clear difference", css="verdict-same")
    higher = float(row.diff) > 0
    better = words.direction(str(row.kpi))
    if better is None:
        return Cell(f"{'higher' if higher else 'lower'} than {base}")
    good = higher == better
    return Cell(
        f"{'better' if good else 'worse'} ({'higher' if higher else 'lower'})",
        css="verdict-better" if good else "verdict-worse",
    )


def comparison_table(
    comparison: pd.DataFrame, base: str, words: KpiWords, currency: object = None
) -> str:
    rows = []
    for row in comparison.itertuples(index=False):
        unit = row.unit if isinstance(row.unit, str) else ""
        is_base = row.variant == base
        rows.append(
            [
                Cell(words.label(row.kpi)),
                Cell(f"<code>{esc(row.kpi)}</code>", row.kpi, markup=True),
                Cell(str(row.variant)),
                number_cell(format_value(row.mean, unit), row.mean),
                number_cell(format_interval(row.ci_low, row.ci_high, unit), row.ci_low),
                number_cell("" if is_base else format_value(row.diff, unit), row.diff),
                number_cell(
                    "" if is_base else format_interval(row.diff_ci_low, row.diff_ci_high, unit),
                    row.diff_ci_low,
                ),
                verdict(row, base, words),
                Cell(shown_unit(unit, currency)),
            ]
        )
    heads = [
        "KPI",
        "Identifier",
        "Variant",
        "Mean",
        "CI",
        f"Difference to {base}",
        "Difference CI",
        "Verdict",
        "Unit",
    ]
    return table(heads, rows, numeric=(3, 4, 5, 6))


def ranking_table(ranking: pd.DataFrame, unit: str) -> str:
    rows = [
        [
            number_cell(str(row.rank), row.rank),
            Cell(str(row.variant)),
            number_cell(format_value(row.mean, unit), row.mean),
            number_cell(format_interval(row.ci_low, row.ci_high, unit), row.ci_low),
            number_cell(format_value(row.diff_to_best, unit), row.diff_to_best),
            Cell("yes" if str(row.separable) == "True" else "no"),
        ]
        for row in ranking.itertuples(index=False)
    ]
    heads = ["Rank", "Variant", "Mean", "CI", "Difference to best", "Separated from the rest"]
    return table(heads, rows, numeric=(0, 2, 3, 4))


def write_compare_html(out_dir: Path, words: KpiWords | None = None) -> Path:
    """Write ``compare.html`` of a comparison folder (its files as for ``compare.pdf``)."""
    out_dir = Path(out_dir)
    words = words or KpiWords()
    manifest = read_manifest(out_dir, COMPARE_KEYS)
    comparison = read_run_csv(out_dir, "comparison.csv", COMPARISON_COLUMNS)
    ranking = pd.read_csv(out_dir / "ranking.csv") if (out_dir / "ranking.csv").is_file() else None
    base = str(manifest["base"])
    names = list(manifest["variants"])
    units = dict(zip(comparison["kpi"], comparison["unit"].astype(str), strict=True))
    confidence = float(manifest["confidence"])
    about = [
        ("Variants", ", ".join(names)),
        ("Seed", f"{manifest['seed']} (common random numbers: replication r of every variant)"),
        ("Replications", f"{manifest['replications']} per variant"),
        ("Confidence", f"{confidence:.0%}"),
        ("Created (UTC)", str(manifest["created_utc"])),
        ("twin version", str(manifest.get("twin_version", ""))),
    ]
    body = facts(about)
    if manifest.get("selection"):
        body += paragraph(str(manifest["selection"]), "lead")
    best = manifest.get("best") or {}
    if ranking is not None and best.get("kpi"):
        kpi = str(best["kpi"])
        body += f"<h3>Ranking on {esc(words.label(kpi))} (<code>{esc(kpi)}</code>)</h3>"
        body += ranking_table(ranking, units.get(kpi, ""))
    explain = (
        f"Each variant's mean and its paired difference to {base} (replication r of each ran on "
        f"the same random numbers), with {confidence:.0%} intervals. The verdict is 'no clear "
        "difference' when the difference's interval holds zero. Click a header to sort."
    )
    for failure in manifest.get("failures", []):
        body += paragraph(f"Failed: {failure}", "note")
    sections = [
        Section("comparison", f"{base} and {len(names) - 1} variant(s)", body),
        Section(
            "verdicts",
            "Every KPI: differences and verdicts",
            paragraph(explain)
            + comparison_table(comparison, base, words, manifest.get("currency")),
        ),
        Section("charts", "Charts", charts_html(build_compare_figures(out_dir))),
        glossary_section(comparison["kpi"], manifest.get("currency")),
    ]
    text = page(
        "twin comparison report",
        f"Comparison of {base}",
        sections,
        f"twin {manifest.get('twin_version', '')} · drawn from {out_dir.name}",
    )
    return write_page(out_dir / COMPARE_PAGE, text)
