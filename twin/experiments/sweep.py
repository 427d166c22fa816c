"""Run a sweep: every design point times every replication, as jobs on a runner.

Each point is the base scenario with the point's values applied as overrides to the base's raw
data and validated again, so a point is checked exactly as a scenario file would be. Every point
keeps the base's ``run.seed``: replication r of every point sees the same random numbers (common
random numbers), so differences between points are the parameters', not noise's. Jobs are keyed
by the scenario hash, seed and replication (:func:`twin.experiments.replicate.replication_job`), so
identical points are run once and a resumed sweep reuses what is stored.

A point whose scenario fails validation, or whose job raises, is recorded with its error in the
``error`` column (KPIs NaN) and the rest of the sweep goes on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin.errors import InputError
from twin.experiments.designs import design_points
from twin.experiments.jobs import Failure, Job, raise_bad_input
from twin.experiments.replicate import replication_job
from twin.experiments.runner import JobRunner
from twin.scenario.footprint import check_fits
from twin.scenario.overrides import apply_overrides
from twin.scenario.schema import Scenario
from twin.scenario.sweep import SweepSpec
from twin.scenario.validation import validate

#: An analytic stand-in for the simulation: (parameter values by path, replication) -> KPIs.
Evaluate = Callable[[dict[str, float], int], dict[str, float]]


@dataclass(frozen=True)
class EvaluationTask:
    """The argument of :func:`evaluate_point`: the function, one point's values, a replication."""

    fn: Evaluate
    values: dict[str, float]
    replication: int


def evaluate_point(task: EvaluationTask) -> dict[str, float]:
    """The job function of an analytic sweep."""
    return dict(task.fn(task.values, task.replication))


def _plain(value: Any) -> float | int:
    """A numpy scalar as a Python number, so overrides and hashes read the same everywhere."""
    return value.item() if isinstance(value, np.generic) else value


def point_scenario(spec: SweepSpec, values: Mapping[str, float]) -> Scenario:
    """The base scenario with ``values`` (parameter path -> value) applied, validated.

    Raises
    ------
    InputError
        The values make the scenario invalid (e.g. a reorder point above the order-up-to level).
    """
    data, sources = spec.base_data()
    overrides = [f"{path}={_plain(value)!r}" for path, value in values.items()]
    try:
        point_data = apply_overrides(data, sources, overrides)
        return validate(Scenario, point_data, sources)
    except InputError as err:
        shown = ", ".join(f"{path}={_plain(v)!r}" for path, v in values.items())
        raise InputError(f"sweep {spec.source}: the point {shown} is not valid: {err}") from None


@dataclass
class SweepRuns:
    """What a sweep produced.

    Attributes
    ----------
    spec : SweepSpec
        The sweep.
    design : pandas.DataFrame
        ``point`` and one column per parameter path (see :func:`design_points`).
    results : pandas.DataFrame
        One row per point x replication: ``point, replication, seed``, the parameter columns,
        every KPI reported by any point (units in ``docs/kpis.md``), then ``error`` (empty when
        the job succeeded).
    notes : list of str
        Things a planner should know (failed points, KPIs no point reported).
    """

    spec: SweepSpec
    design: pd.DataFrame
    results: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> int:
        """The number of rows with an error."""
        return int((self.results["error"] != "").sum())


def _values_key(fn: Evaluate, values: Mapping[str, float], replication: int) -> str:
    """The key of an analytic job: the function's name, a digest of the values, replication."""
    name = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"
    text = json.dumps([name, {k: _plain(v) for k, v in values.items()}], sort_keys=True)
    return f"eval-{hashlib.sha256(text.encode()).hexdigest()[:20]}-r{replication}"


def build_jobs(
    spec: SweepSpec, design: pd.DataFrame, evaluate: Evaluate | None = None
) -> list[tuple[int, int, Job | str]]:
    """``(point, replication, job)`` per result row, in row order; in place of the job, the
    error that stopped its point's scenario."""
    paths = [p.path for p in spec.parameters]
    rows: list[tuple[int, int, Job | str]] = []
    for record in design.to_dict("records"):
        values = {path: _plain(record[path]) for path in paths}
        scenario: Scenario | str | None = None
        if evaluate is None:
            try:
                scenario = point_scenario(spec, values)
                check_fits(scenario, 1, spec.replications)  # a point too large fails alone
            except InputError as err:
                scenario = str(err)
        point = int(record["point"])
        for replication in range(spec.replications):
            job: Job | str
            if evaluate is not None:
                task = EvaluationTask(evaluate, values, replication)
                job = Job(_values_key(evaluate, values, replication), evaluate_point, task)
            elif isinstance(scenario, str):
                job = scenario
            else:
                job = replication_job(scenario, replication)
            rows.append((point, replication, job))
    return rows


def run_sweep(spec: SweepSpec, runner: JobRunner, evaluate: Evaluate | None = None) -> SweepRuns:
    """Run every point x replication of ``spec`` on ``runner``.

    Parameters
    ----------
    spec : SweepSpec
        A sweep from :func:`twin.scenario.sweep.load_sweep` (or, with ``evaluate``, any spec).
    runner : JobRunner
        Where the jobs run.
    evaluate : callable, optional
        A picklable module-level function ``(values, replication) -> {kpi: value}`` used instead
        of the simulation, e.g. an analytic test function.

    Returns
    -------
    SweepRuns
    """
    design = design_points(spec)
    rows = build_jobs(spec, design, evaluate)
    # Identical points (integer rounding, an oat level equal to the base) run once.
    unique: dict[str, Job] = {}
    for _, _, job in rows:
        if isinstance(job, Job):
            unique.setdefault(job.key, job)
    outcomes = dict(zip(unique, runner.run(list(unique.values())), strict=True))
    raise_bad_input(list(outcomes.values()))

    values_by_point = design.set_index("point")
    base_seed = np.nan if evaluate is not None else spec.base_scenario.run.seed
    collected: list[tuple[dict[str, Any], dict[str, float], str]] = []
    kpi_names: dict[str, None] = {}  # every KPI any point reported, in first-seen order
    for point, replication, job in rows:
        fixed = {"point": point, "replication": replication, "seed": base_seed}
        fixed.update(values_by_point.loc[point].to_dict())
        kpis: dict[str, float] = {}
        error = job if isinstance(job, str) else ""
        if isinstance(job, Job):
            outcome = outcomes[job.key]
            if isinstance(outcome, Failure):
                error = outcome.error
            elif evaluate is not None:
                kpis = outcome
            else:
                kpis, fixed["seed"] = outcome.kpis, outcome.seed
        kpi_names.update(dict.fromkeys(kpis))
        collected.append((fixed, kpis, error))
    kpi_names.update(dict.fromkeys(spec.kpis))
    columns = ["point", "replication", "seed", *_paths(spec), *kpi_names, "error"]
    results = pd.DataFrame(
        [
            {**fixed, **{name: kpis.get(name, np.nan) for name in kpi_names}, "error": error}
            for fixed, kpis, error in collected
        ],
        columns=columns,
    )
    for path in _paths(spec):
        results[path] = results[path].astype(design[path].dtype)
    return SweepRuns(spec, design, results, _notes(spec, results))


def _notes(spec: SweepSpec, results: pd.DataFrame) -> list[str]:
    notes = []
    failed = results.loc[results["error"] != "", "point"].unique()
    if len(failed):
        shown = ", ".join(str(p) for p in failed[:10]) + (" ..." if len(failed) > 10 else "")
        notes.append(
            f"{len(failed)} of {results['point'].nunique()} points failed (points {shown}); "
            "their errors are in the error column of results.csv"
        )
    ok = results["error"] == ""
    for kpi in spec.kpis:
        if ok.any() and results.loc[ok, kpi].isna().all():
            notes.append(f"no point reported the KPI {kpi!r}; its indices are NaN")
    return notes


# --------------------------------------------------------------------------- the sweep folder


def sweep_manifest(runs: SweepRuns, wall_s: float, headline: tuple[str, str]) -> dict[str, Any]:
    """Provenance of a sweep folder: what ran, on what, and how the report ranks parameters."""
    from twin import __version__
    from twin.experiments.output import package_versions
    from twin.kpis import kpi_units

    spec = runs.spec
    kpis = [c for c in runs.results.columns if c not in _FIXED and c not in _paths(spec)]
    if spec.has_base:
        scenario = spec.base_scenario
        roles = list(scenario.staffing.roles()) if scenario.staffing else []
        units = kpi_units(roles, kpis)
        run = {
            "base": str(spec.base),
            "seed": scenario.run.seed,
            "horizon_days": scenario.run.horizon_days,
            "warmup_days": scenario.run.warmup_days,
            "start_date": scenario.run.start_date.isoformat(),
            "currency": scenario.currency,
        }
    else:
        units = {}
        run = {"base": str(spec.base), "seed": None, "horizon_days": None, "warmup_days": None}
    return {
        "sweep": spec.name,
        "description": spec.description,
        "sweep_file": spec.source,
        **run,
        "set": {
            k: v if isinstance(v, int | float | str | bool) else str(v) for k, v in spec.set.items()
        },
        "overrides": list(spec.overrides),
        "design": spec.design.model_dump(mode="json"),
        "headline": list(headline),
        "parameters": [
            {"path": p.path, "label": p.name, "integer": spec.is_integer(p.path)}
            for p in spec.parameters
        ],
        "kpis": list(spec.kpis),
        "units": {k: units.get(k, "") for k in kpis},
        "replications": spec.replications,
        "points": len(runs.design),
        "rows": len(runs.results),
        "failed_rows": runs.failures,
        "notes": runs.notes,
        "twin_version": __version__,
        "packages": {**package_versions(), **_salib_version()},
        "wall_s": round(wall_s, 3),
        "created_utc": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }


_FIXED = ("point", "replication", "seed", "error")


def _paths(spec: SweepSpec) -> list[str]:
    return [p.path for p in spec.parameters]


def _salib_version() -> dict[str, str]:
    from importlib import metadata

    try:
        return {"SALib": metadata.version("SALib")}
    except metadata.PackageNotFoundError:
        return {"SALib": "not installed"}


def write_sweep(
    out_dir: Path, runs: SweepRuns, sensitivity: pd.DataFrame, manifest: dict[str, Any]
) -> dict[str, Path]:
    """Write ``design.csv``, ``results.csv``, ``sensitivity.csv`` and ``manifest.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / f"{name}.csv" for name in ("design", "results", "sensitivity")}
    runs.design.to_csv(paths["design"], index=False)
    runs.results.to_csv(paths["results"], index=False)
    sensitivity.to_csv(paths["sensitivity"], index=False)
    paths["manifest"] = out_dir / "manifest.json"
    paths["manifest"].write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return paths
