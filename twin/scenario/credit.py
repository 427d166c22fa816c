"""The ``credit`` section: ordered credit rules at order entry, limits, freeze and review.

Every new order is checked against ``rules`` in order; the first rule whose conditions all hold
decides (``default_action`` when none does). A customer belongs to a risk class, drawn once per
customer, which scales its segment's default probability, shifts its payment delay and gives it
a score. Cross-checks that need the rest of the scenario (segments, staff roles) and checks of
rules that can never match live in :func:`check_references`, so their messages carry the full key
path (``credit.rules.2.when: ...``).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, NonNegativeFloat, PositiveFloat, field_validator

from twin.distributions import DistributionSpec
from twin.scenario.common import Name, Probability, Section, require_nonnegative

Action = Literal["approve", "review", "hold", "reject"]
ACTIONS: tuple[str, ...] = ("approve", "review", "hold", "reject")


class RiskClass(Section):
    """A class of customers with its own payment behaviour relative to the segment's."""

    share: Probability = Field(description="Share of each segment's customers in this class.")
    default_multiplier: NonNegativeFloat = Field(
        1.0, description="Factor on the segment's default probability (capped at 1)."
    )
    delay_shift_days: float = Field(
        0.0, description="Days added to each payment delay draw (the result floored at 0)."
    )
    score: float | None = Field(None, description="Credit score of the class's customers.")


class Condition(Section):
    """What must hold for a rule to match; every condition given must hold, none given: always."""

    amount_over: NonNegativeFloat | None = Field(
        None, description="Order value at list price (currency) is above this."
    )
    amount_at_most: NonNegativeFloat | None = Field(
        None, description="Order value at list price (currency) is at most this."
    )
    risk_class: list[Name] | None = Field(
        None, description="The customer's risk class is one of these."
    )
    score_below: float | None = Field(None, description="The customer's score is below this.")
    score_at_least: float | None = Field(None, description="The customer's score is at least this.")
    days_overdue_over: NonNegativeFloat | None = Field(
        None,
        description="Days the customer's oldest open invoice is past its due date are above this.",
    )
    utilisation_over: NonNegativeFloat | None = Field(
        None,
        description="(Open receivables + approved, uninvoiced orders + this order) / credit limit "
        "is above this (ratio).",
    )

    @property
    def unconditional(self) -> bool:
        return all(value is None for value in self.model_dump().values())


class Rule(Section):
    """One credit rule: when its conditions hold, its action decides the order."""

    when: Condition = Field(default_factory=Condition, description="Conditions, all must hold.")
    action: Action = Field(description="approve, review, hold or reject.")


class CreditLimits(Section):
    """Static credit limits (currency): by risk class, else by segment, else ``default``."""

    default: PositiveFloat | None = Field(None, description="Limit of every other customer.")
    risk_classes: dict[Name, PositiveFloat] = Field(
        default_factory=dict, description="Limit by risk class."
    )
    segments: dict[Name, PositiveFloat] = Field(default_factory=dict, description="By segment.")


class DynamicLimit(Section):
    """A limit from payment history: ``multiple`` x the amount the customer paid over the last
    ``window_days``, floored at ``floor`` and capped at ``cap`` (currency)."""

    multiple: PositiveFloat = Field(description="Factor on the trailing paid amount.")
    window_days: PositiveFloat = Field(90.0, description="Trailing window of payments.")
    floor: NonNegativeFloat = Field(0.0, description="Smallest limit (currency).")
    cap: PositiveFloat | None = Field(None, description="Largest limit (currency); none: no cap.")


class CreditPolicy(Section):
    """The credit policy: rules at order entry, risk classes, limits, review and holds."""

    rules: list[Rule] = Field(default_factory=list, description="Checked in order; first wins.")
    default_action: Action = Field("approve", description="The action when no rule matches.")
    risk_classes: dict[Name, RiskClass] = Field(
        default_factory=dict, description="Customer risk classes; shares sum to 1."
    )
    limits: CreditLimits | None = Field(None, description="Static credit limits.")
    dynamic_limit: DynamicLimit | None = Field(
        None, description="Credit limits from payment history."
    )
    review_minutes: DistributionSpec | None = Field(
        None, description="Credit-analyst working minutes per review."
    )
    review_approval_probability: Probability = Field(
        1.0, description="Chance a review approves the order (else it is rejected)."
    )
    hold_max_days: PositiveFloat | None = Field(
        None, description="A held order still held after this many days is rejected."
    )

    _review_nonneg = field_validator("review_minutes")(
        lambda v: v if v is None else require_nonnegative(v, "a review time")
    )

    def actions(self) -> set[str]:
        """Every action the policy can take."""
        return {rule.action for rule in self.rules} | {self.default_action}


def check_references(scenario: object) -> None:
    """Cross-checks against the rest of the scenario; raises ``ValueError`` with the key path."""
    credit: CreditPolicy | None = scenario.credit  # type: ignore[attr-defined]
    if credit is None:
        return
    _check_risk_classes(credit)
    _check_limits(credit, scenario)
    for number, rule in enumerate(credit.rules):
        _check_rule(credit, number, rule)
    _check_reachable(credit)
    if "review" in credit.actions():
        staffing = scenario.staffing  # type: ignore[attr-defined]
        if staffing is None or staffing.credit_analyst is None:
            raise ValueError(
                "credit: a rule reviews orders, but staffing has no credit_analyst role; add "
                "staffing.credit_analyst (headcount, calendar) or use another action"
            )
        if credit.review_minutes is None:
            raise ValueError(
                "credit: a rule reviews orders; give credit.review_minutes (a distribution of "
                "the analyst's working minutes per review)"
            )


def _check_risk_classes(credit: CreditPolicy) -> None:
    if credit.risk_classes:
        total = math.fsum(c.share for c in credit.risk_classes.values())
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"credit.risk_classes: the shares must sum to 1, got {total:.6g}")


def _check_limits(credit: CreditPolicy, scenario: object) -> None:
    limits = credit.limits
    if limits is not None and credit.dynamic_limit is not None:
        raise ValueError("credit.limits: give static limits or credit.dynamic_limit, not both")
    if limits is not None:
        for name in limits.risk_classes:
            if name not in credit.risk_classes:
                raise ValueError(
                    f"credit.limits.risk_classes.{name}: unknown risk class {name!r}; "
                    f"known: {_known(credit.risk_classes)}"
                )
        for name in limits.segments:
            if name not in scenario.segments:  # type: ignore[attr-defined]
                raise ValueError(
                    f"credit.limits.segments.{name}: unknown segment {name!r}; "
                    f"known: {_known(scenario.segments)}"  # type: ignore[attr-defined]
                )
    dynamic = credit.dynamic_limit
    if dynamic is not None and dynamic.cap is not None and dynamic.cap < dynamic.floor:
        raise ValueError(
            f"credit.dynamic_limit.cap: {dynamic.cap:g} is below floor ({dynamic.floor:g})"
        )


def _check_rule(credit: CreditPolicy, number: int, rule: Rule) -> None:
    """A rule's conditions must be satisfiable and name what exists."""
    when = rule.when
    path = f"credit.rules.{number}.when"
    low, high = when.amount_over, when.amount_at_most
    if low is not None and high is not None and low >= high:
        raise ValueError(
            f"{path}: amount_over ({low:g}) must be below amount_at_most ({high:g}), or the rule "
            "can never match"
        )
    for k, name in enumerate(when.risk_class or []):
        if name not in credit.risk_classes:
            raise ValueError(
                f"{path}.risk_class.{k}: unknown risk class {name!r}; known: "
                f"{_known(credit.risk_classes)}"
            )
    if when.risk_class is not None and not when.risk_class:
        raise ValueError(f"{path}.risk_class: an empty list can never match; name a class")
    below, at_least = when.score_below, when.score_at_least
    if below is not None and at_least is not None and below <= at_least:
        raise ValueError(
            f"{path}: score_below ({below:g}) must be above score_at_least ({at_least:g}), or "
            "the rule can never match"
        )
    if below is not None or at_least is not None:
        unscored = [n for n, c in credit.risk_classes.items() if c.score is None]
        if not credit.risk_classes or unscored:
            raise ValueError(
                f"{path}: a score condition needs a score for every risk class "
                f"(credit.risk_classes.<class>.score); missing: {', '.join(unscored) or 'all'}"
            )
    if (
        when.utilisation_over is not None
        and credit.limits is None
        and (credit.dynamic_limit is None)
    ):
        raise ValueError(
            f"{path}.utilisation_over: needs credit limits; give credit.limits or "
            "credit.dynamic_limit"
        )


def _check_reachable(credit: CreditPolicy) -> None:
    for number, rule in enumerate(credit.rules[:-1]):
        if rule.when.unconditional:
            raise ValueError(
                f"credit.rules.{number + 1}: never reached, because rule {number} has no "
                "conditions and matches every order; move it last or use default_action"
            )


def _known(names: object) -> str:
    return ", ".join(sorted(names)) or "none defined"  # type: ignore[call-overload]
