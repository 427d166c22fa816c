"""Benchmark the core model against a bare-SimPy skeleton doing the same event work.

Prints one JSON line:
- ``order_lines``, ``cpu_s``, ``lines_per_s``: one baseline replication (simulation only; KPIs and
  tables are timed separately as ``collect_s``);
- ``skeleton_cpu_s``: a bare SimPy program, in the same run, doing the event work the model
  does per order: one arrival timeout per order, one completion event per staff job (a FIFO
  pool of the role's headcount scheduling each job's completion directly, as
  ``twin.model.staff.StaffRole`` does, not a ``simpy.Resource``'s request, timeout and
  release), an urgent start per back-order shipment (as ``twin.model.flows.start_flow``), one
  timeout per purchase order; deliveries and settlements queued by time, as the model books
  them, with no event. It leaves out what the model does besides events: calendars, allocation,
  reviews, the ledger, recording;
- ``events``, ``skeleton_events``: the events each scheduled (SimPy's event counter), so the two
  are seen to do the same event work; ``us_per_event`` and ``skeleton_us_per_event``: CPU time
  per event;
- ``overhead_ratio`` = cpu_s / skeleton_cpu_s, and ``per_event_ratio`` the same per event;
- ``double_volume_ratio``: CPU time of the horizon doubled over the baseline's, against
  ``double_lines_ratio``, the ratio of their order lines (linear scaling keeps these equal; the
  demand trend makes the doubled run's lines a little more than twice), and
  ``double_time_per_line_ratio``, CPU time per line of the doubled run over the baseline's
  (1.0 is perfectly linear); ``double_volume_ratio_paired``, the median over repeats of each
  doubled run over the single run of the same repeat (the runs are interleaved);
- ``replication_peak_rss_mb``: peak resident memory of a fresh process that loads the scenario
  and runs one replication with its KPIs (no order log written);
- ``levers_cpu_s``, ``levers_ratio``: one replication of ``--levers`` (default
  ``scenarios/whole-loop.yaml``: every lever on) and its CPU time over the core's ``cpu_s``;
  ``levers_order_lines`` and ``levers_time_per_line_ratio`` say how much of it is volume;
  ``levers_ratio_paired``, the median over repeats of each levers' run over the core run right
  after it: the two minima of ``levers_ratio`` may come from moments of different load, a pair
  run back to back sees the same machine;

Usage: ``python benchmarks/bench_core.py [--scenario scenarios/baseline.yaml]
[--levers scenarios/whole-loop.yaml] [--repeat 3]``.
Times are CPU seconds of this process (``time.process_time``): the machine is shared, and CPU
time is what other processes disturb least. Each figure is the minimum over ``--repeat`` runs,
the usual way to read a noisy machine; the levers', the core's, the doubled horizon's and the
skeleton's runs alternate within each repeat (so drift does not land on one of them), each
starting from a collected heap with nothing of the others alive.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import json
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

import numpy as np
import simpy
from simpy.core import NORMAL, URGENT

from twin.kpis import compute_kpis, daily_levels
from twin.model.network import run_replication
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]


class _Pool:
    """A FIFO pool of ``headcount`` people; a job's completion is its one event (no calendar)."""

    def __init__(self, env: simpy.Environment, headcount: int) -> None:
        self.env = env
        self.free = headcount
        self.queue: deque[tuple[simpy.Event, float]] = deque()

    def serve(self, work: float) -> simpy.Event:
        done = simpy.Event(self.env)
        if self.free > 0:
            self.free -= 1
            self._start(done, work)
        else:
            self.queue.append((done, work))
        return done

    def _start(self, done: simpy.Event, work: float) -> None:
        done._ok = True
        done._value = None
        done.callbacks.append(self._finish)
        self.env.schedule(done, NORMAL, work)

    def _finish(self, _event: simpy.Event) -> None:
        if self.queue:
            self._start(*self.queue.popleft())
        else:
            self.free += 1


def skeleton(counts: dict, capacities: dict, seed: int = 1) -> tuple[float, int]:
    """Wall time and events scheduled of bare SimPy doing the model run's event work."""
    rng = np.random.default_rng(seed)
    n_orders = counts["orders"]
    gaps = rng.exponential(counts["horizon_days"] / max(n_orders, 1), n_orders).tolist()
    desk_times = rng.exponential(counts["desk_mean"], n_orders).tolist()
    pick_times = rng.exponential(counts["pick_mean"], counts["shipments"]).tolist()
    transit = rng.exponential(1.0, counts["shipments"]).tolist()
    pay = rng.exponential(30.0, counts["shipments"]).tolist()
    extra = counts["shipments"] - n_orders  # back-order shipments, each started on its own
    lead = rng.exponential(10.0, counts["purchases"]).tolist()

    def noop(event):
        return None

    start = time.process_time()
    env = simpy.Environment()
    desk = _Pool(env, capacities["order_desk"]) if "order_desk" in capacities else None
    warehouse = _Pool(env, capacities["warehouse"]) if "warehouse" in capacities else None
    deliveries: list[tuple[float, int]] = []  # queued by time, as the model books them
    settlements: list[tuple[float, int]] = []
    cursor = {"ship": 0}

    def shipped(i: int) -> None:
        heapq.heappush(deliveries, (env.now + transit[i], i))
        heapq.heappush(settlements, (env.now + transit[i] + pay[i], i))

    def ship(_event=None) -> None:
        i = cursor["ship"]
        cursor["ship"] = i + 1
        if warehouse is not None:
            warehouse.serve(pick_times[i]).callbacks.append(lambda _e: shipped(i))
        else:
            shipped(i)

    def order(k: int) -> None:
        if desk is not None:
            desk.serve(desk_times[k]).callbacks.append(ship)
        else:
            ship()

    def backfill(_event) -> None:  # started by an urgent event, as a flow is
        started = simpy.Event(env)
        started._ok = True
        started._value = None
        started.callbacks.append(ship)
        env.schedule(started, URGENT)

    def arrive(k: int) -> None:
        order(k)
        if k < extra:
            backfill(None)
        if k < len(lead):
            env.timeout(lead[k]).callbacks.append(noop)
        if k + 1 < n_orders:
            env.timeout(gaps[k + 1]).callbacks.append(lambda _e: arrive(k + 1))

    if n_orders:
        env.timeout(gaps[0]).callbacks.append(lambda _e: arrive(0))
    gc.disable()  # as the model's runner does, so both pay the same for memory management
    try:
        env.run()
    finally:
        gc.enable()
    return time.process_time() - start, next(env._eid)


def replication_peak_rss_mb(scenario_file: str) -> float:
    """Peak memory of one replication, measured in a child process of its own."""
    # VmHWM, not getrusage's ru_maxrss: the latter survives exec and would report the parent's peak
    code = (
        "import re, sys; from pathlib import Path;"
        "from twin.scenario.loader import load; from twin.scenario.schema import Scenario;"
        "from twin.experiments.replicate import run_one;"
        "run_one(load(Scenario, Path(sys.argv[1])), 0);"
        "status = Path('/proc/self/status').read_text();"
        "print(re.search(r'VmHWM:\\s+(\\d+)', status).group(1))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, scenario_file], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip()) / 1024


_made: list[simpy.Environment] = []
_init = simpy.Environment.__init__


def _remember(env: simpy.Environment, *args, **kwargs) -> None:
    _init(env, *args, **kwargs)
    _made.append(env)


simpy.Environment.__init__ = _remember  # the model's environment, to read its event counter


def timed_run(scenario: Scenario) -> tuple[float, float, object, int]:
    """Wall time of one replication, of its KPIs and daily levels, the result and its events."""
    gc.collect()  # each timed run starts from a clean heap, as the skeleton's does
    _made.clear()
    start = time.process_time()
    result = run_replication(scenario, 0)
    cpu = time.process_time() - start
    events = next(_made[-1]._eid)  # simpy numbers every scheduled event from 0
    _made.clear()
    start = time.process_time()
    compute_kpis(result, scenario.costs)
    daily_levels(result)
    return cpu, time.process_time() - start, result, events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.yaml"))
    parser.add_argument("--levers", default=str(ROOT / "scenarios" / "whole-loop.yaml"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    scenario = load(Scenario, Path(args.scenario))
    horizon = scenario.run.horizon_days
    double = load(Scenario, Path(args.scenario), [f"run.horizon_days={2 * horizon}"])

    levers = load(Scenario, Path(args.levers))
    cpus, collects, skeletons, levers_cpus, double_cpus = [], [], [], [], []
    for _ in range(args.repeat):
        # every run of a repeat back to back, so drift does not land on one of them
        levers_cpu, _, levers_result, _ = timed_run(levers)
        levers_cpus.append(levers_cpu)
        levers_lines = int(levers_result.tables["orders"]["lines"].sum())
        del levers_result
        cpu, collect_s, result, events = timed_run(scenario)
        cpus.append(cpu)
        collects.append(collect_s)
        t = result.tables
        jobs = t["staff_jobs"]
        counts = {
            "orders": len(t["orders"]),
            "shipments": len(t["shipments"]),
            "purchases": len(t["purchases"]),
            "horizon_days": horizon,
            "desk_mean": float(jobs.loc[jobs["role"] == "order_desk", "work_days"].mean() or 0),
            "pick_mean": float(jobs.loc[jobs["role"] == "warehouse", "work_days"].mean() or 0),
        }
        capacities = {name: r["headcount"] for name, r in result.roles.items()}
        lines = int(result.tables["orders"]["lines"].sum())
        del result, t, jobs
        cpu_2, _, double_result, _ = timed_run(double)
        double_cpus.append(cpu_2)
        double_lines = int(double_result.tables["orders"]["lines"].sum())
        del double_result
        gc.collect()
        skeleton_cpu, skeleton_events = skeleton(counts, capacities)
        skeletons.append(skeleton_cpu)
    paired = sorted(lw / w for lw, w in zip(levers_cpus, cpus, strict=True))
    double_paired = sorted(d / w for d, w in zip(double_cpus, cpus, strict=True))
    cpu = min(cpus)
    double_cpu = min(double_cpus)
    levers_cpu = min(levers_cpus)
    skeleton_cpu = min(skeletons)
    print(
        json.dumps(
            {
                "scenario": scenario.name,
                "order_lines": lines,
                "orders": counts["orders"],
                "shipments": counts["shipments"],
                "cpu_s": round(cpu, 3),
                "lines_per_s": round(lines / cpu),
                "collect_s": round(min(collects), 3),
                "events": events,
                "skeleton_events": skeleton_events,
                "us_per_event": round(1e6 * cpu / events, 3),
                "skeleton_us_per_event": round(1e6 * skeleton_cpu / skeleton_events, 3),
                "skeleton_cpu_s": round(skeleton_cpu, 3),
                "overhead_ratio": round(cpu / skeleton_cpu, 3),
                "per_event_ratio": round((cpu / events) / (skeleton_cpu / skeleton_events), 3),
                "double_volume_ratio_paired": round(float(np.median(double_paired)), 3),
                "double_lines_ratio": round(double_lines / lines, 3),
                "double_volume_ratio": round(double_cpu / cpu, 3),
                "double_time_per_line_ratio": round((double_cpu / double_lines) / (cpu / lines), 3),
                "replication_peak_rss_mb": round(replication_peak_rss_mb(args.scenario)),
                "levers_scenario": levers.name,
                "levers_order_lines": levers_lines,
                "levers_cpu_s": round(levers_cpu, 3),
                "levers_ratio": round(levers_cpu / cpu, 3),
                "levers_ratio_paired": round(float(np.median(paired)), 3),
                "levers_time_per_line_ratio": round((levers_cpu / levers_lines) / (cpu / lines), 3),
                "repeat": args.repeat,
            }
        )
    )


if __name__ == "__main__":
    main()
