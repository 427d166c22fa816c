"""Build, wire and run one replication: the only place that knows every component.

Phases, as in desmod: build the components from the scenario, connect them and check every
declared connection is given, start the processes, run to the horizon, collect the tables.
One ``simpy.Environment`` and one ``Streams`` per replication and no module-level state, so
replications can run side by side on any worker.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import simpy

from twin.model.cash import CashBook
from twin.model.catalogue import Catalogue
from twin.model.context import Context
from twin.model.credit import CreditDesk
from twin.model.customer_base import draw_cohort
from twin.model.customers import CustomerBase
from twin.model.demand import DemandSource
from twin.model.finance import Ledger
from twin.model.flows import start_flow
from twin.model.fulfilment import Fulfilment
from twin.model.inventory import Stock, resolve_rules
from twin.model.open_state import start_from_state, state_rules
from twin.model.order_book import expected_daily_units
from twin.model.promotions import PromotionRecords, segment_windows
from twin.model.service import AfterSales, failing_skus
from twin.model.staff import (
    StaffRole,
    headcount_schedule,
    overtime_by_day,
    window_facts,
    work_calendar,
)
from twin.model.wiring import Wired, check_connections
from twin.records import Recorder, RunResult
from twin.scenario.schema import Scenario
from twin.scenario.staffing import Role
from twin.streams import Streams


@dataclass
class Network:
    """The wired components of one replication; a lever is None when its section is absent."""

    env: simpy.Environment
    scenario: Scenario
    catalogue: Catalogue
    recorder: Recorder
    stock: Stock
    fulfilment: Fulfilment
    ledger: Ledger
    roles: dict[str, StaffRole]
    sources: list[DemandSource]
    credit: CreditDesk | None = None
    service: AfterSales | None = None
    customers: CustomerBase | None = None
    #: what starting from the open state had to report (empty without ``initial_state``)
    notes: list[str] = field(default_factory=list)
    cash: CashBook | None = None


def build(
    env: simpy.Environment, scenario: Scenario, streams: Streams, recorder: Recorder
) -> Network:
    """Create every component, connect them, check every declared connection is given, and
    start the processes.

    Components are created in dependency order, each handed what it needs; the two that need
    a component created after them (the stock's ``on_fill``, the credit desk's ``release``, both
    the fulfilment's) are connected once it exists. Each lever is built only when its section
    is in the scenario, and this is the one place that decides it.
    """
    catalogue = Catalogue.from_scenario(scenario)
    rules = resolve_rules(scenario, catalogue, expected_daily_units(scenario, catalogue))
    state = scenario.open_state
    if state is not None:  # the state's on-hand stock instead of initial_on_hand
        rules = state_rules(rules, catalogue.skus, state)
    roles: dict[str, StaffRole] = {}
    if scenario.staffing is not None:
        for number, (name, role) in enumerate(scenario.staffing.roles().items()):
            roles[name] = staff_role(env, scenario, number, name, role, recorder)
    context = Context(env, scenario, streams, recorder, catalogue, roles)
    ledger = Ledger(context)
    cash = CashBook(context, ledger) if scenario.cash is not None else None
    # customer bases first: a segment's parameter draw comes before anything else of it
    cohorts = {
        name: draw_cohort(segment, name, scenario, streams)
        for name, segment in scenario.segments.items()
        if segment.customer_base is not None
    }
    customers = CustomerBase(context, cohorts) if scenario.customers is not None else None
    stock = Stock(
        context,
        rules,
        promotions=PromotionRecords(context) if scenario.promotions else None,
        parcel_skus=(
            failing_skus(scenario.after_sales.failures, catalogue)
            if scenario.after_sales is not None
            else None
        ),
        bills=cash,
    )
    service = AfterSales(context, stock, customers) if scenario.after_sales is not None else None
    credit = CreditDesk(context, ledger, stock, customers) if scenario.credit is not None else None
    fulfilment = Fulfilment(context, ledger, stock, credit, service, customers)
    sources = [
        DemandSource(
            context,
            name,
            number,
            segment_windows(scenario, name, catalogue) if scenario.promotions else [],
            sized=credit is not None,  # the desk decides on an order's list value
            customers=customers,
            cohort=cohorts.get(name),
        )
        for number, name in enumerate(scenario.segments)
    ]
    if credit is None and service is None and customers is None and cash is None:
        fulfilment.defer_deliveries()  # nothing acts on a delivery as it happens
    stock.connect("on_fill", fulfilment.fill)
    wired: list[Wired] = [stock]
    if credit is not None:
        credit.connect("release", fulfilment.release)
        wired.append(credit)
    check_connections(wired)
    # the open state's items go in before any process runs: open purchases count as on order
    # when the first review below (and any allocation) asks the policy
    notes = [] if state is None else start_from_state(context, state, stock, ledger, fulfilment)
    # roles whose headcount changes by date follow their plan
    for staff in roles.values():
        if len(staff.schedule) > 1:
            staff.follow(staff.schedule)
    for source in sources:
        start_flow(env, source.run(fulfilment.next_id, fulfilment.accept))
    periodic: dict[tuple[float, float], list[int]] = defaultdict(list)
    for sku, rule in enumerate(rules):
        if rule.review_period_days is not None:
            periodic[(rule.review_period_days, rule.first_review_day)].append(sku)
    for (period, first), skus in periodic.items():
        env.process(stock.review_periodically(skus, period, first))
    # a continuously reviewed SKU that starts below its reorder point orders at once
    for sku, rule in enumerate(rules):
        if rule.review_period_days is None:
            stock.review(sku)
    return Network(
        env,
        scenario,
        catalogue,
        recorder,
        stock,
        fulfilment,
        ledger,
        roles,
        sources,
        credit,
        service,
        customers,
        notes,
        cash,
    )


def staff_role(
    env: simpy.Environment,
    scenario: Scenario,
    number: int,
    name: str,
    role: Role,
    recorder: Recorder,
) -> StaffRole:
    """A role's staff pool: its calendar with any overtime, and its headcount plan."""
    start_date = scenario.run.start_date
    spec = scenario.staffing.calendars[role.calendar]
    hours, premium = overtime_by_day(role, spec, start_date)
    schedule = headcount_schedule(role, start_date)
    return StaffRole(
        env,
        number,
        name,
        schedule[0][1],
        work_calendar(spec, start_date, hours),
        recorder,
        schedule=schedule,
        overtime_premium=premium,
    )


def run_replication(scenario: Scenario, replication: int) -> RunResult:
    """Simulate one replication of ``scenario`` to its horizon and collect its tables."""
    env = simpy.Environment()
    network = build(env, scenario, Streams(scenario.run.seed, replication), Recorder())
    # The run makes ~10^6 short-lived objects and few reference cycles; the cyclic collector
    # would rescan the growing heap again and again (a quarter of the run time, superlinear in
    # volume), so it is paused while the replication runs and collects its tables.
    collecting = gc.isenabled()
    gc.disable()
    try:
        env.run(until=scenario.run.horizon_days)
        return collect(network, replication)
    finally:
        if collecting:
            gc.enable()


def collect(network: Network, replication: int) -> RunResult:
    """The replication's tables and end state, for KPIs, daily levels and conservation checks."""
    scenario = network.scenario
    run = scenario.run
    # deliveries before the horizon (one landing on it, like an event there, does not happen)
    network.fulfilment.book_deliveries(run.horizon_days)
    for role in network.roles.values():
        role.record_waiting()
    if network.service is not None:  # tickets still open
        network.service.record_open()
    credit = network.credit
    if credit is not None:  # decisions still pending
        credit.record_pending()
    tables = network.recorder.frames(list(network.roles))
    # the finished orders' rows and the live orders, freed as they are read
    tables["orders"] = network.fulfilment.orders.frame()
    roles = {}
    staffing = scenario.staffing
    jobs = tables["staff_jobs"]
    # the columns read, selected per role (not the whole table: a copy of it per role)
    job_starts, job_ends = jobs["t_start"].to_numpy(), jobs["t_end"].to_numpy()
    job_work = jobs["work_days"].to_numpy()
    for name, role in network.roles.items():
        spec = staffing.roles()[name]
        window = role.calendar.working_time(run.warmup_days, run.horizon_days)
        mine = (jobs["role"] == name).to_numpy()
        starts, ends = job_starts[mine], job_ends[mine]
        inside = (starts >= run.warmup_days) & (ends <= run.horizon_days)
        straddle = ~inside & (ends > run.warmup_days) & (starts < run.horizon_days)
        work = float(job_work[mine][inside].sum()) + sum(
            role.calendar.working_time(max(s, run.warmup_days), min(e, run.horizon_days))
            for s, e in zip(starts[straddle], ends[straddle], strict=True)
        )
        roles[name] = {
            "headcount": spec.headcount,
            "cost_per_hour": spec.cost_per_hour,
            "working_days_per_head": window,
            "work_days": float(work),
            "in_service_at_end": role.busy,
            "waiting_at_end": len(role.queue),
            **window_facts(
                role.calendar,
                role.schedule,
                role.overtime_premium,
                run.warmup_days,
                run.horizon_days,
            ),
        }
    stock = network.stock
    final_state = {
        "free_units": float(sum(stock.on_hand)),
        "on_order_units": float(sum(stock.on_order)),
        "backlog_units": float(sum(stock.backlog_units)),
        "units_received": float(stock.units_received),
        "open_receivables": float(network.ledger.receivables()),
    }
    # what the levers' KPIs need beyond the tables
    levers = {}
    if credit is not None:
        levers["credit"] = credit.facts()
    if network.service is not None:
        levers["after_sales"] = network.service.facts()
    deals = network.customers.facts() if network.customers is not None else {}
    if deals:  # an open pipeline
        levers["customers"] = deals
    if network.cash is not None:  # books what remains and names the cash tables
        levers["cash"] = network.cash.close(tables)
    notes = network.notes + [
        f"segment {s.name}: {s.skipped_rows} replayed order times fall outside the run and were "
        f"not simulated"
        for s in network.sources
        if s.skipped_rows
    ]
    return RunResult(
        scenario=scenario.name,
        replication=replication,
        seed=run.seed,
        horizon_days=run.horizon_days,
        warmup_days=run.warmup_days,
        start_date=run.start_date.isoformat(),
        skus=network.catalogue.skus,
        unit_cost=np.asarray(network.catalogue.unit_cost),
        initial_on_hand=np.asarray(stock.initial_on_hand),
        segments=tuple(scenario.segments),
        roles=roles,
        tables=tables,
        final_state=final_state,
        notes=notes,
        levers=levers,
    )
