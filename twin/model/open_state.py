"""Start a replication in the company's open state (the scenario's ``initial_state``).

:func:`twin.model.network.build` calls :func:`state_rules` before the stock exists (its on-hand
per SKU replaces ``initial_on_hand``) and :func:`start_from_state` once every component is
wired, before any process runs. At time 0, in this order:

1. open purchase-order lines go on order (so the replenishment policy counts them and does not
   order the same units again) and arrive at a drawn time (``open_po_arrival``, per SKU);
2. open invoices become receivables, each settled at a time drawn conditional on its age
   (``open_payment_default`` and ``open_payment_delay``, per segment); under a credit policy
   they enter the customers' accounts, so an overdue account is frozen from day 0;
3. backlog orders, oldest first, are allocated from the on-hand stock (FIFO by order date) and
   then picked, shipped and invoiced like any order; what the stock cannot cover waits in the
   SKU's backlog for the next receipts, whatever the SKU's shortage rule (they were accepted);
4. open after-sales tickets (with an ``after_sales`` section) wait for an engineer
   (``open_ticket_travel``, ``open_ticket_repair``). Open CRM opportunities enter the pipeline
   when the customer base is built (``twin.model.open_crm``); without the section either kind
   is counted in the run's notes.

Every draw is from a named stream, in an order fixed by the state's ids and dates, so variants
of a scenario share them (common random numbers). Times before day 0 are kept negative in the
tables (an open invoice's ``t_invoice``, a backlog order's ``t_arrival``, an open purchase's
``t_order``), so the window's flows (revenue, orders, ordering cost) leave them out while the
levels start from them. Customers are mapped as :func:`customer_numbers` says.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from twin.model.cash import CashBook
from twin.model.context import Context
from twin.model.elapsed import Beyond
from twin.model.entities import Order
from twin.model.finance import Ledger
from twin.model.fulfilment import Fulfilment
from twin.model.inventory import SkuRule, Stock
from twin.model.open_crm import deal_notes, open_tickets, ticket_notes
from twin.model.service import HOURS_PER_DAY, AfterSales
from twin.scenario.initial_state import OpenState
from twin.scenario.schema import Scenario
from twin.streams import UniformSampler


def state_rules(rules: list[SkuRule], skus: tuple[str, ...], state: OpenState) -> list[SkuRule]:
    """The stocking rules with the state's on-hand units (summed over locations; 0 for a SKU
    the state does not list) as each SKU's initial on-hand."""
    stock = state.tables["stock"]
    on_hand = stock.groupby("sku")["on_hand"].sum()
    return [
        dataclasses.replace(rule, initial_on_hand=int(on_hand.get(sku, 0.0)))
        for rule, sku in zip(rules, skus, strict=True)
    ]


def customer_numbers(scenario: Scenario, state: OpenState) -> tuple[dict, list[str]]:
    """Map the state's customers onto the model's: {(segment, key): customer number}, notes.

    A segment with a ``customer_base`` numbers its known customers in its customers file's
    order, so a customer id found there takes its number. Any other customer (in a segment with
    the plain pool of ``customers``, or an id the file lacks) is numbered by rank: the segment's
    other customer keys sorted, the k-th taking number k modulo the pool's size (several share
    a number only when the state has more customers than the pool). An anonymous line or invoice
    (no customer id) counts as a customer of its own, keyed by its order (else invoice) id.
    """
    keys: dict[str, set[str]] = {name: set() for name in scenario.segments}
    for name, id_column in (("backlog", "order_id"), ("receivables", "invoice_id")):
        table = state.tables[name]
        fallback = table["order_id"].where(table["order_id"].notna(), table[id_column])
        for segment, key in zip(table["segment"], customer_keys(table, fallback), strict=True):
            keys[segment].add(key)
    numbers: dict[tuple[str, str], int] = {}
    notes = []
    for name, segment in scenario.segments.items():
        known: dict[str, int] = {}
        if segment.customer_base is not None:
            known = {c: k for k, c in enumerate(segment.customer_base.history.customers)}
        others = sorted(k for k in keys[name] if k not in known)
        for key in keys[name]:
            if key in known:
                numbers[(name, key)] = known[key]
        for rank, key in enumerate(others):
            numbers[(name, key)] = rank % segment.customers
        if known and others:
            notes.append(
                f"open state: {len(others)} customer(s) of segment {name} are not in its "
                "customers file and were numbered by rank"
            )
        if len(others) > segment.customers:
            notes.append(
                f"open state: segment {name} has {len(others)} customers in the state for a pool "
                f"of {segment.customers}; some share a customer number"
            )
    return numbers, notes


def customer_keys(table: pd.DataFrame, fallback: pd.Series) -> list[str]:
    """Each row's customer key: its customer id, or for an anonymous row ``"anonymous:<id>"``."""
    ids = table["customer_id"].to_numpy(dtype=object)
    other = fallback.to_numpy(dtype=object)
    return [c if isinstance(c, str) else f"anonymous:{o}" for c, o in zip(ids, other, strict=True)]


def start_from_state(
    context: Context, state: OpenState, stock: Stock, ledger: Ledger, fulfilment: Fulfilment
) -> list[str]:
    """Put the open state's purchases, receivables and backlog into the model at time 0 (see
    the module docstring); returns notes for the run's report."""
    numbers, notes = customer_numbers(context.scenario, state)
    open_purchases(context, state, stock)
    open_receivables(context, state, ledger, numbers)
    open_backlog(context, state, stock, fulfilment, numbers)
    if fulfilment.service is not None:
        carry_tickets(context, state, fulfilment.service, numbers)
    return notes + deal_notes(context.scenario, state) + ticket_notes(context.scenario, state)


def carry_tickets(context: Context, state: OpenState, service: AfterSales, numbers: dict) -> None:
    """Each open ticket waits for an engineer from time 0, oldest first (then by id), its
    travel and repair hours drawn as for new tickets from ``open_ticket_travel`` and
    ``open_ticket_repair``; its customer is the state's when the state maps it (else -1)."""
    tickets = open_tickets(state, numbers)
    if tickets.empty:
        return
    spec, streams = context.scenario.after_sales, context.streams
    assert spec is not None
    n = len(tickets)
    role = "service_engineer"
    travel = spec.travel_hours.sample(streams.generator("open_ticket_travel", role), n)
    repair = spec.repair_hours.sample(streams.generator("open_ticket_repair", role), n)
    segments = list(context.scenario.segments)
    for name, customer, t_opened, hours_travel, hours_repair in zip(
        tickets["segment"].tolist(),
        tickets["customer"].tolist(),
        tickets["t_opened"].tolist(),
        travel.tolist(),
        repair.tolist(),
        strict=True,
    ):
        segment = segments.index(name) if name in segments else -1
        service.open_ticket(
            segment,
            int(customer),
            t_opened,
            hours_travel / HOURS_PER_DAY,
            hours_repair / HOURS_PER_DAY,
        )


def open_purchases(context: Context, state: OpenState, stock: Stock) -> None:
    """Each open PO line arrives at t = o + L with L drawn from the supplier's lead time
    conditional on L > -o: o is the order time for a fitted expected date, and the ERP's
    expected date minus the mean lead time for an ERP date (the lead time's spread is the
    lateness around the ERP's date); one ``open_po_arrival`` uniform per line, per SKU, in order
    of order date and PO id. With a cash book, each line's receipt is announced to it, so a line
    a state's bill already billed is not billed again (:func:`twin.model.cash.prepaid_credits`)."""
    scenario, catalogue, streams = context.scenario, context.catalogue, context.streams
    table = state.tables["purchase_orders"]
    if table.empty:
        return
    table = table.assign(
        row=np.arange(len(table)),
        t_order=state.days(table["ordered_at"]),
        t_expected=state.days(table["expected_at"]),
    ).sort_values(["ordered_at", "po_id", "sku"], kind="stable")
    # the cash book bills each receipt, less what a state's bill already billed of the line
    book = stock.bills if isinstance(stock.bills, CashBook) else None
    number = catalogue.index()
    beyond: dict[str, Beyond] = {}
    uniforms: dict[str, UniformSampler] = {}
    for row, sku_name, supplier, t_order, t_expected, source, quantity in zip(
        table["row"].tolist(),
        table["sku"].tolist(),
        table["supplier_id"].tolist(),
        table["t_order"].tolist(),
        table["t_expected"].tolist(),
        table["expected_source"].tolist(),
        table["quantity_open"].tolist(),
        strict=True,
    ):
        sku = number[sku_name]
        if not isinstance(supplier, str) or supplier not in scenario.suppliers:
            supplier = catalogue.supplier[sku]  # the SKU's own supplier
        if supplier not in beyond:
            beyond[supplier] = Beyond(scenario.suppliers[supplier].lead_time_days)
        if sku_name not in uniforms:
            uniforms[sku_name] = UniformSampler(streams.generator("open_po_arrival", sku_name))
        lead_time = beyond[supplier]
        origin = t_order if source == "fitted_lead_time" else t_expected - lead_time.dist.mean
        arrival = origin + float(lead_time.draw(-origin, uniforms[sku_name].next()))
        stock.expect(sku, t_order, int(quantity), max(arrival, 0.0))
        if book is not None:
            book.expect_open(row, sku, max(arrival, 0.0), int(quantity))


def open_receivables(context: Context, state: OpenState, ledger: Ledger, numbers: dict) -> None:
    """Each open invoice of age a (days since issue) defaults with probability p / (p + (1 - p)
    S(a)) (written off at ``write_off_after_days`` of age, at once if already past), else is
    paid after delay | delay > a; p and the delay are its segment's (shifted by the customer's
    risk class under a credit policy). Two uniforms per invoice, from the segment's
    ``open_payment_default`` and ``open_payment_delay`` streams, in due-date order (then issue
    date and id)."""
    scenario, streams = context.scenario, context.streams
    table = state.tables["receivables"]
    if table.empty:
        return
    fallback = table["order_id"].where(table["order_id"].notna(), table["invoice_id"])
    table = table.assign(
        key=customer_keys(table, fallback),
        t_invoice=state.days(table["issued_at"]),
        t_due=state.days(table["due_date"]),
    ).sort_values(["due_date", "issued_at", "invoice_id"], kind="stable")
    segments = list(scenario.segments)
    segment = np.array([segments.index(name) for name in table["segment"]], dtype=np.int64)
    customer = np.array(
        [numbers[key] for key in zip(table["segment"], table["key"], strict=True)], dtype=np.int64
    )
    age = -table["t_invoice"].to_numpy(dtype=float)
    settle = np.zeros(age.size)
    defaults = np.zeros(age.size, dtype=bool)
    for number, name in enumerate(segments):
        rows = np.flatnonzero(segment == number)
        if not rows.size:
            continue
        payment = scenario.segments[name].payment
        p = np.full(rows.size, payment.default_probability)
        shift = np.zeros(rows.size)
        if ledger.accounts is not None:  # a credit policy: the customers' risk classes
            for k, row in enumerate(rows):
                risk = ledger.account(number, int(customer[row])).risk
                if risk is not None:
                    p[k], shift[k] = min(1.0, p[k] * risk[0]), risk[1]
        u_default = streams.generator("open_payment_default", name).random(rows.size)
        u_delay = streams.generator("open_payment_delay", name).random(rows.size)
        delay = Beyond(payment.delay_days)
        a = age[rows]
        written_off = u_default < default_given_unpaid(p, delay.survival(a - shift))
        paid_at = delay.draw(a - shift, u_delay) + shift - a
        write_off_at = payment.write_off_after_days - a
        defaults[rows] = written_off
        settle[rows] = np.maximum(np.where(written_off, write_off_at, paid_at), 0.0)
    for row in zip(
        segment.tolist(),
        customer.tolist(),
        table["t_invoice"].tolist(),
        table["t_due"].tolist(),
        table["amount_open"].tolist(),
        settle.tolist(),
        defaults.tolist(),
        strict=True,
    ):
        ledger.enter_open(*row)


def default_given_unpaid(p: float | np.ndarray, survival: float | np.ndarray) -> np.ndarray:
    """P(default | unpaid at age a) = p / (p + (1 - p) S(a)), S the delay's survival at a
    (Bayes: an invoice unpaid at a either defaults, or pays later than a); 0 when both are 0."""
    p = np.asarray(p, dtype=float)
    total = p + (1.0 - p) * np.asarray(survival, dtype=float)
    return np.divide(p, total, out=np.zeros(np.broadcast(p, total).shape), where=total > 0.0)


def open_backlog(
    context: Context,
    state: OpenState,
    stock: Stock,
    fulfilment: Fulfilment,
    numbers: dict,
) -> None:
    """Turn the backlog lines into orders (one per order id, its lines of one SKU merged at
    their quantity-weighted price) and allocate them oldest first (by order date, then id)."""
    scenario, catalogue = context.scenario, context.catalogue
    table = state.tables["backlog"]
    if table.empty:
        return
    table = table.assign(
        key=customer_keys(table, table["order_id"]),
        t_arrival=state.days(table["ordered_at"]),
        t_promised=state.days(table["promised_at"]),
    ).sort_values(["ordered_at", "order_id", "line_no"], kind="stable")
    number = catalogue.index()
    segments = list(scenario.segments)
    # per order id, in order of its first line: (first line's facts, {SKU: [units, value]})
    orders: dict[str, tuple[tuple, dict[int, list[float]]]] = {}
    for order_id, name, key, t_arrival, t_promised, sku, units, price in zip(
        table["order_id"].tolist(),
        table["segment"].tolist(),
        table["key"].tolist(),
        table["t_arrival"].tolist(),
        table["t_promised"].tolist(),
        table["sku"].tolist(),
        table["quantity_open"].tolist(),
        table["unit_price"].tolist(),
        strict=True,
    ):
        entry = orders.get(order_id)
        if entry is None:
            entry = orders[order_id] = ((name, key, t_arrival, t_promised), {})
        line = entry[1].setdefault(number[sku], [0.0, 0.0])
        line[0] += units
        line[1] += units * price
    saved = stock.backorder
    stock.backorder = [True] * len(saved)  # accepted orders wait, whatever the shortage rule
    try:
        for (name, key, t_arrival, t_promised), lines in orders.values():
            if math.isnan(t_promised):  # no promise recorded: the segment's usual one
                t_promised = t_arrival + scenario.segments[name].promised_lead_time_days
            order = Order(
                fulfilment.next_id(),
                segments.index(name),
                numbers[(name, key)],
                t_arrival,
                t_promised,
            )
            skus = list(lines)
            quantities = [int(units) for units, _ in lines.values()]
            order.prices = {sku: value / units for sku, (units, value) in lines.items()}
            fulfilment.resume(order, skus, quantities)
    finally:
        stock.backorder = saved
