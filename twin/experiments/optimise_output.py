"""The optimisation folder: ``trials.csv``, ``pareto.csv``, ``best.yaml`` and ``manifest.json``.

``trials.csv`` has one row per candidate: ``candidate, trial`` (the search trial that first
proposed it), one column per decision (its name), ``replications``, ``objective_mean``,
``objective_ci_low``, ``objective_ci_high``, then per constraint i (numbered from 1, labels in
the manifest) ``c<i>_estimate`` (the mean, or for a chance constraint the share of replications
meeting it), ``c<i>_ci_low``, ``c<i>_ci_high`` and ``c<i>_met_confident``, then
``<kpi>_mean`` for every KPI the objective and constraints name, then ``feasible``
(on the estimates), ``feasible_confident``, ``contender``, ``selected``, ``pareto`` and
``error``. Intervals are two-sided at the file's confidence.

``pareto.csv`` holds the candidates no other beats on both the objective and the first
constraint's KPI (its mean), best objective first: the cost-service frontier.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin.experiments.optimise import OptimiseResult
from twin.scenario.key_paths import INDEX

TRIALS_FILE = "trials.csv"
PARETO_FILE = "pareto.csv"
BEST_FILE = "best.yaml"
MANIFEST_FILE = "manifest.json"


def trials_table(result: OptimiseResult) -> pd.DataFrame:
    """One row per candidate (columns in the module docstring)."""
    spec = result.spec
    names = [d.name for d in spec.decisions]
    selection = result.selection
    pareto = set(pareto_set(result))
    kpis = list(dict.fromkeys([*spec.objective.terms, *(c.kpi for c in spec.constraints)]))
    rows = []
    for c in result.candidates:
        v = result.views.get(c.number)
        row: dict[str, Any] = {"candidate": c.number, "trial": c.trial}
        row.update(dict(zip(names, c.values, strict=True)))
        row["replications"] = c.replications
        row["objective_mean"] = v.objective if v else math.nan
        row["objective_ci_low"] = v.objective_low if v else math.nan
        row["objective_ci_high"] = v.objective_high if v else math.nan
        for i in range(len(spec.constraints)):
            judged = v.constraints[i] if v else None
            row[f"c{i + 1}_estimate"] = judged.estimate if judged else math.nan
            row[f"c{i + 1}_ci_low"] = judged.low if judged else math.nan
            row[f"c{i + 1}_ci_high"] = judged.high if judged else math.nan
            row[f"c{i + 1}_met_confident"] = bool(judged and judged.met_confident)
        for kpi in kpis:
            row[f"{kpi}_mean"] = _kpi_mean(result, c.number, kpi)
        row["feasible"] = bool(v and v.feasible)
        row["feasible_confident"] = bool(v and v.feasible_confident)
        row["contender"] = c.number in selection.contenders
        row["selected"] = c.number == selection.winner
        row["pareto"] = c.number in pareto
        row["error"] = c.error
        rows.append(row)
    return pd.DataFrame(rows)


def pareto_set(result: OptimiseResult) -> list[int]:
    """Candidates not dominated on (objective, first constraint's KPI mean), best objective first.

    Both are oriented so that better is smaller: the objective by its goal, the KPI by its
    constraint (``<=``: less is better). Without constraints the set is the best objective.
    """
    spec = result.spec
    sign = -1.0 if spec.objective.higher_is_better else 1.0
    points = []
    for number, v in result.views.items():
        if math.isnan(v.objective):
            continue
        if spec.constraints:
            c = spec.constraints[0]
            kpi = _kpi_mean(result, number, c.kpi)
            if math.isnan(kpi):
                continue
            points.append((sign * v.objective, kpi if c.op == "<=" else -kpi, number))
        else:
            points.append((sign * v.objective, 0.0, number))
    points.sort()
    frontier, best_second = [], math.inf
    for _first, second, number in points:
        if second < best_second:
            frontier.append(number)
            best_second = second
    return frontier


def _kpi_mean(result: OptimiseResult, number: int, kpi: str) -> float:
    values = [row.get(kpi, math.nan) for row in result.candidates[number].kpis]
    x = np.array(values, dtype=float)
    x = x[~np.isnan(x)]
    return float(x.mean()) if x.size else math.nan


def pareto_table(result: OptimiseResult) -> pd.DataFrame:
    """``candidate``, the decisions, ``objective_mean``, the constrained KPI's mean
    (``<kpi>_mean``), ``feasible_confident``; best objective first."""
    spec = result.spec
    names = [d.name for d in spec.decisions]
    kpi = spec.constraints[0].kpi if spec.constraints else None
    rows = []
    for number in pareto_set(result):
        c, v = result.candidates[number], result.views[number]
        row: dict[str, Any] = {"candidate": number, **dict(zip(names, c.values, strict=True))}
        row["objective_mean"] = v.objective
        if kpi is not None:
            row[f"{kpi}_mean"] = _kpi_mean(result, number, kpi)
        row["feasible_confident"] = v.feasible_confident
        rows.append(row)
    columns = ["candidate", *names, "objective_mean"]
    columns += [f"{kpi}_mean"] if kpi else []
    return pd.DataFrame(rows, columns=[*columns, "feasible_confident"])


def best_overlay(result: OptimiseResult, out_dir: Path) -> dict[str, Any] | None:
    """The scenario overlay of the winner: ``extends:`` the base (relative to ``out_dir``), the
    file's ``set`` and the chosen values. None when nothing feasible was found."""
    winner = result.winner
    if winner is None:
        return None
    spec = result.spec
    data, _ = spec.base_data()
    overlay = overlay_of(data, {**spec.set, **winner.assignments})
    base = os.path.relpath(Path(spec.base_file).resolve(), Path(out_dir).resolve())
    chosen = ", ".join(
        f"{d.name} = {_shown(v)}" for d, v in zip(spec.decisions, winner.values, strict=True)
    )
    return {
        "extends": Path(base).as_posix(),
        "name": f"{spec.name}-best",
        "description": f"Chosen by twin optimise {spec.source}: {chosen}.",
        **overlay,
    }


def overlay_of(data: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The nested mapping that sets each key path of ``values`` over the scenario ``data``; a
    list on a path is written whole, from ``data`` with the change."""
    overlay: dict[str, Any] = {}
    for path, value in values.items():
        _place(overlay, data, path.split("."), _plain(value))
    return overlay


def _place(overlay: dict[str, Any], data: Any, parts: list[str], value: Any) -> None:
    """Set ``parts`` to ``value`` in ``overlay``; a list on the way is copied whole from ``data``
    (a scenario's ``extends`` replaces lists, it does not merge them)."""
    node, source = overlay, data
    for depth, part in enumerate(parts):
        is_last = depth == len(parts) - 1
        child = source.get(part) if isinstance(source, dict) else None
        if isinstance(child, list):
            listed = node.setdefault(part, copy.deepcopy(child))
            _set_in_list(listed, parts[depth + 1 :], value)
            return
        if is_last:
            node[part] = value
            return
        node = node.setdefault(part, {})
        source = child


def _set_in_list(node: Any, parts: list[str], value: Any) -> None:
    for depth, part in enumerate(parts):
        key: Any = int(part) if isinstance(node, list) and INDEX.fullmatch(part) else part
        if depth == len(parts) - 1:
            node[key] = value
        else:
            node = node[key]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _shown(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def sentences(result: OptimiseResult, units: dict[str, str]) -> list[str]:
    """What to set and how sure we are, in words (the PDF and the terminal print them)."""
    spec = result.spec
    winner = result.winner
    selection = result.selection
    if winner is None:
        near = [i for i, v in result.views.items() if v.feasible]
        tail = (
            f" {len(near)} candidate(s) met the constraints on the estimates but not with "
            f"{spec.confidence:.0%} confidence; raise budget.simulations or replications.max."
            if near
            else " No candidate met the constraints even on the estimates."
        )
        return [
            f"Nothing feasible with {spec.confidence:.0%} confidence was found within the budget "
            f"({result.simulations} simulations, {len(result.candidates)} candidates).{tail}"
        ]
    sets = " and ".join(
        f"{d.name} to {_shown(v)}" for d, v in zip(spec.decisions, winner.values, strict=True)
    )
    v = result.views[winner.number]
    unit = units.get(next(iter(spec.objective.terms)), "") if len(spec.objective.terms) == 1 else ""
    out = [f"Set {sets}."]
    out.append(
        f"Objective ({spec.objective.label}): {v.objective:,.6g} {unit}".rstrip()
        + f", {spec.confidence:.0%} interval {v.objective_low:,.6g} to {v.objective_high:,.6g}, "
        f"over {v.replications} replications on common random numbers."
    )
    if len(selection.contenders) > 1 and selection.complete:
        out.append(
            f"Best within delta = {spec.delta:g} with {spec.confidence:.0%} confidence among the "
            f"{len(selection.contenders)} best feasible candidates (Kim-Nelson fully sequential "
            f"selection, first stage {selection.first_stage}, ended at {selection.replications} "
            "replications)."
        )
    elif len(selection.contenders) > 1:
        out.append(
            f"The selection among the {len(selection.contenders)} best feasible candidates "
            "stopped at the budget (or at replications.max) before it could separate them: the "
            "winner has the best mean, "
            f"but is not yet shown best within delta = {spec.delta:g} at "
            f"{spec.confidence:.0%}."
        )
    else:
        out.append(
            "It was the only candidate feasible with confidence, so no selection was needed."
        )
    for c, judged in zip(spec.constraints, v.constraints, strict=True):
        what = "share" if c.is_chance else "mean"
        out.append(
            f"Constraint {c.label}: {what} {judged.estimate:,.4g}, met with "
            f"{spec.confidence:.0%} confidence (one-sided bound)."
        )
    out.append(
        f"Searched {len(result.candidates)} candidates in {result.simulations} simulations "
        f"(sampler {spec.sampler}, seed {spec.seed})."
    )
    return out


def manifest(result: OptimiseResult, units: dict[str, str]) -> dict[str, Any]:
    """Provenance and the headline: what was asked, what was found, how many simulations."""
    from twin import __version__
    from twin.experiments.output import package_versions

    spec = result.spec
    scenario = spec.base_scenario if result.spec._base_scenario is not None else None
    winner = result.winner
    try:
        import optuna

        optuna_version = optuna.__version__
    except ImportError:  # pragma: no cover - a dependency
        optuna_version = "not installed"
    return {
        "optimisation": spec.name,
        "description": spec.description,
        "file": spec.source,
        "base": spec.base,
        "seed": scenario.run.seed if scenario else None,
        "horizon_days": scenario.run.horizon_days if scenario else None,
        "decisions": [
            {"name": d.name, "path": d.path, "low": d.low, "high": d.high, "step": d.step}
            for d in spec.decisions
        ],
        "objective": spec.objective.label,
        "higher_is_better": spec.objective.higher_is_better,
        "constraints": [c.label for c in spec.constraints],
        "constraint_terms": [c.model_dump() for c in spec.constraints],
        "units": units,
        "delta": spec.delta,
        "confidence": spec.confidence,
        "sampler": spec.sampler,
        "sampler_seed": spec.seed,
        "budget": spec.budget.model_dump(),
        "simulations": result.simulations,
        "candidates": len(result.candidates),
        "trials": result.trials,
        "search_stopped_by": result.stopped_by,
        "contenders": result.selection.contenders,
        "selection_complete": result.selection.complete,
        "selection_first_stage": result.selection.first_stage,
        "selection_replications": result.selection.replications,
        "winner": None if winner is None else winner.number,
        "winner_values": None
        if winner is None
        else {d.name: _plain(v) for d, v in zip(spec.decisions, winner.values, strict=True)},
        "feasible": winner is not None,
        "sentences": sentences(result, units),
        "notes": result.notes,
        "twin_version": __version__,
        "packages": {**package_versions(), "optuna": optuna_version},
        "wall_s": round(result.wall_seconds, 3),
        "created_utc": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }


def write_optimisation(
    out_dir: Path, result: OptimiseResult, meta: dict[str, Any], overlay_dir: Path
) -> dict[str, Path]:
    """Write the folder's tables, ``best.yaml`` (when feasible) and ``manifest.json``.

    ``overlay_dir`` is where the folder ends up, so ``best.yaml``'s ``extends`` is relative to it.
    """
    from twin.scenario.loader import dump_yaml

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"trials": out_dir / TRIALS_FILE, "pareto": out_dir / PARETO_FILE}
    trials_table(result).to_csv(paths["trials"], index=False)
    pareto_table(result).to_csv(paths["pareto"], index=False)
    overlay = best_overlay(result, overlay_dir)
    if overlay is not None:
        paths["best"] = out_dir / BEST_FILE
        paths["best"].write_text(dump_yaml(overlay), encoding="utf-8")
    paths["manifest"] = out_dir / MANIFEST_FILE
    paths["manifest"].write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
    return paths
