"""The data-quality step: every rule on a small fixture with exact counts, the row invariant, the
written report, and the shipped mappings on the real data sets."""

from pathlib import Path

import pandas as pd
import pytest

from twin.calibration.conform import conform
from twin.calibration.mapping import apply_mapping
from twin.calibration.quality import (
    COUNT_COLUMNS,
    DEFAULT_NON_PRODUCT,
    QualityResult,
    check_history,
)
from twin.calibration.quality_output import write_quality
from twin.errors import InputError

HERE = Path(__file__).resolve()
REPO = HERE.parents[2]
MAPPINGS = REPO / "calibration" / "mappings"
DATA = REPO / ".." / "shared" / "data"
AS_OF = pd.Timestamp("2025-01-01")
GAP = "<missing>"  # conform refuses missing keys, so fixtures mark them and blank them afterwards


def table(name: str, rows: list[dict]) -> pd.DataFrame:
    frame = conform(name, pd.DataFrame(rows))
    for column in frame.columns:
        if pd.api.types.is_string_dtype(frame[column].dtype):
            frame.loc[frame[column] == GAP, column] = pd.NA
    return frame


def order(order_id, customer="c1", ordered="2024-01-01 10:00", status="delivered", **stamps):
    return {
        "order_id": order_id, "customer_id": customer, "ordered_at": ordered,
        "promised_at": stamps.get("promised", "2024-01-10"), "shipped_at": stamps.get("shipped"),
        "delivered_at": stamps.get("delivered"), "status": status,
    }  # fmt: skip


def line(order_id, line_no, sku, quantity=1.0, price=5.0, status="ordered"):
    return {
        "order_id": order_id, "line_no": line_no, "sku": sku, "quantity": quantity,
        "unit_price": price, "status": status,
    }  # fmt: skip


def shop() -> dict[str, pd.DataFrame]:
    """One row (or two) per rule; the comment gives the expected reason."""
    products = table("products", [{"sku": s} for s in ("P1", "P2", "gift_0001_20", GAP)])
    customers = table("customers", [{"customer_id": c} for c in ("c1", "c2", "c2")])
    orders = table(
        "orders",
        [
            order("o1"),  # ok
            order("o2", status="cancelled"),  # cancellation
            order("o1"),  # duplicate_row
            order("o1", customer="c2"),  # duplicate_key
            order(GAP),  # missing_key
            order("o4", ordered="2030-05-01", promised="2030-05-09"),  # future_date
            order("o5", customer="c9"),  # unknown_customer
            order("o6", shipped="2023-12-31", delivered="2024-01-05"),  # timestamp_order
            order("o7", status="unavailable"),  # no_lines: it never had a line
            order("o8", customer=GAP),  # no_lines: anonymous, every line quarantined
            order("o9", status="returned"),  # return
        ],
    )
    lines = table(
        "order_lines",
        [
            line("o1", 1, "P1", 2, 10.0),  # ok
            line("o1", 2, "P1", 2, 10.0),  # duplicate_row (line_no is not compared)
            line("o1", 2, "P2"),  # duplicate_key
            line("o1", 3, GAP),  # missing_key
            line("o4", 1, "P1"),  # orphan_order: its order is quarantined (future_date)
            line("oX", 1, "P1"),  # orphan_order: no such order
            line("o5", 1, "P1"),  # orphan_order: its order is quarantined (unknown_customer)
            line("o2", 1, "P1", -2, 10.0, "cancelled"),  # cancellation
            line("o8", 1, "POST", 1, 18.0),  # non_product
            line("o8", 2, "gift_0001_20", 1, 10.0),  # non_product (glob), though a product
            line("o8", 3, "P1", -5, 0.0, "returned"),  # write_off
            line("o8", 4, "P2", 0, 5.0),  # bad_quantity: zero
            line("o8", 5, "P2", -1, 5.0),  # bad_quantity: negative on an ordered line
            line("o8", 6, "Z"),  # unknown_sku
            line("o8", 7, "P2", 1, 0.0),  # bad_price
            line("o6", 1, "P2", 1, 500.0),  # price_outlier: 100 x the P2 median 5
            line("o6", 2, "P2", 1, 5.0),  # ok
            line("o9", 1, "P2", -1, 5.0, "returned"),  # return
        ],
    )
    payments = table(
        "payments",
        [
            {"payment_id": "p1", "order_id": "o1", "amount": 20.0},  # ok
            {"payment_id": "p2", "order_id": "oX", "amount": 5.0},  # orphan_order
            {"payment_id": "p3", "order_id": "o1", "amount": 5.0, "paid_at": "2031-01-01"},
        ],
    )
    return {
        "products": products, "customers": customers, "orders": orders, "order_lines": lines,
        "payments": payments,
    }  # fmt: skip


def counts_of(result: QualityResult, name: str) -> dict[tuple[str, str], int]:
    rows = result.counts[result.counts["table"] == name]
    return {
        (o, r): n for o, r, n in zip(rows["outcome"], rows["reason"], rows["rows"], strict=True)
    }


@pytest.fixture(scope="module")
def result() -> QualityResult:
    return check_history(shop(), as_of=AS_OF)


def test_every_line_rule_with_exact_counts(result):
    assert counts_of(result, "order_lines") == {
        ("used", "cancellation"): 1, ("used", "return"): 1, ("used", "ok"): 2,
        ("quarantined", "missing_key"): 1, ("quarantined", "duplicate_row"): 1,
        ("quarantined", "duplicate_key"): 1, ("quarantined", "orphan_order"): 3,
        ("quarantined", "non_product"): 2, ("quarantined", "write_off"): 1,
        ("quarantined", "bad_quantity"): 2, ("quarantined", "unknown_sku"): 1,
        ("quarantined", "bad_price"): 1, ("quarantined", "price_outlier"): 1,
    }  # fmt: skip
    q = result.quarantine["order_lines"]
    assert q.index.tolist() == [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15]
    assert q.loc[1, "detail"] == "same as row 1" and q.loc[2, "detail"] == "key of row 2"
    assert q["row"].tolist() == [i + 1 for i in q.index] and set(q["file"]) == {""}
    assert q.loc[15, "detail"] == "unit_price 500 > 20 x SKU median 5"
    assert q.loc[11, "detail"] == "quantity 0"


def test_every_order_rule_with_exact_counts(result):
    assert counts_of(result, "orders") == {
        ("used", "timestamp_order"): 1, ("used", "cancellation"): 1, ("used", "return"): 1,
        ("used", "no_lines"): 2, ("used", "ok"): 1,
        ("quarantined", "missing_key"): 1, ("quarantined", "duplicate_row"): 1,
        ("quarantined", "duplicate_key"): 1, ("quarantined", "future_date"): 1,
        ("quarantined", "unknown_customer"): 1,
    }  # fmt: skip
    assert result.tables["orders"]["order_id"].tolist() == [
        "o1", "o2", "o6", "o7", "o8", "o9",
    ]  # fmt: skip
    assert "orders: 2 used orders have no used line (1 had no line in the input)" in result.notes


def test_other_tables(result):
    assert counts_of(result, "products") == {("used", "ok"): 3, ("quarantined", "missing_key"): 1}
    assert counts_of(result, "customers") == {
        ("used", "ok"): 2, ("quarantined", "duplicate_row"): 1,
    }  # fmt: skip
    assert counts_of(result, "payments") == {
        ("used", "ok"): 1, ("quarantined", "orphan_order"): 1, ("quarantined", "future_date"): 1,
    }  # fmt: skip


def test_bad_timestamp_is_blanked_and_the_order_kept(result):
    orders = result.tables["orders"].set_index("order_id")
    assert pd.isna(orders.loc["o6", "shipped_at"])
    assert orders.loc["o6", "delivered_at"] == pd.Timestamp("2024-01-05")
    assert any("shipped_at before ordered_at: 1" in note for note in result.notes)
    # The input is not modified.
    assert shop()["orders"]["shipped_at"].notna().sum() == 1


def test_rows_in_equal_rows_used_plus_quarantined(result):
    tables = shop()
    for name, frame in tables.items():
        used, quarantined = result.tables[name], result.quarantine[name]
        assert len(frame) == len(used) + len(quarantined)
        assert result.counts.loc[result.counts["table"] == name, "rows"].sum() == len(frame)
        assert list(used.columns) == list(frame.columns)
        assert list(quarantined.columns) == ["file", "row", *frame.columns, "reason", "detail"]
    assert list(result.counts.columns) == list(COUNT_COLUMNS)


def test_as_of_defaults_to_now_and_other_skus_can_be_non_product():
    tables = shop()
    assert counts_of(check_history(tables), "orders")[("quarantined", "future_date")] == 1
    result = check_history(tables, as_of="2040-01-01", non_product_skus=["Z"])
    lines = counts_of(result, "order_lines")
    # POST is now a product without a product record; Z is the only non-product line.
    assert lines[("quarantined", "non_product")] == 1
    assert lines[("quarantined", "unknown_sku")] == 1
    assert "future_date" not in set(result.counts["reason"])


def test_a_single_table():
    tables = shop()
    result = check_history({"orders": tables["orders"]}, as_of=AS_OF)
    assert set(result.tables) == {"orders"}
    # Without customers there is no customer check; without lines no no_lines.
    assert counts_of(result, "orders")[("used", "ok")] == 4


@pytest.mark.parametrize(
    ("tables", "kwargs", "message"),
    [
        ({"sales": pd.DataFrame()}, {}, "unknown canonical table.*sales"),
        ({"orders": pd.DataFrame({"x": [1]})}, {}, "table orders: key column.*order_id"),
        ({"order_lines": shop()["order_lines"]}, {}, "without the orders table"),
        ({}, {"price_outlier_factor": 1.0}, '"price_outlier_factor" must be > 1'),
        ({}, {"as_of": "soon"}, '"as_of" must be a date/time'),
    ],
)
def test_errors(tables, kwargs, message):
    with pytest.raises(InputError, match=message):
        check_history(tables, **kwargs)


def test_write_quality(result, tmp_path):
    paths = write_quality(result, tmp_path / "out")
    names = sorted(p.relative_to(tmp_path / "out").as_posix() for p in paths)
    assert names == sorted(
        ["quality.csv", "quality.png"]
        + [f"quarantine/{name}.csv" for name in shop()]
    )  # fmt: skip
    counts = pd.read_csv(tmp_path / "out" / "quality.csv")
    assert list(counts.columns) == list(COUNT_COLUMNS)
    assert counts["rows"].sum() == sum(len(frame) for frame in shop().values())
    lines = pd.read_csv(tmp_path / "out" / "quarantine" / "order_lines.csv")
    assert list(lines.columns) == [
        "file",
        "row",
        *shop()["order_lines"].columns,
        "reason",
        "detail",
    ]
    assert len(lines) == 14
    assert (tmp_path / "out" / "quality.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- the shipped mappings on the real data sets ----------------------------------------------


def real(name: str) -> dict[str, pd.DataFrame]:
    folder = DATA / name
    if not folder.is_dir():
        pytest.skip(f"real data set {folder} not present")
    return apply_mapping(MAPPINGS / f"{name}.yaml", folder).tables


@pytest.fixture(scope="module")
def online_retail():
    tables = real("online_retail")
    return tables, check_history(tables, as_of="2012-01-01")


def test_online_retail_counts(online_retail):
    tables, result = online_retail
    lines, q = tables["order_lines"], result.quarantine["order_lines"]
    assert counts_of(result, "orders") == {
        ("used", "cancellation"): 3_836, ("used", "no_lines"): 2_293, ("used", "ok"): 19_771,
    }  # fmt: skip
    assert counts_of(result, "order_lines") == {
        ("used", "cancellation"): 8_665, ("used", "ok"): 522_470,
        ("quarantined", "duplicate_row"): 5_271, ("quarantined", "non_product"): 2_989,
        ("quarantined", "write_off"): 1_324, ("quarantined", "bad_price"): 1_156,
        ("quarantined", "price_outlier"): 34,
    }  # fmt: skip
    # README: 5,268 exact duplicate rows. The canonical line has no Description (and the
    # timestamp is the invoice's), so 3 more pairs that differ only in Description look identical.
    assert 5_271 - 5_268 == 3
    # README: 9,288 C-invoice lines, all cancellations. Every one is either used as a
    # cancellation or quarantined by an earlier rule: postage/fee lines, duplicates, outliers.
    cancelled = lines["order_id"].str.startswith("C")
    assert int(cancelled.sum()) == 9_288
    c_quarantined = q[q["order_id"].str.startswith("C")]["reason"].value_counts().to_dict()
    assert c_quarantined == {"non_product": 583, "duplicate_row": 37, "price_outlier": 3}
    assert 8_665 + sum(c_quarantined.values()) == 9_288
    # README: 1,336 negative lines without C (write-offs); 12 are on non-product codes (M, ...).
    written_off = q[(q["status"] == "returned")]["reason"].value_counts().to_dict()
    assert written_off == {"write_off": 1_324, "non_product": 12}
    # README non-product counts: every such line is quarantined, as non_product or (earlier
    # rule) as a duplicate; none is used.
    readme = {
        "POST": 1_256, "DOT": 710, "M": 571, "C2": 144, "D": 77, "S": 63, "BANK CHARGES": 37,
        "AMAZONFEE": 34, "CRUK": 16, "m": 1,
    }  # fmt: skip
    assert q["sku"].value_counts().reindex(list(readme)).to_dict() == readme
    non_product = q[q["reason"] == "non_product"]["sku"].value_counts()
    assert non_product["POST"] == 1_256 and non_product["M"] == 566 and non_product["S"] == 62
    assert not result.tables["order_lines"]["sku"].isin(list(readme)).any()
    # README: 2,515 price-0 lines = 1,336 write-offs + 1,179 others; of these, 1,156 product lines
    # reach bad_price (the rest are duplicates or non-product lines).
    assert (q["reason"] == "bad_price").sum() == 1_156
    assert DEFAULT_NON_PRODUCT[0] == "POST"


def test_online_retail_write_quality(online_retail, tmp_path):
    _, result = online_retail
    paths = write_quality(result, tmp_path)
    assert len(pd.read_csv(tmp_path / "quarantine" / "order_lines.csv")) == 10_774
    assert paths[-1].read_bytes()[:4] == b"\x89PNG"


def test_olist_counts():
    tables = real("olist")
    result = check_history(tables, as_of="2018-11-01")
    assert counts_of(result, "orders") == {
        ("used", "timestamp_order"): 208, ("used", "cancellation"): 113,
        ("used", "no_lines"): 88, ("used", "ok"): 14_591,
    }  # fmt: skip
    for name in ("products", "customers", "order_lines", "payments"):
        assert counts_of(result, name) == {("used", "ok"): len(tables[name])}
    # README: 206 carrier dates before approval, 31 before purchase, 2 deliveries before the
    # carrier date; the walk blanks 206 carrier dates and 11 deliveries, on 208 orders.
    note = next(n for n in result.notes if n.startswith("orders: timestamps out of order"))
    assert "shipped_at before ordered_at: 31" in note
    assert "shipped_at before approved_at: 206" in note
    assert "delivered_at before shipped_at: 2" in note
    assert note.endswith("blanked: shipped_at 206, delivered_at 11")
    orders = result.tables["orders"]
    assert orders["shipped_at"].isna().sum() == 278 + 206
    # README: 115 orders have no lines (they stay used; 27 of them are also cancelled).
    assert "orders: 115 used orders have no used line (115 had no line in the input)" in (
        result.notes
    )


def test_non_product_categories_quarantine_fuel_lines():
    tables = {
        "products": table("products", [{"sku": "P", "category": "BREAD"},
                                       {"sku": "F", "category": "FUEL"}]),
        "orders": table("orders", [order("o1")]),
        "order_lines": table("order_lines", [line("o1", 1, "P"), line("o1", 2, "F", 9000, 0.01)]),
    }  # fmt: skip
    result = check_history(tables, as_of=AS_OF, non_product_categories=["FUEL"])
    quarantined = result.quarantine["order_lines"]
    assert quarantined["reason"].tolist() == ["non_product"]
    assert quarantined["detail"].tolist() == ["category FUEL"]
    plain = check_history(tables, as_of=AS_OF)  # without the option, fuel is an ordinary line
    assert len(plain.quarantine["order_lines"]) == 0


def test_match_is_reported_in_counts_notes_and_files(tmp_path):
    from twin.calibration.matching import match_accounts
    from twin.calibration.quality import MATCH_TABLE

    customers = table(
        "customers",
        [
            {"customer_id": "c1", "name": "Beacon Works GmbH"},
            {"customer_id": "c2", "name": "Beacon Works AG"},
        ],
    )
    accounts = table(
        "accounts",
        [
            {"account_id": "a1", "name": "Beacon Works GmbH"},
            {"account_id": "a2", "name": "Beacon Works"},
            {"account_id": "a3", "name": "Elm", "customer_id": "c2"},
        ],
    )
    linked, match = match_accounts(accounts, customers)
    tables = {"customers": customers, "accounts": conform("accounts", linked),
              "orders": table("orders", [order("o1")])}  # fmt: skip
    result = check_history(tables, as_of=AS_OF, match=match, notes=["from the mapping"])
    rows = result.counts[result.counts["table"] == MATCH_TABLE]
    assert rows[["outcome", "reason", "rows"]].values.tolist() == [
        ["used", "by_key", 1], ["used", "by_name", 1], ["unmatched", "ambiguous", 1],
    ]  # fmt: skip
    assert result.match_rate == pytest.approx(2 / 3)
    assert result.notes[0] == "from the mapping"
    assert any("2 of 3 CRM accounts" in note for note in result.notes)
    # the match rows are not quarantined rows, and the real tables still add up
    assert "quarantined" not in set(rows["outcome"])
    assert len(result.tables["accounts"]) == 3
    paths = write_quality(result, tmp_path)
    links = pd.read_csv(tmp_path / "erp_crm_match.csv", dtype=str)
    assert tmp_path / "erp_crm_match.csv" in paths
    assert links["outcome"].tolist() == ["by_name", "ambiguous", "by_key"]
    cells = {c for v in links.fillna("").to_numpy().ravel() for c in str(v).split(";")}
    assert not cells & {"a1", "a2", "a3", "c1", "c2"}  # ids hashed, candidates too
    assert links["candidate_ids"][1].count(";") == 1
    written = pd.read_csv(tmp_path / "quality.csv")
    assert (written["table"] == MATCH_TABLE).sum() == 3
