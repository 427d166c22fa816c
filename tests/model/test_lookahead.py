"""The weekly look-ahead (``report.lookahead_weeks``): week 1 opens on the state to the unit and
the cent, weeks chain (a week's closing level is the next one's opening), stock and money are
conserved week by week, and the band is the replications' 5-95 % quantiles.

A small company (2 SKUs, Poisson demand) starts from a hand-written open state with stock, open
purchase orders, a backlog and open invoices, and keeps a cash book.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import TINY
from lookahead_state import (
    ON_HAND,
    OPENING_CASH,
    RECEIVABLES,
    lookahead_scenario,
    write_small_state,
)

from twin.kpis.cash import cash_steps
from twin.kpis.lookahead import levels_before, lookahead_summary, sums_within, weekly_lookahead
from twin.model.network import run_replication
from twin.scenario.report import lookahead_weeks
from twin.scenario.schema import Scenario
from twin.tables import LOOKAHEAD_COLUMNS, LOOKAHEAD_MEASURES, LOOKAHEAD_WEEK_COLUMNS


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_small_state(tmp_path_factory.mktemp("lookahead") / "state")


@pytest.fixture(scope="module")
def weekly(state: Path) -> pd.DataFrame:
    scenario = Scenario.model_validate(lookahead_scenario(state))
    return pd.concat([weekly_lookahead(run_replication(scenario, r), 3) for r in range(3)])


def test_levels_before_and_sums_within_by_hand() -> None:
    times = np.array([-1.0, 0.0, 3.0, 7.0, 9.5])
    deltas = np.array([5.0, 1.0, -2.0, 4.0, -1.0])
    edges = np.array([0.0, 7.0, 14.0])
    # before 0: only the change dated -1; before 7: all but the last two; before 14: all
    np.testing.assert_array_equal(levels_before(times, deltas, 10.0, edges), [15.0, 14.0, 17.0])
    # within [0, 7): 0 and 3; within [7, 14): 7 and 9.5; the one before 0 in no week
    np.testing.assert_array_equal(sums_within(times, deltas, edges), [-1.0, 3.0])
    assert sums_within(np.array([np.nan, 14.0]), np.array([1.0, 1.0]), edges).sum() == 0


def test_week_one_opens_on_the_state_to_the_unit_and_the_cent(weekly: pd.DataFrame) -> None:
    first = weekly[weekly["week"] == 1]
    assert (first["on_hand_opening_units"] == sum(ON_HAND.values())).all()
    assert np.abs(first["receivables_opening"] - sum(RECEIVABLES)).max() < 0.005
    assert list(first["week_start"].unique()) == ["2026-01-05"]
    assert list(weekly["week_end"].unique()) == ["2026-01-11", "2026-01-18", "2026-01-25"]


def test_cash_opens_on_the_opening_balance_and_what_was_booked_before_day_zero(
    state: Path,
) -> None:
    scenario = Scenario.model_validate(lookahead_scenario(state))
    result = run_replication(scenario, 0)
    times, amounts = cash_steps(result)
    week = weekly_lookahead(result, 3)
    expected = OPENING_CASH + amounts[times < 0].sum()
    assert week["cash_opening"].iloc[0] == pytest.approx(expected, abs=0.005)


def test_weeks_chain_and_stock_and_money_are_conserved(weekly: pd.DataFrame) -> None:
    for _, rows in weekly.groupby("replication"):
        rows = rows.sort_values("week")
        for level in ("on_hand", "cash"):
            opening = rows[f"{level}_opening" + ("_units" if level == "on_hand" else "")]
            closing = rows[f"{level}_closing" + ("_units" if level == "on_hand" else "")]
            np.testing.assert_allclose(opening.to_numpy()[1:], closing.to_numpy()[:-1])
        np.testing.assert_allclose(
            rows["receivables_opening"].to_numpy()[1:], rows["receivables_closing"].to_numpy()[:-1]
        )
        stock = rows["on_hand_opening_units"] + rows["receipts_units"] - rows["shipped_units"]
        np.testing.assert_array_equal(stock, rows["on_hand_closing_units"])
        cash = rows["cash_opening"] + rows["cash_receipts"] - rows["cash_payments"]
        np.testing.assert_allclose(cash, rows["cash_closing"], atol=1e-6)
    # the open purchase order and the backlog move: units arrive and ship in the first week
    assert (weekly.loc[weekly["week"] == 1, "receipts_units"] >= 20).all()
    assert (weekly["shipped_units"] > 0).all()
    assert weekly["fill_rate"].between(0, 1).all()


def test_columns_are_the_documented_ones(weekly: pd.DataFrame) -> None:
    measures = [name for name, *_ in LOOKAHEAD_MEASURES]
    assert list(weekly.columns) == [*LOOKAHEAD_WEEK_COLUMNS, *measures]
    summary = lookahead_summary(weekly)
    assert list(summary.columns) == list(LOOKAHEAD_COLUMNS)
    assert len(summary) == 3 * len(measures)


def test_summary_is_the_mean_and_prediction_band_over_replications(weekly: pd.DataFrame) -> None:
    summary = lookahead_summary(weekly).set_index(["week", "measure"])
    for (week, measure), row in summary.iterrows():
        values = weekly.loc[weekly["week"] == week, measure].dropna().to_numpy()
        assert row["replications"] == values.size
        assert row["mean"] == pytest.approx(values.mean())
        # three replications: the 90 % band is their range
        assert row["band_low"] == pytest.approx(np.min(values))
        assert row["band_high"] == pytest.approx(np.max(values))


def test_without_a_cash_book_the_cash_lines_are_left_out(state: Path) -> None:
    data = lookahead_scenario(state)
    del data["cash"]
    week = weekly_lookahead(run_replication(Scenario.model_validate(data), 0), 2)
    assert "cash_closing" not in week and "receivables_closing" in week


def test_a_shorter_run_gets_its_whole_weeks_and_a_note(state: Path) -> None:
    scenario = Scenario.model_validate(lookahead_scenario(state, weeks=13, horizon=20.0))
    weeks, note = lookahead_weeks(scenario)
    assert weeks == 2
    assert note is not None and "13 weeks" in note and "20 days hold 2 whole weeks" in note
    assert lookahead_weeks(Scenario.model_validate(TINY)) == (0, None)


def test_same_seed_same_lookahead_other_replication_another(state: Path) -> None:
    scenario = Scenario.model_validate(lookahead_scenario(state))
    first = weekly_lookahead(run_replication(scenario, 1), 3)
    pd.testing.assert_frame_equal(first, weekly_lookahead(run_replication(scenario, 1), 3))
    other = weekly_lookahead(run_replication(scenario, 2), 3)
    assert not first["shipped_units"].equals(other["shipped_units"])
