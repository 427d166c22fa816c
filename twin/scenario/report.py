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
        "stock and cash forecast); a run shorter than that gets its whole weeks, with a note "
        "(docs/lookahead.md).",
    )


def lookahead_weeks(scenario: object) -> tuple[int, str | None]:
    """The whole weeks of the look-ahead that fit in the run, and a note when fewer than asked
    (a run shortened with ``--set run.horizon_days=...``); (0, None) when none is asked for."""
    section: Report | None = getattr(scenario, "report", None)
    if section is None or section.lookahead_weeks is None:
        return 0, None
    horizon = scenario.run.horizon_days  # type: ignore[attr-defined]
    weeks = min(section.lookahead_weeks, int(horizon // DAYS_PER_WEEK))
    if weeks == section.lookahead_weeks:
        return weeks, None
    return weeks, (
        f"report.lookahead_weeks asks for {section.lookahead_weeks} weeks but the run's "
        f"{horizon:g} days hold {weeks} whole weeks: the look-ahead has {weeks}"
    )
