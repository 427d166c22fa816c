"""`twin calibrate --as-of` on a history with supplier invoices, end to end: the model's cash
section carries the fitted terms and the state folder the open bills (how a run pays them is
tested on hand-written states in tests/levers/test_cash_state.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from twin.cli import cli
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

SHOP = Path(__file__).parent / "fixtures" / "shop"

BILLS = """BillNo,Vendor,Billed,Due,Paid,Total
V-1,default-supplier,2024-01-02,2024-01-12,2024-01-10,500.00
V-2,default-supplier,2024-01-03,2024-01-13,2024-01-17,250.00
V-3,default-supplier,2024-01-04,2024-01-14,,120.50
"""
MAPPING = """
  supplier_invoices:
    source: {files: bills.csv}
    fields:
      bill_id: BillNo
      supplier_id: Vendor
      issued_at: Billed
      due_date: Due
      paid_at: Paid
      amount: Total
"""


@pytest.mark.slow  # one calibration with its report: ~18 s
def test_calibrated_terms_and_open_bills_reach_the_cash_book(tmp_path: Path) -> None:
    source = tmp_path / "shop"
    shutil.copytree(SHOP, source)
    (source / "bills.csv").write_text(BILLS, encoding="utf-8")
    mapping = source / "shop.yaml"
    mapping.write_text(mapping.read_text(encoding="utf-8") + MAPPING, encoding="utf-8")
    out = tmp_path / "model"
    args = ["calibrate", str(source), "--mapping", str(mapping), "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, "--as-of", "2024-01-06"])
    assert result.exit_code == 0, result.output

    # the terms are fitted from the whole history: V-1 paid after 8 days, V-2 after 14: 11
    scenario = load(Scenario, out / "model.yaml")
    assert scenario.cash.supplier_terms.days("default-supplier") == 11.0
    report = pd.read_csv(out / "fit_report.csv").set_index(["quantity", "group"])
    assert report.loc[("supplier_terms_days", "default-supplier"), "n"] == 2

    # at the as-of date all three bills are open: 870.50 owed
    payables = pd.read_parquet(out / "state" / "payables.parquet")
    assert payables["amount_open"].sum() == 870.5
