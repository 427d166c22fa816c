"""Executors: the same outcomes, bit for bit, in this process, on processes and on Dask; failing
jobs recorded while the rest complete; bad executor options are bad input."""

from __future__ import annotations

import importlib.util
from concurrent.futures.process import BrokenProcessPool

import click
import jobfns
import pandas as pd
import pytest
from click.testing import CliRunner

from twin.cli import TwinGroup
from twin.commands.options import executor_options, make_runner
from twin.errors import InputError
from twin.experiments import executors
from twin.experiments.executors import (
    DaskExecutor,
    ProcessExecutor,
    SerialExecutor,
    make_executor,
)
from twin.experiments.jobs import Failure, Job
from twin.experiments.replicate import replication_job
from twin.experiments.runner import JobRunner
from twin.experiments.store import ResultStore

HAS_DASK = importlib.util.find_spec("distributed") is not None


@pytest.fixture(scope="module")
def replication_jobs() -> list[Job]:
    """Two scenarios × three short replications of the small fixture."""
    one = jobfns.small()
    two = jobfns.small("staffing.order_desk.headcount=2")
    return [replication_job(s, r) for s in (one, two) for r in range(3)]


@pytest.fixture(scope="module")
def serial_outcomes(replication_jobs: list[Job]) -> list:
    return JobRunner(SerialExecutor()).run(replication_jobs)


def assert_same_outputs(got: list, expected: list) -> None:
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert (a.replication, a.seed) == (b.replication, b.seed)
        assert a.kpis == b.kpis  # exact: no tolerance
        pd.testing.assert_frame_equal(a.daily, b.daily, check_exact=True)
        pd.testing.assert_frame_equal(a.lead_times, b.lead_times, check_exact=True)
        assert a.notes == b.notes


def test_serial_outcomes_are_in_job_order(replication_jobs, serial_outcomes):
    assert [o.replication for o in serial_outcomes] == [0, 1, 2, 0, 1, 2]
    assert serial_outcomes[0].kpis != serial_outcomes[3].kpis  # the two scenarios differ


def test_two_processes_give_identical_outcomes(replication_jobs, serial_outcomes):
    with ProcessExecutor(2) as executor:
        got = JobRunner(executor).run(replication_jobs)
    assert_same_outputs(got, serial_outcomes)


@pytest.mark.slow
@pytest.mark.skipif(not HAS_DASK, reason="Dask is an optional extra: pip install 'twin[dask]'")
def test_dask_local_cluster_gives_identical_outcomes(replication_jobs, serial_outcomes):
    with DaskExecutor(None, workers=2) as executor:
        got = JobRunner(executor).run(replication_jobs)
        failed = JobRunner(executor).run(
            [Job("bad", jobfns.explode, 1), Job("ok", jobfns.square, 3)]
        )
    assert_same_outputs(got, serial_outcomes)
    assert isinstance(failed[0], Failure) and failed[0].error == "ValueError: point 1 is bad"
    assert failed[1] == 9


@pytest.mark.slow
@pytest.mark.skipif(not HAS_DASK, reason="Dask is an optional extra: pip install 'twin[dask]'")
def test_a_scheduler_address_gives_identical_outcomes(replication_jobs, serial_outcomes):
    # --scheduler tcp://HOST:PORT: a cluster that twin did not start, reached by its address
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        with make_executor(None, address) as executor:
            got = JobRunner(executor).run(replication_jobs)
    assert_same_outputs(got, serial_outcomes)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_job_is_recorded_and_the_others_complete(workers):
    jobs = [Job(f"k{x}", jobfns.explode if x == 2 else jobfns.square, x) for x in range(1, 6)]
    with make_executor(workers, None) as executor:
        outcomes = JobRunner(executor).run(jobs)
    assert outcomes[:1] + outcomes[2:] == [1, 9, 16, 25]
    failure = outcomes[1]
    assert isinstance(failure, Failure)
    assert failure.key == "k2"
    assert failure.error == "ValueError: point 2 is bad"
    assert "in explode" in failure.traceback  # the worker's traceback, not the driver's


def test_an_outcome_that_cannot_leave_its_process_is_a_failure():
    jobs = [Job("a", jobfns.unpicklable, 1), Job("b", jobfns.square, 2)]
    with ProcessExecutor(2) as executor:
        outcomes = JobRunner(executor).run(jobs)
    assert isinstance(outcomes[0], Failure) and outcomes[0].key == "a"
    assert "pickle" in outcomes[0].error.lower()
    assert outcomes[1] == 4


def test_a_crashed_worker_process_is_raised():
    with ProcessExecutor(1) as executor, pytest.raises(BrokenProcessPool):
        JobRunner(executor).run([Job("a", jobfns.crash, 1), Job("b", jobfns.square, 2)])


def test_process_executor_keeps_at_most_two_jobs_per_worker_in_flight():
    taken = []

    def items():
        for i in range(20):
            taken.append(i)
            yield i, Job(f"k{i}", jobfns.square, i)

    with ProcessExecutor(2) as executor:
        stream = executor.run(items())
        first = next(stream)
        assert len(taken) <= 2 * 2 + 1  # one more may be drawn before the limit is seen
        rest = list(stream)
    assert sorted(i for i, _ in [first, *rest]) == list(range(20))
    assert dict([first, *rest]) == {i: i * i for i in range(20)}


def test_job_seconds_add_up_the_time_inside_the_jobs(replication_jobs):
    executor = SerialExecutor()
    runner = JobRunner(executor)
    runner.run(replication_jobs[:2])
    assert 0 < runner.stats.job_seconds <= runner.stats.wall_seconds
    assert (runner.stats.jobs, runner.stats.ran, runner.stats.failed) == (2, 2, 0)


def test_make_executor_picks_the_executor():
    assert isinstance(make_executor(1, None), SerialExecutor)
    with make_executor(3, None) as executor:
        assert isinstance(executor, ProcessExecutor) and executor.workers == 3
    assert isinstance(make_executor(None, None), SerialExecutor | ProcessExecutor)
    local = make_executor(2, "local")
    assert isinstance(local, DaskExecutor) and local.address is None and local.workers == 2


@pytest.mark.parametrize(
    ("workers", "scheduler", "message"),
    [
        (None, "127.0.0.1:8786", r"--scheduler 127.0.0.1:8786: expected .* tcp://HOST:PORT"),
        (2, "tcp://10.0.0.1:8786", r"--workers 2 with --scheduler tcp://10.0.0.1:8786"),
        (0, None, r"--workers 0: give a number of processes of at least 1"),
    ],
)
def test_bad_executor_options_are_input_errors(workers, scheduler, message):
    with pytest.raises(InputError, match=message):
        make_executor(workers, scheduler)


@pytest.mark.skipif(not HAS_DASK, reason="Dask is an optional extra: pip install 'twin[dask]'")
def test_an_unreachable_scheduler_is_an_input_error_naming_it():
    with (
        pytest.raises(InputError, match=r"--scheduler tcp://127\.0\.0\.1:1: no Dask scheduler"),
        DaskExecutor("tcp://127.0.0.1:1", connect_timeout=1.0),
    ):
        pass


def test_without_dask_the_scheduler_option_says_how_to_install_it(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(InputError, match=r"pip install 'twin\[dask\]'"):
        DaskExecutor("tcp://127.0.0.1:8786").connect()


@pytest.fixture
def demo_cli(tmp_path):
    """A command built like the experiment commands: executor options, a runner, some jobs."""

    @click.group(cls=TwinGroup)
    def cli() -> None:
        pass

    @cli.command()
    @executor_options
    def demo(workers, scheduler, fresh, quiet) -> None:
        with make_runner(tmp_path, workers, scheduler, fresh, quiet, label="demo") as runner:
            outcomes = runner.run([Job(f"k{x}", jobfns.square, x) for x in range(4)])
        click.echo(f"{outcomes} stored={runner.stats.stored}")

    return cli


@pytest.mark.skipif(not HAS_DASK, reason="Dask is an optional extra: pip install 'twin[dask]'")
def test_cli_unreachable_scheduler_exits_2_without_traceback(demo_cli, monkeypatch):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1.0)
    result = CliRunner().invoke(demo_cli, ["demo", "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2
    assert "--scheduler tcp://127.0.0.1:1: no Dask scheduler answered within 1 s" in result.output
    assert "Traceback" not in result.output


def test_cli_options_run_and_resume(demo_cli):
    first = CliRunner().invoke(demo_cli, ["demo", "--workers", "2", "--quiet"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "[0, 1, 4, 9] stored=0"
    again = CliRunner().invoke(demo_cli, ["demo", "--workers", "1"])
    assert again.output.strip() == "[0, 1, 4, 9] stored=4"
    fresh = CliRunner().invoke(demo_cli, ["demo", "--workers", "1", "--fresh", "--quiet"])
    assert fresh.output.strip() == "[0, 1, 4, 9] stored=0"
    bad = CliRunner().invoke(demo_cli, ["demo", "--workers", "0"])
    assert bad.exit_code == 2 and "--workers" in bad.output


@pytest.mark.skipif(not HAS_DASK, reason="Dask is an optional extra: pip install 'twin[dask]'")
def test_nothing_starts_when_every_job_is_stored(tmp_path):
    jobs = [Job(f"k{x}", jobfns.square, x) for x in range(3)]
    with ResultStore(tmp_path) as store:
        JobRunner(SerialExecutor(), store).run(jobs)
        with ProcessExecutor(2) as processes, DaskExecutor(None, 2) as cluster:
            for executor in (processes, cluster):
                assert JobRunner(executor, store).run(jobs) == [0, 1, 4]
            assert processes._pool is None and cluster._client is None
