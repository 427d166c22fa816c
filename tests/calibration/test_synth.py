"""The synthetic ERP history: determinism, the mapping, the dirt and the known parameters.

Generating the committed two-year sample takes ~25 s, so determinism is tested on two weeks of
history and the committed files in ``calibration/sample/`` are tested as they are.

Known parameters, roughly. The sample has ~14 000 key-account, ~38 000 trade and ~77 000 web
orders. Mean lines per order have a relative standard error of sd/(mean sqrt(n)) below 0.5 %; the
tolerance is 3 %, which also covers the twin's "at least one line" rule (it lifts the trade mean
5 by P(X = 0) = (2/7)^2 = 0.08). A weekday's share of a segment's orders, scaled so that the seven
average 1, has a standard error below 0.02 (1.4/sqrt(2000) for the busiest key-account day); the
tolerance is 0.06. Monthly multipliers and the trend average out over whole years.
"""

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.calibration import sources
from twin.calibration.mapping import apply_mapping
from twin.calibration.synth import TRUE_STATE, write_sample
from twin.calibration.synth_export import DIRT, FILES
from twin.calibration.synth_names import MATCH_PLANTS, has_cjk
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "calibration" / "sample"
MAPPING = REPO / "calibration" / "mappings" / "sample.yaml"
BASELINE = REPO / "twin" / "calibration" / "data" / "company" / "company.yaml"


def digests(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def mapped():
    return apply_mapping(MAPPING, SAMPLE)


def readme_counts() -> dict[str, int]:
    text = (SAMPLE / "README.md").read_text(encoding="utf-8")
    return {key: int(count) for key, count in re.findall(r"^\| `(\w+)` \| (\d+) \|", text, re.M)}


@pytest.mark.slow
def test_same_seed_gives_identical_files_and_another_seed_other_files(tmp_path):
    first = write_sample(tmp_path / "a", BASELINE, seed=11, days=14)
    write_sample(tmp_path / "b", BASELINE, seed=11, days=14)
    write_sample(tmp_path / "c", BASELINE, seed=12, days=14)
    assert sorted(first.sizes) == sorted([*FILES, "README.md", TRUE_STATE])
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    other = digests(tmp_path / "c")
    assert other["order_lines.parquet"] != digests(tmp_path / "a")["order_lines.parquet"]
    assert other["products.csv"] == digests(tmp_path / "a")["products.csv"]  # from the scenario
    assert first.history_end.isoformat() == "2025-01-14"
    result = apply_mapping(MAPPING, tmp_path / "a")
    orders = result.tables["orders"]
    assert orders["ordered_at"].min() >= pd.Timestamp("2025-01-01")
    assert orders["ordered_at"].max() < pd.Timestamp("2025-01-15")
    assert result.rows_read == result.rows_written
    assert result.rows_written["orders"] == first.rows["sales_orders.parquet"]
    assert result.rows_written["order_lines"] == first.rows["order_lines.parquet"]
    # the CRM export's planted match outcome is what the matcher finds, exactly
    assert result.match is not None
    found = dict(zip(result.match.counts["outcome"], result.match.counts["accounts"], strict=True))
    assert found == {k: v for k, v in first.match.items() if k != "no_account"}


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"years": 0}, '"years"'), ({"days": 0}, '"days"')]
)
def test_window_must_be_positive(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        write_sample(tmp_path, BASELINE, **kwargs)


def test_committed_sample_maps_every_table_and_row(mapped):
    assert set(mapped.tables) == {
        "products",
        "customers",
        "orders",
        "order_lines",
        "invoices",
        "payments",
        "purchase_orders",
        "stock_moves",
        "accounts",
    }
    assert mapped.rows_read == mapped.rows_written
    assert mapped.rows_written["order_lines"] > 500_000
    # 7.5 MB of history, 1.8 MB of stock ledger (a goods issue per order line) and the truth
    total = sum(path.stat().st_size for path in SAMPLE.rglob("*") if path.is_file())
    assert total < 10_000_000


def test_customers_file_is_gb18030_and_detected_as_such():
    frame, provenance = sources.read_file(SAMPLE / "customers.csv")
    assert provenance.encoding == "gb18030"
    assert frame["Name"].map(has_cjk).any()


def test_history_stops_at_the_end_date(mapped):
    end = pd.Timestamp("2027-01-01")
    for table, columns in {
        "orders": ["ordered_at", "shipped_at", "delivered_at"],
        "invoices": ["issued_at"],
        "payments": ["paid_at"],
        "purchase_orders": ["ordered_at", "received_at"],
    }.items():
        for column in columns:
            stamps = mapped.tables[table][column].dropna()
            assert stamps.max() < end, (table, column)
    assert mapped.tables["orders"]["ordered_at"].min() >= pd.Timestamp("2025-01-01")
    assert mapped.tables["purchase_orders"]["ordered_at"].min() >= pd.Timestamp("2025-01-01")


def test_dirt_counts_match_the_readme(mapped):
    claimed = readme_counts()
    assert set(claimed) == set(DIRT)
    orders = mapped.tables["orders"]
    lines = mapped.tables["order_lines"]
    customers = mapped.tables["customers"]
    known = set(customers["customer_id"])
    orphan = orders[~orders["customer_id"].isin(known)]
    found = {
        "duplicate_line_rows": int(lines.duplicated().sum()),
        "returned_orders": int((orders["status"] == "returned").sum()),
        "cancelled_orders": int((orders["status"] == "cancelled").sum()),
        "orphan_customers": orphan["customer_id"].nunique(),
        "orphan_orders": len(orphan),
        "orphan_lines": int(lines["order_id"].isin(orphan["order_id"]).sum()),
        "delivered_before_shipped": int((orders["delivered_at"] < orders["shipped_at"]).sum()),
        "chinese_customer_names": int(customers["name"].map(has_cjk).sum()),
    }
    assert found == claimed
    assert all(count > 0 for count in found.values())
    assert found["duplicate_line_rows"] == pytest.approx(0.005 * len(lines), rel=0.1)
    # each returned order has exactly one negative line, and only returned orders have one
    negative = lines[lines["quantity"] < 0].drop_duplicates()
    assert (negative["status"] == "returned").all()
    returned = orders.loc[orders["status"] == "returned", "order_id"]
    assert sorted(negative["order_id"]) == sorted(returned)
    # cancelled orders have cancelled lines and no shipment or invoice
    cancelled = orders[orders["status"] == "cancelled"]
    assert cancelled["shipped_at"].isna().all()
    cancelled_lines = lines[lines["order_id"].isin(cancelled["order_id"])]
    assert (cancelled_lines["status"] == "cancelled").all()
    assert not mapped.tables["invoices"]["order_id"].isin(cancelled["order_id"]).any()


def readme_match() -> dict[str, int]:
    text = (SAMPLE / "README.md").read_text(encoding="utf-8")
    return {key: int(n) for key, n in re.findall(r"^\| match: (\w+) \| (\d+) \|", text, re.M)}


def test_committed_sample_match_rate_is_the_planted_one(mapped):
    planted = readme_match()
    assert set(planted) == set(MATCH_PLANTS)
    assert all(planted[k] > 0 for k in MATCH_PLANTS)  # every outcome is exercised
    result = mapped.match
    assert result is not None
    found = dict(zip(result.counts["outcome"], result.counts["accounts"], strict=True))
    assert found == {k: v for k, v in planted.items() if k != "no_account"}
    accounts = planted["by_key"] + planted["by_name"] + planted["ambiguous"] + planted["unmatched"]
    assert result.rate == (planted["by_key"] + planted["by_name"]) / accounts  # exactly
    # the ERP keeps the full legal names, the CRM mostly short ones
    customers = mapped.tables["customers"].set_index("customer_id")["name"]
    linked = mapped.tables["accounts"].dropna(subset=["customer_id"])
    differ = linked["name"].to_numpy() != customers[linked["customer_id"]].to_numpy()
    assert differ.mean() > 0.7  # the rest keep the full name: their short name is shared
    business = customers.index.str.match(r"C[12]")
    # unlinked business customers: those without an account and those behind ambiguous names
    unlinked = business.sum() - result.customers_linked
    assert planted["no_account"] < unlinked <= planted["no_account"] + planted["ambiguous"]


def test_known_parameters_are_roughly_recovered(mapped):
    scenario = load(Scenario, BASELINE)
    orders = mapped.tables["orders"]
    lines = mapped.tables["order_lines"].drop_duplicates()
    lines = lines[lines["status"] != "returned"]
    per_order = lines.groupby("order_id").size().rename("lines")
    orders = orders.join(per_order, on="order_id")
    assert set(orders["channel"]) == set(scenario.segments)
    for name, segment in scenario.segments.items():
        mine = orders[orders["channel"] == name]
        assert mine["lines"].mean() == pytest.approx(segment.lines_per_order.mean, rel=0.03), name
        counts = mine["ordered_at"].dt.day_of_week.value_counts().sort_index().to_numpy()
        share = counts / counts.mean()
        weekday = np.asarray(segment.arrivals.weekday_multipliers)
        np.testing.assert_allclose(share, weekday / weekday.mean(), atol=0.06, err_msg=name)
