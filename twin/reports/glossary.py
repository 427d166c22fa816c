"""The glossary pages of a report: what each KPI it shows means, in plain words.

One entry per KPI the report shows, in the order shown: its label, its identifier (the column
of ``kpis.csv`` and the name ``--best`` and ``checks:`` take), its unit and its one-line
definition, from :mod:`twin.kpi_labels`. The KPIs of each staff role or promotion share one
entry (``wait_p95_days_<role>``), so the glossary stays short whatever the scenario.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
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
    entries = glossary_entries(kpis, currency)
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
            TITLE + (" (continued)" if len(pages) > 1 else ""),
            fontsize=13,
            weight="bold",
        )
        if len(pages) == 1:
            note = (
                "Counted or averaged over the measured window"
                + (f", {window}" if window else "")
                + ". Share: a fraction from 0 to 1. Full definitions: docs/kpis.md."
            )
            put(page, LEFT, y + 0.24, note, fontsize=8.5, color="0.4")
            y += 0.24
        y += 0.42
        bold = {"fontsize": _FONT, "weight": "bold"}
        for x, head in (
            (LEFT, "KPI"),
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
