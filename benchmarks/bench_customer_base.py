"""Benchmark customer-level demand against aggregate arrivals at the same order volume.

Builds two scenarios from ``scenarios/baseline.yaml`` that differ only in where the web segment's
orders come from: ``--customers`` known customers (synthetic Pareto/NBD histories, written to a
temporary CSV) plus new customers, or one aggregate Poisson rate with the web segment's weekday and
month pattern, set to the cohort's expected orders per day (closed form, no trend), so both runs
place about the same number of orders. Times one replication of each, alternating, and prints one
JSON line:

- ``aggregate_wall_s``, ``customer_wall_s``: the minimum over ``--repeat`` runs of one replication
  (build and simulation, as ``run_replication`` does it);
- ``ratio`` = customer_wall_s / aggregate_wall_s (the issue asks for at most 1.3);
- ``aggregate_orders``, ``customer_orders``: orders placed in each (replication 0);
- ``cohort_draw_s``: the time of the cohort's own draws (parameters, states, candidate orders).

Usage: ``python benchmarks/bench_customer_base.py [--customers 5000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from twin.model.customer_base import (
    candidate_orders,
    draw_cohort,
    expected_new_customer_purchases,
    expected_purchases,
    synthetic_history,
)
from twin.model.network import run_replication
from twin.scenario.schema import Scenario
from twin.scenario.yaml_source import load_yaml
from twin.streams import Streams

ROOT = Path(__file__).resolve().parents[1]
SEGMENT = "web"
PARAMETERS = {"r": 1.0, "alpha": 30.0, "s": 0.5, "beta": 300.0}
NEW_PER_DAY = 8.0


def scenarios(customers: int, folder: Path) -> tuple[Scenario, Scenario]:
    """The aggregate and the customer-level scenario at the same expected volume."""
    history = synthetic_history(
        "pareto_nbd", PARAMETERS, customers, (30.0, 1000.0), np.random.default_rng(2026)
    )
    path = folder / "customers.csv"
    pd.DataFrame(history).to_csv(path, index=False)
    data, _ = load_yaml(ROOT / "scenarios" / "baseline.yaml")
    horizon = float(data["run"]["horizon_days"])
    known = expected_purchases(
        "pareto_nbd",
        PARAMETERS,
        horizon,
        history["frequency"],
        history["recency_days"],
        history["age_days"],
    ).sum()
    arrival_days = np.linspace(0.0, horizon, 2001)
    repeats = np.trapezoid(
        expected_new_customer_purchases("pareto_nbd", PARAMETERS, horizon - arrival_days),
        arrival_days,
    )
    per_day = (known + NEW_PER_DAY * (horizon + repeats)) / horizon
    segment = data["segments"][SEGMENT]
    segment["customers"] = customers
    arrivals = segment["arrivals"]
    arrivals.update(rate_per_day=float(per_day), trend_per_year=0.0)
    arrivals.pop("trend_changes", None)
    aggregate = Scenario.model_validate(data)
    cohort = copy.deepcopy(data)
    cohort["segments"][SEGMENT]["customer_base"] = {
        "model": "pareto_nbd",
        "parameters": PARAMETERS,
        "customers_file": str(path),
        "new_customers": {"kind": "poisson", "rate_per_day": NEW_PER_DAY},
    }
    return aggregate, Scenario.model_validate(cohort)


def timed(scenario: Scenario) -> tuple[float, int]:
    gc.collect()
    start = time.perf_counter()
    result = run_replication(scenario, 0)
    return time.perf_counter() - start, len(result.tables["orders"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        aggregate, cohort = scenarios(args.customers, Path(folder))
        walls: dict[str, list[float]] = {"aggregate": [], "customer": []}
        orders: dict[str, int] = {}
        for _ in range(args.repeat):
            for name, scenario in (("aggregate", aggregate), ("customer", cohort)):
                wall, n = timed(scenario)
                walls[name].append(wall)
                orders[name] = n
        start = time.perf_counter()
        streams = Streams(cohort.run.seed, 0)
        drawn = draw_cohort(cohort.segments[SEGMENT], SEGMENT, cohort, streams)
        candidate_orders(drawn, streams, SEGMENT)
        draw_s = time.perf_counter() - start
    aggregate_s, customer_s = min(walls["aggregate"]), min(walls["customer"])
    print(
        json.dumps(
            {
                "customers": args.customers,
                "aggregate_wall_s": round(aggregate_s, 3),
                "customer_wall_s": round(customer_s, 3),
                "ratio": round(customer_s / aggregate_s, 3),
                "aggregate_orders": orders["aggregate"],
                "customer_orders": orders["customer"],
                "cohort_draw_s": round(draw_s, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
