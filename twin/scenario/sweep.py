"""The sweep file: a base scenario, the parameters to vary and the design that varies them.

A sweep file is YAML validated into a frozen :class:`SweepSpec` (unknown keys rejected, errors
naming file, line and key path through :func:`twin.scenario.validation.validate`).
:func:`load_sweep` also loads the base scenario it names, applies its ``set`` overrides, and
checks that every parameter path leads to a number in that scenario, so a typo is reported before
anything runs.
The rules a planner sees are in ``docs/sweeps.md``.

Which keys a parameter needs depends on the design:

- ``grid`` and ``oat`` use ``levels``, or ``low``/``high`` (``grid`` with ``steps``; ``oat``
  takes ``low`` and ``high`` as the swing, or ``steps`` levels between them);
- ``morris`` uses ``low``/``high``;
- ``lhs`` and ``sobol`` sample ``dist`` when given, else uniformly between ``low`` and ``high``.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import yaml
from pydantic import Field, PrivateAttr, model_validator

from twin.distributions import ParameterDistribution
from twin.errors import InputError
from twin.input_files import check_input_file
from twin.scenario.checks import Check
from twin.scenario.common import Name, Section
from twin.scenario.overrides import apply_overrides
from twin.scenario.schema import Scenario
from twin.scenario.sweep_paths import number_at
from twin.scenario.validation import validate
from twin.scenario.yaml_source import Origin, SourceMap, load_yaml

#: The most points a design may have: beyond this a sweep is a mistake, not a plan.
MAX_POINTS = 100_000
#: The KPIs analysed when a sweep file names none.
DEFAULT_KPIS = ("profit", "fill_rate", "lead_time_p95_days")

_PATH = r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$"
KeyPathText = Annotated[str, Field(pattern=_PATH, description="A dotted key path of the scenario.")]


# --------------------------------------------------------------------------- parameters


class Parameter(Section):
    """One scenario value the sweep varies."""

    path: KeyPathText
    label: str | None = Field(None, description="Short name for charts (default: the path).")
    levels: list[float] | None = Field(None, description="Values for grid and oat designs.")
    low: float | None = None
    high: float | None = None
    steps: int | None = Field(None, ge=2, description="Evenly spaced levels from low to high.")
    dist: ParameterDistribution | None = Field(None, description="What lhs and sobol sample.")

    @model_validator(mode="after")
    def _consistent(self) -> Parameter:
        if self.levels is not None:
            if not self.levels:
                raise ValueError("levels: the list is empty; give at least one value")
            if len(set(self.levels)) != len(self.levels):
                raise ValueError("levels: a value is listed twice")
            if self.low is not None or self.high is not None:
                raise ValueError("give either levels or low and high, not both")
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high for a range")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(
                f"low: the range is empty: low ({self.low:g}) must be below high ({self.high:g})"
            )
        if self.steps is not None and self.low is None:
            raise ValueError("steps: needs low and high to space the levels between")
        if self.levels is None and self.low is None and self.dist is None:
            raise ValueError("give levels, a range (low and high) or a dist")
        return self

    @property
    def name(self) -> str:
        """The chart label: ``label``, or the path."""
        return self.label or self.path


# --------------------------------------------------------------------------- designs


class GridDesign(Section):
    """Every combination of every parameter's levels."""

    kind: Literal["grid"]


class OatDesign(Section):
    """One at a time: the base point, then each parameter at each level with the rest at base."""

    kind: Literal["oat"]


class LhsDesign(Section):
    """A Latin hypercube of ``samples`` points (McKay, Beckman and Conover 1979)."""

    kind: Literal["lhs"]
    samples: int = Field(ge=2)
    seed: int = Field(ge=0)


class MorrisDesign(Section):
    """Morris's elementary-effects trajectories: ``trajectories`` x (parameters + 1) points."""

    kind: Literal["morris"]
    trajectories: int = Field(ge=2)
    levels: int = Field(4, ge=2)
    seed: int = Field(ge=0)


class SobolDesign(Section):
    """Saltelli's sample for Sobol' indices: ``samples`` x (parameters + 2) points."""

    kind: Literal["sobol"]
    samples: int = Field(ge=2, description="A power of 2 (the Sobol' sequence's balance).")
    second_order: bool = False
    seed: int = Field(ge=0)


Design = Annotated[
    GridDesign | OatDesign | LhsDesign | MorrisDesign | SobolDesign,
    Field(discriminator="kind"),
]


def level_values(parameter: Parameter) -> list[float]:
    """The levels of a parameter for grid and oat designs (before integer rounding)."""
    if parameter.levels is not None:
        return list(parameter.levels)
    if parameter.low is None or parameter.high is None:
        return []
    if parameter.steps is None:
        return [parameter.low, parameter.high]
    step = (parameter.high - parameter.low) / (parameter.steps - 1)
    return [parameter.low + i * step for i in range(parameter.steps)]


def point_count(design: Any, parameters: Sequence[Parameter]) -> int:
    """How many points ``design`` has over ``parameters``."""
    d = len(parameters)
    if design.kind == "grid":
        return math.prod(len(level_values(p)) for p in parameters)
    if design.kind == "oat":
        return 1 + sum(len(level_values(p)) for p in parameters)
    if design.kind == "lhs":
        return design.samples
    if design.kind == "morris":
        return design.trajectories * (d + 1)
    return design.samples * (2 * d + 2 if design.second_order else d + 2)


# --------------------------------------------------------------------------- the sweep


class SweepSpec(Section):
    """A whole sweep file. Load it with :func:`load_sweep`, which also loads its base."""

    FILE_KIND: ClassVar[str] = "sweep file"  # the headline of validation errors

    name: Name
    description: str = ""
    base: str = Field(description="The base scenario file, relative to the sweep file.")
    set: dict[KeyPathText, Any] = Field(
        default_factory=dict, description="Overrides of the base: key path -> value."
    )
    replications: int = Field(1, ge=1, description="Replications per point (all on run.seed).")
    kpis: list[str] = Field(
        default_factory=lambda: list(DEFAULT_KPIS), min_length=1, description="KPIs analysed."
    )
    parameters: list[Parameter] = Field(min_length=1)
    design: Design
    checks: list[Check] = Field(default_factory=list, description="Targets for `twin check`.")

    _base_scenario: Scenario | None = PrivateAttr(None)
    _base_data: dict[str, Any] | None = PrivateAttr(None)
    _base_sources: SourceMap | None = PrivateAttr(None)
    _base_values: dict[str, float] = PrivateAttr(default_factory=dict)
    _source: str = PrivateAttr("<sweep>")
    _overrides: tuple[str, ...] = PrivateAttr(())

    @model_validator(mode="after")
    def _fits_design(self) -> SweepSpec:
        paths = [p.path for p in self.parameters]
        for i, path in enumerate(paths):
            if path in paths[:i]:
                raise ValueError(f"parameters.{i}.path: {path!r} is listed twice")
        if len(set(self.kpis)) != len(self.kpis):
            raise ValueError("kpis: a KPI is listed twice")
        kind = self.design.kind
        d = len(self.parameters)
        if kind in ("morris", "sobol") and d < 2:
            raise ValueError(
                f"design: a {kind} design ranks parameters against each other and needs at least "
                f"2 parameters (got {d}); use oat or grid for one"
            )
        for i, p in enumerate(self.parameters):
            where = f"parameters.{i}"
            if kind in ("grid", "oat") and p.levels is None and p.low is None:
                raise ValueError(f"{where}: a {kind} design needs levels, or low and high")
            if kind == "grid" and p.low is not None and p.steps is None:
                raise ValueError(
                    f"{where}: a grid design needs levels, or steps between low and high"
                )
            if kind == "morris" and p.low is None:
                raise ValueError(
                    f"{where}: a morris design moves each parameter over a range; give low and "
                    "high (levels and dist are for grid/oat and lhs/sobol)"
                )
            if kind in ("lhs", "sobol") and p.low is None and p.dist is None:
                raise ValueError(
                    f"{where}: a {kind} design samples a dist, or uniformly between low and "
                    "high; give one of them (levels are for grid and oat)"
                )
        if kind == "sobol":
            n = self.design.samples
            if n & (n - 1):
                raise ValueError(
                    f"design.samples: a sobol design needs a power of 2 (got {n}; nearest "
                    f"{1 << (n.bit_length() - 1)} or {1 << n.bit_length()})"
                )
        if kind == "morris" and self.design.levels % 2:
            raise ValueError(
                "design.levels: a morris design needs an even number of levels, so that each "
                f"step of p/(2(p-1)) of the range lands on the grid (got {self.design.levels})"
            )
        if kind == "lhs" and self.design.samples < d + 2:
            raise ValueError(
                f"design.samples: an lhs design over {d} parameters needs at least {d + 2} "
                "samples to estimate a regression coefficient per parameter"
            )
        count = point_count(self.design, self.parameters)
        if count > MAX_POINTS:
            raise ValueError(
                f"design: {count:,} points is more than the {MAX_POINTS:,} a sweep may have; "
                "use fewer levels or samples"
            )
        return self

    # -- the base, once loaded ---------------------------------------------------------------

    @property
    def source(self) -> str:
        """The sweep file as the user named it."""
        return self._source

    @property
    def overrides(self) -> tuple[str, ...]:
        """The command-line overrides the sweep was loaded with."""
        return self._overrides

    @property
    def base_scenario(self) -> Scenario:
        """The validated base scenario with ``set`` applied (after :func:`load_sweep`)."""
        if self._base_scenario is None:
            raise ValueError(f"sweep {self.name!r} has no base scenario loaded; use load_sweep")
        return self._base_scenario

    @property
    def has_base(self) -> bool:
        return self._base_scenario is not None

    def base_data(self) -> tuple[dict[str, Any], SourceMap]:
        """The base's raw merged data with ``set`` applied, and its source map."""
        if self._base_data is None or self._base_sources is None:
            raise ValueError(f"sweep {self.name!r} has no base scenario loaded; use load_sweep")
        return self._base_data, self._base_sources

    def base_value(self, path: str) -> float | None:
        """The base scenario's value at a parameter path, or None without a base."""
        return self._base_values.get(path)

    def is_integer(self, path: str) -> bool:
        """Whether the base value is a whole number type (its sweep values are rounded)."""
        return isinstance(self._base_values.get(path), int)


def is_sweep_file(path: Path | str) -> bool:
    """Whether the YAML file's top level has both ``parameters`` and ``design``."""
    check_input_file(path, "")  # not /dev/zero: the file is read whole
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and "parameters" in data and "design" in data


#: ``kpi_units(roles, names)``: the units of the KPIs a run with staff ``roles`` may report, with
#: ``names`` that extend a known KPI by a suffix among them (``twin.kpis.kpi_units``).
KpiLookup = Callable[[list[str], list[str]], Mapping[str, str]]


def load_base_scenario(
    path: Path | str,
    base: str,
    settings: Mapping[str, Any],
    sources: SourceMap,
    base_overrides: Sequence[str],
) -> tuple[Path, dict[str, Any], SourceMap, Scenario]:
    """The base scenario of a sweep or optimisation file at ``path``: ``base`` (relative to the
    file) with the file's ``set`` (``settings``, each traced to its line in the file) and the
    command line's ``set.`` overrides applied. Returns the base file, its data and their
    sources with the overrides applied, and the validated scenario."""
    source = str(path)
    base_file = Path(path).parent / base
    if not base_file.is_file():
        where = sources.lookup(("base",)) or Origin(source)
        raise InputError(f"{where}: base: scenario file not found: {base_file}")
    base_data, base_sources = load_yaml(base_file)
    for key, value in settings.items():
        override = f"{key}={json.dumps(value, default=str)}"
        base_data = apply_overrides(base_data, base_sources, [override], cwd=Path(path).parent)
        parts = tuple(key.split("."))
        base_sources.discard(parts)
        base_sources.set(parts, sources.lookup(("set", key)) or Origin(source))
    base_data = apply_overrides(base_data, base_sources, base_overrides)
    return base_file, base_data, base_sources, validate(Scenario, base_data, base_sources)


def load_sweep(
    path: Path | str, overrides: Sequence[str] = (), *, kpi_units: KpiLookup | None = None
) -> SweepSpec:
    """Read and validate a sweep file, load its base and check every parameter path.

    Parameters
    ----------
    path : pathlib.Path or str
        The sweep file, as the user gave it.
    overrides : sequence of str
        ``key.path=value`` overrides of the sweep file; one starting with ``set.``
        (``set.run.horizon_days=30``) is an override of the base, applied after the file's
        ``set``.
    kpi_units : callable, optional
        The known KPIs (``twin.kpis.kpi_units``, passed by the layer that runs the sweep, since
        the scenario layer does not know the KPIs); each of ``kpis`` must be one of them. Without
        it the KPI names are not checked.

    Raises
    ------
    InputError
        The sweep file or its base is invalid, a parameter path does not lead to a number in
        the base scenario, or a KPI is unknown.
    """
    source = str(path)
    sweep_overrides = [o for o in overrides if not o.startswith("set.")]
    base_overrides = [o.removeprefix("set.") for o in overrides if o.startswith("set.")]
    data, sources = load_yaml(path)
    data = apply_overrides(data, sources, sweep_overrides)
    spec = validate(SweepSpec, data, sources)
    spec._source = source
    spec._overrides = tuple(overrides)
    base_file, base_data, base_sources, scenario = load_base_scenario(
        path, spec.base, spec.set, sources, base_overrides
    )
    dumped = scenario.model_dump(mode="python", by_alias=True)
    values: dict[str, float] = {}
    for i, parameter in enumerate(spec.parameters):
        where = sources.lookup(("parameters", i, "path")) or Origin(source)
        values[parameter.path] = number_at(
            parameter.path, base_data, dumped, f"{where}: parameters.{i}.path", str(base_file)
        )
    for i, parameter in enumerate(spec.parameters):
        if isinstance(values[parameter.path], int) and parameter.levels is not None:
            odd = [v for v in parameter.levels if v != round(v)]
            if odd:
                where = sources.lookup(("parameters", i, "levels")) or Origin(source)
                raise InputError(
                    f"{where}: parameters.{i}.levels: '{parameter.path}' is a whole number in "
                    f"the base scenario, so its levels must be too (got {odd[0]:g})"
                )
    if kpi_units is not None:
        _check_kpis(spec, scenario, sources, kpi_units)
    spec._base_scenario = scenario
    spec._base_data = base_data
    spec._base_sources = base_sources
    spec._base_values = values
    return spec


def _check_kpis(
    spec: SweepSpec, scenario: Scenario, sources: SourceMap, kpi_units: KpiLookup
) -> None:
    roles = list(scenario.staffing.roles()) if scenario.staffing else []
    for i, kpi in enumerate(spec.kpis):
        known = kpi_units(roles, [kpi])
        if kpi not in known:
            where = sources.lookup(("kpis", i)) or Origin(spec.source)
            close = difflib.get_close_matches(kpi, list(known), n=3)
            hint = f"; did you mean {' or '.join(repr(k) for k in close)}?" if close else ""
            raise InputError(
                f"{where}: kpis.{i}: unknown KPI '{kpi}'{hint} (the KPIs are listed in "
                "docs/kpis.md)"
            )
