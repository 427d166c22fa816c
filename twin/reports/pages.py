"""The pages of twin's PDF reports: A4 landscape, text placed in inches, a footer, charts fitted
to the page, and a PDF written whole or not at all.

The run report (``report.pdf``), the comparison (``compare.pdf``), the sweep (``sweep.pdf``) and
the calibration report (``calibration.pdf``) lay out their pages with these, so they share one
geometry and one footer.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from twin.reports.charts import FIGSIZE

#: A4 landscape page (inches).
PAGE_SIZE = (11.69, 8.27)

# Page geometry in inches, measured from the top-left corner of the page.
LEFT = 0.75
RIGHT = PAGE_SIZE[0] - 0.75
FOOTER = PAGE_SIZE[1] - 0.4
FOOTER_STYLE = {"color": "0.45", "fontsize": 8}
#: A chart's margin at the top and sides, and the strip kept for the footer (inches).
CHART_MARGIN = 0.45
CHART_FOOTER = 0.7


def put(figure: Figure, x: float, y: float, text: str, **style: Any) -> None:
    """Place text at (x, y) inches from the page's top-left corner."""
    width, height = PAGE_SIZE
    figure.text(x / width, 1.0 - y / height, text, va="baseline", **style)


def number_pages(pages: list[Figure], label: str) -> None:
    """The footer of every page: ``label`` on the left, ``page n of N`` on the right."""
    for number, page in enumerate(pages, start=1):
        put(page, LEFT, FOOTER, label, **FOOTER_STYLE)
        put(page, RIGHT, FOOTER, f"page {number} of {len(pages)}", ha="right", **FOOTER_STYLE)


def chart_page(
    figure: Figure,
    margins: bool = True,
    keep_short: bool = False,
    max_height: float | None = None,
) -> Figure:
    """Enlarge a chart to the page.

    With ``margins``, a chart with a layout engine is fitted above the footer strip; without,
    it keeps its own margins (fractions of the figure, or none). With ``keep_short``, a chart
    shorter than the standard height (`twin.reports.charts.FIGSIZE`; the utilisation chart of
    a few roles) gets the same fraction of the page height, since stretching two bars to a full
    page would make them as tall as a door. ``max_height`` (inches) caps the chart's height,
    leaving the rest of the page for text below it.
    """
    natural_height = figure.get_size_inches()[1]
    page_width, page_height = PAGE_SIZE
    figure.set_size_inches(PAGE_SIZE)
    engine = figure.get_layout_engine()
    if margins and engine is not None and hasattr(engine, "set"):
        left, top = CHART_MARGIN / page_width, CHART_MARGIN / page_height
        height = chart_height(natural_height if keep_short else FIGSIZE[1])
        if max_height is not None:
            height = min(height, max_height)
        height /= page_height
        engine.set(rect=(left, 1 - top - height, 1 - 2 * left, height))
    return figure


def chart_height(natural_height: float) -> float:
    """Height (inches) a chart of ``natural_height`` takes on a page with margins: the page
    less its margins, times its share of the standard height (at most all of it). It starts
    :data:`CHART_MARGIN` below the top, so text may follow below it."""
    full = PAGE_SIZE[1] - CHART_MARGIN - CHART_FOOTER
    return full * min(1.0, natural_height / FIGSIZE[1])


def created_utc(manifest: dict[str, Any]) -> datetime:
    """The manifest's ``created_utc`` as an aware UTC datetime; a naive timestamp is UTC.

    A report's PDF carries it as its creation date, so drawing the same folder twice gives the
    same file. Raises ``ValueError`` when it is not an ISO 8601 timestamp.
    """
    created = datetime.fromisoformat(str(manifest["created_utc"]))
    return created.replace(tzinfo=UTC) if created.tzinfo is None else created.astimezone(UTC)


def save_pdf(target: Path, pages: list[Figure], metadata: dict[str, Any]) -> Path:
    """Write ``pages`` as one PDF at ``target``.

    Written beside the target and renamed, so a failure never leaves a truncated report behind.
    """
    partial = target.with_name(f".{target.name}.partial")
    try:
        with PdfPages(partial, metadata=metadata) as pdf:
            for page in pages:
                pdf.savefig(page)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target
