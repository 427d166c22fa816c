"""Benchmark calibration: ingest, check and fit the full UCI Online Retail history.

Prints one JSON line: ``rows`` (raw order lines read), ``wall_s`` (mapping + quality + fitting,
best of ``--repeat``), ``rows_per_s``, and the time of each phase. Needs the shared data set
beside the repository (``../shared/data/online_retail``) or ``--source``.

Usage: ``python benchmarks/bench_calibration.py [--source DIR] [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

from twin.calibration.calibrate import calibrate_history
from twin.calibration.mapping import apply_mapping
from twin.calibration.quality import check_history

ROOT = Path(__file__).resolve().parents[1]


def run_once(source: Path) -> dict:
    phases = {}
    start = time.perf_counter()
    mapped = apply_mapping(ROOT / "calibration" / "mappings" / "online_retail.yaml", source)
    phases["map_s"] = time.perf_counter() - start
    t = time.perf_counter()
    quality = check_history(mapped.tables, as_of=pd.Timestamp("2012-01-01"))
    phases["quality_s"] = time.perf_counter() - t
    t = time.perf_counter()
    calibrate_history(quality.tables, name="online-retail")
    phases["fit_s"] = time.perf_counter() - t
    phases["wall_s"] = time.perf_counter() - start
    phases["rows"] = mapped.rows_read["order_lines"]
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(ROOT.parent / "shared" / "data" / "online_retail"))
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    runs = [run_once(Path(args.source)) for _ in range(args.repeat)]
    best = min(runs, key=lambda r: r["wall_s"])
    print(
        json.dumps(
            {
                "data": "online_retail",
                "rows": best["rows"],
                "wall_s": round(best["wall_s"], 3),
                "rows_per_s": round(best["rows"] / best["wall_s"]),
                **{k: round(v, 3) for k, v in best.items() if k.endswith("_s") and k != "wall_s"},
                "repeat": args.repeat,
            }
        )
    )


if __name__ == "__main__":
    main()
