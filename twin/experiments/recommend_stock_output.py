"""The files of a stocking recommendation (``docs/recommend-stock.md`` documents each column).

* ``recommended.yaml``: a scenario overlay, ``extends:`` the input, stocking every SKU at the
  recommended levels through ``inventory.skus_file: recommended_rules.csv`` (inline
  ``inventory.skus`` instead when the input already has inline SKU rules, which a file may not
  repeat);
* ``recommended_rules.csv``: those rules, one row per SKU, in units;
* ``orderpoints.csv``: the same levels as Odoo ``stock.warehouse.orderpoint`` rows;
* ``levels.csv``, ``summary.csv``, ``iterations.csv`` and ``recommendation.json``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from twin.experiments.recommend_stock import Recommendation
from twin.model.catalogue import Catalogue
from twin.scenario.loader import dump_yaml
from twin.scenario.schema import Scenario

RULES_FILE = "recommended_rules.csv"
BOUNDS = ("mean", "ci_low", "ci_high")
OVERLAY_FILE = "recommended.yaml"

#: The level fields of each policy kind (units), as a scenario's inventory rule names them.
KIND_LEVELS = {
    "base_stock": ("level",),
    "min_max": ("reorder_point", "order_up_to"),
    "reorder_point_quantity": ("reorder_point", "quantity"),
}


def orderpoints(rows: pd.DataFrame, warehouse: str = "", location: str = "") -> pd.DataFrame:
    """The rules as Odoo reordering rules (``stock.warehouse.orderpoint`` import columns).

    Odoo orders when the forecast quantity is *below* ``product_min_qty``, up to
    ``product_max_qty`` rounded up to a multiple of ``qty_multiple``; the twin orders at or
    below its reorder point. So (s, S) is min s + 1, max S; base stock S is min S, max S; and
    (R, Q) is min R + 1, max R + 1, multiple Q, which orders the same multiples of Q. A
    periodically reviewed SKU gets ``trigger`` manual (run the replenishment each review),
    continuous review auto.
    """
    out = []
    for row in rows.astype(object).to_dict("records"):
        kind = row["policy"]
        if kind == "base_stock":
            low = high = int(row["level"])
            multiple = 1
        elif kind == "min_max":
            low, high, multiple = int(row["reorder_point"]) + 1, int(row["order_up_to"]), 1
        else:
            low = high = int(row["reorder_point"]) + 1
            multiple = int(row["quantity"])
        out.append(
            {
                "product_id": row["sku"],
                "warehouse_id": warehouse,
                "location_id": location,
                "product_min_qty": low,
                "product_max_qty": high,
                "qty_multiple": multiple,
                "trigger": "manual" if row["review"] == "periodic" else "auto",
            }
        )
    return pd.DataFrame(out)


def inline_rules(rows: pd.DataFrame) -> dict[str, dict]:
    """The rules as ``inventory.skus`` entries; the policy's ``..._days`` twins are set to null
    so a base rule of the same kind in days does not merge into them."""
    rules: dict[str, dict] = {}
    for row in rows.astype(object).to_dict("records"):
        kind = row["policy"]
        policy: dict[str, object] = {"kind": kind}
        for name in KIND_LEVELS[kind]:
            policy[name] = int(row[name])
            policy[f"{name}_days"] = None
        if row["review"] == "periodic":
            review = {
                "kind": "periodic",
                "period_days": float(row["period_days"]),
                "first_review_day": float(row["first_review_day"]),
            }
        else:
            review = {"kind": "continuous"}
        rules[row["sku"]] = {"policy": policy, "review": review, "shortage": row["shortage"]}
    return rules


def overlay(
    scenario: Scenario, rows: pd.DataFrame, base_file: Path, final_dir: Path, target: str
) -> str:
    """The text of ``recommended.yaml``: extends ``base_file`` (relative to ``final_dir``)."""
    extends = os.path.relpath(Path(base_file).resolve(), Path(final_dir).resolve())
    if scenario.inventory.skus:
        inventory: dict[str, object] = {"skus": inline_rules(rows)}
        if scenario.inventory.skus_file is not None:
            inventory["skus_file"] = None
    else:
        inventory = {"skus_file": RULES_FILE}
    data = {
        "extends": Path(extends).as_posix(),
        "name": f"{scenario.name}-recommended-stock",
        "description": f"{scenario.name} with the stocking levels twin recommend-stock "
        f"recommends for --target {target}.",
        "inventory": inventory,
    }
    header = (
        "# Written by `twin recommend-stock`: the input scenario with every SKU's recommended\n"
        "# stocking levels (in units; review and shortage rules as before).\n"
    )
    return header + dump_yaml(data)


def write_recommendation(
    target_dir: Path,
    recommendation: Recommendation,
    scenario: Scenario,
    catalogue: Catalogue,
    base_file: Path,
    final_dir: Path,
    warehouse: str = "",
    location: str = "",
) -> None:
    """Write every file of the recommendation into ``target_dir`` (the staging folder of
    ``final_dir``, its sibling, so relative paths are the same from both)."""
    target_dir = Path(target_dir)
    rows = recommendation.chosen.rows
    rows.to_csv(target_dir / RULES_FILE, index=False)
    (target_dir / OVERLAY_FILE).write_text(
        overlay(scenario, rows, base_file, final_dir, str(recommendation.target)),
        encoding="utf-8",
    )
    orderpoints(rows, warehouse, location).to_csv(target_dir / "orderpoints.csv", index=False)
    recommendation.levels.to_csv(target_dir / "levels.csv", index=False, float_format="%.6g")
    recommendation.summary(catalogue).to_csv(
        target_dir / "summary.csv", index=False, float_format="%.6g"
    )
    recommendation.iterations().to_csv(
        target_dir / "iterations.csv", index=False, float_format="%.8g"
    )
    chosen = recommendation.chosen
    today = recommendation.today
    document = {
        "target": str(recommendation.target),
        "replications": recommendation.replications,
        "seed": scenario.run.seed,
        "tolerance": recommendation.tolerance,
        "met": recommendation.met,
        "design_fill_rate": chosen.theta,
        "fill_rate": dict(zip(BOUNDS, chosen.interval("fill_rate"), strict=True)),
        "today_fill_rate": dict(zip(BOUNDS, today.interval("fill_rate"), strict=True)),
        "inventory_value_mean": chosen.interval("inventory_value_mean")[0],
        "today_inventory_value_mean": today.interval("inventory_value_mean")[0],
        "stock_cost": chosen.interval("stock_cost")[0],
        "today_stock_cost": today.interval("stock_cost")[0],
        "evaluations": len(recommendation.evaluations),
    }
    (target_dir / "recommendation.json").write_text(
        json.dumps(document, indent=2) + "\n", encoding="utf-8"
    )
