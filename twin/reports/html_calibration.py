"""The HTML page beside ``calibration.pdf``, ``calibration.html``: the facts, the fit report
(sortable), the notes, the fit charts as inline SVG and the glossary of the fit report's columns.

It is handed the calibration report's own tables and figures (the reports layer does not know
calibration), so page and PDF show the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from twin.reports.glossary import CALIBRATION_TERMS
from twin.reports.html import Section, facts, page, paragraph
from twin.reports.html_report import charts_html, write_page
from twin.reports.html_terms import frame_table, notes_html, terms_section

CALIBRATION_PAGE = "calibration.html"


def write_calibration_html(
    out_dir: Path,
    title: str,
    facts_lines: Sequence[tuple[str, str]],
    fit_report: pd.DataFrame,
    notes: Mapping[str, Sequence[str]],
    figures: Mapping[str, Figure],
) -> Path:
    """Write ``calibration.html`` into the model folder ``out_dir``.

    ``notes`` maps a heading (calibration notes, data-quality notes, charts skipped) to its
    lines; ``figures`` are the charts by the PNG name they are also saved as.
    """
    sections = [
        Section("calibration", "Calibration", facts(list(facts_lines))),
        Section(
            "fit",
            "Fit report",
            paragraph(
                "One row per fitted quantity; 'defaulted' marks a stated default used for lack "
                "of data. GoF p is optimistic, as the parameters come from the same data: a "
                "screen, not a test."
            )
            + frame_table(fit_report),
        ),
    ]
    for number, (heading, lines) in enumerate(notes.items()):
        if lines:
            sections.append(Section(f"notes-{number}", heading, notes_html(lines)))
    sections.append(Section("charts", "Fitted against observed", charts_html(dict(figures))))
    sections.append(
        terms_section(CALIBRATION_TERMS, "The columns of the fit report (fit_report.csv).")
    )
    text = page("twin calibration report", title, sections, "twin calibrate")
    return write_page(Path(out_dir) / CALIBRATION_PAGE, text)
