"""What a segment's orders ask for: the order book of a replication, drawn up front.

Order contents are drawn vectorised from the segment's own ``lines_per_order``, ``sku_choice``,
``quantity`` and ``customer_choice`` streams, then (with promotions offered to the segment) the
lines respond to the promotions. Nothing here depends on the state of the model, so two policy
variants of a scenario see exactly the same demand (common random numbers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from twin.model.arrivals import expected_orders_per_day
from twin.model.catalogue import Catalogue, mix_probabilities
from twin.model.promotions import OrderPromotion, Window, order_promotions, respond
from twin.scenario.schema import Scenario
from twin.scenario.segments import Segment
from twin.streams import Streams


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
