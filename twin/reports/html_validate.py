"""The HTML page of a validation folder, ``validation.html``: the comparison of the twin with
the history (sortable, with each tolerance's verdict), the notes, the weekly overlay charts as
inline SVG and the glossary of the table's columns.

It is handed the validation's table and figures (the reports layer does not know calibration).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from twin.reports.glossary import VALIDATION_TERMS
from twin.reports.html import Section, facts, page
from twin.reports.html_report import charts_html, write_page
from twin.reports.html_terms import frame_table, notes_html, terms_section

VALIDATION_PAGE = "validation.html"


def write_validation_html(
    out_dir: Path,
    table: pd.DataFrame,
    figures: Mapping[str, Figure],
    facts_lines: Sequence[tuple[str, str]],
    notes: Sequence[str] = (),
) -> Path:
    """Write ``validation.html`` into ``out_dir`` from ``validation.csv``'s table and the
    weekly charts (by the PNG name they are also saved as)."""
    sections = [
        Section("validation", "Validation against the history", facts(list(facts_lines))),
        Section("table", "The twin against the history", frame_table(table)),
    ]
    if notes:
        sections.append(Section("notes", "Notes", notes_html(notes)))
    sections.append(Section("charts", "Weekly series", charts_html(dict(figures))))
    sections.append(terms_section(VALIDATION_TERMS, "The columns of validation.csv."))
    text = page("twin validation report", "Validation", sections, "twin validate")
    return write_page(Path(out_dir) / VALIDATION_PAGE, text)
