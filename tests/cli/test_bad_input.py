"""Bad input to ``twin run``: exit code 2, no traceback, and a message that says where and what.

Each case writes a small scenario into ``tmp_path``, usually a variant that ``extends`` the valid
fixture ``small.yaml`` and changes one thing, so the line a message must name is visible in the
case itself. The message must name the file (or the ``--set`` override), the dotted key path, the
line where the key comes from a file, and what is expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from twin.cli import cli

SMALL = Path(__file__).resolve().parent / "fixtures" / "small.yaml"


@dataclass
class Case:
    """A bad input: files to write (``{name: text}``), the run's extra arguments, and regexes the
    output must match. ``{dir}`` in a text, argument or pattern is the case's folder (escaped in
    patterns); ``{small}`` is the fixture's path. The first file is the scenario run."""

    files: dict[str, str]
    patterns: list[str]
    args: list[str] = field(default_factory=list)
    scenario: str | None = None  # when not the first file


def variant(body: str) -> str:
    """A scenario file that extends small.yaml; ``body`` starts on line 2."""
    return "extends: {small}\n" + body


CASES: dict[str, Case] = {
    "missing required key": Case(
        {
            "s.yaml": (
                "name: gaps\n"
                "products: [{sku: A, unit_cost: 1, price: 2, supplier: acme}]\n"
                "suppliers: {acme: {lead_time_days: 2}}\n"
                "segments:\n"
                "  shop:\n"
                "    customers: 3\n"
                "inventory: {default: {policy: {kind: base_stock, level: 5}}}\n"
            )
        },
        [r"s\.yaml, line 5: segments\.shop\.arrivals: missing required key"],
    ),
    "mistyped key lists the allowed keys": Case(
        {"s.yaml": variant("segments:\n  shop:\n    arrivals: {kind: poisson, rate_per_dya: 3}\n")},
        [
            r"s\.yaml, line 4: segments\.shop\.arrivals\.rate_per_dya: unknown key "
            r"'rate_per_dya'; expected one of: kind, rate_per_day, weekday_multipliers"
        ],
    ),
    "string for a number": Case(
        {"s.yaml": variant("run:\n  horizon_days: thirty\n")},
        [
            r"s\.yaml, line 3: run\.horizon_days: expected a number of days, more than 0 "
            r".*\(got 'thirty'\)"
        ],
    ),
    "negative quantity": Case(
        {"s.yaml": variant("suppliers:\n  acme:\n    min_order_quantity: -5\n")},
        [
            r"s\.yaml, line 4: suppliers\.acme\.min_order_quantity: "
            r"must be at least 0 \(Smallest purchase order, units\) \(got -5\)"
        ],
    ),
    "negative rate": Case(
        {"s.yaml": variant("segments:\n  shop:\n    arrivals:\n      rate_per_day: -2.5\n")},
        [r"line 5: segments\.shop\.arrivals\.rate_per_day: must be more than 0 \(got -2\.5\)"],
    ),
    "NaN": Case(
        {"s.yaml": variant("costs:\n  freight:\n    per_unit: .nan\n")},
        [r"s\.yaml, line 4: costs\.freight\.per_unit: must be a finite number, not NaN"],
    ),
    "warm-up as long as the horizon": Case(
        {"s.yaml": variant("run:\n  warmup_days: 30\n")},
        [
            r"s\.yaml, line 3: run\.warmup_days: 30 days must be shorter than "
            r"horizon_days \(30\)"
        ],
    ),
    "reorder point above order-up-to": Case(
        {
            "s.yaml": variant(
                "inventory:\n"
                "  default:\n"
                "    policy: {reorder_point_days: 20}   # over small.yaml's order_up_to_days: 14\n"
            )
        },
        [
            r"s\.yaml, line 4: inventory\.default\.policy: "
            r"reorder_point_days \(20\) must be below order_up_to_days \(14\)"
        ],
    ),
    "one of units or days": Case(
        {
            "s.yaml": variant(
                "inventory:\n"
                "  skus:\n"
                "    A:\n"
                "      policy: {kind: base_stock, level: 50, level_days: 10}\n"
            )
        },
        [
            r"line 5: inventory\.skus\.A\.policy: give exactly one of 'level' \(units\) "
            r"and 'level_days' \(days\)"
        ],
    ),
    "product naming an unknown supplier": Case(
        {
            "s.yaml": variant(
                "products:\n"
                "  - {sku: A, unit_cost: 1, price: 2, supplier: acme}\n"
                "  - {sku: C, unit_cost: 1, price: 2, supplier: globex}\n"
            )
        },
        [
            r"s\.yaml, line 4: products\.1\.supplier: product 'C' names supplier 'globex', "
            r"which is not in suppliers \(acme\)"
        ],
    ),
    "inventory rule for an unknown SKU": Case(
        {"s.yaml": variant("inventory:\n  skus:\n    Z:\n      shortage: lost_sale\n")},
        [r"s\.yaml, line 4: inventory\.skus\.Z: unknown SKU 'Z'"],
    ),
    "role naming an unknown calendar": Case(
        {"s.yaml": variant("staffing:\n  warehouse:\n    calendar: night\n")},
        [
            r"s\.yaml, line 4: staffing\.warehouse\.calendar: 'night' is not in "
            r"staffing\.calendars \(office\)"
        ],
    ),
    "overlapping shifts": Case(
        {
            "s.yaml": variant(
                "staffing:\n  calendars:\n    office: {shifts: ['08:00-17:00', '16:00-20:00']}\n"
            )
        },
        [r"s\.yaml, line 4: staffing\.calendars\.office\.shifts: shifts overlap"],
    ),
    "bad shift": Case(
        {"s.yaml": variant("staffing:\n  calendars:\n    office: {shifts: ['8-17']}\n")},
        [r"line 4: staffing\.calendars\.office\.shifts: a shift is written 'HH:MM-HH:MM'"],
    ),
    "empirical with both values and file": Case(
        {
            "s.yaml": variant(
                "staffing:\n"
                "  warehouse:\n"
                "    minutes_per_line: {dist: empirical, values: [1, 2], file: m.csv, column: m}\n"
            )
        },
        [
            r"s\.yaml, line 4: staffing\.warehouse\.minutes_per_line: "
            r"empirical needs exactly one of: values, or file and column"
        ],
    ),
    "negative rate of drawn trend changes": Case(
        {
            "s.yaml": variant(
                "segments:\n  shop:\n    arrivals:\n      kind: poisson\n      rate_per_day: 3\n"
                "      uncertainty: {log_rate_sd: 0.1, trend_change_rate: -1, shared_sd: 0.1}\n"
            )
        },
        [
            r"s\.yaml, line 7: segments\.shop\.arrivals\.uncertainty\.trend_change_rate: "
            r"must be at least 0"
        ],
    ),
    "date of drawn trend changes not a date": Case(
        {
            "s.yaml": variant(
                "segments:\n  shop:\n    arrivals:\n      kind: poisson\n      rate_per_day: 3\n"
                "      uncertainty: {log_rate_sd: 0.1, changes_from: next spring}\n"
            )
        },
        [
            r"s\.yaml, line 7: segments\.shop\.arrivals\.uncertainty\.changes_from: "
            r"expected a date written YYYY-MM-DD"
        ],
    ),
    "unknown distribution": Case(
        {"s.yaml": variant("segments:\n  shop:\n    transit_days: {dist: gama, shape: 2}\n")},
        [
            r"s\.yaml, line 4: segments\.shop\.transit_days: unknown dist 'gama'; "
            r"expected one of: constant, uniform, .*gamma"
        ],
    ),
    "triangular mode above high": Case(
        {
            "s.yaml": variant(
                "segments:\n  shop:\n"
                "    transit_days: {dist: triangular, low: 1, mode: 5, high: 3}\n"
            )
        },
        [r"s\.yaml, line 4: segments\.shop\.transit_days\.high: high must be >= mode \(5\)"],
    ),
    "triangular mode below low": Case(
        {
            "s.yaml": variant(
                "segments:\n  shop:\n"
                "    transit_days: {dist: triangular, low: 2, mode: 1, high: 3}\n"
            )
        },
        [r"s\.yaml, line 4: segments\.shop\.transit_days\.mode: mode must be >= low \(2\)"],
    ),
    "probabilities not summing to 1": Case(
        {
            "s.yaml": variant(
                "segments:\n  shop:\n    lines_per_order:\n      probabilities: [0.5, 0.4]\n"
            )
        },
        [
            r"s\.yaml, line 5: segments\.shop\.lines_per_order\.probabilities: "
            r"probabilities must sum to 1, got 0\.9"
        ],
    ),
    "a lead time that can be negative": Case(
        {},
        [
            r"--set suppliers\.acme\.lead_time_days=.*: suppliers\.acme\.lead_time_days: "
            r"a lead time cannot be negative"
        ],
        ["--set", "suppliers.acme.lead_time_days={dist: uniform, low: -1, high: 3}"],
    ),
    "broken YAML": Case(
        {"s.yaml": variant("run:\n  horizon_days: [30\n  seed: 3\n")},
        # libyaml and the pure-Python parser word it slightly differently
        [r"s\.yaml, line 4, column \d+: invalid YAML: (did not find )?expected ',' or ']'"],
    ),
    "impossible date": Case(
        {"s.yaml": variant("run:\n  start_date: 2026-02-30\n")},
        [r"s\.yaml, line 3, column \d+: invalid YAML: '2026-02-30' is not a valid date"],
    ),
    "duplicate key": Case(
        {"s.yaml": variant("name: one\nname: two\n")},
        [r"s\.yaml, line 3: duplicate key 'name' in the top level \(first at line 2\)"],
    ),
    "missing scenario file": Case(
        {}, [r"{dir}/nowhere\.yaml: file not found"], scenario="{dir}/nowhere.yaml"
    ),
    "missing extends file": Case(
        {"s.yaml": "name: x\nextends: base.yaml\n"},
        [r"s\.yaml, line 2: extends: file not found: .*base\.yaml"],
    ),
    "extends cycle": Case(
        {"a.yaml": "extends: b.yaml\nname: a\n", "b.yaml": "extends: a.yaml\n"},
        [r"b\.yaml, line 1: extends cycle: .*a\.yaml -> .*b\.yaml -> .*a\.yaml"],
    ),
    "--set without =": Case(
        {}, [r"--set run\.horizon_days: expected key\.path=value"], ["--set", "run.horizon_days"]
    ),
    "--set through a scalar": Case(
        {},
        [r"--set name\.first=3: cannot go into 'name' to set 'first': it holds the value 'small'"],
        ["--set", "name.first=3"],
    ),
    "--set invalid value": Case(
        {},
        [r"--set run\.horizon_days=-3: run\.horizon_days: must be more than 0 days"],
        ["--set", "run.horizon_days=-3"],
    ),
    "--set unknown key": Case(
        {},
        [r"--set run\.horizon_dayz=3: run\.horizon_dayz: unknown key 'horizon_dayz'"],
        ["--set", "run.horizon_dayz=3"],
    ),
    "--set invalid YAML value": Case(
        {},
        [r"--set run\.seed=\[1: the value is not valid YAML"],
        ["--set", "run.seed=[1"],
    ),
    "--set impossible date": Case(
        {},
        [r"--set run\.start_date=2026-13-01: .*'2026-13-01' is not a valid date"],
        ["--set", "run.start_date=2026-13-01"],
    ),
    "--set index out of range": Case(
        {},
        [
            r"--set segments\.shop\.lines_per_order\.values\.5=3: index 5 is out of range for "
            r"'segments\.shop\.lines_per_order\.values', a list of 2 item\(s\); "
            r"valid indices are 0 to 1"
        ],
        ["--set", "segments.shop.lines_per_order.values.5=3"],
    ),
    "products_file missing": Case(
        {"s.yaml": variant("products: null\nproducts_file: nowhere.csv\n")},
        [r"products_file {dir}/nowhere\.csv: file not found"],
    ),
    "products_file with a bad row": Case(
        {
            "s.yaml": variant("products: null\nproducts_file: p.csv\n"),
            "p.csv": "sku,unit_cost,price,supplier\nA,1,2,acme\nB,cheap,2,acme\n",
        },
        [
            r"products_file {dir}/p\.csv, row 2 \(file line 3\): unit_cost: "
            r"Input should be a valid number.*\(got 'cheap'\)"
        ],
    ),
    "products_file with a missing column": Case(
        {
            "s.yaml": variant("products: null\nproducts_file: p.csv\n"),
            "p.csv": "sku,unit_cost,supplier\nA,1,acme\n",
        },
        [r"products_file {dir}/p\.csv lacks column\(s\) price"],
    ),
    "products inline and in a file": Case(
        {"s.yaml": variant("products_file: p.csv\n"), "p.csv": "sku,unit_cost,price,supplier\n"},
        [
            r"s\.yaml, line 2: products_file: give products inline \('products'\) or in "
            r"'products_file', not both"
        ],
    ),
    "replay file with an unparseable date": Case(
        {
            "s.yaml": variant(
                "segments:\n  web:\n    arrivals: {kind: replay, file: orders.csv, column: t}\n"
            ),
            "orders.csv": "t\n2026-01-05 09:00\n2026-01-07\nyesterday\n",
        },
        [
            r"Replay file {dir}/orders\.csv, column 't': row 3 \(file line 4\) is 'yesterday', "
            r"expected a date or timestamp"
        ],
    ),
    "replay file without the column": Case(
        {
            "s.yaml": variant(
                "segments:\n  web:\n    arrivals: {kind: replay, file: orders.csv, column: when}\n"
            ),
            "orders.csv": "t\n2026-01-05 09:00\n",
        },
        [r"replay file {dir}/orders\.csv \(column 'when'\)"],
    ),
    "replay times with a UTC offset": Case(
        {
            "s.yaml": variant(
                "segments:\n"
                "  web:\n"
                "    arrivals:\n"
                "      kind: replay\n"
                "      times: ['2026-01-06 10:00', '2026-01-06T11:00:00+01:00']\n"
            )
        },
        [r"s\.yaml, line 6: segments\.web\.arrivals\.times: item 1 .* has a UTC offset"],
    ),
    "--out names an existing file": Case(
        {"taken": "not a folder\n"},
        [r"--out {dir}/taken: cannot create the run folder"],
        ["--out", "{dir}/taken"],
        scenario="{small}",
    ),
}


def run_case(case: Case, folder: Path) -> tuple[Result, str]:
    def fill(text: str) -> str:
        return text.replace("{dir}", str(folder)).replace("{small}", str(SMALL))

    for name, text in case.files.items():
        (folder / name).write_text(fill(text), encoding="utf-8")
    scenario = case.scenario or (str(folder / next(iter(case.files))) if case.files else "{small}")
    args = [fill(arg) for arg in case.args]
    if "--out" not in args:
        args += ["--out", str(folder / "out")]
    result = CliRunner().invoke(cli, ["run", fill(scenario), *args, "--quiet", "--no-report"])
    return result, re.escape(str(folder))


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_exits_2_with_a_message_and_no_traceback(case: Case, tmp_path: Path) -> None:
    result, folder = run_case(case, tmp_path)

    assert result.exit_code == 2, f"{result.output}\n{result.exception!r}"
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: ")
    for pattern in case.patterns:
        assert re.search(pattern.replace("{dir}", folder), result.output), result.output
    assert not (tmp_path / "out" / "kpis.csv").exists()


def test_a_report_lists_every_problem_with_its_own_line(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        variant("run:\n  horizon_days: -1\n  replications: 0\n").replace("{small}", str(SMALL))
    )

    result = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(tmp_path / "out")])

    assert result.exit_code == 2
    assert f"Invalid scenario {scenario} (2 errors):" in result.output
    assert re.search(r"line 3: run\.horizon_days: must be more than 0 .*\(got -1\)", result.output)
    assert re.search(r"line 4: run\.replications: must be at least 1 .*\(got 0\)", result.output)


def test_an_unknown_option_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["run", str(SMALL), "--replicatoins", "2"])

    assert result.exit_code == 2
    assert "No such option '--replicatoins'. Did you mean '--replications'?" in result.output
