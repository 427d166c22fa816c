"""A small company starting from a hand-written open state, with a cash book and the weekly
look-ahead: shared by the look-ahead's model and command tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import TINY, deep_merge
from state_folder import write_state

ON_HAND = {"A": 40.0, "B": 7.0}
RECEIVABLES = (1234.56, 78.91, 10.07)
OPENING_CASH = 5000.0


def lookahead_scenario(state: Path, weeks: int = 3, horizon: float = 21.0) -> dict[str, Any]:
    return deep_merge(
        TINY,
        {
            "initial_state": str(state),
            "run": {"horizon_days": horizon, "replications": 3},
            "products": [
                {"sku": "A", "unit_cost": 10.0, "price": 15.0, "supplier": "acme"},
                {"sku": "B", "unit_cost": 4.0, "price": 7.0, "supplier": "acme"},
            ],
            "suppliers": {"acme": {"lead_time_days": {"dist": "gamma", "shape": 4, "scale": 1}}},
            "segments": {
                "shop": {
                    "customers": 20,
                    "arrivals": {"kind": "poisson", "rate_per_day": 4.0},
                    "quantity": {"dist": "poisson", "mean": 2.0},
                    "payment": {"delay_days": {"dist": "gamma", "shape": 2, "scale": 6}},
                }
            },
            "inventory": {"default": {"policy": {"kind": "base_stock", "level": 30}}},
            "cash": {"opening_balance": OPENING_CASH, "supplier_terms": {"default_days": 10}},
            "report": {"lookahead_weeks": weeks},
        },
    )


def write_small_state(folder: Path) -> Path:
    return write_state(
        folder,
        stock=[
            {"sku": sku, "location": "main", "on_hand": units, "method": "snapshot"}
            for sku, units in ON_HAND.items()
        ],
        purchase_orders=[
            {
                "po_id": "P1",
                "sku": "B",
                "supplier_id": "acme",
                "ordered_at": "2026-01-03",
                "quantity_ordered": 20,
                "quantity_received": 0,
                "quantity_open": 20,
                "expected_at": "2026-01-08",
                "expected_source": "erp",
            }
        ],
        backlog=[
            {
                "order_id": "O1",
                "line_no": 1,
                "customer_id": "C1",
                "segment": "shop",
                "sku": "B",
                "quantity_open": 12,
                "unit_price": 7.5,
                "ordered_at": "2026-01-02",
                "promised_at": None,
            }
        ],
        receivables=[
            {
                "invoice_id": f"I{k}",
                "order_id": None,
                "customer_id": f"C{k}",
                "segment": "shop",
                "amount_open": amount,
                "issued_at": "2025-12-20",
                "due_date": "2026-01-19",
            }
            for k, amount in enumerate(RECEIVABLES)
        ],
    )
