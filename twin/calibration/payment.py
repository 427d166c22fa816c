"""A segment's payment behaviour: payment delay, terms, and the share of invoices never paid."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from twin.calibration.base_values import fitted_duration
from twin.calibration.fit_report import FitReport, days
from twin.calibration.quality_rules import isin


def fit_payment(
    report: FitReport,
    segment: str,
    orders: pd.DataFrame,
    invoices: pd.DataFrame | None,
    payments: pd.DataFrame | None,
    last_day: dt.date,
) -> dict:
    if invoices is None or payments is None or invoices.empty:
        report.add(
            "payment",
            segment,
            "schema defaults",
            0,
            "invoices",
            True,
            "no invoices and payments in the history",
        )
        return {}
    mine = invoices[isin(invoices["order_id"], orders["order_id"])]
    paid = payments.dropna(subset=["invoice_id", "paid_at"]).groupby("invoice_id")["paid_at"].max()
    settled = mine["invoice_id"].map(paid)
    delay = days(settled - mine["issued_at"])
    payment: dict = {
        "delay_days": fitted_duration(
            report, "payment.delay_days", segment, delay, "invoices+payments", 30.0
        )
    }
    terms = days(mine["due_date"] - mine["issued_at"])
    if terms.size:
        payment["terms_days"] = round(float(np.median(terms)), 4)
    # an invoice still unpaid long after its issue is taken as a default
    horizon = pd.Timestamp(last_day) - pd.Timedelta(days=180)
    old = mine[mine["issued_at"] <= horizon]
    if len(old):
        unpaid = old["invoice_id"].map(paid).isna()
        payment["default_probability"] = round(float(unpaid.mean()), 6)
        report.add(
            "payment.default_probability",
            segment,
            payment["default_probability"],
            len(old),
            "invoices+payments",
            False,
            "share of invoices older than 180 days never paid",
        )
    return payment
