"""The credit desk: every new order is checked against the credit rules before it is allocated.

``Fulfilment.accept`` hands each new order to :meth:`CreditDesk.enter`. The first rule whose
conditions hold (else ``default_action``) decides:

- ``approve``: released to fulfilment at once (``Fulfilment.release``);
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

from twin.model.entities import Order
from twin.model.finance import Account, Ledger
from twin.model.staff import MINUTES_PER_DAY, StaffRole
from twin.records import Recorder
from twin.scenario.credit import ACTIONS, Condition
from twin.scenario.schema import Scenario
from twin.streams import Sampler, Streams, UniformSampler

APPROVE, REVIEW, HOLD, REJECT = (ACTIONS.index(a) for a in ("approve", "review", "hold", "reject"))
#: outcomes in the ``credit_decisions`` table
APPROVED, REJECTED, RELEASED, PENDING = 0, 1, 2, 3
DEFAULT_RULE = -1  # the rule number recorded when default_action decided
RISK_BLOCK = 256  # uniforms drawn at a time for risk classes; the k-th always decides customer k


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
AMOUNT_OVER, AMOUNT_AT_MOST, RISK_CLASS, SCORE_BELOW, SCORE_AT_LEAST = range(5)
DAYS_OVERDUE_OVER, UTILISATION_OVER = 5, 6


class CreditDesk:
    """Applies the scenario's credit policy to every new order (``fulfilment.credit``)."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        streams: Streams,
        recorder: Recorder,
        ledger: Ledger,
        fulfilment: object,
        roles: dict[str, StaffRole],
    ) -> None:
        policy = scenario.credit
        self.env = env
        self.policy = policy
        self.ledger = ledger
        self.fulfilment = fulfilment
        self.price = fulfilment.price  # type: ignore[attr-defined]
        self.default_action = ACTIONS.index(policy.default_action)
        self.segment_names = list(scenario.segments)
        self.class_names = list(policy.risk_classes)
        classes = list(policy.risk_classes.values())
        self.class_scores = [c.score for c in classes]
        self.class_payment = [(c.default_multiplier, c.delay_shift_days) for c in classes]
        shares = list(itertools.accumulate(c.share for c in classes))
        self._class_bounds = shares[:-1]  # class i takes uniforms in [bound i-1, bound i)
        self._compiled = [
            (self._compile(rule.when), ACTIONS.index(rule.action)) for rule in policy.rules
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
        if "review" in policy.actions():
            self.analyst = roles["credit_analyst"]
            self.review_minutes = Sampler(
                policy.review_minutes, streams.generator("credit_review", "credit_analyst")
            )
            self.review_outcome = UniformSampler(
                streams.generator("credit_review_outcome", "credit_analyst")
            )
        self.held: dict[tuple[int, int], list[Pending]] = {}
        self.reviewing: dict[int, Pending] = {}
        # approved list value not yet invoiced: per customer, and per order [order, remaining]
        self.committed: defaultdict[tuple[int, int], float] = defaultdict(float)
        self._uninvoiced: dict[int, list] = {}
        self._decisions = recorder.credit_decisions
        # whether any SKU loses its shortfall (only then can a release lose value)
        self._any_lost_sale: bool | None = None
        ledger.track_accounts(self.payment_risk if classes else None, self._invoiced, self._settled)
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
        limits = policy.limits
        if limits is None:
            return math.inf
        klass = self.risk_class(segment, customer)
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
        must hold, so the order does not change the outcome)."""
        checks: list[tuple[int, object]] = []
        if when.amount_over is not None:
            checks.append((AMOUNT_OVER, when.amount_over))
        if when.amount_at_most is not None:
            checks.append((AMOUNT_AT_MOST, when.amount_at_most))
        if when.risk_class is not None:
            wanted = frozenset(self.class_names.index(name) for name in when.risk_class)
            checks.append((RISK_CLASS, wanted))
        if when.score_below is not None:
            checks.append((SCORE_BELOW, when.score_below))
        if when.score_at_least is not None:
            checks.append((SCORE_AT_LEAST, when.score_at_least))
        if when.days_overdue_over is not None:
            checks.append((DAYS_OVERDUE_OVER, when.days_overdue_over))
        if when.utilisation_over is not None:
            checks.append((UTILISATION_OVER, when.utilisation_over))
        return tuple(checks)

    def _holds(self, checks: tuple[tuple[int, object], ...], order: Order) -> bool:
        value = order.value
        segment, customer = order.segment, order.customer
        account = None
        for check, threshold in checks:
            if check == AMOUNT_OVER:
                if not value > threshold:
                    return False
            elif check == AMOUNT_AT_MOST:
                if not value <= threshold:
                    return False
            elif check == RISK_CLASS:
                if self.risk_class(segment, customer) not in threshold:
                    return False
            elif check == SCORE_BELOW:
                if not self.class_scores[self.risk_class(segment, customer)] < threshold:
                    return False
            elif check == SCORE_AT_LEAST:
                if not self.class_scores[self.risk_class(segment, customer)] >= threshold:
                    return False
            else:
                if account is None:
                    # read only: a customer without invoices gets the shared empty account
                    account = self._accounts.get((segment, customer), self._no_invoices)
                if check == DAYS_OVERDUE_OVER:
                    if not account.days_overdue(self.env.now) > threshold:
                        return False
                else:
                    limit = self.credit_limit(segment, customer, account)
                    exposure = account.open_amount + self.committed[(segment, customer)] + value
                    if not exposure > threshold * limit:
                        return False
        return True

    def decide(self, order: Order) -> tuple[int, int]:
        """(rule number or -1 for the default, action) for ``order`` now: the first match."""
        holds = self._holds
        for number, (checks, action) in enumerate(self._compiled):
            if holds(checks, order):
                return number, action
        return DEFAULT_RULE, self.default_action

    def enter(self, order: Order, skus: list[int], quantities: list[int]) -> None:
        """A new order (from ``Fulfilment.accept``): size it at list price and decide."""
        price = self.price
        units = 0
        value = 0.0
        for sku, quantity in zip(skus, quantities, strict=True):
            units += quantity
            value += quantity * price[sku]
        # the allocation sets the same values again; a held or rejected order needs them now
        order.lines = len(skus)
        order.units = units
        order.value = value
        rule, action = self.decide(order)
        if action == APPROVE:
            # the common case, without a Pending: record the decision and release at once
            now = self.env.now
            self._decisions.add((order.id, now, rule, action, APPROVED, now, value))
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
        held = self.held.get((segment, customer))
        if not held:
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

    def _hold_expired(self, event: simpy.Event) -> None:
        pending: Pending = event.value
        if not pending.active:
            return
        order = pending.order
        self.held[(order.segment, order.customer)].remove(pending)
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
        any_lost_sale = self._any_lost_sale
        if any_lost_sale is None:  # the stock is wired after the desk is built
            stock = self.fulfilment.stock  # type: ignore[attr-defined]
            any_lost_sale = self._any_lost_sale = not all(stock.backorder)
        lost_value = self._lost_value(skus, quantities) if any_lost_sale else 0.0
        self.fulfilment.release(order, skus, quantities)  # type: ignore[attr-defined]
        order.t_credit_released = now
        remaining = order.value - lost_value
        if remaining > 0.0:
            self.committed[(order.segment, order.customer)] += remaining
            self._uninvoiced[order.id] = [order, remaining]
        if waited:
            self._tell_customers(order, now - order.t_arrival, rejected=False)

    def _reject(self, order: Order, waited: bool) -> None:
        now = self.env.now
        order.units_rejected = order.units
        order.t_credit_rejected = now
        if waited:
            self._tell_customers(order, now - order.t_arrival, rejected=True)

    def _tell_customers(self, order: Order, days_held: float, rejected: bool) -> None:
        customers = self.fulfilment.customers  # type: ignore[attr-defined]
        if customers is not None:
            customers.credit_held(order, days_held, rejected)

    def _lost_value(self, skus: list[int], quantities: list[int]) -> float:
        """List value of the units the allocation about to happen will lose (lost sales)."""
        stock = self.fulfilment.stock  # type: ignore[attr-defined]
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
        entry = self._uninvoiced.get(order_id)
        if entry is None:
            return
        order, remaining = entry
        key = (order.segment, order.customer)
        if order.units_delivered + order.units_lost >= order.units:
            taken = remaining  # the order is done: nothing more will be invoiced
            del self._uninvoiced[order_id]
        else:
            taken = min(amount, remaining)
            entry[1] = remaining - taken
        self.committed[key] -= taken

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
