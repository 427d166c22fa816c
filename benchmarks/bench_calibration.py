"""Benchmark calibration: the sample's ``twin calibrate`` and the UCI Online Retail fit.

Two measurements, each in a fresh Python process:

* ``sample``: the whole command ``twin calibrate calibration/sample --mapping
  calibration/mappings/sample.yaml --as-of 2027-01-01 --out <tmp>`` (reading, quality, fits, open
  state, writing and the report), as the README's quick start runs it;
* ``online_retail``: map, check and fit the shared UCI Online Retail history (541,909 lines;
  ``../shared/data/online_retail`` or ``--source``), nothing written; its ``wall_s`` and
  ``cpu_s`` are those three steps inside the process, each also given alone.

The machine is shared, so the figure to compare is CPU seconds (user + system of the child
process, from ``resource.getrusage``); wall seconds are printed beside them. With ``--start
TREE``, a checkout of the commit to compare with (``git worktree add --detach ../twin-start
8d175a4``), each measurement runs on both trees in turn (start, current, start, current, ...),
the child importing ``twin`` from TREE through ``PYTHONPATH``, and ``ratio`` is the start's best
CPU seconds over the current tree's: ratios from one run, never across runs.

Prints one JSON line. Usage: ``python benchmarks/bench_calibration.py [--start TREE]
[--repeat 1] [--only sample|online_retail] [--source DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_ARGS = [
    "calibration/sample",
    "--mapping",
    "calibration/mappings/sample.yaml",
    "--as-of",
    "2027-01-01",
]
MEASUREMENTS = ("sample", "online_retail")


def online_retail_phases(source: Path) -> dict:
    """Map, check and fit the Online Retail history in this process: seconds of each step."""
    import pandas as pd

    from twin.calibration.calibrate import calibrate_history
    from twin.calibration.mapping import apply_mapping
    from twin.calibration.quality import check_history

    phases: dict = {}
    wall, cpu = time.perf_counter(), time.process_time()
    mapped = apply_mapping(ROOT / "calibration" / "mappings" / "online_retail.yaml", source)
    phases["map_s"] = time.perf_counter() - wall
    t = time.perf_counter()
    quality = check_history(mapped.tables, as_of=pd.Timestamp("2012-01-01"))
    phases["quality_s"] = time.perf_counter() - t
    t = time.perf_counter()
    calibrate_history(quality.tables, name="online-retail")
    phases["fit_s"] = time.perf_counter() - t
    phases["wall_s"] = time.perf_counter() - wall
    phases["cpu_s"] = time.process_time() - cpu
    phases["rows"] = mapped.rows_read["order_lines"]
    return phases


def _child(command: list[str], tree: Path) -> tuple[float, float, str]:
    """Run ``command`` with ``twin`` imported from ``tree``: (CPU s, wall s, its stdout)."""
    env = dict(os.environ, PYTHONPATH=str(tree), TWIN_PSEUDONYM_KEY="0" * 64)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed in {tree}:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, done.stdout


def measure(what: str, tree: Path, source: Path) -> dict:
    """One measurement of ``what`` with the ``twin`` of ``tree``."""
    if what == "sample":
        with tempfile.TemporaryDirectory() as folder:
            out = str(Path(folder) / "sample")
            # -P: the working folder (this tree) must not come before PYTHONPATH on sys.path
            command = [
                sys.executable,
                "-P",
                "-m",
                "twin.cli",
                "calibrate",
                *SAMPLE_ARGS,
                "--out",
                out,
            ]
            cpu, wall, _ = _child(command, tree)
        return {"cpu_s": cpu, "wall_s": wall}
    command = [sys.executable, "-P", __file__, "--child", "--source", str(source)]
    cpu, wall, stdout = _child(command, tree)
    return {**json.loads(stdout), "process_cpu_s": cpu, "process_wall_s": wall}


def best(runs: list[dict]) -> dict:
    """The run with the fewest CPU seconds, rounded for printing."""
    chosen = min(runs, key=lambda run: run["cpu_s"])
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in chosen.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(ROOT.parent / "shared" / "data" / "online_retail"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--start", help="checkout of the commit to compare with")
    parser.add_argument("--only", choices=MEASUREMENTS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    source = Path(args.source)
    if args.child:  # inside the measured process: the Online Retail steps alone
        print(json.dumps(online_retail_phases(source)))
        return
    todo = [args.only] if args.only else list(MEASUREMENTS)
    if "online_retail" in todo and not source.is_dir():
        print(f"no Online Retail data at {source}: measuring the sample only", file=sys.stderr)
        todo.remove("online_retail")
    trees = {"current": ROOT}
    if args.start:
        trees = {"start": Path(args.start).resolve(), "current": ROOT}
    runs: dict = {name: {what: [] for what in todo} for name in trees}
    for _ in range(args.repeat):
        for what in todo:
            for name, tree in trees.items():  # alternated, so drift hits both alike
                runs[name][what].append(measure(what, tree, source))
    result: dict = {"cpu": "user + system s of the child process; best of repeat"}
    for name in trees:
        result[name] = {what: best(runs[name][what]) for what in todo}
    if args.start:
        result["start_tree"] = str(args.start)
        result["ratio"] = {
            what: round(result["start"][what]["cpu_s"] / result["current"][what]["cpu_s"], 2)
            for what in todo
        }
    result["repeat"] = args.repeat
    print(json.dumps(result))


if __name__ == "__main__":
    main()
