"""`twin synth` needs no checkout: its default company ships as package data.

Checked by hand once from a wheel (``pip wheel . --no-deps``, installed in a fresh venv, ``twin
synth --years 1`` run outside the repository); here, that the default resolves through
``importlib.resources`` to the files the wheel carries, and (slow) that the command runs from
another folder and writes a complete history folder.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from twin.calibration.synth import company_file
from twin.cli import cli
from twin.output_folder import MARKER
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

REPO = Path(__file__).resolve().parents[2]


def test_the_default_company_resolves_through_importlib_resources() -> None:
    data = resources.files("twin.calibration").joinpath("data/company")
    assert data.joinpath("company.yaml").is_file()
    assert data.joinpath("products.csv").is_file()  # its products_file, beside it
    assert company_file() == Path(str(data.joinpath("company.yaml")))
    scenario = load(Scenario, company_file())
    assert len(scenario.products) > 100 and scenario.segments


def test_the_package_data_is_declared_for_the_wheel() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["twin.calibration"]
    shipped = {p.name for p in (REPO / "twin" / "calibration" / "data" / "company").iterdir()}
    for name in shipped:
        assert any(Path("data/company", name).match(pattern) for pattern in patterns), name


@pytest.mark.slow
def test_synth_runs_from_any_folder_with_its_default_company(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no calibration/company/ here
    result = CliRunner().invoke(cli, ["synth", "--years", "1", "--out", "history"])
    assert result.exit_code == 0, result.output
    written = {p.name for p in (tmp_path / "history").iterdir()}
    assert {"README.md", "sales_orders.parquet", "customers.csv", MARKER} <= written
