"""The ``promotions`` section: a calendar of price promotions and how demand responds.

A promotion sells the SKUs it covers at ``discount`` off list price from ``start`` to ``end``
(both dates inclusive) to the segments it covers. Demand of a covered line is multiplied by the
promotion's lift, stated (``lift``) or from price elasticity, ``(1 - discount) ** elasticity``,
times the optional ``display`` and ``mailer`` multipliers. ``pull_forward`` is the share of the
incremental units that is borrowed from the ``dip_days`` after the end, and ``cannibalisation``
the share that the other SKUs of the same category lose during the promotion.
``twin.model.promotions`` turns this into line multipliers; ``docs/levers/promotions.md`` has
the details.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, model_validator

from twin.scenario.common import Name, Probability, Section


class Promotion(Section):
    """One price promotion: what it covers, when, how deep, and how demand responds."""

    name: Name = Field(description="Name of the promotion; its KPIs end in '_<name>'.")
    skus: list[Name] = Field(default_factory=list, description="SKUs on promotion.")
    categories: list[Name] = Field(
        default_factory=list, description="Categories on promotion (every SKU of each)."
    )
    segments: list[Name] = Field(
        default_factory=list, description="Segments offered the promotion; none: every segment."
    )
    start: dt.date = Field(description="First day of the promotion (inclusive).")
    end: dt.date = Field(description="Last day of the promotion (inclusive).")
    discount: float = Field(ge=0.0, lt=1.0, description="Fraction off list price, 0 to < 1.")
    lift: PositiveFloat | None = Field(
        None, description="Stated demand multiplier during the promotion (instead of elasticity)."
    )
    elasticity: float | None = Field(
        None,
        le=0.0,
        description="Price elasticity of demand (e.g. -2.5): lift = (1 - discount) ** elasticity. "
        "The fitted value is price_response.elasticity.value in behaviour.yaml.",
    )
    display: PositiveFloat | None = Field(
        None, description="Extra lift multiplier of an in-store display (e.g. 1.3); none: off."
    )
    mailer: PositiveFloat | None = Field(
        None, description="Extra lift multiplier of a mailer or feature ad (e.g. 1.2); none: off."
    )
    pull_forward: Probability = Field(
        0.0,
        description="Share of the incremental units borrowed from the dip_days after the end "
        "(customers stocking up): a post-promotion dip.",
    )
    dip_days: NonNegativeInt = Field(
        0, description="Whole days after the end over which the pulled-forward units are missed."
    )
    cannibalisation: Probability = Field(
        0.0,
        description="Share of the incremental units that the other SKUs of the same category "
        "lose during the promotion, in proportion to their demand.",
    )
    fixed_cost: NonNegativeFloat = Field(
        0.0, description="Fixed cost of running the promotion (currency): displays, mailers, fees."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Promotion:
        if self.end < self.start:
            raise ValueError(
                f"end: {self.end} is before start ({self.start}); give the last day of the "
                "promotion, on or after its first"
            )
        if (self.lift is None) == (self.elasticity is None):
            raise ValueError(
                "give exactly one of 'lift' (a stated multiplier) and 'elasticity' (the lift is "
                "then (1 - discount) ** elasticity)"
            )
        if self.pull_forward > 0.0 and self.dip_days == 0:
            raise ValueError(
                "dip_days: pull_forward needs the days after the end it borrows from; give "
                "dip_days >= 1"
            )
        return self

    @property
    def multiplier(self) -> float:
        """Demand multiplier of a covered line: lift (stated or from elasticity) x display x
        mailer."""
        lift = self.lift if self.lift is not None else (1.0 - self.discount) ** self.elasticity
        return lift * (self.display or 1.0) * (self.mailer or 1.0)

    @property
    def days(self) -> int:
        """Length of the promotion in days (both ends inclusive)."""
        return (self.end - self.start).days + 1

    @property
    def dip(self) -> float:
        """The post-promotion dip: demand is multiplied by ``1 - dip`` for ``dip_days``.

        The pulled-forward units ``pull_forward x (m - 1) x days`` (in days of base demand) are
        missed evenly over ``dip_days``; at most the whole demand of those days.
        """
        if self.dip_days == 0 or self.multiplier <= 1.0:
            return 0.0
        dip = self.pull_forward * (self.multiplier - 1.0) * self.days / self.dip_days
        return min(dip, 1.0)


def covered_skus(promotion: Promotion, products: list) -> set[str]:
    """The SKU codes a promotion covers: its SKUs and every SKU of its categories (all when it
    names neither)."""
    if not promotion.skus and not promotion.categories:
        return {p.sku for p in products}
    categories = set(promotion.categories)
    return set(promotion.skus) | {p.sku for p in products if p.category in categories}


def covered_segments(promotion: Promotion, segments: dict) -> set[str]:
    """The segment names a promotion is offered to (all when it names none)."""
    return set(promotion.segments) if promotion.segments else set(segments)


def check_references(scenario: object) -> None:
    """Cross-checks against the rest of the scenario; raises ``ValueError`` with the key path.

    Every SKU, category and segment named must exist; names must be unique; two promotions that
    overlap in days, SKUs and segments must give the same discount (a line has one price).
    """
    promotions: list[Promotion] = scenario.promotions  # type: ignore[attr-defined]
    if not promotions:
        return
    products = scenario.products  # type: ignore[attr-defined]
    segments = scenario.segments  # type: ignore[attr-defined]
    skus = {p.sku for p in products}
    categories = {p.category for p in products if p.category}
    names: dict[str, int] = {}
    for i, promotion in enumerate(promotions):
        where = f"promotions.{i}"
        _check_names(f"{where}.skus", promotion.skus, skus, "SKU")
        _check_names(f"{where}.categories", promotion.categories, categories, "category")
        _check_names(f"{where}.segments", promotion.segments, set(segments), "segment")
        if promotion.name in names:
            raise ValueError(
                f"{where}.name: {promotion.name!r} is already the name of promotions."
                f"{names[promotion.name]}; each promotion needs its own name (its KPIs carry it)"
            )
        names[promotion.name] = i
    _check_conflicts(promotions, products, segments)


def _check_names(where: str, named: list[str], known: set, what: str) -> None:
    for j, name in enumerate(named):
        if name not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise ValueError(f"{where}.{j}: unknown {what} {name!r} (known: {listed})")


def _check_conflicts(promotions: list[Promotion], products: list, segments: dict) -> None:
    """Overlapping promotions with different discounts on one SKU for one segment are an error."""
    cover = [(covered_skus(p, products), covered_segments(p, segments)) for p in promotions]
    for j, later in enumerate(promotions):
        for i in range(j):
            earlier = promotions[i]
            if earlier.discount == later.discount:
                continue
            if later.start > earlier.end or earlier.start > later.end:
                continue
            shared_skus = cover[i][0] & cover[j][0]
            shared_segments = cover[i][1] & cover[j][1]
            if not shared_skus or not shared_segments:
                continue
            first = max(earlier.start, later.start)
            last = min(earlier.end, later.end)
            raise ValueError(
                f"promotions.{j}.discount: promotion {later.name!r} (discount {later.discount:g}) "
                f"and promotions.{i} ({earlier.name!r}, discount {earlier.discount:g}) both cover "
                f"SKU {min(shared_skus)!r} for segment {min(shared_segments)!r} from {first} to "
                f"{last}; give overlapping promotions the same discount, or make them not overlap"
            )
