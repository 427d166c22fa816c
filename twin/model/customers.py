"""The customer base of one replication: satisfaction, repeat purchase, churn, the CRM pipeline.

Customers are ``(segment number, customer number)`` pairs. A segment's customers ``0 ..
customers - 1`` are active from the start; the pipeline's leads give the segment one more slot
each (numbers from ``customers`` on), activated in the order opportunities are won. Slot counts
are fixed when the base is built, so every up-front draw has a fixed size.

- **Satisfaction** (1-5) starts at the segment's initial score and moves with each experience
  ``x`` as ``s <- s + weight (x - s)``: a completed order scores by its days late on the
  delivery curve, a credit hold by the days held (a rejection by its stated score), an
  after-sales ticket by its resolution days on the service curve.
- **Repeat purchase.** A customer's propensity to order is ``p(s) = exp(beta (s - s_ref))``.
  The demand source draws a *candidate* order stream up front that covers every slot at the
  highest propensity ``p(5)`` and thins it as candidates arrive: an order is placed when its
  customer is active and its own uniform (stream ``repeat``) is below ``p(s) / p(5)``.
- **Churn.** Every ``review_days`` each active customer leaves with probability
  ``1 - exp(-h(s) review_days / 365)``, with the hazard ``h(s) = h_ref exp(gamma (s_ref - s))``
  per year, against one uniform per slot and review (stream ``churn``).
- **Customer base.** In a segment with a ``customer_base`` the candidates are each customer's
  own orders (``twin.model.customer_base``) at ``p(5)`` times its rate, thinned the same way;
  slots ``customers ..`` are first the new customers (active from their first order), then the
  pipeline's. Drop-out comes from the fitted model, so churn reviews there use only the hazard
  above the reference one, ``max(h(s) - h(s_ref), 0)``.
- **Pipeline.** Leads arrive as a Poisson stream per segment (``leads``); each opportunity asks
  a sales rep for its working time (``sales_work``; no delay without the role), then waits its
  sales cycle (``sales_cycle``), then is won if its uniform (``win``) is below the win
  probability. All of a lead's draws are made up front, so variants keep common random numbers.
  A run from an open state adds its open opportunities (``twin.model.open_crm``), worked from
  day 0 with their remaining cycle, each with a slot like the pipeline's own.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Mapping

import numpy as np
import pandas as pd

from twin.model.context import Context
from twin.model.customer_base import CandidateOrders, Cohort
from twin.model.entities import NOT_YET, Order
from twin.model.hooks import PlacementTest
from twin.model.open_crm import OpenDeal, deal_facts, open_deals
from twin.records import COLUMNS, ColumnTable
from twin.scenario.customers import Churn, ScoreCurve
from twin.streams import Streams

DAYS_PER_YEAR = 365.0
CHUNK = ColumnTable.CHUNK  # rows a table buffers (delivered appends to the buffer itself)
HOURS_PER_DAY = 24.0
TOP_SCORE = 5.0

# customer_experiences.kind
DELIVERY, CREDIT_RELEASE, CREDIT_REJECTION, SERVICE = 0, 1, 2, 3
# customer_events.event
INITIAL, ACQUIRED, CHURNED_EVENT = 0, 1, 2
# slot status
PROSPECT, ACTIVE, CHURNED = 0, 1, 2
#: a slot no won opportunity will fill (slots fill in the order of wins, drawn up front)
NEVER = 3


def curve_score(curve: ScoreCurve, days: float) -> float:
    """The experience score of a delay of ``days`` on a logistic score curve, clipped to 1..5."""
    z = (days - curve.midpoint_days) / curve.width_days
    z = min(max(z, -50.0), 50.0)  # exp overflows long before the curve changes
    score = curve.score_on_time - curve.score_drop / (1.0 + math.exp(-z))
    return min(max(score, 1.0), TOP_SCORE)


def draw_leads(rate_per_day: float, horizon_days: float, rng: np.random.Generator) -> np.ndarray:
    """Lead times (days, sorted) of a homogeneous Poisson stream over [0, horizon)."""
    n = int(rng.poisson(rate_per_day * horizon_days))
    return np.sort(rng.random(n) * horizon_days)


class Opportunity:
    """One lead worked through the pipeline; its random parts are drawn up front."""

    __slots__ = (
        "cycle_days",
        "id",
        "rep_days",
        "segment",
        "t_lead",
        "t_work_end",
        "t_work_start",
        "won",
    )

    def __init__(
        self,
        opportunity_id: int,
        segment: int,
        t_lead: float,
        rep_days: float,
        cycle_days: float,
        won: bool,
    ) -> None:
        self.id = opportunity_id
        self.segment = segment
        self.t_lead = t_lead
        self.rep_days = rep_days
        self.cycle_days = cycle_days
        self.won = won
        self.t_work_start = NOT_YET
        self.t_work_end = NOT_YET

    def row(self, t_closed: float, customer: int) -> tuple:
        won = customer >= 0
        return (
            self.id,
            self.segment,
            self.t_lead,
            self.t_work_start,
            self.t_work_end,
            t_closed,
            won,
            customer,
        )


class OpportunityTable(ColumnTable):
    """The opportunities table: closed ones as they close, the open ones added when collected."""

    def __init__(self, open_opportunities: dict[int, Opportunity]) -> None:
        super().__init__(COLUMNS["opportunities"])
        self.open = open_opportunities

    def frame(self) -> pd.DataFrame:
        for opportunity in sorted(self.open.values(), key=lambda o: o.id):
            self.add(opportunity.row(NOT_YET, -1))
        self.open.clear()  # a second frame() must not add them again
        return super().frame()


class CustomerBase:
    """Every customer's status and satisfaction, their churn, and the CRM pipeline.

    The other components call :meth:`delivered`, :meth:`credit_held` and :meth:`serviced`; each
    demand source asks its :meth:`placement_test` whether a candidate order is placed.
    """

    def __init__(self, context: Context, cohorts: Mapping[str, Cohort] | None = None) -> None:
        """``cohorts``: the drawn customer bases of the segments that have one (by name)."""
        cohorts = cohorts or {}
        env, scenario = context.env, context.scenario
        streams, recorder = context.streams, context.recorder
        spec = scenario.customers
        assert spec is not None
        self.env = env
        self.reference = spec.reference_score
        satisfaction = spec.satisfaction
        self.weight = satisfaction.weight
        self.delivery_curve = satisfaction.delivery
        self.service_curve = satisfaction.service
        self.credit = satisfaction.credit
        self.repeat_beta = spec.repeat.sensitivity_per_point
        #: p(5) / p(s_ref): the candidate streams cover every slot at this propensity
        self.max_propensity = math.exp(self.repeat_beta * (TOP_SCORE - self.reference))
        self._experiences = recorder.customer_experiences
        self._experience_rows = self._experiences.rows
        curve = self.delivery_curve
        self._delivery = (
            curve.midpoint_days,
            curve.width_days,
            curve.score_on_time,
            curve.score_drop,
        )
        self._events = recorder.customer_events
        self.open: dict[int, Opportunity] = {}
        recorder.opportunities = OpportunityTable(self.open)
        self._opportunities = recorder.opportunities
        self.reps = context.roles.get("sales_rep")
        pipeline = self._pipeline = spec.pipeline
        horizon = scenario.run.horizon_days
        self.initial: list[int] = []
        self.capacity: list[int] = []
        self.status: list[list[int]] = []
        self.score: list[list[float]] = []
        self.next_customer: list[int] = []
        #: per segment with a customer base: each slot's end of life (days; inf: not yet known)
        self.death: list[list[float] | None] = []
        #: per segment with a customer base (Pareto/NBD): pipeline slots' lifetimes once won
        self.pipeline_lifetime: list[list[float] | None] = [None] * len(scenario.segments)
        self.first_pipeline_slot: list[int] = []
        leads: list[list[Opportunity]] = []
        carried: list[tuple[Opportunity, OpenDeal]] = []  # the open state's deals, at day 0
        #: the open state's deals as the KPIs read them (``twin.model.open_crm.deal_facts``)
        self.open_deal_rows: list[tuple] = []
        deals = {}
        if pipeline is not None and scenario.open_state is not None:
            deals = open_deals(scenario, scenario.open_state, streams)
        next_id = 0
        for number, (name, segment) in enumerate(scenario.segments.items()):
            rate = 0.0 if pipeline is None else pipeline.leads_per_day.get(name, 0.0)
            times = draw_leads(rate, horizon, streams.generator("leads", name)) if rate else []
            opportunities = self._opportunities_of(number, name, times, next_id, streams)
            next_id += len(opportunities)
            leads.append(opportunities)
            own = [
                Opportunity(-1, number, d.t_created, d.rep_days, d.remaining_days, d.won)
                for d in deals.get(name, ())
            ]
            carried.extend(zip(own, deals.get(name, ()), strict=True))
            opportunities = opportunities + own  # the slots below count both
            start = satisfaction.initial_score_by_segment.get(name, satisfaction.initial_score)
            n0 = segment.customers
            # a customer base's new customers take the slots after the known ones, each
            # activated by its first order; the pipeline's slots follow them
            cohort = cohorts.get(name)
            n_new = cohort.n_new if cohort is not None else 0
            slots = n0 + n_new + len(opportunities)
            self.initial.append(n0)
            self.capacity.append(slots)
            wins = sum(o.won for o in opportunities)
            never = len(opportunities) - wins
            self.status.append([ACTIVE] * n0 + [PROSPECT] * (n_new + wins) + [NEVER] * never)
            self.score.append([start] * slots)
            self.next_customer.append(n0 + n_new)
            self.first_pipeline_slot.append(n0 + n_new)
            self.death.append([math.inf] * slots if cohort is not None else None)
            for customer in range(n0):
                self._events.add((0.0, number, customer, INITIAL, start))
        if spec.churn.base_per_year > 0.0:
            rngs = [streams.generator("churn", name) for name in scenario.segments]
            excess = [name in cohorts for name in scenario.segments]
            env.process(self.review_churn(rngs, spec.churn, excess))
        for opportunities in leads:
            if opportunities:
                env.process(self.generate_leads(opportunities))
        for opportunity, deal in carried:  # numbered after the pipeline's own, from day 0
            opportunity.id = next_id
            next_id += 1
            self.open_deal_rows.append(
                (opportunity.id, opportunity.segment, deal.stage, deal.amount, deal.win_probability)
            )
            env.process(self.work(opportunity))

    def _opportunities_of(
        self, number: int, name: str, times: np.ndarray | list, first_id: int, streams: Streams
    ) -> list[Opportunity]:
        """The segment's opportunities with their rep work, cycle and outcome drawn up front."""
        n = len(times)
        if not n:
            return []
        pipeline = self._pipeline
        hours = pipeline.rep_hours.sample(streams.generator("sales_work", name), n)
        cycles = pipeline.cycle_days.sample(streams.generator("sales_cycle", name), n)
        wins = streams.generator("win", name).random(n) < pipeline.win_probability
        return [
            Opportunity(
                first_id + k,
                number,
                float(times[k]),
                float(hours[k]) / HOURS_PER_DAY,
                float(cycles[k]),
                bool(wins[k]),
            )
            for k in range(n)
        ]

    def facts(self) -> dict:
        """What the open-pipeline KPIs need beyond the tables: the open state's deals
        (``open_deals``, :func:`twin.model.open_crm.deal_facts`); empty without them."""
        if not self.open_deal_rows:
            return {}
        return {"open_deals": deal_facts(self.open_deal_rows)}

    # ----------------------------------------------------------------- placement

    def placement_test(self, segment: int, draws: list[float], scale: float) -> PlacementTest:
        """The thinning of segment ``segment``'s candidates: candidate ``k`` of customer ``c``
        is placed if ``c`` is active and ``draws[k] < p(s_c) / scale``, ``p`` the propensity
        read from the base's lists (updated in place) at the candidate's time."""
        status, scores = self.status[segment], self.score[segment]
        beta, reference, exp = self.repeat_beta, self.reference, math.exp

        def places(k: int, customer: int) -> bool:
            return status[customer] == ACTIVE and (
                draws[k] < exp(beta * (scores[customer] - reference)) / scale
            )

        return PlacementTest(status, CHURNED, places)

    def cohort_placement_test(
        self, segment: int, draws: list[float], scale: float, orders: CandidateOrders
    ) -> PlacementTest:
        """The thinning of a customer base's candidates (``twin.model.customer_base``).

        A new customer's first order is always placed and makes it active. Any other candidate
        ``k`` of customer ``c`` is placed if ``c`` is active, still alive (a pipeline slot lives
        its drawn lifetime from the day it is won; a BG/NBD customer dies right after a placed
        order whose drop-out draw says so) and ``draws[k] < p(s_c) / scale``.
        """
        status, scores = self.status[segment], self.score[segment]
        death = self.death[segment]
        assert death is not None
        if orders.pipeline_lifetime is not None:
            self.pipeline_lifetime[segment] = orders.pipeline_lifetime.tolist()
        beta, reference, exp = self.repeat_beta, self.reference, math.exp
        times = orders.times.tolist()
        first = orders.acquisition.tolist()
        drops = orders.drops.tolist() if orders.drops is not None else None
        arrive = self.arrive

        def places(k: int, customer: int) -> bool:
            if first[k]:
                arrive(segment, customer)
                return True
            if status[customer] != ACTIVE or times[k] >= death[customer]:
                return False
            if draws[k] >= exp(beta * (scores[customer] - reference)) / scale:
                return False
            if drops is not None and drops[k]:
                death[customer] = times[k]  # drops out right after this order
            return True

        return PlacementTest(status, CHURNED, places)

    # ----------------------------------------------------------------- experiences

    def delivered(self, order: Order) -> None:
        """The order's last unit is delivered: its days late are an experience.

        ``curve_score`` and ``_experience`` written out: one call per completed order instead
        of three (the same arithmetic, so the same scores)."""
        late = order.t_last_delivery - order.t_promised
        midpoint, width, on_time, drop = self._delivery
        z = (late - midpoint) / width
        if z < -50.0:
            z = -50.0
        elif z > 50.0:
            z = 50.0
        score = on_time - drop / (1.0 + math.exp(-z))
        if score < 1.0:
            score = 1.0
        elif score > TOP_SCORE:
            score = TOP_SCORE
        segment, customer = order.segment, order.customer
        scores = self.score[segment]
        s = scores[customer] + self.weight * (score - scores[customer])
        scores[customer] = s
        rows = self._experience_rows
        rows.append((self.env._now, segment, customer, order.id, DELIVERY, late, score, s))
        if len(rows) >= CHUNK:
            self._experiences.flush()

    def credit_held(self, order: Order, days_held: float, rejected: bool) -> None:
        """A held or reviewed order was released or rejected after ``days_held`` days."""
        credit = self.credit
        if rejected:
            kind, score = CREDIT_REJECTION, credit.rejected_score
        else:
            kind = CREDIT_RELEASE
            score = max(1.0, credit.score_no_wait - credit.penalty_per_day * days_held)
        self._experience(order.segment, order.customer, order.id, kind, days_held, score)

    def serviced(
        self, segment: int, customer: int, response_days: float, resolution_days: float
    ) -> None:
        """An after-sales ticket was resolved; it scores by its resolution days (the response
        time is part of them and not scored on its own)."""
        score = curve_score(self.service_curve, resolution_days)
        self._experience(segment, customer, -1, SERVICE, resolution_days, score)

    def _experience(
        self, segment: int, customer: int, order_id: int, kind: int, days: float, score: float
    ) -> None:
        scores = self.score[segment]
        s = scores[customer] + self.weight * (score - scores[customer])
        scores[customer] = s
        self._experiences.add((self.env.now, segment, customer, order_id, kind, days, score, s))

    # ----------------------------------------------------------------- processes

    def review_churn(
        self, rngs: list[np.random.Generator], churn: Churn, excess: list[bool]
    ) -> Generator:
        """Process: every ``review_days``, each active customer may leave (one uniform per slot
        of every segment, so the stream stays aligned whatever the model did).

        In a segment with a customer base (``excess``) the fitted model already makes customers
        drop out at the reference satisfaction, so only the hazard above the reference one
        counts here: ``max(h(s) - h(s_ref), 0)``."""
        env = self.env
        period = churn.review_days
        base = churn.base_per_year * period / DAYS_PER_YEAR
        gamma = churn.sensitivity_per_point
        reference = self.reference
        while True:
            yield env.timeout(period)
            for segment, rng in enumerate(rngs):
                draws = rng.random(self.capacity[segment]).tolist()
                if not draws:
                    continue
                status, scores = self.status[segment], self.score[segment]
                # 1 - exp(-h) <= h, and h is largest at the lowest (or, gamma < 0, highest)
                # score: a uniform at or above that bound (with room for rounding) cannot
                # churn, so most slots are passed over without the arithmetic
                exponent = max(gamma * (reference - min(scores)), gamma * (reference - max(scores)))
                bound = base * math.exp(exponent) * (1.0 + 1e-9)
                for customer, u in enumerate(draws):
                    if u >= bound or status[customer] != ACTIVE:
                        continue
                    hazard = base * math.exp(gamma * (reference - scores[customer]))
                    if excess[segment]:
                        hazard = max(hazard - base, 0.0)
                    if u < -math.expm1(-hazard):
                        status[customer] = CHURNED
                        self._events.add(
                            (env.now, segment, customer, CHURNED_EVENT, scores[customer])
                        )

    def generate_leads(self, opportunities: list[Opportunity]) -> Generator:
        """Process: start each opportunity of a segment at its lead time."""
        env = self.env
        for opportunity in opportunities:
            delay = opportunity.t_lead - env.now
            yield env.timeout(delay if delay > 0.0 else 0.0)
            env.process(self.work(opportunity))

    def work(self, opportunity: Opportunity) -> Generator:
        """Process: rep work (when sales reps are staffed), the sales cycle, then won or lost."""
        env = self.env
        self.open[opportunity.id] = opportunity
        if self.reps is not None:
            job = self.reps.serve(opportunity.rep_days)
            yield job
            opportunity.t_work_start = job.t_start
            opportunity.t_work_end = env.now
        if opportunity.cycle_days > 0.0:
            yield env.timeout(opportunity.cycle_days)
        del self.open[opportunity.id]
        customer = self.acquire(opportunity.segment) if opportunity.won else -1
        self._opportunities.add(opportunity.row(env.now, customer))

    def acquire(self, segment: int) -> int:
        """Activate the segment's next pipeline slot; returns its customer number."""
        customer = self.next_customer[segment]
        self.next_customer[segment] = customer + 1
        self.arrive(segment, customer)
        lifetimes = self.pipeline_lifetime[segment]
        if lifetimes is not None:  # Pareto/NBD: its lifetime starts now
            lifetime = lifetimes[customer - self.first_pipeline_slot[segment]]
            self.death[segment][customer] = self.env.now + lifetime
        return customer

    def arrive(self, segment: int, customer: int) -> None:
        """Customer ``customer`` of the segment becomes active now (won, or a first order)."""
        self.status[segment][customer] = ACTIVE
        self._events.add((self.env.now, segment, customer, ACQUIRED, self.score[segment][customer]))
