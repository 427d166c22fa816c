"""The columns of the result tables that experiments write and reports read, in order.

A table written by one layer and read by another has its column schema here, once, so the
writer and the reader cannot drift apart: ``summary.csv`` of a run folder (:func:`twin.stats.
summarise`), ``comparison.csv`` of a comparison (``twin.experiments.compare``) and
``sensitivity.csv`` of a sweep (``twin.experiments.sensitivity``), ``lead_times.csv`` of a run
(``twin.kpis.core.lead_time_quantiles``). Their meaning is documented in
``docs/results.md``, ``docs/compare.md`` and ``docs/sweeps.md``.
"""

from __future__ import annotations

#: ``summary.csv``: one row per KPI, its mean over replications and Student-t interval.
SUMMARY_COLUMNS = ("kpi", "mean", "std", "ci_low", "ci_high", "unit")

#: ``comparison.csv``: one row per variant and KPI; the variant's mean and interval, and its
#: paired difference to the base with that difference's interval.
COMPARISON_COLUMNS = (
    "variant",
    "kpi",
    "unit",
    "mean",
    "ci_low",
    "ci_high",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "significant",
)

#: ``lead_times.csv``: one row per replication and quantile (0.00, 0.01, ..., 1.00).
LEAD_TIME_COLUMNS = ("replication", "quantile", "lead_time_days")

#: ``sensitivity.csv``: one row per KPI, parameter and index, with the index's interval.
SENSITIVITY_COLUMNS = ("kpi", "parameter", "method", "index", "value", "ci_low", "ci_high")

#: The weekly look-ahead's measures (``report.lookahead_weeks``; ``docs/lookahead.md``), in the
#: report's order: (column, block, unit, label). ``lookahead_replications.csv`` has one column
#: per measure; the cash block's measures exist only when the run has a cash book.
LOOKAHEAD_MEASURES: tuple[tuple[str, str, str, str], ...] = (
    ("on_hand_opening_units", "stock", "units", "On hand, opening"),
    ("receipts_units", "stock", "units", "Receipts"),
    ("shipped_units", "stock", "units", "Shipped and issued"),
    ("on_hand_closing_units", "stock", "units", "On hand, closing"),
    ("inventory_value_closing", "stock", "currency", "Inventory value, closing"),
    ("backlog_closing_units", "stock", "units", "Backlog, closing"),
    ("orders", "service", "orders", "Orders received"),
    ("units_ordered", "service", "units", "Units ordered"),
    ("fill_rate", "service", "ratio", "Fill rate"),
    ("lead_time_mean_days", "service", "days", "Lead time, mean"),
    ("receivables_opening", "cash", "currency", "Receivables, opening"),
    ("receivables_closing", "cash", "currency", "Receivables, closing"),
    ("cash_opening", "cash", "currency", "Cash, opening"),
    ("cash_receipts", "cash", "currency", "Cash receipts"),
    ("cash_payments", "cash", "currency", "Cash payments"),
    ("cash_closing", "cash", "currency", "Cash, closing"),
    ("payables_closing", "cash", "currency", "Payables, closing"),
)

#: ``lookahead_replications.csv``: one row per replication and week; then one column per
#: measure of `LOOKAHEAD_MEASURES` the run has.
LOOKAHEAD_WEEK_COLUMNS = ("replication", "seed", "week", "week_start", "week_end")

#: ``lookahead.csv``: one row per week and measure: the mean over replications and the band
#: between their 5 % and 95 % quantiles; ``replications``: how many had a value (a week with no
#: completed order has no lead time).
LOOKAHEAD_COLUMNS = (
    "week",
    "week_start",
    "week_end",
    "block",
    "measure",
    "unit",
    "mean",
    "band_low",
    "band_high",
    "replications",
)
