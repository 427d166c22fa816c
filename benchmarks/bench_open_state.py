"""Benchmark the open state's share of calibrating the sample: ``twin calibrate --as-of``'s phases.

Runs, in one process, what ``twin calibrate calibration/sample --mapping
calibration/mappings/sample.yaml --as-of 2027-01-01`` runs before writing (mapping, quality,
fitting, and the open state, :func:`twin.calibration.open_state.build_open_state`) twice,
interleaved: without the state (and without the stock ledger ``stock_moves.parquet``, which
only the state reads) and with both. Prints one JSON line: each variant's phases in CPU seconds
(best of ``--repeat``), the time the state adds (the ledger's mapping and checking and the
state's build; the fits, which read no ledger, are the same work in both) and its share of the
calibration without it (``state_added_pct``; the bound is 10 %). Writing the files and the PDF
report, the same in both, is left out, so the share is an upper bound of the whole command's.

Usage: ``python benchmarks/bench_open_state.py [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

from twin.calibration.calibrate import calibrate_history
from twin.calibration.mapping import apply_mapping
from twin.calibration.mapping_schema import HistoryMapping, load_mapping
from twin.calibration.open_state import build_open_state
from twin.calibration.quality import check_history

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "calibration" / "sample"
MAPPING = ROOT / "calibration" / "mappings" / "sample.yaml"
AS_OF = pd.Timestamp("2027-01-01")


def run_once(mapping: HistoryMapping, state: bool) -> dict[str, float]:
    """One calibration's phases, CPU seconds of this process (the machine may be shared, which
    wall time would measure too); without the state, the history has no stock ledger either."""
    tables = [name for name in mapping.tables if state or name != "stock_moves"]
    phases = {}
    start = time.process_time()
    mapped = apply_mapping(mapping, SAMPLE, tables=tables)
    phases["map_s"] = time.process_time() - start
    t = time.process_time()
    quality = check_history(
        mapped.tables,
        as_of=AS_OF,
        source_line_numbers=mapping.line_numbers_from_source,
        match=mapped.match,
        notes=mapped.notes,
        origins=mapped.origins,
        **mapping.quality_options(),
    )
    phases["quality_s"] = time.process_time() - t
    t = time.process_time()
    calibrate_history(quality.tables, name="sample")
    phases["fit_s"] = time.process_time() - t
    if state:
        t = time.process_time()
        build_open_state(mapped.tables, quality.quarantine, AS_OF, origins=mapped.origins)
        phases["state_s"] = time.process_time() - t
    phases["total_s"] = time.process_time() - start
    return phases


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(min(run[key] for run in runs), 3) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    mapping = load_mapping(MAPPING)
    without, with_state = [], []
    for _ in range(args.repeat):  # interleaved, so both see the same machine load
        without.append(run_once(mapping, state=False))
        with_state.append(run_once(mapping, state=True))
    a, b = best(without), best(with_state)
    # the fits read no stock ledger: the same work in both, so the state adds the ledger's
    # mapping and checking and the state's own build, measured against the calibration without
    added = (b["map_s"] - a["map_s"]) + (b["quality_s"] - a["quality_s"]) + b["state_s"]
    print(
        json.dumps(
            {
                "data": "sample",
                "cpu_s_without_state": a,
                "cpu_s_with_state": b,
                "state_added_s": round(added, 3),
                "state_added_pct": round(100 * added / a["total_s"], 1),
                "repeat": args.repeat,
            }
        )
    )


if __name__ == "__main__":
    main()
