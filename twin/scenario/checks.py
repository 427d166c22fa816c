"""The ``checks:`` section: KPI targets that ``twin check`` turns into a CI gate.

Placeholder type until the gate lands: a check is a string such as ``"fill_rate >= 0.97"`` or a
mapping with richer options.
"""

from __future__ import annotations

from typing import Any

Check = str | dict[str, Any]
