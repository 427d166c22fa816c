"""The docs site builds with ``mkdocs build --strict``: every page in the nav exists, and every
link between the guides reaches a page and heading that exist (mkdocs.yml's validation)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # about 5 s: CI runs it with the slow tests
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="mkdocs is in the test extra")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    problems = [line for line in built.stderr.splitlines() if not line.startswith("INFO")]
    assert built.returncode == 0, "\n".join(problems)
    assert (tmp_path / "site" / "api" / "index.html").is_file()
    assert (tmp_path / "site" / "scenarios" / "index.html").is_file()
