"""Resource limits (``twin.scenario.limits``, ``twin.scenario.footprint``): refused at once, exit 2.

Each case would otherwise exhaust the machine: a century-long horizon, a billion replications,
``/dev/zero`` as a products, replay, scenario or history file, a run larger than the memory
available or longer than a day. The memory refusal is tested with the available memory made
small (monkeypatched), as no test can rely on the machine's.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import twin.scenario.footprint as footprint
from twin.calibration.sources import read_file
from twin.cli import cli
from twin.errors import InputError
from twin.input_files import FILE_LIMIT_ENV, check_input_file
from twin.scenario.limits import available_memory_bytes
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

SMALL = Path(__file__).resolve().parent / "fixtures" / "small.yaml"


def run(scenario: Path | str, tmp_path: Path, *extra: str) -> Result:
    args = ["run", str(scenario), "--out", str(tmp_path / "out"), "--quiet", "--no-report"]
    return CliRunner().invoke(cli, [*args, "--workers", "1", *extra])


def refused(result: Result, *parts: str) -> None:
    assert result.exit_code == 2, f"{result.output}\n{result.exception!r}"
    assert "Traceback" not in result.output
    for part in parts:
        assert part in result.output, result.output


def variant(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(f"extends: {SMALL}\n{body}", encoding="utf-8")
    return path


def test_a_horizon_of_1e12_days_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    start = time.perf_counter()
    result = run(SMALL, tmp_path, "--set", "run.horizon_days=1e12")
    refused(result, "run.horizon_days: 1e+12 days is longer than twin simulates (at most 36525")
    assert time.perf_counter() - start < 10  # nothing is allocated for those days
    assert not (tmp_path / "out").exists()


def test_a_billion_replications_are_refused(tmp_path: Path) -> None:
    result = run(variant(tmp_path, "run: {replications: 1000000000}\n"), tmp_path)
    refused(result, "run.replications: 1,000,000,000 replications are more than twin runs")


@pytest.mark.parametrize(
    "body",
    ["products: null\nproducts_file: /dev/zero\n", "products: null\nproducts_file: sub\n"],
    ids=["device", "folder"],
)
def test_a_products_file_that_is_not_a_regular_file_is_refused_unread(
    tmp_path: Path, body: str
) -> None:
    (tmp_path / "sub").mkdir()
    result = run(variant(tmp_path, body), tmp_path)
    refused(result, "products_file ", "give the path of a regular file")


def test_a_replay_file_that_is_a_device_is_refused(tmp_path: Path) -> None:
    body = "segments:\n  web:\n    arrivals: {kind: replay, file: /dev/zero, column: t}\n"
    result = run(variant(tmp_path, body), tmp_path)
    refused(result, "Replay file /dev/zero: not a regular file (a device or pipe)")


def test_a_scenario_file_that_is_a_device_is_refused(tmp_path: Path) -> None:
    refused(run("/dev/zero", tmp_path), "/dev/zero: not a regular file")


def test_a_history_file_that_is_a_device_is_refused() -> None:
    with pytest.raises(InputError, match=r"^/dev/zero: not a regular file"):
        read_file("/dev/zero")


def test_a_file_over_the_size_limit_is_refused_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    products = tmp_path / "p.csv"
    products.write_text("sku,unit_cost,price,supplier\nA,1,2,acme\n", encoding="utf-8")
    size = products.stat().st_size
    monkeypatch.setenv(FILE_LIMIT_ENV, str(size - 1))
    with pytest.raises(InputError, match=rf"has {size} bytes, more than .* {FILE_LIMIT_ENV}"):
        check_input_file(products, "products_file")
    monkeypatch.setenv(FILE_LIMIT_ENV, str(size))
    check_input_file(products, "products_file")  # at the limit: read
    monkeypatch.setenv(FILE_LIMIT_ENV, "2GB")
    with pytest.raises(InputError, match=f"{FILE_LIMIT_ENV}='2GB': give .* number of bytes"):
        check_input_file(products, "products_file")


def test_the_available_memory_is_read_from_the_machine() -> None:
    available = available_memory_bytes()
    assert available is not None and available > 16 * 1024**2


def test_the_estimate_counts_the_expected_order_lines() -> None:
    scenario = load(Scenario, SMALL, ["run.horizon_days=365"])
    estimate = footprint.estimate(scenario)
    # small.yaml: 8 orders a day, every day alike; 1 or 2 lines with probabilities 0.6, 0.4
    assert estimate.lines == pytest.approx(8 * 365 * 1.4)
    assert estimate.bytes == pytest.approx(
        footprint.BYTES_PER_REPLICATION
        + footprint.BYTES_PER_LINE * estimate.lines
        + footprint.BYTES_PER_DAY * 365
    )


def test_a_run_larger_than_the_memory_available_is_refused_with_the_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(footprint, "available_memory_bytes", lambda: 64 * 1024**2)
    assert run(SMALL, tmp_path).exit_code == 0  # 30 days fit in 64 MiB by the estimate
    result = run(SMALL, tmp_path, "--set", "run.horizon_days=3650")
    refused(
        result,
        "Scenario small: 2 replication(s) of about 40,880 order lines over 3650 days",
        "of memory, and this machine has 64 MiB available; shorten run.horizon_days",
    )


def test_a_run_longer_than_the_time_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(footprint.HOURS_ENV, "0.0001")
    result = run(SMALL, tmp_path, "--set", "run.horizon_days=3650")
    refused(result, "would take about", "hours twin accepts; lower run.replications", "0.0001")
    monkeypatch.setenv(footprint.HOURS_ENV, "soon")
    refused(run(SMALL, tmp_path), f"{footprint.HOURS_ENV}='soon'")


def test_an_empirical_data_file_that_is_a_device_is_refused_naming_the_key(tmp_path: Path) -> None:
    body = (
        "suppliers:\n  acme:\n    lead_time_days: {dist: empirical, file: /dev/zero, column: d}\n"
    )
    result = run(variant(tmp_path, body), tmp_path)
    refused(result, "suppliers.acme.lead_time_days", "/dev/zero: not a regular file")


def test_a_sweep_or_check_file_that_is_a_device_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", "/dev/zero", "--out", str(tmp_path / "out")])
    refused(result, "/dev/zero: not a regular file")
