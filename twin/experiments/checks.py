"""Evaluate ``checks:`` on a KPI table: one verdict and one risk estimate per check and group.

The input is the long KPI table of a run, one row per (group, replication): a group is a variant
of a scenario file or a point of a sweep. :func:`evaluate_checks` judges every check in every group
it applies to and returns a tidy table (columns in :data:`RESULT_COLUMNS`):

- a target check passes when the mean over replications meets the target, or, with a confidence
  c, when the one-sided Student-t c-bound of the mean on the unfavourable side does (the lower
  bound for ``>=``/``>``, the upper bound for ``<=``/``<``);
- a comparison (``than: base``) pairs replications, which share their random numbers, and judges
  the differences ``kpi_group - kpi_reference`` against ``-margin`` (``>=``, ``>``) or ``+margin``
  (``<=``, ``<``) the same way; it is skipped for the reference itself;
- a sweep check (``at: every_point``) is judged per point, and ``at: mean`` once, on the
  per-replication mean over points (group ``mean``);
- the risk view: the share of replications that meet the target on their own, with a Wilson score
  95 % interval (``p_meet, p_low, p_high``);
- for a sweep, the points table (:func:`points_table`): each point's parameter values beside its
  verdicts, so ``point 3`` can be read back to a headcount without the design file.

A replication that failed (its ``error`` cell is set) or left the KPI undefined (NaN) makes the
check fail in its group, with the reason, and counts as not meeting the target.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.errors import InputError
from twin.scenario.checks import BASE, Check
from twin.stats import t_half_width, wilson_interval

#: Columns of the table :func:`evaluate_checks` returns.
RESULT_COLUMNS = [
    "check",  # position in the checks list (checks.<i>)
    "name",  # label: the check's name or its string form
    "group",  # variant name, "point <n>" of a sweep, or "mean" (at: mean)
    "kpi",
    "op",
    "target",  # the number compared with: the target, or -margin / +margin for a comparison
    "reference",  # the variant compared with, empty for a target
    "confidence",  # NaN without a confidence requirement
    "value",  # mean over replications of the KPI (of the difference, for a comparison)
    "bound",  # the one-sided confidence bound of the mean; NaN without confidence
    "replications",
    "status",  # pass, fail or skip
    "passed",  # False only for status fail
    "reason",  # why it failed or was skipped
    "met",  # replications that meet the target on their own
    "p_meet",  # met / replications
    "p_low",  # Wilson score 95 % interval of p_meet
    "p_high",
    "unit",  # the KPI's unit (of the difference, for a comparison)
]

#: Columns of ``points.csv`` (a sweep's check), the parameter paths going after ``point``.
POINT_COLUMNS = ["point", "check", "name", "kpi", "value", "status"]

#: Columns of the risk view (``risk.csv``).
RISK_COLUMNS = ["check", "name", "group", "kpi", "replications", "met", "p_meet", "p_low", "p_high"]

#: Confidence of the interval of the risk view.
RISK_CONFIDENCE = 0.95

#: Columns of a KPI table that are not KPIs.
ID_COLUMNS = ("variant", "point", "replication", "seed", "error", "scenario")

_COMPARE = {
    ">=": np.greater_equal,
    "<=": np.less_equal,
    ">": np.greater,
    "<": np.less,
}


@dataclass(frozen=True)
class _Sample:
    """A check's values in one group: one per replication (NaN when failed or undefined)."""

    replications: np.ndarray
    values: np.ndarray
    failures: list[tuple[int, str]]


def kpi_names(kpis: pd.DataFrame) -> list[str]:
    """The KPI columns of a KPI table (everything but the id columns)."""
    return [c for c in kpis.columns if c not in ID_COLUMNS]


def evaluate_checks(
    checks: Sequence[Check],
    kpis: pd.DataFrame,
    group: str = "variant",
    base: str | None = None,
    confidence_default: float | None = None,
    *,
    source: str = "",
    units: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Judge every check in every group of ``kpis``.

    Parameters
    ----------
    checks : sequence of Check
        The ``checks:`` list, in file order.
    kpis : DataFrame
        One row per (group, replication): the column ``group``, ``replication``, one column per
        KPI, and optionally ``error`` (a failed replication's message, empty or NaN otherwise).
    group : str
        ``"variant"`` for a scenario file's variants, ``"point"`` for a sweep.
    base : str, optional
        The base variant, which ``than: base`` names. Needed for comparisons.
    confidence_default : float, optional
        Confidence of the checks that give none (``None``: judge their mean).
    source : str
        The file the checks come from, for messages.
    units : mapping, optional
        KPI units, copied into the ``unit`` column.

    Returns
    -------
    DataFrame
        Columns :data:`RESULT_COLUMNS`, one row per (check, group), checks in order and groups in
        the order they first appear in ``kpis``.

    Raises
    ------
    InputError
        A check names a KPI that is not in the table, a variant that does not exist, or an option
        that does not fit the kind of run (a comparison or ``variants`` in a sweep).
    """
    if group not in kpis.columns:
        raise ValueError(f"the KPI table has no {group!r} column")
    prefix = f"{source}: " if source else ""
    names = kpi_names(kpis)
    groups = list(dict.fromkeys(kpis[group].tolist()))
    all_failed = len(kpis) > 0 and bool((_errors(kpis) != "").all())
    rows: list[dict] = []
    for index, check in enumerate(checks):
        where = f"{prefix}checks.{index}"
        if not all_failed:  # with no replication done, no KPI name is known
            _check_kpi(check, where, names)
        _check_options(check, where, groups, group, base)
        confidence = check.confidence if check.confidence is not None else confidence_default
        reference = None if check.than is None else (base if check.than == BASE else check.than)
        if group == "point" and check.at == "mean":
            targets: list = [None]
        elif check.variants is not None:
            targets = [g for g in groups if g in check.variants]
        else:
            targets = groups
        for g in targets:
            row = {
                "check": index,
                "name": check.label,
                "group": _group_label(g, group),
                "kpi": check.kpi,
                "op": check.op,
                "reference": reference or "",
                "confidence": math.nan if confidence is None else confidence,
                "unit": (units or {}).get(check.kpi, ""),
            }
            if reference is not None and g == reference:
                row.update(_skipped(f"{g} is the reference of this comparison"))
                row["target"] = _threshold(check)
            else:
                sample = _sample(kpis, group, g, check.kpi)
                if reference is not None:
                    sample = _paired(sample, _sample(kpis, group, reference, check.kpi), reference)
                what = "mean" if reference is None else f"mean difference from {reference}"
                row.update(_judge(check, sample, confidence, what))
            rows.append(row)
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def point_values(design: pd.DataFrame) -> dict[int, str]:
    """``point -> "staffing.warehouse.headcount=3, ..."``: each point's parameter values as the
    check's terminal lines show them. ``design`` has a ``point`` column and one per parameter."""
    paths = [c for c in design.columns if c != "point"]
    return {
        int(row["point"]): ", ".join(f"{path}={_value_text(row[path])}" for path in paths)
        for _, row in design.iterrows()
    }


def _value_text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def points_table(results: pd.DataFrame, design: pd.DataFrame) -> pd.DataFrame:
    """``points.csv`` of a sweep's check: one row per check and point, the point's parameter
    values beside the verdict (columns :data:`POINT_COLUMNS` around the parameter paths); the
    checks judged on the mean over points (``at: mean``) have no point and are left out."""
    paths = [c for c in design.columns if c != "point"]
    at_point = results[results["group"].astype(str).str.startswith("point ")]
    table = at_point.assign(point=at_point["group"].str.removeprefix("point ").astype(int))
    table = table.merge(design, on="point", how="left", validate="many_to_one")
    return table[["point", *paths, *POINT_COLUMNS[1:]]].reset_index(drop=True)


def risk_view(results: pd.DataFrame) -> pd.DataFrame:
    """The risk view of :func:`evaluate_checks` results: skipped rows left out."""
    return results.loc[results["status"] != "skip", RISK_COLUMNS].reset_index(drop=True)


def check_references(
    checks: Sequence[Check],
    groups: Sequence[object],
    group: str = "variant",
    base: str | None = None,
    *,
    source: str = "",
    known_kpis: Collection[str] | None = None,
) -> None:
    """Raise :class:`InputError` for a check that names a variant that is not run, an option
    that does not fit the kind of run, or a KPI that no run can report; everything
    :func:`evaluate_checks` can tell before the KPI table exists, so a command can tell it before
    simulating.

    ``known_kpis`` are the KPIs a run may report (``twin.kpis.kpi_units``); a name that extends
    one with a suffix (``promo_cost_spring``) passes, to be checked against the KPI table.
    """
    prefix = f"{source}: " if source else ""
    for index, check in enumerate(checks):
        where = f"{prefix}checks.{index}"
        if known_kpis is not None and not _may_report(check.kpi, known_kpis):
            _check_kpi(check, where, sorted(known_kpis), listed="a run can report")
        _check_options(check, where, list(groups), group, base)


def _may_report(kpi: str, known: Collection[str]) -> bool:
    return kpi in known or any(kpi.startswith(f"{k}_") for k in known)


def _check_kpi(check: Check, where: str, names: list[str], listed: str = "the run reports") -> None:
    if check.kpi not in names:
        close = difflib.get_close_matches(check.kpi, names, n=3)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise InputError(
            f"{where}.kpi: unknown KPI {check.kpi!r}; {hint}{listed} these KPIs: "
            f"{', '.join(names)} (see docs/kpis.md)"
        )


def _check_options(check: Check, where: str, groups: list, group: str, base: str | None) -> None:
    if group == "point":
        if check.than is not None:
            raise InputError(
                f"{where}.than: a sweep has no variants to compare with; give a 'target' "
                "(a comparison with the base needs a scenario file with variants)"
            )
        if check.variants is not None:
            raise InputError(
                f"{where}.variants: a sweep has points, not variants; leave 'variants' out "
                "(the check applies at every point, or with 'at: mean' to their mean)"
            )
        return
    if check.at == "mean":
        raise InputError(
            f"{where}.at: 'at: mean' applies to sweeps; in a scenario file each variant is "
            "checked on its own (leave 'at' out)"
        )
    known = [str(g) for g in groups]
    for position, name in enumerate(check.variants or []):
        if name not in known:
            raise InputError(
                f"{where}.variants.{position}: unknown variant {name!r}; the variants are "
                f"{', '.join(known)}"
            )
    if check.than is not None:
        reference = base if check.than == BASE else check.than
        if reference is None:
            raise InputError(f"{where}.than: there is no base variant to compare with")
        if reference not in known:
            raise InputError(
                f"{where}.than: unknown variant {check.than!r}; give 'base' or one of "
                f"{', '.join(known)}"
            )


def _group_label(g: object, group: str) -> str:
    """``"point 3"`` for a sweep point, ``"mean"`` for the mean over points, else the name."""
    if g is None:
        return "mean"
    return f"point {g}" if group == "point" else str(g)


def _sample(kpis: pd.DataFrame, group: str, g: object, kpi: str) -> _Sample:
    """A check's values in group ``g``; ``g is None`` is the per-replication mean over groups."""
    frame = kpis if g is None else kpis[kpis[group] == g]
    errors = _errors(frame)
    if kpi in frame.columns:
        values = frame[kpi].to_numpy(dtype=float).copy()
    else:  # only when every replication failed
        values = np.full(len(frame), np.nan)
    values[errors != ""] = np.nan
    replications = frame["replication"].to_numpy()
    if g is None:  # name the point that failed
        errors = np.array(
            [f"{group} {p}: {e}" if e else "" for p, e in zip(frame[group], errors, strict=True)],
            dtype=object,
        )
    failures = [(int(r), e) for r, e in zip(replications, errors, strict=True) if e]
    if g is None:  # the mean over points, replication by replication (NaN if any is)
        table = pd.DataFrame({"replication": replications, "value": values})
        means = table.groupby("replication", sort=True)["value"].agg(lambda v: v.mean(skipna=False))
        return _Sample(means.index.to_numpy(), means.to_numpy(dtype=float), failures)
    order = np.argsort(replications, kind="stable")
    return _Sample(replications[order], values[order], failures)


def _errors(frame: pd.DataFrame) -> np.ndarray:
    if "error" not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    return np.array(
        [
            "" if (e is None or (isinstance(e, float) and math.isnan(e))) else str(e)
            for e in frame["error"]
        ],
        dtype=object,
    )


def _paired(sample: _Sample, reference: _Sample, name: str) -> _Sample:
    """Differences ``sample - reference`` replication by replication."""
    if not np.array_equal(sample.replications, reference.replications):
        raise ValueError(
            f"the replications of a variant and of {name!r} differ: "
            f"{sample.replications.tolist()} and {reference.replications.tolist()}"
        )
    failures = sample.failures + [(r, f"{name}: {e}") for r, e in reference.failures]
    return _Sample(sample.replications, sample.values - reference.values, failures)


def _threshold(check: Check) -> float:
    if check.than is None:
        return float(check.target)  # type: ignore[arg-type]
    return 0.0 - check.margin if check.op in (">=", ">") else check.margin


def _skipped(reason: str) -> dict:
    return {
        "value": math.nan,
        "bound": math.nan,
        "replications": 0,
        "status": "skip",
        "passed": True,
        "reason": reason,
        "met": 0,
        "p_meet": math.nan,
        "p_low": math.nan,
        "p_high": math.nan,
    }


def _judge(check: Check, sample: _Sample, confidence: float | None, what: str = "mean") -> dict:
    """The verdict and the risk of one check on one group's sample."""
    threshold = _threshold(check)
    compare = _COMPARE[check.op]
    x = sample.values
    n = int(x.size)
    defined = ~np.isnan(x)
    met = int(np.sum(compare(x[defined], threshold)))
    # Wilson: inside [0, 1] and usable for the few replications a gate runs, even all or none
    p_low, p_high = wilson_interval(met, n, RISK_CONFIDENCE)
    value = float(np.mean(x[defined])) if defined.any() else math.nan
    bound = math.nan
    reason = ""
    if sample.failures:
        replications = ", ".join(str(r) for r in sorted({r for r, _ in sample.failures}))
        reason = f"replication {replications} failed: {sample.failures[0][1]}"
    elif n == 0:
        reason = "no replications"
    elif not defined.all():
        undefined = ", ".join(str(r) for r in sample.replications[~defined])
        reason = f"{check.kpi} is undefined (NaN) in replication {undefined}"
    elif confidence is not None:
        if n < 2:
            reason = (
                f"one replication cannot show {confidence:.0%} confidence: run at least 2 "
                "(--replications)"
            )
        else:
            bound = _one_sided_bound(x, confidence, upper=check.op in ("<=", "<"))
            if not compare(bound, threshold):
                side = "upper" if check.op in ("<=", "<") else "lower"
                reason = (
                    f"{side} {confidence:.0%} bound of the {what} {bound:.6g} is not "
                    f"{check.op} {threshold:g}"
                )
    elif not compare(value, threshold):
        reason = f"{what} {value:.6g} is not {check.op} {threshold:g}"
    return {
        "target": threshold,
        "value": value,
        "bound": bound,
        "replications": n,
        "status": "fail" if reason else "pass",
        "passed": not reason,
        "reason": reason,
        "met": met,
        "p_meet": met / n if n else math.nan,
        "p_low": p_low,
        "p_high": p_high,
    }


def _one_sided_bound(x: np.ndarray, confidence: float, upper: bool) -> float:
    """One-sided Student-t bound of the mean: mean ± t_{c, n-1} s / sqrt(n)."""
    half = t_half_width(x.std(ddof=1), x.size, confidence, one_sided=True)
    mean = float(x.mean())
    return mean + half if upper else mean - half
