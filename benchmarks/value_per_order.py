"""Value per order: a data set's history against a run of the model calibrated from it.

Maps and checks the history (as ``twin calibrate`` does), fits the model into a temporary
folder (with its ``prices.parquet`` when calibration writes one), runs it ``--replications``
times for ``--days`` days and prints one JSON line: ``history`` (Σ quantity x unit_price -
discount of the ordered lines of orders not cancelled, per order), ``twin`` (the simulated
orders' ``value`` per order), ``relative_error`` and ``prices_file`` (whether one was written),
and the same for units per order (``history_units``, ``twin_units``, ``units_error``: ordered
units of the lines, per order). With ``--list-prices`` the run ignores the prices file (each SKU
at its median price, each line's units from the segment's ``quantity``).

Usage: ``python benchmarks/value_per_order.py online_retail [--days 120] [--replications 3]``;
the data set is a mapping name of ``calibration/mappings``, read from ``../shared/data/<name>``
(``calibration/sample`` for ``sample``) or ``--source``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
from pathlib import Path

from twin.calibration.base_values import orders_with_lines
from twin.calibration.calibrate import calibrate_history
from twin.calibration.line_prices import net_unit_prices
from twin.calibration.output import write_model
from twin.commands.calibrate import mapped_and_checked
from twin.model.network import run_replication
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--source", type=Path)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--list-prices", action="store_true")
    args = parser.parse_args()
    sample = args.name == "sample"
    source = args.source or (
        ROOT / "calibration" / "sample" if sample else ROOT / ".." / "shared" / "data" / args.name
    )
    mapping = ROOT / "calibration" / "mappings" / f"{args.name}.yaml"
    as_of = dt.datetime(2027, 1, 1) if sample else None
    mapped, quality = mapped_and_checked(mapping, str(source), as_of)
    orders, lines = orders_with_lines(quality.tables, "Calibration", "to fit")
    history = float((net_unit_prices(lines) * lines["quantity"]).sum() / len(orders))
    history_units = float(lines["quantity"].sum() / len(orders))
    calibration = calibrate_history(quality.tables, name=args.name)
    with tempfile.TemporaryDirectory() as folder:
        paths = write_model(Path(folder), calibration, mapped, str(source), str(mapping))
        overrides = [f"run.horizon_days={args.days}", "run.warmup_days=0"]
        if args.list_prices:
            overrides.append("prices_file=null")
        scenario = load(Scenario, paths["model"], overrides)
        values, units, count = 0.0, 0.0, 0
        for replication in range(args.replications):
            orders_out = run_replication(scenario, replication).tables["orders"]
            values += float(orders_out["value"].sum())
            units += float(orders_out["units"].sum())
            count += len(orders_out)
    twin = values / count
    twin_units = units / count
    print(
        json.dumps(
            {
                "data_set": args.name,
                "history": round(history, 4),
                "twin": round(twin, 4),
                "relative_error": round(twin / history - 1.0, 4),
                "history_units": round(history_units, 4),
                "twin_units": round(twin_units, 4),
                "units_error": round(twin_units / history_units - 1.0, 4),
                "prices_file": "prices" in paths and not args.list_prices,
                "orders_simulated": count,
                "days": args.days,
                "replications": args.replications,
            }
        )
    )


if __name__ == "__main__":
    main()
