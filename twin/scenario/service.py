"""The ``after_sales`` section: failures of shipped units, tickets, engineers and spare parts."""

from __future__ import annotations

from twin.scenario.common import Section


class AfterSales(Section):
    """After-sales service (placeholder until the after-sales lever lands)."""


def check_references(scenario: object) -> None:
    """Cross-checks against the rest of the scenario; raises ``ValueError`` with the key path."""
