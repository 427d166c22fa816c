"""Invoices and receivables: each delivery is invoiced; the customer pays after a drawn delay, or
defaults and the invoice is written off.

Whether an invoice defaults and when it settles are drawn when it is issued, from the segment's
own streams. Nothing waits on most settlements, so they are queued by time (no heap event) and
settled when time has passed them, before anything reads what they change:
:meth:`Ledger.receivables`, the next invoice, and the credit desk's decisions
(:meth:`Ledger.settle_until`). A payment is known when its invoice is issued, so the cash book
is told of it then (``report_payments``) and books it at its time, as it books its bills.

Under a credit policy (:meth:`Ledger.track_accounts`) the ledger also keeps one
:class:`Account` per customer: its open invoices by due date (the oldest open one first, settled
ones dropped lazily), its open amount and, when a credit limit follows them, its payments. The
credit desk acts on a settlement only for a customer with held orders (it checks them again):
such a customer's settlements are events (:meth:`Ledger.watch`), which tell the desk as they
happen. The customer's risk class scales the default probability and shifts the delay of the
same two draws per invoice, so the payment streams stay aligned. Without a credit policy none of
this exists and ``invoice`` takes its original path.
"""

from __future__ import annotations

import heapq
from array import array
from collections import deque
from collections.abc import Callable, Container, Iterator
from itertools import count

import numpy as np
import simpy
from simpy.events import NORMAL

from twin.model.context import Context
from twin.model.hooks import PaymentHook
from twin.records import ColumnTable
from twin.streams import Sampler, UniformSampler

CHUNK = ColumnTable.CHUNK  # rows a table buffers (invoices under accounts append to the buffer)


class Ledger:
    """Open receivables and the settlement of every invoice."""

    def __init__(self, context: Context) -> None:
        env, scenario = context.env, context.scenario
        streams, recorder = context.streams, context.recorder
        self.env = env
        self._invoices = recorder.invoices
        self._invoice_rows = recorder.invoices.rows
        self._payment = []
        for name, segment in scenario.segments.items():
            payment = segment.payment
            self._payment.append(
                (
                    payment.terms_days,
                    Sampler(payment.delay_days, streams.generator("payment_delay", name)),
                    payment.default_probability,
                    UniformSampler(streams.generator("payment_default", name)),
                    payment.write_off_after_days,
                )
            )
        self.open_amount = 0.0
        # settlements nothing acts on, by time: (t_settle, amount), settled when asked; with a
        # cash book, as time passes them (a heap, kept short), else all at collection (arrays)
        self._unsettled: list[tuple[float, float]] = []
        self._later = Settlements()
        # under accounts, the same by time and issue number (as events would be processed)
        self._queued: list[tuple[float, int, Settlement]] = []
        self._numbers = count()
        # customers whose settlements are events (the credit desk's held orders' keys)
        self._watched: Container[tuple[int, int]] = ()
        # per-customer accounts, kept only under a credit policy (see track_accounts)
        self.accounts: dict[tuple[int, int], Account] | None = None
        self._risk: Callable[[int, int], tuple[float, float]] | None = None
        self._on_invoice: Callable[[int, float], None] | None = None
        self._on_settle: Callable[[int, int], None] | None = None
        self._track_payments = False
        # the cash book's ``on_payment(segment, amount)``, told of each payment (not write-off)
        self._on_payment: PaymentHook | None = None
        #: ``invoice(order_id, segment, customer, amount)``: issue an invoice now and schedule
        #: its payment or write-off; with accounts (``track_accounts``) it also enters it in the
        #: customer's account. An attribute, so the fulfilment makes one call either way.
        self.invoice: Callable[[int, int, int, float], None] = self._invoice_plain

    def track_accounts(
        self,
        risk: Callable[[int, int], tuple[float, float]] | None,
        on_invoice: Callable[[int, float], None] | None,
        on_settle: Callable[[int, int], None],
        payments: bool = True,
        watched: Container[tuple[int, int]] = (),
    ) -> None:
        """Keep per-customer accounts from now on (the credit desk calls this when built).

        ``risk(segment, customer)`` gives (default multiplier, delay shift in days), or is None
        when every customer pays as its segment says; ``on_invoice(order_id, amount)`` (unless
        None) and ``on_settle(segment, customer)`` are called after each invoice and each
        settlement (payment or write-off); ``payments``: keep each account's payments (only a
        credit limit that follows them reads them); ``watched``: the (segment, customer) keys
        whose settlements are events, so ``on_settle`` is called at their time (the others are
        settled when time has passed them, without the call: see :meth:`watch`).
        """
        self.accounts = {}
        self._watched = watched
        self.invoice = self._invoice_account
        self._track_payments = payments
        self._risk = risk
        self._on_invoice = on_invoice
        self._on_settle = on_settle

    def report_payments(self, on_payment: PaymentHook) -> None:
        """Call ``on_payment(t_paid, segment, amount)`` for every invoice issued from now on
        that will be paid, when it is issued (the cash book calls this when built, and books the
        payment at ``t_paid``); a write-off is no payment and is not reported."""
        self._on_payment = on_payment

    def account(self, segment: int, customer: int) -> Account:
        """The customer's account (empty if it has no invoice yet); only under track_accounts."""
        key = (segment, customer)
        account = self.accounts.get(key)
        if account is None:
            account = self.accounts[key] = Account()
            if self._risk is not None:  # the class never changes: look it up once
                account.risk = self._risk(segment, customer)
        return account

    def _invoice_plain(
        self, order_id: int, segment: int, customer: int, amount: float, t: float | None = None
    ) -> None:
        """``invoice`` without accounts; ``t``: the invoice's time when it is booked after the
        fact (a delivery nothing acted on, :meth:`Fulfilment.book_deliveries`), else now."""
        terms, delay, default_probability, default_draw, write_off_after = self._payment[segment]
        if t is None:
            t = self.env.now
        # both draws are made for every invoice so the streams stay aligned across variants
        defaults = default_draw.next() < default_probability
        pay_delay = delay.next()
        settle_after = write_off_after if defaults else pay_delay
        row = (order_id, segment, customer, t, t + terms, amount, t + settle_after, defaults)
        self._invoices.add(row)
        if self._on_payment is not None:
            # settled as time passed them, as their events did: the open amount sums in the
            # same order as it did then (without a cash book it is summed when asked)
            unsettled = self._unsettled
            while unsettled and unsettled[0][0] < t:
                self.open_amount -= heapq.heappop(unsettled)[1]
        self.open_amount += amount
        self._schedule_settlement(t, settle_after, amount, segment, paid=not defaults)

    def invoice_at(
        self, t: float, order_id: int, segment: int, customer: int, amount: float
    ) -> None:
        """An invoice booked after the fact, at its time ``t`` (<= now): a deferred delivery's.
        Only without accounts or a cash book, which act on invoices as they happen."""
        if self.accounts is not None or self._on_payment is not None:
            raise RuntimeError("an invoice is booked after the fact only when nothing acts on it")
        self._invoice_plain(order_id, segment, customer, amount, t)

    def _schedule_settlement(
        self, t: float, delay: float, amount: float, segment: int, paid: bool
    ) -> None:
        """Without accounts: close ``amount`` at ``t + delay`` (t is now unless the invoice was
        booked after the fact, which only happens without a cash book): queued by time, as
        nothing acts on it; a payment (not a write-off) is told to the cash book, if any."""
        if self._on_payment is None:
            self._later.add(t + delay, amount)
            return
        heapq.heappush(self._unsettled, (t + delay, amount))
        if paid:
            self._on_payment(t + delay, segment, amount)

    def receivables(self) -> float:
        """The amount invoiced and not settled before now (a settlement due exactly now has
        not happened yet, as an event at the horizon does not fire when the run stops)."""
        unsettled, now = self._unsettled, self.env.now
        later = self._later
        if len(later):  # one queue, so all are settled in (time, amount) order, as popped
            for t, amount in unsettled:
                later.add(t, amount)
            unsettled.clear()
            for amount in later.close_before(now):
                self.open_amount -= amount
        while unsettled and unsettled[0][0] < now:
            self.open_amount -= heapq.heappop(unsettled)[1]
        self.settle_until(now)
        return self.open_amount

    def enter_open(
        self,
        segment: int,
        customer: int,
        t_invoice: float,
        t_due: float,
        amount: float,
        t_settle: float,
        written_off: bool,
    ) -> None:
        """An invoice issued before the run (an open state's, ``t_invoice`` < 0), settled at
        ``t_settle`` (>= now) as drawn by ``twin.model.open_state``; order id -1 in
        ``invoices``. Under accounts it enters the customer's account, so an overdue one counts
        from day 0; give them in due-date order."""
        env = self.env
        self._invoices.add((-1, segment, customer, t_invoice, t_due, amount, t_settle, written_off))
        self.open_amount += amount
        delay = t_settle - env.now
        if self.accounts is None:
            self._schedule_settlement(env.now, delay, amount, segment, paid=not written_off)
            return
        account = self.account(segment, customer)
        account.open_amount += amount
        settlement = Settlement(env.now + delay, amount, account, segment, customer, written_off)
        self._queue(settlement)
        account.due.append((t_due, settlement))
        if not written_off and self._on_payment is not None:
            self._on_payment(env.now + delay, segment, amount)

    def _invoice_account(self, order_id: int, segment: int, customer: int, amount: float) -> None:
        """``invoice`` under a credit policy: the same two draws, adjusted by the risk class,
        and the invoice entered in the customer's account."""
        env = self.env
        terms, delay, default_probability, default_draw, write_off_after = self._payment[segment]
        t = env._now  # env.now without the property's call (once per invoice)
        queued = self._queued
        if queued and queued[0][0] < t:  # settle what time has passed, in time order
            self.settle_until(t)
        u = default_draw.next()
        pay_delay = delay.next()
        account = self.accounts.get((segment, customer))
        if account is None:
            account = self.account(segment, customer)
        risk = account.risk
        if risk is not None:
            multiplier, shift = risk
            # min(1.0, ...) and max(0.0, ...) spelt out: the same values, no calls
            default_probability *= multiplier
            if not default_probability < 1.0:
                default_probability = 1.0
            pay_delay += shift
            if not pay_delay > 0.0:
                pay_delay = 0.0
        defaults = u < default_probability
        settle_after = write_off_after if defaults else pay_delay
        t_due = t + terms
        rows = self._invoice_rows
        t_settle = t + settle_after
        rows.append((order_id, segment, customer, t, t_due, amount, t_settle, defaults))
        if len(rows) >= CHUNK:
            self._invoices.flush()
        self.open_amount += amount
        account.open_amount += amount
        settlement = Settlement(t_settle, amount, account, segment, customer, defaults)
        if (segment, customer) in self._watched:
            self._schedule(settle_after, settlement)
        else:
            heapq.heappush(queued, (t_settle, next(self._numbers), settlement))
        # a segment's terms are fixed and time only moves on, so each account's invoices come
        # due in the order they are issued: appending keeps the queue sorted by due date
        account.due.append((t_due, settlement))
        if not defaults and self._on_payment is not None:
            self._on_payment(t_settle, segment, amount)
        if self._on_invoice is not None:
            self._on_invoice(order_id, amount)

    def _queue(self, settlement: Settlement) -> None:
        """Settle ``settlement`` at its time (>= now): an event if its customer is watched."""
        if (settlement.segment, settlement.customer) in self._watched:
            self._schedule_at(settlement)
        else:
            heapq.heappush(self._queued, (settlement.t, next(self._numbers), settlement))

    def _schedule(self, delay: float, settlement: Settlement) -> None:
        """Settle ``settlement`` by an event ``delay`` days from now (its time, when issued now)."""
        settlement.event = event = self.env.timeout(delay, value=settlement)
        event.callbacks.append(self._settle_event)

    def _schedule_at(self, settlement: Settlement) -> None:
        """Settle ``settlement`` by an event at its time, issued before now."""
        settlement.event = event = simpy.Event(self.env)
        event._ok = True
        event._value = settlement
        event.callbacks.append(self._settle_event)
        schedule_at(self.env, event, settlement.t)

    def watch(self, segment: int, customer: int) -> None:
        """From now on, settle the customer's invoices as events, which tell the credit desk
        (``on_settle``) at their time: its open ones (in issue order, as they were queued) and
        the ones it will get while it stays in ``watched``."""
        now = self.env.now
        self.settle_until(now)
        account = self.accounts.get((segment, customer))
        if account is None:
            return
        for _, settlement in account.due:
            if not settlement.done and settlement.event is None:
                self._schedule_at(settlement)

    def settle_until(self, now: float) -> None:
        """Settle the queued (not watched) settlements due before ``now``, in time order."""
        queued = self._queued
        while queued and queued[0][0] < now:
            t, _, settlement = heapq.heappop(queued)
            if settlement.event is None:  # else watched since: its event settles it
                self._settle(t, settlement)

    def _settle_event(self, event: simpy.Event) -> None:
        """A watched customer's settlement: close it now and tell the credit desk."""
        settlement: Settlement = event.value
        now = self.env.now
        self.settle_until(now)
        self._settle(now, settlement)
        self._on_settle(settlement.segment, settlement.customer)

    def _settle(self, t: float, settlement: Settlement) -> None:
        amount = settlement.amount
        account = settlement.account
        settlement.done = True
        self.open_amount -= amount
        account.open_amount -= amount
        if self._track_payments and not settlement.written_off:
            account.paid.append((t, amount))


class Settlements:
    """Settlements nothing acts on until the open amount is asked for: (time, amount) pairs in
    two typed arrays, sixteen bytes each where a heap of tuples takes about a hundred.

    :meth:`close_before` hands over the amounts due before a time in (time, amount) order, the
    order a heap of ``(time, amount)`` tuples pops them, so the open amount they are subtracted
    from takes the same value, bit for bit.
    """

    CHUNK = 65536

    def __init__(self) -> None:
        self.times = array("d")
        self.amounts = array("d")

    def __len__(self) -> int:
        return len(self.times)

    def add(self, t: float, amount: float) -> None:
        """A settlement of ``amount`` at ``t`` (days)."""
        self.times.append(t)
        self.amounts.append(amount)

    def close_before(self, now: float) -> Iterator[float]:
        """The amounts due before ``now`` (strictly), in (time, amount) order; the others stay.
        (Read a chunk at a time: no Python float per settlement at once.)"""
        times = np.frombuffer(self.times, dtype=np.float64)
        amounts = np.frombuffer(self.amounts, dtype=np.float64)
        order = np.lexsort((amounts, times))
        times, amounts = times[order], amounts[order]
        del order
        k = int(np.searchsorted(times, now, side="left"))
        self.times, self.amounts = (
            array("d", times[k:].tobytes()),
            array("d", amounts[k:].tobytes()),
        )
        return _floats(amounts[:k], self.CHUNK)


def _floats(values: np.ndarray, chunk: int) -> Iterator[float]:
    """``values`` as Python floats, ``chunk`` at a time."""
    for start in range(0, values.size, chunk):
        yield from values[start : start + chunk].tolist()


def schedule_at(env: simpy.Environment, event: simpy.Event, t: float) -> None:
    """Trigger ``event`` (value already set) at exactly clock time ``t`` (>= now).

    What ``env.schedule(event, NORMAL, t - env.now)`` does, but at ``t`` itself: ``now +
    (t - now)`` may be a unit in the last place off ``t``, and an event drawn for ``t`` must
    come then.
    """
    heapq.heappush(env._queue, (t, NORMAL, next(env._eid), event))


class Settlement:
    """One invoice's payment or write-off under accounts: open until ``done``."""

    __slots__ = ("account", "amount", "customer", "done", "event", "segment", "t", "written_off")

    def __init__(
        self,
        t: float,
        amount: float,
        account: Account,
        segment: int,
        customer: int,
        written_off: bool,
    ) -> None:
        self.t = t  # when it settles (days)
        self.amount = amount
        self.account = account
        self.segment = segment
        self.customer = customer
        self.written_off = written_off
        self.done = False
        # the event that settles it once its customer is watched (None: queued by time)
        self.event: simpy.Event | None = None


class Account:
    """One customer's receivables: open invoices by due date, open amount, payments (kept only
    when a credit limit follows them)."""

    __slots__ = ("due", "open_amount", "paid", "risk")

    def __init__(self) -> None:
        # (default multiplier, payment-delay shift) of the customer's risk class, or None
        self.risk: tuple[float, float] | None = None
        # (due time, settlement) of each invoice in issue order, which is due-date order; an
        # invoice is open until its settlement is done; settled ones are dropped when they come
        # first
        self.due: deque[tuple[float, Settlement]] = deque()
        self.open_amount = 0.0
        self.paid: deque[tuple[float, float]] = deque()  # (time, amount) of each payment

    def days_overdue(self, now: float) -> float:
        """Days the oldest open invoice is past its due date (0 if none is overdue)."""
        due = self.due
        while due and due[0][1].done:  # settled
            due.popleft()
        return max(0.0, now - due[0][0]) if due else 0.0

    def paid_since(self, t: float) -> float:
        """Amount paid at or after ``t``; payments before it are forgotten."""
        paid = self.paid
        while paid and paid[0][0] < t:
            paid.popleft()
        return sum(amount for _, amount in paid)
