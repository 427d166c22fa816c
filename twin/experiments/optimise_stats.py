"""What a candidate's replications say: its objective with an interval, and each constraint's
estimate, confident bound and verdict.

A candidate is *feasible* when every constraint holds on the estimates (a mean within its bound,
a share of replications at least its probability) and *feasible with confidence c* when it holds
on the unfavourable one-sided c-bound: Student-t for a mean, Wilson's score bound for a share
(``twin.stats``). It is *infeasible with confidence* when a constraint fails even on the
favourable bound; between the two its feasibility is still open, which is where the optimiser
adds replications.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twin.scenario.optimise_file import Constraint, OptimiseSpec
from twin.stats import t_half_width, t_interval, wilson_interval


def objective_values(spec: OptimiseSpec, kpis: list[dict[str, float]]) -> np.ndarray:
    """The objective of each replication: the weighted sum of its KPIs (NaN if one is missing)."""
    terms = spec.objective.terms
    return np.array(
        [sum(w * float(row.get(k, math.nan)) for k, w in terms.items()) for row in kpis],
        dtype=float,
    )


@dataclass(frozen=True)
class ConstraintView:
    """One constraint judged on one candidate's replications."""

    estimate: float  # the mean, or the share of replications meeting the inner condition
    low: float  # the two-sided interval at the confidence (NaN with fewer than two values)
    high: float
    met: bool  # on the estimate
    met_confident: bool  # on the unfavourable one-sided bound
    failed_confident: bool  # fails even on the favourable one-sided bound

    @property
    def open(self) -> bool:
        """Neither met nor failed with confidence: more replications would tell."""
        return not self.met_confident and not self.failed_confident


def judge(constraint: Constraint, values: np.ndarray, confidence: float) -> ConstraintView:
    """Judge ``constraint`` on one KPI's values over a candidate's replications."""
    x = values[~np.isnan(values)]
    if x.size == 0:
        return ConstraintView(math.nan, math.nan, math.nan, False, False, False)
    two_sided = 2.0 * confidence - 1.0  # its lower (upper) end is the one-sided c-bound
    if constraint.is_chance:
        inner = x <= constraint.bound if constraint.op == "<=" else x >= constraint.bound
        share = float(inner.mean())
        low, high = wilson_interval(int(inner.sum()), int(x.size), two_sided)
        p = float(constraint.probability or 0.0)
        return ConstraintView(share, low, high, share >= p, low >= p, high < p)
    mean, sd, low, high = t_interval(x, confidence)
    if x.size < 2 or math.isnan(sd):
        met = constraint.slack(mean) >= 0
        return ConstraintView(mean, low, high, met, False, False)
    half = t_half_width(sd, x.size, confidence, one_sided=True) if sd > 0 else 0.0
    worse, better = (
        (mean + half, mean - half) if constraint.op == "<=" else (mean - half, mean + half)
    )
    return ConstraintView(
        mean,
        low,
        high,
        constraint.slack(mean) >= 0,
        constraint.slack(worse) >= 0,
        constraint.slack(better) < 0,
    )


@dataclass(frozen=True)
class CandidateView:
    """A candidate's objective and constraints on the replications it has."""

    replications: int
    objective: float
    objective_low: float
    objective_high: float
    constraints: tuple[ConstraintView, ...]

    @property
    def feasible(self) -> bool:
        return all(c.met for c in self.constraints) and not math.isnan(self.objective)

    @property
    def feasible_confident(self) -> bool:
        return all(c.met_confident for c in self.constraints) and not math.isnan(self.objective)

    @property
    def infeasible_confident(self) -> bool:
        return any(c.failed_confident for c in self.constraints)

    @property
    def open(self) -> bool:
        """Its feasibility is not settled either way."""
        return not self.feasible_confident and not self.infeasible_confident


def view(spec: OptimiseSpec, kpis: list[dict[str, float]]) -> CandidateView:
    """Judge a candidate from its replications' KPIs (in replication order)."""
    y = objective_values(spec, kpis)
    mean, _, low, high = t_interval(y, spec.confidence)
    judged = tuple(
        judge(c, np.array([float(row.get(c.kpi, math.nan)) for row in kpis]), spec.confidence)
        for c in spec.constraints
    )
    return CandidateView(len(kpis), mean, low, high, judged)
