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
- segments: the customers table's ``segment`` (orders of unknown customers form ``unassigned``).
  Segments with fewer than ``MIN_SEGMENT_ORDERS`` orders are pooled into ``other``. Per segment:
  the Poisson arrival model (rate, weekday and month multipliers, linear trend), lines per order
  and units per line (counts), SKU mix (weights by lines), promised lead time (median of
  promised - ordered, by date for date-only promises), transit time (delivered - shipped)
  and payment delay (paid - issued).
- suppliers: lead time (received - ordered) of purchase orders, per supplier, pooled when small.
- handling time per segment (first shipment - order, waits for stock left out) and a stocking
  rule per supplier from purchase orders and stock snapshots: see :func:`fit_handling` and
  :func:`stocking_policies`.
Staffing and costs are a planner's levers, not history: the base carries stated defaults for
them (flagged ``defaulted`` in the report) and scenarios override them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from twin.calibration.arrivals import fit_poisson_arrivals, retail_events
from twin.calibration.behaviour import fit_behaviour
from twin.calibration.fit_report import (
    DAY,
    MIN_FIT_VALUES,
    FitReport,
    FittedValues,
    chosen_statistics,
    days,
)
from twin.calibration.fitting.continuous import fit_continuous
from twin.calibration.fitting.counts import fit_count
from twin.calibration.fitting.result import FitResult
from twin.calibration.stocking import stocking_policies
from twin.errors import InputError

MIN_SEGMENT_ORDERS = 200
EMPIRICAL_VALUES = 200  # quantiles kept when a duration falls back to its empirical distribution
DEFAULT_COST_RATIO = 0.7
DEFAULT_SUPPLIER = "default-supplier"
UNASSIGNED = "unassigned"
POOLED_SEGMENT = "other"


@dataclass
class Calibration:
    """A fitted scenario base, the record of how each part was obtained, and the data it used.

    ``behaviour`` holds the customer-behaviour fits (:mod:`twin.calibration.behaviour`) that the
    scenario base does not carry: price and promotion response, pipeline, after-sales,
    satisfaction and the customer loop, written as ``behaviour.yaml``.
    """

    model: dict
    report: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    values: FittedValues = field(default_factory=FittedValues)
    behaviour: dict = field(default_factory=dict)


def _durations(
    report: FitReport,
    quantity: str,
    group: str,
    values: np.ndarray,
    source: str,
    default: float,
    note: str = "",
) -> object:
    """A fitted non-negative duration (days), or the stated default when data are too few.

    `note` says what the values are, in the report row after the fit's own reason.
    """
    values = values[values >= 0]
    if values.size >= MIN_FIT_VALUES:
        result = fit_continuous(values, max_empirical_values=EMPIRICAL_VALUES)
        aic, gof_p = chosen_statistics(result)
        reason = f"{result.reason}; {note}" if note else result.reason
        report.add(quantity, group, result.dist, result.n, source, False, reason, aic, gof_p)
        report.values.durations.append((quantity, group, values, result.dist))
        return result.dist
    report.values.durations.append((quantity, group, values, default))
    reason = f"fewer than {MIN_FIT_VALUES} values; default {default:g} days"
    report.add(
        quantity,
        group,
        default,
        int(values.size),
        source,
        True,
        f"{reason}; {note}" if note else reason,
    )
    return default


def _counts(values: np.ndarray) -> FitResult:
    """A count fit, or with too few values their empirical distribution (said in the reason)."""
    if values.size >= MIN_FIT_VALUES:
        return fit_count(values)
    kept = values if values.size else np.array([1.0])
    return FitResult(
        dist={"dist": "empirical", "values": [float(v) for v in kept]},
        table=pd.DataFrame({"chosen": [True], "aic": [np.nan], "gof_p": [np.nan]}),
        n=int(values.size),
        reason=f"fewer than {MIN_FIT_VALUES} values: their empirical distribution",
    )


def _ordered_lines(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    lines = tables["order_lines"]
    return lines[(lines["status"] == "ordered") & (lines["quantity"] > 0)]


def _products(
    tables: dict[str, pd.DataFrame], lines: pd.DataFrame, report: FitReport
) -> tuple[list[dict], dict[str, str]]:
    popularity = lines.groupby("sku").size().sort_values(ascending=False, kind="stable")
    price = lines.groupby("sku")["unit_price"].median()
    catalogue = tables.get("products")
    info = catalogue.set_index("sku") if catalogue is not None and len(catalogue) else None
    po = tables.get("purchase_orders")
    po_cost = (
        po.groupby("sku")["unit_cost"].median()
        if po is not None and len(po) and po["unit_cost"].notna().any()
        else None
    )
    products, defaulted_cost, suppliers = [], 0, {}
    for sku in popularity.index:
        p = float(price.get(sku, np.nan))
        row = info.loc[sku] if info is not None and sku in info.index else None
        if not np.isfinite(p) or p <= 0:
            p = float(row["list_price"]) if row is not None and pd.notna(row["list_price"]) else 0.0
        cost = np.nan
        if row is not None and pd.notna(row.get("unit_cost")):
            cost = float(row["unit_cost"])
        elif po_cost is not None and pd.notna(po_cost.get(sku, np.nan)):
            cost = float(po_cost[sku])
        if not np.isfinite(cost):
            cost = round(DEFAULT_COST_RATIO * p, 4)
            defaulted_cost += 1
        supplier = DEFAULT_SUPPLIER
        if row is not None and pd.notna(row.get("supplier_id")):
            supplier = _name(str(row["supplier_id"]))
        suppliers[str(sku)] = supplier
        product = {
            "sku": _name(str(sku)),
            "unit_cost": round(cost, 4),
            "price": round(p, 4),
            "supplier": supplier,
        }
        if row is not None and pd.notna(row.get("category")):
            product["category"] = _name(str(row["category"]))
        products.append(product)
    report.add(
        "products",
        "all",
        len(products),
        len(lines),
        "order_lines",
        False,
        "SKUs with ordered lines, in popularity order; price = median unit price",
    )
    if defaulted_cost:
        report.add(
            "unit_cost",
            "all",
            DEFAULT_COST_RATIO,
            defaulted_cost,
            "products",
            True,
            f"{defaulted_cost} SKUs without a known cost: cost = {DEFAULT_COST_RATIO} x price",
        )
    return products, suppliers


def _name(text: str) -> str:
    """A key the scenario schema accepts: letters, digits and ``_.-``, starting with one."""
    cleaned = "".join(c if c.isalnum() or c in "_.-" else "_" for c in text.strip())
    if not cleaned or not cleaned[0].isalnum():
        cleaned = "x" + cleaned
    return cleaned[:80]


def _segments_of_orders(
    tables: dict[str, pd.DataFrame], orders: pd.DataFrame, report: FitReport
) -> pd.Series:
    customers = tables.get("customers")
    if customers is not None and len(customers) and customers["segment"].notna().any():
        segment_of = customers.set_index("customer_id")["segment"]
        segments = orders["customer_id"].map(segment_of).fillna(UNASSIGNED).astype(str)
    else:
        segments = pd.Series("all", index=orders.index)
        report.add(
            "segments",
            "all",
            1,
            len(orders),
            "orders",
            True,
            "no customer segments in the history: one segment",
        )
    sizes = segments.value_counts()
    small = sizes[sizes < MIN_SEGMENT_ORDERS].index
    if len(small) and len(small) < len(sizes):
        segments = segments.where(~segments.isin(small), POOLED_SEGMENT)
        report.add(
            "segments",
            POOLED_SEGMENT,
            len(small),
            int(sizes[small].sum()),
            "orders",
            False,
            f"segments with fewer than {MIN_SEGMENT_ORDERS} orders pooled: "
            + ", ".join(map(str, small[:10])),
        )
    return segments.map(_name)


def active_period(timestamps: pd.Series) -> tuple[dt.date, dt.date]:
    """First and last day of the longest run of whole months with substantive volume.

    Extracts often begin and end with a few stray orders (olist: one order in its first month,
    none in the next two); fitting a rate over those months would bias it. An edge month is
    taken as partly extracted, and left out, when its first (last) order falls after the 3rd
    (before the 3rd-last) day of that month; inside, a month counts when it has at least a tenth
    of the median month. Growth or seasonality never trims a month that is wholly covered.
    """
    times = timestamps.dropna()
    months = times.dt.to_period("M")
    counts = months.value_counts().sort_index()
    full = pd.period_range(counts.index.min(), counts.index.max(), freq="M")
    counts = counts.reindex(full, fill_value=0)
    first, last = times.min(), times.max()
    if len(counts) > 1 and first.day > 3:
        counts = counts.iloc[1:]
    if len(counts) > 1 and last.day < last.days_in_month - 2:
        counts = counts.iloc[:-1]
    good = counts >= 0.1 * counts.median()
    run: list = []
    best_run: list = []
    for month, ok in good.items():
        run = [*run, month] if ok else []
        if len(run) > len(best_run):
            best_run = run
    best = best_run or list(counts.index)
    return best[0].start_time.date(), best[-1].end_time.date()


def _history_country(tables: dict[str, pd.DataFrame]) -> tuple[str | None, str]:
    """The most common ``orders.country``, else ``customers.country``, and where it came from."""
    for table in ("orders", "customers"):
        frame = tables.get(table)
        if frame is not None and "country" in frame:
            values = frame["country"].dropna().astype(str).str.strip().str.upper()
            values = values[values != ""]
            if not values.empty:
                return str(values.value_counts().index[0]), f"{table}.country"
    return None, ""


def _fit_arrivals(
    times: pd.Series,
    start: dt.date,
    end: dt.date,
    reference: dt.date,
    notes: list[str],
    segment: str,
    tables: dict[str, pd.DataFrame] | None = None,
):
    """Fit a segment's arrivals with trend changepoints, retail events and public holidays.

    The public holidays are those of the most common country of the orders (else customers);
    with no country column there are none, only the retail events.
    """
    import holidays

    inside = times[(times >= pd.Timestamp(start)) & (times < pd.Timestamp(end) + DAY)]
    country, source = _history_country(tables or {})
    if country is not None and country not in holidays.list_supported_countries():
        notes.append(
            f"segment {segment}: no public holidays are known for country {country!r} "
            f"(most common {source}); only retail events are fitted"
        )
        country = None
    events = retail_events(country)
    common = {
        "start": start,
        "end": end,
        "reference_date": reference,
        "events": events,
        "min_month_years": 2,
    }
    try:
        try:
            fit = fit_poisson_arrivals(inside, changepoints=True, **common)
        except (RuntimeError, ValueError) as exc:
            # a trend that does not converge, or one so steep that the rate would fall to 0
            # within a year (a short history of a shrinking segment), is not forecast
            reason = " ".join(str(exc).split()[:24])
            notes.append(
                f"segment {segment}: the trend could not be fitted ({reason}); fitted without one"
            )
            fit = fit_poisson_arrivals(inside, fit_trend=False, **common)
    except (ValueError, RuntimeError) as exc:
        raise InputError(
            f"Segment {segment!r} has too little order history to fit arrivals "
            f"({len(inside)} orders between {start} and {end}): {exc}"
        ) from None
    if country is not None:
        notes.append(f"segment {segment}: public holidays of {country} (most common {source})")
    return fit, inside


# the event that dates a row of each table, for cutting the history at a date
_DATED_BY = {
    "orders": "ordered_at",
    "invoices": "issued_at",
    "payments": "paid_at",
    "purchase_orders": "ordered_at",
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
        cut["order_lines"] = lines[lines["order_id"].isin(cut["orders"]["order_id"])]
    return cut


def calibrate_history(
    tables: dict[str, pd.DataFrame], *, name: str = "calibrated", description: str = ""
) -> Calibration:
    """Fit a scenario base from canonical, quality-checked history tables."""
    for required in ("orders", "order_lines"):
        if required not in tables or tables[required].empty:
            raise InputError(f"Calibration needs the '{required}' table with rows; none was given")
    report = FitReport()
    notes: list[str] = []
    orders = tables["orders"]
    orders = orders[orders["status"] != "cancelled"]
    lines = _ordered_lines(tables)
    lines = lines[lines["order_id"].isin(orders["order_id"])]
    orders = orders[orders["order_id"].isin(lines["order_id"])]
    if orders.empty:
        raise InputError("Calibration found no orders with ordered lines to fit")
    products, supplier_of = _products(tables, lines, report)
    sku_name = {sku: _name(str(sku)) for sku in supplier_of}
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
    segment = _segments_of_orders(tables, orders, report)

    invoices = tables.get("invoices")
    payments = tables.get("payments")
    waited = stock_waits(tables, orders)
    segments: dict[str, dict] = {}
    for seg_name, seg_orders in orders.groupby(segment, sort=True):
        seg_lines = lines[lines["order_id"].isin(seg_orders["order_id"])]
        fit, used = _fit_arrivals(
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
        report.values.arrivals[seg_name] = used
        lines_per_order = seg_lines.groupby("order_id").size().to_numpy()
        quantities = np.rint(seg_lines["quantity"].to_numpy(dtype=float))
        quantities = quantities[quantities >= 1]
        weights = seg_lines.groupby("sku").size()
        spec: dict = {
            "customers": max(1, int(seg_orders["customer_id"].nunique())),
            "arrivals": fit.spec,
            "lines_per_order": report.fit(
                "lines_per_order", seg_name, _counts(lines_per_order), "order_lines"
            ),
            "sku_mix": {
                "kind": "weights",
                "weights": {sku_name[s]: int(w) for s, w in weights.items()},
            },
            "quantity": report.fit(
                "quantity", seg_name, _counts(quantities), "order_lines.quantity"
            ),
        }
        report.values.counts[seg_name] = [
            ("lines_per_order", lines_per_order, spec["lines_per_order"]),
            ("quantity", quantities, spec["quantity"]),
        ]
        promised = days(_promise(seg_orders))
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
        spec["transit_days"] = _durations(
            report,
            "transit_days",
            seg_name,
            days(seg_orders["delivered_at"] - seg_orders["shipped_at"]),
            "orders",
            1.0,
        )
        spec["handling_days"] = fit_handling(report, seg_name, seg_orders, waited)
        payment = _payment(report, seg_name, seg_orders, invoices, payments, last_day)
        if payment:
            spec["payment"] = payment
        segments[seg_name] = spec

    suppliers = _suppliers(report, tables.get("purchase_orders"), supplier_of)
    model = {
        "name": _name(name),
        "description": description or f"Calibrated from history {first_day} to {last_day}.",
        "run": {
            "start_date": last_day + dt.timedelta(days=1),
            "horizon_days": 365,
            "warmup_days": 0,
            "replications": 10,
            "seed": 12345,
        },
        "products": products,
        "suppliers": suppliers,
        "segments": segments,
        "inventory": stocking_policies(
            report, tables, lines, orders, supplier_of, (first_day, last_day)
        ),
    }
    customers = orders["customer_id"].notna()
    segment_of_customer = (
        pd.Series(segment[customers].to_numpy(), index=orders.loc[customers, "customer_id"])
        .groupby(level=0)
        .first()
    )
    behaviour = fit_behaviour(tables, segment_of_customer, report)
    return Calibration(
        model=model,
        report=report.frame(),
        notes=notes,
        values=report.values,
        behaviour=behaviour,
    )


def _promise(orders: pd.DataFrame) -> pd.Series:
    """Promised lead time per order. A date-only promise (every time 00:00) is compared by date,
    as ERPs mean it: promised on day D for an order of day O is a promise of D - O days."""
    promised = orders["promised_at"].dropna()
    if len(promised) and (promised == promised.dt.normalize()).all():
        return orders["promised_at"] - orders["ordered_at"].dt.normalize()
    return orders["promised_at"] - orders["ordered_at"]


def _payment(
    report: FitReport,
    segment: str,
    orders: pd.DataFrame,
    invoices: pd.DataFrame | None,
    payments: pd.DataFrame | None,
    last_day: dt.date,
) -> dict:
    if invoices is None or payments is None or invoices.empty:
        report.add(
            "payment",
            segment,
            "schema defaults",
            0,
            "invoices",
            True,
            "no invoices and payments in the history",
        )
        return {}
    mine = invoices[invoices["order_id"].isin(orders["order_id"])]
    paid = payments.dropna(subset=["invoice_id", "paid_at"]).groupby("invoice_id")["paid_at"].max()
    settled = mine["invoice_id"].map(paid)
    delay = days(settled - mine["issued_at"])
    payment: dict = {
        "delay_days": _durations(
            report, "payment.delay_days", segment, delay, "invoices+payments", 30.0
        )
    }
    terms = days(mine["due_date"] - mine["issued_at"])
    if terms.size:
        payment["terms_days"] = round(float(np.median(terms)), 4)
    # an invoice still unpaid long after its issue is taken as a default
    horizon = pd.Timestamp(last_day) - pd.Timedelta(days=180)
    old = mine[mine["issued_at"] <= horizon]
    if len(old):
        unpaid = old["invoice_id"].map(paid).isna()
        payment["default_probability"] = round(float(unpaid.mean()), 6)
        report.add(
            "payment.default_probability",
            segment,
            payment["default_probability"],
            len(old),
            "invoices+payments",
            False,
            "share of invoices older than 180 days never paid",
        )
    return payment


def _suppliers(
    report: FitReport, purchase_orders: pd.DataFrame | None, supplier_of: dict[str, str]
) -> dict:
    names = sorted(set(supplier_of.values()))
    suppliers = {}
    po = purchase_orders if purchase_orders is not None else pd.DataFrame()
    for supplier in names:
        if len(po):
            skus = [s for s, sup in supplier_of.items() if sup == supplier]
            mine = po[po["sku"].isin(skus)]
            lead = days(mine["received_at"] - mine["ordered_at"])
        else:
            lead = np.array([])
        suppliers[supplier] = {
            "lead_time_days": _durations(
                report, "lead_time_days", supplier, lead, "purchase_orders", 7.0
            )
        }
    return suppliers


# --------------------------------------------------------------------------- dispatch and stocking


def stock_waits(tables: dict[str, pd.DataFrame], orders: pd.DataFrame) -> pd.Index | None:
    """Orders whose first shipment may have waited for stock, or None when not identifiable.

    An order is taken to have waited when, for every one of its ordered SKUs, a purchase order of
    that SKU was received after the order was placed and no later than its first shipment: under
    ship-partial (the calibrated base's mode) the first shipment leaves with whatever is on hand,
    so it waits for stock only when no line could be filled. Needs purchase orders with receipt
    dates; without them the ship delays cannot be told apart from waits for stock.
    """
    po = tables.get("purchase_orders")
    if po is None or po.empty or po["received_at"].notna().sum() == 0:
        return None
    lines = _ordered_lines(tables)[["order_id", "sku"]].drop_duplicates()
    dated = orders.dropna(subset=["shipped_at"])[["order_id", "ordered_at", "shipped_at"]]
    pairs = lines.merge(dated, on="order_id").sort_values("ordered_at", kind="stable")
    receipts = po.dropna(subset=["received_at"])[["sku", "received_at"]]
    receipts = receipts.sort_values("received_at", kind="stable")
    pairs = pairs[pairs["sku"].isin(receipts["sku"])]
    if pairs.empty:
        return pd.Index([], name="order_id")
    # the first receipt of the SKU strictly after the order was placed
    matched = pd.merge_asof(
        pairs,
        receipts,
        left_on="ordered_at",
        right_on="received_at",
        by="sku",
        direction="forward",
        allow_exact_matches=False,
    )
    matched["waited"] = matched["received_at"] <= matched["shipped_at"]
    line_count = lines[lines["order_id"].isin(dated["order_id"])].groupby("order_id").size()
    waited = matched[matched["waited"]].groupby("order_id").size()
    every = waited[waited == line_count.reindex(waited.index)]
    return pd.Index(every.index, name="order_id")


def fit_handling(
    report: FitReport, segment: str, orders: pd.DataFrame, waited: pd.Index | None
) -> object:
    """The segment's handling time (``handling_days``): first shipment - order placed.

    The history's ship delay is everything between the order and its first shipment: approval
    (not fitted separately: the model has one delay for it), picking, packing and the dispatch
    cadence, and, for some orders, waiting for stock. The model adds stock waits of its own, so
    the orders :func:`stock_waits` finds waiting are left out of the fit; without purchase
    orders they cannot be found and the fit includes them (said in the report). A date-only
    ship date is compared by date, as promises are. Fewer than ``MIN_FIT_VALUES`` values: no
    handling delay (0 days).
    """
    shipped = orders["shipped_at"].dropna()
    start = orders["ordered_at"]
    if len(shipped) and (shipped == shipped.dt.normalize()).all():
        start = start.dt.normalize()
    kept = orders
    if waited is not None:
        kept = orders[~orders["order_id"].isin(waited)]
    delay = days(kept["shipped_at"] - start.loc[kept.index])
    left_out = len(orders) - len(kept)
    if waited is None:
        extra = (
            "first shipment - order; no purchase-order receipts, so ship delays that waited "
            "for stock are included"
        )
    else:
        extra = (
            f"first shipment - order; {left_out} orders whose every SKU was received between "
            "order and shipment left out as waits for stock"
        )
    return _durations(report, "handling_days", segment, delay, "orders.shipped_at", 0.0, extra)
