"""Fit a scenario base from canonical history: products, segments, demand, payment, suppliers.

Input: the canonical tables after the quality step (``twin.calibration.quality``). Output: a
plain-data scenario base (``model.yaml``) that validates as :class:`twin.scenario.schema.Scenario`,
and a fit report with one row per fitted quantity: what was fitted, from how many values, which
distribution won, and what was defaulted for lack of data.

What is fitted, and from what
-----------------------------
- products: every SKU with ordered lines; price = median ordered unit price (or the product's
  list price), unit cost from products or purchase orders, else ``DEFAULT_COST_RATIO`` x price;
  supplier from products (else one default supplier). Catalogue order = popularity (lines).
- line prices: quantiles and mean of each SKU's (and segment's) net unit price, weighted by
  units, when some SKU sold at more than one price (:mod:`~twin.calibration.line_prices`);
  written as ``prices.parquet`` beside ``model.yaml``.
- segments: the customers table's ``segment`` (orders of unknown customers form ``unassigned``).
  Segments with fewer than ``MIN_SEGMENT_ORDERS`` orders are pooled into ``other``. Per segment:
  the Poisson arrival model (rate, weekday and month multipliers, linear trend), lines per order
  and units per line (counts), SKU mix (weights by lines), promised lead time (median of
  promised - ordered, by date for date-only promises), transit time (delivered - shipped)
  and payment delay (paid - issued).
- customer base (when the scenario schema has it) per segment whose orders carry customer
  ids: the Pareto/NBD or BG/NBD repeat-purchase model, the customers' frequency, recency and
  age, and the arrival of new customers (:mod:`twin.calibration.customer_base`); orders without
  an id are split into a segment of their own with aggregate arrivals.
- suppliers: lead time (received - ordered) of purchase orders, per supplier, pooled when small.
- cash (only when the history has supplier invoices): each supplier's payment terms, the median
  days from bill to payment (:mod:`~twin.calibration.supplier_terms`).
- pipeline (in ``behaviour.yaml``): the win probability of an open deal by CRM stage, where
  the history tells it (:mod:`~twin.calibration.pipeline_stages`).
- handling time per segment (first shipment - order, waits for stock left out) and a stocking
  rule per supplier from purchase orders and stock snapshots: see
  :func:`twin.calibration.dispatch.fit_handling` and
  :func:`twin.calibration.stocking.stocking_policies`.
Staffing and costs are a planner's levers, not history: the base carries stated defaults for
them (flagged ``defaulted`` in the report) and scenarios override them.

Each fit step is in a module of its own (:mod:`~twin.calibration.products`,
:mod:`~twin.calibration.segments`, :mod:`~twin.calibration.payment`,
:mod:`~twin.calibration.dispatch`, :mod:`~twin.calibration.stocking`,
:mod:`~twin.calibration.behaviour`); this one assembles the base from them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from twin.calibration.base_values import (
    fitted_count,
    fitted_duration,
    orders_with_lines,
    scenario_key,
)
from twin.calibration.behaviour import fit_behaviour
from twin.calibration.behaviour.estimates import plain
from twin.calibration.customer_base.section import (
    customer_base_enabled,
    fit_segment_customer_base,
    split_anonymous,
)
from twin.calibration.dispatch import fit_handling, promised_lead_times, stock_waits
from twin.calibration.fit_report import DAY, FitReport, FittedValues, days
from twin.calibration.line_prices import fit_line_prices
from twin.calibration.payment import fit_payment
from twin.calibration.pipeline_stages import fit_stage_win_probabilities
from twin.calibration.products import fit_products, fit_supplier_lead_times
from twin.calibration.quality_rules import isin
from twin.calibration.segments import (
    active_period,
    fit_segment_arrivals,
    report_rate_noise,
    segments_of_orders,
)
from twin.calibration.stocking import stocking_policies
from twin.calibration.supplier_terms import fit_cash_section
from twin.calibration.timing import PhaseTimer


@dataclass
class Calibration:
    """A fitted scenario base, the record of how each part was obtained, and the data it used.

    ``behaviour`` holds the customer-behaviour fits (:mod:`twin.calibration.behaviour`) that the
    scenario base does not carry: price and promotion response, pipeline, after-sales,
    satisfaction and the customer loop, written as ``behaviour.yaml``. ``prices`` holds the
    prices file's rows (:mod:`twin.calibration.line_prices`; None when every SKU sold at one
    price); the model folder writes them beside ``model.yaml`` and names them there.
    ``customers`` maps each customers file named by a ``customer_base`` section to its rows
    (raw ids; the writer pseudonymises them).
    """

    model: dict
    report: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    values: FittedValues = field(default_factory=FittedValues)
    behaviour: dict = field(default_factory=dict)
    prices: pd.DataFrame | None = None
    customers: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: the model segment of each fitted order (index: order id), for the open state's rows
    segment_of_order: pd.Series | None = None
    #: each customer's model segment: that of most of its fitted orders (index: customer id)
    segment_of_customer: pd.Series | None = None


# the event that dates a row of each table, for cutting the history at a date
_DATED_BY = {
    "orders": "ordered_at",
    "invoices": "issued_at",
    "payments": "paid_at",
    "purchase_orders": "ordered_at",
    "supplier_invoices": "issued_at",
}


def history_until(tables: dict[str, pd.DataFrame], until: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The history as it was known at ``until``: rows dated before it, lines of those orders.

    Later timestamps of kept rows (a delivery or payment after ``until``) are blanked, as they
    were not yet known; this lets ``twin validate --holdout-from`` test the fit out of sample.
    """
    until = pd.Timestamp(until)
    cut = dict(tables)
    for name, column in _DATED_BY.items():
        if name in cut and column in cut[name]:
            frame = cut[name]
            frame = frame[frame[column] < until].copy()
            for other in frame.columns:
                if pd.api.types.is_datetime64_any_dtype(frame[other]) and other != column:
                    if other in ("promised_at", "due_date", "expected_at"):
                        continue  # promises are known when made
                    frame.loc[frame[other] >= until, other] = pd.NaT
            cut[name] = frame
    if "order_lines" in cut and "orders" in cut:
        lines = cut["order_lines"]
        cut["order_lines"] = lines[isin(lines["order_id"], cut["orders"]["order_id"])]
    return cut


def calibrate_history(
    tables: dict[str, pd.DataFrame],
    *,
    name: str = "calibrated",
    description: str = "",
    timer: PhaseTimer | None = None,
) -> Calibration:
    """Fit a scenario base from canonical, quality-checked history tables.

    `timer` (optional) records the seconds of each fit step as phases ``fit: <step>``.
    """
    timer = timer or PhaseTimer()
    with timer.phase("fit: orders and products"):
        orders, lines = orders_with_lines(tables, "Calibration", "to fit")
        report = FitReport()
        notes: list[str] = []
        products, supplier_of = fit_products(tables, lines, report)
    sku_name = {sku: scenario_key(str(sku)) for sku in supplier_of}
    first_day, last_day = active_period(orders["ordered_at"])
    outside = int(
        (
            (orders["ordered_at"] < pd.Timestamp(first_day))
            | (orders["ordered_at"] >= pd.Timestamp(last_day) + DAY)
        ).sum()
    )
    if outside:
        notes.append(
            f"{outside} orders outside the active period {first_day}..{last_day} are "
            f"used for every fit except the arrival rates"
        )
    report.values.period = (first_day, last_day)
    with timer.phase("fit: segments"):
        segment = segments_of_orders(tables, orders, report)
        with_customer_base = customer_base_enabled()
        if with_customer_base:
            segment = split_anonymous(segment, orders, report)
    customer_files: dict[str, pd.DataFrame] = {}
    segment_of_order = pd.Series(segment.to_numpy(), index=orders["order_id"].to_numpy())
    with timer.phase("fit: line prices"):
        prices = fit_line_prices(lines, lines["order_id"].map(segment_of_order), report)

    invoices = tables.get("invoices")
    payments = tables.get("payments")
    with timer.phase("fit: handling"):
        waited = stock_waits(tables, orders)
    segments: dict[str, dict] = {}
    for seg_name, seg_orders in orders.groupby(segment, sort=True):
        seg_lines = lines[isin(lines["order_id"], seg_orders["order_id"])]
        with timer.phase("fit: arrivals"):
            fit, used = fit_segment_arrivals(
                seg_orders["ordered_at"],
                first_day,
                last_day,
                last_day + dt.timedelta(days=1),
                notes,
                seg_name,
                tables,
            )
        notes.extend(f"segment {seg_name}: {note}" for note in fit.notes)
        report.add(
            "arrivals",
            seg_name,
            fit.spec,
            len(used),
            "orders.ordered_at",
            False,
            f"Poisson GLM over {first_day}..{last_day}, "
            f"{len(fit.spec.get('trend_changes', []))} trend change(s), "
            f"{len(fit.spec.get('events', []))} event(s), dispersion {fit.dispersion:.2f}",
        )
        report_rate_noise(report, seg_name, fit, len(used))
        report.values.arrivals[seg_name] = used
        with timer.phase("fit: lines per order, quantity, SKU mix"):
            lines_per_order = seg_lines.groupby("order_id").size().to_numpy()
            quantities = np.rint(seg_lines["quantity"].to_numpy(dtype=float))
            quantities = quantities[quantities >= 1]
            weights = seg_lines.groupby("sku").size()
            spec: dict = {
                "customers": max(1, int(seg_orders["customer_id"].nunique())),
                "arrivals": fit.spec,
                "lines_per_order": report.fit(
                    "lines_per_order", seg_name, fitted_count(lines_per_order), "order_lines"
                ),
                "sku_mix": {
                    "kind": "weights",
                    "weights": {sku_name[s]: int(w) for s, w in weights.items()},
                },
                "quantity": report.fit(
                    "quantity", seg_name, fitted_count(quantities), "order_lines.quantity"
                ),
            }
        report.values.counts[seg_name] = [
            ("lines_per_order", lines_per_order, spec["lines_per_order"]),
            ("quantity", quantities, spec["quantity"]),
        ]
        promised = days(promised_lead_times(seg_orders))
        promised = promised[promised > 0]
        if promised.size:
            spec["promised_lead_time_days"] = round(float(np.median(promised)), 4)
            report.add(
                "promised_lead_time_days",
                seg_name,
                spec["promised_lead_time_days"],
                int(promised.size),
                "orders.promised_at",
                False,
                "median",
            )
        else:
            report.add(
                "promised_lead_time_days",
                seg_name,
                5.0,
                0,
                "orders.promised_at",
                True,
                "no promise dates: schema default 5 days",
            )
        with timer.phase("fit: transit"):
            spec["transit_days"] = fitted_duration(
                report,
                "transit_days",
                seg_name,
                days(seg_orders["delivered_at"] - seg_orders["shipped_at"]),
                "orders",
                1.0,
            )
        with timer.phase("fit: handling"):
            spec["handling_days"] = fit_handling(report, seg_name, seg_orders, waited)
        with timer.phase("fit: payment"):
            payment = fit_payment(report, seg_name, seg_orders, invoices, payments, last_day)
        if payment:
            spec["payment"] = payment
        if with_customer_base:
            with timer.phase("fit: customer base"):
                base, customers_of = fit_segment_customer_base(
                    seg_orders, (first_day, last_day), report, notes, seg_name, tables, fit.spec
                )
            if base is not None:
                spec["customer_base"] = base
                spec["customers"] = len(customers_of)
                customer_files[base["customers_file"]] = customers_of
        segments[seg_name] = spec

    with timer.phase("fit: supplier lead times"):
        suppliers = fit_supplier_lead_times(report, tables.get("purchase_orders"), supplier_of)
    with timer.phase("fit: cash"):
        cash = fit_cash_section(report, notes, tables.get("supplier_invoices"), suppliers)
    model = {
        "name": scenario_key(name),
        "description": description or f"Calibrated from history {first_day} to {last_day}.",
        "run": {
            "start_date": last_day + dt.timedelta(days=1),
            "horizon_days": 365,
            "warmup_days": 0,
            "replications": 10,
            "seed": 12345,
            # a forecast's band includes what the fits do not know; a pure policy comparison
            # may turn it off (run.parameter_uncertainty: false)
            "parameter_uncertainty": True,
        },
        "products": products,
        "suppliers": suppliers,
        "segments": segments,
    }
    with timer.phase("fit: stocking rules"):
        model["inventory"] = stocking_policies(
            report, tables, lines, orders, supplier_of, (first_day, last_day)
        )
    if cash is not None:  # supplier invoices in the history: their payment terms
        model["cash"] = cash
    customers = orders["customer_id"].notna()
    segment_of_customer = (
        pd.Series(segment[customers].to_numpy(), index=orders.loc[customers, "customer_id"])
        .groupby(level=0)
        .first()
    )
    with timer.phase("fit: behaviour"):
        behaviour = fit_behaviour(tables, segment_of_customer, report)
        stages = fit_stage_win_probabilities(tables.get("opportunities"), report)
        if stages:  # open deals' win probability by CRM stage, where the history tells it
            behaviour["pipeline"].update(plain(stages))
    return Calibration(
        model=model,
        report=report.frame(),
        notes=notes,
        values=report.values,
        behaviour=behaviour,
        prices=prices,
        customers=customer_files,
        segment_of_order=segment_of_order,
        segment_of_customer=_segment_of_customer(orders, segment),
    )


def _segment_of_customer(orders: pd.DataFrame, segment: pd.Series) -> pd.Series:
    """Each customer's model segment: the one most of its orders belong to (ties: by name)."""
    known = orders["customer_id"].notna().to_numpy()
    pairs = pd.DataFrame(
        {"customer": orders["customer_id"].to_numpy()[known], "segment": segment.to_numpy()[known]}
    )
    counts = pairs.value_counts().rename("n").reset_index()
    counts = counts.sort_values(["customer", "n", "segment"], ascending=[True, False, True])
    return counts.drop_duplicates("customer").set_index("customer")["segment"]
