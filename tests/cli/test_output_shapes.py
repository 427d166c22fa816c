"""No regression in what the commands write: every CSV keeps its columns and every PDF its pages.

``fixtures/output_shapes.json`` holds the columns of each CSV and the page count of each PDF that
``twin run``, ``compare``, ``sweep`` and ``check`` (of a scenario and of a sweep) wrote on the
small fixture before the plain-language reports (issue 16). Since then each PDF ends with a
glossary page, one for these few KPIs, and a sweep's check also writes ``points.csv``; nothing
else may change. Never regenerate the fixture to make this pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from twin.cli import cli

HERE = Path(__file__).resolve().parent
SMALL = HERE / "fixtures" / "small.yaml"
BEFORE = json.loads((HERE / "fixtures" / "output_shapes.json").read_text(encoding="utf-8"))
#: Pages added to each PDF since the fixture: the glossary.
GLOSSARY_PAGES = 1
#: Files added since the fixture, per command.
ADDED = {"check-sweep": {"points.csv"}}


def _inputs(folder: Path) -> tuple[Path, Path]:
    gate = folder / "gate.yaml"
    gate.write_text(
        f"extends: {SMALL}\nname: gate\nvariants:\n  lean:\n"
        "    inventory.default.policy.order_up_to_days: 8\n"
        "checks:\n  - fill_rate >= 0.9\n  - lead_time_p95_days <= 30\n",
        encoding="utf-8",
    )
    sweep = folder / "sweep.yaml"
    sweep.write_text(
        f"name: desk\nbase: {SMALL}\nset: {{run.horizon_days: 30}}\nreplications: 2\n"
        "kpis: [profit, fill_rate]\nparameters:\n"
        "  - {path: staffing.warehouse.headcount, levels: [1, 2, 3]}\n"
        "  - {path: inventory.default.policy.reorder_point_days, levels: [3, 9]}\n"
        "design: {kind: grid}\nchecks:\n  - fill_rate >= 0.9\n",
        encoding="utf-8",
    )
    return gate, sweep


def _shapes(out: Path) -> dict[str, object]:
    pypdf = pytest.importorskip("pypdf")
    shapes: dict[str, object] = {}
    for path in sorted(out.iterdir()):
        if path.suffix == ".csv":
            shapes[path.name] = list(pd.read_csv(path).columns)
        elif path.suffix == ".pdf":
            shapes[path.name] = len(pypdf.PdfReader(path).pages)
    return shapes


@pytest.mark.slow  # five commands end to end with their PDFs: about 20 s
def test_csv_columns_and_pdf_pages_are_kept(tmp_path: Path) -> None:
    gate, sweep = _inputs(tmp_path)
    quiet = ["--workers", "1", "--quiet"]
    commands = {
        "run": ["run", str(SMALL), *quiet],
        "compare": [
            "compare",
            str(gate),
            "--best",
            "bad_debt",
            "--replications",
            "2",
            "--workers",
            "1",
        ],
        "sweep": ["sweep", str(sweep), *quiet],
        "check": ["check", str(gate), "--replications", "2", *quiet],
        "check-sweep": ["check", str(sweep), *quiet],
    }
    outputs = {}
    for name, args in commands.items():
        out = tmp_path / name
        result = CliRunner().invoke(cli, [*args, "--out", str(out)])
        assert result.exit_code in (0, 1), result.output  # the sweep's check fails on purpose
        outputs[name] = result.output
        now = _shapes(out)
        assert set(now) == set(BEFORE[name]) | ADDED.get(name, set()), name
        for file, before in BEFORE[name].items():
            expected = before + GLOSSARY_PAGES if isinstance(before, int) else before
            assert now[file] == expected, f"{name}/{file}"

    _pages_say_it(tmp_path, outputs)


def _pages_say_it(tmp_path: Path, outputs: dict[str, str]) -> None:
    """The added content is where a planner looks: the window on page 1, the glossary last, the
    --best KPI in the comparison's table and terminal table, a point's values on its line."""
    pypdf = pytest.importorskip("pypdf")
    for name, pdf in (("run", "report.pdf"), ("compare", "compare.pdf"), ("sweep", "sweep.pdf")):
        pages = pypdf.PdfReader(tmp_path / name / pdf).pages
        assert "Measured window" in pages[0].extract_text(), name
        assert "2026-01-10 to 2026-02-03" in pages[0].extract_text(), name
        assert pages[-1].extract_text().startswith("Glossary"), name
    first = pypdf.PdfReader(tmp_path / "compare" / "compare.pdf").pages[0].extract_text()
    assert "Bad debt (currency) (--best)" in first and "bad_debt" in first
    assert "Bad debt" in outputs["compare"]  # the terminal table's row of the --best KPI
    assert (
        "[point 5: staffing.warehouse.headcount=3, inventory.default.policy"
        in (outputs["check-sweep"])
    )
