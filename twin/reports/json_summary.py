"""The summaries of ``twin run``, ``twin compare`` and ``twin check`` as JSON, for machines.

With ``--format json`` a command prints one JSON document on standard output and nothing else
there (progress, notes and the closing line go to standard error), so ``twin run ... --format
json | jq .kpis`` works. Each document says which command made it (``command``), then the
scenario, seed and replications, then the same numbers as the table a person sees, with full
precision and units. A number that is undefined (an interval from one replication) is ``null``.
The fields are documented in ``docs/results.md``, ``docs/compare.md`` and ``docs/ci-gate.md``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd


def plain(value: Any) -> Any:
    """A JSON-safe copy: numpy scalars to Python numbers, NaN and infinities to ``None``."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def records(table: pd.DataFrame, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The rows of ``table`` (only ``columns`` if given, in that order) as JSON-safe dicts."""
    chosen = list(columns) if columns is not None else list(table.columns)
    chosen = [c for c in chosen if c in table.columns]
    return [plain(row) for row in table[chosen].to_dict(orient="records")]


def to_json(document: Mapping[str, Any]) -> str:
    """The document as indented JSON text; it is made JSON-safe first, so it never holds NaN."""
    return json.dumps(plain(document), indent=2, allow_nan=False)


def run_document(
    scenario: str,
    seed: int,
    replications: int,
    horizon_days: float,
    warmup_days: float,
    summary: pd.DataFrame,
    confidence: float,
    out_dir: str,
    notes: Iterable[str] = (),
) -> dict[str, Any]:
    """``twin run``: the scenario, its run settings and per KPI ``kpi, mean, std, ci_low,
    ci_high, unit`` (the rows of ``summary.csv``)."""
    return {
        "command": "run",
        "scenario": scenario,
        "seed": seed,
        "replications": replications,
        "horizon_days": horizon_days,
        "warmup_days": warmup_days,
        "confidence": confidence,
        "kpis": records(summary),
        "notes": list(notes),
        "out": out_dir,
    }


def compare_document(
    base: str,
    variants: Sequence[str],
    seed: int,
    replications: int,
    confidence: float,
    comparison: pd.DataFrame,
    ranking: pd.DataFrame,
    extra: Mapping[str, Any],
    failures: Sequence[Mapping[str, Any]],
    out_dir: str,
) -> dict[str, Any]:
    """``twin compare``: per variant and KPI the mean, its interval and the paired difference to
    the base with its interval and significance (the rows of ``comparison.csv``), the ranking on
    the ``--best`` KPI and the selection sentence."""
    rows = records(comparison)
    for row in rows:  # comparison.csv may hold it as text
        if isinstance(row.get("significant"), str):
            row["significant"] = row["significant"] == "True"
    return {
        "command": "compare",
        "base": base,
        "variants": list(variants),
        "seed": seed,
        "replications": replications,
        "confidence": confidence,
        "comparison": rows,
        "ranking": records(ranking),
        **dict(extra),
        "failures": list(failures),
        "out": out_dir,
    }


def check_document(
    name: str,
    file: str,
    results: pd.DataFrame,
    kpis: pd.DataFrame,
    group: str,
    passed: bool,
    out_dir: str,
) -> dict[str, Any]:
    """``twin check``: the overall verdict, the counts, and each check's verdict per group (the
    rows of ``checks.csv``); the seeds and replications run per group."""
    groups: dict[str, Any] = {}
    if group in kpis.columns and len(kpis):
        for value, rows in kpis.groupby(group, sort=False):
            groups[str(value)] = {
                "replications": int(rows["replication"].nunique()),
                "seeds": sorted({int(s) for s in rows["seed"].dropna()}),
            }
    status = results["status"] if "status" in results.columns else pd.Series(dtype=object)
    return {
        "command": "check",
        "name": name,
        "file": file,
        "verdict": "pass" if passed else "fail",
        "passed": passed,
        "counts": {
            "checks": len(results),
            "pass": int((status == "pass").sum()),
            "fail": int((status == "fail").sum()),
            "skip": int((status == "skip").sum()),
        },
        "groups": groups,
        "checks": records(results),
        "out": out_dir,
    }
