"""The optimisation file: a base scenario, the decisions to search, what to optimise, the limits.

An optimisation file is YAML validated into a frozen :class:`OptimiseSpec` (unknown keys
rejected, errors naming file, line and key through :func:`twin.scenario.validation.validate`).
:func:`load_optimisation` also loads the base scenario it names, applies its ``set`` overrides,
expands every decision's key path against that scenario (``*`` stands for every key of a mapping,
so ``inventory.suppliers.*.policy.reorder_point_days`` is every supplier's), checks each path
leads to a number there, and rejects constraints no candidate can meet, all before anything
runs. The rules a planner sees are in ``docs/optimise.md``.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, model_validator

from twin.errors import InputError
from twin.scenario.checks import KPI_NAME
from twin.scenario.common import Name, Section
from twin.scenario.overrides import apply_overrides
from twin.scenario.schema import Scenario
from twin.scenario.sweep import KeyPathText, load_base_scenario
from twin.scenario.sweep_paths import number_at
from twin.scenario.validation import validate
from twin.scenario.yaml_source import Origin, SourceMap, load_yaml

_PATH = r"^(\*|[A-Za-z0-9_\-]+)(\.(\*|[A-Za-z0-9_\-]+))*$"
PathText = Annotated[
    str, Field(pattern=_PATH, description="A dotted key path; '*' stands for every key there.")
]
KpiName = Annotated[str, Field(pattern=rf"^{KPI_NAME}$", description="A KPI, as in kpis.csv.")]

#: The most candidate values a decision may have when it has a step.
MAX_LEVELS = 10_000

Op = Literal["<=", ">="]
_MEAN = re.compile(rf"^\s*({KPI_NAME})\s*(<=|>=)\s*(\S+)\s*$")
_CHANCE = re.compile(rf"^\s*P\(\s*({KPI_NAME})\s*(<=|>=)\s*(\S+)\s*\)\s*>=\s*(\S+)\s*$")
GRAMMAR = (
    "'<kpi> <= <number>' or '<kpi> >= <number>' (on the mean over replications), or "
    "'P(<kpi> <= <number>) >= <probability>' (a chance constraint over replications)"
)


# --------------------------------------------------------------------------- decisions


class Decision(Section):
    """One scenario value (or a group of them) the optimiser chooses."""

    path: PathText
    label: str | None = Field(None, description="Short name for tables and charts.")
    low: float
    high: float
    step: float | None = Field(
        None, gt=0, description="Spacing of the values (default 1 for integers)."
    )
    type: Literal["integer", "continuous"] | None = Field(
        None, description="Default: integer when the base value is a whole number."
    )
    mode: Literal["set", "scale"] = Field(
        "set",
        description="set: every path takes the value; scale: every path is its base value "
        "times the value (a group scaled together).",
    )

    @model_validator(mode="after")
    def _range(self) -> Decision:
        if not self.low < self.high:
            raise ValueError(
                f"low: the range is empty: low ({self.low:g}) must be below high ({self.high:g})"
            )
        if self.step is not None and self.step > self.high - self.low:
            raise ValueError(
                f"step: {self.step:g} is wider than the range {self.low:g} to {self.high:g}, "
                "which leaves one value to choose from; narrow the step or widen the range"
            )
        if self.step is not None and (self.high - self.low) / self.step > MAX_LEVELS:
            raise ValueError(f"step: more than {MAX_LEVELS:,} values; use a wider step")
        if self.type == "integer":
            if self.mode == "scale":
                raise ValueError("type: a scale factor is continuous; drop 'type: integer'")
            if math.ceil(self.low) > math.floor(self.high):
                raise ValueError(
                    f"low: the range {self.low:g} to {self.high:g} holds no whole number"
                )
            if self.step is not None and self.step != round(self.step):
                raise ValueError(
                    f"step: an integer decision needs a whole step (got {self.step:g})"
                )
        return self

    @property
    def name(self) -> str:
        """The decision's name in tables: ``label``, or the path."""
        return self.label or self.path


# --------------------------------------------------------------------------- objective, constraints


class Objective(Section):
    """What to optimise: a KPI's mean, or a weighted sum of KPI means."""

    minimise: KpiName | dict[KpiName, float] | None = None
    maximise: KpiName | dict[KpiName, float] | None = None

    @model_validator(mode="after")
    def _one_goal(self) -> Objective:
        if (self.minimise is None) == (self.maximise is None):
            raise ValueError(
                "give exactly one of 'minimise: <kpi>' and 'maximise: <kpi>' (or a mapping of "
                "KPIs to weights for a weighted sum)"
            )
        terms = self.terms
        if not terms:
            raise ValueError("the weighted sum has no KPIs; name at least one with its weight")
        if all(w == 0 for w in terms.values()):
            raise ValueError("every weight of the weighted sum is 0, so nothing is optimised")
        return self

    @property
    def higher_is_better(self) -> bool:
        return self.maximise is not None

    @property
    def terms(self) -> dict[str, float]:
        """KPI -> weight (a single KPI has weight 1)."""
        goal = self.maximise if self.maximise is not None else self.minimise
        return {goal: 1.0} if isinstance(goal, str) else dict(goal or {})

    @property
    def label(self) -> str:
        """``minimise staff_cost`` or ``minimise 1 x holding_cost + 1 x backorder_cost``."""
        verb = "maximise" if self.higher_is_better else "minimise"
        terms = self.terms
        if len(terms) == 1 and next(iter(terms.values())) == 1.0:
            return f"{verb} {next(iter(terms))}"
        return f"{verb} " + " + ".join(f"{w:g} x {k}" for k, w in terms.items())


def parse_constraint(text: str) -> dict[str, Any]:
    """The mapping form of a constraint written as a string; ``ValueError`` if malformed."""
    chance = _CHANCE.match(text)
    match = chance or _MEAN.match(text)
    if match is None:
        raise ValueError(f"cannot read the constraint {text!r}: write it as {GRAMMAR}")
    kpi, op, right = match.groups()[:3]
    numbers = [right] + ([chance.group(4)] if chance else [])
    try:
        values = [float(n) for n in numbers]
    except ValueError:
        raise ValueError(
            f"cannot read the constraint {text!r}: {numbers} must be numbers; write it as {GRAMMAR}"
        ) from None
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"cannot read the constraint {text!r}: the numbers must be finite")
    data: dict[str, Any] = {"kpi": kpi, "op": op, "bound": values[0]}
    if chance:
        data["probability"] = values[1]
    return data


class Constraint(Section):
    """A limit on a KPI's mean, or (with ``probability``) on the share of replications."""

    kpi: KpiName
    op: Op
    bound: float
    probability: float | None = Field(
        None, gt=0.0, le=1.0, description="Chance constraint: P(kpi op bound) >= probability."
    )

    @model_validator(mode="before")
    @classmethod
    def _string_form(cls, data: object) -> object:
        return parse_constraint(data) if isinstance(data, str) else data

    @property
    def is_chance(self) -> bool:
        return self.probability is not None

    @property
    def label(self) -> str:
        inner = f"{self.kpi} {self.op} {self.bound:g}"
        return f"P({inner}) >= {self.probability:g}" if self.is_chance else inner

    def slack(self, value: float) -> float:
        """How far ``value`` is inside the bound (negative: outside)."""
        return self.bound - value if self.op == "<=" else value - self.bound


# --------------------------------------------------------------------------- budget and the file


class Budget(Section):
    """When to stop: a number of simulations (replications), a wall time, or both."""

    simulations: int | None = Field(None, description="Replications to run at most.")
    wall_seconds: float | None = Field(None, description="Wall time at most (seconds).")

    @model_validator(mode="after")
    def _positive(self) -> Budget:
        if self.simulations is None and self.wall_seconds is None:
            raise ValueError("give 'simulations', 'wall_seconds' or both")
        if self.simulations is not None and self.simulations < 1:
            raise ValueError(
                f"simulations: a budget of {self.simulations} runs nothing; give at least the "
                "replications of two candidates"
            )
        if self.wall_seconds is not None and not self.wall_seconds > 0:
            raise ValueError(
                f"wall_seconds: a budget of {self.wall_seconds:g} s runs nothing; give a "
                "positive number of seconds"
            )
        return self


class Replications(Section):
    """Replications per candidate: a first batch, and the most any candidate gets."""

    initial: int = Field(2, ge=2, description="First batch per candidate (2 gives an interval).")
    max: int = Field(30, ge=2, description="The most replications one candidate gets.")

    @model_validator(mode="after")
    def _ordered(self) -> Replications:
        if self.max < self.initial:
            raise ValueError(f"max ({self.max}) is below initial ({self.initial})")
        return self


class OptimiseSpec(Section):
    """A whole optimisation file. Load it with :func:`load_optimisation`."""

    FILE_KIND: ClassVar[str] = "optimisation file"  # the headline of validation errors

    name: Name
    description: str = ""
    base: str = Field(description="The base scenario file, relative to this file.")
    set: dict[KeyPathText, Any] = Field(default_factory=dict, description="Overrides of the base.")
    decisions: list[Decision] = Field(min_length=1)
    objective: Objective
    constraints: list[Constraint] = Field(default_factory=list)
    budget: Budget
    replications: Replications = Field(default_factory=Replications)
    delta: float = Field(gt=0, description="Indifference zone, in the objective's unit.")
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    contenders: int = Field(5, ge=1, le=20, description="Candidates in the final selection.")
    sampler: Literal["tpe", "random", "grid"] = "tpe"
    seed: int = Field(0, ge=0, description="The sampler's seed (the runs use run.seed).")

    _source: str = PrivateAttr("<optimisation>")
    _base_file: Path | None = PrivateAttr(None)
    _base_scenario: Scenario | None = PrivateAttr(None)
    _base_data: dict[str, Any] | None = PrivateAttr(None)
    _base_sources: SourceMap | None = PrivateAttr(None)
    _targets: tuple[tuple[tuple[str, float], ...], ...] = PrivateAttr(())
    _integer: tuple[bool, ...] = PrivateAttr(())

    @model_validator(mode="after")
    def _consistent(self) -> OptimiseSpec:
        names = [d.name for d in self.decisions]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ValueError(f"decisions.{i}: {name!r} is listed twice")
        budget = self.budget.simulations
        if budget is not None and budget < 2 * self.replications.initial:
            raise ValueError(
                f"budget.simulations: {budget} is fewer than two candidates at "
                f"replications.initial = {self.replications.initial} "
                f"({2 * self.replications.initial}); raise the budget"
            )
        return self

    # -- once loaded -------------------------------------------------------------------------

    @property
    def source(self) -> str:
        return self._source

    @property
    def base_file(self) -> Path:
        if self._base_file is None:
            raise ValueError("no base loaded; use load_optimisation")
        return self._base_file

    @property
    def base_scenario(self) -> Scenario:
        if self._base_scenario is None:
            raise ValueError("no base loaded; use load_optimisation")
        return self._base_scenario

    def base_data(self) -> tuple[dict[str, Any], SourceMap]:
        """The base's raw merged data with ``set`` applied, and its source map."""
        if self._base_data is None or self._base_sources is None:
            raise ValueError("no base loaded; use load_optimisation")
        return self._base_data, self._base_sources

    def targets(self, index: int) -> tuple[tuple[str, float], ...]:
        """Decision ``index``'s concrete key paths with their base values."""
        return self._targets[index]

    def is_integer(self, index: int) -> bool:
        return self._integer[index]

    def levels(self, index: int) -> list[float] | None:
        """Decision ``index``'s values in order, or None for a continuous decision without step."""
        decision = self.decisions[index]
        step = decision.step
        if step is None and self.is_integer(index):
            step = 1.0
        if step is None:
            return None
        low = math.ceil(decision.low) if self.is_integer(index) else decision.low
        count = math.floor((decision.high - low) / step + 1e-9) + 1
        values = [low + i * step for i in range(count)]
        return [round(v) for v in values] if self.is_integer(index) else values

    def assignments(self, values: Sequence[float]) -> dict[str, float]:
        """Key path -> value for one candidate (its decision values in decision order)."""
        out: dict[str, float] = {}
        for i, value in enumerate(values):
            for path, base in self.targets(i):
                if self.decisions[i].mode == "scale":
                    scaled = base * value
                    out[path] = round(scaled) if isinstance(base, int) else float(scaled)
                else:
                    out[path] = value
        return out


#: ``kpi_units(roles, names)``: the units of the KPIs a run with staff ``roles`` reports.
KpiLookup = Callable[[list[str], list[str]], Mapping[str, str]]

#: Units whose KPIs are never negative, and the ratio units, which are at most 1.
NON_NEGATIVE_UNITS = ("ratio", "days", "units", "orders", "lines", "sku-days")


def load_optimisation(
    path: Path | str, overrides: Sequence[str] = (), *, kpi_units: KpiLookup | None = None
) -> OptimiseSpec:
    """Read and validate an optimisation file, load its base and check every decision path.

    Parameters
    ----------
    path : pathlib.Path or str
        The optimisation file, as the user gave it.
    overrides : sequence of str
        ``key.path=value`` overrides of the file; one starting with ``set.`` overrides the base.
    kpi_units : callable, optional
        The known KPIs (``twin.kpis.kpi_units``); KPI names are checked when given.

    Raises
    ------
    InputError
        The file or its base is invalid, a decision path is not a number of the base, a KPI is
        unknown, or a constraint cannot be met by any candidate.
    """
    source = str(path)
    own = [o for o in overrides if not o.startswith("set.")]
    base_overrides = [o.removeprefix("set.") for o in overrides if o.startswith("set.")]
    data, sources = load_yaml(path)
    data = apply_overrides(data, sources, own)
    spec = validate(OptimiseSpec, data, sources)
    spec._source = source
    base_file, base_data, base_sources, scenario = load_base_scenario(
        path, spec.base, spec.set, sources, base_overrides
    )
    dumped = scenario.model_dump(mode="python", by_alias=True)
    targets, integer = [], []
    for i, decision in enumerate(spec.decisions):
        where = f"{sources.lookup(('decisions', i, 'path')) or Origin(source)}: decisions.{i}.path"
        found = tuple(
            (p, number_at(p, base_data, dumped, where, str(base_file)))
            for p in _expand(decision.path, base_data, dumped, where, str(base_file))
        )
        targets.append(found)
        whole = all(isinstance(v, int) for _, v in found)
        if decision.type == "integer" and not whole and decision.mode == "set":
            odd = next(p for p, v in found if not isinstance(v, int))
            where = sources.lookup(("decisions", i, "type")) or Origin(source)
            raise InputError(
                f"{where}: decisions.{i}.type: '{odd}' is not a whole number in the base "
                "scenario; drop 'type: integer' (the value is rounded to its step)"
            )
        integer.append(
            decision.mode == "set"
            and (decision.type == "integer" or (whole and decision.type is None))
        )
    spec._targets = tuple(targets)
    spec._integer = tuple(integer)
    spec._base_file = base_file
    spec._base_scenario = scenario
    spec._base_data = base_data
    spec._base_sources = base_sources
    for i in range(len(spec.decisions)):
        levels = spec.levels(i)
        if levels is None and spec.sampler == "grid":
            where = sources.lookup(("decisions", i)) or Origin(source)
            raise InputError(
                f"{where}: decisions.{i}: the grid sampler needs a step on every decision that "
                "is not a whole number; give 'step'"
            )
        if levels is not None and len(levels) < 2:
            where = sources.lookup(("decisions", i)) or Origin(source)
            raise InputError(
                f"{where}: decisions.{i}: the range {spec.decisions[i].low:g} to "
                f"{spec.decisions[i].high:g} holds only the value {levels[0]:g}; widen it"
            )
    if kpi_units is not None:
        _check_kpis(spec, scenario, sources, kpi_units)
    return spec


def _expand(
    pattern: str, raw: Mapping[str, Any], dumped: Mapping[str, Any], where: str, base: str
) -> list[str]:
    """The concrete paths a pattern with ``*`` parts names in the base (each key, in order)."""
    if "*" not in pattern:
        return [pattern]
    parts = pattern.split(".")
    paths: list[list[str]] = [[]]
    for part in parts:
        if part != "*":
            paths = [[*p, part] for p in paths]
            continue
        grown = []
        for p in paths:
            node = _node(dumped, p)
            if node is None:
                node = _node(raw, p)
            if isinstance(node, Mapping):
                grown += [[*p, str(k)] for k in node if node[k] is not None]
            elif isinstance(node, list):
                grown += [[*p, str(k)] for k in range(len(node))]
        paths = grown
    # A '*' matches the entries that have the rest of the path (a base-stock supplier has no
    # reorder point); when none has it, the first one's message says why.
    found = [
        ".".join(p) for p in paths if _node(dumped, p) is not None or _node(raw, p) is not None
    ]
    if not found and paths:
        return [".".join(paths[0])]
    if not found:
        stem = ".".join(parts[: parts.index("*")]) or "the top level"
        raise InputError(
            f"{where}: '{pattern}' matches nothing in the base scenario {base}: {stem} is not a "
            "mapping or list with entries"
        )
    return found


def _node(root: Any, parts: Sequence[str]) -> Any:
    for part in parts:
        if isinstance(root, Mapping) and part in root:
            root = root[part]
        elif isinstance(root, list) and part.isdigit() and int(part) < len(root):
            root = root[int(part)]
        else:
            return None
    return root


def _check_kpis(
    spec: OptimiseSpec, scenario: Scenario, sources: SourceMap, kpi_units: KpiLookup
) -> None:
    roles = list(scenario.staffing.roles()) if scenario.staffing else []
    goal = "maximise" if spec.objective.higher_is_better else "minimise"
    single = len(spec.objective.terms) == 1 and isinstance(getattr(spec.objective, goal), str)
    named = [
        (("objective", goal) if single else ("objective", goal, k), k) for k in spec.objective.terms
    ]
    named += [(("constraints", i), c.kpi) for i, c in enumerate(spec.constraints)]
    units = kpi_units(roles, [k for _, k in named])
    for key, kpi in named:
        if kpi not in units:
            where = sources.lookup(key) or Origin(spec.source)
            close = difflib.get_close_matches(kpi, list(units), n=3)
            hint = f"; did you mean {' or '.join(repr(k) for k in close)}?" if close else ""
            raise InputError(
                f"{where}: {'.'.join(str(k) for k in key)}: unknown KPI '{kpi}'{hint} (the KPIs "
                "are listed in docs/kpis.md)"
            )
    for i, constraint in enumerate(spec.constraints):
        problem = _impossible(constraint, units.get(constraint.kpi, ""))
        if problem is None:
            for j, other in enumerate(spec.constraints[:i]):
                problem = _contradiction(constraint, other, j)
                if problem:
                    break
        if problem:
            where = sources.lookup(("constraints", i)) or Origin(spec.source)
            raise InputError(
                f"{where}: constraints.{i}: '{constraint.label}' cannot be met by any candidate: "
                f"{problem}"
            )


def _impossible(constraint: Constraint, unit: str) -> str | None:
    """Why no value of a KPI with ``unit`` can meet the constraint, or None."""
    low = 0.0 if unit in NON_NEGATIVE_UNITS or constraint.kpi.endswith("_cost") else -math.inf
    high = 1.0 if unit == "ratio" else math.inf
    if constraint.op == "<=" and constraint.bound < low:
        return f"{constraint.kpi} is never below {low:g}"
    if constraint.op == ">=" and constraint.bound > high:
        return f"{constraint.kpi} is a share, never above {high:g}"
    return None


def _contradiction(a: Constraint, b: Constraint, j: int) -> str | None:
    """Why two constraints on the same KPI's mean exclude each other, or None."""
    if a.kpi != b.kpi or a.is_chance or b.is_chance or a.op == b.op:
        return None
    upper, lower = (a, b) if a.op == "<=" else (b, a)
    if lower.bound > upper.bound:
        return f"constraints.{j} ('{b.label}') asks for the opposite"
    return None
