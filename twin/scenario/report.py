"""The ``report`` section: what a run writes beyond its KPIs, daily levels and charts.

``lookahead_weeks: N`` asks for the weekly look-ahead: N weeks from the run's start (day 0),
each with its receipts, stock, backlog, service and (with a ``cash`` section) cash, per
replication and as a mean with a band over replications (``lookahead.csv``,
``lookahead_replications.csv``, a report page and ``lookahead.png``; ``docs/lookahead.md``).
Without the section nothing of it is computed or written.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt

from twin.scenario.common import Section

#: Days in a look-ahead week.
DAYS_PER_WEEK = 7


class Report(Section):
    """Extra result tables a run writes."""

    lookahead_weeks: PositiveInt | None = Field(
        None,
        description="Weeks of the weekly look-ahead from the run's start (e.g. 13: a 13-week "
        "stock and cash forecast); needs run.horizon_days >= 7 x weeks (docs/lookahead.md).",
    )


def check_run(scenario: object) -> None:
    """The look-ahead's weeks must lie inside the run: ``ValueError`` naming both keys."""
    section: Report | None = getattr(scenario, "report", None)
    if section is None or section.lookahead_weeks is None:
        return
    horizon = scenario.run.horizon_days  # type: ignore[attr-defined]
    days = section.lookahead_weeks * DAYS_PER_WEEK
    if days > horizon:
        raise ValueError(
            f"report.lookahead_weeks: {section.lookahead_weeks} weeks need {days} days, but "
            f"run.horizon_days is {horizon:g}; give run.horizon_days >= {days} or fewer weeks"
        )
