"""The ``customers`` section: satisfaction, repeat purchase and churn, and the CRM pipeline.

Every customer carries a satisfaction score on the 1-5 scale of review scores. It starts at its
segment's initial score and moves with each experience (a delivery, a credit hold or rejection,
an after-sales ticket) as an exponentially weighted mean. The score sets how often the customer
orders (repeat purchase) and how likely the customer is to leave (churn). New customers come
through the CRM pipeline: leads, sales-rep work, a sales cycle, then won or lost.

Experience scores follow the logistic form of the calibration's score curve
(``twin.calibration.behaviour``, candidate ``logistic``)::

    score(d) = score_on_time - score_drop / (1 + exp(-(d - midpoint_days) / width_days))

where ``d`` is the days late of a delivery (after its promise; negative when early) or the days
to resolve a ticket; the result is clipped to 1..5. The form is copied here, not imported: the
model does not depend on calibration code.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field, NonNegativeFloat, PositiveFloat, field_validator

from twin.distributions import DistributionSpec
from twin.scenario.common import Name, Probability, Section, require_nonnegative

Score = Annotated[float, Field(ge=1.0, le=5.0)]
MAX_CANDIDATE_FACTOR = 20.0


class ScoreCurve(Section):
    """Experience score against days (late, or to resolve): a falling logistic curve."""

    score_on_time: Score = Field(
        4.5, description="Upper level of the curve: the score of an experience without delay."
    )
    score_drop: NonNegativeFloat = Field(
        2.5, description="How far the score falls for a very long delay (score points)."
    )
    midpoint_days: float = Field(
        3.0, description="Delay (days) at which half of the drop has happened."
    )
    width_days: PositiveFloat = Field(
        1.0, description="Scale of the fall (days): the drop goes from 27% to 73% over 2 widths."
    )


class CreditExperience(Section):
    """How a credit hold or rejection scores as an experience."""

    score_no_wait: Score = Field(
        4.5, description="Score of a reviewed or held order released at once."
    )
    penalty_per_day: NonNegativeFloat = Field(
        0.25, description="Score points lost per day the order was held (floored at 1)."
    )
    rejected_score: Score = Field(1.0, description="Score of a rejected order.")


class Satisfaction(Section):
    """Each customer's score: where it starts and how experiences move it."""

    initial_score: Score = Field(4.0, description="Starting score of every customer.")
    initial_score_by_segment: dict[Name, Score] = Field(
        default_factory=dict, description="Starting score by segment, over initial_score."
    )
    weight: float = Field(
        0.3,
        gt=0.0,
        le=1.0,
        description="Weight of the newest experience: score <- (1 - weight) score + weight x.",
    )
    delivery: ScoreCurve = Field(
        default_factory=ScoreCurve,
        description="Score of a completed order against its days late (last delivery minus "
        "promise).",
    )
    credit: CreditExperience = Field(default_factory=CreditExperience)
    service: ScoreCurve = Field(
        default_factory=lambda: ScoreCurve(midpoint_days=5.0, width_days=2.0),
        description="Score of a resolved after-sales ticket against its resolution days.",
    )


class RepeatPurchase(Section):
    """How satisfaction scales a customer's order rate."""

    sensitivity_per_point: NonNegativeFloat = Field(
        0.5,
        description="Order rate factor exp(sensitivity x (score - reference_score)); 0: orders "
        "do not depend on the score.",
    )


class Churn(Section):
    """How likely an active customer is to leave, by satisfaction."""

    base_per_year: NonNegativeFloat = Field(
        0.1, description="Churn hazard per year at the reference score; 0: nobody leaves."
    )
    sensitivity_per_point: float = Field(
        1.0,
        ge=0.0,
        le=10.0,
        description="Hazard factor exp(sensitivity x (reference_score - score)) per score point "
        "below the reference.",
    )
    review_days: PositiveFloat = Field(
        7.0, description="Churn is evaluated every review_days for every active customer."
    )


class Pipeline(Section):
    """The CRM pipeline: leads become opportunities, worked by sales reps, won or lost."""

    leads_per_day: dict[Name, PositiveFloat] = Field(
        min_length=1, description="Poisson rate of new leads per segment (leads/day)."
    )
    rep_hours: DistributionSpec = Field(
        2.0,
        validate_default=True,
        description="Sales-rep working time per opportunity (hours); needs staffing.sales_rep, "
        "without it the work adds no delay.",
    )
    cycle_days: DistributionSpec = Field(
        30.0,
        validate_default=True,
        description="Sales cycle after the rep's work until won or lost (days).",
    )
    win_probability: Probability = Field(
        0.3, description="Share of opportunities won; a win is a new customer of the segment."
    )
    win_probability_by_stage: dict[str, Probability] = Field(
        default_factory=dict,
        description="Win probability of an open deal of the initial state by its CRM stage "
        "(e.g. Prospecting: 0.25, Engaging: 0.6); a stage not listed takes win_probability. "
        "New leads keep win_probability.",
    )
    require_sales_rep: bool = Field(
        False, description="Reject a scenario without staffing.sales_rep."
    )

    _hours_nonneg = field_validator("rep_hours")(
        lambda v: require_nonnegative(v, "a sales-rep working time")
    )
    _cycle_nonneg = field_validator("cycle_days")(
        lambda v: require_nonnegative(v, "a sales-cycle time")
    )


class CustomerLoop(Section):
    """The customer loop: satisfaction, repeat purchase and churn, and the CRM pipeline.

    A segment's fitted order rate is that of its initial customers at the reference score; each
    customer orders at rate ``rate_per_day / customers x exp(repeat sensitivity x (score -
    reference_score))`` while active.
    """

    reference_score: Score = Field(
        4.0, description="Score at which the fitted order rate and the base churn apply."
    )
    satisfaction: Satisfaction = Field(default_factory=Satisfaction)
    repeat: RepeatPurchase = Field(default_factory=RepeatPurchase)
    churn: Churn = Field(default_factory=Churn)
    pipeline: Pipeline | None = Field(None, description="New customers through the CRM pipeline.")


def check_references(scenario: object) -> None:
    """Cross-checks against the rest of the scenario; raises ``ValueError`` with the key path."""
    loop: CustomerLoop | None = scenario.customers  # type: ignore[attr-defined]
    if loop is None:
        return
    segments = scenario.segments  # type: ignore[attr-defined]
    known = ", ".join(segments)
    # the candidate orders are drawn at p(5) / p(reference) times the fitted rate
    factor = math.exp(loop.repeat.sensitivity_per_point * (5.0 - loop.reference_score))
    if factor > MAX_CANDIDATE_FACTOR:
        raise ValueError(
            f"customers.repeat.sensitivity_per_point: exp(sensitivity x (5 - reference_score)) "
            f"is {factor:.3g}, the candidate orders drawn per order at the reference score; "
            f"expected at most {MAX_CANDIDATE_FACTOR:g} (a smaller sensitivity or a higher "
            f"reference_score)"
        )
    for name in loop.satisfaction.initial_score_by_segment:
        if name not in segments:
            raise ValueError(
                f"customers.satisfaction.initial_score_by_segment.{name}: unknown segment "
                f"{name!r}; expected one of {known}"
            )
    pipeline = loop.pipeline
    if pipeline is None:
        return
    for name in pipeline.leads_per_day:
        if name not in segments:
            raise ValueError(
                f"customers.pipeline.leads_per_day.{name}: unknown segment {name!r}; expected "
                f"one of {known}"
            )
    check_stages(pipeline, scenario.open_state)  # type: ignore[attr-defined]
    staffing = scenario.staffing  # type: ignore[attr-defined]
    if pipeline.require_sales_rep and (staffing is None or staffing.sales_rep is None):
        raise ValueError(
            "customers.pipeline.require_sales_rep: the pipeline needs sales reps, but "
            "staffing.sales_rep is not given; add the role or set require_sales_rep: false"
        )


CLOSED_STAGES = frozenset({"won", "lost", "closed won", "closed lost", "closed_won", "closed_lost"})
"""Stages (compared stripped, in lower case) of a decided deal: no open deal is in them."""


def check_stages(pipeline: Pipeline, state: object) -> None:
    """``win_probability_by_stage`` names open stages: not a closed one, not an empty name,
    and, when the open state has opportunities, one of their stages."""
    key = "customers.pipeline.win_probability_by_stage"
    by_stage = pipeline.win_probability_by_stage
    if not by_stage:
        return
    table = None if state is None else state.tables["opportunities"]  # type: ignore[attr-defined]
    has_deals = table is not None and len(table)
    known = sorted(set(table["stage"].astype(str).str.strip())) if has_deals else []
    shown = ", ".join(known) if known else "the open deals' stages, e.g. Prospecting, Engaging"
    for stage in by_stage:
        if not stage.strip():
            raise ValueError(f"{key}: an empty stage name; expected a stage such as {shown}")
        if stage.strip().lower() in CLOSED_STAGES:
            raise ValueError(
                f"{key}.{stage}: {stage!r} is a closed stage (a decided deal); expected an open "
                f"stage such as {shown}"
            )
        if known and stage not in known:
            raise ValueError(
                f"{key}.{stage}: unknown stage {stage!r}; the open state's opportunities are in "
                f"the stages {shown}"
            )
