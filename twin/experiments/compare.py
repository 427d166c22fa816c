"""Compare variants of a scenario on common random numbers.

Replication r of every variant runs on the same ``run.seed``, so it sees the same random numbers
(``twin.streams``): the same order arrivals, order contents, lead-time draws, payment delays. The
difference of a KPI between a variant and the base is therefore computed per replication (a
*paired* difference) and its Student-t interval is taken over those differences; the noise common
to both cancels, which is why the interval is narrower than that of two independent runs
(Law, *Simulation Modeling and Analysis*, 5th ed., §11.2).

:func:`run_variants` runs the replications through a :class:`~twin.experiments.runner.JobRunner`
(one job per variant and replication, keyed by the scenario hash, so identical variants share
their results and a result store can resume an interrupted comparison). :func:`compare_table`
gives the long comparison table; :mod:`twin.experiments.precision` adds replications until
chosen KPIs' intervals are narrow enough.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from twin import __version__
from twin.errors import InputError
from twin.experiments.jobs import Failure, raise_bad_input, scenario_hash
from twin.experiments.output import package_versions
from twin.experiments.replicate import ReplicationOutput, replication_job
from twin.experiments.runner import JobRunner
from twin.kpis import kpi_units
from twin.scenario.footprint import check_fits
from twin.scenario.schema import Scenario
from twin.scenario.variants import Variants
from twin.stats import t_interval
from twin.tables import COMPARISON_COLUMNS


@dataclass(frozen=True)
class VariantFailure:
    """A replication of a variant that raised; it is left out of every statistic."""

    variant: str
    replication: int
    failure: Failure


@dataclass
class VariantRuns:
    """The replications of every variant of a comparison.

    Attributes
    ----------
    variants : Variants
        The scenarios compared, base first.
    replications : int
        Replications run per variant (0 .. replications - 1).
    outputs : dict of str to list of ReplicationOutput
        Variant -> its successful replications, in replication order.
    failures : list of VariantFailure
        Replications that raised.
    """

    variants: Variants
    replications: int
    outputs: dict[str, list[ReplicationOutput]]
    failures: list[VariantFailure] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.variants.base

    @property
    def names(self) -> list[str]:
        return self.variants.names

    def kpis(self) -> pd.DataFrame:
        """``variant, replication, seed``, then one column per KPI; one row per replication."""
        rows = [
            {"variant": name, "replication": out.replication, "seed": out.seed, **out.kpis}
            for name in self.names
            for out in self.outputs.get(name, [])
        ]
        return pd.DataFrame(rows, columns=_kpi_frame_columns(rows))

    def kpi_names(self) -> list[str]:
        """Every KPI any variant reported, in order of first appearance."""
        return [c for c in self.kpis().columns if c not in ("variant", "replication", "seed")]

    def units(self) -> dict[str, str]:
        roles = scenario_roles(list(self.variants.scenarios.values()))
        return kpi_units(roles, self.kpi_names())

    def daily(self) -> pd.DataFrame:
        """Daily levels of every replication, with a leading ``variant`` column."""
        return _tagged(self, "daily")

    def lead_times(self) -> pd.DataFrame:
        """Lead-time quantiles of every replication, with a leading ``variant`` column."""
        return _tagged(self, "lead_times")

    def notes(self) -> list[str]:
        return sorted({n for outs in self.outputs.values() for out in outs for n in out.notes})


def _kpi_frame_columns(rows: list[dict]) -> list[str]:
    columns = ["variant", "replication", "seed"]
    seen = set(columns)
    for row in rows:
        for key in row:
            if key not in seen:
                seen.add(key)
                columns.append(key)
    return columns


def _tagged(runs: VariantRuns, table: str) -> pd.DataFrame:
    frames = []
    for name in runs.names:
        for out in runs.outputs.get(name, []):
            frame = getattr(out, table).copy()
            frame.insert(0, "variant", name)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"variant": []})


def run_variants(
    variants: Variants,
    replications: int,
    runner: JobRunner | None = None,
    previous: VariantRuns | None = None,
) -> VariantRuns:
    """Run replications 0 .. replications - 1 of every variant.

    Parameters
    ----------
    variants : Variants
        The scenarios, base first.
    replications : int
        Replications per variant.
    runner : JobRunner, optional
        Where the jobs run (serially in this process by default). All jobs go to it at once, so
        a parallel runner keeps every worker busy across variants.
    previous : VariantRuns, optional
        Replications already run for the same variants; only the missing ones are run.

    Returns
    -------
    VariantRuns
        One output per variant and replication (or a failure).
    """
    runner = runner or JobRunner()
    done: dict[str, dict[int, ReplicationOutput]] = {name: {} for name in variants.names}
    failures: list[VariantFailure] = []
    if previous is not None:
        for name, outs in previous.outputs.items():
            done[name] = {out.replication: out for out in outs}
        failures = [f for f in previous.failures if f.replication < replications]
    failed = {(f.variant, f.replication) for f in failures}
    wanted: list[tuple[str, int, str]] = []
    jobs = {}
    for name, scenario in variants.scenarios.items():
        check_fits(scenario, getattr(runner.executor, "workers", 1), replications)
        for r in range(replications):
            if r in done[name] or (name, r) in failed:
                continue
            job = replication_job(scenario, r)
            # a variant identical to another (same hash) runs once and shares the result
            jobs.setdefault(job.key, job)
            wanted.append((name, r, job.key))
    keys = list(jobs)
    outcomes = dict(zip(keys, runner.run([jobs[k] for k in keys]), strict=True))
    raise_bad_input(list(outcomes.values()))
    for name, r, key in wanted:
        outcome = outcomes[key]
        if isinstance(outcome, Failure):
            failures.append(VariantFailure(name, r, outcome))
        else:
            done[name][r] = outcome
    outputs = {name: [done[name][r] for r in sorted(done[name])] for name in variants.names}
    failures.sort(key=lambda f: (variants.names.index(f.variant), f.replication))
    return VariantRuns(variants, replications, outputs, failures)


# --- the comparison table ------------------------------------------------------------------


def paired(kpis: pd.DataFrame, base: str, variant: str, kpi: str) -> np.ndarray:
    """Per-replication differences ``variant - base`` of one KPI, over the replications where
    both have a value (a NaN or a failed replication drops out of the pair)."""
    if kpi not in kpis.columns:
        return np.array([])
    b = kpis.loc[kpis["variant"] == base, ["replication", kpi]]
    v = kpis.loc[kpis["variant"] == variant, ["replication", kpi]]
    both = v.merge(b, on="replication", suffixes=("_v", "_b")).dropna()
    return (both[f"{kpi}_v"] - both[f"{kpi}_b"]).to_numpy(dtype=float)


def compare_table(runs: VariantRuns, confidence: float = 0.95) -> pd.DataFrame:
    """The comparison of every variant with the base, one row per variant and KPI.

    Columns are :data:`twin.tables.COMPARISON_COLUMNS`: ``mean, ci_low, ci_high`` the variant's mean
    and Student-t interval over its replications; ``diff, diff_ci_low, diff_ci_high`` the mean of
    the paired differences variant - base and their Student-t interval; ``significant`` whether that
    interval excludes 0. Base rows have diff 0, no interval and significant False.
    """
    kpis = runs.kpis()
    units = runs.units()
    names = [c for c in kpis.columns if c not in ("variant", "replication", "seed")]
    rows = []
    for name in runs.names:
        mine = kpis[kpis["variant"] == name]
        for kpi in names:
            mean, _, low, high = t_interval(mine[kpi].to_numpy(dtype=float), confidence)
            if name == runs.base:
                diff, d_low, d_high = 0.0, math.nan, math.nan
            else:
                diff, _, d_low, d_high = t_interval(paired(kpis, runs.base, name, kpi), confidence)
            significant = bool(d_low > 0 or d_high < 0)  # False when the interval is NaN
            rows.append(
                (name, kpi, units.get(kpi, ""), mean, low, high, diff, d_low, d_high, significant)
            )
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def require_reported(runs: VariantRuns, kpis: Sequence[str], option: str) -> None:
    """Raise InputError when a KPI named on the command line is reported by no variant."""
    reported = set(runs.kpi_names())
    for kpi in kpis:
        if kpi not in reported:
            raise InputError(
                f"{option} {kpi}: no variant reports this KPI (a lever's KPIs need its section, "
                "e.g. satisfaction_mean needs customers:); reported: " + ", ".join(runs.kpi_names())
            )


def scenario_roles(scenarios: Sequence[Scenario]) -> list[str]:
    """Staff roles of any of `scenarios`, in order of first appearance."""
    roles: list[str] = []
    for scenario in scenarios:
        if scenario.staffing is not None:
            roles += [r for r in scenario.staffing.roles() if r not in roles]
    return roles


# --- the comparison folder -----------------------------------------------------------------


def write_comparison(
    out_dir: Path,
    runs: VariantRuns,
    comparison: pd.DataFrame,
    ranking: pd.DataFrame,
    manifest: dict,
) -> dict[str, Path]:
    """Write the tables of a comparison and its manifest into `out_dir`; returns them by name.

    ``comparison.csv``, ``ranking.csv``, ``kpis.csv`` (per replication, with ``variant``),
    ``daily.csv`` and ``lead_times.csv`` (as in a run folder, with a leading ``variant``
    column) and ``manifest.json``; see ``docs/compare.md``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        name: out_dir / f"{name}.csv"
        for name in ("comparison", "ranking", "kpis", "daily", "lead_times")
    }
    comparison.to_csv(paths["comparison"], index=False)
    ranking.to_csv(paths["ranking"], index=False)
    runs.kpis().to_csv(paths["kpis"], index=False)
    runs.daily().to_csv(paths["daily"], index=False, float_format="%.6g")
    runs.lead_times().to_csv(paths["lead_times"], index=False, float_format="%.6g")
    paths["manifest"] = out_dir / "manifest.json"
    paths["manifest"].write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return paths


def manifest(
    runs: VariantRuns,
    confidence: float,
    wall_s: float,
    extra: dict | None = None,
) -> dict:
    """Provenance of a comparison: variants (source, hash, horizon, warm-up), seed,
    replications, confidence, wall time, versions, failures and notes."""
    variants = runs.variants
    return {
        "base": variants.base,
        "variants": {
            name: {
                "source": variants.sources.get(name, ""),
                "scenario_hash": scenario_hash(scenario),
                "horizon_days": scenario.run.horizon_days,
                "warmup_days": scenario.run.warmup_days,
                "start_date": scenario.run.start_date.isoformat(),
                "replications_ok": len(runs.outputs.get(name, [])),
            }
            for name, scenario in variants.scenarios.items()
        },
        "seed": variants.seed,
        "currency": variants.scenarios[variants.base].currency,
        "replications": runs.replications,
        "confidence": confidence,
        "twin_version": __version__,
        "wall_s": round(wall_s, 3),
        "packages": package_versions(),
        "created_utc": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "failures": [
            {"variant": f.variant, "replication": f.replication, "error": f.failure.error}
            for f in runs.failures
        ],
        "notes": runs.notes(),
        **(extra or {}),
    }


class KpiNames:
    """The KPI names a set of scenarios can report, for checking names given on the command line.

    ``name in names`` is true for a listed KPI and for a listed KPI with a suffix (a promotion's
    ``promo_cost_spring``); iterating gives the listed names (for "did you mean" hints).
    """

    def __init__(self, names: Sequence[str]) -> None:
        self._names = list(names)
        self._set = set(names)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        return name in self._set or any(name.startswith(f"{n}_") for n in self._names)

    def __iter__(self):
        return iter(self._names)


def possible_kpis(scenarios: Sequence[Scenario]) -> KpiNames:
    """Every KPI name the scenarios may report (core, lever and per-role KPIs)."""
    return KpiNames(list(kpi_units(scenario_roles(scenarios))))
