"""Tests of twin.kpis.warmup (MSER-5) and the report's warm-up note."""

import numpy as np
import pandas as pd
import pytest

from twin.kpis.warmup import WARMUP_COLUMNS, mser_truncation, warmup_check, warmup_summary
from twin.reports.warmup_note import warmup_note


def brute_force_mser(values: np.ndarray, batch: int = 5) -> tuple[int, bool]:
    """The textbook definition, one candidate at a time."""
    k = values.size // batch
    z = values[: k * batch].reshape(k, batch).mean(axis=1)
    stats = [np.sum((z[d:] - z[d:].mean()) ** 2) / (k - d) ** 2 for d in range(k // 2 + 1)]
    d = int(np.argmin(stats))
    return d * batch, d == k // 2


@pytest.mark.parametrize("seed", range(5))
def test_mser_equals_the_textbook_definition(seed):
    rng = np.random.default_rng(seed)
    values = np.cumsum(rng.normal(size=503)) * 0.1 + 5 * np.exp(-np.arange(503) / 30)
    assert mser_truncation(values) == brute_force_mser(values)


def test_a_known_initial_transient_is_cut_where_it_ends():
    """100 days at mean 4, then 900 at mean 0, noise sd 1: the batch means of the transient sit
    ~9 standard errors above the rest, so MSER-5 drops exactly the 20 batches of the step."""
    rng = np.random.default_rng(1)
    values = rng.normal(size=1000)
    values[:100] += 4.0
    assert mser_truncation(values) == (100, False)


def test_a_decaying_transient_is_cut_after_most_of_its_decay():
    """4 exp(-t / 25) plus sd-1 noise: the bias falls below the 0.45 sd of a 5-day batch mean
    at t = 55 days; MSER's cut lies between 20 and 120 days for this seed and its neighbours."""
    for seed in range(3):
        rng = np.random.default_rng(seed)
        t = np.arange(1000)
        truncation, at_limit = mser_truncation(4 * np.exp(-t / 25) + rng.normal(size=t.size))
        assert 20 <= truncation <= 120 and not at_limit


def test_a_stationary_series_is_hardly_truncated():
    """White noise of 1000 days, 20 seeds: MSER-5 drops nothing or a few batches (measured: at
    most 40 days); the tolerance is 10 % of the run."""
    for seed in range(20):
        values = np.random.default_rng(seed).normal(size=1000)
        truncation, at_limit = mser_truncation(values)
        assert truncation <= 100 and not at_limit


def test_a_trend_never_settles_and_constants_are_not_cut():
    assert mser_truncation(np.arange(400.0))[1]
    assert mser_truncation(np.full(400, 3.0)) == (0, False)
    assert mser_truncation(np.arange(7.0)) == (0, False)  # one batch: nothing to compare


def daily_table(transient_days: int, replications: int = 3, n: int = 365) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    frames = []
    for r in range(replications):
        day = np.arange(n)
        frames.append(
            pd.DataFrame(
                {
                    "replication": r,
                    "seed": 1,
                    "day": day,
                    "date": pd.date_range("2026-01-01", periods=n).strftime("%Y-%m-%d"),
                    "on_hand_units": 50 + rng.normal(size=n) + 20 * (day < transient_days),
                    "backlog_units": rng.normal(size=n),
                    "receivables": np.arange(n, dtype=float),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_warmup_check_gives_a_verdict_per_level(tmp_path):
    table = warmup_check(daily_table(60), warmup_days=30, horizon_days=365)
    assert list(table.columns) == list(WARMUP_COLUMNS)
    verdict = table.set_index("series")["verdict"]
    assert verdict.to_dict() == {
        "on_hand_units": "too short",
        "backlog_units": "enough",
        "receivables": "no steady state",
    }
    assert table.set_index("series").loc["on_hand_units", "truncation_days"] == 60
    line = warmup_summary(table)
    assert "not enough" in line and "on_hand_units 60 days (too short)" in line
    table.to_csv(tmp_path / "warmup.csv", index=False)
    note = warmup_note(tmp_path)
    assert note is not None and "on_hand_units: 60 days (too short)" in note


def test_enough_warmup_gives_no_report_note(tmp_path):
    table = warmup_check(daily_table(20).drop(columns="receivables"), 30, 365)
    assert (table["verdict"] == "enough").all()
    assert "is enough for every daily level" in warmup_summary(table)
    table.to_csv(tmp_path / "warmup.csv", index=False)
    assert warmup_note(tmp_path) is None
    assert warmup_note(tmp_path / "missing") is None


def test_a_run_from_the_open_state_needs_no_warmup(tmp_path):
    table = warmup_check(daily_table(60), warmup_days=0, horizon_days=365, from_state=True)
    assert (table["verdict"] == "from the open state").all()
    assert table.set_index("series").loc["on_hand_units", "truncation_days"] == 60
    assert "none needed, the run starts from the company's open state" in warmup_summary(table)
    table.to_csv(tmp_path / "warmup.csv", index=False)
    assert warmup_note(tmp_path) is None
