"""The prices file: reading and checking it, and the draw its rows define."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.errors import InputError
from twin.scenario.prices import (
    PRICE_COLUMNS,
    QUANTILE_COLUMNS,
    QUANTILE_LEVELS,
    draw_prices,
    price_tables,
    read_prices,
)


def rows(**change) -> pd.DataFrame:
    """One good row (SKU A of the tiny scenario, every segment) with ``change`` applied."""
    row = {"segment": "", "sku": "A", "lines": 40, "mean": 16.0}
    row.update({c: 10.0 + i for i, c in enumerate(QUANTILE_COLUMNS)})
    row.update(change)
    return pd.DataFrame([row], columns=list(PRICE_COLUMNS))


def test_quantile_levels_are_linspace_exactly():
    """Written without numpy (a scenario error must not load it), but the same float64 values
    the calibration used when it was numpy.linspace: 0.1 * 3 is 0.30000000000000004, not 0.3."""
    expected = np.linspace(0.0, 1.0, len(QUANTILE_COLUMNS))
    assert np.array_equal(np.asarray(QUANTILE_LEVELS), expected)


@pytest.fixture
def scenario_with(tiny):
    """``scenario_with(path)``: the tiny scenario with ``prices_file: path``."""
    return lambda path: tiny({"prices_file": str(path)})


def test_a_good_file_is_read_into_rows(tmp_path, scenario_with):
    path = tmp_path / "prices.parquet"
    rows().to_parquet(path)
    scenario = scenario_with(path)
    assert scenario.line_prices.skus == ("A",)
    assert scenario.line_prices.segments == (None,)
    assert scenario.line_prices.quantiles[0].tolist() == [10.0 + i for i in range(11)]


def test_without_the_key_there_are_no_line_prices(tiny):
    assert tiny().line_prices is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sku": "Z"}, r"row 1, column sku: unknown SKU 'Z'"),
        ({"sku": ""}, r"row 1, column sku: the SKU is missing"),
        ({"segment": "nowhere"}, r"row 1, column segment: unknown segment 'nowhere'"),
        ({"q50": -1.0}, r"row 1, column q50: -1.0 is not a finite number >= 0"),
        ({"mean": float("nan")}, r"row 1, column mean: .* is not a finite number"),
        ({"q90": 5.0}, r"row 1, column q90: the quantiles must not decrease"),
    ],
)
def test_a_bad_row_names_file_row_and_column(tmp_path, change, message, scenario_with):
    path = tmp_path / "prices.parquet"
    rows(**change).to_parquet(path)
    with pytest.raises(InputError, match=rf"prices_file .*prices\.parquet, {message}"):
        scenario_with(path)


def test_a_row_given_twice_is_an_error(tmp_path, scenario_with):
    path = tmp_path / "prices.parquet"
    pd.concat([rows(), rows()]).to_parquet(path)
    with pytest.raises(InputError, match=r"row 2, column sku: .* given twice \(first in row 1\)"):
        scenario_with(path)


def test_a_missing_column_an_unreadable_or_missing_file_are_errors(tmp_path, scenario_with):
    path = tmp_path / "prices.parquet"
    rows().drop(columns=["q30"]).to_parquet(path)
    with pytest.raises(InputError, match=r"prices_file .* lacks column\(s\) q30"):
        scenario_with(path)
    path.write_bytes(b"not a parquet file")
    with pytest.raises(InputError, match=r"Cannot read prices_file .*prices\.parquet"):
        scenario_with(path)
    with pytest.raises(InputError, match=r"prices_file .*gone\.parquet: file not found"):
        scenario_with(tmp_path / "gone.parquet")


def test_a_csv_file_is_read_too(tmp_path, scenario_with):
    path = tmp_path / "prices.csv"
    rows(segment="shop").to_csv(path, index=False)
    assert scenario_with(path).line_prices.segments == ("shop",)


def test_the_draw_has_the_rows_mean_and_its_quantiles():
    # a right-skewed (log-normal, sigma 0.8) price: deciles and mean of the distribution itself
    from scipy import stats

    dist = stats.lognorm(s=0.8, scale=20.0)
    levels = np.linspace(0, 1, 11)
    quantiles = dist.ppf(np.clip(levels, 0.001, 0.999))
    frame = rows(mean=dist.mean(), **dict(zip(QUANTILE_COLUMNS, quantiles, strict=True)))
    read = read_prices_frame(frame)
    table, factor = price_tables(read, ("A", "B"), "shop", np.array([15.0, 7.0]))
    u = np.random.default_rng(5).random(400_000)
    drawn = draw_prices(table, factor, np.zeros(u.size, dtype=np.int64), u)
    # standard error of the mean: sd/sqrt(n) = about 0.1 % of it; 1 % is 10 of them
    assert drawn.mean() == pytest.approx(dist.mean(), rel=0.01)
    # below q90 the draw is the stored quantile function: its median is q50 (to sampling error,
    # about 0.2 % here), and 80 % of the draws lie between q10 and q90
    assert np.median(drawn) == pytest.approx(dist.median(), rel=0.01)
    inside = ((drawn >= quantiles[1]) & (drawn <= quantiles[9])).mean()
    assert inside == pytest.approx(0.8, abs=0.005)
    # a SKU without a row sells at its list price
    other = draw_prices(table, factor, np.ones(5, dtype=np.int64), u[:5])
    assert other.tolist() == [7.0] * 5


def test_a_segments_row_overrides_the_pooled_one():
    frame = pd.concat(
        [rows(), rows(segment="shop", **dict.fromkeys(QUANTILE_COLUMNS, 3.0), mean=3.0)]
    )
    read = read_prices_frame(frame)
    table, factor = price_tables(read, ("A",), "shop", np.array([15.0]))
    assert table[0].tolist() == [3.0] * 11 and factor[0] == 1.0
    table, _ = price_tables(read, ("A",), "other", np.array([15.0]))
    assert table[0, 0] == 10.0


def read_prices_frame(frame: pd.DataFrame):
    """The frame through the reader (a temporary Parquet file)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.parquet"
        frame.to_parquet(path)
        return read_prices(path, {"A", "B"}, {"shop", "other"})


def test_twin_run_exits_2_naming_the_file_row_and_column(tmp_path):
    from click.testing import CliRunner

    from twin.cli import cli

    small = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "small.yaml"
    sku = first_sku(small)
    rows(sku=sku, q20=-3.0).to_csv(tmp_path / "prices.csv", index=False)
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(f"extends: {small}\nprices_file: prices.csv\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert re.search(
        r"prices_file .*prices\.csv, row 1, column q20: -3\.0 is not a finite", result.output
    )


def first_sku(path: Path) -> str:
    """The first SKU of a scenario file."""
    from twin.scenario.loader import load
    from twin.scenario.schema import Scenario

    return load(Scenario, path).products[0].sku


def test_the_scenario_hash_follows_the_files_contents(tmp_path, scenario_with):
    from twin.experiments.jobs import scenario_hash

    path = tmp_path / "prices.parquet"
    rows().to_parquet(path)
    before = scenario_hash(scenario_with(path))
    assert scenario_hash(scenario_with(path)) == before
    rows(mean=17.0).to_parquet(path)
    assert scenario_hash(scenario_with(path)) != before
