"""``--set key.path=value`` overrides: parsed, and applied to a scenario mapping.

Each override's value is YAML; the key path it sets (and everything below) is recorded in the
:class:`~twin.scenario.yaml_source.SourceMap` as coming from ``--set key.path=value``, so a message
about it names the override instead of a file line. :func:`dict_key` and :func:`list_index` step
one part down a key path; variants (``twin.scenario.variants``) step the same way.
"""

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from twin.errors import InputError
from twin.scenario.key_paths import INDEX, KeyPath, dotted, short_repr
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
        part that is a whole number indexes a list when the value there is a list. Missing or null
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
        scalar, or indexes a list out of range or with something other than a whole number.
    """
    folder = (cwd if cwd is not None else Path.cwd()).absolute()
    result = copy.deepcopy(dict(data))
    for override in overrides:
        label = f"--set {override}"
        parts, value = _parse_override(override, label)
        path = _assign(result, parts, value, label, folder)
        sources.discard(path)
        sources.set(path, Origin(label))
    return result


def _parse_override(override: str, label: str) -> tuple[list[str], Any]:
    key, equals, text = override.partition("=")
    if not equals:
        raise InputError(f"{label}: expected key.path=value, e.g. --set horizon_days=365")
    parts = [part.strip() for part in key.split(".")]
    if not all(parts):
        raise InputError(
            f"{label}: the key path '{key.strip()}' has an empty part; write dotted keys such as "
            "segments.retail.arrivals.rate_per_day"
        )
    if not text.strip():
        raise InputError(f"{label}: no value after '='; give a value, or null to clear the key")
    try:
        value = yaml.load(text, Loader=YamlLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{label}: the value is not valid YAML ({problem})") from exc
    return parts, value


def _assign(
    root: dict[Any, Any], parts: list[str], value: Any, label: str, folder: Path
) -> KeyPath:
    """Set `value` at `parts` inside `root`.

    Returns the key path of what the override now owns: the value's own path or, when the override
    had to create mappings, the topmost one it created, so that an unknown key among them is
    reported against the override rather than against the file above it.
    """
    node: Any = root
    path: list[str | int] = []
    owned: int | None = None
    for depth, part in enumerate(parts):
        if isinstance(node, dict):
            key: str | int = dict_key(node, part)
            child = node.get(key)
        else:  # a list: the check at the end of each step lets nothing else through
            key = list_index(node, part, path, label)
            child = node[key]
        path.append(key)
        if depth == len(parts) - 1:
            node[key] = resolve_paths(value, folder, key)
            break
        if child is None:
            # Missing, or an empty 'key:' line, which YAML reads as null: start a new mapping.
            child = node[key] = {}
            owned = len(path) if owned is None else owned
        if not isinstance(child, dict | list):
            raise InputError(
                f"{label}: cannot go into '{dotted(path)}' to set '{parts[depth + 1]}': it holds "
                f"the value {short_repr(child)}, not a mapping or list"
            )
        node = child
    return tuple(path if owned is None else path[:owned])


def dict_key(node: dict[Any, Any], part: str) -> str | int:
    # YAML reads a key such as '2024:' as an int; let '--set plan.2024=...' reach it.
    if part not in node and INDEX.fullmatch(part) and int(part) in node:
        return int(part)
    return part


def list_index(node: list[Any], part: str, path: list[str | int], label: str) -> int:
    if not INDEX.fullmatch(part):
        raise InputError(
            f"{label}: '{dotted(path)}' is a list, so the next part must be an item index "
            f"(0, 1, ...), not '{part}'"
        )
    index = int(part)
    if index >= len(node):
        valid = "it is empty" if not node else f"valid indices are 0 to {len(node) - 1}"
        raise InputError(
            f"{label}: index {index} is out of range for '{dotted(path)}', a list of "
            f"{len(node)} item(s); {valid}"
        )
    return index
