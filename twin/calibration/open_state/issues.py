"""The rows the open state reports instead of using: one reason per row, as the quality step does.

Written as ``quarantine/state_<table>.csv`` beside the quality step's ``quarantine/<table>.csv``,
with the same columns: ``file`` and ``row`` (where the row came from), the table's columns,
``reason`` and ``detail``. A row the state reports is still used by the fits (the quality step
passed it); it is left out of the state only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

REASONS: dict[str, str] = {
    "negative_stock": "the stock balance of a SKU (and location) is below zero at the as-of date",
    "receipt_before_order": "a purchase-order line received before it was ordered",
    "over_received": "a purchase-order line received beyond its ordered quantity",
    "paid_twice": "an invoice with several payments each settling it in full",
    "overpaid_invoice": "an invoice whose payments exceed its amount",
    "over_shipped": "an order line shipped beyond its ordered quantity",
    "bill_paid_before_issued": "a supplier invoice paid before it was issued",
    "undated_opportunity": "an open opportunity without a creation date (its age is unknown)",
    "unvalued_opportunity": "an open opportunity without an amount or a priced product",
}
"""Why the open state leaves a row out, by reason."""


class Issues:
    """Collects the reported rows of each table."""

    def __init__(self, origins: dict[str, pd.DataFrame] | None = None) -> None:
        self.origins = origins or {}
        self.parts: dict[str, list[pd.DataFrame]] = {}

    def report(
        self, table: str, rows: pd.DataFrame, reason: str, detail: pd.Series | np.ndarray | str
    ) -> None:
        """Report `rows` (indexed by input position, or a computed table's own rows) of `table`."""
        if not len(rows):
            return
        if reason not in REASONS:
            raise ValueError(f"unknown open-state reason {reason!r}")
        part = rows.copy()
        origin = self.origins.get(table)
        if origin is not None and len(origin) and part.index.isin(range(len(origin))).all():
            located = origin.reset_index(drop=True).iloc[part.index.to_numpy()]
            files, lines = located["file"].to_numpy(), located["row"].to_numpy()
        else:
            files, lines = [""] * len(part), part.index.to_numpy() + 1
        part.insert(0, "row", lines)
        part.insert(0, "file", files)
        part["reason"] = reason
        part["detail"] = (
            detail if isinstance(detail, str) else pd.Series(detail).astype(str).to_numpy()
        )
        self.parts.setdefault(table, []).append(part)

    def frames(self) -> dict[str, pd.DataFrame]:
        """The reported rows per table, in input order."""
        return {
            table: pd.concat(parts).sort_values("row", kind="stable")
            for table, parts in self.parts.items()
        }

    def count(self) -> int:
        """Rows reported over all tables."""
        return sum(len(part) for parts in self.parts.values() for part in parts)
