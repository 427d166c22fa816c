"""After-sales service: delivered units fail, become tickets, wait for parts, get repaired.

At each delivery (``AfterSales.delivered``), the units of each SKU in the shipment (its batch)
fail before the horizon in a binomial number, drawn by inversion from one uniform of the SKU's
``failures`` stream; each failure's age is drawn from the Weibull time to failure truncated to
the time left (one uniform of the SKU's ``failure_age`` stream), so failures after the horizon
cost nothing. A unit fails at most once in a run (the repaired unit is not followed further).

A failure opens a ticket at its time, draws its travel and repair hours and which spare parts it
needs (one uniform per entry of the product's list), so these draws follow failure order, not
stock or staff state. The ticket takes its parts from stock (``Stock.issue_spare``; a short part
queues ahead of the customer backlog) and only then is dispatched to the ``service_engineer``
role: part first, then visit, so an engineer never holds a job while a part is missing. One job
covers travel and repair; the engineer is on site after the travel's working time.
"""

from __future__ import annotations

import math
from collections.abc import Generator

import simpy
from scipy import stats

from twin.model.catalogue import Catalogue
from twin.model.context import Context
from twin.model.entities import NOT_YET, Order
from twin.model.flows import run_flow
from twin.model.hooks import CustomerExperiences
from twin.model.inventory import Stock
from twin.scenario.service import FailureRate, Failures
from twin.streams import Sampler, UniformSampler

HOURS_PER_DAY = 24.0


def failure_rate(failures: Failures, sku: str, category: str | None) -> FailureRate:
    """The SKU's rate: its own, else its category's, else the default."""
    if sku in failures.skus:
        return failures.skus[sku]
    if category is not None and category in failures.categories:
        return failures.categories[category]
    return failures.default


def failing_skus(failures: Failures, catalogue: Catalogue) -> list[bool]:
    """Per SKU, whether its units can fail (a finite failure scale); only these are tracked in
    the parcels of shipments."""
    return [
        not math.isinf(failure_rate(failures, sku, category).scale_days())
        for sku, category in zip(catalogue.skus, catalogue.category, strict=True)
    ]


def binomial_by_inversion(n: int, p: float, u: float) -> int:
    """The binomial(n, p) count whose cumulative probability first exceeds ``u`` in [0, 1).

    One uniform per count keeps the streams aligned whatever the count; the loop runs count + 1
    times, a few steps for the small probabilities of failure.
    """
    if p <= 0.0 or n <= 0:
        return 0
    if p >= 1.0:
        return n
    q = 1.0 - p
    probability = q**n
    if probability < 1e-300:  # (1 - p)**n underflows: the search from 0 would be wrong
        return int(stats.binom.ppf(u, n, p))
    cumulative = probability
    ratio = p / q
    k = 0
    while u >= cumulative and k < n:
        probability *= (n - k) / (k + 1) * ratio
        k += 1
        cumulative += probability
    return k


class _Parts:
    """The spare parts a ticket still waits for; ``ready`` fires when the last is issued."""

    __slots__ = ("left", "ready")

    def __init__(self, left: int) -> None:
        self.left = left
        self.ready: simpy.Event | None = None

    def issued(self) -> None:
        self.left -= 1
        if self.left == 0 and self.ready is not None:
            self.ready.succeed()


# positions in a ticket's row (the column order of the ``tickets`` table)
_TICKET, _SEGMENT, _CUSTOMER, _FAILED = 0, 2, 3, 6
_DISPATCHED, _START, _ON_SITE, _RESOLVED = 7, 8, 9, 10
_TRAVEL, _REPAIR = 12, 13


class AfterSales:
    """Turns delivered units into tickets and sees each through parts and an engineer's visit."""

    def __init__(
        self, context: Context, stock: Stock, customers: CustomerExperiences | None = None
    ) -> None:
        """``stock`` issues the spare parts; ``customers`` (None without the customer loop)
        hears of each resolved ticket."""
        env, scenario, catalogue = context.env, context.scenario, context.catalogue
        streams, recorder = context.streams, context.recorder
        spec = scenario.after_sales
        self.env = env
        self.horizon = scenario.run.horizon_days
        self.stock = stock
        self.engineers = context.roles["service_engineer"]
        self.customers = customers
        self.skus = catalogue.skus
        rates = [
            failure_rate(spec.failures, sku, category)
            for sku, category in zip(catalogue.skus, catalogue.category, strict=True)
        ]
        # None: the SKU never fails (no draws at all)
        self.scale: list[float | None] = [
            None if math.isinf(r.scale_days()) else r.scale_days() for r in rates
        ]
        self.shape = [r.shape for r in rates]
        #: per SKU, whether its units can fail (only these are tracked in parcels)
        self.fails = [scale is not None for scale in self.scale]
        index = catalogue.index()
        self.parts: list[list[tuple[int, int, float]]] = [[] for _ in catalogue.skus]
        for sku, parts in spec.spare_parts.items():
            self.parts[index[sku]] = [(index[p.part], p.quantity, p.probability) for p in parts]
        self.travel = Sampler(spec.travel_hours, streams.generator("travel", "service_engineer"))
        self.repair = Sampler(spec.repair_hours, streams.generator("repair", "service_engineer"))
        self.part_draws = UniformSampler(streams.generator("spare_parts", "service_engineer"))
        self._streams = streams
        # one count and one age stream per SKU, made on first use (most SKUs of a big
        # catalogue may never be delivered in a short run)
        self._count_draws: list[UniformSampler | None] = [None] * len(catalogue.skus)
        self._age_draws: list[UniformSampler | None] = [None] * len(catalogue.skus)
        self._tickets = recorder.tickets
        self.open: dict[int, tuple[list, list]] = {}  # ticket -> (row, [job or None])
        self.n_tickets = 0

    # ----------------------------------------------------------------- failures

    def delivered(self, order: Order, batch: int, parcel: list[tuple[int, int]]) -> None:
        """A shipment (row ``batch`` of ``shipments``) of ``parcel`` [(SKU, units)] arrived:
        draw which units fail before the horizon, and when."""
        window = self.horizon - self.env._now  # env.now without the property's call
        if window <= 0.0:
            return
        scales = self.scale
        # the fulfilment sends only SKUs that can fail (``fails``); the others are passed over
        if len(parcel) == 1 or len({sku for sku, _ in parcel}) == len(parcel):
            failing = parcel  # no SKU twice: nothing to merge
        else:
            units_by_sku: dict[int, int] = {}
            for sku, units in parcel:
                units_by_sku[sku] = units_by_sku.get(sku, 0) + units
            failing = units_by_sku.items()
        count_draws = self._count_draws
        for sku, units in failing:
            scale = scales[sku]
            if scale is None:
                continue
            shape = self.shape[sku]
            p = -math.expm1(-((window / scale) ** shape))  # P(fails before the horizon)
            draws = count_draws[sku]
            if draws is None:
                draws = count_draws[sku] = self._sampler("failures", sku)
            u = draws.next()
            if p < 1.0:  # (p >= 0: it is 1 - exp(-x) for x >= 0)
                # binomial_by_inversion's first step, inline: most counts are 0
                none_fail = (1.0 - p) ** units
                if u < none_fail and none_fail >= 1e-300:
                    continue
            failed = binomial_by_inversion(units, p, u)
            if not failed:
                continue
            age_draws = self._age_draws[sku]
            if age_draws is None:
                age_draws = self._age_draws[sku] = self._sampler("failure_age", sku)
            for _ in range(failed):
                # inverse of the Weibull CDF truncated to [0, window): F(age) = u F(window)
                u = age_draws.next()
                age = scale * (-math.log1p(-u * p)) ** (1.0 / shape)
                # a flow: nobody waits on the ticket, and its first step only waits
                run_flow(self._ticket(order, sku, batch, age))

    def _sampler(self, purpose: str, sku: int) -> UniformSampler:
        return UniformSampler(self._streams.generator(purpose, self.skus[sku]))

    # ----------------------------------------------------------------- tickets

    def _ticket(self, order: Order, sku: int, batch: int, age: float) -> Generator:
        """Process: the unit fails after ``age`` days; parts, then an engineer's visit."""
        env = self.env
        yield env.timeout(age)
        ticket = self.n_tickets
        self.n_tickets += 1
        travel = self.travel.next() / HOURS_PER_DAY
        repair = self.repair.next() / HOURS_PER_DAY
        draws = self.part_draws
        # one uniform per entry of the list, needed or not, so the stream stays in step
        needs = [(part, units) for part, units, p in self.parts[sku] if draws.next() < p]
        row = [
            ticket,
            order.id,
            order.segment,
            order.customer,
            sku,
            batch,
            env.now,
            NOT_YET,
            NOT_YET,
            NOT_YET,
            NOT_YET,
            sum(units for _, units in needs),
            travel,
            repair,
        ]
        job_slot: list = [None]
        self.open[ticket] = (row, job_slot)
        if needs:
            waiting = _Parts(len(needs))
            for part, units in needs:
                self.stock.issue_spare(part, units, waiting.issued, ticket)
            if waiting.left:
                waiting.ready = env.event()
                yield waiting.ready
        yield from self._visit(row, job_slot, notify=True)

    def open_ticket(
        self, segment: int, customer: int, t_failed: float, travel: float, repair: float
    ) -> None:
        """A ticket of the open state (opened at ``t_failed`` <= 0; ``travel`` and ``repair``
        in days): it waits for an engineer from now; no order, SKU or parts are known (-1, 0).
        ``segment`` or ``customer`` -1: no customer hears of it."""
        ticket = self.n_tickets
        self.n_tickets += 1
        row = [ticket, -1, segment, customer, -1, -1, t_failed, NOT_YET, NOT_YET, NOT_YET]
        row += [NOT_YET, 0, travel, repair]
        job_slot: list = [None]
        self.open[ticket] = (row, job_slot)
        self.env.process(self._visit(row, job_slot, notify=segment >= 0 and customer >= 0))

    def _visit(self, row: list, job_slot: list, notify: bool) -> Generator:
        """Process part: dispatch the ticket to an engineer, wait for the visit, close it (and
        tell the customer loop when ``notify``)."""
        env = self.env
        row[_DISPATCHED] = env.now
        job = self.engineers.serve(row[_TRAVEL] + row[_REPAIR])
        job_slot[0] = job
        yield job
        self._started(row, job)
        row[_RESOLVED] = env.now
        del self.open[row[_TICKET]]
        self._tickets.add(tuple(row))
        customers = self.customers
        segment, customer = row[_SEGMENT], row[_CUSTOMER]
        if customers is not None and notify:
            t_failed = row[_FAILED]
            customers.serviced(segment, customer, row[_START] - t_failed, env.now - t_failed)

    def _started(self, row: list, job: simpy.Event) -> None:
        """Fill in when the engineer set off and arrived (travel in working time)."""
        start = job.t_start
        row[_START] = start
        if start == start:  # not NaN: the job has a person
            row[_ON_SITE] = self.engineers.calendar.advance(start, row[_TRAVEL])

    def facts(self) -> dict[str, float]:
        """What the KPIs and conservation checks need beyond the tables, at the horizon."""
        return {
            "engineers": float(self.engineers.headcount),
            "spare_backlog_units": float(self.stock.spare_backlog_units()),
        }

    def record_open(self) -> None:
        """Add the tickets still open at the horizon to the table (missing times NaN)."""
        for ticket in sorted(self.open):
            row, (job,) = self.open[ticket]
            if job is not None:
                self._started(row, job)
            self._tickets.add(tuple(row))
        self.open.clear()
