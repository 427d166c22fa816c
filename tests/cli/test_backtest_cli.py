"""`twin backtest` from the command line: bad options exit 2 naming the option; a whole run on a
trimmed sample writes its files with their columns and exits 1 exactly when a check fails."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from twin.calibration.backtest import BACKTEST_COLUMNS, SUMMARY_COLUMNS
from twin.calibration.backtest_checks import CHECK_COLUMNS
from twin.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "calibration" / "sample"
MAPPING = ROOT / "calibration" / "mappings" / "sample.yaml"


def _backtest(*args: str):
    return CliRunner().invoke(cli, ["backtest", *args], catch_exceptions=False)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--horizon-weeks", "0"], "'--horizon-weeks'"),
        (["--replications", "1"], "'--replications'"),
        (["--n-origins", "0"], "'--n-origins'"),
        (["--seed", "-1"], "'--seed'"),
        (["--origins", "2025-09-01,Sept"], "--origins 2025-09-01,Sept"),
        (["--origins", "2025-09-01", "--n-origins", "2"], "--origins and --n-origins"),
        (["--tolerance", "orders.bias=big"], "--tolerance orders.bias=big"),
    ],
)
def test_bad_options_exit_2_naming_the_option(tmp_path, options, named):
    result = _backtest(str(SAMPLE), "--mapping", str(MAPPING), "--out", str(tmp_path), *options)
    assert result.exit_code == 2, result.output
    assert named in result.output
    assert "Traceback" not in result.output


def _trimmed_sample(folder: Path, fraction: float = 0.05) -> Path:
    """The sample history with a random 5 % of its orders (seed 7), and their lines, invoices and
    payments: the same company at a twentieth of the volume, fast to calibrate."""
    folder.mkdir()
    for path in SAMPLE.glob("*.csv"):
        shutil.copy(path, folder / path.name)
    orders = pd.read_parquet(SAMPLE / "sales_orders.parquet")
    orders = orders.sample(frac=fraction, random_state=7).sort_index()
    orders.to_parquet(folder / "sales_orders.parquet")
    kept = orders["SalesOrder"]
    lines = pd.read_parquet(SAMPLE / "order_lines.parquet")
    lines[lines["SalesOrder"].isin(kept)].to_parquet(folder / "order_lines.parquet")
    invoices = pd.read_parquet(SAMPLE / "invoices.parquet")
    invoices = invoices[invoices["SalesOrder"].isin(kept)]
    invoices.to_parquet(folder / "invoices.parquet")
    payments = pd.read_parquet(SAMPLE / "payments.parquet")
    payments[payments["InvoiceNo"].isin(invoices["InvoiceNo"])].to_parquet(
        folder / "payments.parquet"
    )
    moves = pd.read_parquet(SAMPLE / "stock_moves.parquet")  # receipts, and the kept orders' issues
    moves[moves["SalesOrder"].isna() | moves["SalesOrder"].isin(kept)].to_parquet(
        folder / "stock_moves.parquet"
    )
    return folder


@pytest.fixture(scope="module")
def trimmed(tmp_path_factory) -> Path:
    return _trimmed_sample(tmp_path_factory.mktemp("backtest") / "sample")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("origins", "message"),
    [
        ("2025-03-01", "--origins 2025-03-01: too little history before it"),
        ("2026-11-01", "--origins 2026-11-01: its 8-week window runs past the history"),
    ],
)
def test_origins_outside_the_history_exit_2(trimmed, tmp_path, origins, message):
    result = _backtest(
        str(trimmed), "--mapping", str(MAPPING), "--out", str(tmp_path / "out"),
        "--origins", origins, "--horizon-weeks", "8",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "out").exists()  # nothing written before the input is checked


@pytest.mark.slow
def test_a_backtest_writes_its_files_and_exits_by_its_checks(trimmed, tmp_path):
    out = tmp_path / "out"
    common = [
        str(trimmed), "--mapping", str(MAPPING), "--origins", "2026-06-01,2026-09-01",
        "--horizon-weeks", "4", "--replications", "4", "--seed", "3", "--workers", "1",
    ]  # fmt: skip
    # bounds no forecast can miss: exit 0
    loose = ["orders.coverage_90=0:1", "orders.bias=1e9", "orders.relative_mae=1e9"]
    result = _backtest(*common, "--out", str(out), *(f"--tolerance={t}" for t in loose))
    assert result.exit_code == 0, result.output
    for name in ("backtest.csv", "summary.csv", "checks.csv", "backtest.pdf"):
        assert (out / name).is_file(), name
    for origin in ("2026-06-01", "2026-09-01"):
        assert (out / f"fan_{origin}.png").is_file()
        assert (out / "models" / origin / "model.yaml").is_file()
    backtest = pd.read_csv(out / "backtest.csv")
    assert tuple(backtest.columns) == BACKTEST_COLUMNS
    series = ["orders", "units", "revenue", "lead_time_days"]
    assert len(backtest) == 2 * 4 * len(series)
    assert set(backtest["series"]) == set(series)
    assert (backtest["p05"] <= backtest["p50"]).all() and (backtest["p50"] <= backtest["p95"]).all()
    summary = pd.read_csv(out / "summary.csv")
    assert tuple(summary.columns) == SUMMARY_COLUMNS
    assert len(summary) == (2 + 1) * len(series)
    checks = pd.read_csv(out / "checks.csv")
    assert tuple(checks.columns) == CHECK_COLUMNS and checks["passed"].all()

    # an impossible coverage: exit 1, and the same numbers (same seed)
    again = tmp_path / "again"
    result = _backtest(*common, "--out", str(again), "--tolerance", "orders.coverage_90=2:3")
    assert result.exit_code == 1, result.output
    assert "FAILED orders.coverage_90" in result.output
    pd.testing.assert_frame_equal(pd.read_csv(again / "backtest.csv"), backtest)
