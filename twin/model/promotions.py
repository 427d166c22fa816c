"""Promotions in the model: line multipliers on the drawn order book, promoted prices, records.

Demand is drawn up front (``twin.model.order_book.draw_order_book``), so a promotion acts on the
drawn lines: each line's units ``q`` become ``q' = floor(q m + u)`` (stochastic rounding, so
``E[q'] = q m``), with one uniform ``u`` per line from the segment's ``promotion_rounding``
stream, drawn for every line so the stream stays aligned whatever the calendar (common random
numbers). The multiplier ``m`` of a line ordered on day ``t`` for SKU ``s`` is:

- the promotion's lift (stated, or ``(1 - discount) ** elasticity``, times display and mailer) if
  a promotion covers ``s`` for the segment on ``t`` (the first listed one, if several), and the
  line sells at the discounted price (its list price, or its drawn price with a prices file,
  times ``1 - discount``);
- otherwise the product of ``1 - dip`` of every promotion of ``s`` whose dip window holds ``t``
  and of the cannibalisation factor of every promotion of another SKU of ``s``'s category
  running on ``t``.

The cannibalisation factor takes ``cannibalisation`` x the promoted SKUs' expected incremental
units from the category's other SKUs, in proportion to their expected demand (the segment's SKU
mix), so it is the same for each of them. A line whose ``q'`` is 0 is dropped; an order that
loses every line is not placed. The base units ``q`` are the "no promotion" counterfactual of the
same random numbers; every changed line is recorded (``promotion_lines``) when its order is
allocated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.model.catalogue import Catalogue, mix_probabilities
from twin.model.context import Context
from twin.model.entities import Order
from twin.records import COLUMNS
from twin.scenario.promotions import covered_segments, covered_skus
from twin.scenario.schema import Scenario


@dataclass(frozen=True)
class Window:
    """One promotion as it acts on one segment's lines (days since the start, per SKU number)."""

    number: int  # position in scenario.promotions
    t_start: float  # first day, inclusive
    t_end: float  # day after the last, exclusive
    t_dip_end: float  # end of the post-promotion dip, exclusive
    covered: np.ndarray  # bool per SKU: on promotion
    multiplier: float
    discount: float  # fraction off the line's price while the promotion covers it
    dip_factor: float  # demand multiplier in the dip
    cannibal_factor: np.ndarray  # demand multiplier per SKU during the promotion (1: none)
    price: np.ndarray  # price per SKU during the promotion (list price where not covered)


@dataclass(frozen=True)
class OrderPromotion:
    """What a promotion changed in one order: its per-SKU prices (None: list prices) and the
    changed lines as ``(sku, promotion, promoted, base units, units, list price, price)``;
    ``unplaced`` holds ``(t, line)`` pairs of orders that lost every line, recorded with this
    order (order_id -1)."""

    prices: tuple[float, ...] | None
    lines: tuple[tuple, ...]
    unplaced: tuple[tuple, ...] = ()

    def apply(self, order: Order) -> None:
        """Give a new order its prices and changed lines (recorded when it is allocated)."""
        order.prices = self.prices
        if self.lines or self.unplaced:
            order.promotion = self


#: The book entry of an order that lost every line to the promotions: it is not placed.
UNPLACED = OrderPromotion(None, ())


def segment_windows(scenario: Scenario, name: str, catalogue: Catalogue) -> list[Window]:
    """The promotions offered to segment ``name``, in scenario order (empty: none)."""
    segment = scenario.segments[name]
    start = scenario.run.start_date
    mix, probabilities = mix_probabilities(segment.sku_mix, catalogue)
    demand = np.zeros(len(catalogue))
    demand[mix] = probabilities  # relative expected units: one quantity distribution per segment
    index = catalogue.index()
    category = np.asarray([c if c is not None else "" for c in catalogue.category], dtype=object)
    list_price = np.asarray(catalogue.price, dtype=float)
    windows = []
    for number, promotion in enumerate(scenario.promotions):
        if name not in covered_segments(promotion, scenario.segments):
            continue
        covered = np.zeros(len(catalogue), dtype=bool)
        covered[[index[s] for s in covered_skus(promotion, scenario.products)]] = True
        m = promotion.multiplier
        t_start = float((promotion.start - start).days)
        t_end = t_start + promotion.days
        windows.append(
            Window(
                number=number,
                t_start=t_start,
                t_end=t_end,
                t_dip_end=t_end + promotion.dip_days,
                covered=covered,
                multiplier=m,
                discount=promotion.discount,
                dip_factor=1.0 - promotion.dip,
                cannibal_factor=_cannibal_factors(
                    covered, category, demand, m, promotion.cannibalisation
                ),
                price=np.where(covered, list_price * (1.0 - promotion.discount), list_price),
            )
        )
    return windows


def _cannibal_factors(
    covered: np.ndarray, category: np.ndarray, demand: np.ndarray, m: float, share: float
) -> np.ndarray:
    """Per SKU: ``1 - share x (m - 1) x D_promoted / D_others`` for the uncovered SKUs of a
    category with promoted SKUs (D: expected demand in the segment), floored at 0; else 1."""
    factors = np.ones(covered.size)
    if share == 0.0 or m <= 1.0:
        return factors
    for name in set(category[covered]) - {""}:
        in_category = category == name
        others = in_category & ~covered
        base = demand[others].sum()
        if base > 0.0:
            loss = share * (m - 1.0) * demand[in_category & covered].sum() / base
            factors[others] = max(1.0 - loss, 0.0)
    return factors


@dataclass(frozen=True)
class Response:
    """The demand response of a segment's drawn lines (one value per line)."""

    units: np.ndarray  # units after the response
    promotion: np.ndarray  # number of the promotion that changed the line, -1: none
    promoted: np.ndarray  # sold under a promotion (at its price)
    price: np.ndarray  # unit price of the line


def respond(
    windows: list[Window],
    line_times: np.ndarray,
    skus: np.ndarray,
    quantities: np.ndarray,
    uniforms: np.ndarray,
    line_price: np.ndarray,
) -> Response:
    """Apply the promotions to drawn lines (times in days, SKU numbers, base units, the price
    each line sells at without a promotion)."""
    n = skus.size
    multiplier = np.ones(n)
    promotion = np.full(n, -1, dtype=np.int64)
    promoted = np.zeros(n, dtype=bool)
    price = line_price.astype(float)
    for w in windows:  # the first listed promotion covering a line sets its lift and price
        hit = (line_times >= w.t_start) & (line_times < w.t_end) & w.covered[skus] & ~promoted
        multiplier[hit] = w.multiplier
        promotion[hit] = w.number
        price[hit] = line_price[hit] * (1.0 - w.discount)
        promoted |= hit
    for w in windows:  # the dips and cannibalisation of the lines not on promotion
        changes = [
            ((line_times >= w.t_end) & (line_times < w.t_dip_end), w.covered, w.dip_factor),
            ((line_times >= w.t_start) & (line_times < w.t_end), ~w.covered, w.cannibal_factor),
        ]
        for in_window, which, factor in changes:
            factors = np.broadcast_to(factor, w.covered.shape)[skus]
            hit = in_window & which[skus] & ~promoted & (factors != 1.0)
            multiplier[hit] *= factors[hit]
            promotion[hit & (promotion < 0)] = w.number
    units = np.floor(quantities * multiplier + uniforms).astype(np.int64)
    return Response(units, promotion, promoted, price)


def order_promotions(
    windows: list[Window],
    response: Response,
    base: np.ndarray,
    skus: np.ndarray,
    line_start: np.ndarray,
    times: np.ndarray,
    list_price: np.ndarray,
    line_price: np.ndarray,
) -> tuple[np.ndarray, list[OrderPromotion | None]]:
    """Per order: whether it is placed (some line left) and what the promotions changed in it;
    ``line_price`` is each line's price without a promotion, recorded as its list price.

    The lines of an order that is not placed are carried by the next placed order of the segment
    (by the last one for those after it), which records them with order_id -1.
    """
    n_orders = line_start.size - 1
    order_of_line = np.repeat(np.arange(n_orders), np.diff(line_start))
    placed = np.zeros(n_orders, dtype=bool)
    placed[order_of_line[response.units > 0]] = True
    changed = np.flatnonzero(response.promotion >= 0)
    per_order: dict[int, list[tuple]] = {}
    for i in changed.tolist():
        line = (
            int(skus[i]),
            int(response.promotion[i]),
            bool(response.promoted[i]),
            int(base[i]),
            int(response.units[i]),
            float(line_price[i]),
            float(response.price[i]),
        )
        per_order.setdefault(int(order_of_line[i]), []).append(line)
    carried: dict[int, list[tuple]] = {}
    placed_orders = np.flatnonzero(placed)
    for k, lines in per_order.items():
        if not placed[k] and placed_orders.size:
            j = int(np.searchsorted(placed_orders, k))
            host = int(placed_orders[min(j, placed_orders.size - 1)])
            carried.setdefault(host, []).extend((float(times[k]), line) for line in lines)
    prices_cache: dict[frozenset, tuple[float, ...]] = {}
    result: list[OrderPromotion | None] = [None if p else UNPLACED for p in placed.tolist()]
    for k in sorted(set(per_order) | set(carried)):
        if not placed[k]:
            continue
        lines = tuple(per_order.get(k, ()))
        on = frozenset(line[1] for line in lines if line[2])
        prices = None
        if on:
            prices = prices_cache.get(on)
            if prices is None:
                prices = prices_cache[on] = _promoted_prices(windows, on, list_price)
        result[k] = OrderPromotion(prices, lines, tuple(carried.get(k, ())))
    return placed, result


def _promoted_prices(
    windows: list[Window], on: frozenset, list_price: np.ndarray
) -> tuple[float, ...]:
    """Per SKU: the price under the promotions ``on`` (numbers), else the list price.

    Overlapping promotions of one SKU and segment have one discount (checked at validation), so
    an order placed while they run has one price per SKU.
    """
    prices = list_price.astype(float)
    for w in windows:
        if w.number in on:
            prices = np.where(w.covered, w.price, prices)
    return tuple(prices.tolist())


class PromotionRecords:
    """Records the promotion calendar, and each allocated order's changed lines."""

    def __init__(self, context: Context) -> None:
        scenario, catalogue, recorder = context.scenario, context.catalogue, context.recorder
        self.lines = recorder.promotion_lines
        index = catalogue.index()
        start = scenario.run.start_date
        rows = []
        for number, p in enumerate(scenario.promotions):
            t_start = float((p.start - start).days)
            skus = tuple(sorted(index[s] for s in covered_skus(p, scenario.products)))
            rows.append(
                (
                    number,
                    p.name,
                    t_start,
                    t_start + p.days,
                    t_start + p.days + p.dip_days,
                    p.discount,
                    p.fixed_cost,
                    skus,
                )
            )
        recorder.promotions = CalendarTable(rows)

    def record(self, order: Order, on_hand: list[int]) -> None:
        """Record the order's changed lines before it is allocated from ``on_hand`` (free stock
        per SKU), with the units each line will find short (backordered or lost)."""
        promotion = order.promotion
        add = self.lines.add
        order_id, segment, t = order.id, order.segment, order.t_arrival
        free: dict[int, int] = {}
        for sku, number, promoted, base, units, list_price, price in promotion.lines:
            have = free.get(sku, on_hand[sku])
            got = min(units, have)
            free[sku] = have - got
            add(
                (
                    order_id,
                    segment,
                    sku,
                    t,
                    number,
                    promoted,
                    base,
                    units,
                    units - got,
                    list_price,
                    price,
                )
            )
        for t_line, (sku, number, promoted, base, units, list_price, price) in promotion.unplaced:
            add((-1, segment, sku, t_line, number, promoted, base, units, 0, list_price, price))


class CalendarTable:
    """The ``promotions`` table: one row per promotion (it holds names, so it is not a
    ``ColumnTable``; it has a handful of rows)."""

    def __init__(self, rows: list[tuple]) -> None:
        self.rows = rows

    def frame(self) -> pd.DataFrame:
        columns = [name for name, _ in COLUMNS["promotions"]]
        frame = pd.DataFrame(self.rows, columns=columns)
        for name, dtype in COLUMNS["promotions"]:
            frame[name] = frame[name].astype(dtype)
        return frame
