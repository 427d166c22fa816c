"""The 13-week forecast page and chart, drawn from a hand-made ``lookahead.csv``: cells are
written as planners read them, a damaged file is a clear error naming it, and the chart has a
cash panel only when the run kept a cash book."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.reports.lookahead_report import (
    band_cell,
    cell,
    lookahead_figure,
    read_lookahead,
    table_page,
)
from twin.tables import LOOKAHEAD_COLUMNS, LOOKAHEAD_MEASURES


def summary(weeks: int = 13, cash: bool = True) -> pd.DataFrame:
    rows = []
    for week in range(1, weeks + 1):
        start = pd.Timestamp("2027-01-01") + pd.Timedelta(days=7 * (week - 1))
        for name, block, unit, _ in LOOKAHEAD_MEASURES:
            if name.startswith(("cash_", "payables")) and not cash:
                continue
            value = 0.9 if unit == "ratio" else 1000.0 * week
            rows.append(
                {
                    "week": week,
                    "week_start": start.strftime("%Y-%m-%d"),
                    "week_end": (start + pd.Timedelta(days=6)).strftime("%Y-%m-%d"),
                    "block": block,
                    "measure": name,
                    "unit": unit,
                    "mean": value,
                    "band_low": 0.9 * value,
                    "band_high": 1.1 * value,
                    "replications": 5,
                }
            )
    return pd.DataFrame(rows, columns=list(LOOKAHEAD_COLUMNS))


def test_cells_read_as_planners_read_them() -> None:
    assert cell(4_863_001.16, "currency") == "4,863"  # thousands
    assert cell(0.9312, "ratio") == "93.1 %"
    assert cell(4.26, "days") == "4.3"
    assert cell(36771.0, "units") == "36,771"
    assert cell(np.nan, "days") == "–"
    assert band_cell(37049.0, 40782.0, "units") == "37.0–40.8k"
    assert band_cell(0.33, 0.5, "ratio") == "33–50"
    assert band_cell(np.nan, 1.0, "units") == "–"


def test_page_and_chart_are_drawn(tmp_path: Path) -> None:
    table = summary()
    page = table_page(table, "lookahead", 5)
    texts = [t.get_text() for t in page.texts]
    assert "13-week stock and cash forecast" in texts
    assert {"Stock", "Service", "Receivables and cash"} <= set(texts)
    assert "On hand, closing (units)" in texts and "Cash, closing (k)" in texts
    assert len(lookahead_figure(table).axes) == 3
    assert len(lookahead_figure(summary(4, cash=False)).axes) == 2
    page.savefig(tmp_path / "page.png")


def test_a_damaged_lookahead_file_names_itself(tmp_path: Path) -> None:
    assert read_lookahead(tmp_path) is None  # a run without a look-ahead
    summary().drop(columns="band_high").to_csv(tmp_path / "lookahead.csv", index=False)
    with pytest.raises(ValueError, match=r"lookahead\.csv.*missing column\(s\): band_high"):
        read_lookahead(tmp_path)
    table = summary().astype({"mean": object})
    table.loc[0, "mean"] = "lots"
    table.to_csv(tmp_path / "lookahead.csv", index=False)
    with pytest.raises(ValueError, match=r"lookahead\.csv: column mean is not numeric"):
        read_lookahead(tmp_path)
