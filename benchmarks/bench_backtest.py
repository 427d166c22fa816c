"""Benchmark ``twin backtest``: 4 origins x 13 weeks of the UCI Online Retail history.

Prints one JSON line: ``wall_s`` (map and check once, then per origin calibrate and simulate,
then the files and the PDF), the time of each phase, the origins, the replications, the cores
and the load average when it started (the machine may be shared), and the weekly-orders scores
over all origins (90 % coverage, bias, MASE against the naive baseline). The target of issue 12
is ``wall_s`` <= 300 on 2 cores. Needs the shared data beside the repository
(``../shared/data/online_retail``) or ``--source`` and ``--mapping``.

Usage: ``python benchmarks/bench_backtest.py [--source DIR] [--mapping FILE] [--as-of DATE]
[--replications 20] [--origins 4] [--horizon-weeks 13] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path

from twin.calibration.backtest import history_span, run_backtest
from twin.calibration.backtest_checks import DEFAULT_TOLERANCES, judge
from twin.calibration.backtest_output import write_backtest
from twin.calibration.backtest_windows import spread_origins
from twin.commands.calibrate import mapped_and_checked

ROOT = Path(__file__).resolve().parents[1]


def run_once(args: argparse.Namespace, out_dir: Path) -> dict:
    start = time.perf_counter()
    as_of = dt.datetime.fromisoformat(args.as_of) if args.as_of else None
    mapped, quality = mapped_and_checked(Path(args.mapping), args.source, as_of)
    first, end = history_span(quality.tables)
    origins = spread_origins(first, end, args.horizon_weeks, args.origins)
    mapped_s = time.perf_counter() - start
    result = run_backtest(
        quality.tables,
        origins,
        horizon_weeks=args.horizon_weeks,
        replications=args.replications,
        models_dir=out_dir / "models",
        mapped=mapped,
        source=args.source,
        mapping=args.mapping,
        seed=args.seed,
    )
    t = time.perf_counter()
    write_backtest(result, judge(result.summary, DEFAULT_TOLERANCES), out_dir, [])
    report_s = time.perf_counter() - t
    orders = result.summary.set_index(["origin", "series"]).loc[("all", "orders")]
    return {
        "wall_s": round(time.perf_counter() - start, 1),
        "map_check_s": round(mapped_s, 1),
        "calibrate_s": round(result.seconds["calibrate"], 1),
        "simulate_s": round(result.seconds["simulate"], 1),
        "report_s": round(report_s, 1),
        "origins": [o.isoformat() for o in origins],
        "orders_coverage_90": round(float(orders["coverage_90"]), 3),
        "orders_bias": round(float(orders["bias"]), 4),
        "orders_mase": round(float(orders["mase"]), 3),
        "orders_relative_mae": round(float(orders["relative_mae"]), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = ROOT.parent / "shared" / "data"
    parser.add_argument("--source", default=str(data / "online_retail"))
    parser.add_argument(
        "--mapping", default=str(ROOT / "calibration" / "mappings" / "online_retail.yaml")
    )
    parser.add_argument("--as-of", default="2012-01-01")
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--origins", type=int, default=4)
    parser.add_argument("--horizon-weeks", type=int, default=13)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", help="Keep the backtest folder here (default: a temporary one).")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    if args.out:
        figures = run_once(args, Path(args.out))
    else:
        with tempfile.TemporaryDirectory() as folder:
            figures = run_once(args, Path(folder))
    print(
        json.dumps(
            {
                "data": Path(args.source).name,
                **figures,
                "replications": args.replications,
                "horizon_weeks": args.horizon_weeks,
                "cpus": os.cpu_count(),
                "load_average_at_start": round(load, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
