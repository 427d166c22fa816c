"""The ``prices_file``: each SKU's (and segment's) distribution of the unit price paid.

With it, every order line sells at a price drawn from its SKU's distribution instead of the
product's ``price``. The file (Parquet, or CSV for a file written by hand) has one row per SKU,
or per segment and SKU:

- ``segment``: the segment the row holds for; empty for the SKU's row for every segment;
- ``sku``: a product of the scenario;
- ``lines``: how many history lines the row was fitted from (information only, >= 0);
- ``mean``: the mean unit price (currency per unit, >= 0);
- ``q00``, ``q10``, ..., ``q100``: the 0 %, 10 %, ..., 100 % quantiles of the unit price
  (non-decreasing, >= 0).

Optionally, units per line (all or none of these columns; a file without them leaves each line's
quantity to the segment's ``quantity`` distribution, as without a prices file):

- ``units_mean``: the mean units per line of the row's SKU (>= 1);
- ``units_q00``, ..., ``units_q100``: the 0 %, 10 %, ..., 100 % quantiles of the units per line
  (non-decreasing, >= 1).

A line of segment ``g`` and SKU ``s`` draws from row ``(g, s)``, else from row ``(empty, s)``,
else sells at the product's ``price`` (and takes the segment's ``quantity``). The draw is the
quantile function at a uniform: linear between the stored quantiles up to ``q90``, and in the
top decile a straight line from ``q90`` to the end point that makes the draw's mean the row's
``mean`` exactly (``q100``, the largest price seen, is not used for the draw; see
:func:`fitted_row`). The file is read and checked when the scenario is validated, so a bad file
is an input error naming the file, row and column before anything runs.

Units per line are drawn the same way (the same quantile function with its mean made exact),
and the continuous draw ``x`` is made a whole number of units by ``floor(x + v)`` with a second
uniform ``v``, whose mean is ``x`` exactly: the draw's mean units per line is ``units_mean``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from twin.errors import InputError

if TYPE_CHECKING:  # numpy costs start-up; a scenario error must not wait for it
    import numpy as np

#: The quantile columns, in order, and the probabilities they are at.
QUANTILE_COLUMNS = tuple(f"q{p:02d}" for p in range(0, 101, 10))
#: ``numpy.linspace(0, 1, 11)`` exactly (i * 0.1, the last 1.0), without importing numpy here.
QUANTILE_LEVELS = (*(i * 0.1 for i in range(len(QUANTILE_COLUMNS) - 1)), 1.0)
PRICE_COLUMNS = ("segment", "sku", "lines", "mean", *QUANTILE_COLUMNS)
#: The optional units-per-line columns: all or none.
UNITS_QUANTILE_COLUMNS = tuple(f"units_{c}" for c in QUANTILE_COLUMNS)
UNITS_COLUMNS = ("units_mean", *UNITS_QUANTILE_COLUMNS)


@dataclass(frozen=True)
class PriceRows:
    """The checked rows of a prices file: segment (``None``: every segment), SKU, mean and
    quantiles (one row of ``quantiles`` per entry); with the units columns, the mean and
    quantiles of units per line (None without them)."""

    segments: tuple[str | None, ...]
    skus: tuple[str, ...]
    means: np.ndarray
    quantiles: np.ndarray
    unit_means: np.ndarray | None = None
    unit_quantiles: np.ndarray | None = None


def _read_frame(path: Path):
    import pandas as pd  # here, not at import: a scenario without a prices file needs none

    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, dtype={"segment": str, "sku": str})
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise InputError(f"prices_file {path}: file not found") from None
    except Exception as exc:  # pyarrow and pandas raise many kinds for an unreadable file
        raise InputError(
            f"Cannot read prices_file {path}: {exc}; expected a Parquet (or .csv) file with "
            f"the columns {', '.join(PRICE_COLUMNS)}"
        ) from None


def read_prices(path: Path, skus: set[str], segments: set[str]) -> PriceRows:
    """Read and check a prices file against the scenario's SKUs and segments.

    Raises :class:`InputError` naming the file, the row (data rows count from 1) and the column
    of the first problem: a missing or unknown column, an empty or unknown SKU, an unknown
    segment, a row given twice, a missing, negative or non-finite number, decreasing quantiles.
    """
    import numpy as np
    import pandas as pd

    frame = _read_frame(path)
    missing = [c for c in PRICE_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"prices_file {path} lacks column(s) {', '.join(missing)}; expected the columns "
            f"{', '.join(PRICE_COLUMNS)}"
        )
    has_units = any(c in frame.columns for c in UNITS_COLUMNS)
    missing = [c for c in UNITS_COLUMNS if c not in frame.columns] if has_units else []
    if missing:
        raise InputError(
            f"prices_file {path} lacks column(s) {', '.join(missing)}; the units-per-line "
            f"columns {', '.join(UNITS_COLUMNS)} come all together or not at all"
        )
    known = PRICE_COLUMNS + UNITS_COLUMNS
    extra = [c for c in frame.columns if c not in known]
    if extra:
        raise InputError(f"prices_file {path} has unknown column(s) {', '.join(map(str, extra))}")

    def where(row: int, column: str) -> str:
        return f"prices_file {path}, row {row + 1}, column {column}"

    segment_of = []
    for row, value in enumerate(frame["segment"].tolist()):
        name = None if value is None or (isinstance(value, float) and np.isnan(value)) else value
        name = None if name == "" else name
        if name is not None and str(name) not in segments:
            raise InputError(
                f"{where(row, 'segment')}: unknown segment {name!r}; expected one of "
                f"{', '.join(sorted(segments))} or empty (every segment)"
            )
        segment_of.append(None if name is None else str(name))
    sku_of = []
    for row, value in enumerate(frame["sku"].tolist()):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
            raise InputError(f"{where(row, 'sku')}: the SKU is missing")
        if str(value) not in skus:
            raise InputError(f"{where(row, 'sku')}: unknown SKU {value!r} (not in products)")
        sku_of.append(str(value))
    numbers = {}
    for column in ("lines", "mean", *QUANTILE_COLUMNS, *(UNITS_COLUMNS if has_units else ())):
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        least = 1.0 if column.startswith("units_") else 0.0
        bad = np.flatnonzero(~np.isfinite(values) | (values < least))
        if bad.size:
            row = int(bad[0])
            cell = frame[column].iloc[row]
            shown = repr(cell.item() if hasattr(cell, "item") else cell)
            what = "units per line" if least else "currency per unit; lines: a count"
            raise InputError(
                f"{where(row, column)}: {shown} is not a finite number >= {least:g} ({what})"
            )
        numbers[column] = values

    def increasing(columns: tuple[str, ...]) -> np.ndarray:
        quantiles = np.column_stack([numbers[c] for c in columns])
        falling = np.flatnonzero((np.diff(quantiles, axis=1) < 0).any(axis=1))
        if falling.size:
            row = int(falling[0])
            column = columns[int(np.flatnonzero(np.diff(quantiles[row]) < 0)[0]) + 1]
            raise InputError(f"{where(row, column)}: the quantiles must not decrease along the row")
        return quantiles

    quantiles = increasing(QUANTILE_COLUMNS)
    unit_quantiles = increasing(UNITS_QUANTILE_COLUMNS) if has_units else None
    seen: dict[tuple[str | None, str], int] = {}
    for row, key in enumerate(zip(segment_of, sku_of, strict=True)):
        if key in seen:
            raise InputError(
                f"{where(row, 'sku')}: segment {key[0] or '(every)'} and SKU {key[1]!r} are "
                f"given twice (first in row {seen[key] + 1})"
            )
        seen[key] = row
    return PriceRows(
        tuple(segment_of),
        tuple(sku_of),
        numbers["mean"],
        quantiles,
        numbers["units_mean"] if has_units else None,
        unit_quantiles,
    )


def fitted_row(quantiles: np.ndarray, mean: float) -> tuple[np.ndarray, float]:
    """The draw table of one row and its scale factor, so the draw's mean is ``mean``.

    The quantile function is linear between the stored quantiles. Up to ``q90`` it is the
    stored one; the top decile, where a few extreme prices would make a straight line to the
    maximum overstate the mean, is a straight line from ``q90`` to the end point that gives
    the row's mean. When the mean is below what the lower nine deciles allow (possible only in
    a file written by hand), the stored function is scaled to it instead.
    """
    import numpy as np

    q = np.asarray(quantiles, dtype=float).copy()
    if np.isclose(float(((q[:-1] + q[1:]) / 2.0).mean()), mean, rtol=1e-12, atol=0.0):
        return q, 1.0  # the stored function has the mean already (a constant price, say)
    body = float(((q[:-2] + q[1:-1]) / 2.0).sum()) / (q.size - 1)
    top_mean = (mean - body) * (q.size - 1)  # the top decile's mean
    if top_mean >= q[-2]:
        q[-1] = 2.0 * top_mean - q[-2]
        return q, 1.0
    shape_mean = float(((q[:-1] + q[1:]) / 2.0).mean())
    return q, (mean / shape_mean if shape_mean > 0 else 0.0)


def _tables(
    quantiles: np.ndarray,
    means: np.ndarray,
    rows: PriceRows,
    skus: tuple[str, ...],
    segment: str,
    default: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per SKU number: the draw table, scale factor and whether a row gave them (see
    :func:`price_tables`); a SKU without a row keeps ``default`` (all quantiles equal)."""
    import numpy as np

    table = np.repeat(np.asarray(default, dtype=float)[:, None], len(QUANTILE_COLUMNS), axis=1)
    factor = np.ones(len(skus))
    has_row = np.zeros(len(skus), dtype=bool)
    index = {sku: i for i, sku in enumerate(skus)}
    for pass_segment in (None, segment):  # the segment's own rows override the pooled ones
        for k, (row_segment, sku) in enumerate(zip(rows.segments, rows.skus, strict=True)):
            if row_segment == pass_segment:
                i = index[sku]
                table[i], factor[i] = fitted_row(quantiles[k], float(means[k]))
                has_row[i] = True
    return table, factor, has_row


def price_tables(
    rows: PriceRows, skus: tuple[str, ...], segment: str, list_price: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One segment's draw tables, per SKU number: quantiles (n_skus x 11) and scale factors
    (see :func:`fitted_row`). A SKU without a row sells at its list price (all quantiles equal
    to it, factor 1)."""
    table, factor, _ = _tables(rows.quantiles, rows.means, rows, skus, segment, list_price)
    return table, factor


def unit_tables(
    rows: PriceRows, skus: tuple[str, ...], segment: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """One segment's units-per-line draw tables, per SKU number: quantiles (n_skus x 11),
    scale factors and whether the SKU has a row (a SKU without one takes the segment's
    ``quantity``); None when the file has no units columns."""
    if rows.unit_quantiles is None or rows.unit_means is None:
        return None
    import numpy as np

    return _tables(rows.unit_quantiles, rows.unit_means, rows, skus, segment, np.ones(len(skus)))


def table_means(table: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """The mean of each SKU's draw (the trapezoid mean of its scaled quantile function)."""
    return ((table[:, :-1] + table[:, 1:]) / 2.0).mean(axis=1) * factor


def draw_units(
    table: np.ndarray, factor: np.ndarray, skus: np.ndarray, uniforms: np.ndarray
) -> np.ndarray:
    """Whole units per line of SKU numbers ``skus`` from two uniforms per line
    (``uniforms``: lines x 2): the SKU's quantile function at the first, made whole by
    ``floor(x + v)`` with the second (mean ``x`` exactly), at least 1."""
    import numpy as np

    x = draw_prices(table, factor, skus, uniforms[:, 0])
    return np.maximum(np.floor(x + uniforms[:, 1]), 1.0).astype(np.int64)


def draw_prices(
    table: np.ndarray, factor: np.ndarray, skus: np.ndarray, uniforms: np.ndarray
) -> np.ndarray:
    """Unit prices of lines of SKU numbers ``skus``: each SKU's scaled quantile function at the
    line's uniform."""
    import numpy as np

    position = uniforms * (table.shape[1] - 1)
    low = np.minimum(np.floor(position).astype(np.int64), table.shape[1] - 2)
    frac = position - low
    q_low = table[skus, low]
    q_high = table[skus, low + 1]
    return (q_low + frac * (q_high - q_low)) * factor[skus]
