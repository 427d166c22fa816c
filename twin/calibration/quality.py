"""The data-quality step: sort every row of the canonical history into *used* or *quarantined*.

:func:`check_history` takes canonical tables (as made by
:func:`~twin.calibration.mapping.apply_mapping`) and gives each input row exactly one reason, the
first rule below that matches it. Nothing is dropped silently: for every table,
``rows in == rows used + rows quarantined`` (asserted), and :func:`write_quality` writes the counts,
the quarantined rows and a bar chart.

Rules, in the order they are tried (the first match decides)
------------------------------------------------------------
Quarantined:

1. ``missing_key``: a key column is missing, or a column the row cannot be used without
   (``orders.ordered_at``, ``order_lines.sku``, ``invoices.customer_id``). A missing
   ``orders.customer_id`` is *not* a problem: it is an anonymous order.
2. ``duplicate_row``: an exact repeat of an earlier row. ``order_lines.line_no`` is left out of the
   comparison when the mapping numbers lines itself (``row_number_by``), which turns an exact
   duplicate source row into a new line number; when line numbers come from the source
   (``source_line_numbers=True``), two lines of one SKU at one price are distinct lines. The
   first occurrence is kept.
3. ``duplicate_key``: the key of an earlier row with different content; the first is kept.
4. ``future_date``: an event timestamp (ordered, approved, shipped, delivered, paid, ...) after
   `as_of`. Promises and due dates may lie in the future and are not checked.
5. Orphan foreign keys, referring to the *used* rows of a table checked earlier, and only when
   that table is given and not empty: ``orphan_order`` (order_id not among the used orders,
   missing or quarantined), ``unknown_customer``, ``unknown_invoice``, ``unknown_account``.
   ``unknown_sku`` is tried later on order lines (after rule 8) so that postage and fees, which
   are never in a product master, get the more telling ``non_product``.
6. ``non_product`` (order lines): the SKU is postage, a fee, a discount or a manual adjustment
   (`non_product_skus`; entries with ``*`` are case-sensitive glob patterns), or its product's
   category is one of `non_product_categories` (fuel, gift cards: a grocery's fuel line counts
   litres or cents, not units).
7. ``write_off`` (order lines): negative quantity, price 0 and an order without customer: a stock
   correction ("damages", "thrown away"), not a customer return.
8. ``bad_quantity`` (order lines): quantity missing, zero, or negative on a line that is neither
   ``cancelled`` nor ``returned``.
9. ``unknown_sku``: the SKU is not in ``products`` (when products are given).
10. ``bad_price`` (order lines): unit price missing, zero or negative.
11. ``price_outlier`` (order lines): unit price above `price_outlier_factor` times the median
    unit price of the SKU, the median taken over the lines that passed rules 1-10.

Used, classified:

- ``timestamp_order``: the row is used, but a timestamp that breaks the chain
  ``ordered_at <= approved_at <= shipped_at <= delivered_at`` (orders; similar chains for purchase
  orders, tickets and opportunities) was blanked: walking the chain, a stamp earlier than the
  last kept one is set missing. A promise (or due date) before the order date, compared by date,
  is blanked too. *Why blank rather than quarantine:* the order itself happened (its arrival
  time, customer and lines are fine) and dropping it would bias demand; only the impossible
  interval must not reach the lead-time fits. Which of the two stamps is wrong is unknown; the
  later one is blanked, so the earlier stages keep their data.
- ``cancellation`` / ``return``: status ``cancelled`` / ``returned`` (order lines and orders);
  classified and used, never dropped.
- ``no_lines`` (orders): the order has no used line (Olist's unavailable and cancelled orders are
  real demand that went unserved). Used, and counted in the notes.
- ``ok``: everything else.

ERP-CRM match. When the mapping linked CRM accounts to ERP customers
(:mod:`twin.calibration.matching`), :func:`check_history` takes the match and reports it: the
counts get one row per outcome under the pseudo-table :data:`MATCH_TABLE` (outcome ``used`` for
``by_key`` and ``by_name``, ``unmatched`` for ``ambiguous`` and ``unmatched``, rows = accounts; no
row is quarantined by it), the notes say the match rate, and :func:`write_quality` writes the
per-account links to ``erp_crm_match.csv`` and the rate into the chart.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from twin.calibration.history import TABLES
from twin.calibration.matching import MatchResult
from twin.calibration.privacy import pseudonym, pseudonym_key, pseudonymise
from twin.errors import InputError

DEFAULT_NON_PRODUCT: tuple[str, ...] = (
    "POST",
    "DOT",
    "M",
    "m",
    "C2",
    "D",
    "S",
    "BANK CHARGES",
    "AMAZONFEE",
    "CRUK",
    "B",
    "PADS",
    "gift_0001_*",
    "DCGS*",
)
"""Online Retail stock codes that are postage, fees, discounts, samples or adjustments."""

QUARANTINE_REASONS: tuple[str, ...] = (
    "missing_key",
    "duplicate_row",
    "duplicate_key",
    "future_date",
    "orphan_order",
    "unknown_customer",
    "unknown_invoice",
    "unknown_account",
    "non_product",
    "write_off",
    "bad_quantity",
    "unknown_sku",
    "bad_price",
    "price_outlier",
)
"""Reasons for quarantining a row, in rule order."""

USED_REASONS: tuple[str, ...] = ("timestamp_order", "cancellation", "return", "no_lines", "ok")
"""Classes of used rows, in the order they are tried."""

COUNT_COLUMNS: tuple[str, ...] = ("table", "outcome", "reason", "rows")

MATCH_TABLE = "erp_crm_match"
"""The ``table`` of the match rows in :attr:`QualityResult.counts` (not a canonical table)."""

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


@dataclass
class QualityResult:
    """The outcome of :func:`check_history`.

    Attributes
    ----------
    tables : dict of str to pandas.DataFrame
        The used rows of each table, canonical columns unchanged (fresh ``0..n-1`` index); bad
        timestamps blanked on ``timestamp_order`` rows.
    quarantine : dict of str to pandas.DataFrame
        The quarantined rows of each table: canonical columns plus ``reason`` and ``detail``, with
        the input row number as index ``row``.
    counts : pandas.DataFrame
        Columns ``table, outcome ('used' | 'quarantined'), reason, rows``; one row per non-empty
        class. Per table the rows sum to the input row count.
        With a match, also the rows of :data:`MATCH_TABLE` (accounts per match outcome).
    notes : list of str
        Findings that are not row counts: timestamp violations by pair, orders without lines,
        the `as_of` used, the ERP-CRM match rate.
    match : MatchResult, optional
        The ERP-CRM account match, when the mapping made one.
    """

    tables: dict[str, pd.DataFrame]
    quarantine: dict[str, pd.DataFrame]
    counts: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    match: MatchResult | None = None

    @property
    def match_rate(self) -> float | None:
        """Matched CRM accounts / accounts (dimensionless); None without a match."""
        return None if self.match is None else self.match.rate


class _Verdict:
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


def check_history(
    tables: dict[str, pd.DataFrame],
    *,
    as_of: pd.Timestamp | str | None = None,
    non_product_skus: Iterable[str] = DEFAULT_NON_PRODUCT,
    price_outlier_factor: float = 20.0,
    source_line_numbers: bool = False,
    non_product_categories: Iterable[str] = (),
    match: MatchResult | None = None,
    notes: Iterable[str] = (),
) -> QualityResult:
    """Sort every row of canonical `tables` into used or quarantined, with one reason each.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        Canonical tables by name (keys of :data:`~twin.calibration.history.TABLES`), e.g.
        ``apply_mapping(...).tables``. Key columns must be present; other absent columns are
        treated as all missing.
    as_of : pandas.Timestamp or str, optional
        The moment the history was extracted (local time): event timestamps after it are
        ``future_date``. Default: now, when the check runs (the last order date would flag every
        delivery after the last order).
    non_product_skus : iterable of str
        SKUs of postage, fees and adjustments; entries containing ``*`` are case-sensitive glob
        patterns. Default :data:`DEFAULT_NON_PRODUCT` (the Online Retail codes).
    price_outlier_factor : float
        A line's unit price above this multiple of its SKU's median unit price is a
        ``price_outlier`` (dimensionless, > 1).
    source_line_numbers : bool
        Whether ``order_lines.line_no`` comes from the source (then it takes part in the
        duplicate-row comparison) rather than being numbered by the mapping.
    non_product_categories : iterable of str
        Product categories (``products.category``) whose order lines are ``non_product``, e.g.
        ``FUEL``; needs ``products``.
    match : MatchResult, optional
        The ERP-CRM match made by the mapping (``MappedHistory.match``), to report.
    notes : iterable of str
        Notes of the mapping step (``MappedHistory.notes``), put first.

    Returns
    -------
    QualityResult
        Used rows, quarantined rows with reasons, counts and notes.

    Raises
    ------
    InputError
        An unknown table name; a key column missing from a table; order lines without orders; a
        `price_outlier_factor` not above 1; an `as_of` that is not a time.
    """
    if not price_outlier_factor > 1:
        raise InputError(f'"price_outlier_factor" must be > 1, got {price_outlier_factor!r}.')
    unknown = [name for name in tables if name not in TABLES]
    if unknown:
        raise InputError(
            f"unknown canonical table(s) {', '.join(unknown)}; "
            f"expected some of: {', '.join(TABLES)}"
        )
    for name, frame in tables.items():
        absent = [c for c in TABLES[name].key if c not in frame.columns]
        if absent:
            raise InputError(f"table {name}: key column(s) {', '.join(absent)} are missing")
    if "order_lines" in tables and "orders" not in tables:
        raise InputError("order lines were given without the orders table they belong to")
    try:
        as_of_ts = pd.Timestamp.now() if as_of is None else pd.Timestamp(as_of)
    except (TypeError, ValueError) as exc:
        raise InputError(f'"as_of" must be a date/time, got {as_of!r}') from exc
    if pd.isna(as_of_ts):
        raise InputError(f'"as_of" must be a date/time, got {as_of!r}')
    non_product = _sku_matcher(tuple(non_product_skus))
    categories = tuple(non_product_categories)

    used: dict[str, pd.DataFrame] = {}
    quarantine: dict[str, pd.DataFrame] = {}
    labels: dict[str, np.ndarray] = {}
    notes = [*notes, f"as_of = {as_of_ts} (event timestamps after it are future_date)"]
    for name in TABLES:  # schema order: every referenced table comes before its referrers
        if name not in tables:
            continue
        frame = tables[name].reset_index(drop=True)
        verdict = _Verdict(len(frame))
        _generic_rules(name, frame, verdict, as_of_ts, used, source_line_numbers)
        if name == "order_lines":
            _line_rules(frame, verdict, used, non_product, price_outlier_factor, categories)
        frame, repaired = _repair_timestamps(name, frame, notes)
        label = _classify(name, frame, repaired)
        used_mask = verdict.open
        labels[name] = np.where(used_mask, label, verdict.reason)
        used[name] = frame[used_mask].reset_index(drop=True)
        q = tables[name].reset_index(drop=True)[~used_mask].copy()
        q["reason"] = pd.Series(verdict.reason[~used_mask], index=q.index, dtype="string")
        q["detail"] = pd.Series(verdict.detail[~used_mask], index=q.index, dtype="string")
        q.index.name = "row"
        quarantine[name] = q
        assert len(used[name]) + len(q) == len(frame), name

    if "orders" in used and "order_lines" in used:
        orders = used["orders"]
        no_lines = ~_isin(orders["order_id"], used["order_lines"]["order_id"])
        kept = labels["orders"]
        positions = np.flatnonzero(np.isin(kept, USED_REASONS))
        relabel = positions[no_lines & (kept[positions] == "ok")]
        kept[relabel] = "no_lines"
        never = ~_isin(orders["order_id"], tables["order_lines"]["order_id"])
        notes.append(
            f"orders: {int(no_lines.sum())} used orders have no used line "
            f"({int(never.sum())} had no line in the input)"
        )
    if "order_lines" in used:
        lines = used["order_lines"]
        repeats = int(lines.duplicated(["order_id", "sku"]).sum())
        if repeats:
            notes.append(
                f"order_lines: {repeats} used lines repeat the (order_id, sku) of another line "
                "with different quantity, price or status (kept: price tiers, split lines)"
            )

    counts = _counts(tables, labels)
    for name, frame in tables.items():
        total = int(counts.loc[counts["table"] == name, "rows"].sum())
        assert total == len(frame), (name, total, len(frame))
    if match is not None:
        rows = [
            (MATCH_TABLE, "used" if outcome in ("by_key", "by_name") else "unmatched", outcome, n)
            for outcome, n in zip(match.counts["outcome"], match.counts["accounts"], strict=True)
            if n
        ]
        extra = pd.DataFrame(rows, columns=list(COUNT_COLUMNS)).astype({"rows": "int64"})
        counts = pd.concat([counts, extra], ignore_index=True) if rows else counts
        if not any(note.startswith("ERP-CRM match") for note in notes):
            notes.append(match.note())
    return QualityResult(used, quarantine, counts, notes, match)


def _isin(values: pd.Series, reference: Iterable[object]) -> np.ndarray:
    """`values.isin(reference)` as a writable bool array; missing values are never in it.

    Both sides go through object arrays: ``isin`` on pyarrow-backed strings loops in Python.
    """
    reference = pd.Series(list(reference) if not isinstance(reference, pd.Series) else reference)
    known = reference.dropna().to_numpy(dtype=object)
    hit = pd.Series(values.to_numpy(dtype=object, na_value=None), dtype=object).isin(known)
    return hit.to_numpy(dtype=bool, copy=True) & ~values.isna().to_numpy(dtype=bool)


def _missing(series: pd.Series) -> np.ndarray:
    missing = series.isna().to_numpy(dtype=bool)
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        blank = series.astype("string").str.strip().eq("").fillna(False).to_numpy(dtype=bool)
        missing = missing | blank
    return missing


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(pd.NA, index=frame.index, dtype=object)


def _stamps(frame: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_datetime(_column(frame, name), errors="coerce")


def _generic_rules(
    name: str,
    frame: pd.DataFrame,
    verdict: _Verdict,
    as_of: pd.Timestamp,
    used: dict[str, pd.DataFrame],
    source_line_numbers: bool = False,
) -> None:
    table = TABLES[name]
    for column in (*table.key, *_NEEDED.get(name, ())):
        verdict.mark(_missing(_column(frame, column)), "missing_key", column)

    derived_line_no = name == "order_lines" and not source_line_numbers
    compare = [c for c in frame.columns if not (derived_line_no and c == "line_no")]
    first_of = _first_position(frame, compare)
    positions = np.arange(len(frame))
    repeat = first_of != positions
    verdict.mark(repeat, "duplicate_row", _texts(repeat, "same as row {}", first_of))
    first_key = _first_position(frame, list(table.key))
    repeat = first_key != positions
    verdict.mark(repeat, "duplicate_key", _texts(repeat, "key of row {}", first_key))

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
        absent = ~_missing(values) & ~_isin(values, reference[key])
        verdict.mark(absent, reason, f"{column} not among the used {target}")
    products = used.get("products")
    checks_sku = name not in ("products", "order_lines") and "sku" in frame.columns
    if checks_sku and products is not None and len(products):
        values = frame["sku"]
        absent = ~_missing(values) & ~_isin(values, products["sku"])
        verdict.mark(absent, "unknown_sku", "sku not among the used products")


def _texts(mask: np.ndarray, template: str, *values: np.ndarray) -> np.ndarray:
    """`template` filled with `values` where `mask` holds, else ''; formats only the hits."""
    texts = np.full(len(mask), "", dtype=object)
    hits = np.flatnonzero(mask)
    texts[hits] = [template.format(*args) for args in zip(*(v[hits] for v in values), strict=True)]
    return texts


def _first_position(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """For each row, the position of the first row equal to it on `columns`."""
    if not columns:
        return np.arange(len(frame))
    codes = frame.groupby(columns, sort=False, dropna=False).ngroup().to_numpy()
    first = pd.Series(np.arange(len(frame))).groupby(codes).transform("min")
    return first.to_numpy()


def _sku_matcher(skus: tuple[str, ...]) -> Callable[[pd.Series], np.ndarray]:
    exact = [s for s in skus if "*" not in s]
    patterns = [fnmatch.translate(s) for s in skus if "*" in s]
    regex = re.compile("|".join(patterns)) if patterns else None

    def match(values: pd.Series) -> np.ndarray:
        hit = _isin(values, exact)
        if regex is not None:
            text = values.astype("string")
            hit |= text.str.match(regex).fillna(False).to_numpy(dtype=bool)
        return hit

    return match


def _line_rules(
    lines: pd.DataFrame,
    verdict: _Verdict,
    used: dict[str, pd.DataFrame],
    non_product: Callable[[pd.Series], np.ndarray],
    factor: float,
    categories: tuple[str, ...] = (),
) -> None:
    verdict.mark(non_product(lines["sku"]), "non_product", lines["sku"].astype(object))
    products = used.get("products")
    if categories and products is not None and len(products):
        category = lines["sku"].map(products.drop_duplicates("sku").set_index("sku")["category"])
        hit = _isin(category, categories)
        verdict.mark(hit, "non_product", "category " + category.astype(object).astype(str))

    quantity = pd.to_numeric(_column(lines, "quantity"), errors="coerce").to_numpy(dtype=float)
    price = pd.to_numeric(_column(lines, "unit_price"), errors="coerce").to_numpy(dtype=float)
    status = _column(lines, "status").astype("string")
    reversal = _isin(status, ["cancelled", "returned"])
    orders = used["orders"]
    customer = lines["order_id"].map(orders.set_index("order_id")["customer_id"])
    anonymous = _missing(customer)
    verdict.mark((quantity < 0) & (price == 0) & anonymous, "write_off")

    bad_quantity = np.isnan(quantity) | (quantity == 0) | ((quantity < 0) & ~reversal)
    verdict.mark(bad_quantity, "bad_quantity", _texts(bad_quantity, "quantity {:g}", quantity))

    products = used.get("products")
    if products is not None and len(products):
        unknown = ~_isin(lines["sku"], products["sku"])
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


def _repair_timestamps(
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


def _classify(name: str, frame: pd.DataFrame, repaired: np.ndarray) -> np.ndarray:
    label = np.full(len(frame), "ok", dtype=object)
    if name in ("orders", "order_lines") and "status" in frame.columns:
        status = frame["status"].astype("string")
        label[status.eq("returned").fillna(False).to_numpy(dtype=bool)] = "return"
        label[status.eq("cancelled").fillna(False).to_numpy(dtype=bool)] = "cancellation"
    label[repaired] = "timestamp_order"
    return label


def _counts(tables: dict[str, pd.DataFrame], labels: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = []
    for name in labels:
        values = pd.Series(labels[name], dtype=object).value_counts()
        for outcome, reasons in (("used", USED_REASONS), ("quarantined", QUARANTINE_REASONS)):
            for reason in reasons:
                if values.get(reason, 0):
                    rows.append((name, outcome, reason, int(values[reason])))
    counts = pd.DataFrame(rows, columns=list(COUNT_COLUMNS))
    counts["rows"] = counts["rows"].astype("int64")
    return counts


def write_quality(result: QualityResult, out_dir: Path | str) -> list[Path]:
    """Write the quality report of `result` into `out_dir`.

    Parameters
    ----------
    result : QualityResult
        From :func:`check_history`.
    out_dir : path
        Folder to write to; created when absent.

    Returns
    -------
    list of pathlib.Path
        ``quality.csv`` (the counts), ``quarantine/<table>.csv`` for every table (header only when
        nothing was quarantined; the input row number in column ``row``; customer and account ids
        pseudonymised and personal columns dropped, see :mod:`twin.calibration.privacy`),
        ``erp_crm_match.csv`` when there is a match (one row per CRM account, ids hashed, columns
        :data:`~twin.calibration.matching.LINK_COLUMNS`) and ``quality.png`` (rows per table and
        reason, log scale; the match rate in the title).
    """
    from matplotlib.figure import Figure

    out = Path(out_dir)
    (out / "quarantine").mkdir(parents=True, exist_ok=True)
    paths = [out / "quality.csv"]
    result.counts.to_csv(paths[0], index=False)
    key = pseudonym_key(out)
    for name, frame in result.quarantine.items():
        path = out / "quarantine" / f"{name}.csv"
        # quarantined rows are shown to people: ids hashed, names and contacts left out
        pseudonymise(frame, key).to_csv(path, index=True, index_label="row")
        paths.append(path)
    if result.match is not None:
        path = out / "erp_crm_match.csv"
        links = pseudonymise(result.match.links, key)
        # candidate and given ids are customer ids too: hashed alike, so they can be compared
        links["given_customer_id"] = links["given_customer_id"].map(lambda v: pseudonym(v, key))
        links["candidate_ids"] = [
            ";".join(str(pseudonym(c, key)) for c in str(v).split(";")) if v else v
            for v in links["candidate_ids"].fillna("")
        ]
        links.to_csv(path, index=False)
        paths.append(path)

    counts = result.counts
    n = max(len(counts), 1)
    figure = Figure(figsize=(8, 1.5 + 0.3 * n), layout="constrained")
    axes = figure.subplots()
    labels = [f"{t}: {r}" for t, r in zip(counts["table"], counts["reason"], strict=True)]
    colours = ["tab:green" if o == "used" else "tab:red" for o in counts["outcome"]]
    positions = np.arange(len(counts))
    axes.barh(positions, counts["rows"], color=colours)
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()
    if len(counts):
        axes.set_xscale("log")
    for y, value in zip(positions, counts["rows"], strict=True):
        axes.annotate(f"{value:,}", (value, y), xytext=(3, 0), textcoords="offset points",
                      va="center", fontsize=8)  # fmt: skip
    axes.set_xlabel("rows (log scale); green used, red quarantined")
    title = "Data quality: rows per table and reason"
    if result.match is not None:
        title += f"\nERP-CRM match rate {100 * result.match.rate:.1f} % of CRM accounts"
        title += f" ({result.match.matched} of {result.match.accounts})"
    axes.set_title(title)
    png = out / "quality.png"
    figure.savefig(png, dpi=100)
    paths.append(png)
    return paths
