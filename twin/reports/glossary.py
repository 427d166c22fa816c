"""The glossary pages of a report: what each KPI it shows means, in plain words.

One entry per KPI the report shows, in the order shown: its label, its identifier (the column
of ``kpis.csv`` and the name ``--best`` and ``checks:`` take), its unit and its one-line
definition, from :mod:`twin.kpi_labels`. The KPIs of each staff role or promotion share one
entry (``wait_p95_days_<role>``), so the glossary stays short whatever the scenario.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from matplotlib.figure import Figure

from twin.kpi_labels import kpi_family, kpi_info, unit_text
from twin.reports.pages import LEFT, PAGE_SIZE, put

#: Column positions (inches from the left) and text widths (characters).
_ID_X, _UNIT_X, _DEFINITION_X = 3.55, 6.15, 7.0
_DEFINITION_WIDTH = 70
_LINE = 0.15
_GAP = 0.018
_FONT = 7.5
_BOTTOM = PAGE_SIZE[1] - 0.7

TITLE = "Glossary: the KPIs of this report"


class GlossaryEntry(NamedTuple):
    """One line of the glossary."""

    label: str
    identifier: str
    unit: str
    definition: str


def glossary_entries(kpis: Iterable[str], currency: str | None = None) -> list[GlossaryEntry]:
    """The entries for ``kpis``, in their order, one per KPI family; a name the label table
    does not know keeps its identifier as its label and has no definition."""
    entries: dict[str, GlossaryEntry] = {}
    for name in kpis:
        family = kpi_family(str(name))
        if family in entries:
            continue
        try:
            info = kpi_info(family)
        except KeyError:
            entries[family] = GlossaryEntry(family, family, "", "")
            continue
        unit = unit_text(info.unit, currency)
        entries[family] = GlossaryEntry(info.label, family, unit, info.definition)
    return list(entries.values())


def glossary_pages(
    kpis: Iterable[str], currency: str | None = None, window: str | None = None
) -> list[Figure]:
    """The glossary of ``kpis`` on A4 landscape pages (continued as needed, at least one).

    ``window`` (the measured window in dates) is stated under the title, since every definition
    counts or averages over it.
    """
    note = (
        "Counted or averaged over the measured window"
        + (f", {window}" if window else "")
        + ". Share: a fraction from 0 to 1. Full definitions: docs/kpis.md."
    )
    return entry_pages(glossary_entries(kpis, currency), TITLE, note, "KPI")


def entry_pages(
    entries: Sequence[GlossaryEntry], title: str, note: str, first_column: str = "term"
) -> list[Figure]:
    """Glossary ``entries`` on A4 landscape pages under ``title`` with ``note`` below it on the
    first page (continued as needed, at least one); ``first_column`` heads the labels."""
    pages: list[Figure] = []
    index = 0
    while index < len(entries) or not pages:
        page = Figure(figsize=PAGE_SIZE)
        pages.append(page)
        y = 0.85
        put(
            page,
            LEFT,
            y,
            title + (" (continued)" if len(pages) > 1 else ""),
            fontsize=13,
            weight="bold",
        )
        if len(pages) == 1:
            put(page, LEFT, y + 0.24, note, fontsize=8.5, color="0.4")
            y += 0.24
        y += 0.42
        bold = {"fontsize": _FONT, "weight": "bold"}
        for x, head in (
            (LEFT, first_column),
            (_ID_X, "identifier"),
            (_UNIT_X, "unit"),
            (_DEFINITION_X, "definition"),
        ):
            put(page, x, y, head, **bold)
        y += _LINE + 0.06
        while index < len(entries):
            entry = entries[index]
            lines = textwrap.wrap(entry.definition, _DEFINITION_WIDTH) or [""]
            if y + _LINE * len(lines) > _BOTTOM:
                break
            put(page, LEFT, y, entry.label, fontsize=_FONT)
            put(
                page,
                _ID_X,
                y,
                entry.identifier,
                fontsize=_FONT - 0.5,
                color="0.35",
                family="monospace",
            )
            put(page, _UNIT_X, y, entry.unit, fontsize=_FONT, color="0.35")
            for number, line in enumerate(lines):
                put(page, _DEFINITION_X, y + number * _LINE, line, fontsize=_FONT)
            y += _LINE * len(lines) + _GAP
            index += 1
    return pages


# --- the measures of the backtest and calibration reports -------------------------------------

#: The backtest's scores (``summary.csv`` and ``checks.csv`` of ``twin backtest``), in the
#: order its PDF shows them; the full formulas are in docs/backtest.md.
BACKTEST_TERMS: tuple[GlossaryEntry, ...] = (
    GlossaryEntry("Actual, mean", "actual_mean", "series unit", "Mean weekly actual value."),
    GlossaryEntry(
        "Forecast, mean", "forecast_mean", "series unit", "Mean weekly forecast of the twin."
    ),
    GlossaryEntry(
        "MAPE",
        "mape",
        "share",
        "Mean absolute percentage error: mean over weeks of |forecast - actual| / actual.",
    ),
    GlossaryEntry(
        "Bias",
        "bias",
        "share",
        "Sum of (forecast - actual) over the sum of actuals; above 0 the twin forecasts too much.",
    ),
    GlossaryEntry(
        "Coverage 50 % / 90 %",
        "coverage_50, coverage_90",
        "share",
        "Share of weeks whose actual lies inside the replications' 50 % (90 %) band; "
        "about 0.5 (0.9) when the bands are honest.",
    ),
    GlossaryEntry(
        "Band width 50 % / 90 %",
        "width_50, width_90",
        "share",
        "Mean width of that band over the weeks, divided by the mean actual; narrower is sharper.",
    ),
    GlossaryEntry(
        "CRPS",
        "crps",
        "series unit",
        "Continuous ranked probability score of the replications against the actual, "
        "mean over weeks; lower is better.",
    ),
    GlossaryEntry(
        "Pinball loss",
        "pinball",
        "series unit",
        "Mean quantile (pinball) loss of the 5, 25, 50, 75 and 95 % quantiles; lower is better.",
    ),
    GlossaryEntry(
        "MASE",
        "mase, baseline_mase",
        "ratio",
        "Mean absolute scaled error: mean |forecast - actual| over the naive forecast's "
        "typical in-sample error (of the baseline, for baseline_mase).",
    ),
    GlossaryEntry(
        "Relative MAE",
        "relative_mae",
        "ratio",
        "The twin's mean absolute error over the naive baseline's on the same weeks; "
        "below 1 when the twin beats the baseline.",
    ),
    GlossaryEntry(
        "Tolerance",
        "checks",
        "",
        "The range [low, high] a score must lie in for the backtest to pass.",
    ),
)

#: The columns of the calibration's fit report (``fit_report.csv``, the PDF's first table).
CALIBRATION_TERMS: tuple[GlossaryEntry, ...] = (
    GlossaryEntry(
        "Quantity", "quantity", "", "What was fitted, as a key of the model (e.g. transit_days)."
    ),
    GlossaryEntry("Group", "group", "", "The segment, supplier or product the fit is for."),
    GlossaryEntry(
        "Distribution",
        "distribution",
        "",
        "The model chosen for the values (e.g. gamma, lognormal, Poisson), by AIC.",
    ),
    GlossaryEntry("Parameters", "parameters", "", "The fitted parameters of that distribution."),
    GlossaryEntry("n", "n", "count", "How many history values the fit was made from."),
    GlossaryEntry(
        "AIC",
        "aic",
        "",
        "Akaike information criterion of the fit; lower is better among fits of the same values.",
    ),
    GlossaryEntry(
        "GoF p",
        "gof_p",
        "probability",
        "Goodness-of-fit p-value (KS, or chi-square for whole days); optimistic as the "
        "parameters come from the same data: a screen, not a test.",
    ),
    GlossaryEntry("Source", "source", "", "The history tables and fields the values came from."),
    GlossaryEntry(
        "Defaulted",
        "defaulted",
        "yes/no",
        "A stated default stood in for the fit, for lack of data.",
    ),
    GlossaryEntry("Note", "note", "", "Why a default was used, or what to watch in the fit."),
)

#: The columns of ``validation.csv`` (``twin validate``).
VALIDATION_TERMS: tuple[GlossaryEntry, ...] = (
    GlossaryEntry(
        "Actual", "actual", "KPI unit", "The history's value (mean weekly value for a series)."
    ),
    GlossaryEntry(
        "Simulated mean", "simulated_mean", "KPI unit", "The twin's value, mean over replications."
    ),
    GlossaryEntry(
        "Simulated 5-95 %",
        "simulated_p05, simulated_p95",
        "KPI unit",
        "The 5 % and 95 % quantiles of the replications' values.",
    ),
    GlossaryEntry(
        "MAPE",
        "mape",
        "share",
        "Mean absolute percentage error of the simulated mean against the actual, over weeks.",
    ),
    GlossaryEntry(
        "Bias", "bias", "share", "Signed relative error; above 0 the twin gives too much."
    ),
    GlossaryEntry(
        "Coverage 90 %",
        "coverage_90",
        "share",
        "Share of weeks whose actual lies in the simulated 5-95 % band; about 0.9 when honest.",
    ),
    GlossaryEntry(
        "Tolerance", "tolerance", "share", "The largest MAPE allowed; empty when none is set."
    ),
    GlossaryEntry("Passed", "passed", "yes/no", "Whether the MAPE is within its tolerance."),
)


def backtest_glossary_page() -> Figure:
    """The backtest PDF's glossary page: what its scores mean."""
    note = "Scores over the weeks of each origin's window. Full formulas: docs/backtest.md."
    return entry_pages(BACKTEST_TERMS, "Glossary: the scores of this backtest", note)[0]


def calibration_glossary_page() -> Figure:
    """The calibration PDF's glossary page: what the fit report's columns mean."""
    note = "The columns of the fit report (fit_report.csv). Full account: docs/calibration.md."
    return entry_pages(CALIBRATION_TERMS, "Glossary: the fit report's columns", note)[0]
