"""Units per line in the prices file: reading and checking the columns, and the draw they
define (whole units whose mean is the row's ``units_mean``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from twin.errors import InputError
from twin.scenario.prices import (
    PRICE_COLUMNS,
    QUANTILE_COLUMNS,
    QUANTILE_LEVELS,
    UNITS_COLUMNS,
    UNITS_QUANTILE_COLUMNS,
    draw_units,
    read_prices,
    table_means,
    unit_tables,
)


def rows(sku: str = "A", **change) -> pd.DataFrame:
    """One good row with units per line (mean 3, quantiles 1..3) and ``change`` applied."""
    row = {"segment": "", "sku": sku, "lines": 40, "mean": 10.0}
    row.update(dict.fromkeys(QUANTILE_COLUMNS, 10.0))
    row["units_mean"] = 3.0
    row.update(zip(UNITS_QUANTILE_COLUMNS, [1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 9], strict=True))
    row.update(change)
    return pd.DataFrame([row], columns=list(PRICE_COLUMNS + UNITS_COLUMNS))


def read(frame: pd.DataFrame, tmp_path: Path):
    path = tmp_path / "prices.parquet"
    frame.to_parquet(path)
    return read_prices(path, {"A", "B"}, {"shop"})


def test_the_units_columns_are_read(tmp_path):
    got = read(rows(), tmp_path)
    assert got.unit_means.tolist() == [3.0]
    assert got.unit_quantiles[0, -1] == 9.0


def test_a_file_without_units_columns_has_none(tmp_path):
    got = read(rows().drop(columns=list(UNITS_COLUMNS)), tmp_path)
    assert got.unit_means is None and got.unit_quantiles is None
    assert unit_tables(got, ("A", "B"), "shop") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"units_mean": 0.5}, r"row 1, column units_mean: 0\.5 is not a finite number >= 1"),
        ({"units_q00": 0.0}, r"row 1, column units_q00: 0\.0 is not a finite number >= 1"),
        ({"units_q50": float("nan")}, r"row 1, column units_q50: .* is not a finite number"),
        ({"units_q40": 1.0}, r"row 1, column units_q40: the quantiles must not decrease"),
    ],
)
def test_a_bad_units_cell_names_file_row_and_column(tmp_path, change, message):
    with pytest.raises(InputError, match=rf"prices_file .*prices\.parquet, {message}"):
        read(rows(**change), tmp_path)


def test_units_columns_come_all_together(tmp_path):
    with pytest.raises(InputError, match=r"lacks column\(s\) units_q70; the units-per-line"):
        read(rows().drop(columns=["units_q70"]), tmp_path)


def test_the_draw_reproduces_each_skus_mean_units_per_line(tmp_path):
    # SKU A bought by the dozen: 1 + negative binomial (mean 12, right-skewed); SKU B one unit
    # at a time. The rows hold the distribution's deciles (the 0.1 % and 99.9 % points at the
    # ends) and its mean, as calibration writes them
    dozen = stats.nbinom(n=4, p=4 / 15)  # mean 11, so 1 + it has mean 12
    quantiles = 1.0 + dozen.ppf(np.clip(QUANTILE_LEVELS, 0.001, 0.999))
    frame = pd.concat(
        [
            rows(
                "A",
                units_mean=1.0 + dozen.mean(),
                **dict(zip(UNITS_QUANTILE_COLUMNS, quantiles, strict=True)),
            ),
            rows("B", units_mean=1.0, **dict.fromkeys(UNITS_QUANTILE_COLUMNS, 1.0)),
        ]
    )
    table, factor, has_row = unit_tables(read(frame, tmp_path), ("A", "B"), "shop")
    assert has_row.tolist() == [True, True]
    assert table_means(table, factor).tolist() == pytest.approx([12.0, 1.0], rel=1e-12)
    n = 200_000
    skus = np.repeat([0, 1], n)
    drawn = draw_units(table, factor, skus, np.random.default_rng(8).random((2 * n, 2)))
    assert drawn.dtype == np.int64 and drawn.min() >= 1
    # sd of 1 + NB(4, 4/15) is about 6.4: the standard error of the mean over 200,000 lines is
    # 0.12 % of 12; 1 % is 8 of them
    assert drawn[:n].mean() == pytest.approx(12.0, rel=0.01)
    assert (drawn[n:] == 1).all()
    # the draw follows the distribution, not only its mean: the median within one unit
    assert abs(np.median(drawn[:n]) - (1.0 + dozen.median())) <= 1.0


def test_a_sku_without_a_row_keeps_the_segments_quantity(tmp_path):
    *_, has_row = unit_tables(read(rows(), tmp_path), ("A", "B"), "shop")
    assert has_row.tolist() == [True, False]


def test_the_scenario_hash_follows_the_units_columns(tmp_path, tiny):
    from twin.experiments.jobs import scenario_hash

    path = tmp_path / "prices.parquet"
    rows().to_parquet(path)
    before = scenario_hash(tiny({"prices_file": str(path)}))
    rows(units_mean=4.0).to_parquet(path)
    assert scenario_hash(tiny({"prices_file": str(path)})) != before


def test_twin_run_exits_2_on_a_bad_units_cell(tmp_path):
    import re

    from click.testing import CliRunner

    from twin.cli import cli
    from twin.scenario.loader import load
    from twin.scenario.schema import Scenario

    small = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "small.yaml"
    sku = load(Scenario, small).products[0].sku
    rows(sku, units_q30=0.0).to_csv(tmp_path / "prices.csv", index=False)
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(f"extends: {small}\nprices_file: prices.csv\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert re.search(
        r"prices_file .*prices\.csv, row 1, column units_q30: 0\.0 is not a finite number >= 1",
        result.output,
    )
