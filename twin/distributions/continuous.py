"""Continuous families of the scenario vocabulary, and the constant.

Each validates its parameters when built, carries its analytic ``mean``, ``variance`` and
``support_min``, and draws with ``sample(rng, size)``; see :mod:`twin.distributions`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationInfo, field_validator

from twin.distributions.base import (
    MIN_NORMAL_MASS_ABOVE_ZERO,
    DistributionBase,
    Number,
    TriangularMoments,
    UniformMoments,
    check_size,
    lognormal_log_parameters,
    require_positive,
)

if TYPE_CHECKING:  # numpy costs start-up; a scenario error must not wait for it
    import numpy as np


class Constant(DistributionBase):
    """Always ``value``. Drawing does not touch the generator."""

    dist: Literal["constant"] = "constant"
    value: Number

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        import numpy as np

        return np.full(check_size(size), self.value, dtype=np.float64)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    @property
    def support_min(self) -> float:
        return self.value


class Uniform(UniformMoments, DistributionBase):
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
        return rng.uniform(self.low, self.high, check_size(size))


class Triangular(TriangularMoments, DistributionBase):
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
        return rng.triangular(self.low, self.mode, self.high, check_size(size))


class Exponential(DistributionBase):
    """Exponential with mean ``mean`` (> 0), i.e. rate ``1 / mean``; variance ``mean**2``."""

    dist: Literal["exponential"] = "exponential"
    mean: Number

    _positive = field_validator("mean")(require_positive)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean, check_size(size))

    @property
    def variance(self) -> float:
        return self.mean**2

    @property
    def support_min(self) -> float:
        return 0.0


class Normal(DistributionBase):
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
            from scipy.special import ndtr  # here, not at import: loading scipy costs startup

            mass = float(ndtr(mu / sd))
            if mass < MIN_NORMAL_MASS_ABOVE_ZERO:
                raise ValueError(
                    f"a normal truncated at 0 needs P(X > 0) >= {MIN_NORMAL_MASS_ABOVE_ZERO:g}; "
                    f"mean={mu:g}, sd={sd:g} gives {mass:.3g} (raise the mean or the sd)"
                )
        return sd

    def _inverse_mills(self) -> tuple[float, float]:
        """Return (alpha, lambda) of the truncation, lambda computed in logs to keep precision."""
        from scipy.special import log_ndtr

        alpha = -self.mu / self.sd
        log_phi = -0.5 * alpha * alpha - 0.5 * math.log(2.0 * math.pi)
        return alpha, math.exp(log_phi - float(log_ndtr(-alpha)))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # Inverse CDF of the lower tail of -Z, which keeps precision when P(X > 0) is small;
        # 1 - u lies in (0, 1], so v = 1 maps exactly to the truncation point 0 and no draw is inf.
        import numpy as np
        from scipy.special import ndtr, ndtri

        v = 1.0 - rng.random(check_size(size))
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


class Lognormal(DistributionBase):
    """Lognormal with the mean ``mean`` and standard deviation ``sd`` of X itself (both > 0).

    Internally log X ~ N(m, s**2) with s**2 = ln(1 + sd**2 / mean**2) and m = ln(mean) - s**2 / 2.
    """

    dist: Literal["lognormal"] = "lognormal"
    mean: Number
    sd: Number

    _positive = field_validator("mean", "sd")(require_positive)

    def log_parameters(self) -> tuple[float, float]:
        """Return (m, s), the mean and standard deviation of log X."""
        return lognormal_log_parameters(self.mean, self.sd)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        m, s = self.log_parameters()
        return rng.lognormal(m, s, check_size(size))

    @property
    def variance(self) -> float:
        return self.sd**2

    @property
    def support_min(self) -> float:
        return 0.0


class Gamma(DistributionBase):
    """Gamma with ``shape`` k and ``scale`` theta (both > 0); mean k*theta, variance k*theta**2."""

    dist: Literal["gamma"] = "gamma"
    shape: Number
    scale: Number

    _positive = field_validator("shape", "scale")(require_positive)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, check_size(size))

    @property
    def mean(self) -> float:
        return self.shape * self.scale

    @property
    def variance(self) -> float:
        return self.shape * self.scale**2

    @property
    def support_min(self) -> float:
        return 0.0


class Weibull(DistributionBase):
    """Weibull with ``shape`` k and ``scale`` lambda (both > 0): P(X > x) = exp(-(x/lambda)**k).

    Mean lambda * G(1 + 1/k), variance lambda**2 * (G(1 + 2/k) - G(1 + 1/k)**2), with G the
    gamma function.
    """

    dist: Literal["weibull"] = "weibull"
    shape: Number
    scale: Number

    _positive = field_validator("shape", "scale")(require_positive)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # numpy's weibull has scale 1.
        return self.scale * rng.weibull(self.shape, check_size(size))

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
