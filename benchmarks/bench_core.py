"""Benchmark the core model against a bare-SimPy skeleton doing the same event work.

Prints one JSON line:
- ``order_lines``, ``wall_s``, ``lines_per_s``: one baseline replication (simulation only; KPIs and
  tables are timed separately as ``collect_s``);
- ``skeleton_wall_s``: a bare SimPy program, in the same run, that schedules the same number of
  arrival timeouts, order processes, staff resource cycles (request, timeout, release), transit,
  payment and purchase-order timeouts, with no bookkeeping;
- ``overhead_ratio`` = wall_s / skeleton_wall_s;
- ``double_volume_ratio``: wall time of the horizon doubled over the baseline's, against
  ``double_lines_ratio``, the ratio of their order lines (linear scaling keeps these equal; the
  demand trend makes the doubled run's lines a little more than twice), and
  ``double_time_per_line_ratio``, wall time per line of the doubled run over the baseline's
  (1.0 is perfectly linear);
- ``replication_peak_rss_mb``: peak resident memory of a fresh process that loads the scenario
  and runs one replication with its KPIs (no order log written);
- ``levers_wall_s``, ``levers_ratio``: one replication of ``--levers`` (default
  ``scenarios/whole-loop.yaml``: every lever on) and its wall time over the core's ``wall_s``;
  ``levers_order_lines`` and ``levers_time_per_line_ratio`` say how much of it is volume;
  ``levers_ratio_paired``, the median over repeats of each levers' run over the core run right
  after it: the two minima of ``levers_ratio`` may come from moments of different load, a pair
  run back to back sees the same machine;

Usage: ``python benchmarks/bench_core.py [--scenario scenarios/baseline.yaml]
[--levers scenarios/whole-loop.yaml] [--repeat 3]``.
Each figure is the minimum over ``--repeat`` runs, the usual way to read a noisy machine; model and
skeleton runs alternate, each starting from a collected heap with nothing of the other alive.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import simpy

from twin.kpis import compute_kpis, daily_levels
from twin.model.network import run_replication
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]


def skeleton(counts: dict, capacities: dict, seed: int = 1) -> float:
    """Wall time of bare SimPy doing the same timeouts and resource cycles as the model run."""
    rng = np.random.default_rng(seed)
    n_orders = counts["orders"]
    gaps = rng.exponential(counts["horizon_days"] / max(n_orders, 1), n_orders).tolist()
    desk_times = rng.exponential(counts["desk_mean"], n_orders).tolist()
    pick_times = rng.exponential(counts["pick_mean"], counts["shipments"]).tolist()
    transit = rng.exponential(1.0, counts["shipments"]).tolist()
    pay = rng.exponential(30.0, counts["shipments"]).tolist()
    extra = counts["shipments"] - n_orders  # backfill shipments, spawned as their own processes
    lead = rng.exponential(10.0, counts["purchases"]).tolist()

    def noop(event):
        return None

    start = time.perf_counter()
    env = simpy.Environment()
    desk = simpy.Resource(env, capacities.get("order_desk", 1))
    warehouse = simpy.Resource(env, capacities.get("warehouse", 1))
    has_desk = "order_desk" in capacities
    has_wh = "warehouse" in capacities
    cursor = {"ship": 0}

    def ship():
        i = cursor["ship"]
        cursor["ship"] = i + 1
        if has_wh:
            req = warehouse.request()
            yield req
            yield env.timeout(pick_times[i])
            warehouse.release(req)
        yield env.timeout(transit[i])
        env.timeout(pay[i]).callbacks.append(noop)

    def order(k):
        if has_desk:
            req = desk.request()
            yield req
            yield env.timeout(desk_times[k])
            desk.release(req)
        yield from ship()

    def arrivals():
        for k in range(n_orders):
            yield env.timeout(gaps[k])
            env.process(order(k))
            if k < extra:
                env.process(ship())
            if k < len(lead):
                env.timeout(lead[k]).callbacks.append(noop)

    env.process(arrivals())
    gc.disable()  # as the model's runner does, so both pay the same for memory management
    try:
        env.run()
    finally:
        gc.enable()
    return time.perf_counter() - start


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


def timed_run(scenario: Scenario) -> tuple[float, float, object]:
    gc.collect()  # each timed run starts from a clean heap, as the skeleton's does
    start = time.perf_counter()
    result = run_replication(scenario, 0)
    wall = time.perf_counter() - start
    start = time.perf_counter()
    compute_kpis(result, scenario.costs)
    daily_levels(result)
    return wall, time.perf_counter() - start, result


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
    walls, collects, skeletons, levers_walls = [], [], [], []
    for _ in range(args.repeat):
        # the levers' run alternates with the core's, so both see the same machine
        levers_wall, _, levers_result = timed_run(levers)
        levers_walls.append(levers_wall)
        levers_lines = int(levers_result.tables["orders"]["lines"].sum())
        del levers_result
        wall, collect_s, result = timed_run(scenario)
        walls.append(wall)
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
        gc.collect()
        skeletons.append(skeleton(counts, capacities))
    double_wall = float("inf")
    for _ in range(args.repeat):
        wall_2, _, double_result = timed_run(double)
        double_wall = min(double_wall, wall_2)
        double_lines = int(double_result.tables["orders"]["lines"].sum())
        del double_result
    paired = sorted(lw / w for lw, w in zip(levers_walls, walls, strict=True))
    wall = min(walls)
    levers_wall = min(levers_walls)
    print(
        json.dumps(
            {
                "scenario": scenario.name,
                "order_lines": lines,
                "orders": counts["orders"],
                "shipments": counts["shipments"],
                "wall_s": round(wall, 3),
                "lines_per_s": round(lines / wall),
                "collect_s": round(min(collects), 3),
                "skeleton_wall_s": round(min(skeletons), 3),
                "overhead_ratio": round(wall / min(skeletons), 3),
                "double_lines_ratio": round(double_lines / lines, 3),
                "double_volume_ratio": round(double_wall / wall, 3),
                "double_time_per_line_ratio": round(
                    (double_wall / double_lines) / (wall / lines), 3
                ),
                "replication_peak_rss_mb": round(replication_peak_rss_mb(args.scenario)),
                "levers_scenario": levers.name,
                "levers_order_lines": levers_lines,
                "levers_wall_s": round(levers_wall, 3),
                "levers_ratio": round(levers_wall / wall, 3),
                "levers_ratio_paired": round(float(np.median(paired)), 3),
                "levers_time_per_line_ratio": round(
                    (levers_wall / levers_lines) / (wall / lines), 3
                ),
                "repeat": args.repeat,
            }
        )
    )


if __name__ == "__main__":
    main()
