"""The ``customers`` section: satisfaction, repeat purchase and churn, and the CRM pipeline."""

from __future__ import annotations

from twin.scenario.common import Section


class CustomerLoop(Section):
    """The customer loop (placeholder until the customer-loop lever lands)."""


def check_references(scenario: object) -> None:
    """Cross-checks against the rest of the scenario; raises ``ValueError`` with the key path."""
