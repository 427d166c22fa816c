"""The ``checks:`` section: KPI targets that ``twin check`` turns into a CI gate.

A check is written either as a string, ``"fill_rate >= 0.97"`` or ``"profit >= base"``, or as a
mapping with the richer options (confidence, a comparison with another variant and its margin,
which variants, how a sweep is judged). Both forms validate into the same frozen :class:`Check`.
KPI and variant names are only known once a run has produced its KPI table, so they are checked
there (:mod:`twin.experiments.checks`), not here. The semantics are documented in
``docs/ci-gate.md``.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import Field, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from twin.scenario.common import Name, Section

Op = Literal[">=", "<=", ">", "<"]

#: What ``than`` names to compare with the base scenario of a variants file.
BASE = "base"

GRAMMAR = (
    "'<kpi> <op> <number>' or '<kpi> <op> base', with <op> one of >=, <=, >, < "
    "(for example 'fill_rate >= 0.97' or 'profit >= base')"
)

#: A KPI name: as in kpis.csv; a promotion's KPIs end in its name, which may hold '.' and '-'.
KPI_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"

_STRING_FORM = re.compile(rf"^\s*({KPI_NAME})\s*(>=|<=|>|<)\s*(\S+)\s*$")


def parse_check_string(text: str) -> dict[str, Any]:
    """The mapping form of a check written as a string; ``ValueError`` quoting it if malformed."""
    match = _STRING_FORM.match(text)
    if match is None:
        raise ValueError(f"cannot read the check {text!r}: write it as {GRAMMAR}")
    kpi, op, right = match.groups()
    if right == BASE:
        return {"kpi": kpi, "op": op, "than": BASE}
    try:
        target = float(right)
    except ValueError:
        raise ValueError(
            f"cannot read the check {text!r}: {right!r} is neither a number nor 'base'; write "
            f"it as {GRAMMAR}, or use the mapping form with 'than: <variant>'"
        ) from None
    if not math.isfinite(target):
        raise ValueError(f"cannot read the check {text!r}: the target must be a finite number")
    return {"kpi": kpi, "op": op, "target": target}


class Check(Section):
    """One KPI target: a fixed ``target`` or a comparison ``than`` another variant."""

    kpi: str = Field(pattern=rf"^{KPI_NAME}$", description="A KPI name, as in kpis.csv.")
    op: Op = Field(description="How the KPI must compare: >=, <=, > or <.")
    target: float | None = Field(None, description="The number the KPI is compared with.")
    than: Name | None = Field(
        None, description="'base' or a variant name: compare with that variant, replication-wise."
    )
    confidence: float | None = Field(
        None,
        gt=0.5,
        lt=1.0,
        description="Require the one-sided confidence bound, not just the mean, to meet it.",
    )
    margin: float = Field(
        0.0, ge=0.0, description="Comparisons only: how far worse than the reference may be."
    )
    variants: list[Name] | None = Field(
        None, description="The variants it applies to (default: all)."
    )
    at: Literal["every_point", "mean"] = Field(
        "every_point", description="Sweeps: hold at every point, or on the mean over points."
    )
    name: str | None = Field(None, max_length=120, description="Label in reports.")

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # editors that validate scenario files as one types must accept the string form too
        mapping = handler.resolve_ref_schema(handler(core_schema))
        string = {
            "type": "string",
            "pattern": _STRING_FORM.pattern,
            "description": f"A check as {GRAMMAR}.",
        }
        return {"anyOf": [string, mapping]}

    @model_validator(mode="before")
    @classmethod
    def _string_form(cls, data: object) -> object:
        if isinstance(data, str):
            return parse_check_string(data)
        return data

    @model_validator(mode="after")
    def _target_or_comparison(self) -> Check:
        if (self.target is None) == (self.than is None):
            raise ValueError(
                "give either 'target: <number>' or 'than: base' (or 'than: <variant>'), not "
                f"{'both' if self.target is not None else 'neither'}"
            )
        if self.than is None and "margin" in self.model_fields_set:
            raise ValueError("'margin' applies to comparisons ('than: ...'), not to a target")
        return self

    @property
    def label(self) -> str:
        """The check's name, or its string form (``"fill_rate >= 0.97"``)."""
        if self.name:
            return self.name
        right = self.than if self.than is not None else f"{self.target:g}"
        text = f"{self.kpi} {self.op} {right}"
        if self.margin:
            text += f" - {self.margin:g}" if self.op in (">=", ">") else f" + {self.margin:g}"
        if self.confidence is not None:
            text += f" ({self.confidence:.0%} confidence)"
        return text
