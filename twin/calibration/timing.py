"""Wall-clock and CPU seconds of a calibration's phases, for ``twin calibrate --verbose``.

A :class:`PhaseTimer` is handed down the calibration; each step runs inside
``with timer.phase("payment"):``. A phase entered again (once per segment) adds to its totals, so
the table has one row per kind of work in the order first met. Nothing is printed unless the
command asks: the timer only reads two clocks per phase.

CPU seconds are this process's (``time.process_time``), the measure that counts on a machine
shared with other work; wall seconds are what the user waits.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd

#: The columns of :meth:`PhaseTimer.frame`.
TIMING_COLUMNS = ["phase", "calls", "wall_s", "cpu_s"]


@dataclass
class PhaseTimer:
    """Seconds spent per named phase, accumulated over repeated entries, in first-entry order."""

    totals: dict[str, list[float]] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time the enclosed block as phase ``name`` (added to earlier entries of ``name``)."""
        row = self.totals.setdefault(name, [0.0, 0.0, 0.0])  # listed in order of entry
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            row[0] += 1
            row[1] += time.perf_counter() - wall
            row[2] += time.process_time() - cpu

    def frame(self) -> pd.DataFrame:
        """One row per phase: ``phase``, ``calls``, ``wall_s`` and ``cpu_s`` (seconds)."""
        rows = [(name, int(c), w, p) for name, (c, w, p) in self.totals.items()]
        return pd.DataFrame(rows, columns=TIMING_COLUMNS)

    def table(self, total_wall_s: float | None = None, total_cpu_s: float | None = None) -> str:
        """The phases as a small text table, with a total row.

        Phases may nest (the fits run inside ``fit``); the total is the given one (the whole
        command) or, failing that, the sum of the top-level phases' seconds, those whose name has
        no ``": "`` (a nested phase is named ``"parent: step"`` and shown indented under its
        parent as ``"  step"``).
        """
        frame = self.frame()
        top = frame[~frame["phase"].str.contains(": ", regex=False)]
        wall = float(top["wall_s"].sum()) if total_wall_s is None else total_wall_s
        cpu = float(top["cpu_s"].sum()) if total_cpu_s is None else total_cpu_s
        width = max([len("phase"), len("total"), *(len(name) for name in frame["phase"])])
        lines = [f"{'phase':<{width}}  {'calls':>5}  {'wall s':>8}  {'cpu s':>8}  {'share':>6}"]
        for row in frame.itertuples(index=False):
            share = row.wall_s / wall if wall > 0 else 0.0
            shown = "  " + row.phase.split(": ", 1)[1] if ": " in row.phase else row.phase
            lines.append(
                f"{shown:<{width}}  {row.calls:>5}  {row.wall_s:>8.2f}  {row.cpu_s:>8.2f}  "
                f"{share:>6.1%}"
            )
        lines.append(f"{'total':<{width}}  {'':>5}  {wall:>8.2f}  {cpu:>8.2f}  {1:>6.1%}")
        return "\n".join(lines)
