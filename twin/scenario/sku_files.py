"""Per-SKU tables beside a scenario: a segment's SKU mix and the stocking rules of single SKUs.

A planner with 20,000 SKUs does not write a YAML entry for each: ``sku_mix.weights_file`` (columns
``sku, weight``) and ``inventory.skus_file`` (column ``sku`` and the rule's columns,
:data:`RULE_COLUMNS`) name a CSV or Parquet file instead, relative to the scenario file. Both
are read and checked when the scenario is validated, so a bad row is an input error naming the
file, the row (data rows count from 1, the header excluded) and the column, before anything
runs. The rows are kept on the section, not copied into the effective scenario, which names the
file.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from twin.errors import InputError
from twin.input_files import check_input_file

#: The columns of a SKU-mix file.
WEIGHT_COLUMNS = ("sku", "weight")

#: The columns a stocking-rules file may have besides ``sku``: the policy's kind and levels, the
#: review, the shortage rule and the initial stock. An empty cell inherits from the layers above.
POLICY_LEVELS = (
    "level",
    "level_days",
    "reorder_point",
    "reorder_point_days",
    "order_up_to",
    "order_up_to_days",
    "quantity",
    "quantity_days",
)
REVIEW_FIELDS = ("period_days", "first_review_day")
RULE_COLUMNS = (
    "policy",
    *POLICY_LEVELS,
    "review",
    *REVIEW_FIELDS,
    "shortage",
    "initial_on_hand",
    "initial_on_hand_days",
)
_WHOLE = {"level", "reorder_point", "order_up_to", "quantity", "initial_on_hand"}


def read_sku_table(path: Path, key: str, columns: tuple[str, ...], required: tuple[str, ...]):
    """The file's rows as a DataFrame of strings and numbers, its columns checked.

    ``key`` (``weights_file``, ``skus_file``) names the file in messages; ``columns`` are the
    allowed ones, ``required`` those that must be there.
    """
    import pandas as pd  # here, not at import: a scenario without such a file needs none

    check_input_file(path, key)
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype={"sku": str, "policy": str, "review": str})
    except FileNotFoundError:
        raise InputError(f"{key} {path}: file not found") from None
    except Exception as exc:  # pyarrow and pandas raise many kinds for an unreadable file
        raise InputError(
            f"Cannot read {key} {path}: {exc}; expected a CSV or Parquet file with the columns "
            f"{', '.join(required)}"
        ) from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(
            f"{key} {path} lacks column(s) {', '.join(missing)}; expected the columns "
            f"{', '.join(columns)}"
        )
    extra = [str(c) for c in frame.columns if c not in columns]
    if extra:
        raise InputError(
            f"{key} {path} has unknown column(s) {', '.join(extra)}; the allowed columns are "
            f"{', '.join(columns)}"
        )
    if not len(frame):
        raise InputError(f"{key} {path} has no rows; give one row per SKU")
    return frame


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _skus(frame, key: str, path: Path) -> list[str]:
    """The ``sku`` column as strings; a blank or repeated SKU is an error naming its row."""
    seen: dict[str, int] = {}
    skus = []
    for row, value in enumerate(frame["sku"].tolist(), start=1):
        if _missing(value) or not str(value).strip():
            raise InputError(f"{key} {path}, row {row}, column sku: the SKU is missing")
        sku = str(value)
        if sku in seen:
            raise InputError(
                f"{key} {path}, row {row}, column sku: SKU {sku!r} is listed again (first in "
                f"row {seen[sku]}); give each SKU once"
            )
        seen[sku] = row
        skus.append(sku)
    return skus


def read_sku_weights(path: Path) -> dict[str, float]:
    """A SKU-mix file: SKU -> weight (>= 0, finite; at least one > 0)."""
    key = "weights_file"
    frame = read_sku_table(path, key, WEIGHT_COLUMNS, WEIGHT_COLUMNS)
    skus = _skus(frame, key, path)
    weights: dict[str, float] = {}
    for row, (sku, value) in enumerate(zip(skus, frame["weight"].tolist(), strict=True), 1):
        try:
            weight = float(value)
        except (TypeError, ValueError):
            weight = math.nan
        if not math.isfinite(weight) or weight < 0:
            raise InputError(
                f"{key} {path}, row {row}, column weight: expected a number >= 0, got {value!r}"
            )
        weights[sku] = weight
    if not any(weights.values()):
        raise InputError(f"{key} {path}: every weight is 0; at least one must be > 0")
    return weights


def _number(value: Any, column: str) -> float | int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {value!r}")
    if column in _WHOLE:
        if number != round(number):
            raise ValueError(f"expected a whole number of units, got {value!r}")
        return round(number)
    return number


def rule_data(record: dict[str, Any]) -> dict[str, Any]:
    """One row of a stocking-rules file as the data of an ``InventoryRule`` (empty cells left out).

    ``policy`` names the policy's kind and its level columns go with it; ``review`` names the
    review's kind and ``period_days``/``first_review_day`` go with it. A level without a
    ``policy`` (or a review field without a ``review``) is an error: it could not be placed.
    """
    given = {c: v for c, v in record.items() if c != "sku" and not _missing(v)}
    data: dict[str, Any] = {}
    levels = {c: _number(given.pop(c), c) for c in POLICY_LEVELS if c in given}
    if "policy" in given:
        data["policy"] = {"kind": str(given.pop("policy")).strip(), **levels}
    elif levels:
        raise ValueError(f"{', '.join(levels)} given without a policy: name the policy's kind")
    review = {c: _number(given.pop(c), c) for c in REVIEW_FIELDS if c in given}
    if "review" in given:
        data["review"] = {"kind": str(given.pop("review")).strip(), **review}
    elif review:
        raise ValueError(f"{', '.join(review)} given without a review: name the review's kind")
    if "shortage" in given:
        data["shortage"] = str(given.pop("shortage")).strip()
    for column in ("initial_on_hand", "initial_on_hand_days"):
        if column in given:
            data[column] = _number(given.pop(column), column)
    return data


def read_sku_rules(path: Path, validate) -> dict[str, Any]:
    """A stocking-rules file: SKU -> the rule ``validate(data)`` returns (an ``InventoryRule``).

    ``validate`` raises pydantic's ``ValidationError`` or ``ValueError`` for a bad row; the
    message then names the file, the row and the fields.
    """
    from pydantic import ValidationError

    key = "skus_file"
    frame = read_sku_table(path, key, ("sku", *RULE_COLUMNS), ("sku",))
    skus = _skus(frame, key, path)
    rules: dict[str, Any] = {}
    for row, (sku, record) in enumerate(zip(skus, frame.to_dict("records"), strict=True), 1):
        try:
            rules[sku] = validate(rule_data(record))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or 'row'}: {error['msg']}"
                for error in exc.errors(include_url=False)
            )
            raise InputError(f"{key} {path}, row {row} (SKU {sku!r}): {problems}") from None
        except ValueError as exc:
            raise InputError(f"{key} {path}, row {row} (SKU {sku!r}): {exc}") from None
    return rules
