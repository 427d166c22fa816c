"""The distributions a sweep design samples for a parameter: ``dist`` of a sweep file's parameter.

A sweep file writes them with a ``kind`` key, its type key (``dist: {kind: normal, mean: 120, sd:
8}``). Like the scenario's distributions they check their parameters when built, carry their
analytic ``mean``, ``variance`` and ``support_min``, and draw with ``sample(rng, size)`` from a
generator the caller owns. Each also has ``ppf(u)``, the inverse CDF, which maps a point of the
unit hypercube (a Latin hypercube or Sobol' sample) to parameter values; ``sample`` is ``ppf`` of
one uniform per draw.

These are not scenario distributions: the sweep's ``normal`` is the untruncated normal (a
parameter such as a trend may be negative), where the scenario's ``normal`` is truncated at 0 (a
duration may not), and ``truncated_normal`` is truncated to [``low``, ``high``].
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from twin.distributions.base import (
    MIN_NORMAL_MASS_ABOVE_ZERO,
    DistributionBase,
    TriangularMoments,
    UniformMoments,
    check_size,
    lognormal_log_parameters,
)

if TYPE_CHECKING:  # numpy costs start-up; a scenario error must not wait for it
    import numpy as np

__all__ = [
    "LogNormalDist",
    "LogUniformDist",
    "NormalDist",
    "ParameterDistribution",
    "TriangularDist",
    "TruncatedNormalDist",
    "UniformDist",
]


class _ByInverseCdf(DistributionBase):
    """Draws by the inverse CDF: one uniform per draw, so draws follow each other as in the
    scenario's distributions."""

    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        """The quantiles at probabilities ``u`` in [0, 1]."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        import numpy as np

        return np.asarray(self.ppf(rng.random(check_size(size))), dtype=np.float64)


class _Range(_ByInverseCdf):
    """A family on [``low``, ``high``]: the range must not be empty."""

    @model_validator(mode="after")
    def _low_below_high(self) -> _Range:
        low, high = self.low, self.high  # type: ignore[attr-defined]
        if not low < high:
            raise ValueError(f"low must be below high (got low {low:g}, high {high:g})")
        return self


class UniformDist(UniformMoments, _Range):
    """Continuous uniform on [``low``, ``high``); mean (low + high) / 2, variance
    (high - low)**2 / 12."""

    kind: Literal["uniform"]
    low: float
    high: float

    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        import numpy as np

        return self.low + np.asarray(u) * (self.high - self.low)


class LogUniformDist(_Range):
    """Log-uniform (reciprocal) on [``low``, ``high``], 0 < low: ln X is uniform on [ln low,
    ln high]. With r = ln(high / low), mean (high - low) / r and E[X**2] = (high**2 - low**2) / (2r)
    (Johnson, Kotz and Balakrishnan, vol. 2, 2nd ed., ch. 26: the reciprocal distribution)."""

    kind: Literal["loguniform"]
    low: float = Field(gt=0)
    high: float = Field(gt=0)

    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        import numpy as np

        return self.low * np.exp(np.asarray(u) * math.log(self.high / self.low))

    @property
    def mean(self) -> float:
        return (self.high - self.low) / math.log(self.high / self.low)

    @property
    def variance(self) -> float:
        second = (self.high**2 - self.low**2) / (2.0 * math.log(self.high / self.low))
        return max(second - self.mean**2, 0.0)

    @property
    def support_min(self) -> float:
        return self.low


class TriangularDist(TriangularMoments, _Range):
    """Triangular on [``low``, ``high``] peaking at ``mode``; low <= mode <= high, low < high."""

    kind: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _mode_inside(self) -> TriangularDist:
        if not self.low <= self.mode <= self.high:
            raise ValueError("a triangular distribution needs low <= mode <= high")
        return self

    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        import numpy as np

        a, c, b = self.low, self.mode, self.high
        u = np.asarray(u, dtype=np.float64)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
        return np.where(u < (c - a) / (b - a), left, right)


class NormalDist(_ByInverseCdf):
    """Normal with mean ``mean`` and standard deviation ``sd`` > 0, not truncated."""

    kind: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)

    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        import numpy as np
        from scipy.special import ndtri  # here, not at import: loading scipy costs startup

        return self.mean + self.sd * ndtri(np.asarray(u, dtype=np.float64))

    @property
    def variance(self) -> float:
        return self.sd**2

    @property
    def support_min(self) -> float:
        return -math.inf


class TruncatedNormalDist(_Range):
    """A normal N(mu, sd**2) truncated to [``low``, ``high``]; mu is written ``mean``.

    The properties ``mean`` and ``variance`` are the truncated distribution's moments, as for the
    scenario's ``normal``; the parameter itself is the attribute ``mu``. With alpha = (low - mu) /
    sd, beta = (high - mu) / sd, Z = Phi(beta) - Phi(alpha) and d = (phi(alpha) - phi(beta)) / Z
    (Johnson, Kotz and Balakrishnan, vol. 1, 2nd ed., sec. 10.1)::

        mean = mu + sd * d
        variance = sd**2 * (1 + (alpha * phi(alpha) - beta * phi(beta)) / Z - d**2)

    Parameters are rejected when P(low < X < high) < 1e-6 for the untruncated X.
    """

    kind: Literal["truncated_normal"]
    mu: float = Field(alias="mean")
    sd: float = Field(gt=0)
    low: float
    high: float

    @model_validator(mode="after")
    def _mass_inside(self) -> TruncatedNormalDist:
        if self.low < self.high:  # else _Range reports the empty range
            mass = self._standard_bounds()[2]
            if mass < MIN_NORMAL_MASS_ABOVE_ZERO:
                raise ValueError(
                    f"a normal truncated to [low, high] needs P(low < X < high) >= "
                    f"{MIN_NORMAL_MASS_ABOVE_ZERO:g}; mean={self.mu:g}, sd={self.sd:g} gives "
                    f"{mass:.3g} between {self.low:g} and {self.high:g}"
                )
        return self

    def _standard_bounds(self) -> tuple[float, float, float]:
        """(alpha, beta, Z): the bounds in standard units and the mass between them."""
        from scipy.special import ndtr

        alpha, beta = (self.low - self.mu) / self.sd, (self.high - self.mu) / self.sd
        return alpha, beta, float(ndtr(beta) - ndtr(alpha))

    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        import numpy as np
        from scipy.special import ndtr, ndtri

        alpha, _, mass = self._standard_bounds()
        z = ndtri(ndtr(alpha) + np.asarray(u, dtype=np.float64) * mass)
        # rounding can step a hair outside the range at u = 0 or 1
        return np.clip(self.mu + self.sd * z, self.low, self.high)

    @property
    def mean(self) -> float:
        alpha, beta, mass = self._standard_bounds()
        return self.mu + self.sd * (_phi(alpha) - _phi(beta)) / mass

    @property
    def variance(self) -> float:
        alpha, beta, mass = self._standard_bounds()
        d = (_phi(alpha) - _phi(beta)) / mass
        spread = (alpha * _phi(alpha) - beta * _phi(beta)) / mass
        return self.sd**2 * max(1.0 + spread - d * d, 0.0)

    @property
    def support_min(self) -> float:
        return self.low


class LogNormalDist(_ByInverseCdf):
    """A lognormal given by the mean and standard deviation of the value itself (not its log)."""

    kind: Literal["lognormal"]
    mean: float = Field(gt=0)
    sd: float = Field(gt=0)

    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        import numpy as np
        from scipy.special import ndtri

        m, s = lognormal_log_parameters(self.mean, self.sd)
        return np.exp(m + s * ndtri(np.asarray(u, dtype=np.float64)))

    @property
    def variance(self) -> float:
        return self.sd**2

    @property
    def support_min(self) -> float:
        return 0.0


def _phi(x: float) -> float:
    """The standard normal density; 0 at an infinite bound."""
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi) if math.isfinite(x) else 0.0


#: A sweep parameter's ``dist``: one of the families above, chosen by ``kind``.
ParameterDistribution = Annotated[
    UniformDist
    | LogUniformDist
    | TriangularDist
    | NormalDist
    | TruncatedNormalDist
    | LogNormalDist,
    Field(discriminator="kind"),
]
