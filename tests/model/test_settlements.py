"""Settlements under credit accounts: queued by time, no heap event, until the credit desk
watches the customer (it holds an order of theirs); then an event at the exact drawn time.

The whole-loop run's tables are the same as with one event per settlement (checked against the
start commit by the golden test and the bench's shipments); these are the mechanics in small.
"""

from __future__ import annotations

import simpy

from twin.model.catalogue import Catalogue
from twin.model.context import Context
from twin.model.finance import Ledger, schedule_at
from twin.records import Recorder
from twin.streams import Streams

# the tiny scenario pays 10 days after the invoice, never defaults
PAY_DELAY_DAYS = 10.0


def ledger_of(scenario) -> tuple[Ledger, list[tuple[float, int, int]], dict]:
    """A ledger under accounts, with the times of its ``on_settle`` calls and its watch list."""
    env = simpy.Environment()
    context = Context(
        env, scenario, Streams(1, 0), Recorder(), Catalogue.from_scenario(scenario), {}
    )
    ledger = Ledger(context)
    settled: list[tuple[float, int, int]] = []
    watched: dict = {}
    ledger.track_accounts(
        None, None, lambda s, c: settled.append((env.now, s, c)), payments=True, watched=watched
    )
    return ledger, settled, watched


def wait(env: simpy.Environment, days: float) -> None:
    env.run(until=env.now + days)


def test_an_unwatched_settlement_is_queued_and_settled_once_time_has_passed_it(tiny):
    ledger, settled, _ = ledger_of(tiny())
    env = ledger.env
    ledger.invoice(7, 0, 3, 150.0)
    assert env.peek() == float("inf")  # no event for the settlement
    account = ledger.account(0, 3)
    assert account.open_amount == 150.0
    wait(env, PAY_DELAY_DAYS)  # due exactly now: not settled yet, as an event would not be
    ledger.settle_until(env.now)
    assert account.open_amount == 150.0
    wait(env, 0.5)
    ledger.settle_until(env.now)
    assert account.open_amount == 0.0 and ledger.open_amount == 0.0
    assert list(account.paid) == [(PAY_DELAY_DAYS, 150.0)]  # paid at its own time
    assert account.days_overdue(env.now) == 0.0
    assert settled == []  # nothing held: the credit desk is not told


def test_a_watched_customer_is_settled_by_an_event_at_the_drawn_time(tiny):
    ledger, settled, watched = ledger_of(tiny())
    env = ledger.env
    ledger.invoice(7, 0, 3, 150.0)  # settles at day 10, queued
    wait(env, 4.0)
    watched[(0, 3)] = ["a held order"]
    ledger.watch(0, 3)  # the open invoice becomes an event
    ledger.invoice(8, 0, 3, 50.0)  # issued while watched: an event from the start
    ledger.invoice(9, 0, 5, 20.0)  # another customer: queued
    env.run(until=30.0)
    assert settled == [(PAY_DELAY_DAYS, 0, 3), (4.0 + PAY_DELAY_DAYS, 0, 3)]
    assert ledger.receivables() == 0.0


def test_an_event_scheduled_at_a_time_comes_at_exactly_that_time():
    # now + (t - now) is one unit in the last place below t for these two times
    now, t = 48.2120990651072, 127.82385171354822
    assert now + (t - now) != t
    env = simpy.Environment(initial_time=now)
    event = simpy.Event(env)
    event._ok, event._value = True, None
    seen: list[float] = []
    event.callbacks.append(lambda _event: seen.append(env.now))
    schedule_at(env, event, t)
    env.run()
    assert seen == [t]
