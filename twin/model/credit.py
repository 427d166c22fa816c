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

Customers' risk classes are drawn per customer from one ``risk_class`` stream per segment: the
k-th uniform of the segment's stream decides customer k, whatever the order in which customers
are first seen. The class scales the segment's default probability and shifts its payment delay
(applied by the ledger to its usual draws) and gives the customer its score.

Exposure for a credit limit = the customer's open receivables (ledger) + the uninvoiced list
value of its approved orders (units lost at allocation excluded) + the new order.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import defaultdict

import simpy

from twin.model.context import Context
from twin.model.entities import Order
from twin.model.finance import Account, Ledger
from twin.model.hooks import CustomerExperiences, ReleaseOrder
from twin.model.inventory import Stock
from twin.model.staff import MINUTES_PER_DAY
from twin.model.wiring import Wired
from twin.records import ColumnTable
from twin.scenario.credit import ACTIONS, Condition
from twin.streams import Sampler, UniformSampler

APPROVE, REVIEW, HOLD, REJECT = (ACTIONS.index(a) for a in ("approve", "review", "hold", "reject"))
#: outcomes in the ``credit_decisions`` table
APPROVED, REJECTED, RELEASED, PENDING = 0, 1, 2, 3
DEFAULT_RULE = -1  # the rule number recorded when default_action decided
RISK_BLOCK = 256  # uniforms drawn at a time for risk classes; the k-th always decides customer k
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


# the checks a rule's conditions compile to (see CreditDesk._compile)
# (a score condition is a set of classes too: the classes' scores are fixed)
IN_CLASSES, AMOUNT_OVER, AMOUNT_AT_MOST, DAYS_OVERDUE_OVER, UTILISATION_OVER = range(5)


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
        self.default_action = ACTIONS.index(policy.default_action)
        self.segment_names = list(scenario.segments)
        self.class_names = list(policy.risk_classes)
        classes = list(policy.risk_classes.values())
        self.class_scores = [c.score for c in classes]
        self.class_payment = [(c.default_multiplier, c.delay_shift_days) for c in classes]
        shares = list(itertools.accumulate(c.share for c in classes))
        self._class_bounds = shares[:-1]  # class i takes uniforms in [bound i-1, bound i)
        # (rule number, checks, action) of each rule in order
        self._compiled = [
            (number, self._compile(rule.when), ACTIONS.index(rule.action))
            for number, rule in enumerate(policy.rules)
        ]
        self._risk_rngs = (
            [streams.generator("risk_class", name) for name in self.segment_names]
            if classes
            else []
        )
        self._customer_class: list[list[int]] = [[] for _ in self.segment_names]
        self._segment_limits = [
            policy.limits.segments.get(name) if policy.limits is not None else None
            for name in self.segment_names
        ]
        # the limit per segment and class ([-1]: a customer without a class) when it is fixed;
        # None under a dynamic limit (it moves with the customer's payments)
        self._static_limits: list[list[float]] | None = None
        self._limits_by_class = policy.limits is not None  # credit_limit looks the class up
        if policy.dynamic_limit is None:
            self._static_limits = [
                [self._fixed_limit(number, klass) for klass in range(len(classes))]
                + [self._fixed_limit(number, None)]
                for number in range(len(self.segment_names))
            ]
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
        self._tracks_committed = any(
            check == UTILISATION_OVER for _, checks, _ in self._compiled for check, _ in checks
        )
        ledger.track_accounts(
            self.payment_risk if classes else None,
            self._invoiced if self._tracks_committed else None,
            self._settled,
            payments=policy.dynamic_limit is not None,
        )
        self._accounts = ledger.accounts
        self._no_invoices = Account()  # the account of a customer with no invoice yet

    # ----------------------------------------------------------------- customers

    def risk_class(self, segment: int, customer: int) -> int | None:
        """The customer's risk class number (None without risk classes)."""
        if not self._risk_rngs:
            return None
        drawn = self._customer_class[segment]
        if customer >= len(drawn):
            n = max(RISK_BLOCK, customer + 1 - len(drawn))
            bounds = self._class_bounds
            drawn.extend(
                bisect.bisect_right(bounds, u) for u in self._risk_rngs[segment].random(n).tolist()
            )
        return drawn[customer]

    def payment_risk(self, segment: int, customer: int) -> tuple[float, float]:
        """(default multiplier, payment delay shift in days) of the customer's class."""
        return self.class_payment[self.risk_class(segment, customer)]

    def credit_limit(self, segment: int, customer: int, account: Account) -> float:
        """The customer's limit now (currency; infinity when none applies)."""
        policy = self.policy
        dynamic = policy.dynamic_limit
        if dynamic is not None:
            paid = account.paid_since(self.env.now - dynamic.window_days)
            limit = max(dynamic.floor, dynamic.multiple * paid)
            return limit if dynamic.cap is None else min(dynamic.cap, limit)
        if policy.limits is None:
            return math.inf
        return self._fixed_limit(segment, self.risk_class(segment, customer))

    def _fixed_limit(self, segment: int, klass: int | None) -> float:
        """The fixed limit of a customer of ``klass`` (None: no class) in ``segment``."""
        limits = self.policy.limits
        if limits is None:
            return math.inf
        if klass is not None:
            by_class = limits.risk_classes.get(self.class_names[klass])
            if by_class is not None:
                return by_class
        by_segment = self._segment_limits[segment]
        if by_segment is not None:
            return by_segment
        return limits.default if limits.default is not None else math.inf

    # ----------------------------------------------------------------- decisions

    def _compile(self, when: Condition) -> tuple[tuple[int, object], ...]:
        """A rule's conditions as flat (check, threshold) pairs, the cheap ones first (all
        must hold, so the order does not change the outcome). A risk-class or score condition
        becomes the set of class numbers that meet it."""
        checks: list[tuple[int, object]] = []
        if when.amount_over is not None:
            checks.append((AMOUNT_OVER, when.amount_over))
        if when.amount_at_most is not None:
            checks.append((AMOUNT_AT_MOST, when.amount_at_most))
        if when.risk_class is not None:
            wanted = frozenset(self.class_names.index(name) for name in when.risk_class)
            checks.append((IN_CLASSES, wanted))
        scores = list(enumerate(self.class_scores))
        if when.score_below is not None:
            below = when.score_below
            checks.append((IN_CLASSES, frozenset(k for k, score in scores if score < below)))
        if when.score_at_least is not None:
            least = when.score_at_least
            checks.append((IN_CLASSES, frozenset(k for k, score in scores if score >= least)))
        if when.days_overdue_over is not None:
            checks.append((DAYS_OVERDUE_OVER, when.days_overdue_over))
        if when.utilisation_over is not None:
            checks.append((UTILISATION_OVER, when.utilisation_over))
        return tuple(checks)

    def decide(self, order: Order) -> tuple[int, int]:
        """(rule number or -1 for the default, action) for ``order`` now: the first rule whose
        checks all hold.

        One pass over the compiled rules; the customer's class and account are looked up once,
        when a check first needs them (the same look-ups, in the same order, as checking each
        rule on its own would make).
        """
        value = order.value
        segment, customer = order.segment, order.customer
        klass = None
        account = None
        for number, checks, action in self._compiled:
            for check, threshold in checks:
                if check >= DAYS_OVERDUE_OVER:  # the account's checks, the costly ones
                    if account is None:
                        # read only: a customer without invoices gets the shared empty account
                        account = self._accounts.get((segment, customer), self._no_invoices)
                    if check == DAYS_OVERDUE_OVER:
                        # Account.days_overdue, inline: drop settled invoices from the front
                        due = account.due
                        while due and due[0][1].processed:  # settled
                            due.popleft()
                        overdue = self.env.now - due[0][0] if due else 0.0
                        if not overdue > threshold:  # max(0.0, overdue) > threshold >= 0
                            break
                    else:
                        limits = self._static_limits
                        if limits is None:
                            limit = self.credit_limit(segment, customer, account)
                        elif self._limits_by_class:  # the class decides (as credit_limit does)
                            if klass is None:
                                klass = self._class_of(segment, customer)
                            limit = limits[segment][-1 if klass is None else klass]
                        else:
                            limit = limits[segment][-1]
                        committed = self.committed.get((segment, customer), 0.0)
                        if not account.open_amount + committed + value > threshold * limit:
                            break
                elif check == IN_CLASSES:
                    if klass is None:
                        klass = self._class_of(segment, customer)
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

    def _class_of(self, segment: int, customer: int) -> int | None:
        """``risk_class``, with the look-up of a class already drawn inline."""
        drawn = self._customer_class[segment]
        return drawn[customer] if customer < len(drawn) else self.risk_class(segment, customer)

    def enter(self, order: Order, skus: list[int], quantities: list[int]) -> None:
        """A new order (from ``Fulfilment.accept``): size it at list price and decide.

        The demand source sizes its orders' list value with the order book (``lines`` set
        says so); an order that comes without is sized here, line by line, to the same value.
        """
        if order.lines:
            value = order.value
        else:
            price = self.price
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
            now = self.env.now
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
            self.held.setdefault((order.segment, order.customer), []).append(pending)
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
        now = self.env.now
        lost_value = self._lost_value(skus, quantities) if self._any_lost_sale else 0.0
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

    def _lost_value(self, skus: list[int], quantities: list[int]) -> float:
        """List value of the units the allocation about to happen will lose (lost sales)."""
        stock = self.stock
        taken: dict[int, int] = {}
        lost = 0.0
        for sku, quantity in zip(skus, quantities, strict=True):
            if stock.backorder[sku]:
                continue
            have = max(0, stock.on_hand[sku] - taken.get(sku, 0))
            got = min(quantity, have)
            taken[sku] = taken.get(sku, 0) + got
            lost += (quantity - got) * self.price[sku]
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
        return {
            "risk_classes": self.class_names,
            "customer_classes": {
                name: [self.class_names[k] for k in drawn]
                for name, drawn in zip(self.segment_names, self._customer_class, strict=True)
            },
        }
