"""The compact recorder: frames hand columns over without changing a value, dtype or row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twin.distributions import Exponential
from twin.model.entities import Order
from twin.records import COLUMNS, ORDER_COLUMNS, ColumnTable, orders_frame
from twin.streams import LazySamplers, Sampler, Streams


def _rows(n: int) -> list[tuple]:
    rng = np.random.default_rng(3)
    return [
        (int(k), float(rng.random()), float(rng.random()), float("nan"), 1, 2, 0.5, 0.25)
        for k in range(n)
    ]


def test_frame_is_every_row_added_with_the_spec_dtypes():
    table = ColumnTable(COLUMNS["shipments"])
    rows = _rows(ColumnTable.CHUNK * 2 + 17)  # two flushed chunks and a buffered tail
    for row in rows:
        table.add(row)
    frame = table.frame()
    expected = pd.DataFrame(rows, columns=[name for name, _ in COLUMNS["shipments"]])
    pd.testing.assert_frame_equal(frame, expected.astype(dict(COLUMNS["shipments"])))
    assert len(table) == len(rows)


def test_a_second_frame_keeps_the_first_rows_and_the_rows_added_since():
    table = ColumnTable(COLUMNS["spare_issues"])
    table.add((1.0, 2, 3, 4))
    first = table.frame()
    first.loc[0, "units"] = 99  # changing the first frame changes nothing else (copy on write)
    table.add((5.0, 6, 7, 8))
    second = table.frame()
    assert second.to_dict("list") == {
        "t": [1.0, 5.0],
        "sku": [2, 6],
        "units": [3, 7],
        "ticket_id": [4, 8],
    }
    assert table.frame().equals(second)  # nothing added: the same rows again
    assert second.dtypes.tolist() == [np.float64, np.int64, np.int64, np.int64]


def test_an_empty_table_frames_with_its_columns_and_dtypes():
    frame = ColumnTable(COLUMNS["invoices"]).frame()
    assert list(frame.columns) == [name for name, _ in COLUMNS["invoices"]]
    assert frame.empty and frame["written_off"].dtype == bool


@pytest.mark.parametrize("release", [False, True])
def test_orders_frame_in_chunks_equals_one_row_per_order(release):
    orders = []
    for k in range(11):
        order = Order(k, k % 3, 100 + k, 0.5 * k, 0.5 * k + 3.0)
        order.lines, order.units, order.value = k + 1, 2 * k, 1.25 * k
        orders.append(order)
    expected = pd.DataFrame(
        {
            column: np.array([getattr(o, attribute) for o in orders], dtype=float).astype(dtype)
            for column, attribute, dtype in ORDER_COLUMNS
        }
    )
    kept = list(orders)
    frame = orders_frame(orders, release=release, chunk=4)
    pd.testing.assert_frame_equal(frame, expected)
    assert len(orders) == (0 if release else len(kept))


def test_lazy_samplers_draw_what_samplers_made_up_front_draw():
    dists = [Exponential(mean=1.0), Exponential(mean=5.0), Exponential(mean=2.0)]
    names = ["a", "b", "c"]
    eager_streams = Streams(7, 1)
    eager = [
        Sampler(d, eager_streams.generator("lead_time", n))
        for d, n in zip(dists, names, strict=True)
    ]
    lazy = LazySamplers(Streams(7, 1), "lead_time", dists, names)
    assert lazy.made() == 0
    draws = [(i, lazy[i].next()) for i in (2, 0, 2, 2)]  # first use in another order
    assert draws == [(2, eager[2].next()), (0, eager[0].next())] + [
        (2, eager[2].next()) for _ in range(2)
    ]
    assert lazy.made() == 2 and len(lazy) == 3


def test_narrow_columns_are_widened_to_the_spec_dtype_when_framed():
    table = ColumnTable(COLUMNS["stock_changes"], {"sku": "i"})
    table.add((0.5, 2**31 - 1, -3, 4))
    frame = table.frame()
    assert frame["sku"].dtype == np.int64 and frame["sku"].iloc[0] == 2**31 - 1
    with pytest.raises(OverflowError):  # a value that would not fit is an error, never wrapped
        table.add((1.0, 2**31, 0, 0))
        table.flush()


def test_an_integer_column_widens_when_a_value_needs_eight_bytes():
    table = ColumnTable(COLUMNS["shipments"])
    rows = _rows(ColumnTable.CHUNK + 5)
    rows[7] = (2**40, *rows[7][1:])  # an order id past four bytes, in the first chunk
    rows[-1] = (-(2**35), *rows[-1][1:4], 2**33, *rows[-1][5:])  # and two in the second
    for row in rows:
        table.add(row)
    assert table.columns[0].typecode == "q" and table.columns[4].typecode == "i"
    frame = table.frame()
    expected = pd.DataFrame(rows, columns=[name for name, _ in COLUMNS["shipments"]])
    pd.testing.assert_frame_equal(frame, expected.astype(dict(COLUMNS["shipments"])))


def test_the_order_log_frames_finished_and_live_orders_as_one_row_per_order_by_id():
    from twin.model.order_log import OrderLog

    log = OrderLog()
    orders = []
    for k in range(3 * ColumnTable.CHUNK // 2):
        order = Order(len(log), k % 3, 100 + k, 0.5 * k, 0.5 * k + 3.0)
        order.lines, order.units, order.value = k % 5 + 1, 2 * k, 1.25 * k
        log.append(order)
        orders.append(order)
    rng = np.random.default_rng(11)
    for k in rng.permutation(len(orders))[: len(orders) - 40]:  # finished in any order
        orders[k].units_delivered = orders[k].units
        orders[k].t_last_delivery = 9.5 + k
        log.finish(orders[k])
    assert len(log.live) == 40 and len(log) == len(orders)
    expected = orders_frame(list(orders))
    pd.testing.assert_frame_equal(log.frame(), expected)
