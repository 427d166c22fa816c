"""The backtest's files and report from made-up tables: columns, one fan per origin, the PDF."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from twin.calibration.backtest import BACKTEST_COLUMNS, SUMMARY_COLUMNS, Backtest, summarise
from twin.calibration.backtest import _Window as Window
from twin.calibration.backtest_checks import CHECK_COLUMNS, DEFAULT_TOLERANCES, judge
from twin.calibration.backtest_output import write_backtest
from twin.stats import prediction_band

ORIGINS = [dt.date(2020, 7, 1), dt.date(2020, 9, 1)]


def _windows() -> list[Window]:
    rng = np.random.default_rng(5)
    return [
        Window(origin, series, rng.poisson(50, 4).astype(float),
               rng.poisson(50, (6, 4)).astype(float), "mean_8_weeks", np.full(4, 50.0), 7.0)
        for origin in ORIGINS
        for series in ("orders", "revenue")
    ]  # fmt: skip


def test_summary_has_a_row_per_origin_and_series_and_the_all_rows():
    summary = summarise(_windows(), ["orders", "revenue"])
    assert tuple(summary.columns) == SUMMARY_COLUMNS
    assert list(summary["origin"]) == ["2020-07-01"] * 2 + ["2020-09-01"] * 2 + ["all"] * 2
    assert (summary.loc[summary["origin"] == "all", "weeks"] == 8).all()
    assert list(summary["unit"][:2]) == ["orders", "currency"]


def _bands(simulated: np.ndarray) -> dict[str, np.ndarray]:
    bands = {}
    for level in (90, 50):
        low, high = prediction_band(simulated, level / 100)
        bands |= {f"band{level}_low": low, f"band{level}_high": high}
    return bands


def test_files_and_report_are_written(tmp_path):
    windows = _windows()
    rows = []
    for w in windows:
        q = np.quantile(w.simulated, (0.05, 0.25, 0.5, 0.75, 0.95), axis=0)
        rows.append(
            pd.DataFrame(
                {
                    "origin": w.origin.isoformat(),
                    "week": range(4),
                    "week_start": pd.date_range(w.origin, periods=4, freq="7D").date,
                    "series": w.series,
                    "unit": "orders",
                    "actual": w.actual,
                    "forecast_mean": w.simulated.mean(axis=0),
                    **{f"p{p:02d}": q[i] for i, p in enumerate((5, 25, 50, 75, 95))},
                    **_bands(w.simulated),
                    "baseline": w.baseline_name,
                    "baseline_value": w.baseline,
                }
            )
        )
    history = pd.DataFrame(
        {"origin": "2020-07-01", "week_start": pd.date_range("2020-06-03", periods=4, freq="7D"),
         "series": "orders", "unit": "orders", "actual": [40.0, 45.0, 50.0, 55.0]}
    )  # fmt: skip
    summary = summarise(windows, ["orders", "revenue"])
    result = Backtest(
        pd.concat(rows, ignore_index=True)[list(BACKTEST_COLUMNS)], summary, history, ORIGINS, 4, 6
    )
    checks = judge(summary, DEFAULT_TOLERANCES)
    paths = write_backtest(result, checks, tmp_path, [("Source", "made up")])
    assert tuple(pd.read_csv(paths["backtest"]).columns) == BACKTEST_COLUMNS
    assert tuple(pd.read_csv(paths["checks"]).columns) == CHECK_COLUMNS
    assert paths["report"].read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.glob("fan_*.png")) == [
        "fan_2020-07-01.png",
        "fan_2020-09-01.png",
    ]
