"""The files for planners that every command writes beside its CSV tables: a workbook, and an
HTML page beside each PDF.

The writers live in the reports layer and read the folder's files; the KPIs' directions (is more
better?, ``twin.experiments.ranking``) come from a layer the reports may not import, so they are
handed in here, where the commands sit above both.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from twin.reports.kpi_words import KpiWords


def kpi_words() -> KpiWords:
    """The KPIs' labels, definitions and directions, for the workbooks and HTML pages."""
    from twin.experiments.ranking import direction

    return KpiWords(direction=direction)


def write_workbook(folder: Path, name: str, units: Mapping[str, str] | None = None) -> Path:
    """Write the workbook ``folder/name`` of every table in `folder`."""
    from twin.reports.workbook_folder import write_folder_workbook

    return write_folder_workbook(folder, name, units, kpi_words())


def write_html(folder: Path, kind: str) -> Path:
    """Write the HTML page of a ``run``, ``compare``, ``sweep`` or ``optimise`` folder beside
    its PDF."""
    if kind == "optimise":
        from twin.reports.html_optimise import write_optimise_html

        return write_optimise_html(folder)
    from twin.reports.html_report import write_compare_html, write_run_html
    from twin.reports.html_sweep import write_sweep_html

    writer = {"run": write_run_html, "compare": write_compare_html, "sweep": write_sweep_html}
    return writer[kind](folder, kpi_words())
