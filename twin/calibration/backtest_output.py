"""Write a backtest: ``backtest.csv``, ``summary.csv``, ``checks.csv``, the fans and the PDF.

The models fitted at each origin are already in ``models/<origin>/`` (written as they are fitted).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from twin.calibration.backtest import Backtest
from twin.reports.backtest_report import write_backtest_report

FLOAT_FORMAT = "%.10g"


def write_backtest(
    result: Backtest, checks: pd.DataFrame, out_dir: Path, facts: list[tuple[str, str]]
) -> dict[str, Path]:
    """Write the tables and the report into ``out_dir`` (which exists); return the main paths."""
    out_dir = Path(out_dir)
    paths = {
        "backtest": out_dir / "backtest.csv",
        "summary": out_dir / "summary.csv",
        "checks": out_dir / "checks.csv",
    }
    result.backtest.to_csv(paths["backtest"], index=False, float_format=FLOAT_FORMAT)
    result.summary.to_csv(paths["summary"], index=False, float_format=FLOAT_FORMAT)
    checks.to_csv(paths["checks"], index=False, float_format=FLOAT_FORMAT)
    written = write_backtest_report(
        out_dir,
        result.backtest,
        result.summary,
        result.history,
        checks,
        facts,
        result.replications,
    )
    paths["report"] = written[-1]
    return paths
