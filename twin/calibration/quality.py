"""The data-quality step: sort every row of the canonical history into *used* or *quarantined*.

:func:`check_history` takes canonical tables (as made by
:func:`~twin.calibration.mapping.apply_mapping`) and gives each input row exactly one reason, the
first rule below that matches it. Nothing is dropped silently: for every table,
``rows in == rows used + rows quarantined`` (asserted), and
:func:`~twin.calibration.quality_output.write_quality` writes the counts, the quarantined rows
and a bar chart. The rules themselves are in :mod:`twin.calibration.quality_rules`.

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
5b. ``not_finite`` / ``implausible_value`` (every table): a numeric column holds +-inf, or a value
   beyond its plausible range (the ``min``/``max`` of its spec in
   :mod:`twin.calibration.history`, default 0 to 1e9) by size; detail e.g. ``quantity not
   finite``. Tried before any rule that computes with the values (a SKU's median price).
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
12. ``negative_value`` / ``implausible_value`` / ``missing_value`` (every table): a value below its
    column's range (``negative_value`` when the range starts at 0, e.g. ``amount negative
    (-20)``), or missing in a required numeric column (optional ones may be missing, as before).
    Tried last so that order lines keep ``write_off``, ``bad_quantity`` and ``bad_price``.

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
row is quarantined by it), the notes say the match rate, and ``write_quality`` writes the
per-account links to ``erp_crm_match.csv`` and the rate into the chart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from twin.calibration.history import TABLES
from twin.calibration.matching import MatchResult
from twin.calibration.quality_rules import (
    Verdict,
    classify,
    generic_rules,
    isin,
    line_rules,
    repair_timestamps,
    sign_rules,
    sku_matcher,
)
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
    "not_finite",
    "implausible_value",
    "non_product",
    "write_off",
    "bad_quantity",
    "unknown_sku",
    "bad_price",
    "price_outlier",
    "negative_value",
    "missing_value",
)
"""Reasons for quarantining a row, in rule order."""

USED_REASONS: tuple[str, ...] = ("timestamp_order", "cancellation", "return", "no_lines", "ok")
"""Classes of used rows, in the order they are tried."""

COUNT_COLUMNS: tuple[str, ...] = ("table", "outcome", "reason", "rows")

MATCH_TABLE = "erp_crm_match"
"""The ``table`` of the match rows in :attr:`QualityResult.counts` (not a canonical table)."""


@dataclass
class QualityResult:
    """The outcome of :func:`check_history`.

    Attributes
    ----------
    tables : dict of str to pandas.DataFrame
        The used rows of each table, canonical columns unchanged (fresh ``0..n-1`` index); bad
        timestamps blanked on ``timestamp_order`` rows.
    quarantine : dict of str to pandas.DataFrame
        The quarantined rows of each table: ``file`` and ``row`` (where the row came from: its
        file, sheet or query, and its data row there, 1-based, header excluded), the canonical
        columns, ``reason`` and ``detail``; the index (``position``) is the row's 0-based
        position in the input table.
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
    origins: dict[str, pd.DataFrame] | None = None,
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
    origins : dict of str to pandas.DataFrame, optional
        Where each row of each table came from (``MappedHistory.origins``: columns ``file`` and
        ``row``, the data row in that file, 1-based, header excluded). Default: no file, and the
        row counted from 1 in the order of the table.

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
    non_product = sku_matcher(tuple(non_product_skus))
    categories = tuple(non_product_categories)

    used: dict[str, pd.DataFrame] = {}
    quarantine: dict[str, pd.DataFrame] = {}
    labels: dict[str, np.ndarray] = {}
    notes = [*notes, f"as_of = {as_of_ts} (event timestamps after it are future_date)"]
    for name in TABLES:  # schema order: every referenced table comes before its referrers
        if name not in tables:
            continue
        frame = tables[name].reset_index(drop=True)
        origin = _origin((origins or {}).get(name), len(frame))
        verdict = Verdict(len(frame))
        generic_rules(name, frame, verdict, as_of_ts, used, source_line_numbers, origin)
        if name == "order_lines":
            line_rules(frame, verdict, used, non_product, price_outlier_factor, categories)
        sign_rules(name, frame, verdict)
        frame, repaired = repair_timestamps(name, frame, notes)
        label = classify(name, frame, repaired)
        used_mask = verdict.open
        labels[name] = np.where(used_mask, label, verdict.reason)
        used[name] = frame[used_mask].reset_index(drop=True)
        q = tables[name].reset_index(drop=True)[~used_mask].copy()
        q.insert(0, "row", origin["row"].to_numpy()[~used_mask])
        q.insert(0, "file", origin["file"].to_numpy()[~used_mask])
        q["reason"] = pd.Series(verdict.reason[~used_mask], index=q.index, dtype="string")
        q["detail"] = pd.Series(verdict.detail[~used_mask], index=q.index, dtype="string")
        q.index.name = "position"
        quarantine[name] = q
        assert len(used[name]) + len(q) == len(frame), name

    if "orders" in used and "order_lines" in used:
        orders = used["orders"]
        no_lines = ~isin(orders["order_id"], used["order_lines"]["order_id"])
        kept = labels["orders"]
        positions = np.flatnonzero(np.isin(kept, USED_REASONS))
        relabel = positions[no_lines & (kept[positions] == "ok")]
        kept[relabel] = "no_lines"
        never = ~isin(orders["order_id"], tables["order_lines"]["order_id"])
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


def _origin(given: pd.DataFrame | None, n: int) -> pd.DataFrame:
    if given is not None and len(given) == n:
        return given.reset_index(drop=True)
    return pd.DataFrame({"file": [""] * n, "row": np.arange(1, n + 1)})


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
