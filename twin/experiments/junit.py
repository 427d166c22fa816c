"""What the CI gate hands to CI: JUnit XML, a Markdown summary and one console line per check.

All three are drawn from the table of :func:`twin.experiments.checks.evaluate_checks`, one row per
(check, group). In the JUnit file each row is a test case (``classname`` = suite and group,
``name`` = the check's label) with a ``<failure>`` or ``<skipped>`` element, so any CI test
reporter lists the gate's checks next to the unit tests. The Markdown summary is written for
``$GITHUB_STEP_SUMMARY`` or a pull-request comment: a verdict, then a table with value, bound,
target, result and the risk of each check in each group.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from twin.formatting import format_value

#: Result words, as printed and in the summary.
WORDS = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}


def verdict(results: pd.DataFrame) -> bool:
    """True when no check failed in any group."""
    return not (results["status"] == "fail").any()


def counts(results: pd.DataFrame) -> dict[str, int]:
    """Rows per status (``pass``, ``fail``, ``skip``) and in all (``tests``)."""
    status = results["status"]
    return {
        "tests": len(results),
        "pass": int((status == "pass").sum()),
        "fail": int((status == "fail").sum()),
        "skip": int((status == "skip").sum()),
    }


def describe(row: pd.Series) -> str:
    """One line: ``PASS fill_rate >= 0.97 [base]: mean 0.981 (target 0.970), P(meet) 1.00``."""
    word = WORDS[row["status"]]
    head = f"{word} {row['name']} [{row['group']}]"
    if row["status"] == "skip":
        return f"{head}: {row['reason']}"
    unit = row["unit"]
    what = "mean difference" if row["reference"] else "mean"
    text = f"{head}: {what} {format_value(row['value'], unit)}"
    if not _missing(row["bound"]):
        text += f", {row['confidence']:.0%} bound {format_value(row['bound'], unit)}"
    text += f" (target {row['op']} {format_value(row['target'], unit)})"
    text += f", P(meet) {_share(row['p_meet'])} [{_share(row['p_low'])}, {_share(row['p_high'])}]"
    if row["status"] == "fail":
        text += f"; {row['reason']}"
    return text


def write_junit(results: pd.DataFrame, path: Path | str, suite_name: str) -> Path:
    """Write ``results`` as a JUnit XML file: one ``testsuite``, one ``testcase`` per row.

    Parameters
    ----------
    results : DataFrame
        The table of :func:`~twin.experiments.checks.evaluate_checks`.
    path : path
        The file to write; its folder is created.
    suite_name : str
        The ``testsuite`` name, e.g. ``twin check gate``.

    Returns
    -------
    Path
        The file written.
    """
    n = counts(results)
    attributes = {
        "name": suite_name,
        "tests": str(n["tests"]),
        "failures": str(n["fail"]),
        "errors": "0",
        "skipped": str(n["skip"]),
        "time": "0",
    }
    root = ET.Element("testsuites", {k: v for k, v in attributes.items() if k != "name"})
    root.set("name", suite_name)
    suite = ET.SubElement(root, "testsuite", attributes)
    for _, row in results.iterrows():
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": f"{suite_name}.{row['group']}", "name": str(row["name"]), "time": "0"},
        )
        if row["status"] == "fail":
            failure = ET.SubElement(case, "failure", {"message": str(row["reason"])})
            failure.text = describe(row)
        elif row["status"] == "skip":
            ET.SubElement(case, "skipped", {"message": str(row["reason"])})
        ET.SubElement(case, "system-out").text = describe(row)
    ET.indent(root)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)
    return target


def summary_markdown(results: pd.DataFrame, title: str = "twin check") -> str:
    """The Markdown summary of ``results`` (see :func:`write_summary`)."""
    n = counts(results)
    checks = results.loc[results["status"] != "skip"]
    if verdict(results):
        headline = f"**PASS**: all {n['pass']} checks hold"
    else:
        headline = f"**FAIL**: {n['fail']} of {n['pass'] + n['fail']} checks fail"
    if n["skip"]:
        headline += f" ({n['skip']} skipped)"
    lines = [
        f"## {title}",
        "",
        headline + ".",
        "",
        "| check | group | value | bound | target | result | P(meet) [95 % CI] |",
        "|---|---|---:|---:|---:|:---:|---|",
    ]
    for _, row in checks.iterrows():
        unit = row["unit"]
        value = format_value(row["value"], unit)
        if row["reference"]:
            value = f"{value} vs {row['reference']}"
        bound = "" if _missing(row["bound"]) else format_value(row["bound"], unit)
        if bound:
            bound = f"{bound} ({row['confidence']:.0%})"
        risk = f"{_share(row['p_meet'])} [{_share(row['p_low'])}, {_share(row['p_high'])}]"
        cells = [
            _cell(row["name"]),
            _cell(row["group"]),
            value,
            bound,
            f"{_cell(row['op'])} {format_value(row['target'], unit)}",
            WORDS[row["status"]],
            f"{risk} of {row['replications']}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    failed = results.loc[results["status"] == "fail"]
    if len(failed):
        lines += ["", "### Failures", ""]
        lines += [
            f"- {_cell(r['name'])} [{r['group']}]: {r['reason']}" for _, r in failed.iterrows()
        ]
    lines += [
        "",
        "Value: the mean over replications (of the paired difference, for a comparison). Bound: "
        "the one-sided confidence bound that must meet the target. P(meet): the share of "
        "replications meeting the target on their own, with its Wilson 95 % interval.",
        "",
    ]
    return "\n".join(lines)


def write_summary(results: pd.DataFrame, path: Path | str, title: str = "twin check") -> Path:
    """Write the Markdown summary: a verdict, then one table row per check and group.

    Parameters
    ----------
    results : DataFrame
        The table of :func:`~twin.experiments.checks.evaluate_checks`.
    path : path
        The file to write; its folder is created.
    title : str
        The heading.

    Returns
    -------
    Path
        The file written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(summary_markdown(results, title), encoding="utf-8")
    return target


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _share(value: object) -> str:
    return "n/a" if _missing(value) else f"{float(value):.2f}"


def _cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")
