"""Reports built from a synthetic run folder: files written, PDF reproducible, errors precise."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from twin.formatting import format_interval, format_value
from twin.kpis import kpi_units
from twin.reports.charts import t_band
from twin.reports.document import write_report
from twin.reports.figures import lead_time_figure, write_figures
from twin.reports.summary_figures import utilisation_figure
from twin.reports.terminal import diff_table, print_summary, summary_table

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# "/Type /Page" also prefixes "/Type /Pages" (the page tree); the lookahead leaves that out.
PAGE_PATTERN = re.compile(rb"/Type\s*/Page(?!s)")

#: The units the KPIs are reported in, as a run writes them to summary.csv.
UNITS = kpi_units([])


def _kpis(rng: np.random.Generator, replications: int, roles: list[str]) -> pd.DataFrame:
    rows = []
    for replication in range(replications):
        revenue = 1_250_000 * (1 + 0.03 * rng.standard_normal())
        costs = {
            "cogs": 0.6 * revenue,
            "holding_cost": 21_000 + 900 * rng.standard_normal(),
            "ordering_cost": 8_400 + 300 * rng.standard_normal(),
            "staff_cost": 150_000.0 if roles else 0.0,
            "freight_cost": 32_000 + 1_000 * rng.standard_normal(),
            "backorder_cost": 5_100 + 800 * rng.standard_normal(),
            "bad_debt": 2_300 + 400 * rng.standard_normal(),
        }
        row = {"replication": replication, "seed": 42, "orders": 3000.0 + rng.integers(0, 50)}
        row |= {"order_lines": 2.4 * row["orders"], "revenue": revenue, **costs}
        row |= {"gross_profit": revenue - costs["cogs"], "profit": revenue - sum(costs.values())}
        row |= {"fill_rate": 0.95 + 0.01 * rng.random(), "otif_rate": 0.9 + 0.02 * rng.random()}
        row |= {"lead_time_mean_days": 3.1, "lead_time_p50_days": 2.5, "lead_time_p95_days": 7.9}
        row |= {"backorder_units_mean": 41.0, "inventory_units_mean": 2100.0}
        row |= {"inventory_value_mean": 84_000.0, "stockout_sku_days": 12.0, "dso_days": 34.5}
        row |= {
            f"utilisation_{role}": 0.6 + 0.1 * i + 0.02 * rng.random()
            for i, role in enumerate(roles)
        }
        rows.append(row)
    return pd.DataFrame(rows)


def _summary(kpis: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for kpi in kpis.columns.drop(["replication", "seed"]):
        values = kpis[kpi].to_numpy(dtype=float)
        mean, n = values.mean(), len(values)
        std = values.std(ddof=1) if n > 1 else math.nan
        half = 2.0 * std / math.sqrt(n)  # a stand-in for the t quantile is enough here
        unit = UNITS.get(kpi, "ratio")  # utilisation_<role> is a ratio
        rows.append((kpi, mean, std, mean - half, mean + half, unit))
    return pd.DataFrame(rows, columns=["kpi", "mean", "std", "ci_low", "ci_high", "unit"])


def make_run_folder(
    run_dir: Path,
    replications: int = 3,
    days: int = 60,
    roles: tuple[str, ...] = ("order_desk", "warehouse"),
) -> Path:
    """Write the five result files of a small run into `run_dir` and return it."""
    rng = np.random.default_rng(7)
    run_dir.mkdir(parents=True, exist_ok=True)
    kpis = _kpis(rng, replications, list(roles))
    kpis.to_csv(run_dir / "kpis.csv", index=False)
    _summary(kpis).to_csv(run_dir / "summary.csv", index=False)

    start = pd.Timestamp("2025-01-06")
    daily_rows, lead_rows = [], []
    quantiles = np.round(np.linspace(0.0, 1.0, 101), 2)
    for replication in range(replications):
        for day in range(days):
            row = {
                "replication": replication,
                "seed": 42,
                "day": day,
                "date": (start + pd.Timedelta(days=day)).date().isoformat(),
                "on_hand_units": 2000 + 300 * math.sin(day / 7) + 50 * rng.standard_normal(),
                "inventory_value": 80_000 + 5_000 * rng.standard_normal(),
                "backlog_units": max(0.0, 40 + 30 * math.cos(day / 9) + 10 * rng.standard_normal()),
                "receivables": 120_000 * (1 - math.exp(-day / 10)) + 4_000 * rng.standard_normal(),
                "open_orders": 80 + 5 * rng.standard_normal(),
            }
            for role in roles:
                row[f"queue_{role}"] = abs(rng.standard_normal())
                row[f"busy_{role}"] = 2 + rng.random()
            daily_rows.append(row)
        scale = 3.0 * (1 + 0.05 * rng.standard_normal())
        for q in quantiles:
            lead_rows.append((replication, q, 0.5 - scale * math.log1p(-min(q, 0.999))))
    pd.DataFrame(daily_rows).to_csv(run_dir / "daily.csv", index=False)
    pd.DataFrame(lead_rows, columns=["replication", "quantile", "lead_time_days"]).to_csv(
        run_dir / "lead_times.csv", index=False
    )
    manifest = {
        "scenario": "baseline",
        "description": "Base-stock policy at the central warehouse with two order desks.",
        "twin_version": "0.1.0",
        "seed": 42,
        "replications": replications,
        "horizon_days": float(days),
        "warmup_days": 14.0,
        "start_date": start.date().isoformat(),
        "wall_s": 12.5,
        "packages": {"simpy": "4.1.1", "numpy": "2.4.6"},
        "created_utc": "2025-03-01T09:30:00Z",
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return run_dir


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-replication run folder with two staff roles, its report written once."""
    run_dir = make_run_folder(tmp_path_factory.mktemp("run") / "baseline")
    write_report(run_dir)
    return run_dir


@pytest.fixture(scope="module")
def solo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1-replication run folder without staff, its report written once."""
    run_dir = make_run_folder(tmp_path_factory.mktemp("run") / "solo", replications=1, roles=())
    write_report(run_dir)
    return run_dir


def _is_png(path: Path) -> bool:
    return path.read_bytes()[:8] == PNG_SIGNATURE


def test_report_pdf_has_title_table_and_chart_pages(report: Path) -> None:
    data = (report / "report.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    # 1 title/table page, at least 0 continuation pages, then 5 charts.
    assert len(PAGE_PATTERN.findall(data)) >= 6


@pytest.mark.parametrize(
    "name",
    ["inventory_backlog.png", "lead_time.png", "profit.png", "utilisation.png", "receivables.png"],
)
def test_report_writes_each_png(report: Path, name: str) -> None:
    path = report / name
    assert _is_png(path)
    assert path.stat().st_size > 10_000


def test_report_is_byte_identical_when_repeated(solo_report: Path) -> None:
    # The smaller run folder keeps this second rendering quick; determinism does not depend on size.
    first = (solo_report / "report.pdf").read_bytes()
    write_report(solo_report)
    assert (solo_report / "report.pdf").read_bytes() == first


def test_report_sets_title_and_fixed_creation_date(report: Path) -> None:
    data = (report / "report.pdf").read_bytes()
    assert b"(twin report: baseline)" in data
    assert b"(D:20250301093000Z)" in data


def test_one_replication_without_staff(solo_report: Path) -> None:
    pngs = sorted(path.name for path in solo_report.glob("*.png"))
    assert pngs == ["inventory_backlog.png", "lead_time.png", "profit.png", "receivables.png"]
    assert all(_is_png(solo_report / name) for name in pngs)
    # Title and table, then four charts.
    assert len(PAGE_PATTERN.findall((solo_report / "report.pdf").read_bytes())) >= 5


def test_t_band_collapses_with_one_replication() -> None:
    frame = pd.DataFrame({"day": [0, 1], "replication": [0, 0], "x": [1.0, 2.0]})
    band = t_band(frame, "day", "x")
    assert band["low"].tolist() == band["high"].tolist() == [1.0, 2.0]


def test_t_band_matches_student_t_interval() -> None:
    frame = pd.DataFrame({"day": [0, 0, 0], "x": [1.0, 2.0, 3.0]})
    band = t_band(frame, "day", "x")
    # t_{0.975, 2} = 4.302653, s = 1, n = 3.
    assert band.loc[0, "high"] - 2.0 == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)


def test_utilisation_figure_is_none_without_roles(tmp_path: Path) -> None:
    summary = pd.DataFrame(
        {
            "kpi": ["profit"],
            "mean": [1.0],
            "std": [0.1],
            "ci_low": [0.9],
            "ci_high": [1.1],
            "unit": ["currency"],
        }
    )
    assert utilisation_figure(summary) is None


def test_lead_time_figure_without_completed_orders() -> None:
    lead_times = pd.DataFrame(
        {"replication": [0, 0], "quantile": [0.0, 1.0], "lead_time_days": [np.nan] * 2}
    )
    assert lead_time_figure(lead_times).axes


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1234567.8, "currency", "1,234,568"),
        (-4321.4, "currency", "-4,321"),
        (-0.3, "currency", "0"),
        (0.95312, "ratio", "0.953"),
        (1.0, "ratio", "1.000"),
        (4.256, "days", "4.26"),
        (12345.67, "orders", "12,345.7"),
        (12.0, "sku-days", "12.0"),
        (3.14159, "Ratio ", "3.142"),
        (1234.5678, "widgets", "1,234.57"),
        (1234.5678, float("nan"), "1,234.57"),
        (np.float64(2.5), "units", "2.5"),
        (7, "orders", "7.0"),
        (float("nan"), "currency", "n/a"),
        (None, "days", "n/a"),
        (float("inf"), "days", "∞"),
    ],
)
def test_format_value(value: object, unit: object, expected: str) -> None:
    assert format_value(value, unit) == expected


def test_format_interval() -> None:
    assert format_interval(1000.0, 2500.4, "currency") == "1,000 – 2,500"
    assert format_interval(float("nan"), float("nan"), "currency") == "n/a"


@pytest.mark.parametrize("name", ["manifest.json", "summary.csv", "daily.csv", "lead_times.csv"])
def test_missing_file_is_named(tmp_path: Path, name: str) -> None:
    run_dir = make_run_folder(tmp_path / "run", days=20)
    (run_dir / name).unlink()
    with pytest.raises(ValueError, match=rf"{re.escape(name)}: result file is missing"):
        write_report(run_dir)
    assert not (run_dir / "report.pdf").exists()


def test_missing_column_is_named(tmp_path: Path) -> None:
    run_dir = make_run_folder(tmp_path / "run", days=20)
    daily = pd.read_csv(run_dir / "daily.csv").drop(columns="backlog_units")
    daily.to_csv(run_dir / "daily.csv", index=False)
    with pytest.raises(ValueError, match=r"daily\.csv: missing column\(s\) backlog_units"):
        write_report(run_dir)


def test_missing_manifest_key_is_named(tmp_path: Path) -> None:
    run_dir = make_run_folder(tmp_path / "run", days=20)
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    del manifest["created_utc"]
    (run_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ValueError, match=r"manifest\.json: missing key\(s\) created_utc"):
        write_report(run_dir)


def test_missing_profit_kpi_is_named(tmp_path: Path) -> None:
    run_dir = make_run_folder(tmp_path / "run", days=20)
    summary = pd.read_csv(run_dir / "summary.csv")
    summary[summary["kpi"] != "freight_cost"].to_csv(run_dir / "summary.csv", index=False)
    with pytest.raises(ValueError, match=r"summary\.csv: .*missing KPI\(s\) .*freight_cost"):
        write_figures(run_dir)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("manifest.json", "{not json", r"manifest\.json: is not valid JSON"),
        ("summary.csv", "", r"summary\.csv: cannot be read as CSV"),
        (
            "daily.csv",
            "replication,day,date,on_hand_units,backlog_units,receivables\n",
            r"daily\.csv: has no rows",
        ),
        (
            "lead_times.csv",
            "replication,quantile,lead_time_days\n0,0.5,soon\n",
            r"lead_times\.csv: column lead_time_days is not numeric",
        ),
    ],
)
def test_malformed_file_is_named(tmp_path: Path, name: str, content: str, message: str) -> None:
    run_dir = make_run_folder(tmp_path / "run", days=20)
    (run_dir / name).write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        write_report(run_dir)


def test_summary_table_has_one_row_per_kpi(report: Path) -> None:
    summary = pd.read_csv(report / "summary.csv")
    table = summary_table(summary, "baseline")
    assert table.row_count == len(summary)
    assert [column.header for column in table.columns] == [
        "KPI",
        "Mean",
        "95 % CI",
        "Unit",
        "Identifier",
    ]


def test_summary_table_rejects_missing_column() -> None:
    with pytest.raises(ValueError, match="missing column"):
        summary_table(pd.DataFrame({"kpi": ["profit"], "mean": [1.0]}), "x")


def test_print_summary_uses_shared_formatting(report: Path) -> None:
    summary = pd.read_csv(report / "summary.csv")
    console = Console(record=True, width=120)
    print_summary(summary, "baseline", console=console)
    text = console.export_text()
    revenue = summary.set_index("kpi").loc["revenue", "mean"]
    assert format_value(revenue, "currency") in text
    assert "fill_rate" in text


def test_off_a_terminal_no_number_is_cut(capsys) -> None:
    """Printed to a pipe or a CI log (pytest captures stdout: not a terminal), every cell is
    whole, however wide the table; rich would otherwise take 80 columns and cut with '…'."""
    summary = pd.DataFrame(
        {
            "kpi": ["revenue", "an_unusually_long_kpi_name_of_a_custom_lever_for_width"],
            "mean": [1_792_712_345.0, 3.0],
            "ci_low": [1_701_091_970.0, 2.0],
            "ci_high": [1_884_332_720.0, 4.0],
            "unit": ["currency", "currency per order line"],
        }
    )
    print_summary(summary, "wide")
    out = capsys.readouterr().out
    assert "…" not in out
    for value, unit in ((1_792_712_345.0, "currency"), (1_884_332_720.0, "currency")):
        assert format_value(value, unit) in out
    assert "currency per order line" in out


def test_a_significant_difference_is_marked_without_relying_on_bold() -> None:
    rows = []
    for kpi in ("profit", "fill_rate"):
        unit = "currency" if kpi == "profit" else "ratio"
        rows.append((kpi, "base", 100.0, np.nan, np.nan, np.nan, "False", unit))
    rows.append(("profit", "more-stock", 90.0, -10.0, -15.0, -5.0, "True", "currency"))
    rows.append(("fill_rate", "more-stock", 0.96, 0.01, -0.01, 0.03, "False", "ratio"))
    comparison = pd.DataFrame(
        rows,
        columns=["kpi", "variant", "mean", "diff", "diff_ci_low", "diff_ci_high", "significant",
                 "unit"],
    )  # fmt: skip
    console = Console(record=True, width=200, no_color=True)
    console.print(diff_table(comparison, "base", 0.95))
    text = console.export_text()
    assert "*: the interval excludes 0" in " ".join(text.split())  # the title wraps
    profit = next(line for line in text.splitlines() if "profit" in line)
    fill = next(line for line in text.splitlines() if "fill_rate" in line)
    assert "(±5) *" in profit
    assert "*" not in fill
