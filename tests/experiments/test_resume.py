"""Resume: stored jobs are not run again, failed ones are, and a killed run, resumed, ends with
the outcomes of an uninterrupted one and one row per key."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import jobfns
import pandas as pd
import pytest

from twin.commands.options import STORE_FOLDER, make_runner
from twin.commands.progress import ProgressBar
from twin.experiments.executors import ProcessExecutor, SerialExecutor
from twin.experiments.jobs import Failure, Job
from twin.experiments.runner import JobRunner
from twin.experiments.store import FILE_NAME, ResultStore


def counted_jobs(log: Path, xs) -> list[Job]:
    return [Job(f"k{x}", jobfns.counted, (str(log), x)) for x in xs]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_resumed_run_does_not_rerun_stored_jobs(tmp_path, workers):
    log = tmp_path / "calls.txt"
    executor = SerialExecutor() if workers == 1 else ProcessExecutor(workers)
    with ResultStore(tmp_path / "store") as store, executor:
        first = JobRunner(executor, store).run(counted_jobs(log, range(3)))
        runner = JobRunner(executor, store)
        second = runner.run(counted_jobs(log, range(6)))
        assert store.keys() == [f"k{x}" for x in range(6)]
    assert first == [0, 1, 4]
    assert second == [0, 1, 4, 9, 16, 25]
    assert sorted(jobfns.calls(log)) == [0, 1, 2, 3, 4, 5]  # each job ran exactly once
    assert (runner.stats.stored, runner.stats.ran) == (3, 3)


def test_failed_jobs_are_run_again_on_resume(tmp_path):
    bad = [Job("k1", jobfns.square, 1), Job("k2", jobfns.explode, 2)]
    with ResultStore(tmp_path) as store:
        outcomes = JobRunner(SerialExecutor(), store).run(bad)
        assert isinstance(outcomes[1], Failure)
        assert [f.key for f in store.failures()] == ["k2"]
        fixed = [Job("k1", jobfns.explode, 1), Job("k2", jobfns.square, 2)]
        runner = JobRunner(SerialExecutor(), store)
        assert runner.run(fixed) == [1, 4]  # k1 from the store, k2 run again
        assert (runner.stats.stored, runner.stats.ran, runner.stats.failed) == (1, 1, 0)
        assert store.failures() == []


def test_jobs_sharing_a_key_run_once(tmp_path):
    log = tmp_path / "calls.txt"
    jobs = counted_jobs(log, [1, 2, 1, 1])
    with ResultStore(tmp_path / "store") as store:
        assert JobRunner(SerialExecutor(), store).run(jobs) == [1, 4, 1, 1]
        assert len(store) == 2
    assert jobfns.calls(log) == [1, 2]


def test_progress_reports_stored_jobs_first_then_each_job(tmp_path):
    calls = []
    with ResultStore(tmp_path) as store:
        JobRunner(SerialExecutor(), store).run(counted_jobs(tmp_path / "log", range(2)))
        JobRunner(SerialExecutor(), store, lambda d, t: calls.append((d, t))).run(
            counted_jobs(tmp_path / "log", range(4))
        )
    assert calls == [(2, 4), (3, 4), (4, 4)]


@pytest.mark.parametrize("quiet", [True, False])
def test_progress_bar_follows_the_runner(tmp_path, quiet):
    with ProgressBar("demo", quiet=quiet) as bar:
        outcomes = JobRunner(SerialExecutor(), None, bar).run(
            counted_jobs(tmp_path / "log", range(3))
        )
        task = bar._progress.tasks[0]
        assert (task.completed, task.total, task.description) == (3, 3, "demo")
    assert outcomes == [0, 1, 4]


def test_make_runner_stores_in_the_out_folder(tmp_path):
    jobs = counted_jobs(tmp_path / "log", range(3))
    with make_runner(tmp_path / "out", 1, None, fresh=False, quiet=True) as runner:
        runner.run(jobs)
    assert (tmp_path / "out" / STORE_FOLDER / FILE_NAME).is_file()
    with make_runner(tmp_path / "out", 2, None, fresh=False, quiet=True) as runner:
        assert runner.run(jobs) == [0, 1, 4]
        assert runner.stats.stored == 3
    assert len(jobfns.calls(tmp_path / "log")) == 3


def ok_rows(db: Path) -> int:
    """``ok`` rows in a store another process is writing (0 until it exists)."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            return con.execute("SELECT COUNT(*) FROM results WHERE status = 'ok'").fetchone()[0]
    except sqlite3.OperationalError:  # the tables are not created yet
        return 0


def test_a_killed_run_resumes_to_the_uninterrupted_outcomes(tmp_path):
    folder = tmp_path / "store"
    # 12 jobs of ~0.45 s each on one worker: killed once at least 3 are stored
    child = subprocess.Popen([sys.executable, jobfns.__file__, str(folder), "0.4"])
    try:
        deadline = time.monotonic() + 60
        while ok_rows(folder / FILE_NAME) < 3:
            assert child.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "the run stored nothing within 60 s"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    jobs = jobfns.sweep_jobs()
    with ResultStore(folder) as store:
        before = len(store.keys())
        assert 3 <= before < len(jobs)
        runner = JobRunner(SerialExecutor(), store)
        resumed = runner.run(jobs)
        assert (runner.stats.stored, runner.stats.ran) == (before, len(jobs) - before)
        assert store.keys() == sorted(job.key for job in jobs)
    rows = sqlite3.connect(folder / FILE_NAME).execute(
        "SELECT key, COUNT(*) FROM results GROUP BY key HAVING COUNT(*) > 1"
    )
    assert rows.fetchall() == []  # exactly one row per key
    uninterrupted = JobRunner(SerialExecutor()).run(jobs)
    for got, expected in zip(resumed, uninterrupted, strict=True):
        assert got.kpis == expected.kpis
        pd.testing.assert_frame_equal(got.daily, expected.daily, check_exact=True)
        pd.testing.assert_frame_equal(got.lead_times, expected.lead_times, check_exact=True)


def test_an_outcome_that_cannot_be_stored_is_a_failure(tmp_path):
    with ResultStore(tmp_path) as store:
        jobs = [Job("a", jobfns.unpicklable, 1), Job("b", jobfns.square, 2)]
        outcomes = JobRunner(SerialExecutor(), store).run(jobs)
        assert isinstance(outcomes[0], Failure)
        assert outcomes[0].error.startswith("the outcome cannot be stored")
        assert outcomes[1] == 4
        assert [f.key for f in store.failures()] == ["a"] and store.keys() == ["b"]
