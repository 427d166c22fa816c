"""`twin calibrate` end to end: a source and a mapping in, a model folder out."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from twin.cli import cli
from twin.model.network import run_replication
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[2]
OLIST = ROOT.parent / "shared" / "data" / "olist"
SHOP = Path(__file__).parent / "fixtures" / "shop"


@pytest.fixture(scope="module")
def olist_model(tmp_path_factory) -> Path:
    if not OLIST.is_dir():
        pytest.skip("the shared olist data set is not here")
    out = tmp_path_factory.mktemp("calibrated") / "olist"
    result = CliRunner().invoke(
        cli,
        [
            "calibrate",
            str(OLIST),
            "--mapping",
            str(ROOT / "calibration/mappings/olist.yaml"),
            "--out",
            str(out),
            "--as-of",
            "2019-01-01",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_calibrate_writes_a_model_folder(olist_model):
    for name in ("model.yaml", "fit_report.csv", "provenance.json", "quality.csv", "quality.png"):
        assert (olist_model / name).is_file(), name
    provenance = json.loads((olist_model / "provenance.json").read_text())
    assert provenance["rows_read"]["order_lines"] == 17_071
    # file paths are relative to the source folder: nothing of this machine in the model
    sources = [e["source"] for entries in provenance["files"].values() for e in entries]
    assert sources and not any(Path(s).is_absolute() for s in sources)


def test_every_mapped_row_is_used_or_quarantined(olist_model):
    quality = pd.read_csv(olist_model / "quality.csv")
    provenance = json.loads((olist_model / "provenance.json").read_text())
    per_table = quality.groupby("table")["rows"].sum()
    for table, rows in provenance["rows_written"].items():
        assert per_table[table] == rows, table


def test_the_calibrated_model_is_a_scenario_base_that_runs(olist_model, tmp_path):
    variant = tmp_path / "variant.yaml"
    variant.write_text(
        f"extends: {olist_model / 'model.yaml'}\nname: olist-variant\n"
        "run: {horizon_days: 20, replications: 1}\n",
        encoding="utf-8",
    )
    scenario = load(Scenario, variant)
    result = run_replication(scenario, 0)
    assert len(result.tables["orders"]) > 100  # olist sells ~40 orders a day


def test_strict_fails_with_exit_2_when_rows_are_quarantined(tmp_path):
    source = tmp_path / "shop"
    shutil.copytree(SHOP, source)
    lines = source / "lines.part1of2.csv"
    lines.write_text(lines.read_text() + "SO-1,B,1,999\n", encoding="utf-8")  # a duplicate row
    result = CliRunner().invoke(
        cli,
        [
            "calibrate",
            str(source),
            "--mapping",
            str(source / "shop.yaml"),
            "--out",
            str(tmp_path / "model"),
            "--strict",
            "--as-of",
            "2025-01-01",
        ],
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert re.search(r"--strict: \d+ rows of .*shop were quarantined", result.output)
    assert (tmp_path / "model" / "quality.csv").is_file()


def test_a_tiny_history_calibrates_with_defaults_and_a_report(tmp_path):
    # three orders: every fit falls back to its stated default or the values themselves
    out = tmp_path / "model"
    result = CliRunner().invoke(
        cli,
        [
            "calibrate",
            str(SHOP),
            "--mapping",
            str(SHOP / "shop.yaml"),
            "--out",
            str(out),
            "--as-of",
            "2025-01-01",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "calibration.pdf").read_bytes().startswith(b"%PDF")
    report = pd.read_csv(out / "fit_report.csv")
    assert report["defaulted"].any()
    load(Scenario, out / "model.yaml")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "calibrate",
                "{tmp}/nowhere",
                "--mapping",
                str(SHOP / "shop.yaml"),
                "--out",
                "{tmp}/m",
            ],
            r"source folder not found: .*nowhere",
        ),
        (
            ["calibrate", str(SHOP), "--mapping", "{tmp}/none.yaml", "--out", "{tmp}/m"],
            r"none\.yaml: file not found",
        ),
        (
            [
                "validate",
                "{tmp}/empty",
                "--source",
                str(SHOP),
                "--mapping",
                str(SHOP / "shop.yaml"),
            ],
            r"empty: no model\.yaml",
        ),
        (
            [
                "calibrate",
                str(SHOP),
                "--mapping",
                str(SHOP / "shop.yaml"),
                "--out",
                "{tmp}/m",
                "--as-of",
                "yesterday",
            ],
            r"Invalid value for '--as-of'",
        ),
    ],
    ids=["missing source", "missing mapping", "no model folder", "bad date option"],
)
def test_bad_calibration_input_exits_2_with_a_message(tmp_path, args, message):
    (tmp_path / "empty").mkdir()
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert re.search(message, result.output), result.output


def _shop_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "shop"
    shutil.copytree(SHOP, folder)
    return folder


def _calibrate(*args: str):
    return CliRunner().invoke(cli, ["calibrate", *args])


def _assert_input_error(result, *patterns: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for pattern in patterns:
        assert re.search(pattern, result.output), (pattern, result.output)


def test_a_mapping_naming_a_missing_column_exits_2_naming_file_and_column(tmp_path):
    shop = _shop_copy(tmp_path)
    mapping = shop / "shop.yaml"
    mapping.write_text(mapping.read_text().replace("status: State", "status: OrderState"))
    result = _calibrate(str(shop), "--mapping", str(mapping), "--out", str(tmp_path / "m"))
    _assert_input_error(result, r"OrderState", r"orders\.csv", r"shop\.yaml")


def test_a_file_in_the_wrong_encoding_exits_2_naming_the_file_and_encoding(tmp_path):
    shop = _shop_copy(tmp_path)
    # the orders file in GBK while the mapping says UTF-8 (undeclared, it would be detected)
    orders = shop / "orders.csv"
    orders.write_bytes(orders.read_text(encoding="utf-8").replace("0007", "张伟0007").encode("gbk"))
    mapping = shop / "shop.yaml"
    mapping.write_text(
        mapping.read_text().replace("{files: orders.csv}", "{files: orders.csv, encoding: utf-8}")
    )
    result = _calibrate(
        str(shop), "--mapping", str(shop / "shop.yaml"), "--out", str(tmp_path / "m")
    )
    _assert_input_error(result, r"orders\.csv", r"(?i)utf-8|encoding")


def test_a_database_that_cannot_be_opened_exits_2_naming_the_url(tmp_path):
    mapping = tmp_path / "db.yaml"
    mapping.write_text(
        "name: db\n"
        "tables:\n"
        "  orders:\n"
        "    source: {table: orders}\n"
        "    fields: {order_id: id, customer_id: cust, ordered_at: placed, promised_at: promised,"
        " shipped_at: shipped, status: state}\n"
        "  order_lines:\n"
        "    source: {table: lines}\n"
        "    fields: {order_id: id, line_no: n, sku: sku, quantity: qty, unit_price: price,"
        " status: state}\n",
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path}/missing/erp.sqlite"
    result = _calibrate(url, "--mapping", str(mapping), "--out", str(tmp_path / "m"))
    _assert_input_error(result, r"erp\.sqlite")
