"""The company's stock ledger and its TRUE open state at the end of the history.

:func:`stock_ledger` is the ERP's stock ledger of the run (``stock_moves.parquet``): an opening
count of every SKU at the start of the history, then every goods receipt, every goods issue per
order line (:func:`twin.calibration.synth_moves.shipped_pieces`) and every spare part issued to
a repair (a goods issue of no order line) up to the end. The opening count is physical stock,
units allocated to orders not yet shipped included (waiting for the order desk, a handling
delay, the warehouse or the rest of a ship-complete order), so the opening plus the movements
is the physical stock at any instant of the history. Shipments of warm-up orders (not in the
history) and of cancelled orders (the twin shipped them) are real goods issues and stay in the
ledger; returns were never restocked by the twin, so none appear.

:func:`true_state` is the open state at the end of the history (the start of the day after its
last day) in the folder format of :mod:`twin.scenario.initial_state`, from the run's own
tables: stock on hand is the run's free stock plus the units allocated but not yet shipped
(``method: reconstructed``, as the company's records give it: from the ledger's opening balance);
open purchase orders, the backlog and open invoices come from the run's purchases, lines and
invoices. The company's records decide what the ERP would call open: an order its staff
cancelled or its credit desk rejected is nobody's backlog and has no invoice, as in the export;
an order the credit desk still holds is open, its lines backlog. Times are the ERP's,
stamped to the second (dates where the export holds dates only), so an event counts as
happened when its stamp lies before the as-of instant. The true ``expected_at`` of an open PO
is the day it actually arrives. Payables, opportunities and tickets are empty here;
:mod:`twin.calibration.synth_levers` gives them for a company with those levers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from twin.calibration.open_state.customers import customer_summaries
from twin.calibration.open_state.frames import floats, ids, stamps, table

SECOND = 86400.0  # seconds per day


def seconds(days: np.ndarray) -> np.ndarray:
    """Days since the run start as whole seconds, as the export stamps them."""
    return np.round(np.asarray(days, dtype=float) * SECOND)


def _stamp(start: pd.Timestamp, days: np.ndarray) -> pd.Series:
    return pd.Series(start + pd.to_timedelta(seconds(days), unit="s"))


def po_numbers(purchases: pd.DataFrame, warmup: float) -> pd.Series:
    """The export's PO number of each purchase placed in the history (as ``purchase_orders.csv``
    numbers them), indexed like `purchases`."""
    placed = purchases[purchases["t_order"] >= warmup]
    placed = placed.sort_values(["t_order", "sku"], kind="stable")
    return pd.Series(
        np.char.add("PO", (np.arange(len(placed)) + 700_001).astype(str)), index=placed.index
    )


def stock_ledger(
    skus: Sequence[str],
    purchases: pd.DataFrame,
    pieces: pd.DataFrame,
    lines: pd.DataFrame,
    initial_on_hand: Sequence[int],
    start: pd.Timestamp,
    warmup: float,
    horizon: float,
    spare_issues: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The export's ``stock_moves.parquet`` (see the module docstring).

    `lines` are the booked lines with the export's ``line_no``; `pieces` the shipped pieces of
    :func:`~twin.calibration.synth_moves.shipped_pieces` (``line`` indexes `lines`);
    `spare_issues` the run's issues of spare parts (``t, sku, units``), after-sales only.
    """
    w = round(warmup * SECOND)
    received = purchases[purchases["t_receipt"] <= horizon]
    r_sec = seconds(received["t_receipt"].to_numpy())
    shipped = pieces[pieces["t_shipped"].notna()]
    s_sec = seconds(shipped["t_shipped"].to_numpy())
    n = len(skus)
    opening = np.asarray(initial_on_hand, dtype=np.int64).copy()
    early = r_sec < w
    np.add.at(opening, received["sku"].to_numpy()[early], received["quantity"].to_numpy()[early])
    gone = s_sec < w
    np.subtract.at(opening, shipped["sku"].to_numpy()[gone], shipped["units"].to_numpy()[gone])
    numbers = po_numbers(purchases, warmup)
    late_r, late_s = received[~early], shipped[~gone]
    line_of = late_s["line"].to_numpy()
    parts = [
        pd.DataFrame(
            {
                "sec": np.full(n, float(w)),
                "kind": 0,
                "sku": np.arange(n),
                "qty": opening,
                "order": pd.array([pd.NA] * n, dtype="Int64"),
                "item": pd.array([pd.NA] * n, dtype="Int64"),
                "po": pd.Series([None] * n, dtype=object),
            }
        ),
        pd.DataFrame(
            {
                "sec": r_sec[~early],
                "kind": 1,
                "sku": late_r["sku"].to_numpy(),
                "qty": late_r["quantity"].to_numpy(dtype=np.int64),
                "order": pd.array([pd.NA] * len(late_r), dtype="Int64"),
                "item": pd.array([pd.NA] * len(late_r), dtype="Int64"),
                "po": numbers.reindex(late_r.index).to_numpy(dtype=object),
            }
        ),
        pd.DataFrame(
            {
                "sec": s_sec[~gone],
                "kind": 2,
                "sku": late_s["sku"].to_numpy(),
                "qty": -late_s["units"].to_numpy(dtype=np.int64),
                "order": pd.array(lines["order_id"].to_numpy()[line_of] + 4_000_000, dtype="Int64"),
                "item": pd.array(lines["line_no"].to_numpy()[line_of], dtype="Int64"),
                "po": pd.Series([None] * len(late_s), dtype=object),
            }
        ),
    ]
    if spare_issues is not None:
        # a spare part issued to a repair is a goods issue of no order line
        issues = spare_issues[spare_issues["t"] <= horizon]
        i_sec = seconds(issues["t"].to_numpy())
        np.subtract.at(
            opening, issues["sku"].to_numpy()[i_sec < w], issues["units"].to_numpy()[i_sec < w]
        )
        late_i = issues[i_sec >= w]
        parts[0]["qty"] = opening
        parts.append(
            pd.DataFrame(
                {
                    "sec": i_sec[i_sec >= w],
                    "kind": 2,
                    "sku": late_i["sku"].to_numpy(),
                    "qty": -late_i["units"].to_numpy(dtype=np.int64),
                    "order": pd.array([pd.NA] * len(late_i), dtype="Int64"),
                    "item": pd.array([pd.NA] * len(late_i), dtype="Int64"),
                    "po": pd.Series([None] * len(late_i), dtype=object),
                }
            )
        )
    moves = pd.concat(parts, ignore_index=True).sort_values(["sec", "kind"], kind="stable")
    moves = moves.reset_index(drop=True)
    return pd.DataFrame(
        {
            "MoveNo": np.arange(len(moves), dtype=np.int64) + 9_000_001,  # delta-coded
            "MoveDate": (start + pd.to_timedelta(moves["sec"], unit="s")).astype("datetime64[s]"),
            "MoveType": np.asarray(["OPEN", "GR", "GI"], dtype=object)[moves["kind"]],
            "Material": np.asarray(skus, dtype=object)[moves["sku"].to_numpy()],
            "Qty": moves["qty"].to_numpy(dtype=np.int64),
            "SalesOrder": moves["order"].array,
            "Item": moves["item"].array,
            "PONumber": moves["po"].to_numpy(dtype=object),
        }
    )


def true_state(
    context: dict,
    pieces: pd.DataFrame,
    lines: pd.DataFrame,
    final_on_hand: Sequence[int],
    cancelled: np.ndarray,
) -> dict[str, pd.DataFrame]:
    """The open state at the end of the history (see the module docstring).

    `context` holds the run's ``start`` (timestamp), ``warmup`` and ``horizon`` (days),
    ``skus``, ``prices``, ``suppliers`` (per SKU number), ``segments`` (names), ``customer_ids``
    (a function of segment and customer numbers) and the run's ``tables``; `lines` the booked
    lines with the export's ``line_no``; `cancelled` the model order ids the export cancels.
    """
    start, warmup, horizon = context["start"], context["warmup"], context["horizon"]
    h = round(horizon * SECOND)
    as_of = start + pd.Timedelta(seconds=h)
    skus = np.asarray(context["skus"], dtype=object)
    segments = np.asarray(context["segments"], dtype=object)
    tables = context["tables"]
    customer_ids = context["customer_ids"]
    shipped_by = pd.Series(pieces["t_shipped"].to_numpy(dtype=float))
    done = (seconds(shipped_by.fillna(np.inf).to_numpy()) < h) & shipped_by.notna().to_numpy()

    # stock: the run's free units plus those allocated and not yet shipped
    waiting = np.zeros(len(skus), dtype=np.int64)
    np.add.at(waiting, pieces["sku"].to_numpy()[~done], pieces["units"].to_numpy()[~done])
    stock = table(
        "stock",
        {
            "sku": ids(skus),
            "location": ids([""] * len(skus)),
            "on_hand": floats(np.asarray(final_on_hand, dtype=float) + waiting),
            "method": ids(["reconstructed"] * len(skus)),
        },
    )

    # purchase orders placed in the history and not received by the as-of instant
    purchases = tables["purchases"]
    numbers = po_numbers(purchases, warmup)
    placed = purchases.loc[numbers.index]
    t_receipt = placed["t_receipt"].to_numpy(dtype=float)
    arrived = (t_receipt <= horizon) & (seconds(t_receipt) < h)
    open_po = placed[~arrived]
    quantity = open_po["quantity"].to_numpy(dtype=float)
    suppliers = np.asarray(context["suppliers"], dtype=object)
    purchase_orders = table(
        "purchase_orders",
        {
            "po_id": ids(numbers[~arrived]),
            "sku": ids(skus[open_po["sku"].to_numpy()]),
            "supplier_id": ids(suppliers[open_po["sku"].to_numpy()]),
            "ordered_at": stamps(_stamp(start, open_po["t_order"].to_numpy()).dt.floor("D")),
            "quantity_ordered": floats(quantity),
            "quantity_received": floats(np.zeros(len(open_po))),
            "quantity_open": floats(quantity),
            "expected_at": stamps(_stamp(start, open_po["t_receipt"].to_numpy())),
            "expected_source": ids(["erp"] * len(open_po)),
        },
    )

    # the backlog: lines of the history's orders, not cancelled, not shipped in full
    orders = tables["orders"].set_index("order_id", drop=False)
    in_history = orders[(orders["t_arrival"] >= warmup) & (orders["t_arrival"] < horizon)]
    in_history = in_history[~in_history["order_id"].isin(cancelled)]
    shipped = np.zeros(len(lines), dtype=np.int64)
    np.add.at(shipped, pieces["line"].to_numpy()[done], pieces["units"].to_numpy()[done])
    left = lines["quantity"].to_numpy(dtype=np.int64) - shipped
    mine = lines[(left > 0) & lines["order_id"].isin(in_history["order_id"]).to_numpy()]
    order = in_history.loc[mine["order_id"]]
    segment_no = order["segment"].to_numpy()
    backlog = table(
        "backlog",
        {
            "order_id": ids((mine["order_id"].to_numpy() + 4_000_000).astype(str)),
            "line_no": pd.Series(mine["line_no"].to_numpy(dtype="int64")),
            "customer_id": ids(customer_ids(segment_no, order["customer"].to_numpy())),
            "segment": ids(segments[segment_no]),
            "sku": ids(skus[mine["sku"].to_numpy()]),
            "quantity_open": floats(left[mine.index.to_numpy()]),
            "unit_price": floats(np.asarray(context["prices"])[mine["sku"].to_numpy()]),
            "ordered_at": stamps(_stamp(start, order["t_arrival"].to_numpy())),
            "promised_at": stamps(_stamp(start, order["t_promised"].to_numpy()).dt.floor("D")),
        },
    )

    # invoices of the history's orders (as the export numbers them), not settled by the as-of
    invoices = tables["invoices"]
    invoices = invoices[invoices["order_id"].isin(in_history["order_id"])]
    invoices = invoices.sort_values(["t_invoice", "order_id"], kind="stable")
    invoices = invoices.reset_index(drop=True)
    number = np.char.add("INV", (np.arange(len(invoices)) + 2_500_001).astype(str))
    t_settled = invoices["t_settled"].to_numpy(dtype=float)
    settled = t_settled <= horizon
    written_off = invoices["written_off"].to_numpy(dtype=bool) & settled
    paid_before = settled & ~written_off & (seconds(np.where(settled, t_settled, 0.0)) < h)
    owed = ~(written_off | paid_before)
    payer = customer_ids(invoices["segment"].to_numpy(), invoices["customer"].to_numpy())
    issued = _stamp(start, invoices["t_invoice"].to_numpy()).dt.floor("D")
    amount = invoices["amount"].round(2).to_numpy(dtype=float)
    open_inv = invoices[owed]
    receivables = table(
        "receivables",
        {
            "invoice_id": ids(number[owed]),
            "order_id": ids((open_inv["order_id"].to_numpy() + 4_000_000).astype(str)),
            "customer_id": ids(payer[owed]),
            "segment": ids(segments[open_inv["segment"].to_numpy()]),
            "amount_open": floats(amount[owed]),
            "issued_at": stamps(issued[owed]),
            "due_date": stamps(_stamp(start, open_inv["t_due"].to_numpy()).dt.floor("D")),
        },
    )

    # every customer's history, by the same definition as the reconstruction's
    history_orders = pd.DataFrame(
        {
            "order_id": (in_history["order_id"].to_numpy() + 4_000_000).astype(str),
            "customer_id": customer_ids(
                in_history["segment"].to_numpy(), in_history["customer"].to_numpy()
            ),
            "ordered_at": _stamp(start, in_history["t_arrival"].to_numpy()).to_numpy(),
            "status": "placed",
            "channel": segments[in_history["segment"].to_numpy()],
        }
    )
    billed = pd.DataFrame({"customer_id": payer, "issued_at": issued, "amount": amount})
    no_lines = pd.DataFrame({"order_id": [], "quantity": [], "unit_price": []})
    customers = customer_summaries(history_orders, no_lines, billed, receivables, None, as_of)
    empty = {
        "payables": {
            "bill_id": [],
            "supplier_id": [],
            "po_id": [],
            "amount_open": [],
            "issued_at": [],
            "due_date": [],
        },
        "opportunities": {
            "opportunity_id": [],
            "account_id": [],
            "stage": [],
            "created_at": [],
            "amount": [],
        },
        "tickets": {"ticket_id": [], "customer_id": [], "order_id": [], "opened_at": []},
    }
    out = {
        "stock": stock,
        "purchase_orders": purchase_orders,
        "backlog": backlog,
        "receivables": receivables,
    }
    for name, columns in empty.items():
        out[name] = table(
            name,
            {
                c: stamps([])
                if c.endswith("_at") or c == "due_date"
                else floats([])
                if c in ("amount_open", "amount")
                else ids([])
                for c in columns
            },
        )
    out["customers"] = customers
    return {
        name: out[name]
        for name in (
            "stock",
            "purchase_orders",
            "backlog",
            "receivables",
            "payables",
            "opportunities",
            "tickets",
            "customers",
        )
    }
