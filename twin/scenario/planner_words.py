"""What a key of a scenario (or sweep, or mapping) file takes, in a planner's words.

pydantic says ``Input should be a valid dictionary or object to extract fields from``; a planner
needs ``lead_time_days: expected a number of days, or a distribution such as {dist: lognormal,
mean: 5, sd: 2}``. :func:`expected` turns one pydantic error into that phrase, from the error's
type (``float_parsing``, ``int_parsing``, ``bool_parsing``, ``date_parsing``, ``literal_error``,
``greater_than``, the union errors of distributions and policies, ...) and from the key's place in
the model: its type, its bounds, its unit (told by its name: ``_days``, ``minutes_``) and its
description. Nothing here knows the scenario schema: it walks any pydantic v2 model.
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from twin.scenario.key_paths import KeyPath

#: A distribution written as a planner would, shown wherever one is expected.
DISTRIBUTION_EXAMPLE = "{dist: lognormal, mean: 5, sd: 2}"

#: Words of the error types, grouped by what went wrong.
_WRONG_TYPE = {
    "float_parsing", "float_type", "int_parsing", "int_type", "int_from_float",
    "int_parsing_size", "bool_parsing", "bool_type", "string_type", "date_parsing", "date_type",
    "date_from_datetime_parsing", "date_from_datetime_inexact", "datetime_parsing",
    "datetime_type", "time_parsing", "time_type", "dict_type", "list_type", "tuple_type",
    "model_type", "model_attributes_type", "literal_error", "enum", "union_tag_not_found",
    "finite_number", "none_required", "is_instance_of",
}  # fmt: skip
_BOUNDS = {
    "greater_than": "more than",
    "greater_than_equal": "at least",
    "less_than": "less than",
    "less_than_equal": "at most",
}
_LENGTH = {"too_short": "at least", "too_long": "at most"}


@dataclass(frozen=True)
class Place:
    """Where a loc leads in a model: the type found there, and the field (with its description)
    when the last step was a model's field."""

    annotation: Any
    field: FieldInfo | None
    key: str | None
    parent: Any  # the model class holding the field, if any


def place(model_cls: type[BaseModel], loc: KeyPath) -> Place | None:
    """Follow ``loc`` (pydantic's, tags of unions included) from ``model_cls``; None when lost."""
    tp: Any = model_cls
    info: FieldInfo | None = None
    key: str | None = None
    parent: Any = None
    for part in loc:
        holder = unwrap(tp)
        step = _step(tp, part)
        if step is None:
            return None
        if isinstance(holder, type) and issubclass(holder, BaseModel):
            info = _field(holder, part)
            key, parent = str(part), holder
        elif get_origin(holder) not in (Union, types.UnionType):  # not a union's tag
            info, key, parent = None, str(part) if isinstance(part, str) else key, None
        tp = step
    return Place(tp, info, key, parent)


def expected(model_cls: type[BaseModel], loc: KeyPath, error: Mapping[str, Any]) -> str | None:
    """The planner's phrase for one pydantic ``error`` at ``loc``, or None to keep pydantic's."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    where = place(model_cls, loc)
    takes = None if where is None else what_it_takes(where.annotation, where.key, where.field)
    about = "" if where is None else _description(where.field)
    if kind == "union_tag_invalid":
        tags = str(ctx.get("expected_tags", "")).replace("'", "")
        name = str(ctx.get("discriminator", "")).strip("'")
        given = error.get("input")
        tag = given.get(name) if isinstance(given, Mapping) else ctx.get("tag")
        return f"unknown {name} {tag!r}; expected one of: {tags}" + (
            f" (a {name} picks what the other keys mean)" if name else ""
        )
    if kind == "union_tag_not_found":
        name = str(ctx.get("discriminator", "")).strip("'")
        if takes:
            return f"expected {takes}; a mapping here needs a '{name}' key{about}"
        return f"expected a mapping with a '{name}' key{about}"
    if kind == "finite_number":
        return f"must be a finite number, not NaN or infinity{about}"
    if kind in _BOUNDS:
        limit = next(iter(ctx.values()), None)
        unit = unit_of(where.key if where else None)
        bound = _BOUNDS[kind]
        if kind == "greater_than" and isinstance(limit, int) and unwrap(where_type(where)) is int:
            bound, limit = "at least", limit + 1  # a whole number more than 0 is at least 1
        if unit and limit == 1:
            unit = unit.removesuffix("s")
        return f"must be {bound} {_number(limit)}{f' {unit}' if unit else ''}{about}"
    if kind in _LENGTH:
        limit = ctx.get("min_length", ctx.get("max_length"))
        return f"must have {_LENGTH[kind]} {limit} item(s){about}"
    if kind == "missing":
        if where is not None and _is_tag_model(where.parent):
            return _distribution_keys(where.parent, missing=where.key)
        return f"missing required key{': expected ' + takes if takes else ''}{about}"
    if kind in _WRONG_TYPE or kind.endswith(("_type", "_parsing")):
        if takes is None:
            return None
        return f"expected {takes}{about}"
    return None


def where_type(where: Place | None) -> Any:
    """The type at a place, None when lost."""
    return None if where is None else where.annotation


def what_it_takes(tp: Any, key: str | None = None, info: FieldInfo | None = None) -> str | None:
    """``a whole number of at least 1``, ``true or false``, ``one of: 'backorder', 'lost_sale'``,
    ``a number of days, or a distribution such as ...``; None when the type says nothing useful."""
    bounds = _bounds(tp, info)
    tp = _without_none(tp)
    unit = unit_of(key)
    if is_distribution(tp):
        number = f"a number of {unit}" if unit else "a number"
        return f"{number}, or a distribution such as {DISTRIBUTION_EXAMPLE}"
    tp = unwrap(tp)
    origin = get_origin(tp)
    if tp is bool:
        return "true or false"
    if tp is int:
        return f"a whole number{_of(unit)}{bounds}"
    if tp is float:
        return f"a number{_of(unit)}{bounds}"
    if tp is dt.date or tp is dt.datetime:
        return "a date written YYYY-MM-DD, e.g. 2026-01-05"
    if tp is str:
        return "text"
    if origin is Literal:
        return "one of: " + ", ".join(repr(v) for v in get_args(tp))
    if origin in (Union, types.UnionType):
        tags = _tags(tp)
        if tags:
            name, values = tags
            return f"a mapping with '{name}:' one of {', '.join(values)}"
        parts = [what_it_takes(arg, key) for arg in get_args(tp)]
        known = [p for p in parts if p]
        return " or ".join(dict.fromkeys(known)) if known else None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        names = [f.alias or n for n, f in tp.model_fields.items()]
        return f"a mapping with the keys {', '.join(names)}" if names else "a mapping"
    if origin in (list, tuple, set, frozenset, Sequence):
        args = [a for a in get_args(tp) if a is not Ellipsis]
        inner = what_it_takes(args[0]) if args else None
        return f"a list{' of ' + _plural(inner) if inner else ''}"
    if origin in (dict, Mapping):
        args = get_args(tp)
        inner = what_it_takes(args[1]) if len(args) == 2 else None
        return f"a mapping of names to {inner}" if inner else "a mapping of names to values"
    return None


def unit_of(key: str | None) -> str | None:
    """The unit a key's name states: ``lead_time_days`` -> days, ``minutes_per_order`` ->
    minutes, ``cost_per_hour`` -> None (money per hour: the description says so)."""
    if not key:
        return None
    words = key.split("_")
    for word, unit in (("days", "days"), ("minutes", "minutes"), ("hours", "hours")):
        if word in words and not key.startswith("cost"):
            return unit
    return None


def is_distribution(tp: Any) -> bool:
    """True for a union of models told apart by a ``dist`` key (a distribution field)."""
    tags = _tags(unwrap(tp))
    return tags is not None and tags[0] == "dist"


# ---- walking the types ---------------------------------------------------------------------


def unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``Optional`` until a plain type or a real union remains."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(tp) if arg is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp


def _step(tp: Any, part: str | int) -> Any:
    """The type found one loc part below `tp`, or None when it cannot be told."""
    tp = unwrap(tp)
    origin = get_origin(tp)
    args = get_args(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        info = _field(tp, part)
        return (
            None
            if info is None
            else info.annotation
            if not info.metadata
            else Annotated[(info.annotation, *info.metadata)]
        )
    if origin in (list, set, frozenset, Sequence) and args:
        return args[0]
    if origin is tuple and args:
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
        return args[part] if isinstance(part, int) and part < len(args) else None
    if origin in (dict, Mapping) and len(args) == 2:
        return args[1]
    if origin in (Union, types.UnionType):
        # Pydantic names a union member by its discriminator tag or, in a plain union, its class.
        for member in (unwrap(arg) for arg in args):
            is_model = isinstance(member, type) and issubclass(member, BaseModel)
            if is_model and (part == member.__name__ or part in literal_values(member)):
                return member
        for member in args:  # a plain union of non-models: pydantic names the member's type
            if getattr(unwrap(member), "__name__", None) == part:
                return member
    return None


def _field(model: type[BaseModel], part: str | int) -> FieldInfo | None:
    for name, info in model.model_fields.items():
        if part in (name, info.alias):
            return info
    return None


def literal_values(model: type[BaseModel]) -> Iterable[Any]:
    """The values of every ``Literal`` field of ``model`` (its union tags)."""
    for field in model.model_fields.values():
        if get_origin(field.annotation) is Literal:
            yield from get_args(field.annotation)


def _tags(tp: Any) -> tuple[str, list[str]] | None:
    """(tag key, tag values) of a union of models that share one ``Literal`` key, else None."""
    if get_origin(tp) not in (Union, types.UnionType):
        return None
    members = [unwrap(arg) for arg in get_args(tp)]
    if not members or not all(isinstance(m, type) and issubclass(m, BaseModel) for m in members):
        return None
    for name in ("dist", "kind"):
        if all(name in m.model_fields for m in members):
            values = [str(v) for m in members for v in get_args(m.model_fields[name].annotation)]
            return name, values
    return None


def _is_tag_model(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, BaseModel) and "dist" in model.model_fields


def _distribution_keys(model: type[BaseModel], missing: str | None) -> str:
    return f"missing required key '{missing}': {distribution_takes(model)}"


def distribution_takes(model: type[BaseModel]) -> str:
    """``a gamma distribution takes shape and scale (see docs/distributions.md)``."""
    tag = next(iter(get_args(model.model_fields["dist"].annotation)), "this")
    keys = [n for n, f in model.model_fields.items() if n != "dist" and f.is_required()]
    return f"a {tag} distribution takes {_and(keys)} (see docs/distributions.md)"


def distribution_at(model_cls: type[BaseModel], loc: KeyPath) -> type[BaseModel] | None:
    """The distribution model whose parameter ``loc`` names (known or not), or None."""
    where = place(model_cls, loc[:-1]) if loc else None
    model = None if where is None else unwrap(where.annotation)
    return model if _is_tag_model(model) else None


def _bounds(tp: Any, info: FieldInfo | None) -> str:
    found: dict[str, Any] = {}
    metadata: list[Any] = list(info.metadata) if info is not None else []
    node = tp
    while get_origin(node) is Annotated:
        metadata += list(get_args(node)[1:])
        node = get_args(node)[0]
    for item in metadata:
        for attr in ("gt", "ge", "lt", "le"):
            value = getattr(item, attr, None)
            if value is not None and isinstance(item, annotated_types.BaseMetadata):
                found[attr] = value
    if unwrap(tp) is int and isinstance(found.get("gt"), int):  # a whole number > 0 is >= 1
        found["ge"] = found.pop("gt") + 1
    words = {"gt": "more than", "ge": "at least", "lt": "less than", "le": "at most"}
    return "".join(f", {words[a]} {_number(v)}" for a, v in found.items())


def _description(info: FieldInfo | None) -> str:
    text = (info.description or "").strip().rstrip(".") if info is not None else ""
    return f" ({text})" if text else ""


def _without_none(tp: Any) -> Any:
    if get_origin(tp) in (Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return tp


def _of(unit: str | None) -> str:
    return f" of {unit}" if unit else ""


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _plural(phrase: str) -> str:
    plurals = (
        ("a whole number", "whole numbers"),
        ("a number", "numbers"),
        ("a mapping", "mappings"),
        ("a date", "dates"),
    )
    for single, many in plurals:
        if phrase.startswith(single):
            return many + phrase[len(single) :]
    return phrase


def _and(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words) or "no other keys"
    return ", ".join(words[:-1]) + " and " + words[-1]
