"""What the HTML pages of calibrate, validate and optimise share: a result table drawn from a
DataFrame as it is, and a glossary section of the terms a page shows
(:data:`twin.reports.glossary.CALIBRATION_TERMS` and the like)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from twin.reports.glossary import GlossaryEntry
from twin.reports.html import Cell, Section, glossary, number_cell, paragraph, table


def shown(value: object) -> str:
    """A cell's text: numbers to 4 significant digits (whole with separators when large),
    booleans as yes/no, missing values as a dash."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | float | np.number):
        number = float(value)
        return f"{number:,.0f}" if abs(number) >= 1000 else f"{number:.4g}"
    return str(value)


def frame_table(frame: pd.DataFrame) -> str:
    """``frame`` as a sortable table, its columns' names as headers; number columns right-aligned
    and sorted by value."""
    numeric = [
        index
        for index, column in enumerate(frame.columns)
        if pd.api.types.is_numeric_dtype(frame[column])
        and not pd.api.types.is_bool_dtype(frame[column])
    ]
    rows = [
        [
            number_cell(shown(value), value) if index in numeric else Cell(shown(value))
            for index, value in enumerate(record)
        ]
        for record in frame.itertuples(index=False)
    ]
    return table([str(column) for column in frame.columns], rows, numeric=numeric)


def terms_section(entries: Sequence[GlossaryEntry], note: str) -> Section:
    """The page's glossary: each term's plain name, identifier, unit and definition."""
    return Section("glossary", "Glossary", paragraph(note) + glossary(entries))


def notes_html(notes: Sequence[str]) -> str:
    """Notes as paragraphs (nothing when there are none)."""
    return "\n".join(paragraph(str(note)) for note in notes)
