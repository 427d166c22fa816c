"""The ``credit`` section: ordered credit rules at order entry, limits, freeze and review."""

from __future__ import annotations

from twin.scenario.common import Section


class CreditPolicy(Section):
    """The credit policy (placeholder until the credit lever lands)."""


def check_references(scenario: object) -> None:
    """Cross-checks against the rest of the scenario; raises ``ValueError`` with the key path."""
