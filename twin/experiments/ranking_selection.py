"""Kim and Nelson's fully sequential ranking-and-selection procedure (KN), on common random numbers.

Given k systems whose replication r shares its random numbers, KN selects the one with the
largest mean so that, with probability at least ``confidence``, it is within the indifference
zone ``delta`` of the true best (Kim and Nelson 2001, "A fully sequential procedure for
indifference-zone selection in simulation", ACM TOMACS 11(3):251-273). It works on paired
differences, so common random numbers shrink the variances it needs and end it sooner.

With a first stage of n0 replications of every system and alpha = 1 - confidence:

- eta = ((2 alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1) / 2 and h^2 = 2 eta (n0 - 1);
- S^2_il is the sample variance of the first-stage differences X_i - X_l;
- after r replications system i is eliminated when its mean falls below system l's by more
  than W_il(r) = max(0, delta / (2 r) * (h^2 S^2_il / delta^2 - r));
- each survivor gets one more replication, until one survives or r passes
  max N_il = floor(h^2 S^2_il / delta^2), when the largest mean among the survivors is chosen.

:class:`KnProcedure` holds the state; the caller feeds it replications (it draws nothing), so
the replications can come from any executor and the result store.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


def kn_eta(k: int, n0: int, confidence: float) -> float:
    """KN's eta for ``k`` systems, a first stage of ``n0`` replications and ``confidence``."""
    if k < 2:
        return 0.0
    alpha = 1.0 - confidence
    return 0.5 * ((2.0 * alpha / (k - 1)) ** (-2.0 / (n0 - 1)) - 1.0)


@dataclass
class KnProcedure:
    """The state of one KN selection (larger is better; negate a KPI to minimise it).

    Parameters
    ----------
    first_stage : sequence of array-like
        One array per system of its first ``n0`` replications (the same replication numbers for
        every system, so they share random numbers), ``n0 >= 2``.
    delta : float
        The indifference zone, in the systems' unit.
    confidence : float
        The probability of correct selection, e.g. 0.95.
    """

    first_stage: Sequence[Sequence[float]]
    delta: float
    confidence: float = 0.95
    data: list[list[float]] = field(init=False)
    alive: list[int] = field(init=False)
    h2: float = field(init=False)
    s2: np.ndarray = field(init=False)
    n_max: int = field(init=False)

    def __post_init__(self) -> None:
        x = np.asarray(self.first_stage, dtype=float)
        k, n0 = x.shape
        if n0 < 2:
            raise ValueError("KN needs a first stage of at least 2 replications per system")
        if not self.delta > 0:
            raise ValueError("KN needs a positive indifference zone delta")
        self.data = [list(row) for row in x]
        self.alive = list(range(k))
        self.h2 = 2.0 * kn_eta(k, n0, self.confidence) * (n0 - 1)
        diffs = x[:, None, :] - x[None, :, :]
        self.s2 = diffs.var(axis=2, ddof=1)
        self.n_max = math.floor(self.h2 * self.s2.max() / self.delta**2) if k > 1 else 0
        self._screen()

    @property
    def replications(self) -> int:
        """r: the replications every surviving system has."""
        return min(len(self.data[i]) for i in self.alive)

    @property
    def done(self) -> bool:
        """One survivor left, or r past the largest N_il."""
        return len(self.alive) == 1 or self.replications > self.n_max

    def add(self, values: dict[int, float]) -> None:
        """Add the next replication of each surviving system (system index -> value)."""
        for i in self.alive:
            self.data[i].append(float(values[i]))
        self._screen()

    def _screen(self) -> None:
        r = self.replications
        means = {i: float(np.mean(self.data[i][:r])) for i in self.alive}
        keep = []
        for i in self.alive:
            survives = True
            for j in self.alive:
                if j == i:
                    continue
                w = max(0.0, self.delta / (2 * r) * (self.h2 * self.s2[i, j] / self.delta**2 - r))
                if means[i] < means[j] - w:
                    survives = False
                    break
            if survives:
                keep.append(i)
        self.alive = keep

    def selected(self) -> int:
        """The chosen system: the one survivor, or the largest mean among the survivors (the
        first of equal means)."""
        r = self.replications
        return max(self.alive, key=lambda i: (float(np.mean(self.data[i][:r])), -i))
