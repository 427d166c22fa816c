"""The example notebook docs/examples/api.ipynb runs top to bottom, in under a minute."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "examples" / "api.ipynb"
#: The brief for the example: it runs in CI in under a minute with its short horizon.
LIMIT_S = 60.0


@pytest.mark.slow
def test_example_notebook_runs_top_to_bottom(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat", reason="nbformat is in the test extra")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is in the test extra")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
    assert elapsed < LIMIT_S, f"the notebook took {elapsed:.0f} s"
    # the last cell shows the InputError's message for an unknown promotion name
    last = "".join(o.get("text", "") for o in notebook.cells[-1].outputs)
    assert "no entry is named 'summer'" in last
