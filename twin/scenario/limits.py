"""Resource limits of a scenario: what twin refuses before it starts a simulation.

Three kinds of input could otherwise run a machine out of memory or time without a word:

- **Files** named by a scenario or a mapping: :mod:`twin.input_files` (a foundation, as the
  empirical distributions read files too) checks them before a byte is read.
- **The run's length**: ``run.horizon_days`` at most :data:`MAX_HORIZON_DAYS` (a century: every
  day must have a calendar date) and ``run.replications`` at most :data:`MAX_REPLICATIONS`.
- **Memory and time**, estimated from the scenario before simulating: see
  :mod:`twin.scenario.footprint`, which reads :func:`available_memory_bytes` from here.
"""

from __future__ import annotations

import os

#: Longest horizon (days): a hundred years, so every simulated day has a calendar date.
MAX_HORIZON_DAYS = 36_525.0

#: Most replications of one scenario or point.
MAX_REPLICATIONS = 100_000


def available_memory_bytes() -> int | None:
    """Memory available to a new process now (``MemAvailable`` of /proc/meminfo), else the
    free physical pages (``os.sysconf``); None where neither is known."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
