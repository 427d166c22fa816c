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
