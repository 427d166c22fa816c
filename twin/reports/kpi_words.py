"""What a report says about a KPI besides its identifier: plain label, definition, direction.

The labels and definitions are the one table of :mod:`twin.kpi_labels`; the directions (is more
better?) live in ``twin.experiments.ranking``, a layer the reports may not import (reports draw
result files), so the commands hand them in. Without a direction a verdict says only higher or
lower; a name that is no KPI keeps its identifier and has no definition, so a report never fails
for want of words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from twin.kpi_labels import kpi_info


def describe(kpi: str) -> tuple[str, str] | None:
    """A KPI's label and one-line definition; None for a name that is no KPI."""
    try:
        info = kpi_info(kpi)
    except KeyError:
        return None
    return info.label, info.definition


def _no_direction(_: str) -> None:
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

    describe: Callable[[str], tuple[str, str] | None] = describe
    direction: Callable[[str], bool | None] = _no_direction

    def label(self, kpi: str) -> str:
        """The plain label, or the identifier when there is none."""
        described = self.describe(kpi)
        return described[0] if described else kpi

    def definition(self, kpi: str) -> str:
        """The one-line definition, or ``""``."""
        described = self.describe(kpi)
        return described[1] if described else ""
