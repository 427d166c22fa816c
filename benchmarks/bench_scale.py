"""Benchmark scale: CPU time per order line, heap events and peak memory as volume and SKUs grow.

Cases, each one replication in a fresh Python process (``twin.model.network.run_replication``:
build, simulation and collection of the tables, no KPIs):

- ``x1`` .. ``x8``: the baseline with every segment's arrival rate and every staff role's
  headcount times 1, 2, 4, 8 (its 200 SKUs);
- ``skus200`` .. ``skus20000``: the baseline's volume over a generated catalogue of that many SKUs
  (``products_file``, ``sku_mix.weights_file``, ``inventory.skus_file``; every size built the
  same way, see ``benchmarks/distributor/make_scenario.py``), written to a temporary folder;
- ``distributor``: the mid-size distributor, 20,000 SKUs, 3,000 customers, 2 M lines a year.

Each child prints its CPU seconds (``time.process_time``), the order lines, the events SimPy
scheduled and processed (its event counter, so counting costs nothing), the resident memory
before the run and the peak after it (``resource.getrusage(...).ru_maxrss``; the child is exec'd
from this small parent, whose peak is below any child's), the scenario's load time, shipments,
purchase orders and fill rate (so a bigger catalogue is seen to give a comparable service).

The cases run interleaved: every repeat runs each case once, in an order rotated by one each
repeat, so machine drift does not land on one case. Per case the figure is the minimum CPU over
the repeats and the largest peak memory. The ratios the issue asks for come from those: time per
line of x2/x4/x8 over x1; 2,000 and 20,000 SKUs over 200 in CPU time and in peak memory.

Prints one line per run as it goes and a JSON summary at the end. Usage::

    nice -n 5 .venv/bin/python benchmarks/bench_scale.py [--repeat 2] [--volumes 1 2 4 8]
        [--skus 200 2000 20000] [--no-distributor]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "distributor"))

from make_scenario import Scale, distributor, write_scenario

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, re, resource, sys, time
from pathlib import Path
import simpy
from twin.model.network import run_replication
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

made = []
init = simpy.Environment.__init__


def remember(env, *args, **kwargs):
    init(env, *args, **kwargs)
    made.append(env)


simpy.Environment.__init__ = remember
start = time.perf_counter()
scenario = load(Scenario, Path(sys.argv[1]))
load_s = time.perf_counter() - start
base_kb = int(re.search(r"VmRSS:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
cpu = time.process_time()
result = run_replication(scenario, 0)
cpu = time.process_time() - cpu
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
env = made[-1]
scheduled = next(env._eid)  # simpy numbers every scheduled event from 0
orders = result.tables["orders"]
print(json.dumps({
    "cpu_s": cpu,
    "load_s": load_s,
    "lines": int(orders["lines"].sum()),
    "events_scheduled": scheduled,
    "events": scheduled - len(env._queue),
    "base_rss_mb": base_kb / 1024,
    "peak_rss_mb": peak_kb / 1024,
    "shipments": len(result.tables["shipments"]),
    "purchases": len(result.tables["purchases"]),
    "fill_rate": float(orders["units_filled"].sum() / max(orders["units"].sum(), 1)),
}))
"""


def measure(scenario: Path) -> dict:
    """One replication of ``scenario`` in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(scenario)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{scenario} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cases(folder: Path, volumes: list[float], skus: list[int], with_distributor: bool) -> dict:
    """Case name -> scenario file, written under ``folder``."""
    files = {}
    for volume in volumes:
        name = f"x{volume:g}"
        files[name] = write_scenario(folder / name, Scale(volume=volume), name)
    for n in skus:
        name = f"skus{n}"
        files[name] = write_scenario(folder / name, Scale(skus=n), name)
    if with_distributor:
        files["distributor"] = write_scenario(folder / "distributor", distributor(), "distributor")
    return files


def summarise(runs: dict[str, list[dict]]) -> dict:
    """Per case the least CPU and the largest peak memory; the ratios the issue asks for."""
    rows = {}
    for name, measured in runs.items():
        best = min(measured, key=lambda m: m["cpu_s"])
        rows[name] = {
            "cpu_s": round(best["cpu_s"], 3),
            "lines": best["lines"],
            "cpu_us_per_line": round(1e6 * best["cpu_s"] / best["lines"], 3),
            "events": best["events"],
            "events_per_line": round(best["events"] / best["lines"], 4),
            "peak_rss_mb": round(max(m["peak_rss_mb"] for m in measured)),
            "run_rss_mb": round(max(m["peak_rss_mb"] - m["base_rss_mb"] for m in measured)),
            "load_s": round(min(m["load_s"] for m in measured), 2),
            "shipments_per_line": round(best["shipments"] / best["lines"], 4),
            "purchases": best["purchases"],
            "fill_rate": round(best["fill_rate"], 4),
        }
    ratios = {}
    if "x1" in rows:
        for name, row in rows.items():
            if name.startswith("x") and name != "x1":
                key = f"{name}_vs_x1_time_per_line"
                ratios[key] = round(row["cpu_us_per_line"] / rows["x1"]["cpu_us_per_line"], 3)
    if "skus200" in rows:
        small = rows["skus200"]
        for name, row in rows.items():
            if name.startswith("skus") and name != "skus200":
                ratios[f"{name}_vs_skus200_time"] = round(row["cpu_s"] / small["cpu_s"], 3)
                ratios[f"{name}_vs_skus200_peak_rss"] = round(
                    row["peak_rss_mb"] / small["peak_rss_mb"], 3
                )
    return {"cases": rows, "ratios": ratios}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--volumes", type=float, nargs="*", default=[1, 2, 4, 8])
    parser.add_argument("--skus", type=int, nargs="*", default=[200, 2000, 20000])
    parser.add_argument("--no-distributor", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="twin-scale-") as tmp:
        files = cases(Path(tmp), args.volumes, args.skus, not args.no_distributor)
        names = list(files)
        runs: dict[str, list[dict]] = {name: [] for name in names}
        for repeat in range(args.repeat):
            shift = repeat % len(names)
            for name in names[shift:] + names[:shift]:  # rotated: drift spreads over the cases
                measured = measure(files[name])
                runs[name].append(measured)
                print(
                    f"{name:12s} {measured['cpu_s']:7.2f} CPU s  {measured['lines']:9,d} lines  "
                    f"{measured['peak_rss_mb']:6.0f} MB peak",
                    file=sys.stderr,
                    flush=True,
                )
    print(json.dumps({"repeat": args.repeat, **summarise(runs)}))


if __name__ == "__main__":
    main()
