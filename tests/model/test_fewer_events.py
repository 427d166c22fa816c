"""Events that carry no information are left out, and the run is the same without them.

Each test runs a short whole-loop replication (every lever on) twice: as the model runs it, and
with one shortcut switched off so that the left-out events happen again (every credit account's
settlements as events; every customer-loop candidate waited for). Every table must be equal,
value for value, and the shortcut must have saved events. Three runs of about 2.5 s each:
marked slow, like the golden tables they stand beside.
"""

from __future__ import annotations

import pandas as pd
import pytest
import simpy

from twin.model import demand, finance
from twin.model.network import run_replication

HORIZON = "run.horizon_days=90"


class Everyone:
    """A watch list holding every customer: every settlement is an event."""

    def __contains__(self, key: object) -> bool:
        return True


def run_counting(scenario) -> tuple[dict[str, pd.DataFrame], int]:
    """Replication 0's tables and the number of events the heap processed."""
    events = 0
    step = simpy.Environment.step

    def counted(env: simpy.Environment) -> None:
        nonlocal events
        events += 1
        step(env)

    simpy.Environment.step = counted  # type: ignore[method-assign]
    try:
        result = run_replication(scenario, 0)
    finally:
        simpy.Environment.step = step  # type: ignore[method-assign]
    return result.tables, events


def assert_same_tables(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


pytestmark = pytest.mark.slow

# 90 days: long enough for invoices 30 days overdue, so orders are held and their customers'
# settlements become events (Ledger.watch) during the run


@pytest.fixture(scope="module")
def whole_loop(load_scenario):
    scenario = load_scenario("whole-loop.yaml", HORIZON)
    return scenario, *run_counting(scenario)


def test_settlements_queued_by_time_give_the_run_every_settlement_as_an_event_gives(
    whole_loop, monkeypatch
):
    scenario, tables, events = whole_loop
    track = finance.Ledger.track_accounts

    def watching_everyone(self, *args, **kwargs):
        track(self, *args, **kwargs)
        self._watched = Everyone()

    monkeypatch.setattr(finance.Ledger, "track_accounts", watching_everyone)
    all_events, more = run_counting(scenario)
    assert_same_tables(tables, all_events)
    assert more > events + 1000  # the whole loop settles thousands of invoices in 90 days


def test_candidates_turned_away_before_the_next_event_give_the_run_waiting_for_each_gives(
    whole_loop, monkeypatch
):
    scenario, tables, events = whole_loop
    run = demand.DemandSource.run

    def waiting_for_each(self, next_id, accept):
        self.env.peek = lambda: -float("inf")  # nothing is ever due before the next event
        return run(self, next_id, accept)

    monkeypatch.setattr(demand.DemandSource, "run", waiting_for_each)
    waited, more = run_counting(scenario)
    assert_same_tables(tables, waited)
    assert more > events + 1000
