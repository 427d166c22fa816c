"""Which units of each order line the company shipped, and when: the twin's stock ledger.

The twin records a shipment per parcel (order, units), not per line, and its stock as free units
(on hand less what is allocated). An ERP books each goods issue per order line. This module
rebuilds the line-level picture from the run's own tables, exactly:

1. replay each SKU's allocation (each order line takes what is free when the order is allocated:
   at its arrival, or when the credit desk releases it; the shortfall joins the SKU's FIFO
   backlog, or is lost under lost sales), its spare-part requests (after-sales: a ticket takes
   what is free when it opens, its shortfall queues ahead of the customers') and its receipts
   (which serve the spare-part queue, then the backlog, in FIFO order), as
   :class:`twin.model.inventory.Stock` does; the replay must end with the run's own free stock
   and backlog per SKU and issue the run's own spare parts (checked: a :class:`RuntimeError`
   otherwise);
2. put each filled piece of a line into its parcel. Under ship-complete an order has one parcel,
   holding every piece. Under ship-partial a piece filled after the order's release ships alone,
   ready at its fill (a shipment row of the order whose ready time is the fill time); the pieces
   filled before the release (at allocation, or by receipts during the order desk's work and the
   handling delay) make up the first parcel, ready at the release: the one row of the order that
   no later fill accounts for. The release instant itself is not recorded, and need not be: a
   fill coinciding with it to the last bit has probability zero (apart from the release at the
   arrival itself, where the two readings agree). Each shipment row's units must be accounted
   for exactly (checked).

Pieces whose parcel has not shipped by the end of the run have no ship time.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence

import numpy as np
import pandas as pd


def shipped_pieces(
    orders: pd.DataFrame,
    lines: pd.DataFrame,
    purchases: pd.DataFrame,
    shipments: pd.DataFrame,
    initial_on_hand: Sequence[int],
    final_on_hand: Sequence[int],
    final_backlog: Sequence[int],
    horizon: float,
    *,
    credit: bool = False,
    ship_complete: bool = False,
    spares: pd.DataFrame | None = None,
    backorder: Sequence[bool] | None = None,
) -> pd.DataFrame:
    """Every filled piece of every order line, with when it was filled and shipped.

    Parameters
    ----------
    orders : pandas.DataFrame
        The run's ``orders`` table (``order_id``, ``t_arrival``, ``t_credit_released``).
    lines : pandas.DataFrame
        Every order's lines (``order_id``, ``sku`` number, ``quantity``), in order-id order.
    purchases, shipments : pandas.DataFrame
        The run's ``purchases`` and ``shipments`` tables.
    initial_on_hand, final_on_hand, final_backlog : sequence of int
        Per SKU number: free units at the start and at the end of the run, backlogged units at
        the end, spare parts owed included (the run's stock, for the check).
    horizon : float
        End of the run (days).
    credit : bool
        A credit desk decides on each order: it is allocated when released
        (``t_credit_released``), never when held or rejected.
    ship_complete : bool
        The company ships an order complete, in one parcel.
    spares : pandas.DataFrame, optional
        After-sales: the spare-part requests (``t`` the ticket's failure, days; ``sku``,
        ``units``, ``ticket``), one per ticket and part, and the run's ``issued`` spare parts
        (``spare_issues``: ``t, sku, units, ticket``) in ``spares.attrs["issued"]``.
    backorder : sequence of bool, optional
        Per SKU number, whether a line's shortfall is backordered (default) or lost.

    Returns
    -------
    pandas.DataFrame
        ``line`` (row of `lines`), ``order_id``, ``sku``, ``units``, ``t_fill`` and
        ``t_shipped`` (days; NaN when not shipped by the horizon).
    """
    allocated = orders.set_index("order_id")["t_credit_released" if credit else "t_arrival"]
    t_line = lines["order_id"].map(allocated).to_numpy(dtype=float)
    sku = lines["sku"].to_numpy(dtype=np.int64)
    quantity = lines["quantity"].to_numpy(dtype=np.int64)
    got = purchases[purchases["t_receipt"] <= horizon]
    if spares is None:
        spares = pd.DataFrame({"t": [], "sku": [], "units": [], "ticket": []})
    s_sku = spares["sku"].to_numpy(dtype=np.int64)
    piece_line, piece_units, piece_t = [], [], []
    issued: list[tuple[float, int, int, int]] = []
    for s in range(len(initial_on_hand)):
        mine = np.flatnonzero((sku == s) & np.isfinite(t_line))
        asks = spares[s_sku == s]
        # demand in time order: ("line", row) and ("spare", row of `spares`)
        events = sorted(
            [(t_line[i], 0, int(i)) for i in mine]
            + [(t, 1, k) for k, t in enumerate(asks["t"].to_numpy(dtype=float))],
            key=lambda e: e[0],
        )
        receipts = got[got["sku"] == s].sort_values("t_receipt", kind="stable")
        r_t = receipts["t_receipt"].to_numpy(dtype=float)
        r_q = receipts["quantity"].to_numpy(dtype=np.int64)
        free, backlog, owed, j = int(initial_on_hand[s]), deque(), deque(), 0

        for t, kind, i in events:
            while j < len(r_t) and r_t[j] < t:
                free = _issue_spares(free + int(r_q[j]), owed, r_t[j], s, issued)
                free = _receive(free, backlog, r_t[j], piece_line, piece_units, piece_t)
                j += 1
            want = int(quantity[i]) if kind == 0 else int(asks["units"].iloc[i])
            take = min(free, want)
            free -= take
            if kind == 1:
                ticket = int(asks["ticket"].iloc[i])
                if take:
                    issued.append((t, s, take, ticket))
                if want > take:
                    owed.append([want - take, ticket])
                continue
            if take:
                piece_line.append(i)
                piece_units.append(take)
                piece_t.append(t)
            if want > take and (backorder is None or backorder[s]):
                backlog.append([want - take, i])
        while j < len(r_t):
            free = _issue_spares(free + int(r_q[j]), owed, r_t[j], s, issued)
            free = _receive(free, backlog, r_t[j], piece_line, piece_units, piece_t)
            j += 1
        waiting = sum(entry[0] for entry in backlog) + sum(entry[0] for entry in owed)
        if free != final_on_hand[s] or waiting != final_backlog[s]:
            raise RuntimeError(
                f"SKU {s}: the replayed stock ({free} free, {waiting} backlogged) is not the "
                f"run's ({final_on_hand[s]}, {final_backlog[s]})"
            )
    _check_spares(issued, spares.attrs.get("issued"))
    line_of = np.asarray(piece_line, dtype=np.int64)
    pieces = pd.DataFrame(
        {
            "line": line_of,
            "order_id": lines["order_id"].to_numpy()[line_of],
            "sku": sku[line_of],
            "units": np.asarray(piece_units, dtype=np.int64),
            "t_fill": np.asarray(piece_t, dtype=float),
        }
    )
    pieces["t_shipped"] = _ship_times(pieces, shipments, ship_complete)
    return pieces.sort_values(["line", "t_fill"], kind="stable").reset_index(drop=True)


def _receive(free: int, backlog: deque, t: float, lines: list, units: list, times: list) -> int:
    """Serve the SKU's FIFO backlog from `free` units at time `t`; the units left free."""
    while backlog and free:
        entry = backlog[0]
        take = min(free, entry[0])
        free -= take
        entry[0] -= take
        lines.append(entry[1])
        units.append(take)
        times.append(t)
        if entry[0] == 0:
            backlog.popleft()
    return free


def _issue_spares(free: int, owed: deque, t: float, sku: int, issued: list) -> int:
    """Serve the SKU's FIFO queue of spare parts owed to tickets first; the units left free."""
    while owed and free:
        entry = owed[0]
        take = min(free, entry[0])
        free -= take
        entry[0] -= take
        issued.append((t, sku, take, entry[1]))
        if entry[0] == 0:
            owed.popleft()
    return free


def _check_spares(replayed: list, recorded: pd.DataFrame | None) -> None:
    """The replay issued the spare parts the run issued, to the unit (per ticket and SKU)."""
    if recorded is None:
        if replayed:
            raise RuntimeError("spare parts replayed, but the run's issues were not given")
        return
    mine = pd.DataFrame(replayed, columns=["t", "sku", "units", "ticket"])
    theirs = recorded[["t", "sku", "units", "ticket"]]
    key = ["ticket", "sku"]
    a = mine.groupby(key)["units"].sum()
    b = theirs.groupby(key)["units"].sum()
    if not a.sort_index().equals(b.sort_index().astype(a.dtype)):
        raise RuntimeError("the replayed spare-part issues are not the run's")


def _ship_times(pieces: pd.DataFrame, shipments: pd.DataFrame, ship_complete: bool) -> np.ndarray:
    """Each piece's shipment time (NaN: its parcel had not shipped by the horizon); see the
    module docstring for how a piece finds its parcel."""
    rows: dict[int, list[list]] = defaultdict(list)  # order -> [units left, t_ready, t_shipped]
    for order, t_ready, t_shipped, units in zip(
        shipments["order_id"].to_numpy(),
        shipments["t_ready"].to_numpy(dtype=float),
        shipments["t_shipped"].to_numpy(dtype=float),
        shipments["units"].to_numpy(dtype=np.int64),
        strict=True,
    ):
        rows[int(order)].append([int(units), float(t_ready), float(t_shipped)])
    out = np.full(len(pieces), np.nan)
    orders = pieces["order_id"].to_numpy()
    fills = pieces["t_fill"].to_numpy(dtype=float)
    units = pieces["units"].to_numpy(dtype=np.int64)
    first: list[int] = []  # pieces of a first parcel (all of them under ship-complete)
    for k in range(len(pieces)):
        parcel = rows.get(int(orders[k]))
        if not parcel:
            continue
        if ship_complete:
            first.append(k)
            continue
        # a piece filled after the release ships alone, ready at its fill; prefer the row of
        # exactly its units (two lines of one SKU filled by one receipt ship as two rows at
        # one ready time)
        at_fill = [r for r in parcel if r[1] == fills[k] and r[0] >= units[k]]
        row = next((r for r in at_fill if r[0] == units[k]), None) or next(iter(at_fill), None)
        if row is None:
            first.append(k)
            continue
        row[0] -= int(units[k])
        out[k] = row[2]
    for k in first:
        # the first parcel: the order's one row, ready after the fill, that no later fill
        # took (none: the piece's parcel had not shipped)
        left = [r for r in rows[int(orders[k])] if r[0] > 0 and r[1] >= fills[k]]
        if not left:
            continue
        if len(left) > 1 or left[0][0] < units[k]:
            raise RuntimeError(f"order {orders[k]}: no one first parcel holds {units[k]} units")
        left[0][0] -= int(units[k])
        out[k] = left[0][2]
    left = sum(r[0] for parcel in rows.values() for r in parcel)
    if left:
        raise RuntimeError(f"{left} shipped units belong to no order line")
    return out
