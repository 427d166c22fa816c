"""What a report says about a KPI besides its identifier: plain label, definition, direction.

The words live in ``twin.kpis.labels`` and the directions in ``twin.experiments.ranking``, two
layers the reports may not import (reports draw result files). The commands therefore hand a
:class:`KpiWords` to the workbook and HTML writers; without one, a KPI is named by its
identifier and has no definition or direction, so a report never fails for want of words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def _nothing(_: str) -> None:
    return None


@dataclass(frozen=True)
class KpiWords:
    """The plain words of the KPIs.

    Attributes
    ----------
    describe : callable
        ``describe(kpi)``: its label and one-line definition, or None for a name that is no KPI.
    direction : callable
        ``direction(kpi)``: True when more is better, False when less is, None when unknown.
    """

    describe: Callable[[str], tuple[str, str] | None] = _nothing
    direction: Callable[[str], bool | None] = _nothing

    def label(self, kpi: str) -> str:
        """The plain label, or the identifier when there is none."""
        described = self.describe(kpi)
        return described[0] if described else kpi

    def definition(self, kpi: str) -> str:
        """The one-line definition, or ``""``."""
        described = self.describe(kpi)
        return described[1] if described else ""
