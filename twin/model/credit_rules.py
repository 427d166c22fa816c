"""The credit policy's rules compiled for the desk: flat (check, threshold) pairs per rule.

A rule holds when all its conditions hold, so its checks can be put in any order without
changing the outcome: the cheap ones (the order's amount, the customer's class) come first, the
account's (days overdue, limit utilisation) last. A risk-class or score condition becomes the
set of class numbers that meet it (a class's score is fixed).
"""

from __future__ import annotations

from twin.scenario.credit import ACTIONS, Condition, CreditPolicy

APPROVE, REVIEW, HOLD, REJECT = (ACTIONS.index(a) for a in ("approve", "review", "hold", "reject"))
DEFAULT_RULE = -1  # the rule number recorded when default_action decided
# the checks a rule's conditions compile to, the account's last (``check >= DAYS_OVERDUE_OVER``)
IN_CLASSES, AMOUNT_OVER, AMOUNT_AT_MOST, DAYS_OVERDUE_OVER, UTILISATION_OVER = range(5)

#: (check, threshold) pairs of one rule
Checks = tuple[tuple[int, object], ...]


def compile_rules(
    policy: CreditPolicy, class_names: list[str], class_scores: list[float]
) -> list[tuple[int, Checks, int]]:
    """(rule number, checks, action number) of each rule of ``policy``, in order."""
    return [
        (
            number,
            compile_conditions(rule.when, class_names, class_scores),
            ACTIONS.index(rule.action),
        )
        for number, rule in enumerate(policy.rules)
    ]


def compile_conditions(
    when: Condition, class_names: list[str], class_scores: list[float]
) -> Checks:
    """A rule's conditions as flat (check, threshold) pairs, the cheap ones first."""
    checks: list[tuple[int, object]] = []
    if when.amount_over is not None:
        checks.append((AMOUNT_OVER, when.amount_over))
    if when.amount_at_most is not None:
        checks.append((AMOUNT_AT_MOST, when.amount_at_most))
    if when.risk_class is not None:
        wanted = frozenset(class_names.index(name) for name in when.risk_class)
        checks.append((IN_CLASSES, wanted))
    scores = list(enumerate(class_scores))
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


def tracks_utilisation(rules: list[tuple[int, Checks, int]]) -> bool:
    """Whether any rule checks limit utilisation (only then is approved value tracked)."""
    return any(check == UTILISATION_OVER for _, checks, _ in rules for check, _ in checks)
