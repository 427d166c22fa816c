"""A sweep parameter's key path checked against the base scenario: a number there, or a message
saying where the path stops and which keys exist at that point (with close matches).

The validated scenario is searched first, so defaults count and a value's type is its field's
(``9`` in a float field is 9.0); the raw data second, for keys the dump leaves out.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from twin.errors import InputError


def number_at(
    path: str, raw: Mapping[str, Any], dumped: Mapping[str, Any], where: str, base: str
) -> float:
    """The number at ``path`` in the validated scenario (so defaults count, and its type is the
    field's: ``9`` in a float field is 9.0), else in the raw data."""
    found, value = _walk(dumped, path)
    if not found:
        found, value = _walk(raw, path)
    if not found:
        raise InputError(f"{where}: {_missing(path, raw, dumped, base)}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(
            f"{where}: '{path}' holds {_describe(value)} in the base scenario {base}; a sweep "
            "parameter must be a number (for a distribution, name its parameter, e.g. "
            "'...rate_per_day' or '...mean')"
        )
    return value


def _walk(node: Any, path: str) -> tuple[bool, Any]:
    for part in path.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node


def _missing(path: str, raw: Mapping[str, Any], dumped: Mapping[str, Any], base: str) -> str:
    """Say where ``path`` stops existing and which keys exist there."""
    parts = path.split(".")
    node: Any = _merge_views(raw, dumped)
    for depth, part in enumerate(parts):
        here = ".".join(parts[:depth]) or "the top level"
        if isinstance(node, Mapping):
            if part in node:
                node = node[part]
                continue
            keys = sorted(str(k) for k in node)
            close = difflib.get_close_matches(part, keys, n=3)
            hint = f"; did you mean {' or '.join(repr(k) for k in close)}?" if close else ""
            return (
                f"'{path}' is not a key path of the base scenario {base}: {here} has no key "
                f"'{part}'{hint} (keys there: {', '.join(keys)})"
            )
        if isinstance(node, list):
            if part.isdigit() and int(part) < len(node):
                node = node[int(part)]
                continue
            return (
                f"'{path}' is not a key path of the base scenario {base}: {here} is a list of "
                f"{len(node)} item(s), so '{part}' must be an index from 0 to {len(node) - 1}"
            )
        return (
            f"'{path}' is not a key path of the base scenario {base}: {here} holds "
            f"{_describe(node)}, which has no keys"
        )
    return f"'{path}' is not a key path of the base scenario {base}"


def _merge_views(raw: Any, dumped: Any) -> Any:
    """The raw data with the defaults of the validated scenario filled in, for hints."""
    if isinstance(raw, Mapping) and isinstance(dumped, Mapping):
        keys = list(dumped) + [k for k in raw if k not in dumped]
        return {k: _merge_views(raw.get(k), dumped.get(k)) for k in keys}
    return raw if raw is not None else dumped


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return f"the value {text if len(text) <= 40 else text[:37] + '...'}"
