"""Customer demand: when orders arrive, what they ask for, and what that means per SKU per day.

Arrival times and order contents of a whole replication are drawn up front, vectorised, from the
segment's own ``arrivals``, ``lines_per_order``, ``sku_choice``, ``quantity`` and
``customer_choice`` streams. None of these depend on the state of the model, so two policy
variants of a scenario see exactly the same demand (common random numbers).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import simpy

from twin.errors import InputError
from twin.model.catalogue import Catalogue
from twin.model.customers import ACTIVE, CHURNED, CustomerBase
from twin.model.entities import Order
from twin.model.promotions import (
    UNPLACED,
    OrderPromotion,
    Window,
    order_promotions,
    respond,
    segment_windows,
)
from twin.scenario.arrival_rates import daily_rates
from twin.scenario.arrivals import PoissonArrivals, ReplayArrivals
from twin.scenario.schema import Scenario
from twin.scenario.segments import Segment, SkuMix
from twin.streams import Streams


def poisson_arrival_times(
    arrivals: PoissonArrivals, rng: np.random.Generator, start_date: dt.date, horizon_days: float
) -> np.ndarray:
    """Arrival times (days) of a Poisson process with a rate constant within each day."""
    n_days = int(np.ceil(horizon_days))
    counts = rng.poisson(daily_rates(arrivals, start_date, n_days))
    days = np.repeat(np.arange(n_days, dtype=float), counts)
    times = np.sort(days + rng.random(days.size))
    return times[times < horizon_days]


def replay_arrival_times(
    arrivals: ReplayArrivals, start_date: dt.date, horizon_days: float
) -> tuple[np.ndarray, int]:
    """Historical order times as days since ``start_date``, and how many fall outside the run."""
    if arrivals.file is not None:
        where = f"Replay file {arrivals.file}, column {arrivals.column!r}"
        try:
            # As text, so an error can quote the cell exactly as it is written in the file.
            frame = pd.read_csv(
                arrivals.file, usecols=[arrivals.column], dtype=str, keep_default_na=False
            )
        except (OSError, ValueError) as exc:
            raise InputError(
                f"Cannot read the replay file {arrivals.file} (column {arrivals.column!r}): {exc}"
            ) from None
        raw = frame[arrivals.column]
        try:
            # Each cell parsed on its own: a history may mix dates and timestamps.
            stamps = pd.to_datetime(raw, errors="coerce", format="mixed")
        except ValueError:  # cells with different UTC offsets
            stamps = None
        if stamps is None or isinstance(stamps.dtype, pd.DatetimeTZDtype):
            raise InputError(
                f"{where}: timestamps carry a UTC offset; give local times without one"
            )
        bad = stamps.isna()
        if bad.any():
            # Data rows count from 1, the header excluded, as for empirical data files.
            row = int(np.flatnonzero(bad.to_numpy())[0])
            cell = raw.iloc[row]
            shown = repr(cell) if cell.strip() else "empty"
            raise InputError(
                f"{where}: row {row + 1} (file line {row + 2}) is {shown}, expected a date "
                "or timestamp such as 2026-01-05 or 2026-01-05 09:30"
            )
    else:
        stamps = pd.to_datetime(pd.Series(arrivals.times))
    days = (stamps - pd.Timestamp(start_date)) / pd.Timedelta(days=1)
    times = np.sort(days.to_numpy(dtype=float))
    inside = (times >= 0.0) & (times < horizon_days)
    return times[inside], int((~inside).sum())


def mix_probabilities(mix: SkuMix, catalogue: Catalogue) -> tuple[list[int], np.ndarray]:
    """The SKU numbers a segment can order and their probabilities (summing to 1)."""
    if mix.kind == "weights":
        index = catalogue.index()
        pairs = [(index[sku], w) for sku, w in (mix.weights or {}).items() if w > 0]
        skus = [s for s, _ in pairs]
        weights = np.array([w for _, w in pairs], dtype=float)
    else:
        allowed = set(mix.categories) if mix.categories else None
        skus = [i for i, c in enumerate(catalogue.category) if allowed is None or c in allowed]
        ranks = np.arange(1, len(skus) + 1, dtype=float)
        weights = ranks**-mix.exponent if mix.kind == "zipf" else np.ones(len(skus))
    return skus, weights / weights.sum()


def expected_orders_per_day(segment: Segment, scenario: Scenario) -> float:
    """Mean orders per day of a segment over the horizon."""
    run = scenario.run
    arrivals = segment.arrivals
    if isinstance(arrivals, PoissonArrivals):
        n_days = int(np.ceil(run.horizon_days))
        return float(daily_rates(arrivals, run.start_date, n_days).mean())
    times, _ = replay_arrival_times(arrivals, run.start_date, run.horizon_days)
    return times.size / run.horizon_days


def expected_daily_units(scenario: Scenario, catalogue: Catalogue) -> np.ndarray:
    """Approximate mean units demanded per day for each SKU.

    Used only to turn policy levels stated in days of demand into units; it uses the lines and
    quantity distributions' means, ignoring the rounding of draws.
    """
    demand = np.zeros(len(catalogue))
    for segment in scenario.segments.values():
        skus, probabilities = mix_probabilities(segment.sku_mix, catalogue)
        lines_per_day = expected_orders_per_day(segment, scenario) * max(
            1.0, segment.lines_per_order.mean
        )
        demand[skus] += lines_per_day * probabilities * max(1.0, segment.quantity.mean)
    return demand


def whole_counts(draws: np.ndarray) -> np.ndarray:
    """Draws as counts: rounded half up, at least 1."""
    return np.maximum(np.floor(draws + 0.5), 1.0).astype(np.int64)


@dataclass(frozen=True)
class OrderBook:
    """Every order a segment places in one replication, drawn up front and vectorised.

    Order ``k`` arrives at ``times[k]`` from customer ``customers[k]`` and holds the lines
    ``line_start[k]:line_start[k + 1]`` of ``skus`` and ``quantities``.
    """

    times: list[float]
    customers: list[int]
    line_start: list[int]
    skus: list[int]
    quantities: list[int]
    # per order, what the promotions changed (None: nothing; UNPLACED: the order lost every
    # line and is not placed); None when no promotion is offered to the segment
    promotion: list[OrderPromotion | None] | None = None


def list_values(book: OrderBook, price: Sequence[float]) -> list[float]:
    """Each order's list value: quantity x list price summed over its lines in line order.

    Vectorised over orders, one line position at a time, so each order's sum is the same
    sequence of float additions a loop over its lines makes (the same value, bit for bit).
    """
    starts = np.asarray(book.line_start, dtype=np.int64)
    counts = np.diff(starts)
    skus = np.asarray(book.skus, dtype=np.int64)
    line_values = np.asarray(book.quantities, dtype=np.float64) * np.asarray(price)[skus]
    values = np.zeros(len(counts))
    first = starts[:-1]
    for position in range(int(counts.max(initial=0))):
        has = counts > position
        values[has] += line_values[first[has] + position]
    return values.tolist()


def draw_order_book(
    segment: Segment,
    times: np.ndarray,
    catalogue: Catalogue,
    streams: Streams,
    name: str,
    promotions: list[Window] | None = None,
) -> OrderBook:
    """Draw the contents of the orders arriving at ``times``, each quantity from its own stream;
    with ``promotions`` (the segment's, see :func:`twin.model.promotions.segment_windows`) the
    line quantities respond to them."""
    n = times.size
    lines = whole_counts(
        segment.lines_per_order.sample(streams.generator("lines_per_order", name), n)
    )
    total = int(lines.sum())
    eligible, probabilities = mix_probabilities(segment.sku_mix, catalogue)
    cumulative = np.cumsum(probabilities)
    cumulative[-1] = 1.0  # guard against rounding leaving a sliver above the last SKU
    picks = np.searchsorted(
        cumulative, streams.generator("sku_choice", name).random(total), side="right"
    )
    skus = np.asarray(eligible, dtype=np.int64)[picks]
    quantities = whole_counts(segment.quantity.sample(streams.generator("quantity", name), total))
    customers = streams.generator("customer_choice", name).integers(0, segment.customers, n)
    line_start = np.concatenate(([0], np.cumsum(lines)))
    if promotions:
        return promoted_book(
            promotions, times, customers, line_start, skus, quantities, catalogue, streams, name
        )
    return OrderBook(
        times.tolist(), customers.tolist(), line_start.tolist(), skus.tolist(), quantities.tolist()
    )


def promoted_book(
    windows: list[Window],
    times: np.ndarray,
    customers: np.ndarray,
    line_start: np.ndarray,
    skus: np.ndarray,
    quantities: np.ndarray,
    catalogue: Catalogue,
    streams: Streams,
    name: str,
) -> OrderBook:
    """The order book with the promotions' demand response: line units scaled and rounded with
    one ``promotion_rounding`` uniform per line, lines left with 0 units dropped."""
    uniforms = streams.generator("promotion_rounding", name).random(skus.size)
    list_price = np.asarray(catalogue.price, dtype=float)
    line_times = np.repeat(times, np.diff(line_start))
    response = respond(windows, line_times, skus, quantities, uniforms, list_price)
    _, per_order = order_promotions(
        windows, response, quantities, skus, line_start, times, list_price
    )
    kept = response.units > 0
    # every order has at least one line, so reduceat sums each order's own lines
    kept_per_order = (
        np.add.reduceat(kept.astype(np.int64), line_start[:-1]) if skus.size else kept[:0]
    )
    new_start = np.concatenate(([0], np.cumsum(kept_per_order))).astype(np.int64)
    return OrderBook(
        times.tolist(),
        customers.tolist(),
        new_start.tolist(),
        skus[kept].tolist(),
        response.units[kept].tolist(),
        per_order,
    )


class DemandSource:
    """One segment's order stream: a process that creates each order at its arrival time."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        name: str,
        number: int,
        catalogue: Catalogue,
        streams: Streams,
    ) -> None:
        segment = scenario.segments[name]
        self.env = env
        self.name = name
        self.number = number
        self.segment = segment
        # with the customer loop, the book is drawn when the customer base is attached
        self.customers: CustomerBase | None = None
        # the promotions offered to this segment, applied to its drawn lines
        self.promotions = segment_windows(scenario, name, catalogue) if scenario.promotions else []
        # under a credit policy each order's list value, sized with the book (see list_values),
        # for the credit desk to decide on before the order is allocated; else None
        self.values: list[float] | None = None
        if scenario.customers is not None:
            self._deferred = (scenario, catalogue, streams)
            self.skipped_rows = 0
            return
        arrivals = segment.arrivals
        run = scenario.run
        if isinstance(arrivals, PoissonArrivals):
            times = poisson_arrival_times(
                arrivals, streams.generator("arrivals", name), run.start_date, run.horizon_days
            )
            self.skipped_rows = 0
        else:
            times, self.skipped_rows = replay_arrival_times(
                arrivals, run.start_date, run.horizon_days
            )
        self.book = draw_order_book(segment, times, catalogue, streams, name, self.promotions)
        if scenario.credit is not None:
            self.values = list_values(self.book, catalogue.price)

    def run(
        self, next_id: Callable[[], int], accept: Callable[[Order, list[int], list[int]], None]
    ) -> Generator:
        """Process: at each arrival time create the order and hand it with its lines (SKU
        numbers and quantities) to ``accept``."""
        if self.customers is not None:
            return (yield from self._run_thinned(next_id, accept))
        env = self.env
        number = self.number
        promise = self.segment.promised_lead_time_days
        book = self.book
        skus, quantities, line_start = book.skus, book.quantities, book.line_start
        promoted = book.promotion  # None: no promotion offered to the segment
        values = self.values
        for k, (t, customer) in enumerate(zip(book.times, book.customers, strict=True)):
            if promoted is not None and promoted[k] is UNPLACED:
                continue
            delay = t - env.now
            yield env.timeout(delay if delay > 0.0 else 0.0)
            a, b = line_start[k], line_start[k + 1]
            order = Order(next_id(), number, customer, t, t + promise)
            if values is not None:
                order.lines = b - a
                order.value = values[k]
            if promoted is not None and promoted[k] is not None:
                promoted[k].apply(order)
            accept(order, skus[a:b], quantities[a:b])

    def attach(self, customers: CustomerBase) -> None:
        """Draw the candidate order book of the customer loop (called once, before the run).

        Poisson arrivals are drawn at the rate that covers every customer slot of the segment
        (initial customers and one per lead) at the highest propensity: the fitted rate times
        ``slots / customers x p(5)``. Each candidate gets a customer uniformly over the slots
        (stream ``repeat``; the book's own draw when there are no slots beyond the initial
        customers) and a uniform for thinning (stream ``repeat``). Replayed orders are the
        history at the reference score: they are kept as they are, thinned by ``min(1, p(s))``,
        and name only the initial customers.
        """
        scenario, catalogue, streams = self._deferred
        segment, name, run = self.segment, self.name, scenario.run
        arrivals = segment.arrivals
        repeat = streams.generator("repeat", name)
        if isinstance(arrivals, PoissonArrivals):
            slots = customers.capacity[self.number]
            scale = customers.max_propensity
            candidates = arrivals.model_copy(
                update={"rate_per_day": arrivals.rate_per_day * scale * slots / segment.customers}
            )
            times = poisson_arrival_times(
                candidates, streams.generator("arrivals", name), run.start_date, run.horizon_days
            )
            book = draw_order_book(segment, times, catalogue, streams, name, self.promotions)
            if slots > segment.customers:
                book = replace(book, customers=repeat.integers(0, slots, len(book.times)).tolist())
        else:
            scale = 1.0
            times, self.skipped_rows = replay_arrival_times(
                arrivals, run.start_date, run.horizon_days
            )
            book = draw_order_book(segment, times, catalogue, streams, name, self.promotions)
        self.book = book
        if scenario.credit is not None:
            self.values = list_values(book, catalogue.price)
        self.propensity_scale = scale
        self.repeat_draws = repeat.random(len(book.times)).tolist()
        self.customers = customers

    def _run_thinned(
        self, next_id: Callable[[], int], accept: Callable[[Order, list[int], list[int]], None]
    ) -> Generator:
        """Process: the candidate orders, each placed only if its customer places it then."""
        env = self.env
        number = self.number
        promise = self.segment.promised_lead_time_days
        book = self.book
        skus, quantities, line_start = book.skus, book.quantities, book.line_start
        customers = self.customers
        draws, scale = self.repeat_draws, self.propensity_scale
        promoted = book.promotion  # None: no promotion offered to the segment
        values = self.values
        # a candidate is placed if its customer is active and u < p(s) / scale, p the
        # customer base's propensity (read from its lists, which it updates in place)
        status, scores = customers.status[number], customers.score[number]
        beta, reference, exp = customers.repeat_beta, customers.reference, math.exp
        for k, (t, customer) in enumerate(zip(book.times, book.customers, strict=True)):
            if status[customer] >= CHURNED:
                continue  # churned for good, or never won: no need to wait for its time
            if promoted is not None and promoted[k] is UNPLACED:
                continue
            delay = t - env.now
            yield env.timeout(delay if delay > 0.0 else 0.0)
            if status[customer] != ACTIVE or not (
                draws[k] < exp(beta * (scores[customer] - reference)) / scale
            ):
                continue
            a, b = line_start[k], line_start[k + 1]
            order = Order(next_id(), number, customer, t, t + promise)
            if values is not None:
                order.lines = b - a
                order.value = values[k]
            if promoted is not None and promoted[k] is not None:
                promoted[k].apply(order)
            accept(order, skus[a:b], quantities[a:b])
