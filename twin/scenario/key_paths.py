"""Key paths: positions in a scenario mapping, and the short forms messages quote them in.

A key path is the tuple of mapping keys and list indices from the top of a YAML document; messages
print it dotted (``segments.retail.arrivals.rate_per_day``). Shared by the YAML source, the
``--set`` overrides and the validation messages, so all three print paths and values alike.
"""

import re
from collections.abc import Sequence
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
