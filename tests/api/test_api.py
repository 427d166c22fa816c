"""The Python API (``twin.run`` and friends): the commands' own folders read back as DataFrames,
bad input as InputError, ``import twin`` light, ``python -m twin``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import twin
from twin.errors import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "cli" / "fixtures"
SMALL = FIXTURES / "small.yaml"
SHORT = {"run.horizon_days": 12, "run.warmup_days": 2}


def test_import_twin_loads_no_command_or_data_library() -> None:
    code = (
        "import sys, twin; "
        "print(sorted(m for m in ('pandas', 'numpy', 'click', 'pydantic', 'twin.api') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_python_m_twin_is_the_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "twin", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"twin, version {twin.__version__}"


def test_run_returns_the_run_folders_tables(tmp_path: Path) -> None:
    r = twin.run(SMALL, replications=2, seed=7, overrides=SHORT, out=tmp_path / "run", workers=1)
    assert r.folder == tmp_path / "run"
    assert list(r.kpis["replication"]) == [0, 1]
    assert set(r.summary.columns) >= {"kpi", "mean", "ci_low", "ci_high", "unit"}
    assert pd.api.types.is_datetime64_any_dtype(r.daily["date"])
    assert r.manifest["replications"] == 2
    # the same numbers as the command line's folder: it is the command's folder
    on_disk = pd.read_csv(tmp_path / "run" / "kpis.csv")
    pd.testing.assert_frame_equal(r.kpis, on_disk)
    with pytest.raises(AttributeError, match="run wrote no table 'ranking'; its tables: daily"):
        _ = r.ranking


def test_overrides_and_named_entries_reach_the_scenario(tmp_path: Path) -> None:
    a = twin.run(SMALL, replications=1, overrides=SHORT, workers=1)
    b = twin.run(
        SMALL, replications=1, overrides={**SHORT, "staffing.order_desk.headcount": 3}, workers=1
    )
    assert a.folder is None  # a temporary folder, removed
    assert a.kpis["orders"].equals(b.kpis["orders"])  # common random numbers: same demand
    assert not a.kpis["staff_cost"].equals(b.kpis["staff_cost"])


def test_template_and_set_files(tmp_path: Path) -> None:
    book = twin.template(SMALL, tmp_path / "levers.xlsx", overrides=SHORT)
    r = twin.run(SMALL, replications=1, set_files=[book], workers=1)
    assert r.manifest["horizon_days"] == 12


def test_compare_returns_comparison_and_ranking(tmp_path: Path) -> None:
    variant = tmp_path / "two-desk.yaml"
    variant.write_text(
        f"extends: {SMALL}\nname: two-desk\nstaffing: {{order_desk: {{headcount: 2}}}}\n", "utf-8"
    )
    r = twin.compare(SMALL, [str(variant)], replications=2, overrides=SHORT, workers=1)
    assert set(r.comparison["variant"]) >= {"two-desk"}
    assert set(r.ranking["variant"]) == {"small", "two-desk"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: twin.run(SMALL, overrides={"run.horizon_days": "abc"}), "expected a number"),
        (lambda: twin.run(SMALL, replications=0), "--replications"),
        (lambda: twin.run(SMALL, overrides=["run.seed=1"]), "overrides: expected a mapping"),
        (lambda: twin.run(FIXTURES / "missing.yaml"), "file not found"),
    ],
)
def test_bad_input_raises_input_error(call, message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()
