"""Write a scaled copy of the baseline into a folder: more volume, a bigger catalogue, or both.

The scenario file written there ``extends:`` ``scenarios/baseline.yaml`` and changes only what
scale changes:

- **volume** ``k``: every segment's arrival rate and every staff role's headcount times ``k``
  (more orders with the same people would only measure a growing queue);
- **catalogue** ``n`` SKUs (optional; without it the baseline's 200 products stay): a
  ``products.csv`` (costs lognormal, 70 % from the domestic supplier), one SKU-mix file
  ``mix.csv`` for every segment (``sku_mix.weights_file``; lognormal weights, so a few SKUs sell
  much and most little, as in a real catalogue) and a stocking-rules file ``skus.csv``
  (``inventory.skus_file``) with each SKU's (s, S) levels in units, set the same way at every
  catalogue size (below), so 200 and 20,000 SKUs give a comparable service and the comparison
  measures the model, not a starved warehouse;
- optionally the customers of each segment (scaled to a total) and the horizon.

Each SKU's levels come from its expected daily demand mu (units; its share of the mix times the
segments' rate x mean lines per order x mean units per line) and variance sigma^2 per day
(compound Poisson: rate x lines x E[q^2]) over its supplier's lead time L (mean, variance):

    s = ceil(mu E[L] + 2 sqrt(sigma^2 E[L] + mu^2 Var[L])),   S = s + max(ceil(Q*), 2 q)

with a safety factor of two standard deviations, Q* = sqrt(2 D K / (h c)) the economic order
quantity (D = 365 mu units a year, K the scenario's cost per purchase order, h its annual
holding rate, c the SKU's unit cost; Harris 1913) and q the mean units of a line. The
days-of-demand rules of the baseline would round a slow SKU's levels to zero, back-order nearly
every line of it and place a purchase order for nearly every line.

Everything is drawn from a fixed seed, so the files are the same on every call.
``python benchmarks/distributor/make_scenario.py FOLDER`` writes the mid-size distributor
(:func:`distributor`) there, to run with ``twin run FOLDER/scenario.yaml``;
``benchmarks/bench_scale.py`` times it.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from twin.scenario.loader import load
from twin.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SEED = 17
SAFETY = 2.0
DISTRIBUTOR_LINES_PER_YEAR = 2_000_000


@dataclass(frozen=True)
class Scale:
    """What a scaled scenario changes: volume factor, SKUs (None: the baseline's), customers in
    total (None: the baseline's), horizon and warm-up (None: the baseline's), days."""

    volume: float = 1.0
    skus: int | None = None
    customers: int | None = None
    horizon_days: float | None = None
    warmup_days: float | None = None


def _demand(base: Scenario, volume: float) -> tuple[float, float, float]:
    """Units per day, variance of units per day, mean units per line: the whole business."""
    mean = var = lines = 0.0
    for segment in base.segments.values():
        lines_per_day = segment.arrivals.rate_per_day * volume * segment.lines_per_order.mean
        q = segment.quantity
        mean += lines_per_day * q.mean
        var += lines_per_day * (q.variance + q.mean**2)
        lines += lines_per_day
    return mean, var, mean / lines


def write_catalogue(folder: Path, base: Scenario, n_skus: int, volume: float) -> None:
    """``products.csv``, ``mix.csv`` and ``skus.csv`` for ``n_skus`` SKUs (see the module)."""
    rng = np.random.default_rng(SEED)
    skus = [f"S{i:05d}" for i in range(n_skus)]
    cost = np.round(rng.lognormal(1.8, 1.0, n_skus), 2) + 0.05
    domestic = rng.random(n_skus) < 0.7
    supplier = np.where(domestic, "northwind", "far-east")
    weight = np.round(rng.lognormal(0.0, 1.0, n_skus) * 100).astype(int) + 1
    pd.DataFrame(
        {"sku": skus, "unit_cost": cost, "price": np.round(cost * 1.4, 2), "supplier": supplier}
    ).to_csv(folder / "products.csv", index=False)
    pd.DataFrame({"sku": skus, "weight": weight}).to_csv(folder / "mix.csv", index=False)
    mean, var, per_line = _demand(base, volume)
    share = weight / weight.sum()
    mu, sigma2 = share * mean, share * var
    lead = {name: s.lead_time_days for name, s in base.suppliers.items()}
    lead_mean = np.array([lead[s].mean for s in supplier])
    lead_var = np.array([lead[s].variance for s in supplier])
    s = np.ceil(mu * lead_mean + SAFETY * np.sqrt(sigma2 * lead_mean + mu**2 * lead_var))
    costs = base.costs
    eoq = np.sqrt(2 * 365 * mu * costs.ordering.per_order / (costs.holding.annual_rate * cost))
    big_s = s + np.maximum(np.ceil(eoq), 2 * math.ceil(per_line))
    pd.DataFrame(
        {
            "sku": skus,
            "policy": "min_max",
            "reorder_point": s.astype(int),
            "order_up_to": big_s.astype(int),
        }
    ).to_csv(folder / "skus.csv", index=False)


def write_scenario(folder: Path, scale: Scale, name: str | None = None) -> Path:
    """Write the scaled scenario (and its catalogue files) into ``folder``; its path."""
    folder.mkdir(parents=True, exist_ok=True)
    base = load(Scenario, BASELINE)
    data: dict = {"extends": BASELINE.as_posix(), "name": name or "scaled"}
    run = {"horizon_days": scale.horizon_days, "warmup_days": scale.warmup_days}
    if any(value is not None for value in run.values()):
        data["run"] = {key: value for key, value in run.items() if value is not None}
    if scale.skus is not None:
        write_catalogue(folder, base, scale.skus, scale.volume)
        data.update(products=None, products_file="products.csv")
        data["inventory"] = {"skus_file": "skus.csv"}
    total = sum(segment.customers for segment in base.segments.values())
    segments = data["segments"] = {}
    for segment_name, segment in base.segments.items():
        entry = segments[segment_name] = {
            "arrivals": {"rate_per_day": segment.arrivals.rate_per_day * scale.volume}
        }
        if scale.customers is not None:
            entry["customers"] = max(1, round(segment.customers * scale.customers / total))
        if scale.skus is not None:
            entry["sku_mix"] = {"kind": "weights", "weights": None, "weights_file": "mix.csv"}
    data["staffing"] = {
        role_name: {"headcount": max(1, round(role.headcount * scale.volume))}
        for role_name, role in base.staffing.roles().items()
    }
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def distributor() -> Scale:
    """The mid-size distributor: 20,000 SKUs, 3,000 customers, 2 M order lines a year (the
    baseline's volume scaled to that), one year after a month's warm-up."""
    base = load(Scenario, BASELINE)
    lines_per_day = sum(
        segment.arrivals.rate_per_day * segment.lines_per_order.mean
        for segment in base.segments.values()
    )
    volume = DISTRIBUTOR_LINES_PER_YEAR / 365.0 / lines_per_day
    return Scale(volume=volume, skus=20_000, customers=3_000, horizon_days=395, warmup_days=30)


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the mid-size distributor's scenario.")
    parser.add_argument("folder", type=Path, help="where to write scenario.yaml and its files")
    folder = parser.parse_args().folder
    print(write_scenario(folder, distributor(), "distributor"))


if __name__ == "__main__":
    main()
