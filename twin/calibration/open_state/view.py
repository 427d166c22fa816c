"""Which history rows the open state reads: the used rows, and those quarantined only because a
master row they refer to is missing.

The quality step quarantines an order of a customer missing from the customer master
(``unknown_customer``), the lines and invoices of such an order (``orphan_order``) and the
payments of such an invoice (``unknown_invoice``, or ``orphan_order`` and ``unknown_customer``
when the payment names the order and customer too): right for the fits, which need a segment, but
the order was still placed, its goods still left the warehouse and its invoice is still owed. The
state therefore takes those rows back when the row they refer to is in its view, a stock
movement whatever order it names (a goods issue happened even when the extract lacks its order)
and a ticket whatever order or customer it names (it is open all the same).
At an as-of date before the history's end (a past date) the quality step also quarantines, as
``future_date``, what was still open at that date and closed after it: an order shipped, a
purchase order received, a ticket closed after the date. Such a row whose opening event (order
date, ticket opened) lies before the as-of date is in the state, unless the quality rules after
the future-date one, run again on it without a future, quarantine it (then the row's reason is
that one, and it is taken back as any row of that reason); the state's tables cut it at the
as-of date themselves.
Rows are the mapped rows, with their original timestamps (the quality step blanks a timestamp
that breaks a chain, which the state's own checks report instead), indexed by their position in
the input table, so a reported row can name its file and row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.calibration.quality_rules import Verdict, generic_rules, isin, sign_rules

# table -> (reasons taken back, the table the reason's key refers to, the key column)
_RESTORED: dict[str, tuple[tuple[str, ...], str | None, str | None]] = {
    "orders": (("unknown_customer",), None, None),
    "invoices": (("unknown_customer", "orphan_order"), "orders", "order_id"),
    "order_lines": (("orphan_order",), "orders", "order_id"),
    # a payment naming its order and customer (as Odoo's do) is quarantined for them first
    "payments": (("unknown_invoice", "orphan_order", "unknown_customer"), "invoices", "invoice_id"),
    "stock_moves": (("orphan_order",), None, None),
    # a ticket is open whatever order or customer it names (the extract may start after both)
    "tickets": (("orphan_order", "unknown_customer"), None, None),
    # an open deal of an account missing from the used accounts is still open (the run puts it
    # in the busiest pipeline segment and counts it)
    "opportunities": (("unknown_account",), None, None),
}


#: table -> the timestamp that opens its item: an item opened before the as-of date and closed
#: after it (a future date at a past as-of date) was open at that date
_OPENED = {"orders": "ordered_at", "purchase_orders": "ordered_at", "tickets": "opened_at"}
FUTURE = "future_date"


def state_view(
    mapped: dict[str, pd.DataFrame],
    quarantine: dict[str, pd.DataFrame],
    as_of: pd.Timestamp | None = None,
) -> dict[str, pd.DataFrame]:
    """The rows of each mapped table the open state reads (see the module docstring).

    Parameters
    ----------
    mapped : dict of str to pandas.DataFrame
        The canonical tables as mapped, before the quality step.
    quarantine : dict of str to pandas.DataFrame
        The quality step's quarantined rows per table, indexed by input position, with a
        ``reason`` column.
    as_of : pandas.Timestamp, optional
        The as-of instant: items opened before it and quarantined only for closing after it
        are taken back (none without it).

    Returns
    -------
    dict of str to pandas.DataFrame
        Per table the rows read, indexed by their input position.
    """
    view: dict[str, pd.DataFrame] = {}
    for name, frame in mapped.items():
        frame = frame.reset_index(drop=True)
        out = quarantine.get(name)
        if out is None or not len(out):
            view[name] = frame
            continue
        keep = np.ones(len(frame), dtype=bool)
        keep[out.index.to_numpy()] = False
        reasons, target, column = _RESTORED.get(name, ((), None, None))
        reason = out["reason"].astype(object).to_numpy(copy=True)
        if as_of is not None and name in _OPENED:
            reason = _past_the_future(name, frame, out.index.to_numpy(), reason, view, as_of)
        back = np.isin(reason.astype(str), reasons)
        if target is not None and target in view and column in out.columns:
            back = back & isin(out[column], view[target][column])
        back |= pd.isna(reason)  # open at the as-of date, and nothing else against it
        keep[out.index.to_numpy()[back]] = True
        view[name] = frame[keep]
    return view


def _past_the_future(
    name: str,
    frame: pd.DataFrame,
    positions: np.ndarray,
    reason: np.ndarray,
    view: dict[str, pd.DataFrame],
    as_of: pd.Timestamp,
) -> np.ndarray:
    """`reason` with each ``future_date`` row opened before `as_of` given the reason the
    quality rules find without a future (None: none), against the rows of `view` so far."""
    stamp = pd.to_datetime(frame[_OPENED[name]].iloc[positions], errors="coerce")
    redo = (reason == FUTURE) & (stamp < as_of).fillna(False).to_numpy(dtype=bool)
    if not redo.any():
        return reason
    rows = frame.iloc[positions[redo]].reset_index(drop=True)
    verdict = Verdict(len(rows))
    generic_rules(name, rows, verdict, pd.Timestamp.max, view)
    sign_rules(name, rows, verdict)
    out = reason.copy()
    out[redo] = verdict.reason
    return out
