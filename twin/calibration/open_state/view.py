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
Rows are the mapped rows, with their original timestamps (the quality step blanks a timestamp
that breaks a chain, which the state's own checks report instead), indexed by their position in
the input table, so a reported row can name its file and row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.calibration.quality_rules import isin

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


def state_view(
    mapped: dict[str, pd.DataFrame], quarantine: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """The rows of each mapped table the open state reads (see the module docstring).

    Parameters
    ----------
    mapped : dict of str to pandas.DataFrame
        The canonical tables as mapped, before the quality step.
    quarantine : dict of str to pandas.DataFrame
        The quality step's quarantined rows per table, indexed by input position, with a
        ``reason`` column.

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
        back = out["reason"].isin(reasons).to_numpy(dtype=bool).copy()
        if target is not None and target in view and column in out.columns:
            back = back & isin(out[column], view[target][column])
        keep[out.index.to_numpy()[back]] = True
        view[name] = frame[keep]
    return view
