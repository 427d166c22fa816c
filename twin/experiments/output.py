"""Write a run folder: the tidy result tables, the effective scenario and a manifest.

The files and their columns are documented in ``docs/results.md``. Reports are drawn from these
files afterwards (``twin.reports``); nothing here draws.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import metadata
from pathlib import Path

from twin import __version__
from twin.experiments.replicate import RunOutputs
from twin.scenario.loader import dump_yaml
from twin.scenario.schema import Scenario
from twin.stats import summarise

PACKAGES = ("simpy", "numpy", "pandas", "scipy", "pydantic", "matplotlib", "pyarrow")


def resolved_scenario(scenario: Scenario) -> dict:
    """The effective scenario as plain data: every default filled in, products inline."""
    return scenario.model_dump(mode="json", exclude={"products_file"})


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def write_run(
    out_dir: Path, outputs: RunOutputs, wall_s: float, *, orders_format: str = "parquet"
) -> dict[str, Path]:
    """Write every result file of a run into ``out_dir``; returns them by name."""
    scenario = outputs.scenario
    out_dir.mkdir(parents=True, exist_ok=True)
    kpis = outputs.kpis()
    summary = summarise(kpis, outputs.units())
    paths = {
        "kpis": out_dir / "kpis.csv",
        "summary": out_dir / "summary.csv",
        "daily": out_dir / "daily.csv",
        "lead_times": out_dir / "lead_times.csv",
        "scenario": out_dir / "scenario.resolved.yaml",
        "manifest": out_dir / "manifest.json",
    }
    kpis.to_csv(paths["kpis"], index=False)
    summary.to_csv(paths["summary"], index=False)
    outputs.daily().to_csv(paths["daily"], index=False, float_format="%.6g")
    outputs.lead_times().to_csv(paths["lead_times"], index=False, float_format="%.6g")
    paths["scenario"].write_text(dump_yaml(resolved_scenario(scenario)), encoding="utf-8")
    weekly = outputs.weekly()
    if weekly is not None:  # report.lookahead_weeks: the weekly look-ahead (docs/lookahead.md)
        paths["lookahead_replications"] = out_dir / "lookahead_replications.csv"
        paths["lookahead"] = out_dir / "lookahead.csv"
        weekly.to_csv(paths["lookahead_replications"], index=False, float_format="%.12g")
        outputs.lookahead().to_csv(paths["lookahead"], index=False, float_format="%.12g")
    orders = outputs.orders()
    if orders is not None:
        if orders_format == "parquet":
            paths["orders"] = out_dir / "orders.parquet"
            orders.to_parquet(paths["orders"], index=False)
        else:
            paths["orders"] = out_dir / "orders.csv"
            orders.to_csv(paths["orders"], index=False)
    run = scenario.run
    manifest = {
        "scenario": scenario.name,
        "description": scenario.description,
        "twin_version": __version__,
        "seed": run.seed,
        "replications": len(outputs.replications),
        "horizon_days": run.horizon_days,
        "warmup_days": run.warmup_days,
        "start_date": run.start_date.isoformat(),
        "currency": scenario.currency,
        "parameter_uncertainty": run.parameter_uncertainty,
        "wall_s": round(wall_s, 3),
        "packages": package_versions(),
        "created_utc": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "notes": outputs.notes(),
    }
    paths["manifest"].write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return paths
