"""Named, independent random streams for one replication, all derived from one seed.

Every source of randomness in the model asks :class:`Streams` for its own generator by *purpose*
(a key of :data:`STREAM_IDS`) and, where there are several of a kind, by *name* (a dotted scope
such as ``"customers.retail"``)::

    streams = Streams(seed=2026, replication=3)
    arrivals = Sampler(scenario.interarrival_days, streams.generator("arrivals", "retail"))
    t = arrivals.next()

The generator for (seed, replication, purpose, name) is ``Generator(PCG64(SeedSequence(seed,
spawn_key=(replication, STREAM_IDS[purpose], name_key(name)))))``. It depends on nothing else:
not on which other streams exist, the order they are asked for, the process or the Python
version. So any replication can run alone on any worker, and two policy variants of a scenario
see the same demand (common random numbers).

The samplers hand out one value at a time but draw from the generator in blocks, which is much
faster than one numpy call per value. Every distribution in :mod:`twin.distributions` draws its
values one after another, so the sequence a sampler returns does not depend on its block size.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import numpy as np

from twin.distributions import Constant, Distribution, normalised_cumulative

__all__ = ["STREAM_IDS", "ChoiceSampler", "Sampler", "Streams", "UniformSampler", "name_key"]

#: Purpose -> stream id. APPEND ONLY: changing or reusing an id changes every result drawn from it.
STREAM_IDS: dict[str, int] = {
    "arrivals": 1,
    "lines_per_order": 2,
    "sku_choice": 3,
    "quantity": 4,
    "customer_choice": 5,
    "transit": 6,
    "payment_delay": 7,
    "payment_default": 8,
    "lead_time": 9,
    "desk_service": 10,
    "pick_service": 11,
    "pick_service_line": 12,
    "replay": 13,
    "handling": 14,
    # staffing
    "ship_service": 15,
    # promotions
    "promotion_rounding": 16,
    # credit
    "risk_class": 17,
    "credit_review": 18,
    "credit_review_outcome": 19,
    # after-sales
    "failures": 20,
    "failure_age": 21,
    "travel": 22,
    "repair": 23,
    "spare_parts": 24,
    # customer loop and pipeline
    "repeat": 25,
    "churn": 26,
    "leads": 27,
    "sales_work": 28,
    "sales_cycle": 29,
    "win": 30,
    # customer-level demand (segments' customer_base)
    "customer_state": 31,
    "customer_rates": 32,
    "new_customers": 33,
    "parameters": 34,
    "customer_orders": 35,
    # arrival rates: the day-to-day multiplier (the fitted parameters draw from "parameters")
    "rate_noise": 36,
    # each order line's price, drawn from its SKU's historical prices (prices_file)
    "line_prices": 40,
    # each order line's units, drawn from its SKU's historical units per line (prices_file)
    "line_units": 41,
    # runs from an open state (initial_state): remaining time of the items open at day 0
    "open_po_arrival": 50,
    "open_payment_delay": 51,
    "open_payment_default": 52,
    # fitted calendars: the factor of each month the history did not show (parameter uncertainty)
    "season": 60,
    # a customer base's new-customer rate, drawn per replication (parameter uncertainty)
    "new_customer_parameters": 61,
    # runs from an open state: the open CRM opportunities (per segment) and after-sales tickets
    "open_sales_work": 70,
    "open_sales_cycle": 71,
    "open_win": 72,
    "open_ticket_travel": 73,
    "open_ticket_repair": 74,
    # the part of every segment's log-rate draw that all segments share (parameter uncertainty)
    "shared_parameters": 75,
    # the slope changes a fitted trend may take after the history (parameter uncertainty)
    "trend_changes": 76,
    # spare ids for the levers (assign a name here before use)
}

DEFAULT_BLOCK = 1024
DEFAULT_CHOICE_BLOCK = 4096
#: The first refill of a sampler; each refill doubles it up to the sampler's ``block``, so a
#: stream drawn a few times (one SKU's lead time among 20,000) holds a few values, not a block.
FIRST_BLOCK = 8


def name_key(name: str) -> int:
    """Return a stable 32-bit key for a stream name.

    Parameters
    ----------
    name
        The stream's name, e.g. a dotted scope; ``""`` for a purpose with a single stream.

    Returns
    -------
    int
        The first 4 bytes (big-endian) of the 8-byte BLAKE2b digest of the UTF-8 name. Unlike the
        builtin ``hash``, this is the same in every process and Python version.
    """
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest[:4], "big")


def _check_non_negative_int(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{what} must be an integer >= 0, got {value!r}")
    return int(value)


def _check_block(block: int) -> int:
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or block < 1:
        raise ValueError(f"block must be an integer >= 1, got {block!r}")
    return int(block)


class Streams:
    """The random generators of one replication, one per (purpose, name).

    Parameters
    ----------
    seed
        The scenario's root seed (integer >= 0).
    replication
        The replication number (integer >= 0); each replication gets independent streams.
    """

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = _check_non_negative_int(seed, "seed")
        self.replication = _check_non_negative_int(replication, "replication")
        self._generators: dict[tuple[str, str], np.random.Generator] = {}

    def __repr__(self) -> str:
        return f"Streams(seed={self.seed}, replication={self.replication})"

    def generator(self, purpose: str, name: str = "") -> np.random.Generator:
        """Return the generator for ``purpose`` and ``name``, the same object on every call.

        Parameters
        ----------
        purpose
            A key of :data:`STREAM_IDS`.
        name
            Distinguishes several streams of one purpose (e.g. one per customer segment).

        Raises
        ------
        KeyError
            If ``purpose`` is not registered in :data:`STREAM_IDS`.
        """
        key = (purpose, name)
        generator = self._generators.get(key)
        if generator is None:
            generator = self._generators[key] = self.fresh(purpose, name)
        return generator

    def fresh(self, purpose: str, name: str = "") -> np.random.Generator:
        """A new generator at the start of the stream for ``purpose`` and ``name``: every call
        draws the same values, for a draw that several parts of the model must see alike (the
        term every segment's rate shares). Raises ``KeyError`` as :meth:`generator` does."""
        try:
            stream_id = STREAM_IDS[purpose]
        except KeyError:
            raise KeyError(
                f"unknown stream purpose {purpose!r}; register it in twin.streams.STREAM_IDS "
                f"(known: {', '.join(STREAM_IDS)})"
            ) from None
        sequence = np.random.SeedSequence(
            self.seed, spawn_key=(self.replication, stream_id, name_key(name))
        )
        return np.random.Generator(np.random.PCG64(sequence))


class Sampler:
    """Draws one value at a time from a distribution, in blocks for speed.

    Values come from ``dist.sample(rng, size)``; since every distribution draws its values one
    after another, the sequence does not depend on the sizes. The first refill draws
    :data:`FIRST_BLOCK` values and each next one twice the last, up to ``block``. A constant
    distribution never touches ``rng``.

    Parameters
    ----------
    dist
        Any distribution of :mod:`twin.distributions`.
    rng
        The generator this sampler owns; sharing it with other consumers interleaves their draws.
    block
        Largest number of values drawn per refill (>= 1).
    """

    __slots__ = ("_block", "_buffer", "_constant", "_dist", "_next_block", "_rng")

    def __init__(
        self, dist: Distribution, rng: np.random.Generator, block: int = DEFAULT_BLOCK
    ) -> None:
        self._dist = dist
        self._rng = rng
        self._block = _check_block(block)
        self._next_block = min(FIRST_BLOCK, self._block)
        self._constant = isinstance(dist, Constant)
        # Reversed so that list.pop() from the end, the cheapest list operation, yields in order.
        self._buffer: list[float] = []

    @property
    def dist(self) -> Distribution:
        return self._dist

    def _refill(self) -> None:
        size = self._next_block
        self._next_block = min(2 * size, self._block)
        if self._constant:
            self._buffer.extend([float(self._dist.value)] * size)
        else:
            values = self._dist.sample(self._rng, size).tolist()
            values.reverse()
            self._buffer.extend(values)

    def next(self) -> float:
        """Return the next value."""
        buffer = self._buffer
        if not buffer:
            self._refill()
        return buffer.pop()

    def take(self, n: int) -> list[float]:
        """Return the next ``n`` values, the same as ``n`` calls of :meth:`next`."""
        buffer = self._buffer
        if type(n) is not int or not 0 < n <= len(buffer):  # else valid: no check to call
            n = _check_non_negative_int(n, "n")
        if 0 < n <= len(buffer):  # the usual case: the buffer holds them all
            out = buffer[-n:]
            del buffer[-n:]
            out.reverse()
            return out
        out: list[float] = []
        while len(out) < n:
            if not buffer:
                self._refill()
            m = min(n - len(out), len(buffer))
            chunk = buffer[-m:]
            chunk.reverse()
            out.extend(chunk)
            del buffer[-m:]
        return out


class ChoiceSampler:
    """Draws indices 0..k-1 with given probabilities, in blocks.

    One uniform per draw, located in the cumulative probabilities, so the sequence does not depend
    on the refill sizes (growing from :data:`FIRST_BLOCK` to ``block``); an index with
    probability 0 is never drawn.

    Parameters
    ----------
    probabilities
        P(index i), each >= 0 and finite, summing to 1 within 1e-9.
    rng
        The generator this sampler owns.
    block
        Largest number of indices drawn per refill (>= 1).
    """

    __slots__ = ("_block", "_buffer", "_cumulative", "_next_block", "_rng")

    def __init__(
        self,
        probabilities: Sequence[float],
        rng: np.random.Generator,
        block: int = DEFAULT_CHOICE_BLOCK,
    ) -> None:
        p = np.asarray(probabilities, dtype=np.float64)
        if p.ndim != 1 or p.size == 0:
            raise ValueError("probabilities must be a non-empty sequence of numbers")
        if not np.all(np.isfinite(p)) or np.any(p < 0):
            raise ValueError(f"probabilities must be finite and >= 0, got {p.tolist()}")
        total = math.fsum(p.tolist())
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"probabilities must sum to 1, got {total:.12g}")
        self._cumulative = normalised_cumulative(p)
        self._rng = rng
        self._block = _check_block(block)
        self._next_block = min(FIRST_BLOCK, self._block)
        self._buffer: list[int] = []

    def next(self) -> int:
        """Return the next index."""
        buffer = self._buffer
        if not buffer:
            size = self._next_block
            self._next_block = min(2 * size, self._block)
            u = self._rng.random(size)
            indices = np.searchsorted(self._cumulative, u, side="right").tolist()
            indices.reverse()
            buffer.extend(indices)
        return buffer.pop()


class UniformSampler:
    """Draws floats uniform on [0, 1), in blocks (for Bernoulli trials and the like).

    Parameters
    ----------
    rng
        The generator this sampler owns.
    block
        Largest number of values drawn per refill (>= 1; the refills grow from
        :data:`FIRST_BLOCK` to it, which leaves the sequence as it is).
    """

    __slots__ = ("_block", "_buffer", "_next_block", "_rng")

    def __init__(self, rng: np.random.Generator, block: int = DEFAULT_BLOCK) -> None:
        self._rng = rng
        self._block = _check_block(block)
        self._next_block = min(FIRST_BLOCK, self._block)
        self._buffer: list[float] = []

    def next(self) -> float:
        """Return the next value in [0, 1)."""
        buffer = self._buffer
        if not buffer:
            size = self._next_block
            self._next_block = min(2 * size, self._block)
            values = self._rng.random(size).tolist()
            values.reverse()
            buffer.extend(values)
        return buffer.pop()


class LazySamplers:
    """One :class:`Sampler` per key of a purpose, each made when it is first asked for.

    ``samplers[i]`` draws from ``dists[i]`` on ``streams.generator(purpose, names[i])``, the same
    generator whenever it is made, so the draws are those of a list of samplers made up front.
    Making a generator costs tens of microseconds and a little memory: a catalogue of 20,000
    SKUs of which a few thousand are ever bought should not pay for all of them.
    """

    __slots__ = ("_dists", "_names", "_purpose", "_samplers", "_streams")

    def __init__(
        self, streams: Streams, purpose: str, dists: Sequence[Distribution], names: Sequence[str]
    ) -> None:
        if len(dists) != len(names):
            raise ValueError(f"{len(dists)} distributions for {len(names)} stream names")
        if purpose not in STREAM_IDS:
            raise KeyError(f"unknown stream purpose {purpose!r}")
        self._streams = streams
        self._purpose = purpose
        self._dists = list(dists)
        self._names = list(names)
        self._samplers: list[Sampler | None] = [None] * len(names)

    def __len__(self) -> int:
        return len(self._samplers)

    def __getitem__(self, i: int) -> Sampler:
        sampler = self._samplers[i]
        if sampler is None:
            rng = self._streams.generator(self._purpose, self._names[i])
            sampler = self._samplers[i] = Sampler(self._dists[i], rng)
        return sampler

    def made(self) -> int:
        """How many samplers have been made so far."""
        return sum(s is not None for s in self._samplers)
