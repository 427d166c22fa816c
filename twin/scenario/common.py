"""Building blocks shared by every scenario section: the base model and common field types.

Kept apart from ``twin.scenario.schema`` so every section (run control, catalogue, arrivals,
segments, inventory, staffing, costs and the levers) can live in a module of its own that the
scenario model imports.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=80)]


class Section(BaseModel):
    """Base of every scenario section: unknown keys, NaN and infinity are rejected."""

    # defer_build: a section's validator is built when first used, not at import, so `twin`
    # starts without building the models a command never validates (bench_startup.py).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)


def require_nonnegative(dist: object, what: str) -> object:
    """A distribution field validator: ``dist`` must not draw values below 0."""
    if dist.support_min < 0:  # type: ignore[attr-defined]
        raise ValueError(
            f"{what} cannot be negative, but this distribution can draw values below 0"
        )
    return dist
