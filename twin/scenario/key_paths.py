"""Key paths: positions in a scenario mapping, and the short forms messages quote them in.

A key path is the tuple of mapping keys and list indices from the top of a YAML document; messages
print it dotted (``segments.retail.arrivals.rate_per_day``). Shared by the YAML source, the
``--set`` overrides and the validation messages, so all three print paths and values alike.

Where a planner writes a key path (``--set``, a variant's dotted key, a workbook's key column, a
key of a file that extends a base), a bracketed name picks a list entry by name:
``promotions[spring-tools].discount`` (:func:`split_key_path`, :func:`find_entry`).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

KeyPath = tuple[str | int, ...]
"""A position in a scenario: mapping keys and list indices from the top, e.g.
``("segments", "retail", "weights", 0)``."""

#: A key path part that is a list index: a whole number.
INDEX = re.compile(r"\d+")

_MAX_REPR = 60


def dotted(path: Sequence[str | int]) -> str:
    """``("segments", "retail", 0)`` -> ``"segments.retail.0"``."""
    return ".".join(str(part) for part in path)


def short_repr(value: Any) -> str:
    """The repr of ``value``, cut to 60 characters with ``...``, for quoting in a message."""
    text = repr(value)
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."


#: The keys that name an entry of a list, tried in this order: a promotion by its ``name``, a
#: staff plan step or an overtime period by its ``from`` date, an entry by its ``date`` or ``sku``.
ENTRY_KEYS = ("name", "from", "date", "sku")


@dataclass(frozen=True)
class Entry:
    """A key path part that picks a list entry by name: ``[spring-tools]`` in
    ``promotions[spring-tools].discount``, ``[2027-09-20]`` in ``plan[2027-09-20].headcount``."""

    label: str

    def __str__(self) -> str:
        return f"[{self.label}]"


#: A mapping key that is itself a key path to a named list entry, e.g. ``promotions[spring]``:
#: one name, then one or more bracketed labels.
ENTRY_KEY = re.compile(r"[^.\[\]]+(\[[^\[\]]+\])+")


def split_key_path(text: str) -> list[str | Entry]:
    """``promotions[spring].discount`` -> ``["promotions", Entry("spring"), "discount"]``.

    Parts are separated by dots; a bracketed label right after a part picks a list entry by name
    and may itself contain dots (names may). Raises ValueError, whose message completes "the key
    path ...", on an empty part, an unclosed bracket or a bracket not following a part.
    """
    parts: list[str | Entry] = []
    i, n = 0, len(text)
    while True:
        j = i
        while j < n and text[j] not in ".[]":
            j += 1
        key = text[i:j].strip()
        if not key:
            raise ValueError("has an empty part")
        parts.append(key)
        while j < n and text[j] == "[":
            end = text.find("]", j)
            if end < 0:
                raise ValueError(f"has a '[' at position {j + 1} with no closing ']'")
            label = text[j + 1 : end].strip()
            if not label or "[" in label:
                raise ValueError(f"has '{text[j : end + 1]}', which names no list entry")
            parts.append(Entry(label))
            j = end + 1
        if j == n:
            return parts
        if text[j] != ".":
            raise ValueError(f"has an unexpected '{text[j]}' at position {j + 1}")
        i = j + 1


def entry_label(item: Any) -> str | None:
    """The name a list entry is picked by (its first key of :data:`ENTRY_KEYS`), or None."""
    if isinstance(item, dict):
        for key in ENTRY_KEYS:
            if item.get(key) is not None:
                return str(item[key])
    return None


def find_entry(items: Sequence[Any], entry: Entry) -> int:
    """The index of the one entry of ``items`` named ``entry.label``.

    Raises ValueError, naming the entries there are, when none or several have that name.
    """
    found = [i for i, item in enumerate(items) if entry_label(item) == entry.label]
    if len(found) == 1:
        return found[0]
    names = [label for label in map(entry_label, items) if label is not None]
    if found:
        raise ValueError(f"{len(found)} entries are named '{entry.label}'; names must be unique")
    known = ", ".join(names) if names else "none has a name, from or date key"
    raise ValueError(f"no entry is named '{entry.label}' (the entries: {known})")
