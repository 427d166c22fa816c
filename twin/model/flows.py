"""A flow: a generator of SimPy events run like a process, without the process's own event.

``env.process(generator)`` makes a :class:`simpy.Process`, itself an event: when the generator
ends, the process is scheduled so that whoever waits on it resumes. An order's lifecycle, a
shipment or a ticket visit is waited on by nobody, so that event (one per order) only moves
the clock past a step that does nothing. :func:`start_flow` drives the generator the same way
(started by an urgent event at the current time, as a process is; resumed by each event it
yields; at once when the event was already processed; a failed event thrown into it) and lets
it end silently. The remaining events keep their relative order, so a run gives the same
results. :func:`run_flow` goes further and runs the generator's first step at once, within the
current step: for a flow whose first step only asks for work or waits (an order's lifecycle),
that start event too only moved the clock. A flow that waits again and again (a demand source)
can wait on one :class:`Timer` instead of a new timeout each time.
"""

from __future__ import annotations

from collections.abc import Generator
from heapq import heappush

import simpy
from simpy.core import NORMAL, URGENT


class _Flow:
    __slots__ = ("_generator",)

    def __init__(self, generator: Generator) -> None:
        self._generator = generator

    def resume(self, event: simpy.Event) -> None:
        """Send the event's value into the generator (or throw its failure) and wait on the
        event it yields next."""
        generator = self._generator
        while True:
            try:
                if event._ok:
                    event = generator.send(event._value)
                else:
                    event._defused = True  # handled here, as a process handles it
                    event = generator.throw(event._value)
            except StopIteration:
                return
            callbacks = event.callbacks
            if callbacks is not None:
                callbacks.append(self.resume)
                return
            # the event was processed already: go on with its value at once


class _Started:
    """What a fresh generator is sent first: a processed event's success, value None."""

    __slots__ = ()
    _ok = True
    _value = None


_STARTED = _Started()


def run_flow(generator: Generator) -> None:
    """Run ``generator`` now, up to its first wait, then as :func:`start_flow` does."""
    _Flow(generator).resume(_STARTED)  # type: ignore[arg-type]


def start_flow(env: simpy.Environment, generator: Generator) -> None:
    """Start ``generator`` now, as ``env.process`` would, but without a completion event."""
    start = simpy.Event(env)
    start._ok = True
    start._value = None
    start.callbacks.append(_Flow(generator).resume)
    env.schedule(start, URGENT)


class Timer(simpy.Event):
    """A timeout that one flow arms again for each of its waits.

    ``yield timer.wait(delay)`` schedules what ``yield env.timeout(delay)`` would (the same
    time, priority and place in the order of events, so a run gives the same results) without
    making a new event for every wait: a demand source waits about 100,000 times a year. Only
    for a flow that alone waits on it and arms it again after it has fired.
    """

    def wait(self, delay: float) -> Timer:
        """Fire ``delay`` (>= 0) days from now, with value None."""
        env = self.env
        self.callbacks = []
        self._ok = True
        self._value = None
        # Environment.schedule, inline
        heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), self))
        return self
