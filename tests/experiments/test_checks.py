"""The ``checks:`` grammar and its semantics, on hand-made KPI tables.

Every expected number is worked out from the table in the test (means, Student-t bounds from
``scipy.stats.t``, the Wilson interval from its closed form), so no test depends on a simulation.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from scipy import stats

from twin.errors import InputError
from twin.experiments.checks import (
    RESULT_COLUMNS,
    RISK_COLUMNS,
    check_references,
    evaluate_checks,
    risk_view,
)
from twin.experiments.junit import summary_markdown, write_junit, write_summary
from twin.scenario.checks import Check
from twin.scenario.loader import load
from twin.scenario.schema import Scenario
from twin.stats import wilson_interval

SMALL = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "small.yaml"


def checks(*specs: object) -> list[Check]:
    return [Check.model_validate(spec) for spec in specs]


def variant_table(values: dict[str, list[float]], kpi: str = "fill_rate") -> pd.DataFrame:
    """One row per (variant, replication) with one KPI, plus a constant ``profit``."""
    rows = [
        {"variant": name, "replication": r, "seed": 1, kpi: v, "profit": 100.0}
        for name, series in values.items()
        for r, v in enumerate(series)
    ]
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- grammar


def test_string_and_mapping_forms_give_the_same_check():
    assert Check.model_validate("fill_rate >= 0.97") == Check.model_validate(
        {"kpi": "fill_rate", "op": ">=", "target": 0.97}
    )
    assert Check.model_validate("  lead_time_p95_days<5 ") == Check(
        kpi="lead_time_p95_days", op="<", target=5.0
    )
    assert Check.model_validate("profit >= base") == Check(kpi="profit", op=">=", than="base")
    assert Check.model_validate("profit >= -1.5e3").target == -1500.0


@pytest.mark.parametrize(
    "text, match",
    [
        ("fill_rate => 0.97", r"cannot read the check 'fill_rate => 0.97'.*<kpi> <op> <number>"),
        ("fill_rate", r"cannot read the check 'fill_rate'"),
        ("fill_rate >= 0.97 daily", r"cannot read the check"),
        ("fill_rate >= high", r"'high' is neither a number nor 'base'"),
        ("fill_rate >= nan", r"finite number"),
        ("fill_rate == 0.97", r">=, <=, >, <"),
    ],
)
def test_a_bad_string_is_quoted_with_the_grammar(text, match):
    with pytest.raises(ValidationError, match=match):
        Check.model_validate(text)


@pytest.mark.parametrize(
    "spec, match",
    [
        ({"kpi": "profit", "op": ">="}, "not neither"),
        ({"kpi": "profit", "op": ">=", "target": 1, "than": "base"}, "not both"),
        ({"kpi": "profit", "op": ">=", "target": 1, "margin": 5}, "'margin' applies to comp"),
        ({"kpi": "profit", "op": ">=", "target": 1, "confidence": 95}, "less than 1"),
        ({"kpi": "profit", "op": "=", "target": 1}, "'>=', '<=', '>' or '<'"),
        ({"kpi": "profit", "op": ">=", "target": 1, "at": "all"}, "'every_point' or 'mean'"),
        ({"kpi": "profit", "op": ">=", "target": 1, "colour": "red"}, "Extra inputs"),
    ],
)
def test_a_bad_mapping_says_what_is_expected(spec, match):
    with pytest.raises(ValidationError, match=match):
        Check.model_validate(spec)


def test_labels_read_like_the_string_form():
    assert Check.model_validate("fill_rate >= 0.97").label == "fill_rate >= 0.97"
    spec = {"kpi": "profit", "op": ">=", "than": "base", "margin": 500, "confidence": 0.9}
    assert Check.model_validate(spec).label == "profit >= base - 500 (90% confidence)"
    assert Check.model_validate({**spec, "name": "profit holds"}).label == "profit holds"


def test_a_bad_check_in_a_scenario_file_names_file_and_key(tmp_path):
    path = tmp_path / "gate.yaml"
    path.write_text(
        f"extends: {SMALL}\nchecks:\n  - fill_rate >= 0.9\n  - fill_rate => 0.97\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        load(Scenario, path, [])
    message = str(info.value)
    assert "gate.yaml" in message and "checks.1" in message and "line 4" in message
    assert "'fill_rate => 0.97'" in message


def test_a_scenario_file_keeps_its_checks(tmp_path):
    path = tmp_path / "gate.yaml"
    path.write_text(
        f"extends: {SMALL}\nchecks:\n  - fill_rate >= 0.9\n"
        "  - {kpi: profit, op: '>=', than: base, confidence: 0.9}\n",
        encoding="utf-8",
    )
    scenario = load(Scenario, path, [])
    assert [c.label for c in scenario.checks] == [
        "fill_rate >= 0.9",
        "profit >= base (90% confidence)",
    ]


# --------------------------------------------------------------------------- targets


def test_without_confidence_the_mean_must_meet_the_target():
    table = variant_table({"base": [0.99, 0.96, 0.97], "lean": [0.95, 0.97, 0.96]})
    results = evaluate_checks(checks("fill_rate >= 0.97"), table, base="base")
    assert list(results.columns) == RESULT_COLUMNS
    assert results["group"].tolist() == ["base", "lean"]
    assert results["status"].tolist() == ["pass", "fail"]
    assert results["value"].tolist() == pytest.approx([0.9733333, 0.96])
    assert results["bound"].isna().all()
    assert "mean 0.96 is not >= 0.97" in results.loc[1, "reason"]


def test_a_strict_operator_fails_on_equality():
    table = variant_table({"base": [2.0, 2.0]}, kpi="lead_time_p95_days")
    results = evaluate_checks(
        checks("lead_time_p95_days < 2", "lead_time_p95_days <= 2"), table, base="base"
    )
    assert results["status"].tolist() == ["fail", "pass"]


def test_with_confidence_the_bound_on_the_unfavourable_side_must_meet_it():
    values = [4.1, 4.6, 4.3, 4.9, 4.4]
    table = variant_table({"base": values}, kpi="lead_time_p95_days")
    x = np.array(values)
    half = stats.t.ppf(0.95, 4) * x.std(ddof=1) / math.sqrt(5)
    upper = x.mean() + half  # 4.81, above 4.75 while the mean (4.46) is below it
    specs = [
        {"kpi": "lead_time_p95_days", "op": "<=", "target": 5.0, "confidence": 0.95},
        {"kpi": "lead_time_p95_days", "op": "<=", "target": 4.75, "confidence": 0.95},
        {"kpi": "lead_time_p95_days", "op": ">=", "target": 4.0, "confidence": 0.95},
        "lead_time_p95_days <= 4.75",
    ]
    results = evaluate_checks(checks(*specs), table, base="base")
    assert results["bound"].tolist()[:3] == pytest.approx([upper, upper, x.mean() - half])
    assert results["status"].tolist() == ["pass", "fail", "pass", "pass"]
    assert "upper 95% bound" in results.loc[1, "reason"]


def test_a_default_confidence_applies_to_checks_without_one():
    table = variant_table({"base": [0.96, 0.99, 0.975]})
    plain = evaluate_checks(checks("fill_rate >= 0.97"), table, base="base")
    strict = evaluate_checks(
        checks("fill_rate >= 0.97"), table, base="base", confidence_default=0.95
    )
    assert plain.loc[0, "status"] == "pass" and strict.loc[0, "status"] == "fail"
    assert strict.loc[0, "confidence"] == 0.95


def test_one_replication_cannot_show_confidence():
    table = variant_table({"base": [0.999]})
    spec = {"kpi": "fill_rate", "op": ">=", "target": 0.5, "confidence": 0.9}
    results = evaluate_checks(checks(spec, "fill_rate >= 0.5"), table, base="base")
    assert results["status"].tolist() == ["fail", "pass"]
    assert "one replication cannot show 90% confidence" in results.loc[0, "reason"]


def test_failed_or_undefined_replications_fail_the_check_of_their_group():
    table = variant_table({"base": [0.99, 0.99], "lean": [0.99, 0.99], "odd": [0.99, np.nan]})
    table["error"] = ["", "", "", "RuntimeError: boom", "", ""]
    results = evaluate_checks(checks("fill_rate >= 0.9"), table, base="base")
    assert results["status"].tolist() == ["pass", "fail", "fail"]
    assert results.loc[1, "reason"] == "replication 1 failed: RuntimeError: boom"
    assert results.loc[2, "reason"] == "fill_rate is undefined (NaN) in replication 1"
    assert results["met"].tolist() == [2, 1, 1]  # a failed replication does not meet it


def test_variants_restrict_a_check():
    table = variant_table({"base": [0.9], "lean": [0.8], "rich": [0.99]})
    spec = {"kpi": "fill_rate", "op": ">=", "target": 0.95, "variants": ["rich"]}
    results = evaluate_checks(checks(spec), table, base="base")
    assert results["group"].tolist() == ["rich"]


# --------------------------------------------------------------------------- comparisons


def test_a_comparison_pairs_replications():
    # lean is 1 below base in every replication; the replications themselves vary widely, so
    # only the paired difference is sharp
    base = [100.0, 300.0, 200.0, 500.0]
    table = pd.DataFrame(
        [
            {"variant": v, "replication": r, "seed": 1, "profit": x + shift}
            for v, shift in (("base", 0.0), ("lean", -1.0), ("rich", 2.0))
            for r, x in enumerate(base)
        ]
    )
    specs = [
        {"kpi": "profit", "op": ">=", "than": "base", "confidence": 0.95},
        {"kpi": "profit", "op": ">=", "than": "base", "margin": 1.5, "confidence": 0.95},
        {"kpi": "profit", "op": ">", "than": "lean"},
    ]
    results = evaluate_checks(checks(*specs), table, base="base")
    view = results.set_index(["check", "group"])
    assert view.loc[(0, "base"), "status"] == "skip"
    assert view.loc[(0, "lean"), "value"] == pytest.approx(-1.0)
    assert view.loc[(0, "lean"), "bound"] == pytest.approx(-1.0)  # no spread in the differences
    assert view.loc[(0, "lean"), "status"] == "fail"
    assert view.loc[(0, "rich"), "status"] == "pass"
    assert view.loc[(1, "lean"), "target"] == -1.5
    assert view.loc[(1, "lean"), "status"] == "pass"
    assert view.loc[(2, "lean"), "status"] == "skip"
    assert view.loc[(2, "base"), "status"] == "pass"  # base is 1 above lean
    assert view.loc[(2, "rich"), "reference"] == "lean"
    assert view.loc[(2, "rich"), "value"] == pytest.approx(3.0)


def test_a_worse_by_margin_comparison_for_lower_is_better():
    table = pd.DataFrame(
        [
            {"variant": v, "replication": r, "seed": 1, "dso_days": x}
            for v, xs in (("base", [30.0, 40.0]), ("lean", [30.5, 40.5]))
            for r, x in enumerate(xs)
        ]
    )
    specs = [
        {"kpi": "dso_days", "op": "<=", "than": "base"},
        {"kpi": "dso_days", "op": "<=", "than": "base", "margin": 0.5},
    ]
    results = evaluate_checks(checks(*specs), table, base="base")
    lean = results[results["group"] == "lean"]
    assert lean["target"].tolist() == [0.0, 0.5]
    assert lean["status"].tolist() == ["fail", "pass"]


# --------------------------------------------------------------------------- sweeps


def sweep_table() -> pd.DataFrame:
    # fill rate per (point, replication): point 1 misses 0.95 on its mean
    values = {0: [0.97, 0.99], 1: [0.93, 0.94], 2: [0.99, 0.98]}
    return pd.DataFrame(
        [
            {"point": p, "replication": r, "seed": 7, "fill_rate": x, "error": None}
            for p, xs in values.items()
            for r, x in enumerate(xs)
        ]
    )


def test_a_sweep_check_holds_at_every_point_or_on_the_mean():
    specs = ["fill_rate >= 0.95", {"kpi": "fill_rate", "op": ">=", "target": 0.95, "at": "mean"}]
    results = evaluate_checks(checks(*specs), sweep_table(), group="point")
    assert results["group"].tolist() == ["point 0", "point 1", "point 2", "mean"]
    assert results["status"].tolist() == ["pass", "fail", "pass", "pass"]
    mean = results.iloc[3]
    assert mean["value"] == pytest.approx((0.97 + 0.93 + 0.99 + 0.99 + 0.94 + 0.98) / 6)
    assert mean["replications"] == 2  # the per-replication means over the points
    assert mean["met"] == 2


def test_a_failed_point_fails_the_mean_over_points():
    table = sweep_table()
    table.loc[2, "error"] = "InputError: bad point"
    spec = {"kpi": "fill_rate", "op": ">=", "target": 0.5, "at": "mean"}
    results = evaluate_checks(checks(spec), table, group="point")
    assert results.loc[0, "status"] == "fail"
    assert results.loc[0, "reason"] == "replication 0 failed: point 1: InputError: bad point"


# --------------------------------------------------------------------------- the risk view


def wilson(k: int, n: int, z: float) -> tuple[float, float]:
    """The Wilson score interval by its closed form."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize("k, n", [(0, 5), (3, 5), (5, 5), (17, 40)])
def test_the_risk_interval_is_the_wilson_score_interval(k, n):
    assert wilson_interval(k, n) == pytest.approx(wilson(k, n, stats.norm.ppf(0.975)))


def test_the_risk_view_counts_replications_meeting_the_target():
    table = variant_table({"base": [0.99, 0.96, 0.98, 0.97], "lean": [0.9, 0.9, 0.9, 0.9]})
    results = evaluate_checks(checks("fill_rate >= 0.97", "profit >= base"), table, base="base")
    risk = risk_view(results)
    assert list(risk.columns) == RISK_COLUMNS
    assert len(risk) == 3  # the comparison of base with itself is skipped
    first = risk.iloc[0]
    assert (first["met"], first["replications"], first["p_meet"]) == (3, 4, 0.75)
    assert (first["p_low"], first["p_high"]) == pytest.approx(wilson(3, 4, 1.959964))
    assert risk.iloc[1]["p_meet"] == 0.0 and risk.iloc[1]["p_low"] == 0.0


# --------------------------------------------------------------------------- bad references


def test_an_unknown_kpi_names_the_check_and_close_names():
    table = variant_table({"base": [0.9]})
    with pytest.raises(
        InputError,
        match=r"gate.yaml: checks.1.kpi: unknown KPI 'fill_rat'; did"
        r" you mean fill_rate\?",
    ):
        evaluate_checks(
            checks("profit > 0", "fill_rat >= 0.9"), table, base="base", source="gate.yaml"
        )


@pytest.mark.parametrize(
    "spec, group, match",
    [
        ({"kpi": "profit", "op": ">=", "than": "lavish"}, "variant", r"checks.0.than: unknown"),
        (
            {"kpi": "profit", "op": ">=", "target": 1, "variants": ["base", "lavish"]},
            "variant",
            r"checks.0.variants.1: unknown variant 'lavish'; the variants are base, lean",
        ),
        ({"kpi": "profit", "op": ">=", "target": 1, "at": "mean"}, "variant", r"applies to sw"),
        ({"kpi": "profit", "op": ">=", "than": "base"}, "point", r"a sweep has no variants"),
        ({"kpi": "profit", "op": ">=", "target": 1, "variants": ["a"]}, "point", r"has points"),
    ],
)
def test_references_that_do_not_fit_the_run_are_bad_input(spec, group, match):
    with pytest.raises(InputError, match=match):
        check_references(checks(spec), ["base", "lean"], group, "base")


# --------------------------------------------------------------------------- outputs


def test_junit_has_one_case_per_check_and_group(tmp_path):
    table = variant_table({"base": [0.99, 0.98], "lean": [0.9, 0.91]})
    results = evaluate_checks(checks("fill_rate >= 0.97", "profit >= base"), table, base="base")
    path = write_junit(results, tmp_path / "out" / "gate.xml", "twin check gate")
    root = ET.parse(path).getroot()
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "1", "1")
    cases = suite.findall("testcase")
    assert [c.get("classname") for c in cases] == [
        "twin check gate.base",
        "twin check gate.lean",
        "twin check gate.base",
        "twin check gate.lean",
    ]
    assert cases[0].get("name") == "fill_rate >= 0.97"
    failure = cases[1].find("failure")
    assert failure is not None and "is not >= 0.97" in failure.get("message")
    assert cases[2].find("skipped") is not None


def test_the_summary_gives_a_verdict_and_a_row_per_check(tmp_path):
    table = variant_table({"base": [0.99, 0.98], "lean": [0.9, 0.91]})
    table["profit"] = [10.0, 20.0, 11.0, 21.0]
    results = evaluate_checks(checks("fill_rate >= 0.97", "profit >= base"), table, base="base")
    text = summary_markdown(results, "twin check gate")
    assert "**FAIL**: 1 of 3 checks fail (1 skipped)." in text
    assert "| fill_rate >= 0.97 | lean | 0.91 |  | >= 0.97 | FAIL |" in text
    assert "| profit >= base | lean | 1.00 vs base |" in text
    assert "- fill_rate >= 0.97 [lean]: mean 0.905 is not >= 0.97" in text
    path = write_summary(results.iloc[[0]], tmp_path / "summary.md", "twin check gate")
    assert "**PASS**: all 1 checks hold." in path.read_text(encoding="utf-8")


def test_the_json_schema_accepts_both_forms():
    schema = Scenario.model_json_schema()
    forms = schema["$defs"]["Check"]["anyOf"]
    assert forms[0]["type"] == "string" and forms[1]["type"] == "object"
    assert set(forms[1]["required"]) == {"kpi", "op"}
