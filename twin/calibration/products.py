"""The scenario base's products and suppliers: catalogue, prices, unit costs, supplier lead times.

Every SKU with ordered lines, in popularity order; price = median ordered unit price (or the
product's list price), unit cost from products or purchase orders, else
``DEFAULT_COST_RATIO`` x price; supplier from products (else one default supplier), whose lead
time (received - ordered) is fitted from its purchase orders.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.calibration.base_values import fitted_duration, scenario_key
from twin.calibration.fit_report import FitReport, days

DEFAULT_COST_RATIO = 0.7
DEFAULT_SUPPLIER = "default-supplier"


def fit_products(
    tables: dict[str, pd.DataFrame], lines: pd.DataFrame, report: FitReport
) -> tuple[list[dict], dict[str, str]]:
    popularity = lines.groupby("sku").size().sort_values(ascending=False, kind="stable")
    price = lines.groupby("sku")["unit_price"].median()
    catalogue = tables.get("products")
    info = catalogue.set_index("sku") if catalogue is not None and len(catalogue) else None
    po = tables.get("purchase_orders")
    po_cost = (
        po.groupby("sku")["unit_cost"].median()
        if po is not None and len(po) and po["unit_cost"].notna().any()
        else None
    )
    products, defaulted_cost, suppliers = [], 0, {}
    for sku in popularity.index:
        p = float(price.get(sku, np.nan))
        row = info.loc[sku] if info is not None and sku in info.index else None
        if not np.isfinite(p) or p <= 0:
            p = float(row["list_price"]) if row is not None and pd.notna(row["list_price"]) else 0.0
        cost = np.nan
        if row is not None and pd.notna(row.get("unit_cost")):
            cost = float(row["unit_cost"])
        elif po_cost is not None and pd.notna(po_cost.get(sku, np.nan)):
            cost = float(po_cost[sku])
        if not np.isfinite(cost):
            cost = round(DEFAULT_COST_RATIO * p, 4)
            defaulted_cost += 1
        supplier = DEFAULT_SUPPLIER
        if row is not None and pd.notna(row.get("supplier_id")):
            supplier = scenario_key(str(row["supplier_id"]))
        suppliers[str(sku)] = supplier
        product = {
            "sku": scenario_key(str(sku)),
            "unit_cost": round(cost, 4),
            "price": round(p, 4),
            "supplier": supplier,
        }
        if row is not None and pd.notna(row.get("category")):
            product["category"] = scenario_key(str(row["category"]))
        products.append(product)
    report.add(
        "products",
        "all",
        len(products),
        len(lines),
        "order_lines",
        False,
        "SKUs with ordered lines, in popularity order; price = median unit price",
    )
    if defaulted_cost:
        report.add(
            "unit_cost",
            "all",
            DEFAULT_COST_RATIO,
            defaulted_cost,
            "products",
            True,
            f"{defaulted_cost} SKUs without a known cost: cost = {DEFAULT_COST_RATIO} x price",
        )
    return products, suppliers


def fit_supplier_lead_times(
    report: FitReport, purchase_orders: pd.DataFrame | None, supplier_of: dict[str, str]
) -> dict:
    names = sorted(set(supplier_of.values()))
    suppliers = {}
    po = purchase_orders if purchase_orders is not None else pd.DataFrame()
    for supplier in names:
        if len(po):
            skus = [s for s, sup in supplier_of.items() if sup == supplier]
            mine = po[po["sku"].isin(skus)]
            lead = days(mine["received_at"] - mine["ordered_at"])
        else:
            lead = np.array([])
        suppliers[supplier] = {
            "lead_time_days": fitted_duration(
                report, "lead_time_days", supplier, lead, "purchase_orders", 7.0
            )
        }
    return suppliers
