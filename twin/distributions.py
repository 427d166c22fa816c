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

import math
from numbers import Real
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from scipy.special import log_ndtr, ndtr, ndtri

__all__ = [
    "Constant",
    "Discrete",
    "Distribution",
    "DistributionSpec",
    "Empirical",
    "Exponential",
    "Gamma",
    "Lognormal",
    "NegativeBinomial",
    "Normal",
    "Poisson",
    "Triangular",
    "Uniform",
    "Weibull",
    "parse_distribution",
]

#: A truncated normal with less mass than this above 0 is almost surely a typo in the scenario,
#: and its inverse-CDF sampling would lose most of its precision.
MIN_NORMAL_MASS_ABOVE_ZERO = 1e-6

#: Tolerance on the sum of discrete probabilities, loose enough for values typed with 10 digits.
PROBABILITY_SUM_TOLERANCE = 1e-9


def _reject_bool(value: Any) -> Any:
    # pydantic's lax mode reads True as 1.0; in a scenario file `yes` is then a silent typo.
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got the boolean {value}")
    return value


Number = Annotated[float, BeforeValidator(_reject_bool)]


def _require_positive(value: float, info: ValidationInfo) -> float:
    if not value > 0:
        raise ValueError(f"{info.field_name} must be > 0, got {value:g}")
    return value


def _check_size(size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
        raise ValueError(f"size must be an integer >= 0, got {size!r}")
    return int(size)


class _Base(BaseModel):
    """Configuration shared by every distribution: strict keys, immutable, finite numbers."""

    # serialize_by_alias: Normal stores its `mean` parameter as `mu` (the `mean` property is the
    # truncated mean), and a dump must give back the key a scenario file uses.
    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, serialize_by_alias=True
    )


class Constant(_Base):
    """Always ``value``. Drawing does not touch the generator."""

    dist: Literal["constant"] = "constant"
    value: Number

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(_check_size(size), self.value, dtype=np.float64)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    @property
    def support_min(self) -> float:
        return self.value


class Uniform(_Base):
    """Continuous uniform on ``[low, high)``; ``low < high``."""

    dist: Literal["uniform"] = "uniform"
    low: Number
    high: Number

    @field_validator("high")
    @classmethod
    def _high_above_low(cls, high: float, info: ValidationInfo) -> float:
        low = info.data.get("low")
        if low is not None and not high > low:
            raise ValueError(f"high must be > low ({low:g}), got {high:g}")
        return high

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # numpy takes (low, high), not scipy's (loc, scale).
        return rng.uniform(self.low, self.high, _check_size(size))

    @property
    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12.0

    @property
    def support_min(self) -> float:
        return self.low


class Triangular(_Base):
    """Triangular on [low, high] peaking at ``mode``; ``low <= mode <= high`` and ``low < high``."""

    dist: Literal["triangular"] = "triangular"
    low: Number
    mode: Number
    high: Number

    @field_validator("mode")
    @classmethod
    def _mode_above_low(cls, mode: float, info: ValidationInfo) -> float:
        low = info.data.get("low")
        if low is not None and mode < low:
            raise ValueError(f"mode must be >= low ({low:g}), got {mode:g}")
        return mode

    @field_validator("high")
    @classmethod
    def _high_above_rest(cls, high: float, info: ValidationInfo) -> float:
        low, mode = info.data.get("low"), info.data.get("mode")
        if mode is not None and high < mode:
            raise ValueError(f"high must be >= mode ({mode:g}), got {high:g}")
        if low is not None and not high > low:
            raise ValueError(f"high must be > low ({low:g}), got {high:g}")
        return high

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, _check_size(size))

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3.0

    @property
    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0

    @property
    def support_min(self) -> float:
        return self.low


class Exponential(_Base):
    """Exponential with mean ``mean`` (> 0), i.e. rate ``1 / mean``; variance ``mean**2``."""

    dist: Literal["exponential"] = "exponential"
    mean: Number

    _positive = field_validator("mean")(_require_positive)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean, _check_size(size))

    @property
    def variance(self) -> float:
        return self.mean**2

    @property
    def support_min(self) -> float:
        return 0.0


class Normal(_Base):
    """Normal with parameters ``mean`` (mu) and ``sd`` (sigma > 0), truncated at 0.

    Draws are never negative: they follow X | X >= 0 for X ~ N(mu, sigma**2). The properties
    ``mean`` and ``variance`` are the truncated distribution's moments, which differ from the
    parameters when mu is within a few sigma of 0; the parameter itself is the attribute ``mu``.
    With alpha = -mu / sigma, lambda = phi(alpha) / (1 - Phi(alpha)) (Johnson, Kotz and
    Balakrishnan, *Continuous Univariate Distributions*, vol. 1, 2nd ed., sec. 10.1)::

        mean = mu + sigma * lambda
        variance = sigma**2 * (1 + alpha * lambda - lambda**2)

    Parameters are rejected when P(X > 0) < 1e-6.
    """

    dist: Literal["normal"] = "normal"
    mu: Number = Field(alias="mean")
    sd: Number

    @field_validator("sd")
    @classmethod
    def _sd_positive_with_mass(cls, sd: float, info: ValidationInfo) -> float:
        if not sd > 0:
            raise ValueError(f"sd must be > 0, got {sd:g}")
        mu = info.data.get("mu")
        if mu is not None:
            mass = float(ndtr(mu / sd))
            if mass < MIN_NORMAL_MASS_ABOVE_ZERO:
                raise ValueError(
                    f"a normal truncated at 0 needs P(X > 0) >= {MIN_NORMAL_MASS_ABOVE_ZERO:g}; "
                    f"mean={mu:g}, sd={sd:g} gives {mass:.3g} (raise the mean or the sd)"
                )
        return sd

    def _inverse_mills(self) -> tuple[float, float]:
        """Return (alpha, lambda) of the truncation, lambda computed in logs to keep precision."""
        alpha = -self.mu / self.sd
        log_phi = -0.5 * alpha * alpha - 0.5 * math.log(2.0 * math.pi)
        return alpha, math.exp(log_phi - float(log_ndtr(-alpha)))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # Inverse CDF of the lower tail of -Z, which keeps precision when P(X > 0) is small;
        # 1 - u lies in (0, 1], so v = 1 maps exactly to the truncation point 0 and no draw is inf.
        v = 1.0 - rng.random(_check_size(size))
        x = self.mu - self.sd * ndtri(v * ndtr(self.mu / self.sd))
        return np.maximum(x, 0.0)

    @property
    def mean(self) -> float:
        _, lam = self._inverse_mills()
        return self.mu + self.sd * lam

    @property
    def variance(self) -> float:
        alpha, lam = self._inverse_mills()
        return self.sd**2 * max(1.0 + alpha * lam - lam * lam, 0.0)

    @property
    def support_min(self) -> float:
        return 0.0


class Lognormal(_Base):
    """Lognormal with the mean ``mean`` and standard deviation ``sd`` of X itself (both > 0).

    Internally log X ~ N(m, s**2) with s**2 = ln(1 + sd**2 / mean**2) and m = ln(mean) - s**2 / 2.
    """

    dist: Literal["lognormal"] = "lognormal"
    mean: Number
    sd: Number

    _positive = field_validator("mean", "sd")(_require_positive)

    def log_parameters(self) -> tuple[float, float]:
        """Return (m, s), the mean and standard deviation of log X."""
        s2 = math.log1p((self.sd / self.mean) ** 2)
        return math.log(self.mean) - 0.5 * s2, math.sqrt(s2)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        m, s = self.log_parameters()
        return rng.lognormal(m, s, _check_size(size))

    @property
    def variance(self) -> float:
        return self.sd**2

    @property
    def support_min(self) -> float:
        return 0.0


class Gamma(_Base):
    """Gamma with ``shape`` k and ``scale`` theta (both > 0); mean k*theta, variance k*theta**2."""

    dist: Literal["gamma"] = "gamma"
    shape: Number
    scale: Number

    _positive = field_validator("shape", "scale")(_require_positive)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, _check_size(size))

    @property
    def mean(self) -> float:
        return self.shape * self.scale

    @property
    def variance(self) -> float:
        return self.shape * self.scale**2

    @property
    def support_min(self) -> float:
        return 0.0


class Weibull(_Base):
    """Weibull with ``shape`` k and ``scale`` lambda (both > 0): P(X > x) = exp(-(x/lambda)**k).

    Mean lambda * G(1 + 1/k), variance lambda**2 * (G(1 + 2/k) - G(1 + 1/k)**2), with G the
    gamma function.
    """

    dist: Literal["weibull"] = "weibull"
    shape: Number
    scale: Number

    _positive = field_validator("shape", "scale")(_require_positive)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # numpy's weibull has scale 1.
        return self.scale * rng.weibull(self.shape, _check_size(size))

    @property
    def mean(self) -> float:
        return self.scale * math.gamma(1.0 + 1.0 / self.shape)

    @property
    def variance(self) -> float:
        g1 = math.gamma(1.0 + 1.0 / self.shape)
        g2 = math.gamma(1.0 + 2.0 / self.shape)
        return self.scale**2 * (g2 - g1 * g1)

    @property
    def support_min(self) -> float:
        return 0.0


class Poisson(_Base):
    """Poisson counts with mean ``mean`` (> 0); variance equals the mean."""

    dist: Literal["poisson"] = "poisson"
    mean: Number

    _positive = field_validator("mean")(_require_positive)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.poisson(self.mean, _check_size(size)).astype(np.float64)

    @property
    def variance(self) -> float:
        return self.mean

    @property
    def support_min(self) -> float:
        return 0.0


class NegativeBinomial(_Base):
    """Overdispersed counts with mean ``mean`` (mu > 0) and ``dispersion`` k (> 0).

    Variance mu + mu**2 / k, so k -> inf tends to the Poisson. In numpy's terms the number of
    failures before ``n = k`` successes with success probability ``p = k / (k + mu)``.
    """

    dist: Literal["negative_binomial"] = "negative_binomial"
    mean: Number
    dispersion: Number

    _positive = field_validator("mean", "dispersion")(_require_positive)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        k = self.dispersion
        p = k / (k + self.mean)
        return rng.negative_binomial(k, p, _check_size(size)).astype(np.float64)

    @property
    def variance(self) -> float:
        return self.mean + self.mean**2 / self.dispersion

    @property
    def support_min(self) -> float:
        return 0.0


def _draw_indices(rng: np.random.Generator, cumulative: np.ndarray, size: int) -> np.ndarray:
    """Draw indices with P(i) = cumulative[i] - cumulative[i-1], one uniform per draw.

    ``cumulative`` must end in exactly 1.0. ``side="right"`` never picks a zero-probability index.
    """
    return np.searchsorted(cumulative, rng.random(size), side="right")


def normalised_cumulative(probabilities: np.ndarray) -> np.ndarray:
    """Return the cumulative sums of ``probabilities`` scaled so the last one is exactly 1.0."""
    cumulative = np.cumsum(probabilities, dtype=np.float64)
    # x / x == 1.0 exactly in IEEE arithmetic, so a uniform in [0, 1) always finds an index.
    return cumulative / cumulative[-1]


class Discrete(_Base):
    """Finite distribution: ``values[i]`` with probability ``probabilities[i]``.

    Probabilities are >= 0 and sum to 1 within 1e-9; values with probability 0 are never drawn.
    """

    dist: Literal["discrete"] = "discrete"
    values: list[Number] = Field(min_length=1)
    probabilities: list[Number]

    @field_validator("probabilities")
    @classmethod
    def _valid_probabilities(cls, probabilities: list[float], info: ValidationInfo) -> list[float]:
        values = info.data.get("values")
        if values is not None and len(probabilities) != len(values):
            raise ValueError(
                f"probabilities must have one entry per value ({len(values)}), "
                f"got {len(probabilities)}"
            )
        for i, p in enumerate(probabilities):
            if p < 0:
                raise ValueError(f"probabilities must be >= 0, got {p:g} at position {i}")
        total = math.fsum(probabilities)
        if abs(total - 1.0) > PROBABILITY_SUM_TOLERANCE:
            raise ValueError(f"probabilities must sum to 1, got {total:.12g}")
        return probabilities

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        cumulative = normalised_cumulative(np.asarray(self.probabilities))
        values = np.asarray(self.values, dtype=np.float64)
        return values[_draw_indices(rng, cumulative, _check_size(size))]

    @property
    def mean(self) -> float:
        return math.fsum(p * v for v, p in zip(self.values, self.probabilities, strict=True))

    @property
    def variance(self) -> float:
        mean = self.mean
        pairs = zip(self.values, self.probabilities, strict=True)
        return math.fsum(p * (v - mean) ** 2 for v, p in pairs)

    @property
    def support_min(self) -> float:
        return min(v for v, p in zip(self.values, self.probabilities, strict=True) if p > 0)


class _ReadOnlyValues:
    """An immutable float64 array that compares by content, so models holding one compare sanely."""

    __slots__ = ("array",)

    def __init__(self, values: Any) -> None:
        array = np.array(values, dtype=np.float64)
        array.flags.writeable = False
        self.array = array

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ReadOnlyValues) and np.array_equal(self.array, other.array)

    __hash__ = None  # type: ignore[assignment]


def _read_empirical_column(path: Path, column: str) -> np.ndarray:
    """Read one column of finite numbers from a CSV file, or raise ValueError saying where not."""
    try:
        # As text, so an error can quote the cell exactly as it is written in the file.
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as error:  # pandas' parser errors are ValueErrors
        raise ValueError(f"cannot read empirical data file {str(path)!r}: {error}") from error
    if column not in frame.columns:
        raise ValueError(
            f"empirical data file {str(path)!r} has no column {column!r}; "
            f"columns are {list(frame.columns)}"
        )
    raw = frame[column]
    numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(numbers))
    if bad.size:
        row = int(bad[0])
        cell = str(raw.iloc[row])
        shown = repr(cell) if cell.strip() else "empty"
        # Data rows count from 1, the header excluded; the file line is row + 1.
        raise ValueError(
            f"empirical data file {str(path)!r}, column {column!r}: row {row + 1} "
            f"(file line {row + 2}) is {shown}, expected a finite number"
        )
    if numbers.size == 0:
        raise ValueError(f"empirical data file {str(path)!r}, column {column!r} has no rows")
    return numbers


class Empirical(_Base):
    """Resampling with replacement from observed values, each equally likely.

    Give either ``values`` (a non-empty list) or ``file`` (a CSV path) and ``column``. The file is
    read when the model is validated; a relative path is resolved against ``base_dir`` in the
    pydantic validation context when one is given (e.g. the scenario file's folder), else against
    the working directory. A dump gives back the form that was written, not the data. The mean and
    variance are those of the values (population variance, ddof = 0).
    """

    dist: Literal["empirical"] = "empirical"
    values: list[Number] | None = None
    file: Path | None = None
    column: str | None = None

    _data: _ReadOnlyValues = PrivateAttr()

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo) -> Empirical:
        from_list = self.values is not None
        from_file = self.file is not None or self.column is not None
        if from_list == from_file:
            raise ValueError("empirical needs exactly one of: values, or file and column")
        if from_list:
            if not self.values:
                raise ValueError("values must be a non-empty list of numbers")
            self._data = _ReadOnlyValues(self.values)
            return self
        if self.file is None or self.column is None:
            raise ValueError("empirical from a file needs both file and column")
        path = self.file
        base_dir = (info.context or {}).get("base_dir")
        if base_dir is not None and not path.is_absolute():
            path = Path(base_dir) / path
        self._data = _ReadOnlyValues(_read_empirical_column(path, self.column))
        return self

    @model_serializer(mode="wrap")
    def _dump_written_form(self, handler: Any) -> dict[str, Any]:
        # Drop the unused form's None keys so the dump reads like the scenario entry.
        data = handler(self)
        return {
            key: value
            for key, value in data.items()
            if not (key in ("values", "file", "column") and value is None)
        }

    @property
    def data(self) -> np.ndarray:
        """The values resampled, as a read-only float64 array."""
        return self._data.array

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        data = self._data.array
        n = data.size
        # floor(u * n) rather than rng.integers: exactly one uniform per draw whatever the size.
        index = (rng.random(_check_size(size)) * n).astype(np.int64)
        np.minimum(index, n - 1, out=index)  # u * n can round up to n when u is close to 1
        return data[index]

    @property
    def mean(self) -> float:
        return float(np.mean(self._data.array))

    @property
    def variance(self) -> float:
        return float(np.var(self._data.array))

    @property
    def support_min(self) -> float:
        return float(np.min(self._data.array))


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
