"""What every distribution of the vocabulary shares: the model configuration, the number type,
the parameter and size checks, and formulas used by more than one family.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo

if TYPE_CHECKING:  # numpy costs start-up; a scenario error must not wait for it
    pass

#: A truncated normal with less mass than this above 0 is almost surely a typo in the scenario,
#: and its inverse-CDF sampling would lose most of its precision.
MIN_NORMAL_MASS_ABOVE_ZERO = 1e-6


def _reject_bool(value: Any) -> Any:
    # pydantic's lax mode reads True as 1.0; in a scenario file `yes` is then a silent typo.
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got the boolean {value}")
    return value


Number = Annotated[float, BeforeValidator(_reject_bool)]


def require_positive(value: float, info: ValidationInfo) -> float:
    if not value > 0:
        raise ValueError(f"{info.field_name} must be > 0, got {value:g}")
    return value


def check_size(size: int) -> int:
    import numpy as np

    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
        raise ValueError(f"size must be an integer >= 0, got {size!r}")
    return int(size)


class DistributionBase(BaseModel):
    """Configuration shared by every distribution: strict keys, immutable, finite numbers."""

    # serialize_by_alias: Normal stores its `mean` parameter as `mu` (the `mean` property is the
    # truncated mean), and a dump must give back the key a scenario file uses. defer_build: built
    # when first used, not at import, as the scenario sections are (twin.scenario.common).
    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, serialize_by_alias=True, defer_build=True
    )


def lognormal_log_parameters(mean: float, sd: float) -> tuple[float, float]:
    """(m, s), the mean and standard deviation of log X, for a lognormal X with ``mean`` and ``sd``.

    s**2 = ln(1 + sd**2 / mean**2) and m = ln(mean) - s**2 / 2 (Johnson, Kotz and Balakrishnan,
    *Continuous Univariate Distributions*, vol. 1, 2nd ed., ch. 14).
    """
    s2 = math.log1p((sd / mean) ** 2)
    return math.log(mean) - 0.5 * s2, math.sqrt(s2)


class UniformMoments:
    """Mean, variance and lower bound of a uniform on [``low``, ``high``] (scenario and sweep)."""

    # No annotations of low/mode/high here: pydantic would make them fields ahead of the model's.

    @property
    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12.0

    @property
    def support_min(self) -> float:
        return self.low


class TriangularMoments:
    """Mean, variance and lower bound of a triangular on [``low``, ``high``] peaking at ``mode``."""

    # No annotations of low/mode/high here: pydantic would make them fields ahead of the model's.

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
