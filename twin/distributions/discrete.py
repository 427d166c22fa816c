"""Families on whole numbers or a finite set: Poisson and negative-binomial counts, and a
discrete distribution of listed values with their probabilities.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationInfo, field_validator

from twin.distributions.base import DistributionBase, Number, check_size, require_positive

if TYPE_CHECKING:  # numpy costs start-up; a scenario error must not wait for it
    import numpy as np

#: Tolerance on the sum of discrete probabilities, loose enough for values typed with 10 digits.
PROBABILITY_SUM_TOLERANCE = 1e-9


class Poisson(DistributionBase):
    """Poisson counts with mean ``mean`` (> 0); variance equals the mean."""

    dist: Literal["poisson"] = "poisson"
    mean: Number

    _positive = field_validator("mean")(require_positive)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        import numpy as np

        return rng.poisson(self.mean, check_size(size)).astype(np.float64)

    @property
    def variance(self) -> float:
        return self.mean

    @property
    def support_min(self) -> float:
        return 0.0


class NegativeBinomial(DistributionBase):
    """Overdispersed counts with mean ``mean`` (mu > 0) and ``dispersion`` k (> 0).

    Variance mu + mu**2 / k, so k -> inf tends to the Poisson. In numpy's terms the number of
    failures before ``n = k`` successes with success probability ``p = k / (k + mu)``.
    """

    dist: Literal["negative_binomial"] = "negative_binomial"
    mean: Number
    dispersion: Number

    _positive = field_validator("mean", "dispersion")(require_positive)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        import numpy as np

        k = self.dispersion
        p = k / (k + self.mean)
        return rng.negative_binomial(k, p, check_size(size)).astype(np.float64)

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
    import numpy as np

    return np.searchsorted(cumulative, rng.random(size), side="right")


def normalised_cumulative(probabilities: np.ndarray) -> np.ndarray:
    """Return the cumulative sums of ``probabilities`` scaled so the last one is exactly 1.0."""
    import numpy as np

    cumulative = np.cumsum(probabilities, dtype=np.float64)
    # x / x == 1.0 exactly in IEEE arithmetic, so a uniform in [0, 1) always finds an index.
    return cumulative / cumulative[-1]


class Discrete(DistributionBase):
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
        import numpy as np

        cumulative = normalised_cumulative(np.asarray(self.probabilities))
        values = np.asarray(self.values, dtype=np.float64)
        return values[_draw_indices(rng, cumulative, check_size(size))]

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
