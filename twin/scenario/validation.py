"""Validation of a plain mapping against a pydantic model, with one message for all its errors.

:func:`validate` turns pydantic's errors into one :class:`~twin.errors.InputError`: a headline
naming the file, then a line per problem with the file and line to edit (from the
:class:`~twin.scenario.yaml_source.SourceMap`), the dotted key path as written in the file, and
what was expected. Any pydantic v2 model works; nothing here knows the scenario schema.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel

from twin.errors import InputError
from twin.scenario.key_paths import INDEX, KeyPath, dotted, short_repr
from twin.scenario.planner_words import (
    distribution_at,
    distribution_takes,
    expected,
    place,
    unwrap,
)
from twin.scenario.yaml_source import Origin, SourceMap, is_path_key

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
        errors = _one_per_distribution(model_cls, exc.errors(include_url=False))
        raise InputError(_report(model_cls, data, sources, errors)) from exc
    except InputError as exc:  # a file named by a key (products_file) could not be read
        raise InputError(_at_file_key(exc.message, data, sources)) from exc


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
    planner = expected(model_cls, loc, error)
    if kind == "distribution_keys":
        expected_text = error["msg"]
    elif kind == "extra_forbidden":
        expected_text = f"unknown key '{loc[-1]}'"
        allowed = _allowed_keys(model_cls, loc[:-1])
        if allowed:
            expected_text += f"; expected one of: {', '.join(allowed)}"
    elif kind == "value_error" and "not both" in message:
        expected_text = message + _how_to_clear(message, data, sources, path)
    else:
        expected_text = planner or ("missing required key" if kind == "missing" else message)
    # The input of these errors is the enclosing mapping or the unknown key's value: noise here.
    hide = kind in {"missing", "extra_forbidden", "distribution_keys"} or (
        kind in {"value_error", "assertion_error"} and isinstance(error.get("input"), dict)
    )
    got = "" if hide else f" (got {short_repr(error.get('input'))})"
    key_path = f"{dotted(path)}: " if path else ""
    return f"{origin}: {key_path}{expected_text}{got}"


def _one_per_distribution(
    model_cls: type[BaseModel], errors: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The missing and unknown keys of one distribution (``{dist: gamma, mean: 5}``) as one
    error saying which keys that distribution takes, at the distribution's own key."""
    out: list[Mapping[str, Any]] = []
    seen: set[tuple] = set()
    for error in errors:
        loc = tuple(error["loc"])
        model = (
            distribution_at(model_cls, loc)
            if error["type"] in {"missing", "extra_forbidden"}
            else None
        )
        if model is None:
            out.append(error)
            continue
        at = loc[:-2]  # the distribution's key: the loc without its tag and parameter
        if at in seen:
            continue
        seen.add(at)
        wrong = [
            str(e["loc"][-1])
            for e in errors
            if tuple(e["loc"][:-1]) == loc[:-1] and e["type"] == "extra_forbidden"
        ]
        text = distribution_takes(model)
        if wrong:
            text += f", not {', '.join(repr(w) for w in wrong)}"
        out.append({"type": "distribution_keys", "loc": at, "msg": text, "input": None})
    return out


def _how_to_clear(message: str, data: Mapping[str, Any], sources: SourceMap, path: KeyPath) -> str:
    """For "give X or Y, not both": where the other key is set, and how to clear it when it comes
    from another file (``products: null``), so the key the message is reported at can be used."""
    root = sources.lookup(())
    here = root.source if root else "your file"
    parent: KeyPath = path[:-1] if path and path[-1] in re.findall(r"'([^']+)'", message) else path
    node: Any = data
    for part in parent:
        node = node[part] if isinstance(node, (dict, list)) else None
    if not isinstance(node, dict):
        return ""
    named = re.findall(r"'([A-Za-z_][A-Za-z0-9_]*)'", message)
    keys = [k for k in dict.fromkeys(named) if k in node]
    if len(keys) < 2:
        return ""
    # the key the message is reported at is the one being used; the others are to be cleared
    used = path[-1] if path and path[-1] in keys else keys[-1]
    used_origin = sources.lookup((*parent, used))
    hints = []
    for key in keys:
        if key == used:
            continue
        name = dotted((*parent, key))
        origin = sources.lookup((*parent, key))
        if origin is None or used_origin is None or origin.source == used_origin.source:
            hints.append(f"remove '{key}' or '{used}'")
        elif origin.source.startswith("--set"):
            hints.append(f"'{key}' is set by {origin.source}: drop it to use '{used}'")
        else:
            hints.append(
                f"'{key}' is set in {origin}: to use '{used}' instead, clear it with "
                f"'{key}: null' in {here} (or --set {name}=null)"
            )
    return "; " + "; ".join(hints)


def _at_file_key(message: str, data: Mapping[str, Any], sources: SourceMap) -> str:
    """Prefix a file-reading error with the file, line and key that named the file."""
    for path, value in _path_keys(data, ()):
        if isinstance(value, str) and value and value in message:
            origin = sources.lookup(path) or Origin("<input>")
            if message.startswith(f"{path[-1]} "):  # it names the key already
                return f"{origin}: {message}"
            return f"{origin}: {dotted(path)}: {message}"
    return message


def _path_keys(node: Any, path: KeyPath) -> list[tuple[KeyPath, Any]]:
    """Every (key path, value) of a file-path key (``products_file``, ``file``) below ``node``."""
    found: list[tuple[KeyPath, Any]] = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        if is_path_key(key):
            found.append(((*path, key), value))
        found += _path_keys(value, (*path, key))
    return found


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
    where = place(model_cls, loc)
    tp = None if where is None else unwrap(where.annotation)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [field.alias or name for name, field in tp.model_fields.items()]
    return None
