"""Small helpers shared by the state's tables: the as-of cut, empty tables, typed columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.scenario.initial_state import STATE_TABLES

DAY = pd.Timedelta(days=1)


def before(stamps: pd.Series, as_of: pd.Timestamp) -> np.ndarray:
    """Whether each stamp lies before the as-of instant (missing: False)."""
    return (pd.to_datetime(stamps) < as_of).fillna(False).to_numpy(dtype=bool)


def open_at(stamps: pd.Series, as_of: pd.Timestamp) -> np.ndarray:
    """Whether each closing stamp had not happened by the as-of instant (missing: still open)."""
    stamps = pd.to_datetime(stamps)
    return (stamps.isna() | (stamps >= as_of)).to_numpy(dtype=bool)


def column(frame: pd.DataFrame | None, name: str) -> pd.Series:
    """A column of `frame`, all missing when the table or the column is absent."""
    if frame is None:
        return pd.Series([], dtype=object)
    if name in frame.columns:
        return frame[name]
    return pd.Series(pd.NA, index=frame.index, dtype=object)


def ids(values: pd.Series | np.ndarray | list) -> pd.Series:
    """Identifiers as pandas strings (missing stays missing)."""
    return pd.Series(values).astype("string").reset_index(drop=True)


def stamps(values: pd.Series | np.ndarray | list) -> pd.Series:
    """Naive ``datetime64[ns]`` timestamps."""
    return pd.Series(pd.to_datetime(pd.Series(values)), dtype="datetime64[ns]").reset_index(
        drop=True
    )


def floats(values: pd.Series | np.ndarray | list) -> pd.Series:
    """``float64`` numbers (quantities in units, money)."""
    return pd.Series(np.asarray(pd.Series(values), dtype=float))


def table(name: str, data: dict[str, pd.Series | np.ndarray | list]) -> pd.DataFrame:
    """The state table `name` from its columns, in :data:`STATE_TABLES` order."""
    columns = STATE_TABLES[name]
    missing = [c for c in columns if c not in data]
    if missing:
        raise ValueError(f"state table {name}: columns {missing} not given")
    frame = pd.DataFrame({c: pd.Series(data[c]).reset_index(drop=True) for c in columns})
    return frame.reset_index(drop=True)
