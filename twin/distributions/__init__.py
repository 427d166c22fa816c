"""The distribution vocabulary shared by scenario files, calibration and the model.

Every random quantity in a scenario (an inter-arrival time, a lead time, a payment delay, ...) is
written as one of the models below, chosen by its ``dist`` key::

    lead_time_days: {dist: gamma, shape: 4.0, scale: 1.5}
    transit_days: 2.0                    # a bare number means {dist: constant, value: 2.0}

Each model validates its parameters when it is built (never by drawing), carries its analytic
``mean``, ``variance`` and ``support_min``, and draws with ``sample(rng, size)`` from a numpy
``Generator`` the caller owns; there is no random state in this module. Units are those of the
quantity being described (days for durations, units for quantities).

Use :data:`DistributionSpec` as the type of a scenario field and :func:`parse_distribution` to
build a distribution from plain data in code and tests.

Every ``sample`` draws its values one after another from the generator, so the first ``m`` values
of ``sample(rng, n)`` are those of ``sample(rng, m)`` for ``m <= n``; :class:`twin.streams.Sampler`
relies on this to make its block size irrelevant to the sequence drawn.
"""

from __future__ import annotations

from numbers import Real
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, TypeAdapter

from twin.distributions.base import MIN_NORMAL_MASS_ABOVE_ZERO
from twin.distributions.continuous import (
    Constant,
    Exponential,
    Gamma,
    Lognormal,
    Normal,
    Triangular,
    Uniform,
    Weibull,
)
from twin.distributions.discrete import (
    PROBABILITY_SUM_TOLERANCE,
    Discrete,
    NegativeBinomial,
    Poisson,
    normalised_cumulative,
)
from twin.distributions.empirical import Empirical
from twin.distributions.parameters import (
    LogNormalDist,
    LogUniformDist,
    NormalDist,
    ParameterDistribution,
    TriangularDist,
    TruncatedNormalDist,
    UniformDist,
)

__all__ = [
    "MIN_NORMAL_MASS_ABOVE_ZERO",
    "PROBABILITY_SUM_TOLERANCE",
    "Constant",
    "Discrete",
    "Distribution",
    "DistributionSpec",
    "Empirical",
    "Exponential",
    "Gamma",
    "LogNormalDist",
    "LogUniformDist",
    "Lognormal",
    "NegativeBinomial",
    "Normal",
    "NormalDist",
    "ParameterDistribution",
    "Poisson",
    "Triangular",
    "TriangularDist",
    "TruncatedNormalDist",
    "Uniform",
    "UniformDist",
    "Weibull",
    "normalised_cumulative",
    "parse_distribution",
]


Distribution = Annotated[
    Constant
    | Uniform
    | Triangular
    | Exponential
    | Normal
    | Lognormal
    | Gamma
    | Weibull
    | Poisson
    | NegativeBinomial
    | Discrete
    | Empirical,
    Field(discriminator="dist"),
]


def _number_as_constant(data: Any) -> Any:
    # bool is a Real in Python, but `yes` in a scenario file is not a constant 1.
    if isinstance(data, Real) and not isinstance(data, bool):
        return {"dist": "constant", "value": data}
    return data


#: Scenario field type: a distribution, or a bare number meaning a constant.
# the JSON Schema admits a bare number too, so editors accept ``transit_days: 2``
DistributionSpec = Annotated[
    Distribution,
    BeforeValidator(_number_as_constant, json_schema_input_type=float | Distribution),
]

_ADAPTER: TypeAdapter[Any] = TypeAdapter(DistributionSpec, config=ConfigDict(title="distribution"))


def parse_distribution(data: Any, *, base_dir: str | Path | None = None) -> Distribution:
    """Build a distribution from plain data (a mapping with a ``dist`` key, or a number).

    Parameters
    ----------
    data
        For example ``{"dist": "gamma", "shape": 2.0, "scale": 1.5}`` or ``2.5``.
    base_dir
        Folder against which a relative empirical ``file`` is resolved; the working directory if
        None.

    Returns
    -------
    Distribution
        The validated, immutable distribution.

    Raises
    ------
    pydantic.ValidationError
        If the kind is unknown, a key is missing or unknown, or a parameter is invalid.
    """
    context = None if base_dir is None else {"base_dir": base_dir}
    return _ADAPTER.validate_python(data, context=context)
