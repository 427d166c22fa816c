"""Benchmark how fast ``twin`` answers before it simulates anything.

Prints one JSON line with, for each case, the median wall time in seconds over ``--repeat`` fresh
processes and its ratio to ``python -c pass`` measured in the same run:
- ``python_s``: ``python -c pass``, the interpreter's own start-up (the reference);
- ``version_s``, ``version_ratio``: ``twin --version``;
- ``help_s``, ``help_ratio``: ``twin --help``;
- ``run_help_s``, ``run_help_ratio``: ``twin run --help``;
- ``scenario_error_s``, ``scenario_error_ratio``: ``twin run`` on a scenario file with an
  unknown key (``--scenario`` extended with ``run.horizon_dayz``, written to a temporary folder),
  which must exit 2;
- ``version_rss_mb``, ``scenario_error_rss_mb``: peak resident memory of one such process.

``twin`` is run as ``python -m twin.cli`` with this file's repository as the working directory,
so the ``twin`` package measured is the one next to this script, on the interpreter running it.
The cases alternate within each round, so a burst of other work hurts them alike.

Usage: ``python benchmarks/bench_startup.py [--scenario scenarios/baseline.yaml] [--repeat 7]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TWIN = [sys.executable, "-m", "twin.cli"]


def wall(argv: list[str], expect: int) -> float:
    """Seconds for ``argv`` to finish in a fresh process; it must exit with ``expect``."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != expect:
        raise SystemExit(f"{argv} exited {done.returncode}, not {expect}:\n{done.stderr}")
    return seconds


def peak_rss_mb(argv: list[str]) -> float:
    """Peak resident memory of ``argv``, the only child of a small watcher process."""
    watcher = (
        "import resource, subprocess, sys; "
        f"subprocess.run({argv!r}, cwd={str(ROOT)!r}, capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", watcher], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip()) / 1024  # Linux reports kB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        typo = Path(tmp) / "typo.yaml"
        typo.write_text(
            f"extends: {args.scenario.resolve()}\nrun:\n  horizon_dayz: 30\n", encoding="utf-8"
        )
        cases = {
            "python": ([sys.executable, "-c", "pass"], 0),
            "version": ([*TWIN, "--version"], 0),
            "help": ([*TWIN, "--help"], 0),
            "run_help": ([*TWIN, "run", "--help"], 0),
            "scenario_error": ([*TWIN, "run", str(typo), "--out", str(Path(tmp) / "out")], 2),
        }
        for argv, expect in cases.values():  # warm the file cache; not counted
            wall(argv, expect)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeat):
            for name, (argv, expect) in cases.items():
                times[name].append(wall(argv, expect))
        rss = {name: peak_rss_mb(cases[name][0]) for name in ("version", "scenario_error")}

    medians = {name: statistics.median(values) for name, values in times.items()}
    result: dict[str, object] = {"command": "python -m twin.cli", "repeat": args.repeat}
    for name, seconds in medians.items():
        result[f"{name}_s"] = round(seconds, 3)
        if name != "python":
            result[f"{name}_ratio"] = round(seconds / medians["python"], 2)
    for name, mb in rss.items():
        result[f"{name}_rss_mb"] = round(mb, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
