"""``--set key.path=value`` overrides: parsed, and applied to a scenario mapping.

Each override's value is YAML; the key path it sets (and everything below) is recorded in the
:class:`~twin.scenario.yaml_source.SourceMap` as coming from ``--set key.path=value``, so a message
about it names the override instead of a file line. :func:`apply_values` is the same for values
that come already parsed (a workbook's rows, ``twin.scenario.workbook_overrides``); both set each
value with :func:`twin.scenario.key_setting.assign`.
"""

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from twin.errors import InputError
from twin.scenario.key_paths import Entry, split_key_path
from twin.scenario.key_setting import assign
from twin.scenario.yaml_source import Origin, SourceMap, YamlLoader, resolve_paths


def apply_overrides(
    data: Mapping[str, Any],
    sources: SourceMap,
    overrides: Sequence[str],
    cwd: Path | None = None,
) -> dict[str, Any]:
    """Apply ``key.path=value`` overrides, in order.

    Parameters
    ----------
    data : Mapping
        The scenario mapping; it is not modified.
    sources : SourceMap
        Updated in place: each overridden path (and everything below it) now comes from
        ``Origin("--set key.path=value", None)``.
    overrides : sequence of str
        ``key.path=value`` strings. The value is parsed as YAML (``3`` is an int, ``0.5`` a
        float, ``[1, 2]`` a list, ``{a: 1}`` a mapping, ``true`` a bool, ``null`` None). A path
        part that is a whole number indexes a list when the value there is a list; a bracketed
        name picks a list entry by its ``name``, ``from`` date, ``date`` or ``sku``
        (``promotions[spring-tools].discount=0.2``) without copying the rest. Missing or null
        intermediate mappings are created; validation then rejects keys the model does not know.
    cwd : pathlib.Path, optional
        Folder against which relative file paths given by ``--set`` are resolved; defaults to the
        current working directory.

    Returns
    -------
    dict
        A new mapping with the overrides applied.

    Raises
    ------
    InputError
        An override has no ``=``, an empty key part or an empty or invalid value, goes through a
        scalar, indexes a list out of range or with something other than a whole number, or
        names a list entry that is not there.
    """
    folder = (cwd if cwd is not None else Path.cwd()).absolute()
    values = []
    for override in overrides:
        label = f"--set {override}"
        parts, value = _parse_override(override, label)
        values.append((label, parts, value))
    return apply_values(data, sources, values, folder)


def apply_values(
    data: Mapping[str, Any],
    sources: SourceMap,
    values: Sequence[tuple[str, list[str | Entry], Any]],
    folder: Path,
) -> dict[str, Any]:
    """Set each ``(label, key path parts, value)`` in order, in a copy of `data`.

    Each set path (and everything below it) now comes from ``Origin(label)`` in `sources`;
    relative paths under file keys are taken from `folder`.
    """
    result = copy.deepcopy(dict(data))
    for label, parts, value in values:
        path = assign(result, parts, value, label, lambda key, v: resolve_paths(v, folder, key))
        sources.discard(path)
        sources.set(path, Origin(label))
    return result


def _parse_override(override: str, label: str) -> tuple[list[str | Entry], Any]:
    key, equals, text = override.partition("=")
    if not equals:
        raise InputError(f"{label}: expected key.path=value, e.g. --set horizon_days=365")
    try:
        parts = split_key_path(key)
    except ValueError as exc:
        raise InputError(
            f"{label}: the key path '{key.strip()}' {exc}; write dotted keys such as "
            "segments.retail.arrivals.rate_per_day, and promotions[spring-tools].discount for "
            "an entry of a list by its name"
        ) from None
    if not text.strip():
        raise InputError(f"{label}: no value after '='; give a value, or null to clear the key")
    try:
        value = yaml.load(text, Loader=YamlLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{label}: the value is not valid YAML ({problem})") from exc
    return parts, value
