"""Which units of each order line the sample company shipped, and when: the twin's stock ledger.

The twin records a shipment per parcel (order, units), not per line, and its stock as free units
(on hand less what is allocated). An ERP books each goods issue per order line. This module
rebuilds the line-level picture from the run's own tables, exactly:

1. replay each SKU's allocation (each order line takes what is free when the order arrives, the
   shortfall joins the SKU's FIFO backlog) and its receipts (which fill the backlog in FIFO
   order), as :class:`twin.model.inventory.Stock` does; the replay must end with the run's own
   free stock and backlog per SKU (checked: a :class:`RuntimeError` otherwise);
2. put each filled piece of a line into its parcel: under ship-partial the order's first parcel
   (ready when the order desk releases the order, ``t_desk_end``) holds what was filled before
   the release, and each later fill ships on its own (ready at its receipt); a parcel's
   shipment is the run's shipment row of the same order and ready time, and each shipment row's
   units must be accounted for exactly (checked).

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
) -> pd.DataFrame:
    """Every filled piece of every order line, with when it was filled and shipped.

    Parameters
    ----------
    orders : pandas.DataFrame
        The run's ``orders`` table (``order_id``, ``t_arrival``, ``t_desk_end``).
    lines : pandas.DataFrame
        Every order's lines (``order_id``, ``sku`` number, ``quantity``), in order-id order.
    purchases, shipments : pandas.DataFrame
        The run's ``purchases`` and ``shipments`` tables.
    initial_on_hand, final_on_hand, final_backlog : sequence of int
        Per SKU number: free units at the start and at the end of the run, backlogged units at
        the end (the run's stock, for the check).
    horizon : float
        End of the run (days).

    Returns
    -------
    pandas.DataFrame
        ``line`` (row of `lines`), ``order_id``, ``sku``, ``units``, ``t_fill`` and
        ``t_shipped`` (days; NaN when not shipped by the horizon).
    """
    arrival = orders.set_index("order_id")["t_arrival"]
    t_line = lines["order_id"].map(arrival).to_numpy(dtype=float)
    sku = lines["sku"].to_numpy(dtype=np.int64)
    quantity = lines["quantity"].to_numpy(dtype=np.int64)
    got = purchases[purchases["t_receipt"] <= horizon]
    piece_line, piece_units, piece_t = [], [], []
    for s in range(len(initial_on_hand)):
        mine = np.flatnonzero(sku == s)
        mine = mine[np.argsort(t_line[mine], kind="stable")]
        receipts = got[got["sku"] == s].sort_values("t_receipt", kind="stable")
        r_t = receipts["t_receipt"].to_numpy(dtype=float)
        r_q = receipts["quantity"].to_numpy(dtype=np.int64)
        free, backlog, j = int(initial_on_hand[s]), deque(), 0
        for i in mine:
            while j < len(r_t) and r_t[j] < t_line[i]:
                free = _receive(
                    free + int(r_q[j]), backlog, r_t[j], piece_line, piece_units, piece_t
                )
                j += 1
            take = min(free, int(quantity[i]))
            if take:
                free -= take
                piece_line.append(i)
                piece_units.append(take)
                piece_t.append(t_line[i])
            if quantity[i] > take:
                backlog.append([int(quantity[i]) - take, i])
        while j < len(r_t):
            free = _receive(free + int(r_q[j]), backlog, r_t[j], piece_line, piece_units, piece_t)
            j += 1
        waiting = sum(entry[0] for entry in backlog)
        if free != final_on_hand[s] or waiting != final_backlog[s]:
            raise RuntimeError(
                f"SKU {s}: the replayed stock ({free} free, {waiting} backlogged) is not the "
                f"run's ({final_on_hand[s]}, {final_backlog[s]})"
            )
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
    pieces["t_shipped"] = _ship_times(pieces, orders, shipments)
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


def _ship_times(pieces: pd.DataFrame, orders: pd.DataFrame, shipments: pd.DataFrame) -> np.ndarray:
    """Each piece's shipment time (NaN: its parcel had not shipped by the horizon)."""
    release = orders.set_index("order_id")["t_desk_end"].fillna(np.inf)
    t_release = pieces["order_id"].map(release).to_numpy(dtype=float)
    fill = pieces["t_fill"].to_numpy(dtype=float)
    ready = np.where(fill <= t_release, t_release, fill)
    rows: dict[tuple[int, float], list[list]] = defaultdict(list)
    for order, t_ready, t_shipped, units in zip(
        shipments["order_id"].to_numpy(),
        shipments["t_ready"].to_numpy(dtype=float),
        shipments["t_shipped"].to_numpy(dtype=float),
        shipments["units"].to_numpy(dtype=np.int64),
        strict=True,
    ):
        rows[(int(order), float(t_ready))].append([int(units), float(t_shipped)])
    out = np.full(len(pieces), np.nan)
    for k, (order, t, units) in enumerate(
        zip(pieces["order_id"].to_numpy(), ready, pieces["units"].to_numpy(), strict=True)
    ):
        parcel = rows.get((int(order), float(t)))
        if not parcel:
            continue
        # a backfill ships alone: prefer the row of exactly its units (two lines of one SKU
        # filled by one receipt ship as two rows at one ready time)
        row = next((r for r in parcel if r[0] == units), None)
        row = row or next((r for r in parcel if r[0] >= units), None)
        if row is None:
            raise RuntimeError(f"order {order}: no shipment at {t} holds {units} more units")
        row[0] -= int(units)
        out[k] = row[1]
    left = sum(r[0] for parcel in rows.values() for r in parcel)
    if left:
        raise RuntimeError(f"{left} shipped units belong to no order line")
    return out
