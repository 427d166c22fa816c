"""The calibration report: fitted-against-observed charts and a reproducible PDF."""

from __future__ import annotations

import datetime as dt
import functools
import re

import numpy as np
import pandas as pd
import pytest

from twin.calibration.calibrate import calibrate_history
from twin.calibration.conform import conform
from twin.calibration.figures import count_pmf, frozen_distribution
from twin.calibration.quality import check_history
from twin.calibration.report import observed_seasonality, write_calibration_report

START = dt.date(2024, 1, 1)
DAYS = 400
RATES = {"trade": 6.0, "web": 3.0}  # orders per day
WEEKDAY = np.array([1.2, 1.2, 1.2, 1.2, 1.2, 0.5, 0.5])  # mean 1
PNG = b"\x89PNG\r\n\x1a\n"


@functools.cache
def small_history(seed: int = 3) -> dict[str, pd.DataFrame]:
    """Two segments with weekday seasonality, invoices, payments and purchase orders."""
    rng = np.random.default_rng(seed)
    skus = np.array([f"S{i}" for i in range(5)])
    orders, lines, customers = [], [], []
    first = 0
    weekday = np.array([(START + dt.timedelta(days=int(d))).weekday() for d in range(DAYS)])
    for segment, rate in RATES.items():
        customers.append(
            pd.DataFrame({"customer_id": [f"{segment}-{c}" for c in range(20)], "segment": segment})
        )
        days = np.repeat(np.arange(DAYS), rng.poisson(rate * WEEKDAY[weekday]))
        n = days.size
        ids = np.array([f"O{k}" for k in range(first, first + n)])
        first += n
        at = pd.Timestamp(START) + pd.to_timedelta(days + rng.random(n), unit="D")
        shipped = at + pd.Timedelta(hours=6)
        orders.append(
            pd.DataFrame(
                {
                    "order_id": ids,
                    "customer_id": [f"{segment}-{c}" for c in rng.integers(0, 20, n)],
                    "ordered_at": at,
                    "promised_at": at + pd.Timedelta(days=3),
                    "shipped_at": shipped,
                    "delivered_at": shipped + pd.to_timedelta(rng.gamma(4.0, 0.5, n), unit="D"),
                    "status": "delivered",
                }
            )
        )
        per_order = 1 + rng.poisson(1.5, n)
        order_of_line = np.repeat(ids, per_order)
        lines.append(
            pd.DataFrame(
                {
                    "order_id": order_of_line,
                    "line_no": np.concatenate([np.arange(1, k + 1) for k in per_order]),
                    "sku": skus[rng.integers(0, 5, order_of_line.size)],
                    "quantity": (1 + rng.poisson(2.0, order_of_line.size)).astype(float),
                    "unit_price": 10.0,
                    "status": "ordered",
                }
            )
        )
    orders = pd.concat(orders, ignore_index=True)
    issued = orders["shipped_at"]
    invoices = pd.DataFrame(
        {
            "invoice_id": "I" + orders["order_id"],
            "order_id": orders["order_id"],
            "customer_id": orders["customer_id"],
            "issued_at": issued,
            "due_date": (issued + pd.Timedelta(days=30)).dt.normalize(),
            "amount": 100.0,
        }
    )
    payments = pd.DataFrame(
        {
            "payment_id": "P" + orders["order_id"],
            "invoice_id": invoices["invoice_id"],
            "paid_at": issued + pd.to_timedelta(rng.gamma(3.0, 8.0, len(orders)), unit="D"),
            "amount": 100.0,
        }
    )
    # supplier A gets enough purchase orders to be fitted, supplier B too few: a default
    n_po = 80
    po_at = pd.Timestamp(START) + pd.to_timedelta(rng.uniform(0, DAYS - 30, n_po), unit="D")
    purchase_orders = pd.DataFrame(
        {
            "po_id": [f"PO{k}" for k in range(n_po)],
            "sku": np.where(np.arange(n_po) < 75, "S0", "S4"),
            "quantity": 100.0,
            "ordered_at": po_at,
            "received_at": po_at + pd.to_timedelta(rng.weibull(2.0, n_po) * 7.0, unit="D"),
        }
    )
    products = pd.DataFrame(
        {
            "sku": skus,
            "supplier_id": ["A", "A", "A", "A", "B"],
            "unit_cost": 6.0,
            "list_price": 10.0,
        }
    )
    return {
        "products": conform("products", products),
        "customers": conform("customers", pd.concat(customers, ignore_index=True)),
        "orders": conform("orders", orders),
        "order_lines": conform("order_lines", pd.concat(lines, ignore_index=True)),
        "invoices": conform("invoices", invoices),
        "payments": conform("payments", payments),
        "purchase_orders": conform("purchase_orders", purchase_orders),
    }


@pytest.fixture(scope="module")
def calibrated():
    quality = check_history(small_history(), as_of="2026-01-01")
    calibration = calibrate_history(quality.tables, name="small")
    return calibration, quality


@pytest.fixture(scope="module")
def written(calibrated, tmp_path_factory):
    """The report, written once."""
    calibration, quality = calibrated
    return write_calibration_report(tmp_path_factory.mktemp("report"), calibration, quality)


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_the_report_has_a_page_per_chart_and_valid_pngs(written, calibrated):
    path = written
    calibration, _ = calibrated
    tmp_path = path.parent
    assert path.name == "calibration.pdf"
    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF")
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    # transit and payment delay per segment, supplier A's lead time (B is defaulted)
    assert names == [
        "counts_trade.png",
        "counts_web.png",
        "fit_handling_days_trade.png",
        "fit_handling_days_web.png",
        "fit_lead_time_days_A.png",
        "fit_payment.delay_days_trade.png",
        "fit_payment.delay_days_web.png",
        "fit_transit_days_trade.png",
        "fit_transit_days_web.png",
        "quality_summary.png",
        "seasonality_trade.png",
        "seasonality_web.png",
    ]
    for name in names:
        assert (tmp_path / name).read_bytes().startswith(PNG)
    # the page beside the PDF: a chart per PNG, inline
    assert (tmp_path / "calibration.html").read_text(encoding="utf-8").count("<svg ") == len(names)
    # the front pages (the fit report's rows, then the notes, flowing over) and one page per chart
    report_rows = len(calibration.report)
    front = _pages(pdf) - len(names) - 1  # the last page is the glossary
    # base and behaviour fits: ~30 rows fill about one page, the notes one or two more
    assert report_rows > 30
    assert 2 <= front <= 4
    assert not list(tmp_path.glob(".*partial"))


@pytest.mark.slow
def test_the_pdf_is_byte_identical_when_written_twice(calibrated, written, tmp_path):
    calibration, quality = calibrated
    first = written
    second = write_calibration_report(tmp_path, calibration, quality)
    assert first.read_bytes() == second.read_bytes()
    # the creation date is the model's start date (the day after the history), not the clock
    start = calibration.model["run"]["start_date"]
    assert f"/CreationDate (D:{start:%Y%m%d}000000Z)".encode() in first.read_bytes()
    for png in sorted(first.parent.glob("*.png")):
        assert png.read_bytes() == (tmp_path / png.name).read_bytes()


def test_the_kept_values_are_the_fitted_ones(calibrated):
    calibration, _ = calibrated
    data = calibration.values
    report = calibration.report.set_index(["quantity", "group"])
    assert data.durations and data.counts and data.arrivals
    for quantity, group, values, dist in data.durations:
        assert report.loc[(quantity, group), "n"] == values.size
        expected = dist["dist"] if isinstance(dist, dict) else "value"
        assert report.loc[(quantity, group), "distribution"] == expected
    for segment, panels in data.counts.items():
        for quantity, values, dist in panels:
            assert report.loc[(quantity, segment), "n"] == values.size
            assert dist == calibration.model["segments"][segment][quantity]
    for segment, times in data.arrivals.items():
        assert report.loc[("arrivals", segment), "n"] == len(times)


def test_the_observed_weekday_profile_follows_the_generator(calibrated):
    calibration, _ = calibrated
    data = calibration.values
    arrivals = calibration.model["segments"]["trade"]["arrivals"]
    weekday, month = observed_seasonality(
        data.arrivals["trade"], data.period, arrivals["monthly_multipliers"]
    )
    assert weekday.mean() == pytest.approx(1.0)
    assert weekday == pytest.approx(WEEKDAY, abs=0.15)
    assert np.isfinite(month).sum() == 12
    assert np.array(arrivals["weekday_multipliers"]) == pytest.approx(WEEKDAY, abs=0.15)


def test_a_calibration_without_payments_or_purchase_orders_skips_those_charts(tmp_path):
    tables = {
        k: v for k, v in small_history().items() if k in ("orders", "order_lines", "customers")
    }
    quality = check_history(tables, as_of="2026-01-01")
    calibration = calibrate_history(quality.tables, name="bare")
    path = write_calibration_report(tmp_path, calibration, quality)
    names = {p.name for p in tmp_path.glob("*.png")}
    assert not any(name.startswith(("fit_payment", "fit_lead_time")) for name in names)
    assert "fit_transit_days_web.png" in names
    # front pages: the fit report's rows (two per segment for the arrivals' variation) and notes;
    # a page per chart; the glossary page
    assert 1 + len(names) + 1 <= _pages(path.read_bytes()) <= 3 + len(names) + 1


@pytest.mark.parametrize(
    "dist",
    [
        {"dist": "exponential", "mean": 2.0},
        {"dist": "gamma", "shape": 3.0, "scale": 0.5},
        {"dist": "lognormal", "mean": 2.0, "sd": 1.0},
        {"dist": "weibull", "shape": 2.0, "scale": 3.0},
        {"dist": "normal", "mean": 1.0, "sd": 2.0},
    ],
)
def test_the_scipy_model_has_the_twins_moments(dist):
    from twin.distributions import parse_distribution

    model = parse_distribution(dist)
    frozen = frozen_distribution(dist)
    assert frozen.mean() == pytest.approx(model.mean, rel=1e-9)
    assert frozen.var() == pytest.approx(model.variance, rel=1e-9)


@pytest.mark.parametrize(
    "dist",
    [
        {"dist": "poisson", "mean": 2.5},
        {"dist": "negative_binomial", "mean": 2.5, "dispersion": 1.5},
        {"dist": "discrete", "values": [1, 2, 5], "probabilities": [0.5, 0.3, 0.2]},
    ],
)
def test_the_count_pmf_has_the_twins_mean(dist):
    from twin.distributions import parse_distribution

    support = np.arange(0, 400)
    pmf = count_pmf(dist, support)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    assert np.dot(support, pmf) == pytest.approx(parse_distribution(dist).mean, rel=1e-9)


def test_scores_on_delivered_orders_give_a_satisfaction_chart(tmp_path):
    tables = small_history()
    orders = tables["orders"]
    rng = np.random.default_rng(11)
    late = rng.random(len(orders)) < 0.2  # a fifth delivered up to 10 days after the promise
    delivered = orders["promised_at"] + pd.to_timedelta(
        np.where(late, rng.uniform(0.5, 10.0, len(orders)), -1.0), unit="D"
    )
    tables["orders"] = orders.assign(delivered_at=delivered)
    lateness = (delivered.dt.normalize() - orders["promised_at"].dt.normalize()).dt.days
    score = np.clip(
        np.rint(4.5 - 0.3 * np.maximum(lateness, 0) + rng.normal(0, 0.5, len(orders))), 1, 5
    )
    tables["tickets"] = conform(
        "tickets",
        pd.DataFrame(
            {
                "ticket_id": [f"T{k}" for k in range(len(orders))],
                "order_id": orders["order_id"],
                "opened_at": delivered + pd.Timedelta(days=1),
                "score": score,
            }
        ),
    )
    quality = check_history(tables, as_of="2026-01-01")
    calibration = calibrate_history(quality.tables, name="scored")
    write_calibration_report(tmp_path, calibration, quality)
    assert (tmp_path / "satisfaction.png").read_bytes().startswith(b"\x89PNG")
    curve = calibration.behaviour["satisfaction"]["score_curve"]
    assert curve["chosen"] != "constant"  # the score falls with lateness
