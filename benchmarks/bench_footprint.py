"""Measure the constants of ``twin.scenario.footprint``: memory and time per order line and per day.

Each measurement runs one replication (``twin.experiments.replicate.run_one``, what a worker runs)
in a fresh process and reports its expected order lines (``footprint.estimate``), its days, the
growth of the peak resident memory (``ru_maxrss`` after the run less the resident memory before
it, so imports and the loaded scenario do not count) and its wall time. Two scenarios, the sample
company's baseline (about 500 lines a day) and the small CLI fixture (about 11 lines a day), at
several horizons, separate the cost of a line from the cost of a day; a least-squares fit of

    bytes = BYTES_PER_LINE * lines + BYTES_PER_DAY * days + intercept
    seconds = SECONDS_PER_LINE * lines + SECONDS_PER_DAY * days + intercept

prints the constants. Run it on a quiet machine::

    .venv/bin/python benchmarks/bench_footprint.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CASES = [
    (ROOT / "scenarios" / "baseline.yaml", (200, 426, 852)),
    (ROOT / "tests" / "cli" / "fixtures" / "small.yaml", (365, 1460, 5840)),
]

ONE = """
import json, resource, sys, time
from twin.experiments.replicate import run_one
from twin.scenario.footprint import estimate
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

scenario = load(Scenario, sys.argv[1], [f"run.horizon_days={sys.argv[2]}", "run.replications=1"])
page = resource.getpagesize()
with open("/proc/self/statm") as statm:
    before = int(statm.read().split()[1]) * page
start = time.perf_counter()
run_one(scenario, 0)
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
footprint = estimate(scenario)
print(json.dumps({"lines": footprint.lines, "days": footprint.days,
                  "bytes": peak - before, "seconds": wall}))
"""


def measure(path: Path, days: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", ONE, str(path), str(days)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    rows = []
    for path, horizons in CASES:
        for days in horizons:
            row = measure(path, days)
            rows.append(row)
            print(
                f"{path.name:14s} {days:6d} d  {row['lines']:12,.0f} lines  "
                f"{row['bytes'] / 2**20:9.1f} MiB  {row['seconds']:7.2f} s",
                flush=True,
            )
    design = np.array([[r["lines"], r["days"], 1.0] for r in rows])
    for what in ("bytes", "seconds"):
        fit, *_ = np.linalg.lstsq(design, np.array([r[what] for r in rows]), rcond=None)
        print(f"{what}: per line {fit[0]:.4g}, per day {fit[1]:.4g}, intercept {fit[2]:.4g}")


if __name__ == "__main__":
    main()
