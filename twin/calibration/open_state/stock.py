"""On-hand stock per SKU and location at the as-of instant.

From the latest inventory snapshot before the as-of date (a count at the end of its day) plus the
stock movements after it (``method: snapshot``); a SKU never counted is reconstructed from its
stock ledger alone, opening balance + receipts - shipments +- returns and adjustments
(``method: reconstructed``). A balance below zero is physically impossible: it is reported
(``negative_stock``, the balance and how it was reached) and the SKU is left out, never clipped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.calibration.open_state.frames import DAY, before, column, floats, ids, table
from twin.calibration.open_state.issues import Issues

KEY = ["sku", "location"]


def on_hand(
    snapshots: pd.DataFrame | None,
    moves: pd.DataFrame | None,
    as_of: pd.Timestamp,
    issues: Issues,
) -> pd.DataFrame:
    """The ``stock`` state table (see the module docstring)."""
    counts = _latest_counts(snapshots, as_of)
    ledger = _moves(moves, as_of)
    if ledger is not None and len(counts):
        # only the movements after the SKU's count add to it
        since = ledger.merge(counts[[*KEY, "counted_until"]], on=KEY, how="left")
        later = since["counted_until"].isna() | (since["moved_at"] >= since["counted_until"])
        ledger = since[later.to_numpy(dtype=bool)]
    moved = (
        ledger.groupby(KEY, sort=True)["quantity"].sum().rename("moved").reset_index()
        if ledger is not None
        else pd.DataFrame(
            {
                "sku": pd.Series([], dtype="string"),
                "location": pd.Series([], dtype="string"),
                "moved": pd.Series([], dtype=float),
            }
        )
    )
    balance = counts[[*KEY, "on_hand"]].merge(moved, on=KEY, how="outer")
    counted = balance["on_hand"].notna().to_numpy()
    balance["method"] = np.where(counted, "snapshot", "reconstructed")
    balance["on_hand"] = balance["on_hand"].fillna(0.0) + balance["moved"].fillna(0.0)
    balance = balance.sort_values(KEY, kind="stable").reset_index(drop=True)
    negative = balance["on_hand"] < 0
    if negative.any():
        bad = balance[negative.to_numpy()]
        issues.report(
            "stock",
            bad[[*KEY, "on_hand", "method"]],
            "negative_stock",
            "on hand " + bad["on_hand"].map("{:g}".format) + " (" + bad["method"] + ")",
        )
    good = balance[~negative.to_numpy()]
    return table(
        "stock",
        {
            "sku": ids(good["sku"]),
            "location": ids(good["location"]),
            "on_hand": floats(good["on_hand"]),
            "method": ids(good["method"]),
        },
    )


def _latest_counts(snapshots: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame:
    """Each SKU's and location's last count before the as-of date, with the instant it holds
    until (the end of its day)."""
    empty = pd.DataFrame(
        {
            "sku": pd.Series([], dtype="string"),
            "location": pd.Series([], dtype="string"),
            "on_hand": pd.Series([], dtype=float),
            "counted_until": pd.Series([], dtype="datetime64[ns]"),
        }
    )
    if snapshots is None or not len(snapshots):
        return empty
    until = pd.to_datetime(snapshots["snapshot_date"]).dt.normalize() + DAY
    frame = pd.DataFrame(
        {
            "sku": snapshots["sku"].astype("string"),
            "location": column(snapshots, "location").astype("string").fillna(""),
            "on_hand": snapshots["on_hand"].astype(float),
            "counted_until": until,
        }
    )[(until <= as_of).fillna(False).to_numpy(dtype=bool)]
    if not len(frame):
        return empty
    frame = frame.sort_values("counted_until", kind="stable")
    latest = frame.groupby(KEY, sort=True)["counted_until"].transform("max")
    frame = frame[frame["counted_until"] == latest]
    return frame.groupby(KEY, sort=True, as_index=False).agg(
        on_hand=("on_hand", "sum"), counted_until=("counted_until", "first")
    )


def _moves(moves: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame | None:
    if moves is None or not len(moves):
        return None
    frame = pd.DataFrame(
        {
            "sku": moves["sku"].astype("string"),
            "location": column(moves, "location").astype("string").fillna(""),
            "moved_at": pd.to_datetime(moves["moved_at"]),
            "quantity": moves["quantity"].astype(float),
        }
    )
    return frame[before(frame["moved_at"], as_of)]
