"""The open state's rows in the calibrated model's names: its segments, SKU and supplier keys.

The state is built from the history, whose segment is the customer master's or the order's
channel; a run reads it against the model, whose segments calibration named (pooled small ones,
``all`` when the history has none, orders without a customer id split off). Each backlog line and
open invoice takes its order's model segment; failing that (an order calibration did not fit:
quarantined, or after ``--until``) its customer's; failing that the history's own segment when
the model has one of that name; failing that the model's largest segment, counted in a note.
Each customer of the state takes its own model segment, else the same fallbacks.

SKU and supplier ids become the scenario keys calibration made of them
(:func:`twin.calibration.base_values.scenario_key`: a code with a space or a slash gets ``_``),
so the run finds them among the model's products and suppliers.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from twin.calibration.base_values import scenario_key
from twin.calibration.open_state.build import OpenState

#: the state's columns holding a SKU or a supplier id, by table
KEYED = {
    "stock": ("sku",),
    "purchase_orders": ("sku", "supplier_id"),
    "backlog": ("sku",),
    "payables": ("supplier_id",),
}


def in_model_segments(
    state: OpenState, segment_of_order: pd.Series, segment_of_customer: pd.Series
) -> OpenState:
    """`state` with the ``segment`` of its backlog, receivables and customers the model's, and
    its SKU and supplier ids the model's keys."""
    largest = str(segment_of_order.value_counts().index[0]) if len(segment_of_order) else "all"
    model_segments = set(segment_of_order.unique())
    tables = dict(state.tables)
    notes = list(state.notes)
    for name in ("backlog", "receivables", "customers"):
        frame = tables[name]
        if not len(frame):
            continue
        by_customer = frame["customer_id"].map(segment_of_customer)
        if name == "customers":
            found = by_customer
        else:
            found = frame["order_id"].map(segment_of_order).fillna(by_customer)
        # the history's own segment (master or channel) where it names one of the model's
        own = frame["segment"].astype(object).where(frame["segment"].isin(model_segments))
        found = found.astype(object).fillna(own)
        missing = int(found.isna().sum())
        if missing:
            notes.append(
                f"open state: {missing} {name} rows whose order and customer calibration did not "
                f"fit are placed in the largest segment, {largest}"
            )
        segment = found.fillna(largest).astype(str)
        tables[name] = frame.assign(segment=segment.astype(frame["segment"].dtype))
    for name, columns in KEYED.items():
        frame = tables[name]
        for column in columns:
            keys = frame[column].map(lambda v: v if pd.isna(v) else scenario_key(str(v)))
            frame = frame.assign(**{column: keys.astype(frame[column].dtype)})
        tables[name] = frame
    return replace(state, tables=tables, notes=notes)
