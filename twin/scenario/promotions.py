"""The ``promotions`` section: a calendar of price promotions and how demand responds."""

from __future__ import annotations

from twin.scenario.common import Section


class Promotion(Section):
    """One promotion (placeholder until the promotions lever lands)."""


def check_references(scenario: object) -> None:
    """Cross-checks against the rest of the scenario; raises ``ValueError`` with the key path."""
