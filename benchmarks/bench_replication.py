"""Benchmark one replication against a start commit: CPU seconds, heap events and their ratio.

For each scenario (default: ``scenarios/baseline.yaml``, and ``scenarios/whole-loop.yaml`` with
every lever on), a fresh Python process loads the scenario, runs replication 0 and prints its
CPU seconds (``time.process_time`` around ``run_replication``: simulation and collection of the
tables, no KPIs), the events the SimPy heap processed and the order lines shipped.

The machine is shared, so the figure to compare is CPU seconds, and only ratios from one run
count. With ``--start TREE``, a checkout of the commit to compare with (``git worktree add
--detach ../twin-start 8d175a4``), each scenario runs on both trees in turn (start, current,
start, current, ...), the child importing ``twin`` from TREE through ``PYTHONPATH``; ``ratio`` is
the start's best CPU seconds over the current tree's (above 1: faster now), and
``events_ratio`` the same of the event counts (which do not depend on the machine).

Prints one JSON line. Usage: ``python benchmarks/bench_replication.py [--start TREE]
[--repeat 3] [--scenario FILE ...]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("scenarios/baseline.yaml", "scenarios/whole-loop.yaml")

CHILD = """
import json, sys, time
import simpy
from twin.model.network import run_replication
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

scenario = load(Scenario, sys.argv[1])
events = 0
step = simpy.Environment.step


def counted(env):
    global events
    events += 1
    return step(env)


simpy.Environment.step = counted
cpu = time.process_time()
result = run_replication(scenario, 0)
cpu = time.process_time() - cpu
lines = len(result.tables["shipments"])
print(json.dumps({"cpu_s": cpu, "events": events, "shipments": lines}))
"""


def measure(scenario: str, tree: Path) -> dict:
    """One replication of ``scenario`` in a child importing ``twin`` from ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / scenario)],
        cwd=tree,  # `-c` puts the working folder first on sys.path
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{scenario} failed in {tree}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=Path, help="checkout of the commit to compare with")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenario", action="append", help="scenario file (repeatable)")
    args = parser.parse_args()
    trees = {"current": ROOT}
    if args.start is not None:
        trees = {"start": args.start.resolve(), "current": ROOT}
    figures: dict = {}
    for scenario in args.scenario or SCENARIOS:
        runs: dict[str, list[dict]] = {name: [] for name in trees}
        for _ in range(args.repeat):
            for name, tree in trees.items():  # alternated, so drift lands on both
                runs[name].append(measure(scenario, tree))
        row: dict = {}
        for name, measured in runs.items():
            row[f"{name}_cpu_s"] = round(min(m["cpu_s"] for m in measured), 3)
            row[f"{name}_events"] = measured[0]["events"]
            row[f"{name}_shipments"] = measured[0]["shipments"]
        if "start" in runs:
            row["ratio"] = round(row["start_cpu_s"] / row["current_cpu_s"], 3)
            row["events_ratio"] = round(row["start_events"] / row["current_events"], 3)
            row["same_shipments"] = row["start_shipments"] == row["current_shipments"]
        figures[Path(scenario).stem] = row
    print(json.dumps({"repeat": args.repeat, **figures}))


if __name__ == "__main__":
    main()
