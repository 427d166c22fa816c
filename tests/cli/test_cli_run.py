"""``twin run``, ``twin schema`` and ``twin --version`` through click's CliRunner.

Every run uses the small fixture scenario (2 SKUs, 1 segment, 30 days) with absolute paths and
writes into ``tmp_path``. One full run with the report is shared by the tests that only read its
folder; the others skip the report, which takes most of a run's time.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from twin import __version__
from twin.cli import cli
from twin.kpis import KPI_UNITS, kpi_units
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SMALL = FIXTURES / "small.yaml"
CATALOGUE = FIXTURES / "small-catalogue.yaml"
ROLES = ["order_desk", "warehouse"]
FIGURES = {
    "inventory_backlog.png",
    "lead_time.png",
    "profit.png",
    "utilisation.png",
    "receivables.png",
}
ORDER_TIMESTAMPS = [
    "t_arrival",
    "t_promised",
    "t_desk_start",
    "t_desk_end",
    "t_first_ship",
    "t_last_delivery",
]


def invoke(*args: object) -> Result:
    """Run ``twin ARGS`` and require success, showing the output and exception if not."""
    result = CliRunner().invoke(cli, [str(arg) for arg in args])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result


def run_small(out: Path, *args: object, scenario: Path = SMALL) -> Path:
    """``twin run`` of a fixture with 2 replications, seed 7, no report; returns the run folder."""
    invoke("run", scenario, "--out", out, "--replications", 2, "--seed", 7, "--quiet", *args)
    return out


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run folder of ``twin run small.yaml --replications 2 --seed 7`` with the report."""
    return run_small(tmp_path_factory.mktemp("full") / "run")


# --- the run folder ---------------------------------------------------------------------------


def test_run_writes_tables_figures_and_report(full_run: Path) -> None:
    names = {path.name for path in full_run.iterdir()}

    expected = {
        "kpis.csv",
        "summary.csv",
        "daily.csv",
        "lead_times.csv",
        "scenario.resolved.yaml",
        "manifest.json",
        "report.pdf",
        "warmup.csv",
    }
    assert expected | FIGURES <= names
    assert not names & {"orders.parquet", "orders.csv"}  # only with --orders
    for figure in FIGURES:
        assert (full_run / figure).read_bytes().startswith(b"\x89PNG")
    assert (full_run / "report.pdf").read_bytes().startswith(b"%PDF")


def test_kpis_csv_has_one_row_per_replication_and_every_kpi(full_run: Path) -> None:
    kpis = pd.read_csv(full_run / "kpis.csv")

    assert list(kpis.columns[:2]) == ["replication", "seed"]
    assert set(KPI_UNITS) <= set(kpis.columns)
    assert {f"utilisation_{role}" for role in ROLES} <= set(kpis.columns)
    assert kpis["replication"].tolist() == [0, 1]
    assert kpis["seed"].tolist() == [7, 7]
    assert kpis["orders"].gt(0).all()


def test_summary_csv_gives_an_interval_around_each_mean(full_run: Path) -> None:
    summary = pd.read_csv(full_run / "summary.csv")
    kpis = pd.read_csv(full_run / "kpis.csv")

    assert list(summary.columns) == ["kpi", "mean", "std", "ci_low", "ci_high", "unit"]
    assert summary["kpi"].tolist() == list(kpis.columns[2:])
    assert (summary["ci_low"] <= summary["mean"]).all()
    assert (summary["mean"] <= summary["ci_high"]).all()
    units = kpi_units(ROLES)
    assert summary["unit"].tolist() == [units[kpi] for kpi in summary["kpi"]]
    means = kpis.drop(columns=["replication", "seed"]).mean()
    assert summary.set_index("kpi")["mean"].to_dict() == pytest.approx(means.to_dict())


def test_daily_and_lead_time_tables_cover_each_replication(full_run: Path) -> None:
    daily = pd.read_csv(full_run / "daily.csv")
    lead_times = pd.read_csv(full_run / "lead_times.csv")

    assert list(daily.columns[:4]) == ["replication", "seed", "day", "date"]
    assert daily.groupby("replication")["day"].apply(list).to_dict() == {
        0: list(range(30)),
        1: list(range(30)),
    }
    assert daily["date"].iloc[0] == "2026-01-05"
    assert list(lead_times.columns) == ["replication", "quantile", "lead_time_days"]
    assert sorted(lead_times["replication"].unique()) == [0, 1]


def test_manifest_records_the_seed_replications_and_version(full_run: Path) -> None:
    manifest = json.loads((full_run / "manifest.json").read_text())

    assert manifest["scenario"] == "small"
    assert manifest["seed"] == 7
    assert manifest["replications"] == 2
    assert manifest["horizon_days"] == 30
    assert manifest["warmup_days"] == 5
    assert manifest["start_date"] == "2026-01-05"
    assert manifest["twin_version"] == __version__
    assert manifest["parameter_uncertainty"] is False
    assert {"simpy", "numpy", "pandas", "pydantic"} <= set(manifest["packages"])


def test_the_reports_first_page_says_whether_parameters_were_drawn(full_run: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    first_page = pypdf.PdfReader(full_run / "report.pdf").pages[0].extract_text()

    assert "Fitted parameters" in first_page
    assert "point estimates in every replication" in first_page


def test_resolved_scenario_reloads_equal_and_reruns_identically(
    full_run: Path, tmp_path: Path
) -> None:
    resolved = full_run / "scenario.resolved.yaml"

    reloaded = load(Scenario, resolved)
    assert reloaded == load(Scenario, SMALL, ["run.seed=7", "run.replications=2"])
    rerun = tmp_path / "rerun"
    invoke("run", resolved, "--out", rerun, "--quiet", "--no-report", "--workers", 1)
    assert (rerun / "kpis.csv").read_bytes() == (full_run / "kpis.csv").read_bytes()


def test_resolved_scenario_holds_the_products_file_rows_inline(tmp_path: Path) -> None:
    run = run_small(tmp_path / "run", "--no-report", scenario=CATALOGUE)
    resolved = run / "scenario.resolved.yaml"

    reloaded = load(Scenario, resolved)
    original = load(Scenario, CATALOGUE, ["run.seed=7", "run.replications=2"])
    assert original.products_file is not None
    assert "products_file" not in resolved.read_text()
    assert [p.sku for p in reloaded.products] == ["A", "B"]
    assert reloaded == original.model_copy(update={"products_file": None})


# --- options ----------------------------------------------------------------------------------


def test_orders_writes_one_parquet_row_per_order(tmp_path: Path) -> None:
    run = run_small(tmp_path / "run", "--no-report", "--orders")
    orders = pd.read_parquet(run / "orders.parquet")
    kpis = pd.read_csv(run / "kpis.csv")

    assert {"replication", "order_id", "segment", *ORDER_TIMESTAMPS} <= set(orders.columns)
    assert not orders.duplicated(["replication", "order_id"]).any()
    assert set(orders["segment"]) == {"shop"}
    # the KPI counts the orders arriving after the 5-day warm-up
    in_window = orders[orders["t_arrival"] >= 5].groupby("replication").size()
    assert in_window.tolist() == kpis["orders"].tolist()
    assert (orders["t_promised"] == orders["t_arrival"] + 3).all()
    delivered = orders.dropna(subset=["t_last_delivery"])
    assert (delivered["t_last_delivery"] >= delivered["t_arrival"]).all()


def test_orders_format_csv_writes_the_same_log_as_csv(tmp_path: Path) -> None:
    as_parquet = run_small(tmp_path / "parquet", "--no-report", "--orders")
    as_csv = run_small(tmp_path / "csv", "--no-report", "--orders", "--orders-format", "csv")

    assert not (as_csv / "orders.parquet").exists()
    expected = pd.read_parquet(as_parquet / "orders.parquet")
    pd.testing.assert_frame_equal(
        pd.read_csv(as_csv / "orders.csv"), expected, check_dtype=False, check_exact=False
    )


def test_no_report_writes_tables_but_no_figures_or_pdf(tmp_path: Path) -> None:
    run = run_small(tmp_path / "run", "--no-report")

    assert (run / "kpis.csv").is_file()
    assert not (run / "report.pdf").exists()
    assert not list(run.glob("*.png"))


def test_results_do_not_depend_on_the_number_of_workers(tmp_path: Path) -> None:
    serial = run_small(tmp_path / "serial", "--no-report", "--workers", 1)
    parallel = run_small(tmp_path / "parallel", "--no-report", "--workers", 2)

    for table in ("kpis.csv", "daily.csv", "lead_times.csv"):
        assert (serial / table).read_bytes() == (parallel / table).read_bytes(), table


def test_set_overrides_a_scenario_value(tmp_path: Path) -> None:
    run = run_small(tmp_path / "run", "--no-report", "--set", "run.horizon_days=20")

    assert json.loads((run / "manifest.json").read_text())["horizon_days"] == 20
    assert pd.read_csv(run / "daily.csv")["day"].max() == 19
    assert load(Scenario, run / "scenario.resolved.yaml").run.horizon_days == 20


def test_default_run_folder_is_reports_slash_name_under_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = invoke("run", SMALL, "--replications", 1, "--quiet", "--no-report")

    assert (tmp_path / "reports" / "small" / "kpis.csv").is_file()
    assert str(Path("reports") / "small") in result.output


def test_run_without_quiet_prints_the_summary_table(tmp_path: Path) -> None:
    result = invoke("run", SMALL, "--out", tmp_path / "run", "--replications", 1, "--no-report")

    assert "small: 1 replications, 30 days" in result.output
    assert "fill_rate" in result.output
    assert f"Results in {tmp_path / 'run'}" in result.output
    assert "warm-up check (MSER-5):" in result.output


def test_run_folder_holds_the_warmup_check(full_run: Path) -> None:
    table = pd.read_csv(full_run / "warmup.csv")
    daily = pd.read_csv(full_run / "daily.csv")
    levels = [c for c in daily.columns if c not in ("replication", "seed", "day", "date")]
    assert list(table.columns) == ["series", "truncation_days", "warmup_days", "verdict"]
    assert list(table["series"]) == levels
    assert set(table["verdict"]) <= {"enough", "too short", "no steady state"}
    assert (table["truncation_days"] % 5 == 0).all()


# --- schema and version -----------------------------------------------------------------------

SECTIONS = {"run", "products", "segments", "inventory", "staffing", "costs"}


def test_schema_prints_the_json_schema_of_scenario_files() -> None:
    document = json.loads(invoke("schema").output)

    assert set(document["properties"]) >= SECTIONS
    assert document["title"] == "twin scenario"
    assert document["$schema"].startswith("https://json-schema.org/")


def test_schema_out_writes_the_same_document_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "scenario.schema.json"

    result = invoke("schema", "--out", target)

    assert result.output == ""
    assert json.loads(target.read_text()) == json.loads(invoke("schema").output)
    assert set(json.loads(target.read_text())["properties"]) >= SECTIONS


def test_version_prints_the_package_version() -> None:
    assert invoke("--version").output.strip() == f"twin, version {__version__}"
