"""Mapping files: loading, every feature on small fixtures, errors, and the real data sets."""

import sqlite3
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from twin.calibration.mapping import apply_mapping
from twin.calibration.mapping_schema import load_mapping
from twin.errors import InputError

HERE = Path(__file__).resolve()
FIXTURES = HERE.parent / "fixtures"
SHOP = FIXTURES / "shop"
REPO = HERE.parents[2]
MAPPINGS = REPO / "calibration" / "mappings"
DATA = REPO / ".." / "shared" / "data"


def write(tmp_path: Path, text: str, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_shop_fixture_maps_every_row():
    result = apply_mapping(SHOP / "shop.yaml", SHOP)
    orders, lines = result.tables["orders"], result.tables["order_lines"]
    assert result.rows_read == {"orders": 3, "order_lines": 4}
    assert result.rows_written == {"orders": 3, "order_lines": 4}
    assert orders["status"].tolist() == ["shipped", "placed", "cancelled"]
    assert orders["customer_id"].tolist()[0] == "0007" and pd.isna(orders["customer_id"][1])
    assert orders["ordered_at"].tolist()[0] == pd.Timestamp("2024-01-03 09:00")  # day first
    assert orders["shipped_at"].isna().tolist() == [False, True, True]
    assert lines["line_no"].tolist() == [1, 2, 1, 1]
    assert lines["unit_price"].tolist() == pytest.approx([12.5, 9.99, 12.5, 5.0])
    assert lines["status"].tolist() == ["ordered", "ordered", "ordered", "returned"]
    assert [p.rows for p in result.provenance["order_lines"]] == [2, 2]


def test_decimal_comma_lookup_constant_concat_and_count(tmp_path):
    path = write(
        tmp_path,
        """\
        name: counted
        tables:
          order_lines:
            source: {files: lines_semicolon.csv, decimal: ",", thousands: "."}
            fields: {order_id: order, line_no: pos, sku: article, unit_price: price}
            derive:
              status: {constant: ordered}
              quantity: {count_rows_by: [order_id, sku], first: [line_no, unit_price]}
          customers:
            source: {files: customers_bom.csv}
            fields: {customer_id: customer_id, city: city}
            derive:
              name: {concat: [name, city], separator: " / "}
              region:
                lookup:
                  source: {files: orders_gbk.csv, encoding: gb18030}
                  key: customer_id
                  value: customer_name
                  by: customer_id
        """,
    )
    # Wire the lookup to the GBK fixture's ids: C01/C02 there, 0042/0043 here.
    (tmp_path / "customers_bom.csv").write_text(
        "customer_id,name,city\nC01,Zoë,São Paulo\nC02,Ana,Curitiba\n", encoding="utf-8-sig"
    )
    for name in ("lines_semicolon.csv", "orders_gbk.csv"):
        (tmp_path / name).write_bytes((FIXTURES / name).read_bytes())
    result = apply_mapping(path, tmp_path)
    lines = result.tables["order_lines"]
    assert lines["unit_price"].tolist() == [12.5, 1234.75, 0.99]
    assert lines["quantity"].sum() == result.rows_read["order_lines"]
    customers = result.tables["customers"]
    assert customers["region"].tolist() == ["张伟", "王芳"]
    assert customers["name"].tolist() == ["Zoë / São Paulo", "Ana / Curitiba"]


def test_counting_rows_merges_repeats(tmp_path):
    (tmp_path / "items.csv").write_text(
        "o,item,p,price,freight\nX,1,A,10,1.5\nX,2,A,10,1.5\nX,3,B,4,1\nY,1,A,10,2\n"
    )
    path = write(
        tmp_path,
        """\
        name: items
        tables:
          order_lines:
            source: {files: items.csv}
            fields: {order_id: o, line_no: item, sku: p, unit_price: price, freight: freight}
            derive:
              status: {constant: ordered}
              quantity: {count_rows_by: [order_id, sku], first: [line_no], sum: [freight]}
        """,
    )
    result = apply_mapping(path, tmp_path)
    lines = result.tables["order_lines"]
    assert lines[["order_id", "line_no", "sku", "quantity", "freight"]].values.tolist() == [
        ["X", 1, "A", 2.0, 3.0],
        ["X", 3, "B", 1.0, 1.0],
        ["Y", 1, "A", 1.0, 2.0],
    ]
    assert result.rows_read["order_lines"] == lines["quantity"].sum() == 4

    (tmp_path / "items.csv").write_text("o,item,p,price,freight\nX,1,A,10,1\nX,2,A,11,1\n")
    with pytest.raises(
        InputError,
        match=r"m\.yaml, line 8: table order_lines: column unit_price differs .* "
        r"order_id='X', sku='A'",
    ):
        apply_mapping(path, tmp_path)


def test_sqlite_source(tmp_path):
    db = tmp_path / "erp.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("create table so (ono text, cust integer, placed text, state text)")
        con.execute("insert into so values ('1', 7, '2024-01-02 08:00:00', 'done')")
        con.execute("create table sol (ono text, sku text, qty integer, price real)")
        con.execute("insert into sol values ('1', 'A', 2, 1.5), ('1', 'B', 1, 2.0)")
    path = write(
        tmp_path,
        """\
        name: db
        tables:
          orders:
            source: {table: so}
            fields: {order_id: ono, customer_id: cust, ordered_at: placed, status: state}
            values: {status: {done: delivered}}
            derive:
              promised_at: {constant: null}
              shipped_at: {constant: null}
          order_lines:
            source: {query: "select ono, sku, qty, price from sol where qty > 0 order by sku"}
            fields: {order_id: ono, sku: sku, quantity: qty, unit_price: price}
            derive:
              line_no: {row_number_by: [order_id]}
              status: {constant: ordered}
        """,
    )
    result = apply_mapping(path, db)  # a .sqlite path stands for sqlite:///...
    assert result.tables["orders"]["customer_id"].tolist() == ["7"]
    assert result.tables["orders"]["status"].tolist() == ["delivered"]
    assert result.tables["order_lines"]["line_no"].tolist() == [1, 2]
    assert apply_mapping(path, f"sqlite:///{db}").rows_read == {"orders": 1, "order_lines": 2}


def test_value_maps_with_yaml_numbers_and_zero_padding(tmp_path):
    (tmp_path / "c.csv").write_text("id,zip,vip\n1,8775,1\n2,89254,0\n3,,\n")
    path = write(
        tmp_path,
        """\
        name: c
        tables:
          customers:
            source: {files: c.csv}
            fields: {customer_id: id, postal_code: zip, segment: vip}
            values: {segment: {1: key account, 0: retail}}
            zero_pad: {postal_code: 5}
        """,
    )
    customers = apply_mapping(path, tmp_path).tables["customers"]
    assert customers["postal_code"].tolist() == ["08775", "89254", pd.NA]
    assert customers["segment"].tolist() == ["key account", "retail", pd.NA]


def test_only_some_tables(tmp_path):
    result = apply_mapping(load_mapping(SHOP / "shop.yaml"), SHOP, tables=["orders"])
    assert list(result.tables) == ["orders"]


# --- errors ----------------------------------------------------------------------------------


SHOP_LINES = """\
name: shop
tables:
  order_lines:
    source: {files: "lines.part*.csv"}
    fields:
      order_id: OrderNo
      sku: Item
      quantity: Qty
      unit_price: %s
    derive:
      line_no: {row_number_by: [order_id]}
      status: {constant: ordered}
"""


def test_column_not_in_source_names_file_table_and_column(tmp_path):
    path = write(tmp_path, SHOP_LINES % "Price")
    with pytest.raises(
        InputError,
        match=r"m\.yaml, line 9: table order_lines: column 'Price' is not in the source "
        r"\(.*lines\.part1of2\.csv and 1 more\); its columns are: OrderNo, Item, Qty, PriceCents",
    ):
        apply_mapping(path, SHOP)


def test_case_column_not_in_source(tmp_path):
    text = (SHOP_LINES % "PriceCents").replace(
        "status: {constant: ordered}",
        "status: {cases: [{when: {column: Kind, equals: R}, value: returned}], default: ordered}",
    )
    with pytest.raises(InputError, match=r"line 12: table order_lines: column 'Kind' is not in"):
        apply_mapping(write(tmp_path, text), SHOP)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\ntables:\n  sales: {source: {files: a.csv}}\n",
         r"Invalid mapping file .*m\.yaml \(1 error\):\n  .*line 3: tables\.sales: 'sales' is not "
         r"a canonical table"),
        ("name: x\ntables:\n  orders:\n    source: {files: a.csv}\n    fields: {colour: c}\n",
         r"line 5: tables\.orders\.fields\.colour: 'colour' is not a column of orders"),
        ("name: x\ntables:\n  orders:\n    source: {files: a.csv, table: t}\n",
         r"line 4: tables\.orders\.source: give exactly one of files .* got files and table"),
        ("name: x\ntables:\n  orders:\n    source: {files: a.csv}\n"
         "    derive: {status: {constant: a, concat: [b]}}\n",
         r"line 5: tables\.orders\.derive\.status: give exactly one of .*got constant and concat"),
        ("name: x\ntables:\n  orders:\n    source: {files: a.csv}\n    colums: {}\n",
         r"line 5: tables\.orders\.colums: unknown key 'colums'; expected one of: source, fields"),
    ],
)  # fmt: skip
def test_invalid_mapping_files(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        load_mapping(write(tmp_path, text))


def test_missing_mapping_file(tmp_path):
    with pytest.raises(InputError, match=r"gone\.yaml: file not found"):
        load_mapping(tmp_path / "gone.yaml")


def test_date_not_in_the_given_format(tmp_path):
    text = (SHOP / "shop.yaml").read_text().replace("%d/%m/%Y %H:%M", "%Y-%m-%d")
    with pytest.raises(
        InputError,
        match=r"line 16: table orders, column ordered_at \(source column Placed\): .*orders\.csv, "
        r"row 1 holds '03/01/2024 09:00', which "
        r"does not match the format '%Y-%m-%d' \(3 such",
    ):
        apply_mapping(write(tmp_path, text), SHOP)


def test_unmapped_status_is_reported_by_conform(tmp_path):
    text = (SHOP / "shop.yaml").read_text().replace(", void: cancelled", "")
    with pytest.raises(
        InputError,
        match=r"table orders, column status \(source column State\): .*shop/orders\.csv, "
        r"row 3 holds 'void'",
    ):
        apply_mapping(write(tmp_path, text), SHOP)


def test_required_column_not_provided(tmp_path):
    text = (SHOP_LINES % "PriceCents").replace("      quantity: Qty\n", "")
    with pytest.raises(
        InputError, match=r"table order_lines: required column 'quantity' is missing"
    ):
        apply_mapping(write(tmp_path, text), SHOP)


def test_not_a_number_to_scale(tmp_path):
    (tmp_path / "p.csv").write_text("sku,g\nA,12\nB,heavy\n")
    text = (
        "name: p\ntables:\n  products:\n    source: {files: p.csv}\n"
        "    fields: {sku: sku, weight_kg: g}\n    scale: {weight_kg: 0.001}\n"
    )
    with pytest.raises(
        InputError,
        match=r"line 6: table products, column weight_kg \(source column \w+\): .*, "
        r"row 2 holds 'heavy'",
    ):
        apply_mapping(write(tmp_path, text), tmp_path)


def test_lookup_misses_and_clashes(tmp_path):
    (tmp_path / "c.csv").write_text("id,person\n1,P1\n2,P2\n")
    (tmp_path / "o.csv").write_text("id\n1\n3\n")
    text = """\
    name: l
    tables:
      customers:
        source: {files: o.csv}
        fields: {customer_id: id}
        derive:
          customer_id:
            lookup: {source: {files: c.csv}, key: id, value: person}
    """
    path = write(tmp_path, text)
    with pytest.raises(
        InputError,
        match=r"line 7: table customers, column customer_id: .*o\.csv, row 2 holds '3', "
        r"which the lookup does not find",
    ):
        apply_mapping(path, tmp_path)
    (tmp_path / "c.csv").write_text("id,person\n1,P1\n1,P2\n3,P3\n")
    with pytest.raises(InputError, match=r"the lookup key '1' has more than one value"):
        apply_mapping(path, tmp_path)


def test_derived_from_an_unmapped_column(tmp_path):
    text = (SHOP_LINES % "PriceCents").replace(
        "row_number_by: [order_id]", "row_number_by: [invoice]"
    )
    with pytest.raises(
        InputError, match=r"line 11: table order_lines: 'invoice' is not \(yet\) a column"
    ):
        apply_mapping(write(tmp_path, text), SHOP)


def test_files_against_a_database_and_tables_against_a_folder(tmp_path):
    db = tmp_path / "e.db"
    sqlite3.connect(db).close()
    with pytest.raises(InputError, match=r"line 4: table order_lines: the source is the database"):
        apply_mapping(write(tmp_path, SHOP_LINES % "PriceCents"), db)
    text = "name: x\ntables:\n  products:\n    source: {table: items}\n    fields: {sku: sku}\n"
    with pytest.raises(InputError, match=r"line 4: table products: the source .* is a folder"):
        apply_mapping(write(tmp_path, text), tmp_path)


def test_no_source_files(tmp_path):
    with pytest.raises(
        InputError, match=r"line 4: table order_lines: no file in .* matches 'lines\.part\*\.csv'"
    ):
        apply_mapping(write(tmp_path, SHOP_LINES % "PriceCents"), tmp_path)


# --- the shipped mappings on the real data sets ----------------------------------------------


def real(name: str) -> Path:
    folder = DATA / name
    if not folder.is_dir():
        pytest.skip(f"real data set {folder} not present")
    return folder


@pytest.mark.parametrize("name", ["olist", "online_retail"])
def test_shipped_mappings_load(name):
    assert load_mapping(MAPPINGS / f"{name}.yaml").name == name


def test_olist_maps_every_row():
    result = apply_mapping(MAPPINGS / "olist.yaml", real("olist"))
    expected = {
        "products": 32_951, "customers": 15_000, "orders": 15_000, "order_lines": 17_071,
        "payments": 15_733,
    }  # fmt: skip
    # the mapping may map more tables (reviews as tickets); these are the ERP ones
    assert {name: result.rows_read[name] for name in expected} == expected
    lines, orders = result.tables["order_lines"], result.tables["orders"]
    # One item row per unit: the 17,071 rows become 15,429 lines whose quantities sum back.
    assert lines["quantity"].sum() == 17_071 and len(lines) == 15_429
    assert lines["freight"].sum() == pytest.approx(
        pd.read_csv(real("olist") / "olist_order_items_dataset.csv")["freight_value"].sum()
    )
    assert result.rows_written["orders"] == 15_000 and result.rows_written["payments"] == 15_733
    assert result.rows_written["customers"] == 14_904  # persons, not per-order customer ids
    assert orders["customer_id"].isin(result.tables["customers"]["customer_id"]).all()
    assert orders["status"].value_counts()["cancelled"] == 113
    assert orders["promised_at"].notna().all()
    assert orders["shipped_at"].isna().sum() == 278
    assert result.tables["payments"]["payment_id"].is_unique
    assert result.tables["customers"]["postal_code"].str.len().eq(5).all()


def test_online_retail_maps_every_line():
    result = apply_mapping(MAPPINGS / "online_retail.yaml", real("online_retail"))
    lines, orders = result.tables["order_lines"], result.tables["orders"]
    assert result.rows_read == {"orders": 541_909, "order_lines": 541_909}
    assert len(lines) == 541_909 and len(orders) == 25_900
    assert len(result.provenance["order_lines"]) == 16
    counts = lines["status"].value_counts().to_dict()
    assert counts == {"ordered": 531_285, "cancelled": 9_288, "returned": 1_336}
    assert orders["customer_id"].notna().sum() > 0
    assert not lines.duplicated(["order_id", "line_no"]).any()
    assert (lines.loc[lines["status"] == "cancelled", "quantity"] < 0).all()


def test_sum_of_divide_by_from_week_and_multi_condition_cases(tmp_path):
    (tmp_path / "t.csv").write_text(
        "basket,product,qty,sales,disc,coupon,week,shelf,mail\n"
        "B1,P1,2,3.00,0.50,0.10,1,0,A\n"
        "B1,P2,0,1.00,0.00,0.00,2,3,0\n"
        "B2,P1,1,2.00,,0.00,53,3,D\n"
    )
    path = write(
        tmp_path,
        """\
        name: arithmetic
        tables:
          order_lines:
            source: {files: t.csv}
            fields: {order_id: basket, sku: product, quantity: qty}
            derive:
              line_no: {row_number_by: [order_id]}
              unit_price: {sum_of: [sales, disc], divide_by: qty}
              discount: {sum_of: [disc, coupon]}
              status: {constant: ordered}
          promotions:
            source: {files: t.csv}
            fields: {sku: product}
            derive:
              promotion_id: {concat: [product, week]}
              starts_on: {from_week: week, week_one: 2017-01-01}
              ends_on: {from_week: week, week_one: 2017-01-01, plus_days: 6}
              kind:
                cases:
                  - when: [{column: shelf, equals: "0"}, {column: mail, equals: "0"}]
                    value: none
                  - {when: {column: mail, equals: "0"}, value: display}
                  - {when: {column: shelf, equals: "0"}, value: mailer}
                default: display+mailer
        """,
    )
    result = apply_mapping(path, tmp_path)
    lines = result.tables["order_lines"]
    assert lines["unit_price"].tolist()[0] == pytest.approx(1.75)  # (3.00 + 0.50) / 2
    assert pd.isna(lines["unit_price"][1])  # quantity 0: no price, for the quality step
    assert pd.isna(lines["unit_price"][2])  # a missing term
    assert lines["discount"].tolist()[:2] == pytest.approx([0.6, 0.0])
    promotions = result.tables["promotions"]
    assert promotions["starts_on"].dt.strftime("%Y-%m-%d").tolist() == [
        "2017-01-01", "2017-01-08", "2017-12-31",
    ]  # fmt: skip
    assert promotions["ends_on"].tolist()[0] == pd.Timestamp("2017-01-07")
    assert promotions["kind"].tolist() == ["mailer", "display", "display+mailer"]


def test_only_keeps_some_rows_and_counts_the_rest(tmp_path):
    (tmp_path / "p.csv").write_text(
        "id,account,stage,closed,value\nO1,A,Won,2017-01-02,10\nO2,A,Lost,2017-01-03,\n"
        "O3,,Engaging,,\n"
    )
    path = write(
        tmp_path,
        """\
        name: won
        tables:
          orders:
            source: {files: p.csv}
            only: {column: stage, equals: Won}
            fields: {order_id: id, customer_id: account, ordered_at: closed}
            derive:
              status: {constant: invoiced}
              promised_at: {constant: null}
              shipped_at: {constant: null}
          opportunities:
            source: {files: p.csv}
            fields: {opportunity_id: id, stage: stage, amount: value}
        """,
    )
    result = apply_mapping(path, tmp_path)
    assert result.tables["orders"]["order_id"].tolist() == ["O1"]
    assert result.rows_read == {"orders": 3, "opportunities": 3}
    assert result.rows_written == {"orders": 1, "opportunities": 3}
    assert result.rows_excluded == {"orders": 2}
    assert any("2 of 3 source rows are not orders" in note for note in result.notes)


def test_only_on_a_column_not_in_the_source(tmp_path):
    (tmp_path / "p.csv").write_text("id,stage\nO1,Won\n")
    path = write(
        tmp_path,
        """\
        name: won
        tables:
          opportunities:
            source: {files: p.csv}
            only: {column: deal_stage, equals: Won}
            fields: {opportunity_id: id, stage: stage}
        """,
    )
    with pytest.raises(InputError, match=r"m.yaml, line 5: .*'deal_stage' is not in the source"):
        apply_mapping(path, tmp_path)


def test_optional_lookup_leaves_unknown_keys_missing(tmp_path):
    (tmp_path / "c.csv").write_text("id\n1\n2\n")
    (tmp_path / "d.csv").write_text("hh,income\n1,high\n")
    path = write(
        tmp_path,
        """\
        name: demographics
        tables:
          customers:
            source: {files: c.csv}
            fields: {customer_id: id}
            derive:
              segment:
                lookup: {source: {files: d.csv}, key: hh, value: income, by: customer_id,
                         optional: true}
        """,
    )
    segment = apply_mapping(path, tmp_path).tables["customers"]["segment"]
    assert segment[0] == "high" and pd.isna(segment[1])


def test_match_section_links_accounts_to_customers(tmp_path):
    (tmp_path / "erp.csv").write_text("num,name\nC1,Beacon Works GmbH\nC2,Oak Works Ltd\n")
    (tmp_path / "crm.csv").write_text("id,name,erp\nA1,Beacon Works,\nA2,oak works,C9\nA3,Elm,\n")
    text = """\
        name: linked
        tables:
          customers:
            source: {files: erp.csv}
            fields: {customer_id: num, name: name}
          accounts:
            source: {files: crm.csv}
            fields: {account_id: id, name: name, customer_id: erp}
        match: {by: key_then_names}
        """
    result = apply_mapping(write(tmp_path, text), tmp_path)
    assert result.tables["accounts"]["customer_id"].tolist()[:2] == ["C1", "C2"]
    assert result.match is not None and result.match.matched == 2
    assert result.match.counts["accounts"].tolist() == [0, 2, 0, 1]
    assert any("2 of 3 CRM accounts" in note for note in result.notes)
    alone = write(tmp_path, text.replace("customers:", "products:", 1).replace(
        "fields: {customer_id: num, name: name}", "fields: {sku: num, name: name}"
    ), "alone.yaml")  # fmt: skip
    with pytest.raises(InputError, match="maps no customers table"):
        apply_mapping(alone, tmp_path)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("match: {by: fuzzy}", "match.by"),
        ("match: {account_name: label}", "'label' is not a column of accounts"),
        ("quality: {price_outlier_factor: 1}", "greater than 1"),
        ("quality: {non_product: [X]}", "unknown key .non_product."),
    ],
)
def test_invalid_match_and_quality_sections(tmp_path, section, message):
    text = (
        "name: x\ntables:\n  products:\n    source: {files: p.csv}\n    fields: {sku: a}\n"
        f"{section}\n"
    )
    with pytest.raises(InputError, match=message):
        load_mapping(write(tmp_path, text))


def test_quality_section_gives_check_history_options(tmp_path):
    text = (
        "name: x\ntables:\n  products:\n    source: {files: p.csv}\n    fields: {sku: a}\n"
        "quality: {non_product_skus: [], non_product_categories: [FUEL]}\n"
    )
    assert load_mapping(write(tmp_path, text)).quality_options() == {
        "non_product_skus": (), "non_product_categories": ("FUEL",),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("derive", "message"),
    [
        ("{sum_of: [a], plus_days: 1}", "plus_days goes with from_week"),
        ("{concat: [a], divide_by: b}", "divide_by goes with sum_of"),
        ("{from_week: a}", "from_week and week_one"),
    ],
)
def test_invalid_new_derivations(tmp_path, derive, message):
    text = (
        "name: x\ntables:\n  products:\n    source: {files: p.csv}\n    fields: {sku: a}\n"
        f"    derive:\n      list_price: {derive}\n"
    )
    with pytest.raises(InputError, match=message):
        load_mapping(write(tmp_path, text))


def test_fractional_week_is_an_input_error(tmp_path):
    (tmp_path / "p.csv").write_text("id,week\nP1,1.5\n")
    path = write(
        tmp_path,
        """\
        name: weeks
        tables:
          promotions:
            source: {files: p.csv}
            fields: {promotion_id: id}
            derive:
              starts_on: {from_week: week, week_one: 2017-01-01}
        """,
    )
    with pytest.raises(InputError, match="not a whole week number"):
        apply_mapping(path, tmp_path)
