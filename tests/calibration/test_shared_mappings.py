"""The shipped mappings of the shared data sets: every row used or quarantined, facts of the data
README pinned, and `twin calibrate` end to end (slow).

Olist and Online Retail are covered by ``test_quality.py`` (counts per reason, which add up to the
rows mapped) and ``test_cli_calibrate.py``; here are Complete Journey, the accounts-receivable
invoices and the CRM pipeline. The data sets are not part of the repository: the tests skip when
``../shared/data`` is absent.
"""

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from twin.calibration.mapping import MappedHistory, apply_mapping
from twin.calibration.mapping_schema import load_mapping
from twin.calibration.quality import MATCH_TABLE, QualityResult, check_history
from twin.cli import cli

REPO = Path(__file__).resolve().parents[2]
MAPPINGS = REPO / "calibration" / "mappings"
DATA = REPO.parent / "shared" / "data"
AS_OF = "2020-01-01"  # after every data set's history

SOURCES = {
    "complete_journey": "complete_journey",
    "ar_invoices": "synthetic_fallbacks/ibm_accounts_receivable",
    "crm_pipeline": "synthetic_fallbacks/maven_crm_pipeline",
}


def source(name: str) -> Path:
    folder = DATA / SOURCES[name]
    if not folder.is_dir():
        pytest.skip(f"the shared data set {SOURCES[name]} is not here")
    return folder


def map_and_check(
    name: str, tables: list[str] | None = None
) -> tuple[MappedHistory, QualityResult]:
    mapping = load_mapping(MAPPINGS / f"{name}.yaml")
    mapped = apply_mapping(mapping, source(name), tables=tables)
    quality = check_history(
        mapped.tables,
        as_of=AS_OF,
        source_line_numbers=mapping.line_numbers_from_source,
        match=mapped.match,
        notes=mapped.notes,
        **mapping.quality_options(),
    )
    return mapped, quality


def assert_rows_add_up(mapped: MappedHistory, quality: QualityResult) -> None:
    """Rows in = rows used + rows quarantined, per table, in the tables and in the counts."""
    for table, frame in mapped.tables.items():
        used, quarantined = len(quality.tables[table]), len(quality.quarantine[table])
        assert len(frame) == used + quarantined == mapped.rows_written[table], table
        counted = quality.counts.loc[quality.counts["table"] == table, "rows"].sum()
        assert counted == len(frame), table
        # rows read differ from rows written only by what the mapping merges or leaves out
        excluded = mapped.rows_excluded.get(table, 0)
        assert mapped.rows_read[table] >= mapped.rows_written[table] + excluded, table


def count(quality: QualityResult, table: str, reason: str) -> int:
    counts = quality.counts
    hit = (counts["table"] == table) & (counts["reason"] == reason)
    return int(counts.loc[hit, "rows"].sum())


# --- Complete Journey -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def journey():
    return map_and_check(
        "complete_journey", tables=["products", "customers", "orders", "order_lines"]
    )


def test_journey_rows_add_up(journey):
    mapped, quality = journey
    assert_rows_add_up(mapped, quality)
    assert mapped.rows_read["order_lines"] == mapped.rows_written["order_lines"] == 100_000
    assert mapped.rows_written["orders"] == 56_625  # baskets
    assert mapped.rows_written["customers"] == 2_405  # households of the sample
    assert mapped.rows_written["products"] == 92_331


def test_journey_facts(journey):
    mapped, quality = journey
    lines = mapped.tables["order_lines"]
    raw = pd.concat(
        pd.read_csv(path, dtype={"basket_id": str, "product_id": str})
        for path in sorted(source("complete_journey").glob("transactions_sample.part*.csv"))
    )
    # shelf price = (sales_value + retail_disc + coupon_match_disc) / quantity: median 2.19
    assert lines["unit_price"].median() == pytest.approx(2.19)
    paid = raw["sales_value"] / raw["quantity"].where(raw["quantity"] != 0)
    assert paid.median() == pytest.approx(1.95, abs=0.01)
    assert lines["discount"].sum() == pytest.approx(
        (raw["retail_disc"] + raw["coupon_disc"] + raw["coupon_match_disc"]).sum()
    )
    # fuel and other non-goods lines are classified, not dropped: every line with qty > 100
    quarantined = quality.quarantine["order_lines"]
    big = lines.index[lines["quantity"] > 100]
    assert len(big) == 947 and big.isin(quarantined.index).all()
    assert count(quality, "order_lines", "non_product") == 1_211
    # the 577 quantity-0 lines are all quarantined (bad_quantity, or non_product first)
    zero = lines.index[lines["quantity"] == 0]
    assert len(zero) == 577 and zero.isin(quarantined.index).all()
    assert set(quarantined.loc[zero, "reason"]) <= {"bad_quantity", "non_product", "unknown_sku"}
    # one segment: demographics (801 households) are not mapped, see the mapping's description
    assert mapped.tables["customers"]["segment"].isna().all()
    households = mapped.tables["customers"]["customer_id"]
    assert mapped.tables["orders"]["customer_id"].isin(households).all()


@pytest.mark.slow
def test_journey_promotions_from_week_numbers():
    mapped, quality = map_and_check("complete_journey")
    assert_rows_add_up(mapped, quality)
    promotions = mapped.tables["promotions"]
    assert len(promotions) == 360_535 and promotions["promotion_id"].is_unique
    assert promotions["location"].nunique() == 2  # the sample's 2 stores
    assert promotions["starts_on"].min() == pd.Timestamp("2017-01-01")
    assert (promotions["starts_on"].dt.day_name() == "Sunday").all()
    assert ((promotions["ends_on"] - promotions["starts_on"]).dt.days == 6).all()
    kinds = promotions["kind"].value_counts().to_dict()
    assert kinds == {"mailer": 205_534, "display": 121_323, "display+mailer": 33_678}


# --- accounts receivable ----------------------------------------------------------------------


def test_ar_invoices_rows_add_up_and_facts():
    mapped, quality = map_and_check("ar_invoices")
    assert_rows_add_up(mapped, quality)
    invoices = mapped.tables["invoices"]
    assert len(invoices) == 2_466 and mapped.rows_written["customers"] == 100
    assert invoices["customer_id"].nunique() == 100
    # ids are zero-padded strings: one order and one line per invoice, same number
    assert invoices["invoice_id"].str.fullmatch(r"\d{10}").all()
    assert invoices["invoice_id"].str.startswith("0").any()
    assert mapped.tables["orders"]["order_id"].equals(invoices["invoice_id"])
    lines = mapped.tables["order_lines"]
    value = (lines["unit_price"] * lines["quantity"]).sum()
    assert value == pytest.approx(invoices["amount"].sum())
    # every invoice is net-30; days to settle: median 26, max 75; 22.7 % disputed
    assert ((invoices["due_date"] - invoices["issued_at"]).dt.days == 30).all()
    payments = mapped.tables["payments"].set_index("invoice_id")
    days = (payments["paid_at"] - invoices.set_index("invoice_id")["issued_at"]).dt.days
    assert days.median() == 26 and days.max() == 75
    assert invoices["disputed"].mean() == pytest.approx(0.227, abs=0.0005)
    assert invoices["issued_at"].min() == pd.Timestamp("2012-01-03")
    assert len(quality.quarantine["invoices"]) == 0 and len(quality.quarantine["payments"]) == 0


# --- CRM pipeline -----------------------------------------------------------------------------


def test_crm_pipeline_rows_add_up_and_facts():
    mapped, quality = map_and_check("crm_pipeline")
    assert_rows_add_up(mapped, quality)
    opportunities = mapped.tables["opportunities"]
    assert len(opportunities) == 8_800
    assert opportunities["stage"].value_counts().to_dict() == {
        "Won": 4_238, "Lost": 2_473, "Engaging": 1_589, "Prospecting": 500,
    }  # fmt: skip
    # won deals are the orders; the other opportunities are counted, not lost
    assert mapped.rows_written["orders"] == mapped.rows_written["order_lines"] == 4_238
    assert mapped.rows_excluded == {"orders": 4_562, "order_lines": 4_562}
    assert any("4562 of 8800 source rows are not orders" in note for note in quality.notes)
    # GTXPro is GTX Pro: every line's product is in the product list
    assert "GTXPro" not in set(opportunities["product"])
    assert count(quality, "order_lines", "unknown_sku") == 0
    assert len(quality.tables["order_lines"]) == 4_238
    # open deals: no close date or value; prospects: no engage date
    assert opportunities["closed_at"].isna().sum() == 2_089
    assert opportunities["created_at"].isna().sum() == 500
    assert opportunities["account_id"].isna().sum() == 1_425
    assert "technolgy" not in set(mapped.tables["accounts"]["sector"])
    # the account list is also the customer list: matched by key, all of it
    assert quality.match is not None and quality.match_rate == 1.0
    assert count(quality, MATCH_TABLE, "by_key") == 85


# --- twin calibrate end to end ----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SOURCES))
def test_calibrate_runs_end_to_end(name, tmp_path):
    """Every mapping gives a model (exit 0): the data fit order arrivals and values, in one
    segment each; what they lack (lead times; the SKU mix of the invoice set) is left to the
    stated defaults and flagged in the fit report, not refused."""
    folder = source(name)
    out = tmp_path / name
    result = CliRunner().invoke(
        cli,
        ["calibrate", str(folder), "--mapping", str(MAPPINGS / f"{name}.yaml"), "--out", str(out),
         "--as-of", AS_OF],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / "model.yaml").is_file() and (out / "quality.png").is_file()
    written = pd.read_csv(out / "quality.csv")
    if name == "crm_pipeline":
        assert (out / "erp_crm_match.csv").is_file()
        assert written.loc[written["table"] == MATCH_TABLE, "rows"].sum() == 85
