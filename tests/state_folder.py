"""Write a small open-state folder for tests: the tables given, every other one empty with its
columns, and state.yaml with the row counts (as ``twin calibrate --as-of`` writes it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from twin.scenario.initial_state import COLUMN_KINDS, STATE_SUMMARY, STATE_TABLES


def _empty_column(kind: str) -> pd.Series:
    if kind.startswith("time"):
        return pd.Series([], dtype="datetime64[ns]")
    if kind in ("id", "id?", "text"):
        return pd.Series([], dtype=object)
    return pd.Series([], dtype="float64")


def write_state(folder: Path, as_of: str = "2026-01-05", **tables: list[dict[str, Any]]) -> Path:
    """Write ``folder`` with ``tables[name]`` as rows (dicts); timestamps given as strings."""
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, columns in STATE_TABLES.items():
        rows = tables.get(name, [])
        kinds = COLUMN_KINDS[name]
        if rows:
            frame = pd.DataFrame(rows, columns=list(columns))
            for column, kind in kinds.items():
                if kind.startswith("time"):
                    frame[column] = pd.to_datetime(frame[column])
                elif kind not in ("id", "id?", "text"):
                    frame[column] = frame[column].astype("float64")
                else:
                    frame[column] = frame[column].astype(object)
        else:
            frame = pd.DataFrame({c: _empty_column(kinds[c]) for c in columns})
        frame.to_parquet(folder / f"{name}.parquet", index=False)
        counts[name] = len(frame)
    summary = {"as_of": as_of, "currency": "EUR", "tables": counts, "source": "test"}
    (folder / STATE_SUMMARY).write_text(yaml.safe_dump(summary, sort_keys=False))
    return folder
