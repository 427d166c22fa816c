"""No worker outlives its command, and a sweep killed with SIGKILL resumes from its store.

The parent is killed with ``SIGKILL``, which runs none of its clean-up, so only the workers' own
guard (``twin.experiments.executors.die_with_parent``) can end them. A process counts as gone when
``/proc/PID`` is missing or it is a zombie (in a container, PID 1 may never reap it).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from twin.cli import cli
from twin.experiments import replicate

SMALL = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "small.yaml"

#: Seconds a worker may take to notice its parent is gone (the kernel's signal is immediate).
GRACE_S = 5.0

POOL = """\
import time
from twin.experiments.executors import ProcessExecutor
from twin.experiments.jobs import Job

with ProcessExecutor(2) as executor:
    for _ in executor.run([(i, Job(f"k{i}", time.sleep, 120)) for i in range(4)]):
        pass
"""


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended while listing
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def kill_and_check_workers(process: subprocess.Popen, workers: set[int]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + GRACE_S
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = [pid for pid in workers if alive(pid)]
    for pid in survivors:  # leave no orphan behind when the test fails
        os.kill(pid, signal.SIGKILL)
    assert not survivors, f"workers {survivors} outlived their killed parent"


pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def test_pool_workers_die_with_a_parent_killed_by_sigkill() -> None:
    process = subprocess.Popen([sys.executable, "-c", POOL])
    try:
        wait_for(lambda: len(children(process.pid)) >= 2, 60, "the pool never started")
        time.sleep(0.5)  # let the jobs start: the workers are busy, not idle
        workers = children(process.pid)
        kill_and_check_workers(process, workers)
    finally:
        process.kill()


SWEEP = """\
name: killed
base: {base}
set: {{run.horizon_days: 365}}
replications: 2
kpis: [profit, fill_rate]
parameters:
  - path: inventory.default.policy.reorder_point_days
    levels: [3, 9]
  - path: staffing.warehouse.headcount
    levels: [2, 3]
design: {{kind: oat}}
"""
JOBS = 5 * 2  # (1 base point + 2 parameters x 2 levels) x 2 replications


def stored(store: Path) -> int:
    if not store.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM results WHERE status = 'ok'").fetchone()[0]
    except sqlite3.DatabaseError:  # still being created
        return 0


@pytest.mark.slow
def test_a_sweep_killed_mid_way_leaves_no_worker_and_no_folder_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(textwrap.dedent(SWEEP).format(base=SMALL), encoding="utf-8")
    out = tmp_path / "out"
    store = tmp_path / ".out.partial" / ".store" / "store.sqlite"
    command = [sys.executable, "-m", "twin.cli", "sweep", str(sweep_file), "--out", str(out)]
    process = subprocess.Popen([*command, "--workers", "2", "--quiet", "--no-report"])
    try:
        wait_for(lambda: stored(store) >= 1, 180, "no job was stored")
        workers = children(process.pid)
        assert workers, "the sweep ran on no worker process"
        kill_and_check_workers(process, workers)
    finally:
        process.kill()
    done = stored(store)
    assert 1 <= done < JOBS, "the sweep was killed too late to test a resume"
    assert not out.exists()  # no complete-looking folder

    calls: list[int] = []
    real = replicate.simulate

    def counting(task):
        calls.append(task.replication)
        return real(task)

    monkeypatch.setattr(replicate, "simulate", counting)
    result = CliRunner().invoke(
        cli, ["sweep", str(sweep_file), "--out", str(out), "--workers", "1", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    # the stored jobs are read back, only the others run (identical points share a job)
    assert len(calls) == stored(out / ".store" / "store.sqlite") - done
    results = pd.read_csv(out / "results.csv", keep_default_na=False)
    assert len(results) == JOBS and (results["error"] == "").all()
