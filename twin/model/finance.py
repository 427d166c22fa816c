"""Invoices and receivables: each delivery is invoiced; the customer pays after a drawn delay, or
defaults and the invoice is written off.

Whether an invoice defaults and when it settles are drawn when it is issued, from the segment's
own streams. A settlement that something acts on (a credit account, the cash book) is an event;
otherwise nothing waits on it, so it is only queued by its time (no heap event) and
:meth:`Ledger.receivables` settles the queue up to the moment it is asked.

Under a credit policy (:meth:`Ledger.track_accounts`) the ledger also keeps one
:class:`Account` per customer: its open invoices by due date (the oldest open one first, settled
ones dropped lazily), its open amount and, when a credit limit follows them, its payments, and
it tells the credit desk about every invoice and settlement. The customer's risk class scales
the default probability and shifts the delay of the same two draws per invoice, so the payment
streams stay aligned. Without a credit policy none of this exists and ``invoice`` takes its
original path.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable

import simpy

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
        # settlements nothing acts on, by time: (t_settle, amount), settled when asked
        self._unsettled: list[tuple[float, float]] = []
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
    ) -> None:
        """Keep per-customer accounts from now on (the credit desk calls this when built).

        ``risk(segment, customer)`` gives (default multiplier, delay shift in days), or is None
        when every customer pays as its segment says; ``on_invoice(order_id, amount)`` (unless
        None) and ``on_settle(segment, customer)`` are called after each invoice and each
        settlement (payment or write-off); ``payments``: keep each account's payments (only a
        credit limit that follows them reads them).
        """
        self.accounts = {}
        self.invoice = self._invoice_account
        self._track_payments = payments
        self._risk = risk
        self._on_invoice = on_invoice
        self._on_settle = on_settle

    def report_payments(self, on_payment: PaymentHook) -> None:
        """Call ``on_payment(segment, amount)`` at every payment from now on (the cash book
        calls this when built); a write-off is no payment and is not reported."""
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
        booked after the fact, which only happens without a cash book); a payment (not a
        write-off) is also told to the cash book, when there is one. Without a cash book nothing
        acts on the settlement: it is queued by time instead of scheduled as an event."""
        if self._on_payment is None:
            heapq.heappush(self._unsettled, (t + delay, amount))
            return
        settlement = self.env.timeout(delay, value=amount)
        settlement.callbacks.append(self._settle)
        on_payment = self._on_payment
        if paid:
            settlement.callbacks.append(lambda event: on_payment(segment, event.value))

    def _settle(self, event: simpy.Event) -> None:
        self.open_amount -= event.value

    def receivables(self) -> float:
        """The amount invoiced and not settled before now (a settlement due exactly now has
        not happened yet, as an event at the horizon does not fire when the run stops)."""
        unsettled, now = self._unsettled, self.env.now
        while unsettled and unsettled[0][0] < now:
            self.open_amount -= heapq.heappop(unsettled)[1]
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
        value = (amount, account, segment, customer, written_off)
        settlement = env.timeout(delay, value=value)
        settlement.callbacks.append(self._settle_account)
        account.due.append((t_due, settlement))

    def _invoice_account(self, order_id: int, segment: int, customer: int, amount: float) -> None:
        """``invoice`` under a credit policy: the same two draws, adjusted by the risk class,
        and the invoice entered in the customer's account."""
        env = self.env
        terms, delay, default_probability, default_draw, write_off_after = self._payment[segment]
        t = env.now
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
        rows.append((order_id, segment, customer, t, t_due, amount, t + settle_after, defaults))
        if len(rows) >= CHUNK:
            self._invoices.flush()
        self.open_amount += amount
        account.open_amount += amount
        settlement = env.timeout(settle_after, value=(amount, account, segment, customer, defaults))
        settlement.callbacks.append(self._settle_account)
        # a segment's terms are fixed and time only moves on, so each account's invoices come
        # due in the order they are issued: appending keeps the queue sorted by due date
        account.due.append((t_due, settlement))
        if self._on_invoice is not None:
            self._on_invoice(order_id, amount)

    def _settle_account(self, event: simpy.Event) -> None:
        amount, account, segment, customer, written_off = event.value
        self.open_amount -= amount
        account.open_amount -= amount
        if self._track_payments and not written_off:
            account.paid.append((self.env.now, amount))
        if self._on_payment is not None and not written_off:
            self._on_payment(segment, amount)
        self._on_settle(segment, customer)


class Account:
    """One customer's receivables: open invoices by due date, open amount, payments (kept only
    when a credit limit follows them)."""

    __slots__ = ("due", "open_amount", "paid", "risk")

    def __init__(self) -> None:
        # (default multiplier, payment-delay shift) of the customer's risk class, or None
        self.risk: tuple[float, float] | None = None
        # (due time, settlement event) of each invoice in issue order, which is due-date order;
        # an invoice is open until its settlement event is processed; settled ones are dropped
        # when they come first
        self.due: deque[tuple[float, simpy.Event]] = deque()
        self.open_amount = 0.0
        self.paid: deque[tuple[float, float]] = deque()  # (time, amount) of each payment

    def days_overdue(self, now: float) -> float:
        """Days the oldest open invoice is past its due date (0 if none is overdue)."""
        due = self.due
        while due and due[0][1].processed:  # settled
            due.popleft()
        return max(0.0, now - due[0][0]) if due else 0.0

    def paid_since(self, t: float) -> float:
        """Amount paid at or after ``t``; payments before it are forgotten."""
        paid = self.paid
        while paid and paid[0][0] < t:
            paid.popleft()
        return sum(amount for _, amount in paid)
