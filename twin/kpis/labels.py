"""The KPI labels, under the KPIs: the table itself is the foundation ``twin.kpi_labels``.

Code above the reports layer may import either; reports import ``twin.kpi_labels`` (they never
import ``twin.kpis``, see ``tests/architecture/test_layers.py``).
"""

from twin.kpi_labels import (
    KPIS,
    PLAIN_UNITS,
    PROMOTION_KPIS,
    ROLE_KPIS,
    KpiInfo,
    kpi_family,
    kpi_info,
    kpi_label,
    kpi_name,
    plain_unit,
    unit_text,
)

__all__ = [
    "KPIS",
    "PLAIN_UNITS",
    "PROMOTION_KPIS",
    "ROLE_KPIS",
    "KpiInfo",
    "kpi_family",
    "kpi_info",
    "kpi_label",
    "kpi_name",
    "plain_unit",
    "unit_text",
]
