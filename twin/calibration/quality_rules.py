"""The quality step's rules: which rows of one canonical table are quarantined, and why.

:class:`Verdict` keeps one reason per row, the first rule that marks it; the rules are tried in
the order :mod:`twin.calibration.quality` documents: the generic ones (keys, duplicates, future
dates, orphan foreign keys, non-finite and implausible numbers) on every table, those of order
lines after them, then the sign and presence of every numeric column. Then broken timestamp
chains are blanked (the row stays used) and the used rows are classified.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from twin.calibration.conform import missing
from twin.calibration.history import TABLES

# Columns a row cannot be used without, beyond the table's key.
_NEEDED = {
    "orders": ("ordered_at",),
    "order_lines": ("sku",),
    "invoices": ("customer_id",),
}
# Timestamps of things that have happened, so they cannot lie after as_of.
_EVENTS = {
    "customers": ("created_at",),
    "orders": ("ordered_at", "approved_at", "shipped_at", "delivered_at"),
    "invoices": ("issued_at",),
    "payments": ("paid_at",),
    "purchase_orders": ("ordered_at", "received_at"),
    "inventory_snapshots": ("snapshot_date",),
    "opportunities": ("created_at",),
    "tickets": ("opened_at", "closed_at"),
}
# Stamps that must not decrease along the chain.
_CHAINS = {
    "orders": ("ordered_at", "approved_at", "shipped_at", "delivered_at"),
    "purchase_orders": ("ordered_at", "received_at"),
    "tickets": ("opened_at", "closed_at"),
    "opportunities": ("created_at", "closed_at"),
}
# (later, earlier): the later must not fall on an earlier calendar date (date-only promises).
_BY_DATE = {
    "orders": ("promised_at", "ordered_at"),
    "invoices": ("due_date", "issued_at"),
    "purchase_orders": ("expected_at", "ordered_at"),
}
# Foreign keys: column -> (referenced table, its key column, reason).
_FOREIGN = {
    "order_id": ("orders", "order_id", "orphan_order"),
    "customer_id": ("customers", "customer_id", "unknown_customer"),
    "invoice_id": ("invoices", "invoice_id", "unknown_invoice"),
    "account_id": ("accounts", "account_id", "unknown_account"),
}


class Verdict:
    """One reason per row, first rule wins."""

    def __init__(self, n: int) -> None:
        self.reason = np.full(n, None, dtype=object)
        self.detail = np.full(n, "", dtype=object)

    @property
    def open(self) -> np.ndarray:
        return pd.isna(self.reason)

    def mark(self, mask: np.ndarray | pd.Series, reason: str, detail: object = "") -> None:
        hit = np.asarray(mask, dtype=bool) & self.open
        if not hit.any():
            return
        self.reason[hit] = reason
        if isinstance(detail, pd.Series | np.ndarray):
            self.detail[hit] = np.asarray(detail, dtype=object)[hit]
        else:
            self.detail[hit] = detail


def isin(values: pd.Series, reference: Iterable[object]) -> np.ndarray:
    """`values.isin(reference)` as a writable bool array; missing values are never in it.

    Both sides go through object arrays: ``isin`` on pyarrow-backed strings loops in Python.
    """
    reference = pd.Series(list(reference) if not isinstance(reference, pd.Series) else reference)
    known = reference.dropna().to_numpy(dtype=object)
    hit = pd.Series(values.to_numpy(dtype=object, na_value=None), dtype=object).isin(known)
    return hit.to_numpy(dtype=bool, copy=True) & ~values.isna().to_numpy(dtype=bool)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(pd.NA, index=frame.index, dtype=object)


def _stamps(frame: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_datetime(_column(frame, name), errors="coerce")


def generic_rules(
    name: str,
    frame: pd.DataFrame,
    verdict: Verdict,
    as_of: pd.Timestamp,
    used: dict[str, pd.DataFrame],
    source_line_numbers: bool = False,
    origin: pd.DataFrame | None = None,
) -> None:
    """Keys, duplicates, future dates, orphans and magnitudes. `origin` (columns ``file`` and
    ``row``) says where each row came from, for the duplicates' detail (``same as orders.csv,
    row 12``); default ``row i+1``."""
    table = TABLES[name]
    for column in (*table.key, *_NEEDED.get(name, ())):
        verdict.mark(missing(_column(frame, column)), "missing_key", column)

    derived_line_no = name == "order_lines" and not source_line_numbers
    compare = [c for c in frame.columns if not (derived_line_no and c == "line_no")]
    first_of = _first_position(frame, compare)
    positions = np.arange(len(frame))
    repeat = first_of != positions
    verdict.mark(repeat, "duplicate_row", _place_texts(repeat, "same as", first_of, origin))
    first_key = _first_position(frame, list(table.key))
    repeat = first_key != positions
    verdict.mark(repeat, "duplicate_key", _place_texts(repeat, "key of", first_key, origin))

    for column in _EVENTS.get(name, ()):
        if column in frame.columns:
            late = (_stamps(frame, column) > as_of).to_numpy(dtype=bool)
            verdict.mark(late, "future_date", f"{column} after {as_of}")

    for column, (target, key, reason) in _FOREIGN.items():
        if column not in frame.columns or target == name or target not in used:
            continue
        reference = used[target]
        if len(reference) == 0 and target != "orders":
            continue
        values = frame[column]
        absent = ~missing(values) & ~isin(values, reference[key])
        verdict.mark(absent, reason, f"{column} not among the used {target}")
    products = used.get("products")
    checks_sku = name not in ("products", "order_lines") and "sku" in frame.columns
    if checks_sku and products is not None and len(products):
        values = frame["sku"]
        absent = ~missing(values) & ~isin(values, products["sku"])
        verdict.mark(absent, "unknown_sku", "sku not among the used products")
    magnitude_rules(name, frame, verdict)


def _numeric_columns(name: str, frame: pd.DataFrame):
    """(spec, values as float64) of every numeric column of the table present in `frame`."""
    for column in TABLES[name].columns:
        if column.dtype in ("int", "float") and column.name in frame.columns:
            values = pd.to_numeric(frame[column.name], errors="coerce")
            yield column, values.to_numpy(dtype=float, na_value=np.nan)


def magnitude_rules(name: str, frame: pd.DataFrame, verdict: Verdict) -> None:
    """``not_finite`` (+-inf) and ``implausible_value`` (beyond the column's plausible size).

    Tried before any rule that computes with the values (a SKU's median price), in schema column
    order. A negative value in a non-negative column is left to :func:`sign_rules` unless its
    size alone is implausible, so that the order-line rules keep their more telling reasons.
    """
    for column, values in _numeric_columns(name, frame):
        verdict.mark(np.isinf(values), "not_finite", f"{column.name} not finite")
        low = min(column.min, -column.max)
        with np.errstate(invalid="ignore"):
            outside = np.isfinite(values) & ((values > column.max) | (values < low))
        template = f"{column.name} {{:g}} beyond plausible range ({column.min:g} to {column.max:g})"
        verdict.mark(outside, "implausible_value", _texts(outside, template, values))


def sign_rules(name: str, frame: pd.DataFrame, verdict: Verdict) -> None:
    """``negative_value`` and ``missing_value``: a value below the column's range (negative where
    it starts at 0), a missing value in a required numeric column. Tried last: order lines'
    negative and missing quantities and prices get their specific reasons first."""
    for column, values in _numeric_columns(name, frame):
        with np.errstate(invalid="ignore"):
            below = values < column.min
        negative = below & (values < 0)
        detail = _texts(negative, f"{column.name} negative ({{:g}})", values)
        verdict.mark(negative, "negative_value", detail)
        template = f"{column.name} {{:g}} below plausible range ({column.min:g} to {column.max:g})"
        verdict.mark(below, "implausible_value", _texts(below, template, values))
        if column.required:
            verdict.mark(np.isnan(values), "missing_value", f"{column.name} missing")


def _texts(mask: np.ndarray, template: str, *values: np.ndarray) -> np.ndarray:
    """`template` filled with `values` where `mask` holds, else ''; formats only the hits."""
    texts = np.full(len(mask), "", dtype=object)
    hits = np.flatnonzero(mask)
    texts[hits] = [template.format(*args) for args in zip(*(v[hits] for v in values), strict=True)]
    return texts


def _place_texts(
    mask: np.ndarray, words: str, positions: np.ndarray, origin: pd.DataFrame | None
) -> np.ndarray:
    """``<words> <file>, row <n>`` of the row at `positions` where `mask` holds, else ''."""
    texts = np.full(len(mask), "", dtype=object)
    hits = np.flatnonzero(mask)
    for hit, position in zip(hits, positions[hits], strict=True):
        if origin is None or not origin["file"].iat[position]:
            texts[hit] = f"{words} row {position + 1}"
        else:
            texts[hit] = (
                f"{words} {origin['file'].iat[position]}, row {origin['row'].iat[position]}"
            )
    return texts


def _first_position(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """For each row, the position of the first row equal to it on `columns`."""
    if not columns:
        return np.arange(len(frame))
    codes = frame.groupby(columns, sort=False, dropna=False).ngroup().to_numpy()
    first = pd.Series(np.arange(len(frame))).groupby(codes).transform("min")
    return first.to_numpy()


def sku_matcher(skus: tuple[str, ...]) -> Callable[[pd.Series], np.ndarray]:
    exact = [s for s in skus if "*" not in s]
    patterns = [fnmatch.translate(s) for s in skus if "*" in s]
    regex = re.compile("|".join(patterns)) if patterns else None

    def match(values: pd.Series) -> np.ndarray:
        hit = isin(values, exact)
        if regex is not None:
            text = values.astype("string")
            hit |= text.str.match(regex).fillna(False).to_numpy(dtype=bool)
        return hit

    return match


def line_rules(
    lines: pd.DataFrame,
    verdict: Verdict,
    used: dict[str, pd.DataFrame],
    non_product: Callable[[pd.Series], np.ndarray],
    factor: float,
    categories: tuple[str, ...] = (),
) -> None:
    verdict.mark(non_product(lines["sku"]), "non_product", lines["sku"].astype(object))
    products = used.get("products")
    if categories and products is not None and len(products):
        category = lines["sku"].map(products.drop_duplicates("sku").set_index("sku")["category"])
        hit = isin(category, categories)
        verdict.mark(hit, "non_product", "category " + category.astype(object).astype(str))

    quantity = pd.to_numeric(_column(lines, "quantity"), errors="coerce").to_numpy(dtype=float)
    price = pd.to_numeric(_column(lines, "unit_price"), errors="coerce").to_numpy(dtype=float)
    status = _column(lines, "status").astype("string")
    reversal = isin(status, ["cancelled", "returned"])
    orders = used["orders"]
    customer = lines["order_id"].map(orders.set_index("order_id")["customer_id"])
    anonymous = missing(customer)
    verdict.mark((quantity < 0) & (price == 0) & anonymous, "write_off")

    bad_quantity = np.isnan(quantity) | (quantity == 0) | ((quantity < 0) & ~reversal)
    verdict.mark(bad_quantity, "bad_quantity", _texts(bad_quantity, "quantity {:g}", quantity))

    products = used.get("products")
    if products is not None and len(products):
        unknown = ~isin(lines["sku"], products["sku"])
        verdict.mark(unknown, "unknown_sku", "sku not among the used products")

    bad_price = np.isnan(price) | (price <= 0)
    verdict.mark(bad_price, "bad_price", _texts(bad_price, "unit_price {:g}", price))

    candidate = verdict.open
    median = (
        pd.Series(price[candidate], index=np.flatnonzero(candidate))
        .groupby(lines["sku"].to_numpy()[candidate])
        .transform("median")
        .reindex(range(len(lines)))
        .to_numpy(dtype=float)
    )
    outlier = candidate & (price > factor * median)
    template = f"unit_price {{:g}} > {factor:g} x SKU median {{:g}}"
    verdict.mark(outlier, "price_outlier", _texts(outlier, template, price, median))


def repair_timestamps(
    name: str, frame: pd.DataFrame, notes: list[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Blank the stamps that break the table's chain; report the violations pair by pair."""
    repaired = np.zeros(len(frame), dtype=bool)
    chain = [c for c in _CHAINS.get(name, ()) if c in frame.columns]
    by_date = _BY_DATE.get(name)
    if len(chain) < 2 and not (by_date and all(c in frame.columns for c in by_date)):
        return frame, repaired
    frame = frame.copy()
    stamps = {c: _stamps(frame, c) for c in chain}
    pairs = []
    for i, earlier in enumerate(chain):
        for later in chain[i + 1 :]:
            n = int((stamps[later] < stamps[earlier]).sum())
            if n:
                pairs.append(f"{later} before {earlier}: {n}")
    blanked = []
    last = stamps[chain[0]] if chain else None
    for column in chain[1:]:
        bad = (stamps[column] < last).to_numpy(dtype=bool)
        if bad.any():
            frame.loc[bad, column] = pd.NaT
            blanked.append(f"{column} {int(bad.sum())}")
            repaired |= bad
        kept = stamps[column].where(~bad)
        last = kept.where(kept.notna(), last)
    if by_date and all(c in frame.columns for c in by_date):
        later, earlier = by_date
        bad = (
            _stamps(frame, later).dt.normalize() < _stamps(frame, earlier).dt.normalize()
        ).to_numpy(dtype=bool)
        if bad.any():
            pairs.append(f"{later} before the date of {earlier}: {int(bad.sum())}")
            frame.loc[bad, later] = pd.NaT
            blanked.append(f"{later} {int(bad.sum())}")
            repaired |= bad
    if pairs:
        notes.append(
            f"{name}: timestamps out of order (all rows, pairs overlap): {'; '.join(pairs)}; "
            f"blanked: {', '.join(blanked)}"
        )
    return frame, repaired


def classify(name: str, frame: pd.DataFrame, repaired: np.ndarray) -> np.ndarray:
    label = np.full(len(frame), "ok", dtype=object)
    if name in ("orders", "order_lines") and "status" in frame.columns:
        status = frame["status"].astype("string")
        label[status.eq("returned").fillna(False).to_numpy(dtype=bool)] = "return"
        label[status.eq("cancelled").fillna(False).to_numpy(dtype=bool)] = "cancellation"
    label[repaired] = "timestamp_order"
    return label
