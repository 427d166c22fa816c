"""Setting one value at a key path inside a scenario mapping, as ``--set`` and workbooks do.

:func:`assign` walks a parsed key path (:func:`twin.scenario.key_paths.split_key_path`) down a
mapping, creating missing mappings, picking list items by position (``.0``) or by name
(``[spring-tools]``, :func:`twin.scenario.key_paths.find_entry`), and sets the value there. It
knows neither files nor the scenario schema: the caller records where the value came from, and
validation judges it.
"""

from collections.abc import Callable
from typing import Any

from twin.errors import InputError
from twin.scenario.key_paths import INDEX, Entry, KeyPath, dotted, find_entry, short_repr


def assign(
    root: dict[Any, Any],
    parts: list[str | Entry],
    value: Any,
    label: str,
    prepare: Callable[[Any, Any], Any] = lambda key, value: value,
) -> KeyPath:
    """Set `value` (through ``prepare(key, value)``) at `parts` inside `root`, in place.

    Returns the key path of what the caller now owns: the value's own path or, when mappings had
    to be created, the topmost one created, so that an unknown key among them is reported against
    the caller (`label` starts every message) rather than against the file above it.
    """
    node: Any = root
    path: list[str | int] = []
    owned: int | None = None
    for depth, part in enumerate(parts):
        key = child_key(node, part, path, label)
        child = node.get(key) if isinstance(node, dict) else node[key]
        path.append(key)
        if depth == len(parts) - 1:
            node[key] = prepare(key, value)
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


def child_key(node: Any, part: str | Entry, path: list[str | int], label: str) -> str | int:
    """The key of `part` in `node`, a mapping or a list (the caller has checked it is one)."""
    if isinstance(node, list):
        if isinstance(part, Entry):
            try:
                return find_entry(node, part)
            except ValueError as exc:
                raise InputError(f"{label}: in the list '{dotted(path)}', {exc}") from None
        return list_index(node, part, path, label)
    if isinstance(part, Entry):
        raise InputError(
            f"{label}: '{dotted(path)}' is a mapping, not a list, so {part} picks nothing; "
            "brackets name an entry of a list, e.g. promotions[spring-tools]"
        )
    return dict_key(node, part)


def dict_key(node: dict[Any, Any], part: str) -> str | int:
    """`part` as a key of `node`; YAML reads a key such as ``2024:`` as an int, so
    ``plan.2024`` reaches it."""
    if part not in node and INDEX.fullmatch(part) and int(part) in node:
        return int(part)
    return part


def list_index(node: list[Any], part: str, path: list[str | int], label: str) -> int:
    """`part`, a whole number, as an index of the list `node` at `path`."""
    if not INDEX.fullmatch(part):
        raise InputError(
            f"{label}: '{dotted(path)}' is a list, so the next part must be an item index "
            f"(0, 1, ...), not '{part}' (or an entry's name in brackets: promotions[spring])"
        )
    index = int(part)
    if index >= len(node):
        valid = "it is empty" if not node else f"valid indices are 0 to {len(node) - 1}"
        raise InputError(
            f"{label}: index {index} is out of range for '{dotted(path)}', a list of "
            f"{len(node)} item(s); {valid}"
        )
    return index
