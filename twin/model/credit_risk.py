"""Customers' credit risk: each customer's risk class, its payment terms, and its credit limit.

Risk classes are drawn per customer from one ``risk_class`` stream per segment: the k-th uniform
of the segment's stream decides customer k, whatever the order in which customers are first
seen. The class scales the segment's default probability and shifts its payment delay (applied
by the ledger to its usual draws) and gives the customer its score. A limit is fixed (by class,
segment or default) or, under ``dynamic_limit``, follows the customer's recent payments.
"""

from __future__ import annotations

import bisect
import itertools
import math

from twin.model.finance import Account
from twin.scenario.credit import CreditPolicy
from twin.streams import Streams

RISK_BLOCK = 256  # uniforms drawn at a time for risk classes; the k-th always decides customer k


class CustomerRisk:
    """The risk classes drawn so far, and the limits they imply."""

    def __init__(self, policy: CreditPolicy, segment_names: list[str], streams: Streams) -> None:
        self.policy = policy
        self.segment_names = segment_names
        self.class_names = list(policy.risk_classes)
        classes = list(policy.risk_classes.values())
        self.has_classes = bool(classes)
        self.class_scores = [c.score for c in classes]
        self.class_payment = [(c.default_multiplier, c.delay_shift_days) for c in classes]
        shares = list(itertools.accumulate(c.share for c in classes))
        self._class_bounds = shares[:-1]  # class i takes uniforms in [bound i-1, bound i)
        self._rngs = (
            [streams.generator("risk_class", name) for name in segment_names] if classes else []
        )
        #: per segment, the class of each customer drawn so far
        self.drawn: list[list[int]] = [[] for _ in segment_names]
        self._segment_limits = [
            policy.limits.segments.get(name) if policy.limits is not None else None
            for name in segment_names
        ]
        #: the limit per segment and class ([-1]: a customer without a class) when it is fixed;
        #: None under a dynamic limit (it moves with the customer's payments)
        self.static_limits: list[list[float]] | None = None
        #: whether a fixed limit depends on the customer's class
        self.limits_by_class = policy.limits is not None
        if policy.dynamic_limit is None:
            self.static_limits = [
                [self.fixed_limit(number, klass) for klass in range(len(classes))]
                + [self.fixed_limit(number, None)]
                for number in range(len(segment_names))
            ]

    def risk_class(self, segment: int, customer: int) -> int | None:
        """The customer's risk class number (None without risk classes)."""
        if not self._rngs:
            return None
        drawn = self.drawn[segment]
        if customer >= len(drawn):
            n = max(RISK_BLOCK, customer + 1 - len(drawn))
            bounds = self._class_bounds
            drawn.extend(
                bisect.bisect_right(bounds, u) for u in self._rngs[segment].random(n).tolist()
            )
        return drawn[customer]

    def class_of(self, segment: int, customer: int) -> int | None:
        """``risk_class``, with the look-up of a class already drawn inline."""
        drawn = self.drawn[segment]
        return drawn[customer] if customer < len(drawn) else self.risk_class(segment, customer)

    def payment_risk(self, segment: int, customer: int) -> tuple[float, float]:
        """(default multiplier, payment delay shift in days) of the customer's class."""
        return self.class_payment[self.risk_class(segment, customer)]

    def credit_limit(self, segment: int, customer: int, account: Account, now: float) -> float:
        """The customer's limit at ``now`` (currency; infinity when none applies)."""
        policy = self.policy
        dynamic = policy.dynamic_limit
        if dynamic is not None:
            paid = account.paid_since(now - dynamic.window_days)
            limit = max(dynamic.floor, dynamic.multiple * paid)
            return limit if dynamic.cap is None else min(dynamic.cap, limit)
        if policy.limits is None:
            return math.inf
        return self.fixed_limit(segment, self.risk_class(segment, customer))

    def fixed_limit(self, segment: int, klass: int | None) -> float:
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

    def facts(self) -> dict:
        """The classes and each customer's class drawn in the run, for the credit KPIs."""
        return {
            "risk_classes": self.class_names,
            "customer_classes": {
                name: [self.class_names[k] for k in drawn]
                for name, drawn in zip(self.segment_names, self.drawn, strict=True)
            },
        }
