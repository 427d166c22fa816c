"""What a segment's orders ask for: the order book of a replication, drawn up front.

Order contents are drawn vectorised from the segment's own ``lines_per_order``, ``sku_choice``,
``quantity`` and ``customer_choice`` streams; with a prices file that has units per line, a
line of a SKU with a row takes its units from the SKU's distribution instead (two ``line_units``
uniforms per line), so cheap SKUs come by the dozen as in history; with a prices file each line's
unit price is drawn from its SKU's distribution with one uniform per line from the segment's
``line_prices`` stream (lines of one SKU in one order share the first one's price); then (with
promotions offered to the segment) the lines respond to the promotions, whose discounts apply
to the drawn prices. Nothing here depends on the state of the model, so two policy
variants of a scenario see exactly the same demand (common random numbers).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from twin.model.arrivals import expected_orders_per_day
from twin.model.catalogue import Catalogue, mix_probabilities
from twin.model.entities import Order
from twin.model.promotions import UNPLACED, OrderPromotion, Window, order_promotions, respond
from twin.scenario.prices import draw_prices, draw_units, price_tables, table_means, unit_tables
from twin.scenario.schema import Scenario
from twin.scenario.segments import Segment
from twin.streams import Streams


def expected_daily_units(scenario: Scenario, catalogue: Catalogue) -> np.ndarray:
    """Approximate mean units demanded per day for each SKU.

    Used only to turn policy levels stated in days of demand into units; it uses the lines and
    quantity distributions' means, ignoring the rounding of draws; with units per line in the
    prices file, a SKU with a row has its own mean units per line.
    """
    demand = np.zeros(len(catalogue))
    for name, segment in scenario.segments.items():
        skus, probabilities = mix_probabilities(segment.sku_mix, catalogue)
        lines_per_day = expected_orders_per_day(segment, scenario) * max(
            1.0, segment.lines_per_order.mean
        )
        units = unit_means(catalogue, name, max(1.0, segment.quantity.mean))
        if units is None:
            demand[skus] += lines_per_day * probabilities * max(1.0, segment.quantity.mean)
        else:
            demand[skus] += lines_per_day * probabilities * units[skus]
    return demand


def unit_means(catalogue: Catalogue, segment: str, default: float) -> np.ndarray | None:
    """Mean units per line per SKU number in ``segment`` from the prices file's units (``default``
    for a SKU without a row); None without them."""
    if catalogue.line_prices is None:
        return None
    tables = unit_tables(catalogue.line_prices, catalogue.skus, segment)
    if tables is None:
        return None
    table, factor, has_row = tables
    return np.where(has_row, table_means(table, factor), default)


def whole_counts(draws: np.ndarray) -> np.ndarray:
    """Draws as counts: rounded half up, at least 1."""
    return np.maximum(np.floor(draws + 0.5), 1.0).astype(np.int64)


@dataclass(frozen=True)
class OrderBook:
    """Every order a segment places in one replication, drawn up front and vectorised.

    Order ``k`` arrives at ``times[k]`` from customer ``customers[k]`` and holds the lines
    ``line_start[k]:line_start[k + 1]`` of ``skus`` and ``quantities``.
    """

    # lists, or typed arrays (:func:`compact`) for a plain book: the same values, less memory
    times: Sequence[float]
    customers: Sequence[int]
    line_start: Sequence[int]
    skus: Sequence[int]
    quantities: Sequence[int]
    # per order, what the promotions changed and the drawn prices, applied to the order when
    # it is placed (None: nothing; UNPLACED: the order lost every line and is not placed);
    # None when no promotion is offered to the segment and there is no prices file
    promotion: list[OrderPromotion | OrderPrices | None] | None = None
    # each line's unit price (after promotions), drawn from the prices file; None: list prices
    prices: list[float] | None = None


class OrderPrices:
    """An order's drawn prices, per SKU number, and what promotions changed in it (or None)."""

    __slots__ = ("prices", "promotion")

    def __init__(self, prices: dict[int, float], promotion: OrderPromotion | None) -> None:
        self.prices = prices
        self.promotion = promotion

    def apply(self, order: Order) -> None:
        """Give a new order its promotion records and its per-SKU prices."""
        if self.promotion is not None:
            self.promotion.apply(order)
        order.prices = self.prices


def list_values(book: OrderBook, price: Sequence[float]) -> list[float]:
    """Each order's list value: quantity x list price (the line's drawn price, when the book has
    them) summed over its lines in line order.

    Vectorised over orders, one line position at a time, so each order's sum is the same
    sequence of float additions a loop over its lines makes (the same value, bit for bit).
    """
    starts = np.asarray(book.line_start, dtype=np.int64)
    counts = np.diff(starts)
    skus = np.asarray(book.skus, dtype=np.int64)
    line_price = np.asarray(price)[skus] if book.prices is None else np.asarray(book.prices)
    line_values = np.asarray(book.quantities, dtype=np.float64) * line_price
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
    if catalogue.line_prices is not None:
        quantities = sku_units(catalogue, streams, name, skus, quantities)
    customers = streams.generator("customer_choice", name).integers(0, segment.customers, n)
    line_start = np.concatenate(([0], np.cumsum(lines)))
    prices = None
    if catalogue.line_prices is not None:
        prices = drawn_prices(catalogue, streams, name, skus, line_start)
    if promotions:
        return promoted_book(
            promotions,
            times,
            customers,
            line_start,
            skus,
            quantities,
            catalogue,
            streams,
            name,
            prices,
        )
    book = OrderBook(
        compact(times, "d"),
        compact(customers, whole_typecode(customers)),
        compact(line_start, whole_typecode(line_start)),
        compact(skus, whole_typecode(skus)),
        compact(quantities, whole_typecode(quantities)),
    )
    return book if prices is None else with_prices(book, prices, None)


def compact(values: np.ndarray, typecode: str) -> array:
    """``values`` as a typed ``array.array``: read like a list (the same Python numbers), four or
    eight bytes a value instead of a pointer and, above 256 or for a float, a boxed number."""
    packed = array(typecode)
    packed.frombytes(np.ascontiguousarray(values, dtype=np.dtype(typecode)).tobytes())
    return packed


def whole_typecode(values: np.ndarray) -> str:
    """The ``array`` typecode for whole numbers ``values``: four bytes when every one fits
    (SKU numbers, customers, units and line offsets nearly always do), else eight."""
    small = np.iinfo(np.int32)
    fits = values.size == 0 or (small.min <= values.min() and values.max() <= small.max)
    return "i" if fits else "q"


def sku_units(
    catalogue: Catalogue, streams: Streams, name: str, skus: np.ndarray, quantities: np.ndarray
) -> np.ndarray:
    """The lines' units: drawn from the SKU's units per line (two ``line_units`` uniforms per
    line) where the prices file has them for the SKU, else ``quantities`` (the segment's)."""
    tables = unit_tables(catalogue.line_prices, catalogue.skus, name)
    if tables is None:
        return quantities
    table, factor, has_row = tables
    uniforms = streams.generator("line_units", name).random((skus.size, 2))
    return np.where(has_row[skus], draw_units(table, factor, skus, uniforms), quantities)


def drawn_prices(
    catalogue: Catalogue, streams: Streams, name: str, skus: np.ndarray, line_start: np.ndarray
) -> np.ndarray:
    """Each line's unit price from the prices file (one ``line_prices`` uniform per line); the
    lines of one SKU in one order take the first one's price, so an order has one price per
    SKU (backordered units are invoiced at it)."""
    table, factor = price_tables(
        catalogue.line_prices, catalogue.skus, name, np.asarray(catalogue.price, dtype=float)
    )
    uniforms = streams.generator("line_prices", name).random(skus.size)
    prices = draw_prices(table, factor, skus, uniforms)
    if skus.size:
        order_of_line = np.repeat(np.arange(line_start.size - 1), np.diff(line_start))
        key = order_of_line * len(catalogue) + skus
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        prices = prices[first[inverse]]
    return prices


def with_prices(
    book: OrderBook, prices: np.ndarray, promoted: list[OrderPromotion | None] | None
) -> OrderBook:
    """The book with its lines' prices, and per order its prices by SKU number (with what the
    promotions changed, ``promoted``, when some are offered)."""
    per_order: list[OrderPromotion | OrderPrices | None] = []
    price_list = prices.tolist()
    skus, start = book.skus, book.line_start
    for k in range(len(book.times)):
        promotion = promoted[k] if promoted is not None else None
        if promotion is UNPLACED:
            per_order.append(UNPLACED)
            continue
        a, b = start[k], start[k + 1]
        per_order.append(OrderPrices(dict(zip(skus[a:b], price_list[a:b], strict=True)), promotion))
    return OrderBook(
        book.times,
        book.customers,
        book.line_start,
        book.skus,
        book.quantities,
        per_order,
        price_list,
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
    prices: np.ndarray | None = None,
) -> OrderBook:
    """The order book with the promotions' demand response: line units scaled and rounded with
    one ``promotion_rounding`` uniform per line, lines left with 0 units dropped; ``prices``
    (each line's drawn price; None: list prices) are the prices the discounts apply to."""
    uniforms = streams.generator("promotion_rounding", name).random(skus.size)
    list_price = np.asarray(catalogue.price, dtype=float)
    line_price = list_price[skus] if prices is None else prices
    line_times = np.repeat(times, np.diff(line_start))
    response = respond(windows, line_times, skus, quantities, uniforms, line_price)
    _, per_order = order_promotions(
        windows, response, quantities, skus, line_start, times, list_price, line_price
    )
    kept = response.units > 0
    # every order has at least one line, so reduceat sums each order's own lines
    kept_per_order = (
        np.add.reduceat(kept.astype(np.int64), line_start[:-1]) if skus.size else kept[:0]
    )
    new_start = np.concatenate(([0], np.cumsum(kept_per_order))).astype(np.int64)
    book = OrderBook(
        times.tolist(),
        customers.tolist(),
        new_start.tolist(),
        skus[kept].tolist(),
        response.units[kept].tolist(),
        per_order,
    )
    return book if prices is None else with_prices(book, response.price[kept], per_order)
