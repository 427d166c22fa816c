"""The credit desk: every new order is checked against the credit rules before it is allocated.

``Fulfilment.accept`` hands each new order to :meth:`CreditDesk.enter`. The first rule whose
conditions hold (else ``default_action``) decides:

- ``approve``: released to fulfilment at once (connection ``release``: ``Fulfilment.release``);
- ``review``: a job for the ``credit_analyst`` role (``credit.review_minutes`` of working time,
  stream ``credit_review``); when done, one draw of stream ``credit_review_outcome`` approves it
  with ``credit.review_approval_probability``, else it is rejected;
- ``hold``: the order waits. Each time one of the customer's invoices settles (payment or
  write-off), its held orders are checked against the rules again, oldest first, as if entered
  then; an order whose decision is no longer ``hold`` takes that decision. A hold lasting
  ``hold_max_days`` ends in rejection;
- ``reject``: the order is cancelled; its units count as rejected, neither filled, backordered
  nor lost, and its value is revenue lost.

Rules are compiled to flat checks by ``twin.model.credit_rules``; customers' risk classes and
limits are ``twin.model.credit_risk``'s.

Exposure for a credit limit = the customer's open receivables (ledger) + the uninvoiced list
value of its approved orders (units lost at allocation excluded) + the new order.
"""

from __future__ import annotations

import math
from collections import defaultdict

import simpy

from twin.model.context import Context
from twin.model.credit_risk import CustomerRisk
from twin.model.credit_rules import (
    AMOUNT_OVER,
    APPROVE,
    DAYS_OVERDUE_OVER,
    DEFAULT_RULE,
    HOLD,
    IN_CLASSES,
    REJECT,
    compile_rules,
    tracks_utilisation,
)
from twin.model.entities import Order
from twin.model.finance import Account, Ledger
from twin.model.hooks import CustomerExperiences, ReleaseOrder
from twin.model.inventory import Stock
from twin.model.staff import MINUTES_PER_DAY
from twin.model.wiring import Wired
from twin.records import ColumnTable
from twin.scenario.credit import ACTIONS
from twin.streams import Sampler, UniformSampler

#: outcomes in the ``credit_decisions`` table
APPROVED, REJECTED, RELEASED, PENDING = 0, 1, 2, 3
CHUNK = ColumnTable.CHUNK  # rows a table buffers (the approve path appends to the buffer)


class Pending:
    """An order waiting on the credit desk: held, or in review."""

    __slots__ = ("action", "active", "order", "quantities", "rule", "skus", "t")

    def __init__(
        self, order: Order, skus: list[int], quantities: list[int], t: float, rule: int, action: int
    ) -> None:
        self.order = order
        self.skus = skus
        self.quantities = quantities
        self.t = t
        self.rule = rule
        self.action = action
        self.active = True


class CreditDesk(Wired):
    """Applies the scenario's credit policy to every new order (``Fulfilment.credit``).

    Connection ``release(order, skus, quantities)``: allocates an approved order and starts its
    lifecycle (the fulfilment's ``release``; the fulfilment is built after the desk).
    """

    CONNECTIONS = ("release",)
    release: ReleaseOrder

    def __init__(
        self,
        context: Context,
        ledger: Ledger,
        stock: Stock,
        customers: CustomerExperiences | None = None,
    ) -> None:
        """``stock``: read for the units an allocation will lose; ``customers`` (None without
        the customer loop) hears of each order that waited on the desk."""
        env, scenario = context.env, context.scenario
        streams, recorder = context.streams, context.recorder
        policy = scenario.credit
        self.env = env
        self.policy = policy
        self.ledger = ledger
        self.stock = stock
        self.customers = customers
        self.price = context.catalogue.price
        # with a prices file every order carries its own drawn prices, also for lost units
        self._drawn_prices = context.catalogue.line_prices is not None
        self.default_action = ACTIONS.index(policy.default_action)
        self.risk = risk = CustomerRisk(policy, list(scenario.segments), streams)
        # (rule number, checks, action) of each rule in order
        self._compiled = compile_rules(policy, risk.class_names, risk.class_scores)
        if "review" in policy.actions():
            self.analyst = context.roles["credit_analyst"]
            self.review_minutes = Sampler(
                policy.review_minutes, streams.generator("credit_review", "credit_analyst")
            )
            self.review_outcome = UniformSampler(
                streams.generator("credit_review_outcome", "credit_analyst")
            )
        self.held: dict[tuple[int, int], list[Pending]] = {}
        self.reviewing: dict[int, Pending] = {}
        # approved list value not yet invoiced: per customer, and per order id (with the order)
        self.committed: defaultdict[tuple[int, int], float] = defaultdict(float)
        self._uninvoiced: dict[int, tuple[Order, float]] = {}
        self._decisions = recorder.credit_decisions
        self._decision_rows = self._decisions.rows
        # whether any SKU loses its shortfall (only then can a release lose value)
        self._any_lost_sale = not all(stock.backorder)
        # approved, uninvoiced value counts only for a utilisation rule: kept only for one
        self._tracks_committed = tracks_utilisation(self._compiled)
        ledger.track_accounts(
            risk.payment_risk if risk.has_classes else None,
            self._invoiced if self._tracks_committed else None,
            self._settled,
            payments=policy.dynamic_limit is not None,
            watched=self.held,  # a held order's customer: its settlements are events
        )
        self._accounts = ledger.accounts
        self._no_invoices = Account()  # the account of a customer with no invoice yet

    # ----------------------------------------------------------------- decisions

    def decide(self, order: Order) -> tuple[int, int]:
        """(rule number or -1 for the default, action) for ``order`` now: the first rule whose
        checks all hold.

        One pass over the compiled rules; the customer's class and account are looked up once,
        when a check first needs them (the same look-ups, in the same order, as checking each
        rule on its own would make).
        """
        value = order.value
        segment, customer = order.segment, order.customer
        now = self.env._now  # env.now without the property's call (once per order)
        self.ledger.settle_until(now)  # the accounts as they stand now
        klass = None
        account = None
        risk = self.risk
        for number, checks, action in self._compiled:
            for check, threshold in checks:
                if check >= DAYS_OVERDUE_OVER:  # the account's checks, the costly ones
                    if account is None:
                        # read only: a customer without invoices gets the shared empty account
                        account = self._accounts.get((segment, customer), self._no_invoices)
                    if check == DAYS_OVERDUE_OVER:
                        # Account.days_overdue, inline: drop settled invoices from the front
                        due = account.due
                        while due and due[0][1].done:  # settled
                            due.popleft()
                        overdue = now - due[0][0] if due else 0.0
                        if not overdue > threshold:  # max(0.0, overdue) > threshold >= 0
                            break
                    else:
                        limits = risk.static_limits
                        if limits is None:
                            limit = risk.credit_limit(segment, customer, account, now)
                        elif risk.limits_by_class:  # the class decides (as credit_limit does)
                            if klass is None:
                                klass = risk.class_of(segment, customer)
                            limit = limits[segment][-1 if klass is None else klass]
                        else:
                            limit = limits[segment][-1]
                        committed = self.committed.get((segment, customer), 0.0)
                        if not account.open_amount + committed + value > threshold * limit:
                            break
                elif check == IN_CLASSES:
                    if klass is None:
                        klass = risk.class_of(segment, customer)
                    if klass not in threshold:
                        break
                elif check == AMOUNT_OVER:
                    if not value > threshold:
                        break
                elif not value <= threshold:  # AMOUNT_AT_MOST
                    break
            else:
                return number, action
        return DEFAULT_RULE, self.default_action

    def enter(self, order: Order, skus: list[int], quantities: list[int]) -> None:
        """A new order (from ``Fulfilment.accept``): size it at list price and decide.

        The demand source sizes its orders' list value with the order book (``lines`` set
        says so); an order that comes without is sized here, line by line, to the same value.
        """
        if order.lines:
            value = order.value
        else:
            price = self.price if order.prices is None else order.prices
            value = 0.0
            for sku, quantity in zip(skus, quantities, strict=True):
                value += quantity * price[sku]
            order.lines = len(skus)
            order.value = value
        # the allocation sets these again; a held or rejected order needs them now
        order.units = sum(quantities)
        rule, action = self.decide(order)
        if action == APPROVE:
            # the common case, without a Pending: record the decision and release at once
            now = self.env._now
            rows = self._decision_rows
            rows.append((order.id, now, rule, action, APPROVED, now, value))
            if len(rows) >= CHUNK:
                self._decisions.flush()
            self._release_now(order, skus, quantities, waited=False)
            return
        self._act(Pending(order, skus, quantities, self.env.now, rule, action), waited=False)

    def _act(self, pending: Pending, waited: bool) -> None:
        action = pending.action
        if action == APPROVE:
            self._record(pending, APPROVED)
            self._release(pending, waited)
        elif action == REJECT:
            self._record(pending, REJECTED)
            self._reject(pending.order, waited)
        elif action == HOLD:
            order = pending.order
            key = (order.segment, order.customer)
            held = self.held.get(key)
            if held is None:
                held = self.held[key] = []
                self.ledger.watch(*key)  # its settlements check its held orders again
            held.append(pending)
            if self.policy.hold_max_days is not None:
                expiry = self.env.timeout(self.policy.hold_max_days, value=pending)
                expiry.callbacks.append(self._hold_expired)
        else:
            self.reviewing[pending.order.id] = pending
            job = self.analyst.serve(self.review_minutes.next() / MINUTES_PER_DAY)
            job.callbacks.append(lambda _event: self._reviewed(pending))

    def _reviewed(self, pending: Pending) -> None:
        """The analyst is done: approve with the stated probability, else reject."""
        del self.reviewing[pending.order.id]
        pending.active = False
        if self.review_outcome.next() < self.policy.review_approval_probability:
            self._record(pending, APPROVED)
            self._release(pending, waited=True)
        else:
            self._record(pending, REJECTED)
            self._reject(pending.order, waited=True)

    def _settled(self, segment: int, customer: int) -> None:
        """One of the customer's invoices settled: check its held orders again, oldest first."""
        if not self.held:  # no orders held at all
            return
        key = (segment, customer)
        held = self.held.get(key)
        if held is None:
            return
        now = self.env.now
        for pending in list(held):
            rule, action = self.decide(pending.order)
            if action == HOLD:
                continue
            held.remove(pending)
            pending.active = False
            self._record(pending, RELEASED)
            self._act(
                Pending(pending.order, pending.skus, pending.quantities, now, rule, action),
                waited=True,
            )
        if not held:  # customers with held orders only, so the check above stays cheap
            del self.held[key]

    def _hold_expired(self, event: simpy.Event) -> None:
        pending: Pending = event.value
        if not pending.active:
            return
        order = pending.order
        key = (order.segment, order.customer)
        held = self.held[key]
        held.remove(pending)
        if not held:
            del self.held[key]
        pending.active = False
        self._record(pending, REJECTED)
        self._reject(order, waited=True)

    # ----------------------------------------------------------------- outcomes

    def _release(self, pending: Pending, waited: bool) -> None:
        self._release_now(pending.order, pending.skus, pending.quantities, waited)

    def _release_now(
        self, order: Order, skus: list[int], quantities: list[int], waited: bool
    ) -> None:
        now = self.env._now  # env.now without the property's call (once per order)
        lost_value = self._lost_value(order, skus, quantities) if self._any_lost_sale else 0.0
        self.release(order, skus, quantities)
        order.t_credit_released = now
        remaining = order.value - lost_value
        if remaining > 0.0 and self._tracks_committed:
            self.committed[(order.segment, order.customer)] += remaining
            self._uninvoiced[order.id] = (order, remaining)
        if waited:
            self._tell_customers(order, now - order.t_arrival, rejected=False)

    def _reject(self, order: Order, waited: bool) -> None:
        now = self.env.now
        order.units_rejected = order.units
        order.t_credit_rejected = now
        if waited:
            self._tell_customers(order, now - order.t_arrival, rejected=True)

    def _tell_customers(self, order: Order, days_held: float, rejected: bool) -> None:
        customers = self.customers
        if customers is not None:
            customers.credit_held(order, days_held, rejected)

    def _lost_value(self, order: Order, skus: list[int], quantities: list[int]) -> float:
        """List value (drawn value, with a prices file) of the units the allocation about to
        happen will lose (lost sales)."""
        stock = self.stock
        price = order.prices if self._drawn_prices else self.price
        taken: dict[int, int] = {}
        lost = 0.0
        for sku, quantity in zip(skus, quantities, strict=True):
            if stock.backorder[sku]:
                continue
            have = max(0, stock.on_hand[sku] - taken.get(sku, 0))
            got = min(quantity, have)
            taken[sku] = taken.get(sku, 0) + got
            lost += (quantity - got) * price[sku]
        return lost

    def _invoiced(self, order_id: int, amount: float) -> None:
        """An invoice moved part of an approved order from committed to receivables."""
        uninvoiced = self._uninvoiced.get(order_id)
        if uninvoiced is None:
            return
        order, remaining = uninvoiced
        if order.units_delivered + order.units_lost >= order.units:
            taken = remaining  # the order is done: nothing more will be invoiced
            del self._uninvoiced[order_id]
        else:
            taken = remaining if remaining < amount else amount  # min(amount, remaining)
            self._uninvoiced[order_id] = (order, remaining - taken)
        self.committed[(order.segment, order.customer)] -= taken

    # ----------------------------------------------------------------- records

    def _record(self, pending: Pending, outcome: int) -> None:
        t_released = self.env.now if outcome != PENDING else math.nan
        order = pending.order
        self._decisions.add(
            (order.id, pending.t, pending.rule, pending.action, outcome, t_released, order.value)
        )

    def record_pending(self) -> None:
        """Add the orders still held or in review at the horizon (outcome pending)."""
        waiting = [p for held in self.held.values() for p in held if p.active]
        waiting += list(self.reviewing.values())
        for pending in sorted(waiting, key=lambda p: (p.t, p.order.id)):
            self._record(pending, PENDING)

    def facts(self) -> dict:
        """What the credit KPIs need beyond the tables."""
        return self.risk.facts()
