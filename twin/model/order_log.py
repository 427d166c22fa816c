"""The orders of one replication: live ones as objects, finished ones as compact rows.

An :class:`~twin.model.entities.Order` object costs about half a kilobyte with its boxed numbers,
and a replication of millions of order lines makes hundreds of thousands of them. Most are done
long before the horizon, once their last units are delivered, and nothing changes their row of
the ``orders`` table after that. So :meth:`OrderLog.finish` records that row in a
:class:`~twin.records.ColumnTable` (about a hundred bytes, no Python object per value) and lets
the object go; the orders still in the model at the horizon (backordered, in transit, held) are
read when the run is collected. :meth:`OrderLog.frame` gives the same table, in the same row
order (order id, which is the order of creation), as reading every object at the end would.
"""

from __future__ import annotations

from operator import attrgetter

import numpy as np
import pandas as pd

from twin.model.entities import Order
from twin.records import ORDER_COLUMNS, ColumnTable, orders_frame

#: the orders table's columns, as a ColumnTable spec (order_id first: rows are sorted by it)
SPEC = tuple((column, dtype) for column, _, dtype in ORDER_COLUMNS)
#: bounded by the scenario's size, so always fits (see twin.records.NARROW)
NARROW = {"segment": "h"}


class OrderLog:
    """Every order created in a replication, by id (its number in creation order).

    ``len(log)`` is the number of orders created, so the next order's id; ``live`` maps the id
    of each order not yet finished to its object.
    """

    def __init__(self) -> None:
        self.live: dict[int, Order] = {}
        self.created = 0
        self.done = ColumnTable(SPEC, NARROW)
        self._row = attrgetter(*(attribute for _, attribute, _ in ORDER_COLUMNS))

    def __len__(self) -> int:
        return self.created

    def append(self, order: Order) -> None:
        """A new order (its id is ``len(self)`` before the call)."""
        self.live[order.id] = order
        self.created += 1

    def finish(self, order: Order) -> None:
        """``order`` is done, its row final: record it and forget the object (whoever else
        holds it may still read it, but must not change its row)."""
        rows = self.done.rows
        rows.append(self._row(order))  # ColumnTable.add, inline
        if len(rows) >= ColumnTable.CHUNK:
            self.done.flush()
        del self.live[order.id]

    def frame(self) -> pd.DataFrame:
        """The ``orders`` table: one row per order created, by order id, the finished orders'
        rows and the live orders' as they are now. Hands the rows over: the log is left empty
        (its memory is freed column by column as the frame is built)."""
        live = list(self.live.values())
        self.live.clear()
        recent = orders_frame(live, release=True)
        data: dict[str, np.ndarray] = {}
        order = None
        for name, values in self.done.take_columns():
            values = np.concatenate((values, recent[name].to_numpy()))
            if order is None:  # the first column is order_id
                order = np.argsort(values, kind="stable")
            data[name] = values[order]
        return pd.DataFrame(data, copy=False)
