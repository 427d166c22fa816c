"""Validation of a plain mapping against a pydantic model, with one message for all its errors.

:func:`validate` turns pydantic's errors into one :class:`~twin.errors.InputError`: a headline
naming the file, then a line per problem with the file and line to edit (from the
:class:`~twin.scenario.yaml_source.SourceMap`), the dotted key path as written in the file, and
what was expected. Any pydantic v2 model works; nothing here knows the scenario schema.
"""

import re
import types
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import pydantic
from pydantic import BaseModel

from twin.errors import InputError
from twin.scenario.key_paths import INDEX, KeyPath, dotted, short_repr
from twin.scenario.yaml_source import Origin, SourceMap

M = TypeVar("M", bound=BaseModel)

_MAX_ERRORS = 10
# A validator of a mapping may start its message with the dotted path, relative to that mapping, of
# the key at fault ("products.3.supplier: ..."); the report then points at that key's line.
_KEY_PREFIX = re.compile(r"([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*): (.+)", re.DOTALL)


def validate(
    model_cls: type[M],
    data: Mapping[str, Any],
    sources: SourceMap,
    *,
    context: dict[str, Any] | None = None,
) -> M:
    """Validate `data` against `model_cls`, reporting errors by file, line and key path.

    Parameters
    ----------
    model_cls : type of pydantic.BaseModel
        The model to build.
    data : Mapping
        The mapping to validate, e.g. from :func:`load_yaml` and :func:`apply_overrides`.
    sources : SourceMap
        Origins of the keys in `data`.
    context : dict, optional
        Passed to ``model_validate`` for validators that need it.

    Returns
    -------
    pydantic.BaseModel
        The validated model instance.

    Raises
    ------
    InputError
        A headline naming the file, then one line per problem (at most 10, then "... and N more"):
        ``<source>, line <n>: <dotted.key.path>: <what is expected> (got <value>)``.
    """
    try:
        return model_cls.model_validate(data, context=context)
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False)
        raise InputError(_report(model_cls, data, sources, errors)) from exc


def _report(
    model_cls: type[BaseModel],
    data: Mapping[str, Any],
    sources: SourceMap,
    errors: Sequence[Mapping[str, Any]],
) -> str:
    root = sources.lookup(())
    count = len(errors)
    kind = getattr(model_cls, "FILE_KIND", "scenario")  # e.g. "sweep file"
    lines = [
        f"Invalid {kind} {root.source if root else '<input>'} "
        f"({count} error{'' if count == 1 else 's'}):"
    ]
    lines += ["  " + _describe(model_cls, data, sources, e) for e in errors[:_MAX_ERRORS]]
    if count > _MAX_ERRORS:
        lines.append(f"  ... and {count - _MAX_ERRORS} more")
    return "\n".join(lines)


def _describe(
    model_cls: type[BaseModel],
    data: Mapping[str, Any],
    sources: SourceMap,
    error: Mapping[str, Any],
) -> str:
    """Render one pydantic error as ``<origin>: <key path>: <expected> (got <value>)``."""
    loc = tuple(error["loc"])
    kind = error["type"]
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "value_error" and isinstance(error.get("input"), dict):
        loc, message = _key_in_message(data, loc, message)
    path = _data_path(data, loc, keep_last=kind == "missing")
    origin = sources.lookup(path) or Origin("<input>")
    if kind == "missing":
        expected = "missing required key"
    elif kind == "extra_forbidden":
        expected = f"unknown key '{loc[-1]}'"
        allowed = _allowed_keys(model_cls, loc[:-1])
        if allowed:
            expected += f"; expected one of: {', '.join(allowed)}"
    else:
        expected = message
    # The input of these errors is the enclosing mapping or the unknown key's value: noise here.
    hide = kind in {"missing", "extra_forbidden"} or (
        kind in {"value_error", "assertion_error"} and isinstance(error.get("input"), dict)
    )
    got = "" if hide else f" (got {short_repr(error.get('input'))})"
    key_path = f"{dotted(path)}: " if path else ""
    return f"{origin}: {key_path}{expected}{got}"


def _key_in_message(data: Mapping[str, Any], loc: KeyPath, message: str) -> tuple[KeyPath, str]:
    """Move a leading ``key.path: `` of a mapping validator's message into the loc, when that key
    exists in `data` below `loc`; otherwise keep both as they are."""
    match = _KEY_PREFIX.fullmatch(message)
    if match is None:
        return loc, message
    node: Any = data
    for part in _data_path(data, loc, keep_last=False):
        node = node[part]
    found: list[str | int] = []
    for part in match.group(1).split("."):
        if isinstance(node, dict) and part in node:
            key: str | int = part
        elif isinstance(node, list) and INDEX.fullmatch(part) and int(part) < len(node):
            key = int(part)
        else:
            return loc, message
        found.append(key)
        node = node[key]
    return (*_data_path(data, loc, keep_last=False), *found), match.group(2)


def _data_path(data: Mapping[str, Any], loc: KeyPath, *, keep_last: bool) -> KeyPath:
    """Keep the parts of a pydantic loc that exist in `data`.

    Pydantic adds parts that are not keys in the file: the tag of a discriminated union, the member
    type of a plain union, ``[key]`` for dict keys. Dropping them makes the printed path match the
    file. A missing key does not exist either, but it is the point of the message, so it stays.
    """
    node: Any = data
    path: list[str | int] = []
    for position, part in enumerate(loc):
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
            path.append(part)
        elif keep_last and position == len(loc) - 1:
            path.append(part)
    return tuple(path)


def _allowed_keys(model_cls: type[BaseModel], loc: KeyPath) -> list[str] | None:
    """Field names of the model found by following `loc` through the types, or None if unknown."""
    tp: Any = model_cls
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return None
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [field.alias or name for name, field in tp.model_fields.items()]
    return None


def _step(tp: Any, part: str | int) -> Any:
    """The type found one loc part below `tp`, or None when it cannot be told."""
    tp = _unwrap(tp)
    origin = get_origin(tp)
    args = get_args(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, field in tp.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
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
        for member in (_unwrap(arg) for arg in args):
            is_model = isinstance(member, type) and issubclass(member, BaseModel)
            if is_model and (part == member.__name__ or part in _literal_values(member)):
                return member
    return None


def _unwrap(tp: Any) -> Any:
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


def _literal_values(model: type[BaseModel]) -> Iterable[Any]:
    for field in model.model_fields.values():
        if get_origin(field.annotation) is Literal:
            yield from get_args(field.annotation)
