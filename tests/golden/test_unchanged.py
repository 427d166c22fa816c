"""Restructuring changes no simulated number: every golden case reproduces its tables byte for byte.

The fixture in `before/` was made by `make_fixture.py` from the commit named in `before/COMMIT`.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import FIXTURE, cases, run_case

HASHES = json.loads((FIXTURE / "hashes.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
def test_tables_unchanged(case, tmp_path: Path) -> None:
    run_case(case, tmp_path)
    for table in case.tables:
        expected = (FIXTURE / case.name / table).read_bytes()
        actual = (tmp_path / table).read_bytes()
        assert actual == expected, f"{case.name}: {table} differs from the fixture"
    for table in case.hashed:
        digest = hashlib.sha256((tmp_path / table).read_bytes()).hexdigest()
        assert digest == HASHES[f"{case.name}/{table}"], f"{case.name}: {table} differs"
