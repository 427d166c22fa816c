"""Simulation optimisation with a statistical guarantee: search, sharpen, select.

``optimise(spec, runner)`` runs three phases on common random numbers (every candidate's
replication r is a job on the base's ``run.seed`` and r, so candidates differ by their decisions,
not by their luck, and a result store makes a rerun reuse every replication):

1. **Search.** An Optuna sampler proposes candidates one at a time (ask/tell, so its proposals
   are a pure function of its seed and of what it was told); each new candidate gets
   ``replications.initial`` replications, and its objective mean and constraint estimates are
   told back (constraints as Optuna's ``constraints_func`` values, <= 0 meaning feasible). TPE
   (the default) handles integer steps and mixed spaces, takes the constraints, and needs no
   heavy dependency. The search spends :data:`SEARCH_SHARE` of the budget at most, and stops
   early once the sampler keeps proposing candidates already run.
2. **Sharpen.** Replications are added, doubling, to candidates whose feasibility is still open
   (near a constraint's edge) and that could beat the incumbent by the objective's interval, and
   to the best few feasible ones (near the best), until those are settled or the budget ends.
3. **Select.** Among the ``contenders`` best candidates that are feasible with confidence,
   Kim and Nelson's KN procedure (:mod:`twin.experiments.ranking_selection`) adds one replication
   at a time to the survivors until the winner is the best within ``delta`` at ``confidence``.

Wall-time budgets make the path depend on the machine's speed; a simulation budget does not, so
results are bit-identical across executors and reruns.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twin.errors import InputError
from twin.experiments.jobs import Failure, Job, raise_bad_input
from twin.experiments.optimise_stats import CandidateView, objective_values, view
from twin.experiments.ranking_selection import KnProcedure
from twin.experiments.replicate import replication_job
from twin.experiments.runner import JobRunner
from twin.scenario.footprint import check_fits
from twin.scenario.optimise_file import OptimiseSpec
from twin.scenario.overrides import apply_overrides
from twin.scenario.schema import Scenario
from twin.scenario.validation import validate

#: Share of the budget the search may spend; the rest sharpens and selects.
SEARCH_SHARE = 0.6
#: Consecutive proposals of candidates already run after which the search stops.
REPEATS_TO_STOP = 25
#: Proposals after which the search stops whatever else happens (invalid candidates cost no
#: simulations, so without it a sampler stuck among them would never end).
MAX_TRIALS = 2000
#: First-stage replications KN asks of each contender (fewer if ``replications.max`` is lower):
#: with fewer, its elimination margins are so wide that it needs many more replications later.
SELECTION_FIRST_STAGE = 10

#: An analytic stand-in for the simulation: (key path -> value, replication) -> KPIs.
Evaluate = Callable[[dict[str, float], int], dict[str, float]]


@dataclass(frozen=True)
class EvaluationTask:
    """The argument of :func:`evaluate_candidate`: the function, the assignments, a replication."""

    fn: Evaluate
    values: dict[str, float]
    replication: int


def evaluate_candidate(task: EvaluationTask) -> dict[str, float]:
    """The job function of an analytic optimisation (tests, known answers)."""
    return dict(task.fn(task.values, task.replication))


@dataclass
class Candidate:
    """One point of the decision space and what its replications gave."""

    number: int
    values: tuple[float, ...]  # decision values, in decision order
    assignments: dict[str, float]  # key path -> value
    trial: int  # the search trial that first proposed it
    scenario: Scenario | None = None
    error: str = ""
    kpis: list[dict[str, float]] = field(default_factory=list)

    @property
    def replications(self) -> int:
        return len(self.kpis)


@dataclass
class Selection:
    """How the final ranking-and-selection ended."""

    contenders: list[int]  # candidate numbers
    first_stage: int
    replications: int  # r when it stopped
    complete: bool  # ended by KN's own rule, not by the budget
    winner: int | None
    eliminated: list[int]


@dataclass
class OptimiseResult:
    """What :func:`optimise` found."""

    spec: OptimiseSpec
    candidates: list[Candidate]
    views: dict[int, CandidateView]
    selection: Selection
    simulations: int
    trials: int
    wall_seconds: float
    stopped_by: str  # "budget", "converged" (search repeats) or "exhausted" (grid done)
    notes: list[str] = field(default_factory=list)

    @property
    def winner(self) -> Candidate | None:
        w = self.selection.winner
        return None if w is None else self.candidates[w]


class _Budget:
    """Simulations and seconds spent, against the file's budget."""

    def __init__(self, spec: OptimiseSpec) -> None:
        self.simulations = spec.budget.simulations
        self.seconds = spec.budget.wall_seconds
        self.start = time.perf_counter()
        self.used = 0

    def affords(self, n: int, share: float = 1.0) -> bool:
        if self.simulations is not None and self.used + n > share * self.simulations:
            return False
        return self.seconds is None or time.perf_counter() - self.start < share * self.seconds


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


class _Evaluator:
    """Builds each candidate's scenario and runs its replications as jobs on the runner."""

    def __init__(self, spec: OptimiseSpec, runner: JobRunner, evaluate: Evaluate | None) -> None:
        self.spec, self.runner, self.evaluate = spec, runner, evaluate

    def prepare(self, candidate: Candidate) -> None:
        if self.evaluate is not None:
            return
        data, sources = self.spec.base_data()
        overrides = [f"{p}={_plain(v)!r}" for p, v in candidate.assignments.items()]
        try:
            scenario = validate(Scenario, apply_overrides(data, sources, overrides), sources)
            check_fits(scenario, 1, self.spec.replications.max)
            candidate.scenario = scenario
        except InputError as err:
            shown = ", ".join(overrides)
            candidate.error = f"the candidate {shown} is not valid: {err}"

    def job(self, candidate: Candidate, replication: int) -> Job:
        if self.evaluate is None:
            assert candidate.scenario is not None
            return replication_job(candidate.scenario, replication)
        name = f"{self.evaluate.__module__}.{self.evaluate.__qualname__}"
        values = {k: _plain(v) for k, v in candidate.assignments.items()}
        digest = hashlib.sha256(json.dumps([name, values], sort_keys=True).encode()).hexdigest()
        task = EvaluationTask(self.evaluate, values, replication)
        return Job(f"eval-{digest[:20]}-r{replication}", evaluate_candidate, task)

    def extend(
        self, wanted: Mapping[int, int], candidates: list[Candidate], budget: _Budget
    ) -> None:
        """Run replications so candidate i has ``wanted[i]`` of them, as one batch of jobs."""
        jobs, owners = [], []
        for i, n in wanted.items():
            candidate = candidates[i]
            if candidate.error:
                continue
            for r in range(candidate.replications, n):
                jobs.append(self.job(candidate, r))
                owners.append(i)
        if not jobs:
            return
        outcomes = self.runner.run(jobs)
        raise_bad_input(outcomes)
        budget.used += len(jobs)
        for i, outcome in zip(owners, outcomes, strict=True):
            candidate = candidates[i]
            if isinstance(outcome, Failure):
                candidate.error = candidate.error or f"a replication failed: {outcome.error}"
            elif not candidate.error:
                kpis = outcome if self.evaluate is not None else outcome.kpis
                candidate.kpis.append({k: float(v) for k, v in kpis.items()})


def _sampler(spec: OptimiseSpec) -> Any:
    import optuna

    if spec.sampler == "random":
        return optuna.samplers.RandomSampler(seed=spec.seed)
    return optuna.samplers.TPESampler(
        seed=spec.seed,
        multivariate=True,
        n_startup_trials=min(10, 2 + 2 * len(spec.decisions)),
        constraints_func=_constraints_of if spec.constraints else None,
    )


def _constraints_of(trial: Any) -> list[float]:
    return list(trial.user_attrs.get("constraints", []))


def _distributions(levels: list[list[float] | None], spec: OptimiseSpec) -> dict[str, Any]:
    from optuna.distributions import FloatDistribution, IntDistribution

    out: dict[str, Any] = {}
    for i, lv in enumerate(levels):
        d = spec.decisions[i]
        out[f"x{i}"] = (
            FloatDistribution(d.low, d.high) if lv is None else IntDistribution(0, len(lv) - 1)
        )
    return out


def _sign(spec: OptimiseSpec) -> float:
    """+1 when larger objectives are better, -1 when smaller are."""
    return 1.0 if spec.objective.higher_is_better else -1.0


def _grid(
    spec: OptimiseSpec,
    evaluator: _Evaluator,
    candidates: list[Candidate],
    budget: _Budget,
    levels: list[Any],
) -> tuple[int, str]:
    """Every point of the grid in order, the first decision varying slowest (a check on the
    search: the full sweep on the same seeds)."""
    n0 = spec.replications.initial
    for number, values in enumerate(itertools.product(*levels)):
        if not budget.affords(n0, SEARCH_SHARE):
            return number, "budget"
        candidate = Candidate(number, values, spec.assignments(values), number)
        candidates.append(candidate)
        evaluator.prepare(candidate)
        evaluator.extend({number: n0}, candidates, budget)
    return len(candidates), "exhausted"


def _search(
    spec: OptimiseSpec,
    evaluator: _Evaluator,
    candidates: list[Candidate],
    budget: _Budget,
) -> tuple[int, str]:
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    levels = [spec.levels(i) for i in range(len(spec.decisions))]
    if spec.sampler == "grid":
        return _grid(spec, evaluator, candidates, budget, levels)
    direction = "maximize" if spec.objective.higher_is_better else "minimize"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # experimental-feature notices: not the planner's concern
        study = optuna.create_study(direction=direction, sampler=_sampler(spec))
    distributions = _distributions(levels, spec)
    grid_size = (
        math.prod(len(lv) for lv in levels if lv is not None)
        if all(lv is not None for lv in levels)
        else math.inf
    )
    by_values: dict[tuple[float, ...], int] = {}
    n0 = spec.replications.initial
    repeats = trials = 0
    while True:
        if len(by_values) >= grid_size:
            return trials, "exhausted"
        if repeats >= REPEATS_TO_STOP or trials >= MAX_TRIALS:
            return trials, "converged"
        if not budget.affords(n0, SEARCH_SHARE):
            return trials, "budget"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trial = study.ask(distributions)
        trials += 1
        values = tuple(
            _plain(lv[trial.params[f"x{i}"]]) if lv is not None else float(trial.params[f"x{i}"])
            for i, lv in enumerate(levels)
        )
        number = by_values.get(values)
        if number is None:
            repeats = 0
            number = by_values[values] = len(candidates)
            candidate = Candidate(number, values, spec.assignments(values), trials - 1)
            candidates.append(candidate)
            evaluator.prepare(candidate)
            evaluator.extend({number: n0}, candidates, budget)
        else:
            repeats += 1
        candidate = candidates[number]
        if candidate.error or not candidate.kpis:
            study.tell(trial, state=TrialState.FAIL)
            continue
        current = view(spec, candidate.kpis)
        if math.isnan(current.objective):
            study.tell(trial, state=TrialState.FAIL)
            continue
        trial.set_user_attr(
            "constraints", [_violation(spec, j, c) for j, c in enumerate(current.constraints)]
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study.tell(trial, current.objective)


def _violation(spec: OptimiseSpec, index: int, judged: Any) -> float:
    """Optuna's constraint value: <= 0 when met on the estimate, scaled by the bound's size."""
    constraint = spec.constraints[index]
    if math.isnan(judged.estimate):
        return 1.0
    if constraint.is_chance:
        return float(constraint.probability or 0.0) - judged.estimate
    scale = max(abs(constraint.bound), 1e-9)
    return -constraint.slack(judged.estimate) / scale


def _views(spec: OptimiseSpec, candidates: list[Candidate]) -> dict[int, CandidateView]:
    return {c.number: view(spec, c.kpis) for c in candidates if not c.error and c.kpis}


def _ranked(spec: OptimiseSpec, views: dict[int, CandidateView], confident: bool) -> list[int]:
    """Feasible candidates (with confidence, or on the estimates), best objective first."""
    sign = _sign(spec)
    ok = [
        i
        for i, v in views.items()
        if (v.feasible_confident if confident else v.feasible) and not math.isnan(v.objective)
    ]
    return sorted(ok, key=lambda i: (-sign * views[i].objective, i))


def _sharpen(
    spec: OptimiseSpec, evaluator: _Evaluator, candidates: list[Candidate], budget: _Budget
) -> None:
    cap = spec.replications.max
    first = min(SELECTION_FIRST_STAGE, cap)
    sign = _sign(spec)
    while True:
        views = _views(spec, candidates)
        incumbent = _ranked(spec, views, confident=True) or _ranked(spec, views, confident=False)
        best = views[incumbent[0]].objective if incumbent else math.nan
        wanted: dict[int, int] = {}
        for i in _ranked(spec, views, confident=True)[: spec.contenders]:
            if views[i].replications < first:  # near the best: the selection's first stage
                wanted[i] = first
        for i, v in sorted(views.items(), key=lambda kv: (-sign * kv[1].objective, kv[0])):
            if not v.open or v.replications >= cap:
                continue
            # near a constraint's edge; worth settling only if it could beat the incumbent
            optimistic = v.objective_high if sign > 0 else v.objective_low
            hopeless = not math.isnan(optimistic) and sign * (optimistic - best) < -spec.delta
            if incumbent and hopeless:
                continue
            wanted.setdefault(i, min(cap, 2 * v.replications))
        affordable: dict[int, int] = {}
        cost = 0
        for i, n in wanted.items():
            extra = n - views[i].replications
            if budget.affords(cost + extra):
                affordable[i] = n
                cost += extra
        if not affordable:
            return
        evaluator.extend(affordable, candidates, budget)


def _select(
    spec: OptimiseSpec, evaluator: _Evaluator, candidates: list[Candidate], budget: _Budget
) -> Selection:
    views = _views(spec, candidates)
    contenders = _ranked(spec, views, confident=True)[: spec.contenders]
    if not contenders:
        return Selection([], 0, 0, False, None, [])
    if len(contenders) == 1:
        n = views[contenders[0]].replications
        return Selection(contenders, n, n, True, contenders[0], [])
    n0 = min(views[i].replications for i in contenders)
    sign = _sign(spec)

    def oriented(i: int, upto: int) -> np.ndarray:
        return sign * objective_values(spec, candidates[i].kpis[:upto])

    procedure = KnProcedure([oriented(i, n0) for i in contenders], spec.delta, spec.confidence)
    complete = True
    while not procedure.done:
        r = procedure.replications
        survivors = [contenders[s] for s in procedure.alive]
        missing = [i for i in survivors if candidates[i].replications <= r]
        cap_reached = any(candidates[i].replications >= spec.replications.max for i in missing)
        if missing and (cap_reached or not budget.affords(len(missing))):
            complete = False
            break
        evaluator.extend({i: r + 1 for i in missing}, candidates, budget)
        if any(candidates[i].error for i in survivors):
            complete = False
            break
        procedure.add({s: oriented(contenders[s], r + 1)[r] for s in procedure.alive})
    winner = contenders[procedure.selected()]
    eliminated = [contenders[s] for s in range(len(contenders)) if s not in procedure.alive]
    return Selection(contenders, n0, procedure.replications, complete, winner, eliminated)


def optimise(
    spec: OptimiseSpec, runner: JobRunner, evaluate: Evaluate | None = None
) -> OptimiseResult:
    """Search, sharpen and select on ``runner`` (see the module docstring).

    Parameters
    ----------
    spec : OptimiseSpec
        From :func:`twin.scenario.optimise_file.load_optimisation`.
    runner : JobRunner
        Where the replications run (its result store makes a rerun resume).
    evaluate : callable, optional
        A picklable module-level function ``(key path -> value, replication) -> {kpi: value}``
        used instead of the simulation (tests with known answers).
    """
    budget = _Budget(spec)
    evaluator = _Evaluator(spec, runner, evaluate)
    candidates: list[Candidate] = []
    trials, stopped_by = _search(spec, evaluator, candidates, budget)
    _sharpen(spec, evaluator, candidates, budget)
    selection = _select(spec, evaluator, candidates, budget)
    views = _views(spec, candidates)
    winner = selection.winner
    if winner is not None and not views[winner].feasible_confident:
        # the selection's added replications moved it back over a constraint's edge
        ranked = _ranked(spec, views, confident=True)
        selection.winner = ranked[0] if ranked else None
        selection.complete = False
    notes = []
    failed = [c for c in candidates if c.error]
    if failed:
        notes.append(
            f"{len(failed)} of {len(candidates)} candidates could not run; their errors are in "
            "the error column of trials.csv"
        )
    return OptimiseResult(
        spec,
        candidates,
        views,
        selection,
        budget.used,
        trials,
        time.perf_counter() - budget.start,
        stopped_by,
        notes,
    )
