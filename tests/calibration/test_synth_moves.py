"""Which shipment each filled piece of an order line left in: exact traces on one SKU.

One SKU starts with 2 units. Order 0 (t 1, 5 units) takes 2; a receipt at 1.5 fills the other 3
before the order is released at 2 (order desk, handling), so all 5 ship in its first parcel.
Order 1 (t 3, 4 units) finds nothing; released with nothing to ship, its units ship alone when
the receipt at 4 fills them. Order 2 (t 5, 3 units) takes 2, released at 5.5 into a parcel still
in the warehouse's queue at the end; the unit a receipt at 6 fills ships alone, and first.
"""

import numpy as np
import pandas as pd
import pytest

from twin.calibration.synth_moves import shipped_pieces

ORDERS = pd.DataFrame(
    {
        "order_id": [0, 1, 2],
        "t_arrival": [1.0, 3.0, 5.0],
        "t_credit_released": [np.nan, np.nan, np.nan],
    }
)
LINES = pd.DataFrame({"order_id": [0, 1, 2], "sku": [0, 0, 0], "quantity": [5, 4, 3]})
PURCHASES = pd.DataFrame(
    {
        "sku": [0, 0, 0],
        "t_order": [0.5, 2.0, 3.0],
        "quantity": [3, 6, 1],
        "t_receipt": [1.5, 4.0, 6.0],
    }
)


def shipments(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["order_id", "t_ready", "t_shipped", "units"])


def trace(pieces: pd.DataFrame) -> list[tuple]:
    return [
        (int(r.order_id), int(r.units), r.t_fill, None if np.isnan(r.t_shipped) else r.t_shipped)
        for r in pieces.itertuples()
    ]


def test_ship_partial_first_parcels_and_later_fills():
    sent = shipments([(0, 2.0, 2.1, 5), (1, 4.0, 4.5, 4), (2, 6.0, 6.2, 1)])
    pieces = shipped_pieces(ORDERS, LINES, PURCHASES, sent, [2], [0], [0], 10.0)
    assert trace(pieces) == [
        (0, 2, 1.0, 2.1),  # allocated at arrival, in the first parcel
        (0, 3, 1.5, 2.1),  # filled before the release: the first parcel too
        (1, 4, 4.0, 4.5),  # filled after the release: alone
        (2, 2, 5.0, None),  # the first parcel has not left
        (2, 1, 6.0, 6.2),  # the later fill has
    ]


def test_ship_complete_sends_each_order_in_one_parcel():
    sent = shipments([(0, 2.0, 2.1, 5), (1, 4.0, 4.5, 4)])
    pieces = shipped_pieces(ORDERS, LINES, PURCHASES, sent, [2], [0], [0], 10.0, ship_complete=True)
    assert [p[3] for p in trace(pieces)] == [2.1, 2.1, 4.5, None, None]


def test_credit_desk_allocates_at_release_and_never_when_held():
    orders = ORDERS.assign(t_credit_released=[1.0, 3.0, np.nan])  # order 2 is still held
    sent = shipments([(0, 2.0, 2.1, 5), (1, 4.0, 4.5, 4)])
    pieces = shipped_pieces(orders, LINES, PURCHASES, sent, [2], [3], [0], 10.0, credit=True)
    assert [(p[0], p[1]) for p in trace(pieces)] == [(0, 2), (0, 3), (1, 4)]


def test_spare_parts_are_served_before_the_backlog_and_checked():
    # a ticket at 3.5 asks for 2 units: the receipt at 4 serves it before order 1
    spares = pd.DataFrame({"t": [3.5], "sku": [0], "units": [2], "ticket": [7]})
    spares.attrs["issued"] = pd.DataFrame({"t": [4.0], "sku": [0], "units": [2], "ticket": [7]})
    sent = shipments([(0, 2.0, 2.1, 5), (1, 4.0, 4.5, 4)])
    pieces = shipped_pieces(ORDERS, LINES, PURCHASES, sent, [2], [0], [2], 10.0, spares=spares)
    assert [(p[0], p[1], p[2]) for p in trace(pieces)][2:] == [(1, 4, 4.0), (2, 1, 6.0)]
    spares.attrs["issued"] = spares.attrs["issued"].assign(units=[1])
    with pytest.raises(RuntimeError, match="spare-part issues are not the run's"):
        shipped_pieces(ORDERS, LINES, PURCHASES, sent, [2], [0], [2], 10.0, spares=spares)


def test_a_replay_that_does_not_end_in_the_runs_stock_is_an_error():
    sent = shipments([(0, 2.0, 2.1, 5), (1, 4.0, 4.5, 4), (2, 6.0, 6.2, 1)])
    with pytest.raises(RuntimeError, match="replayed stock"):
        shipped_pieces(ORDERS, LINES, PURCHASES, sent, [2], [1], [0], 10.0)
