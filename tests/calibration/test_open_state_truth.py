"""The open state rebuilt from the sample's history is the sample company's TRUE open state.

``twin synth`` writes, beside the history, the state the twin itself ended in (``true_state/``,
from its own records); ``twin calibrate --as-of`` rebuilds a state from the history alone. They
must agree exactly: every SKU's units on hand, every open PO line and its units, every open
invoice and its amount, every backlog line and its units (and the customers' summaries). The one
column that cannot agree is an open PO's expected receipt: the truth holds the day the goods
actually arrive, the history carries no expected date, so the rebuild estimates it from the
fitted lead time (``expected_source: fitted_lead_time``); it is checked to lie ahead of the
as-of date, where an open line's receipt must lie.

A two-week sample written here keeps this in the fast suite; the committed two-year sample (a
few seconds to map and check) is rebuilt in the slow one, and the state committed beside the
shipped model is compared with the truth as it is.
"""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from twin.calibration.open_state import build_open_state
from twin.calibration.open_state.write import write_tables
from twin.calibration.privacy import KEY_FILE, pseudonymise_together
from twin.calibration.synth import TRUE_STATE, write_sample
from twin.commands.calibrate import mapped_and_checked
from twin.scenario.initial_state import STATE_SUMMARY, STATE_TABLES

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "calibration" / "sample"
MAPPING = REPO / "calibration" / "mappings" / "sample.yaml"
COMPANY = REPO / "twin" / "calibration" / "data" / "company" / "company.yaml"
SHIPPED_STATE = REPO / "calibration" / "models" / "sample" / "state"

KEYS = {
    "stock": ["sku", "location"],
    "purchase_orders": ["po_id"],
    "backlog": ["order_id", "line_no"],
    "receivables": ["invoice_id"],
    "payables": ["bill_id"],
    "opportunities": ["opportunity_id"],
    "tickets": ["ticket_id"],
    "customers": ["customer_id"],
}
ESTIMATED = ["expected_at", "expected_source"]
"""The open PO columns the history cannot give exactly (see the module docstring)."""


def read_folder(folder: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(folder / f"{name}.parquet") for name in STATE_TABLES}


def by_key(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    return frame.sort_values(KEYS[name], kind="stable").reset_index(drop=True)


def assert_same_state(rebuilt: dict[str, pd.DataFrame], truth: dict[str, pd.DataFrame], as_of):
    """Every table equal row by row (in key order), the open POs' estimated columns aside."""
    for name in STATE_TABLES:
        got, want = by_key(rebuilt[name], name), by_key(truth[name], name)
        if name == "purchase_orders":
            assert (got["expected_at"] >= as_of).all()
            assert set(got["expected_source"]) <= {"fitted_lead_time"}
            got, want = got.drop(columns=ESTIMATED), want.drop(columns=ESTIMATED)
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=name)


def rebuild(history: Path, as_of: pd.Timestamp) -> dict[str, pd.DataFrame]:
    mapped, quality = mapped_and_checked(MAPPING, str(history), as_of.to_pydatetime())
    state = build_open_state(mapped.tables, quality.quarantine, as_of, origins=mapped.origins)
    assert not state.issues  # the sample's dirt contradicts none of the state's rules
    return state.tables


def test_two_weeks_rebuilt_from_history_are_the_true_state(tmp_path):
    sample = write_sample(tmp_path, COMPANY, seed=11, days=14)
    as_of = pd.Timestamp(sample.history_end + dt.timedelta(days=1))
    truth = read_folder(tmp_path / TRUE_STATE)
    rebuilt = rebuild(tmp_path, as_of)
    assert_same_state(rebuilt, truth, as_of)
    # not vacuous: two weeks in, every kind of open item the sample has is there
    for name in ("stock", "purchase_orders", "backlog", "receivables", "customers"):
        assert len(truth[name]) > 0, name
    assert truth["stock"]["on_hand"].sum() > 0


@pytest.mark.slow
def test_committed_sample_rebuilt_from_history_is_its_true_state():
    truth = read_folder(SAMPLE / TRUE_STATE)
    as_of = pd.Timestamp("2027-01-01")
    assert_same_state(rebuild(SAMPLE, as_of), truth, as_of)


def test_shipped_model_state_is_the_samples_true_state(tmp_path):
    """``calibration/models/sample/state`` (written by ``twin calibrate calibration/sample
    --mapping calibration/mappings/sample.yaml --as-of 2027-01-01``) is the truth."""
    truth = read_folder(SAMPLE / TRUE_STATE)
    as_of = pd.Timestamp("2027-01-01")
    # the model folder's state is pseudonymised with its key (kept for the synthetic sample)
    key = (SHIPPED_STATE.parent / KEY_FILE).read_text(encoding="utf-8").strip().encode("utf-8")
    hashed = pseudonymise_together(truth, key)
    write_tables(tmp_path, hashed, as_of, None, "truth")  # read back as a written state reads
    assert_same_state(read_folder(SHIPPED_STATE), read_folder(tmp_path), as_of)
    shipped = (SHIPPED_STATE / STATE_SUMMARY).read_text(encoding="utf-8")
    true = (SAMPLE / TRUE_STATE / STATE_SUMMARY).read_text(encoding="utf-8")
    assert shipped.replace("source: sample", "source: synth") == true
    # the sample's sizes, so a regenerated sample that lost its open items is noticed
    counts = {name: len(frame) for name, frame in truth.items()}
    assert counts["stock"] == 200
    assert counts["purchase_orders"] > 100
    assert counts["backlog"] > 500
    assert counts["receivables"] > 1000
