"""Measure the arrival overdispersion fit on a history: fitted (s, a), dispersion before and after,
and the variance of daily and weekly order counts, simulated against history.

For each segment, exactly as ``twin calibrate`` fits it, the script takes the history's daily
counts ``y_d`` and fitted calendar means ``mu_d`` and simulates the same days ``--reps`` times,
once as Poisson (the twin before overdispersion) and once with the fitted day multiplier. It
prints one JSON line per segment:

- ``sd_log``, ``autocorrelation``: the fitted multiplier (0 when Poisson);
- ``dispersion_history``: Pearson chi-square / dof of the history around ``mu``;
  ``dispersion_poisson``, ``dispersion_noise``: the same index of the simulated counts;
- ``daily_var_*`` and ``weekly_var_*``: variance of the daily counts and of the 7-day totals
  (history; mean over simulations, Poisson and with the multiplier).

Usage: ``python benchmarks/bench_overdispersion.py SOURCE --mapping MAPPING [--as-of DATE]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import numpy as np

from twin.calibration.base_values import orders_with_lines
from twin.calibration.fit_report import FitReport
from twin.calibration.segments import active_period, fit_segment_arrivals, segments_of_orders
from twin.commands.calibrate import mapped_and_checked
from twin.model.arrivals import rate_multipliers
from twin.scenario.arrivals import PoissonArrivals


def weekly(counts: np.ndarray) -> np.ndarray:
    k = counts.shape[-1] // 7
    return counts[..., : 7 * k].reshape(*counts.shape[:-1], k, 7).sum(axis=-1)


def pearson(counts: np.ndarray, mu: np.ndarray, n_parameters: int) -> float:
    used = mu > 0
    return float(
        np.mean(np.sum((counts[..., used] - mu[used]) ** 2 / mu[used], axis=-1))
        / (used.sum() - n_parameters)
    )


def measure(source: str, mapping: Path, as_of: dt.datetime | None, reps: int) -> list[dict]:
    _, quality = mapped_and_checked(mapping, source, as_of)
    tables = quality.tables
    orders, _ = orders_with_lines(tables, "Measure", "to fit")
    first_day, last_day = active_period(orders["ordered_at"])
    segment = segments_of_orders(tables, orders, FitReport())
    rows = []
    for name, seg_orders in orders.groupby(segment, sort=True):
        notes: list[str] = []
        fit, _ = fit_segment_arrivals(
            seg_orders["ordered_at"],
            first_day,
            last_day,
            last_day + dt.timedelta(days=1),
            notes,
            name,
            tables,
        )
        y = fit.daily["orders"].to_numpy()
        mu = fit.daily["fitted"].to_numpy()
        p = int(fit.table["se"].notna().sum())
        spec = PoissonArrivals.model_validate(fit.spec)
        rng = np.random.default_rng(2026)
        poisson = rng.poisson(np.broadcast_to(mu, (reps, mu.size)))
        if spec.overdispersion is not None:
            m = np.stack([rate_multipliers(spec, rng, mu.size) for _ in range(reps)])
        else:
            m = np.ones((reps, mu.size))
        noisy = rng.poisson(mu * m)
        od = fit.spec.get("overdispersion", {})
        rows.append(
            {
                "segment": name,
                "days": int(y.size),
                "orders_per_day": round(float(y.mean()), 2),
                "sd_log": round(od.get("sd_log", 0.0), 4),
                "autocorrelation": round(od.get("autocorrelation", 0.0), 3),
                "dispersion_history": round(fit.dispersion, 2),
                "dispersion_poisson": round(pearson(poisson, mu, p), 2),
                "dispersion_noise": round(pearson(noisy, mu, p), 2),
                "daily_var_history": round(float(y.var()), 1),
                "daily_var_poisson": round(float(poisson.var(axis=1).mean()), 1),
                "daily_var_noise": round(float(noisy.var(axis=1).mean()), 1),
                "weekly_var_history": round(float(weekly(y).var()), 1),
                "weekly_var_poisson": round(float(weekly(poisson).var(axis=1).mean()), 1),
                "weekly_var_noise": round(float(weekly(noisy).var(axis=1).mean()), 1),
                "uncertainty": {k: round(v, 4) for k, v in fit.spec["uncertainty"].items()},
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("--mapping", type=Path, required=True)
    parser.add_argument("--as-of", type=dt.datetime.fromisoformat, default=None)
    parser.add_argument("--reps", type=int, default=200)
    args = parser.parse_args()
    for row in measure(args.source, args.mapping, args.as_of, args.reps):
        print(json.dumps(row))


if __name__ == "__main__":
    main()
