"""The open state's rows in the calibrated model's segments.

The state is built from the history, whose segment is the customer master's or the order's
channel; a run reads it against the model, whose segments calibration named (pooled small ones,
``all`` when the history has none, orders without a customer id split off). Each backlog line and
open invoice takes its order's model segment; failing that (an order calibration did not fit:
quarantined, or after ``--until``) its customer's; failing that the history's own segment when
the model has one of that name; failing that the model's largest segment, counted in a note.
Each customer of the state takes its own model segment, else the same fallbacks.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from twin.calibration.open_state.build import OpenState


def in_model_segments(
    state: OpenState, segment_of_order: pd.Series, segment_of_customer: pd.Series
) -> OpenState:
    """`state` with the ``segment`` of its backlog, receivables and customers the model's."""
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
    return replace(state, tables=tables, notes=notes)
