"""The prices file of a calibrated model: each SKU's (and segment's) distribution of the net unit
price paid, as quantiles and a mean (format: :mod:`twin.scenario.prices`).

What is fitted, and why so
--------------------------
- The price of a line is the net unit price paid, ``(quantity x unit_price - discount) /
  quantity`` (a missing discount is 0), over the ordered lines of orders not cancelled (returns
  and negative lines are not ordered lines); lines with a negative net price are left out and
  counted in the fit report.
- Prices are weighted by quantity (units), not by line. The twin draws a line's quantity and
  price independently, so a line's expected value is ``E[q] x E[p]``; with ``E[p]`` the
  unit-weighted mean ``sum(q p) / sum(q)`` of a SKU, that is the SKU's revenue per line whatever
  the correlation of quantity and price within the SKU (bulk buys at lower prices), where the
  line-weighted mean would overstate it.
- A row holds for every segment (``segment`` empty) for each SKU, and for one segment where that
  segment has at least ``MIN_PRICE_LINES`` lines of the SKU (only with several segments).
- A SKU with fewer than ``MIN_PRICE_LINES`` lines keeps its own mean; its quantiles are its mean
  times the quantiles of the pooled relative price (each line's price over its SKU's mean,
  weighted by units, over the SKUs with enough lines).
- Quantiles are of the unit-weighted distribution: the smallest price whose cumulative share of
  units reaches the level (``q00`` the minimum, ``q100`` the maximum).
- Units per line, per row: the mean and the quantiles of the quantity of the row's lines (each
  line counts once; the same lines as the prices). The twin draws a line's units from its SKU's
  distribution, so cheap SKUs bought by the dozen and dear ones bought one at a time make the
  history's value and units per order, where one quantity distribution for every SKU of a
  segment overstated them (big quantities landing on dear SKUs). A SKU with few lines keeps its
  own quantiles: a quantity is a small whole number, and its mean is what matters.
- No file is written when every SKU sold at one net price (to the cent): the products' ``price``
  then says everything (and each line's units come from the segment's ``quantity``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.calibration.base_values import scenario_key
from twin.calibration.fit_report import FitReport
from twin.scenario.prices import (
    PRICE_COLUMNS,
    QUANTILE_COLUMNS,
    QUANTILE_LEVELS,
    UNITS_COLUMNS,
    UNITS_QUANTILE_COLUMNS,
)

#: Lines a SKU (or a segment's lines of it) needs for quantiles of its own.
MIN_PRICE_LINES = 20

PRICES_FILE = "prices.parquet"
"""The prices file beside ``model.yaml``."""


def net_unit_prices(lines: pd.DataFrame) -> pd.Series:
    """Each line's net unit price: ``(quantity x unit_price - discount) / quantity``."""
    quantity = lines["quantity"].astype(float)
    gross = quantity * lines["unit_price"].astype(float)
    discount = lines["discount"].fillna(0.0) if "discount" in lines else 0.0
    return (gross - discount) / quantity


def weighted_quantiles(
    group: np.ndarray, price: np.ndarray, weight: np.ndarray, n_groups: int
) -> np.ndarray:
    """Per group code (0..n_groups-1, every one present): the unit-weighted quantiles at
    ``QUANTILE_LEVELS``, as an (n_groups x levels) array."""
    order = np.lexsort((price, group))
    group, price, weight = group[order], price[order], weight[order]
    total = np.bincount(group, weights=weight, minlength=n_groups)
    start = np.searchsorted(group, np.arange(n_groups), side="left")
    end = np.searchsorted(group, np.arange(n_groups), side="right")
    before = np.concatenate(([0.0], np.cumsum(weight)))[start]
    share = (np.cumsum(weight) - before[group]) / total[group]
    key = group + share  # increasing: within a group share rises to 1, then the next group starts
    out = np.empty((n_groups, len(QUANTILE_LEVELS)))
    codes = np.arange(n_groups)
    for j, level in enumerate(QUANTILE_LEVELS):
        if level == 0.0:
            at = start
        elif level == 1.0:
            at = end - 1
        else:
            at = np.searchsorted(key, codes + level - 1e-12, side="left")
            at = np.clip(at, start, end - 1)
        out[:, j] = price[at]
    return out


def _rows(frame: pd.DataFrame, segment: str) -> pd.DataFrame:
    """Rows of one group of lines (``sku``, ``price``, ``units``): a row per SKU, its own
    quantiles where it has ``MIN_PRICE_LINES`` lines, else its mean x the pooled relative ones."""
    codes, skus = pd.factorize(frame["sku"], sort=True)
    price = frame["price"].to_numpy(dtype=float)
    units = frame["units"].to_numpy(dtype=float)
    n = len(skus)
    lines = np.bincount(codes, minlength=n)
    mean = np.bincount(codes, weights=units * price, minlength=n) / np.bincount(
        codes, weights=units, minlength=n
    )
    quantiles = weighted_quantiles(codes, price, units, n)
    few = lines < MIN_PRICE_LINES
    if few.any():
        enough = ~few[codes] if (~few).any() else np.ones(codes.size, dtype=bool)
        relative = price[enough] / mean[codes[enough]]
        pooled = weighted_quantiles(
            np.zeros(relative.size, dtype=np.int64), relative, units[enough], 1
        )[0]
        quantiles[few] = mean[few, None] * pooled[None, :]
    rows = pd.DataFrame(quantiles, columns=list(QUANTILE_COLUMNS))
    # the twin sells whole units, at least one a line: a fraction of a unit counts as one
    whole = np.maximum(units, 1.0)
    rows[list(UNITS_QUANTILE_COLUMNS)] = weighted_quantiles(codes, whole, np.ones(units.size), n)
    rows.insert(len(QUANTILE_COLUMNS), "units_mean", np.bincount(codes, weights=whole) / lines)
    rows.insert(0, "mean", mean)
    rows.insert(0, "lines", lines)
    rows.insert(0, "sku", [scenario_key(str(s)) for s in skus])
    rows.insert(0, "segment", segment)
    return rows


def fit_line_prices(
    lines: pd.DataFrame, segment_of_line: pd.Series, report: FitReport
) -> pd.DataFrame | None:
    """The prices file's rows (columns ``PRICE_COLUMNS`` and ``UNITS_COLUMNS``) from the
    ordered lines and each line's segment (aligned with ``lines``), or None when every SKU sold
    at one price."""
    price = net_unit_prices(lines)
    negative = int((price < 0).sum())
    usable = np.isfinite(price) & (price >= 0)
    frame = pd.DataFrame(
        {
            "sku": lines["sku"].astype(str).to_numpy(),
            "segment": segment_of_line.astype(str).to_numpy(),
            "price": price.to_numpy(dtype=float),
            "units": lines["quantity"].astype(float).to_numpy(),
        }
    )[usable.to_numpy()]
    distinct = frame.assign(cents=np.round(frame["price"], 2)).groupby("sku")["cents"].nunique()
    if frame.empty or int(distinct.max()) <= 1:
        report.add(
            "line_prices",
            "all",
            "none",
            len(frame),
            "order_lines",
            False,
            "every SKU sold at one net unit price: lines sell at the product's price",
        )
        return None
    parts = [_rows(frame, "")]
    segments = sorted(frame["segment"].unique())
    if len(segments) > 1:
        for name in segments:
            mine = _rows(frame[frame["segment"] == name], name)
            parts.append(mine[mine["lines"] >= MIN_PRICE_LINES])
    rows = pd.concat(parts, ignore_index=True)[list(PRICE_COLUMNS + UNITS_COLUMNS)]
    pooled = rows["segment"] == ""
    own = int((rows.loc[pooled, "lines"] >= MIN_PRICE_LINES).sum())
    report.add(
        "line_prices",
        "all",
        PRICES_FILE,
        len(frame),
        "order_lines.unit_price, order_lines.discount, order_lines.quantity",
        False,
        "net unit price quantiles weighted by units, and units per line: "
        f"{int(pooled.sum())} SKUs ({own} with "
        f"{MIN_PRICE_LINES}+ lines, the rest pooled relative prices x own mean), "
        f"{int((~pooled).sum())} segment rows; {negative} lines with a negative net price "
        "left out",
    )
    return rows
