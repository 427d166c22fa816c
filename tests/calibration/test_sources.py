"""Reading raw tables: encodings, delimiters, parts, Excel, Parquet, SQLite, and every error."""

import hashlib
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from twin.calibration import sources
from twin.calibration.sources import read_file, read_files, read_sql, to_number_text
from twin.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures"


def test_short_gbk_file_asks_for_its_encoding_and_reads_when_given():
    # Two names: GB18030, EUC-KR and Shift-JIS read them all as CJK text, nothing tells them apart
    with pytest.raises(
        InputError,
        match=r"orders_gbk\.csv: cannot tell the text encoding.*"
        r"gb18030 reads '001,C01,张伟.*encoding: ",
    ):
        read_file(FIXTURES / "orders_gbk.csv")
    frame, prov = read_file(FIXTURES / "orders_gbk.csv", encoding="gb18030")
    assert prov.encoding == "gb18030" and prov.delimiter == ","
    assert (prov.encoding_method, prov.encoding_confidence) == ("given", 1.0)
    assert frame["customer_name"].tolist() == ["张伟", "王芳"]
    assert frame["order_id"].tolist() == ["001", "002"]  # leading zeros kept


def test_bom_is_dropped_and_reported():
    frame, prov = read_file(FIXTURES / "customers_bom.csv")
    assert prov.encoding == "utf-8-sig"
    assert list(frame.columns) == ["customer_id", "name", "city"]
    assert frame["name"].tolist() == ["Zoë Café", "Ana"]
    assert frame["customer_id"].tolist() == ["0042", "0043"]


def test_short_latin1_file_with_an_e_grave_is_asked_about_and_pipes_are_sniffed():
    # 'crème' reads as 'crčme' in cp1250, as plausible to a detector: the user must say
    with pytest.raises(InputError, match=r"cp1252 reads 'A\|Café, crème'; cp1250 reads"):
        read_file(FIXTURES / "latin1.csv")
    frame, prov = read_file(FIXTURES / "latin1.csv", encoding="latin-1")
    assert (prov.encoding, prov.delimiter, prov.encoding_method) == ("latin-1", "|", "given")
    assert frame["name"].tolist() == ["Café, crème", "Größe"]


def test_semicolon_file_with_decimal_comma():
    frame, prov = read_file(FIXTURES / "lines_semicolon.csv")
    assert (prov.encoding, prov.delimiter, prov.rows) == ("utf-8", ";", 3)
    price = to_number_text(frame["price"], decimal=",", thousands=".")
    assert pd.to_numeric(price).tolist() == [12.5, 1234.75, 0.99]


def test_provenance_has_hash_and_rows():
    path = FIXTURES / "shop" / "lines.part1of2.csv"
    _, prov = read_file(path)
    assert prov.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert prov.rows == 2 and prov.source == str(path)


def test_parts_are_concatenated_in_name_order():
    paths = sources.find_files(FIXTURES / "shop", "lines.part*.csv", name="order_lines")
    assert [p.name for p in paths] == ["lines.part1of2.csv", "lines.part2of2.csv"]
    raw = read_files(paths, name="order_lines")
    assert raw.rows == 4 and raw.frame.index.tolist() == [0, 1, 2, 3]
    assert raw.frame["OrderNo"].tolist() == ["SO-1", "SO-1", "SO-2", "SO-3"]
    assert [p.rows for p in raw.provenance] == [2, 2]


def test_latin1_that_gb18030_also_decodes_is_read_as_cp1252(tmp_path):
    (tmp_path / "t.csv").write_bytes("sku,name\nB,Größe\n".encode("latin-1"))
    frame, prov = read_file(tmp_path / "t.csv")
    assert prov.encoding == "cp1252" and frame["name"].tolist() == ["Größe"]
    frame, prov = read_file(tmp_path / "t.csv", encoding="latin-1")
    assert frame["name"].tolist() == ["Größe"] and prov.encoding == "latin-1"


def test_explicit_encoding_and_delimiter():
    frame, prov = read_file(FIXTURES / "latin1.csv", encoding="cp1252", delimiter="|")
    assert prov.encoding == "cp1252" and frame.shape == (2, 2)


def test_missing_values_are_empty_or_na(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('id,v\nNA,""\n,x\nN/A,NULL\n')
    frame, _ = read_file(path)
    assert frame.isna().to_numpy().tolist() == [[True, True], [True, False], [False, False]]


def test_quoted_newlines_and_crlf(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b'id,text\r\n1,"two\r\nlines"\r\n2,plain\r\n')
    frame, _ = read_file(path)
    assert frame["text"].tolist() == ["two\r\nlines", "plain"]


def test_excel_and_parquet(tmp_path):
    table = pd.DataFrame({"sku": ["007", "008"], "qty": [1, 2]})
    table.to_excel(tmp_path / "t.xlsx", index=False, sheet_name="lines")
    table.to_parquet(tmp_path / "t.parquet")
    excel, prov = read_file(tmp_path / "t.xlsx", sheet="lines")
    assert excel["sku"].tolist() == ["007", "008"] and prov.encoding is None
    parquet, _ = read_file(tmp_path / "t.parquet")
    assert parquet["qty"].tolist() == [1, 2]


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "erp.db"
    with sqlite3.connect(path) as db:
        db.execute("create table lines (order_id text, sku text, qty integer, price real)")
        db.executemany(
            "insert into lines values (?, ?, ?, ?)",
            [("SO-1", "A", 2, 12.5), ("SO-1", "B", 1, 9.99), ("SO-2", "A", 5, 12.5)],
        )
    return path


def test_sqlite_table_and_query(database):
    url = f"sqlite:///{database}"
    raw = read_sql(url, name="order_lines", table="lines")
    assert raw.rows == 3 and raw.frame["qty"].tolist() == [2, 1, 5]
    assert raw.provenance[0].source.endswith("table lines")
    raw = read_sql(
        url, name="order_lines", query="select sku, sum(qty) as n from lines group by sku"
    )
    assert raw.frame.set_index("sku")["n"].to_dict() == {"A": 7, "B": 1}


def test_database_url():
    assert sources.database_url("postgresql://u@h/erp") == "postgresql://u@h/erp"
    assert sources.database_url(Path("/x/erp.sqlite")) == "sqlite:////x/erp.sqlite"
    assert sources.database_url("/x/exports") is None


# --- errors ----------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"nope\.csv: file not found"):
        read_file(tmp_path / "nope.csv")


def test_empty_file(tmp_path):
    (tmp_path / "e.csv").write_text("\n  \n")
    with pytest.raises(InputError, match=r"e\.csv: the file is empty"):
        read_file(tmp_path / "e.csv")


def test_not_decodable_in_the_given_encoding():
    with pytest.raises(
        InputError,
        match=r"orders_gbk\.csv: cannot be decoded as utf-8, the encoding the mapping gives \(bad",
    ):
        read_file(FIXTURES / "orders_gbk.csv", encoding="utf-8")


def test_bom_but_not_utf8(tmp_path):
    (tmp_path / "b.csv").write_bytes(b"\xef\xbb\xbfa,b\n\xff,1\n")
    with pytest.raises(
        InputError, match=r"b\.csv: starts with a UTF-8 BOM \(byte-order mark\) but is not valid"
    ):
        read_file(tmp_path / "b.csv")


def test_unknown_encoding():
    with pytest.raises(InputError, match=r"latin1\.csv: unknown encoding 'klingon'"):
        read_file(FIXTURES / "latin1.csv", encoding="klingon")


def test_unreadable_csv(tmp_path):
    (tmp_path / "r.csv").write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(InputError, match=r"r\.csv: not a readable CSV file \(.*Expected 2 fields"):
        read_file(tmp_path / "r.csv")


def test_header_with_a_blank_name(tmp_path):
    (tmp_path / "h.csv").write_text("a,,c\n1,2,3\n")
    with pytest.raises(InputError, match=r"h\.csv: column 2 of the header line has no name"):
        read_file(tmp_path / "h.csv")


def test_unknown_suffix(tmp_path):
    (tmp_path / "t.json").write_text("{}")
    with pytest.raises(InputError, match=r"t\.json: unknown file type '\.json'"):
        read_file(tmp_path / "t.json")


@pytest.mark.parametrize(("name", "kind"), [("bad.xlsx", "Excel"), ("bad.parquet", "Parquet")])
def test_damaged_binary_files(tmp_path, name, kind):
    (tmp_path / name).write_bytes(b"this is not a spreadsheet")
    with pytest.raises(InputError, match=rf"bad\.\w+: not a readable {kind} file"):
        read_file(tmp_path / name)


def test_parts_must_share_a_header(tmp_path):
    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "b.csv").write_text("x,z\n1,2\n")
    paths = sources.find_files(tmp_path, "*.csv", name="products")
    with pytest.raises(InputError, match=r"table products: .*b\.csv has the columns x, z, but"):
        read_files(paths, name="products")


def test_no_file_matches(tmp_path):
    with pytest.raises(InputError, match=r"table orders: no file in .* matches 'orders\*\.csv'"):
        sources.find_files(tmp_path, "orders*.csv", name="orders")


def test_source_folder_missing(tmp_path):
    with pytest.raises(InputError, match=r"table orders: source folder not found"):
        sources.find_files(tmp_path / "gone", "*.csv", name="orders")


def test_missing_table(database):
    with pytest.raises(
        InputError, match=r"table orders: the database .* has no table 'orders' \(tables: lines\)"
    ):
        read_sql(f"sqlite:///{database}", name="orders", table="orders")


def test_missing_database_file(tmp_path):
    with pytest.raises(InputError, match=r"table orders: database file not found: .*gone\.db"):
        read_sql(f"sqlite:///{tmp_path / 'gone.db'}", name="orders", table="orders")
    assert not (tmp_path / "gone.db").exists()


def test_bad_query(database):
    with pytest.raises(InputError, match=r"table orders: cannot read .* query \(.*no such table"):
        read_sql(f"sqlite:///{database}", name="orders", query="select * from missing_table")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", r"table orders: not a database URL: 'not a url'"),
        ("nosuchdb://host/x", r"table orders: no driver for nosuchdb://host/x"),
    ],
)
def test_bad_urls(url, message):
    with pytest.raises(InputError, match=message):
        read_sql(url, name="orders", table="orders")


def test_cannot_connect(tmp_path):
    (tmp_path / "junk.db").write_bytes(b"not a database at all, just bytes" * 100)
    with pytest.raises(InputError, match=r"table orders: cannot read .*junk\.db table t \(.*not a"):
        read_sql(f"sqlite:///{tmp_path / 'junk.db'}", name="orders", table="t")


def test_table_or_query_not_both(database):
    with pytest.raises(InputError, match=r"give exactly one of a database table or a query"):
        read_sql(f"sqlite:///{database}", name="orders", table="lines", query="select 1")
