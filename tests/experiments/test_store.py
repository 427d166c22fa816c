"""The result store: outcomes and failures by key, kept across runs, refused when stale."""

from __future__ import annotations

import re
import sqlite3

import jobfns
import pandas as pd
import pytest

import twin
from twin.errors import InputError
from twin.experiments import store as store_module
from twin.experiments.jobs import Failure
from twin.experiments.replicate import replication_job, simulate
from twin.experiments.store import FILE_NAME, ResultStore


def test_an_outcome_round_trips_exactly(tmp_path):
    scenario = jobfns.small()
    output = simulate(replication_job(scenario, 0).arg)
    with ResultStore(tmp_path) as store:
        store.put("a", output)
        assert "a" in store
        back = store.get("a")
    assert back.kpis == output.kpis
    pd.testing.assert_frame_equal(back.daily, output.daily, check_exact=True)
    pd.testing.assert_frame_equal(back.lead_times, output.lead_times, check_exact=True)
    assert (tmp_path / FILE_NAME).is_file()


def test_rows_survive_reopening_and_are_one_per_key(tmp_path):
    with ResultStore(tmp_path) as store:
        store.put("b", {"x": 1})
        store.put("a", [1, 2])
        store.put("a", [3])  # the newer outcome replaces the older one
        store.put_failure(Failure("c", "ValueError: bad", "Traceback ..."))
    with ResultStore(tmp_path) as store:
        assert store.keys() == ["a", "b"]
        assert list(store) == ["a", "b"]
        assert len(store) == 3
        assert store.get("a") == [3]
        assert store.failures() == [Failure("c", "ValueError: bad", "Traceback ...")]
    rows = sqlite3.connect(tmp_path / FILE_NAME).execute("SELECT key FROM results").fetchall()
    assert sorted(rows) == [("a",), ("b",), ("c",)]


def test_a_failed_key_is_not_done_until_it_succeeds(tmp_path):
    with ResultStore(tmp_path) as store:
        store.put(Failure("k", "E: x").key, Failure("k", "E: x"))  # put() routes a Failure
        assert "k" not in store
        with pytest.raises(KeyError):
            store.get("k")
        store.put("k", 42)
        assert "k" in store and store.get("k") == 42
        assert store.failures() == []


def test_a_missing_key_raises_key_error(tmp_path):
    with ResultStore(tmp_path) as store, pytest.raises(KeyError, match="nope"):
        store.get("nope")


def test_fresh_starts_empty(tmp_path):
    with ResultStore(tmp_path) as store:
        store.put("a", 1)
    with ResultStore(tmp_path, fresh=True) as store:
        assert len(store) == 0
        assert "a" not in store


def test_a_store_of_another_format_is_refused(tmp_path, monkeypatch):
    with ResultStore(tmp_path) as store:
        store.put("a", 1)
    monkeypatch.setattr(store_module, "STORE_FORMAT", "999")
    with pytest.raises(InputError, match=r"store format 1 .* this is format 999.*--fresh"):
        ResultStore(tmp_path)
    with ResultStore(tmp_path, fresh=True) as store:  # --fresh is the way out
        assert len(store) == 0


def test_a_store_of_another_twin_version_is_refused(tmp_path, monkeypatch):
    ResultStore(tmp_path).close()
    monkeypatch.setattr(store_module, "__version__", "0.0.0-other")
    found = re.escape(f"of twin {twin.__version__}; this is format 1 of twin 0.0.0-other")
    with pytest.raises(InputError, match=found):
        ResultStore(tmp_path)


def test_a_file_that_is_not_a_store_is_refused(tmp_path):
    (tmp_path / FILE_NAME).write_bytes(b"not a database at all" * 100)
    with pytest.raises(InputError, match=r"cannot be read as a result store.*--fresh"):
        ResultStore(tmp_path)


def test_a_folder_that_cannot_be_created_is_an_input_error(tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(InputError, match=r"out/\.store: cannot create the result store"):
        ResultStore(blocker / ".store")
