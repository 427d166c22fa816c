"""Plain words for every KPI: a label a planner reads, its unit and a one-line definition.

One table for the whole twin, so the PDF and HTML reports, the terminal tables, the workbooks and
``docs/kpis.md`` name a KPI the same way. ``KPIS`` holds the KPIs with fixed names; a staff
role's KPIs are ``<kpi>_<role>`` (``wait_p95_days_order_desk``, ``ROLE_KPIS``) and one
promotion's are ``<kpi>_<promotion>`` (``promo_cost_spring-tools``, ``PROMOTION_KPIS``);
:func:`kpi_info` resolves all three. ``tests/unit/test_kpi_labels.py`` checks that every KPI a
run can produce is here and that the docs' tables agree with it.

Units are the planner's words: ``share`` for a ratio in [0, 1] and ``money`` for an amount,
which :func:`kpi_label` shows as the scenario's currency code. ``summary.csv`` keeps its own
unit words (``ratio``, ``currency``), mapped here by :data:`PLAIN_UNITS`.
"""

from __future__ import annotations

from typing import NamedTuple

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


class KpiInfo(NamedTuple):
    """What a person reads about one KPI."""

    label: str
    """Plain words, without the unit (``"Orders on time in full"``)."""
    unit: str
    """The planner's unit: ``orders``, ``days``, ``share``, ``money``, ..."""
    definition: str
    """One sentence saying what is counted or averaged over the measured window."""


#: ``summary.csv`` unit -> the planner's word (others are the same in both).
PLAIN_UNITS: dict[str, str] = {"currency": "money", "ratio": "share"}

_W = "in the measured window"

KPIS: dict[str, KpiInfo] = {
    # volume
    "orders": KpiInfo("Orders received", "orders", f"Customer orders that arrived {_W}."),
    "order_lines": KpiInfo("Order lines", "lines", f"Lines of the orders that arrived {_W}."),
    "units_ordered": KpiInfo("Units ordered", "units", f"Units on the orders that arrived {_W}."),
    "units_lost": KpiInfo(
        "Units lost as lost sales", "units", "Units ordered that could not be filled and were lost."
    ),
    "purchase_orders": KpiInfo(
        "Purchase orders placed", "orders", f"Purchase orders sent to suppliers {_W}."
    ),
    # money
    "revenue": KpiInfo("Revenue", "money", f"Invoiced at list price on delivery {_W}."),
    "cogs": KpiInfo("Cost of goods sold", "money", f"Unit cost of the goods delivered {_W}."),
    "gross_profit": KpiInfo("Gross profit", "money", "Revenue minus cost of goods sold."),
    "holding_cost": KpiInfo(
        "Stock holding cost", "money", "Cost of keeping stock in the warehouse over the window."
    ),
    "ordering_cost": KpiInfo(
        "Purchase ordering cost", "money", f"Cost of the purchase orders placed {_W}."
    ),
    "staff_cost": KpiInfo(
        "Staff cost", "money", "Pay for the scheduled and overtime hours of all staff roles."
    ),
    "freight_cost": KpiInfo(
        "Freight cost", "money", f"Cost of the shipments sent to customers {_W}."
    ),
    "backorder_cost": KpiInfo(
        "Shortage cost",
        "money",
        "Penalty for units not filled from stock and for days customers wait.",
    ),
    "bad_debt": KpiInfo("Bad debt", "money", f"Unpaid invoices written off {_W}."),
    "profit": KpiInfo(
        "Profit, modelled costs only", "money", "Gross profit minus every modelled cost."
    ),
    # service
    "fill_rate": KpiInfo(
        "Units filled from stock",
        "share",
        "Share of units ordered that were on the shelf when the order came in.",
    ),
    "otif_rate": KpiInfo(
        "Orders on time in full",
        "share",
        "Share of orders delivered complete by the promised date.",
    ),
    "lead_time_mean_days": KpiInfo(
        "Order lead time, mean", "days", "Days from order to last delivery, averaged over orders."
    ),
    "lead_time_p50_days": KpiInfo(
        "Order lead time, median", "days", "Half of the orders were delivered within this time."
    ),
    "lead_time_p95_days": KpiInfo(
        "Order lead time, 95th percentile",
        "days",
        "95 % of the orders were delivered within this time.",
    ),
    # stock and backlog
    "inventory_units_mean": KpiInfo(
        "Stock on hand, average", "units", "Units in the warehouse, averaged over the window."
    ),
    "inventory_value_mean": KpiInfo(
        "Stock value, average", "money", "Value of the warehouse stock at cost, averaged."
    ),
    "backorder_units_mean": KpiInfo(
        "Backorders, average", "units", "Units customers are waiting for, averaged over time."
    ),
    "stockout_sku_days": KpiInfo(
        "Stock-out days, summed over products",
        "sku-days",
        "Days a product had no free stock, added up over the products.",
    ),
    # receivables
    "receivables_mean": KpiInfo(
        "Money owed by customers, average",
        "money",
        "Invoices not yet paid or written off, averaged over the window.",
    ),
    "dso_days": KpiInfo(
        "Days sales outstanding",
        "days",
        "How many days of sales customers owe on average.",
    ),
    # after-sales
    "tickets": KpiInfo("Service tickets", "tickets", f"Product failures reported {_W}."),
    "response_mean_days": KpiInfo(
        "Service response time, mean", "days", "Days from a failure to an engineer setting off."
    ),
    "response_p95_days": KpiInfo(
        "Service response time, 95th percentile",
        "days",
        "95 % of the tickets had an engineer set off within this time.",
    ),
    "resolution_mean_days": KpiInfo(
        "Repair time, mean", "days", "Days from a failure to the repair being done."
    ),
    "resolution_p95_days": KpiInfo(
        "Repair time, 95th percentile", "days", "95 % of the repairs were done within this time."
    ),
    "parts_wait_mean_days": KpiInfo(
        "Wait for spare parts, mean", "days", "Days from a failure until its parts were issued."
    ),
    "spare_units_issued": KpiInfo(
        "Spare parts issued", "units", f"Spare-part units taken from stock for repairs {_W}."
    ),
    "tickets_waiting_parts_mean": KpiInfo(
        "Tickets waiting for parts, average", "tickets", "Tickets waiting for spare parts."
    ),
    "tickets_open_mean": KpiInfo(
        "Open tickets, average", "tickets", "Tickets not yet repaired, averaged over time."
    ),
    "tickets_open_at_end": KpiInfo(
        "Open tickets at the end", "tickets", "Tickets not repaired when the run ends."
    ),
    # credit
    "approval_lead_time_mean_days": KpiInfo(
        "Credit approval time, mean", "days", "Days from order to credit release."
    ),
    "approval_lead_time_p95_days": KpiInfo(
        "Credit approval time, 95th percentile",
        "days",
        "95 % of the orders were released by credit within this time.",
    ),
    "orders_held": KpiInfo("Orders put on credit hold", "orders", f"Orders held by credit {_W}."),
    "orders_reviewed": KpiInfo(
        "Orders sent to credit review", "orders", f"Orders a credit analyst reviewed {_W}."
    ),
    "orders_rejected": KpiInfo("Orders rejected by credit", "orders", f"Orders refused {_W}."),
    "units_rejected": KpiInfo(
        "Units rejected by credit", "units", "Units on the orders credit refused."
    ),
    "revenue_rejected": KpiInfo(
        "Sales refused by credit", "money", "List value of the orders credit refused."
    ),
    "receivables_0_30": KpiInfo(
        "Money owed, invoices 0-30 days old", "money", "Open invoices up to 30 days old, averaged."
    ),
    "receivables_31_60": KpiInfo(
        "Money owed, invoices 31-60 days old", "money", "Open invoices 31 to 60 days old, averaged."
    ),
    "receivables_61_90": KpiInfo(
        "Money owed, invoices 61-90 days old", "money", "Open invoices 61 to 90 days old, averaged."
    ),
    "receivables_90_plus": KpiInfo(
        "Money owed, invoices over 90 days old", "money", "Open invoices older than 90 days."
    ),
    # customers and pipeline
    "active_customers_mean": KpiInfo(
        "Active customers, average", "customers", "Customers buying, averaged over the window."
    ),
    "active_customers_end": KpiInfo(
        "Active customers at the end", "customers", "Customers still buying when the run ends."
    ),
    "customers_acquired": KpiInfo("New customers", "customers", f"Customers won {_W}."),
    "customers_churned": KpiInfo("Customers lost", "customers", f"Customers who left {_W}."),
    "churn_rate_per_year": KpiInfo(
        "Customer churn rate", "1/year", "Customers lost per active customer per year."
    ),
    "satisfaction_mean": KpiInfo(
        "Customer satisfaction at the end",
        "score (1-5)",
        "Mean latest score of the customers active when the run ends.",
    ),
    "opportunities": KpiInfo("Sales leads", "opportunities", f"Leads that arrived {_W}."),
    "opportunities_won": KpiInfo("Deals won", "opportunities", f"Opportunities won {_W}."),
    "pipeline_conversion": KpiInfo(
        "Deal win rate", "share", f"Share of the deals closed {_W} that were won."
    ),
    "open_pipeline_deals": KpiInfo(
        "Open deals at the start", "opportunities", "Deals open in the CRM when the run starts."
    ),
    "open_pipeline_value": KpiInfo(
        "Open pipeline value", "money", "Amount of the deals open when the run starts."
    ),
    "open_pipeline_expected_value": KpiInfo(
        "Open pipeline, weighted value",
        "money",
        "Amount of the open deals times each one's chance of being won.",
    ),
    "open_pipeline_value_won": KpiInfo(
        "Open pipeline value won", "money", f"Amount of the open deals won {_W}."
    ),
    # cash
    "cash_opening": KpiInfo("Cash at the start", "money", "Bank balance when the window opens."),
    "cash_in": KpiInfo("Cash received", "money", f"Money paid in {_W}."),
    "cash_out": KpiInfo("Cash paid out", "money", f"Money paid out {_W}."),
    "cash_closing": KpiInfo("Cash at the end", "money", "Bank balance when the run ends."),
    "cash_min": KpiInfo("Lowest cash balance", "money", f"The lowest bank balance {_W}."),
    "payables_mean": KpiInfo(
        "Money owed to suppliers, average", "money", "Supplier bills not yet paid, averaged."
    ),
    "working_capital_mean": KpiInfo(
        "Working capital, average",
        "money",
        "Stock value plus money owed by customers less money owed to suppliers.",
    ),
    "dio_days": KpiInfo(
        "Days inventory outstanding", "days", "How many days of sales the stock would cover."
    ),
    "dpo_days": KpiInfo(
        "Days payables outstanding", "days", "How many days of purchases are owed to suppliers."
    ),
    "cash_conversion_cycle_days": KpiInfo(
        "Cash conversion cycle",
        "days",
        "Days money is tied up: stock days + customer days - supplier days.",
    ),
}

#: KPIs of one staff role, named ``<kpi>_<role>``; ``{role}`` is the role in plain words.
ROLE_KPIS: dict[str, KpiInfo] = {
    "utilisation": KpiInfo(
        "Staff utilisation, {role}", "share", "Share of the {role}'s working time spent on jobs."
    ),
    "wait_mean_days": KpiInfo(
        "Wait for the {role}, mean", "days", "Days a job waited for someone at the {role}."
    ),
    "wait_p95_days": KpiInfo(
        "Wait for the {role}, 95th percentile",
        "days",
        "95 % of the jobs found someone at the {role} within this time.",
    ),
    "queue_mean": KpiInfo(
        "Jobs waiting at the {role}, average", "jobs", "Jobs queued at the {role}, averaged."
    ),
    "staff_cost": KpiInfo(
        "Staff cost, {role}", "money", "Pay for the {role}'s scheduled and overtime hours."
    ),
    "headcount_mean": KpiInfo(
        "Headcount, {role}", "people", "People at the {role}, averaged over the window."
    ),
}

#: KPIs of the promotions (all together under their own name, one promotion as
#: ``<kpi>_<promotion>``).
PROMOTION_KPIS: dict[str, KpiInfo] = {
    "promo_incremental_units": KpiInfo(
        "Promotion extra units", "units", "Units sold beyond what no promotion would have sold."
    ),
    "promo_incremental_revenue": KpiInfo(
        "Promotion extra revenue", "money", "Revenue beyond what no promotion would have made."
    ),
    "promo_incremental_gross_profit": KpiInfo(
        "Promotion extra gross profit",
        "money",
        "Gross profit beyond what no promotion would have made.",
    ),
    "promo_discount_cost": KpiInfo(
        "Promotion discount given", "money", "List value given away as discount."
    ),
    "promo_fixed_cost": KpiInfo(
        "Promotion fixed cost", "money", "Fixed costs of the promotions running in the window."
    ),
    "promo_cost": KpiInfo("Promotion cost", "money", "Discount given plus fixed cost."),
    "promo_roi": KpiInfo(
        "Promotion return on cost",
        "share",
        "Extra gross profit less fixed cost, per unit of cost (0: break-even).",
    ),
    "promo_units_short": KpiInfo(
        "Promoted units short", "units", "Promoted units not on the shelf when ordered."
    ),
    "promo_stockout_sku_days": KpiInfo(
        "Stock-out days during the promotion",
        "sku-days",
        "Days a promoted product had no free stock while its promotion ran.",
    ),
}

KPIS.update(PROMOTION_KPIS)

_ROLE_PREFIXES = sorted(ROLE_KPIS, key=len, reverse=True)
_PROMOTION_PREFIXES = sorted(PROMOTION_KPIS, key=len, reverse=True)


def _words(name: str) -> str:
    """A role's identifier in plain words: ``order_desk`` -> ``order desk``."""
    return name.replace("_", " ")


def kpi_info(name: str) -> KpiInfo:
    """Label, unit and definition of the KPI ``name``, including per-role and per-promotion ones.

    Raises
    ------
    KeyError
        If ``name`` is no KPI the twin computes.
    """
    if name in KPIS:
        return KPIS[name]
    for prefix in _ROLE_PREFIXES:
        if name.startswith(f"{prefix}_") and len(name) > len(prefix) + 1:
            role = _words(name[len(prefix) + 1 :])
            info = ROLE_KPIS[prefix]
            return KpiInfo(
                info.label.format(role=role), info.unit, info.definition.format(role=role)
            )
    for prefix in _PROMOTION_PREFIXES:
        if name.startswith(f"{prefix}_") and len(name) > len(prefix) + 1:
            promotion = name[len(prefix) + 1 :]
            info = PROMOTION_KPIS[prefix]
            return KpiInfo(
                f"{info.label}: {promotion}",
                info.unit,
                f"The same, for promotion {promotion} only.",
            )
    raise KeyError(f"{name!r} is not a KPI of the twin (see docs/kpis.md)")


def kpi_family(name: str) -> str:
    """The name a glossary lists ``name`` under: itself, or its pattern for a per-role or
    per-promotion KPI (``wait_p95_days_order_desk`` -> ``wait_p95_days_<role>``,
    ``promo_cost_spring`` -> ``promo_cost_<name>``), whose
    :func:`kpi_info` reads "Wait for the <role>, 95th percentile"."""
    if name in KPIS:
        return name
    for prefixes, placeholder in ((_ROLE_PREFIXES, "<role>"), (_PROMOTION_PREFIXES, "<name>")):
        for prefix in prefixes:
            if name.startswith(f"{prefix}_") and len(name) > len(prefix) + 1:
                return f"{prefix}_{placeholder}"
    return name


def plain_unit(unit: str) -> str:
    """The planner's word for a ``summary.csv`` unit (``ratio`` -> ``share``)."""
    return PLAIN_UNITS.get(unit, unit)


def unit_text(unit: str, currency: str | None = None) -> str:
    """A unit as shown beside a label: money as the currency code (``currency`` when none is
    given, as reports have always said), a ratio as ``share``."""
    unit = plain_unit(unit)
    if unit == "money":
        return currency or "currency"
    return unit


def kpi_name(name: str) -> str:
    """The KPI's label without its unit; an unknown name (a column that is no KPI) as it is."""
    try:
        return kpi_info(name).label
    except KeyError:
        return name


def kpi_label(name: str, currency: str | None = None) -> str:
    """``"<label> (<unit>)"`` for people, e.g. ``"Revenue (EUR)"``; an unknown name (a column
    that is no KPI) is returned as it is, so a report never fails on a label."""
    try:
        info = kpi_info(name)
    except KeyError:
        return name
    return f"{info.label} ({unit_text(info.unit, currency)})"
