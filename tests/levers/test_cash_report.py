"""The cash lever through ``twin run``: the cash KPIs with their units, the daily cash levels and
the cash chart in the run folder; and the chart itself on hand-made daily tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from twin.cli import cli
from twin.kpis import cash as cash_kpis
from twin.reports.cash_figures import cash_figure

SMALL = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "small.yaml"


@pytest.fixture(scope="module")
def cash_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cash") / "run"
    args = ["run", str(SMALL), "--out", str(out), "--replications", "3", "--quiet"]
    args += ["--set", "cash.opening_balance=5000", "--set", "cash.supplier_terms.default_days=20"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return out


def test_a_run_with_cash_writes_its_kpis_levels_and_chart(cash_run: Path) -> None:
    summary = pd.read_csv(cash_run / "summary.csv").set_index("kpi")
    for kpi, unit in cash_kpis.UNITS.items():
        assert summary.loc[kpi, "unit"] == unit
    daily = pd.read_csv(cash_run / "daily.csv")
    assert {"cash_balance", "payables", "working_capital"} <= set(daily.columns)
    assert (cash_run / "cash.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    kpis = pd.read_csv(cash_run / "kpis.csv")
    gap = kpis["cash_opening"] + kpis["cash_in"] - kpis["cash_out"] - kpis["cash_closing"]
    assert np.abs(gap).max() < 1e-6


def test_a_run_without_cash_has_no_cash_chart(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["run", str(SMALL), "--out", str(out), "--replications", "1", "--quiet"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert not (out / "cash.png").exists()
    assert "cash_balance" not in pd.read_csv(out / "daily.csv").columns


def daily_table(replications: int, days: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frames = []
    for r in range(replications):
        day = np.arange(days)
        inventory = 100.0 + rng.normal(0, 5, days)
        receivables = 50.0 + day
        payables = 30.0 + 0.5 * day
        frames.append(
            pd.DataFrame(
                {
                    "replication": r,
                    "day": day,
                    "date": pd.date_range("2026-01-05", periods=days).strftime("%Y-%m-%d"),
                    "cash_balance": 1000.0 + np.cumsum(rng.normal(0, 30, days)),
                    "payables": payables,
                    "inventory_value": inventory,
                    "receivables": receivables,
                    "working_capital": inventory + receivables - payables,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_the_chart_draws_bands_only_when_replications_allow() -> None:
    many = cash_figure(daily_table(5), warmup_days=3.0)
    one = cash_figure(daily_table(1), warmup_days=0.0)
    labels = [t.get_text() for t in many.axes[0].get_legend().get_texts()]
    assert labels == [
        "warm-up (3 days, not in KPIs)",
        "5%-95% of replications",
        "95% CI of the mean",
        "mean of 5 replications",
    ]
    assert [t.get_text() for t in one.axes[0].get_legend().get_texts()] == ["mean of 1 replication"]


def test_no_cash_columns_no_chart_and_a_missing_one_is_named() -> None:
    daily = daily_table(2)
    assert cash_figure(daily.drop(columns="cash_balance"), 0.0) is None
    with pytest.raises(ValueError, match="daily table is missing column"):
        cash_figure(daily.drop(columns="payables"), 0.0)
