"""The report's note on the warm-up check: read from ``warmup.csv`` (written by ``twin run``).

Reports read result files only, so the check itself (:mod:`twin.kpis.warmup`) is not imported.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

WARMUP_FILE = "warmup.csv"


def warmup_note(run_dir: Path) -> str | None:
    """A sentence naming the daily levels for which the warm-up was not long enough; None when
    it was long enough for all, or when the run folder has no ``warmup.csv`` (an older run)."""
    path = Path(run_dir) / WARMUP_FILE
    if not path.exists():
        return None
    table = pd.read_csv(path)
    # a run from an open state needs no warm-up ("from the open state"; twin.kpis.warmup)
    bad = table[~table["verdict"].isin(["enough", "from the open state"])]
    if bad.empty:
        return None
    given = float(table["warmup_days"].iloc[0])
    listed = "; ".join(
        f"{row.series}: {row.truncation_days:g} days ({row.verdict})" for row in bad.itertuples()
    )
    return (
        f"Warm-up check (MSER-5): the {given:g}-day warm-up is not long enough for some daily "
        f"levels, so their KPIs include part of the initial transient. Truncation points: "
        f"{listed}. Lengthen run.warmup_days (and the horizon), see warmup.csv."
    )
