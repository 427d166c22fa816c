"""The runs whose tables must not change when the code is restructured.

Each case is a `twin` command line over a file in `scenarios/`, shortened so the whole set runs in
about a minute, and the output files it compares byte for byte. `make_fixture.py` writes the
tables of the commit a restructuring starts from into `before/`; `test_unchanged.py` runs the same
commands on the current code and compares. Regenerate the fixture only when a change is *meant*
to change simulated numbers, and say so in the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).resolve().parent / "before"

# Short horizons: 100 days (every scenario's warm-up is shorter), two replications, one process.
HORIZON_DAYS = 100
RUN_TABLES = ("kpis.csv", "summary.csv", "daily.csv", "lead_times.csv")
# Tables too large to keep whole: the fixture keeps their SHA-256.
HASHED_TABLES = ("orders.csv",)
COMPARE_TABLES = ("comparison.csv", "ranking.csv", "kpis.csv")
# Levers a scenario took up after the fixture was made, switched off so the run compares the
# numbers of the levers the fixture ran (a new lever adds tables and KPI columns, not changes).
# Scenarios written after the fixture was made: nothing of theirs to hold unchanged.
NEWER_SCENARIOS = frozenset({"lookahead"})
LATER_LEVERS: dict[str, tuple[str, ...]] = {"whole-loop": ("--set", "cash=null")}
SWEEP_TABLES = ("results.csv", "sensitivity.csv")


@dataclass(frozen=True)
class Case:
    """One command line and the tables it must reproduce."""

    name: str
    args: tuple[str, ...]
    tables: tuple[str, ...]
    hashed: tuple[str, ...] = ()


def _scenario_files() -> list[Path]:
    return sorted((ROOT / "scenarios").glob("*.yaml")) + sorted(
        (ROOT / "scenarios" / "tests").glob("*.yaml")
    )


def cases() -> list[Case]:
    """Every scenario run, every comparison of a file with variants, every sweep."""
    out: list[Case] = []
    for path in _scenario_files():
        rel = path.relative_to(ROOT).as_posix()
        if path.stem in NEWER_SCENARIOS:
            continue
        horizon = f"run.horizon_days={HORIZON_DAYS}"
        stem = rel.removeprefix("scenarios/").removesuffix(".yaml").replace("/", "-")
        common = (
            "--set",
            horizon,
            *LATER_LEVERS.get(stem, ()),
            "--replications",
            "2",
            "--workers",
            "1",
        )
        out.append(
            Case(
                f"run-{stem}",
                (
                    "run",
                    rel,
                    *common,
                    "--no-report",
                    "--quiet",
                    "--orders",
                    "--orders-format",
                    "csv",
                ),
                RUN_TABLES,
                HASHED_TABLES,
            )
        )
        if "variants:" in path.read_text(encoding="utf-8"):
            out.append(
                Case(
                    f"compare-{stem}",
                    ("compare", rel, *common, "--no-report", "--quiet"),
                    COMPARE_TABLES,
                )
            )
    for path in sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml")):
        rel = path.relative_to(ROOT).as_posix()
        stem = path.stem
        out.append(
            Case(
                f"sweep-{stem}",
                (
                    "sweep",
                    rel,
                    "--set",
                    "set.run.horizon_days=65",
                    "--set",
                    "set.run.warmup_days=30",
                    "--set",
                    "replications=1",
                    "--workers",
                    "1",
                    "--no-report",
                    "--quiet",
                ),
                SWEEP_TABLES,
            )
        )
    return out


def run_case(case: Case, out_dir: Path) -> None:
    """Run one case's command into `out_dir` in a fresh process, from the repository root."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "twin.cli", *case.args, "--out", str(out_dir)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(case.args)} exited {done.returncode}:\n{done.stderr}")
