"""The Excel workbooks: the writer's formats read back with openpyxl and pandas, and the run
folder's workbook from a real (short) ``twin run``."""

from __future__ import annotations

import errno
import math
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from small_run_folder import small_run_fixture  # noqa: F401  (the fixture small_run)

from twin.cli import cli
from twin.commands.planner_files import kpi_words
from twin.reports import workbook
from twin.reports.workbook import Sheet, header_text, sheet_names, write_workbook
from twin.reports.workbook_folder import folder_sheets, write_folder_workbook

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "cli" / "fixtures" / "small.yaml"


def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "replication": [0, 1, 2],
            "date": pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-07"]),
            "profit": [1234567.891, -20.5, 0.1 + 0.2],
            "fill_rate": [0.953125, 1.0, np.nan],
            "lead_time_days": [2.25, math.inf, 0.0],
            "segment": ["retail", "trade", "a much longer segment name"],
        }
    )


def test_a_sheet_names_units_freezes_its_header_and_formats_numbers_by_unit(
    tmp_path: Path,
) -> None:
    units = {"profit": "currency", "fill_rate": "ratio", "lead_time_days": "days"}
    path = write_workbook(tmp_path / "t.xlsx", [Sheet("KPIs", table(), units)])
    sheet = openpyxl.load_workbook(path)["KPIs"]
    assert [c.value for c in sheet[1]] == [
        "replication",
        "date",
        "profit (currency)",
        "fill_rate (%)",
        "lead_time_days (days)",
        "segment",
    ]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F4"
    assert all(c.font.bold for c in sheet[1])
    formats = [c.number_format for c in sheet[2]]
    assert formats[:5] == ["0", "yyyy-mm-dd", "#,##0;[Red]-#,##0", "0.0%", "#,##0.00"]
    # the numbers kept (to openpyxl's 16 significant digits): a format only changes the look
    assert sheet["C2"].value == 1234567.891
    assert sheet["C4"].value == pytest.approx(0.1 + 0.2, rel=1e-15)
    assert sheet["D4"].value is None  # NaN: an empty cell
    assert sheet["E3"].value == "∞"
    # widths fit the longest content, and a short-number column stays narrow
    assert sheet.column_dimensions["F"].width >= len("a much longer segment name")
    assert sheet.column_dimensions["A"].width < 20


def test_read_back_by_pandas_the_workbook_holds_the_tables_values(tmp_path: Path) -> None:
    frame = table().drop(columns="lead_time_days")  # inf is written as text, checked above
    path = write_workbook(tmp_path / "t.xlsx", [Sheet("T", frame)])
    back = pd.read_excel(path, sheet_name="T")
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)


def test_a_long_table_formats_each_row_by_its_own_unit(tmp_path: Path) -> None:
    summary = pd.DataFrame(
        {
            "kpi": ["profit", "fill_rate", "lead_time_p95_days"],
            "mean": [1000.0, 0.9, 4.5],
            "unit": ["currency", "ratio", "days"],
        }
    )
    sheet = Sheet("Summary", summary, row_unit="unit", per_row=("mean",))
    cells = openpyxl.load_workbook(write_workbook(tmp_path / "s.xlsx", [sheet]))["Summary"]
    assert [cells[f"B{row}"].number_format for row in (2, 3, 4)] == [
        "#,##0;[Red]-#,##0",
        "0.0%",
        "#,##0.00",
    ]
    assert cells["B1"].value == "mean"  # its unit is in the unit column, row by row


def test_a_heading_shows_the_label_with_the_unit_above_the_identifier() -> None:
    assert header_text("revenue", "currency", "Revenue") == "Revenue (currency)\nrevenue"
    assert header_text("day", "integer") == "day"
    assert header_text("quantile", "share") == "quantile (%)"
    assert header_text("revenue", "currency", "Revenue", "EUR") == "Revenue (EUR)\nrevenue"


def test_a_table_longer_than_a_sheet_continues_on_further_sheets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbook, "MAX_ROWS", 3)
    frame = pd.DataFrame({"x": range(7)})
    book = openpyxl.load_workbook(write_workbook(tmp_path / "l.xlsx", [Sheet("Daily", frame)]))
    assert book.sheetnames == ["Daily", "Daily (2)", "Daily (3)"]
    values = [c.value for name in book.sheetnames for (c,) in book[name].iter_rows(min_row=2)]
    assert values == list(range(7))  # every row, once, in order
    assert all(book[name]["A1"].value == "x" for name in book.sheetnames)


def test_sheet_names_are_valid_and_distinct() -> None:
    names = sheet_names(["a/b:c", "x" * 40, "x" * 40, "Summary", "summary"])
    assert names[0] == "a-b-c"
    assert names[1] == "x" * 31 and names[2] == "x" * 27 + " (2)"
    assert names[3:] == ["Summary", "summary (2)"]  # Excel compares names without case
    assert all(len(n) <= 31 for n in names)


# --- a run folder's workbook -----------------------------------------------------------------


def test_the_run_workbook_holds_every_row_of_every_table_with_labels(small_run: Path) -> None:
    path = small_run / "run.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "Summary",
        "KPIs per replication",
        "Daily levels",
        "Lead times",
        "Warm-up",
        "About",
    ]
    for sheet, file in [
        ("Summary", "summary.csv"),
        ("KPIs per replication", "kpis.csv"),
        ("Daily levels", "daily.csv"),
        ("Lead times", "lead_times.csv"),
        ("Warm-up", "warmup.csv"),
    ]:
        csv = pd.read_csv(small_run / file)
        assert book[sheet].max_row == len(csv) + 1, sheet  # no row dropped
    summary = pd.read_excel(path, sheet_name="Summary")
    assert list(summary.columns[:2]) == ["kpi", "label"]
    assert summary.set_index("kpi").loc["revenue", "label"] == "Revenue"
    assert summary["definition"].str.len().gt(10).all()
    daily_csv = pd.read_csv(small_run / "daily.csv")
    daily = pd.read_excel(path, sheet_name="Daily levels")
    assert np.array_equal(daily.iloc[:, 4].to_numpy(), daily_csv["on_hand_units"].to_numpy())
    kpis = book["KPIs per replication"]
    headers = {c.value.split("\n")[-1]: c for c in kpis[1]}
    assert headers["revenue"].value == "Revenue (currency)\nrevenue"
    assert kpis.cell(2, headers["fill_rate"].column).number_format == "0.0%"
    assert book["Daily levels"]["G1"].value == "inventory_value (currency)"
    date = book["Daily levels"]["D2"]  # an ISO date column becomes dates
    assert date.number_format == "yyyy-mm-dd" and date.value.isoformat() == "2026-01-05T00:00:00"


def test_a_folder_without_words_still_gets_its_workbook(small_run: Path) -> None:
    sheets = {sheet.name: sheet for sheet in folder_sheets(small_run)}
    assert "label" not in sheets["Summary"].table.columns
    assert sheets["KPIs per replication"].units["profit"] == "currency"
    with_words = {s.name: s for s in folder_sheets(small_run, words=kpi_words())}
    assert with_words["KPIs per replication"].headings["otif_rate"] == "Orders on time in full"


def test_a_workbook_that_cannot_be_written_leaves_no_run_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(path: Path, sheets: object) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr("twin.reports.workbook_folder.write_workbook", full_disk)
    out = tmp_path / "run"
    args = ["run", str(SMALL), "--out", str(out), "--replications", "1", "--set"]
    args += ["run.horizon_days=10", "--no-report", "--quiet", "--workers", "1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "run.xlsx" in result.output and "cannot write" in result.output
    assert not out.exists()  # the folder appears complete or not at all


# --- the other folders' workbooks, from their files ------------------------------------------


def write_csv(folder: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(folder / name, index=False)


def test_a_check_folder_states_units_for_the_kpis_it_checks_and_takes_the_rest(
    tmp_path: Path,
) -> None:
    write_csv(
        tmp_path,
        "checks.csv",
        pd.DataFrame(
            {"name": ["profit > 0"], "kpi": ["profit"], "target": [0.0], "value": [-5.0],
             "p_meet": [0.25], "unit": ["currency"]}
        ),
    )  # fmt: skip
    write_csv(
        tmp_path,
        "kpis.csv",
        pd.DataFrame({"variant": ["a"], "replication": [0], "profit": [-5.0], "orders": [9.0]}),
    )
    sheets = {s.name: s for s in folder_sheets(tmp_path, {"orders": "orders"}, kpi_words())}
    assert list(sheets) == ["Checks", "KPIs per replication"]  # no manifest, no About
    checks = sheets["Checks"]
    assert checks.row_unit == "unit" and "value" in checks.per_row
    assert checks.units["p_meet"] == "share"
    assert sheets["KPIs per replication"].units == {
        "replication": "integer",
        "profit": "currency",  # told by checks.csv
        "orders": "orders",  # told by the command
    }


def test_a_comparisons_ranking_is_in_the_unit_of_the_kpi_it_ranks(tmp_path: Path) -> None:
    write_csv(
        tmp_path,
        "comparison.csv",
        pd.DataFrame({"variant": ["a", "b"], "kpi": ["fill_rate"] * 2, "unit": ["ratio"] * 2,
                      "mean": [0.9, 0.95], "diff": [0.0, 0.05]}),
    )  # fmt: skip
    write_csv(tmp_path, "ranking.csv", pd.DataFrame({"rank": [1, 2], "mean": [0.95, 0.9]}))
    (tmp_path / "manifest.json").write_text('{"best": {"kpi": "fill_rate"}, "seed": 1}')
    sheets = {s.name: s for s in folder_sheets(tmp_path)}
    assert list(sheets) == ["Comparison", "Ranking", "About"]
    assert sheets["Ranking"].units == {"rank": "integer", "mean": "ratio"}
    assert "mean" not in sheets["Comparison"].units  # formatted row by row instead
    about = sheets["About"].table
    assert dict(zip(about["key"], about["value"], strict=True)) == {
        "best": '{"kpi": "fill_rate"}',
        "seed": 1,
    }


def test_a_model_folder_gets_its_fit_report_and_quality_counts(tmp_path: Path) -> None:
    for name in ("fit_report.csv", "quality.csv"):
        shutil.copy(REPO / "calibration" / "models" / "sample" / name, tmp_path / name)
    path = write_folder_workbook(tmp_path, "calibration.xlsx", words=kpi_words())
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Fit report", "Data quality"]
    for sheet, name in (("Fit report", "fit_report.csv"), ("Data quality", "quality.csv")):
        assert book[sheet].max_row == len(pd.read_csv(tmp_path / name)) + 1
