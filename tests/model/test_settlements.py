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


def test_queued_settlements_close_in_the_order_a_heap_of_time_amount_pairs_pops_them():
    import heapq

    import numpy as np

    from twin.model.finance import Settlements

    rng = np.random.default_rng(5)
    # ties in time (and in both) and amounts whose sum depends on the order they are taken in
    times = rng.integers(0, 40, 3000).astype(float) / 4
    amounts = rng.choice([0.1, 0.2, 0.3, 1e16, 3.0, 7.7], 3000)
    queue, heap = Settlements(), []
    for t, amount in zip(times.tolist(), amounts.tolist(), strict=True):
        queue.add(t, amount)
        heapq.heappush(heap, (t, amount))
    queue.CHUNK = 7  # several chunks
    for now in (2.5, 2.5, 6.0, 100.0):
        expected = []
        while heap and heap[0][0] < now:
            expected.append(heapq.heappop(heap)[1])
        assert list(queue.close_before(now)) == expected
        assert len(queue) == len(heap)
    assert len(queue) == 0


def test_without_a_cash_book_the_open_amount_is_summed_as_a_heap_would_sum_it(tiny):
    """An invoice booked after the fact settles before one issued earlier: the open amount
    still subtracts every settlement in time order (amounts whose result depends on it)."""
    env = simpy.Environment()
    scenario = tiny()
    context = Context(
        env, scenario, Streams(1, 0), Recorder(), Catalogue.from_scenario(scenario), {}
    )
    ledger = Ledger(context)
    ledger.invoice(1, 0, 3, 0.1)  # settles at 10
    wait(env, 5.0)
    ledger.invoice(2, 0, 3, 0.7)  # settles at 15
    ledger.invoice_at(0.5, 3, 0, 3, 0.2)  # booked now, settles at 10.5
    total = ((0.0 + 0.1) + 0.7) + 0.2
    assert ((total - 0.1) - 0.2) - 0.7 != ((total - 0.1) - 0.7) - 0.2  # the order shows
    wait(env, 5.0)  # t 10: nothing settled yet
    assert ledger.receivables() == total
    wait(env, 2.0)  # t 12: the first two by time
    assert ledger.receivables() == (total - 0.1) - 0.2
    wait(env, 10.0)
    assert ledger.receivables() == ((total - 0.1) - 0.2) - 0.7
    assert ledger.receivables() == ((total - 0.1) - 0.2) - 0.7  # nothing settles twice
