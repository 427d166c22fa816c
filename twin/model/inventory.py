"""Stock per SKU: allocation to order lines, FIFO backlogs, and replenishment from suppliers.

``on_hand`` is the free stock: it drops when an order line is allocated. Allocated units stay in the
warehouse, reserved, until their shipment is picked; physical stock = free + reserved (the KPIs
derive it from receipts and shipments). A shortfall is backordered (filled FIFO as stock
arrives) or lost, by the SKU's shortage rule. After every allocation a continuously reviewed SKU
asks its policy whether to order; periodically reviewed SKUs are asked by a review process.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass

import numpy as np
import simpy

from twin.model.catalogue import Catalogue
from twin.model.context import Context
from twin.model.entities import Order
from twin.model.hooks import FillOrder, PromotionLines, SupplierBills
from twin.model.policies import BaseStock, MinMax, Policy, ReorderPointQuantity
from twin.model.wiring import Wired
from twin.scenario import inventory as stocking
from twin.scenario import schema
from twin.streams import LazySamplers


@dataclass(frozen=True)
class SkuRule:
    """The resolved stocking rule of one SKU, levels in units."""

    policy: Policy
    review_period_days: float | None  # None: continuous review
    first_review_day: float
    backorder: bool
    initial_on_hand: int


def _units(units: int | None, days: float | None, demand_per_day: float) -> int:
    return int(units) if units is not None else round((days or 0.0) * demand_per_day)


def resolve_policy(
    spec: stocking.BaseStock | stocking.MinMax | stocking.ReorderPointQuantity,
    demand_per_day: float,
) -> Policy:
    """A policy with levels in units; levels in days of demand are converted with the SKU's
    expected daily demand."""
    if isinstance(spec, stocking.BaseStock):
        return BaseStock(_units(spec.level, spec.level_days, demand_per_day))
    if isinstance(spec, stocking.MinMax):
        s = _units(spec.reorder_point, spec.reorder_point_days, demand_per_day)
        big_s = _units(spec.order_up_to, spec.order_up_to_days, demand_per_day)
        return MinMax(s, max(big_s, s + 1))  # rounding a low-demand SKU's days may make S == s
    quantity = _units(spec.quantity, spec.quantity_days, demand_per_day)
    return ReorderPointQuantity(
        _units(spec.reorder_point, spec.reorder_point_days, demand_per_day), max(quantity, 1)
    )


def resolve_rules(
    scenario: schema.Scenario, catalogue: Catalogue, demand_per_day: np.ndarray
) -> list[SkuRule]:
    """Layer default < supplier < category < SKU rules for every SKU, resolved into units."""
    inventory = scenario.inventory
    sku_rules = inventory.sku_rules()  # once: a 20,000-SKU file is not looked up attribute-wise
    given: dict[int, dict] = {}  # a shared layer's set fields, read once (keyed by identity)
    names: dict[type, tuple[str, ...]] = {}  # a layer type's fields, asked of pydantic once

    def fields(layer: stocking.InventoryRule) -> dict:
        values = given.get(id(layer))
        if values is None:
            kind = type(layer)
            keys = names.get(kind)
            if keys is None:
                keys = names[kind] = tuple(kind.model_fields)
            values = {k: getattr(layer, k) for k in keys}
            values = given[id(layer)] = {k: v for k, v in values.items() if v is not None}
        return values

    rules = []
    for i, sku in enumerate(catalogue.skus):
        layers = [inventory.default]
        if catalogue.supplier[i] in inventory.suppliers:
            layers.append(inventory.suppliers[catalogue.supplier[i]])
        category = catalogue.category[i]
        if category in inventory.categories:
            layers.append(inventory.categories[category])
        rule = sku_rules.get(sku)
        if rule is not None:
            layers.append(rule)
        merged: dict = {}
        for layer in layers:
            values = fields(layer)
            if "initial_on_hand" in values or "initial_on_hand_days" in values:
                merged.pop("initial_on_hand", None)
                merged.pop("initial_on_hand_days", None)
            merged.update(values)
        policy = resolve_policy(merged["policy"], float(demand_per_day[i]))
        review = merged.get("review")
        periodic = isinstance(review, stocking.PeriodicReview)
        if "initial_on_hand" in merged:
            initial = merged["initial_on_hand"]
        elif "initial_on_hand_days" in merged:
            initial = round(float(merged["initial_on_hand_days"] * demand_per_day[i]))
        else:
            initial = policy.order_up_to
        rules.append(
            SkuRule(
                policy=policy,
                review_period_days=review.period_days if periodic else None,
                first_review_day=review.first_review_day if periodic else 0.0,
                backorder=merged.get("shortage", "backorder") == "backorder",
                initial_on_hand=int(initial),
            )
        )
    return rules


def serve_fifo(
    queue: deque[list], on_hand: int, served: Callable[[list, int, bool], None]
) -> tuple[int, int]:
    """Serve ``queue``'s entries ``[units wanted, ...]`` first come first served from
    ``on_hand`` units; returns (units left, units served).

    An entry served in full leaves the queue, one served in part keeps what it still wants;
    ``served(entry, units, complete)`` is called after each.
    """
    total = 0
    while queue and on_hand:
        entry = queue[0]
        wanted = entry[0]
        take = wanted if wanted <= on_hand else on_hand
        on_hand -= take
        total += take
        complete = take == wanted
        if complete:
            queue.popleft()
        else:
            entry[0] = wanted - take
        served(entry, take, complete)
    return on_hand, total


class Stock(Wired):
    """On hand, on order and backlog of every SKU, and the purchase orders that refill them.

    Connection ``on_fill(order, sku, units, new_line)``: called for each part of a backlogged
    line that a receipt fills (the fulfilment's ``fill``; it is built after the stock).
    """

    CONNECTIONS = ("on_fill",)
    on_fill: FillOrder

    def __init__(
        self,
        context: Context,
        rules: list[SkuRule],
        promotions: PromotionLines | None = None,
        parcel_skus: Sequence[bool] | None = None,
        bills: SupplierBills | None = None,
    ) -> None:
        """``promotions``: records each order's changed lines at allocation (None: no
        promotions); ``parcel_skus``: after-sales is on, and per SKU whether its units can fail
        (see :meth:`enable_spares`); ``bills``: the cash book, billed at each receipt (None: no
        cash section)."""
        env, scenario, catalogue = context.env, context.scenario, context.catalogue
        recorder, streams = context.recorder, context.streams
        self.env = env
        self.rules = rules
        self.catalogue = catalogue
        n = len(catalogue)
        self.initial_on_hand = [r.initial_on_hand for r in rules]
        self.on_hand = list(self.initial_on_hand)
        self.on_order = [0] * n
        self.backlog_units = [0] * n
        # per SKU, FIFO entries [units still short, order, whether the line already has units
        # in the order's undispatched parcel], so a line filled in parts counts once there;
        # made at the SKU's first shortfall (an empty deque takes 760 bytes, and most SKUs of a
        # large catalogue are never short)
        self.backlogs: list[deque[list] | None] = [None] * n
        self.backorder = [r.backorder for r in rules]
        self.policies = [r.policy for r in rules]
        # the highest position at which a continuously reviewed SKU's policy may order;
        # periodically reviewed SKUs never trigger on demand
        never = -(2**62)
        self.review_trigger = [
            r.policy.trigger_position if r.review_period_days is None else never for r in rules
        ]
        suppliers = [scenario.suppliers[s] for s in catalogue.supplier]
        self.moq = [s.min_order_quantity for s in suppliers]
        # one lead-time stream per SKU, so a variant ordering one SKU differently leaves the
        # lead times of every other SKU unchanged (common random numbers)
        # (made on first use: most of a large catalogue's SKUs are bought rarely or never)
        self.lead_time = LazySamplers(
            streams, "lead_time", [s.lead_time_days for s in suppliers], catalogue.skus
        )
        self._purchases = recorder.purchases
        self._stock_changes = recorder.stock_changes
        self.units_received = 0
        self.promotions = promotions
        self.bills = bills
        # after-sales: the SKUs of each parcel that can fail are tracked on the order
        # (``parcel_skus``: per SKU, whether it is tracked), and each SKU has a FIFO queue of
        # spare-part requests [units still short, on_issued, ticket], served ahead of its
        # customer backlog
        self.track_parcels = False
        self.parcel_skus: list[bool] = []
        self.spare_backlogs: list[deque[list]] | None = None
        self._spare_issues = recorder.spare_issues
        if parcel_skus is not None:
            self.enable_spares(parcel_skus)

    # ----------------------------------------------------------------- demand side

    def allocate_order(self, order: Order, skus: list[int], quantities: list[int]) -> None:
        """Reserve stock for every line of a new order and record the outcome on the order.

        Each line takes what is on hand; the shortfall joins the SKU's FIFO backlog, or is lost
        under lost sales. Backlogged units are reported through ``on_fill`` as stock arrives.
        The filled part becomes the order's pending (ready to dispatch) parcel.
        """
        t = self.env._now  # env.now without the property's call (hot path)
        on_hand = self.on_hand
        on_order = self.on_order
        backlog_units = self.backlog_units
        backorder = self.backorder
        trigger = self.review_trigger
        # an order with promoted lines carries its own per-SKU prices
        price = self.catalogue.price if order.prices is None else order.prices
        if order.promotion is not None:  # only an order with changed lines has one
            self.promotions.record(order, on_hand)
        cost = self.catalogue.unit_cost
        changes = self._stock_changes
        record = changes.rows.append
        units = filled = waiting = lost = filled_lines = 0
        value = revenue = cogs = 0.0
        parcel: list[tuple[int, int]] | None = [] if self.track_parcels else None
        tracked = self.parcel_skus
        for sku, quantity in zip(skus, quantities, strict=True):
            units += quantity
            value += quantity * price[sku]
            have = on_hand[sku]
            got = quantity if have >= quantity else have
            short = quantity - got
            if got:
                on_hand[sku] = have - got
                filled += got
                filled_lines += 1
                revenue += got * price[sku]
                cogs += got * cost[sku]
                if parcel is not None and tracked[sku]:
                    parcel.append((sku, got))
            if short:
                if backorder[sku]:
                    backlog = self.backlogs[sku]
                    if backlog is None:
                        backlog = self.backlogs[sku] = deque()
                    backlog.append([short, order, got > 0])
                    backlog_units[sku] += short
                    waiting += short
                    record((t, sku, -got, short))
                else:
                    lost += short
                    if got:
                        record((t, sku, -got, 0))
            else:
                record((t, sku, -got, 0))
            # continuous review, asking the policy only when the position may call for an order
            if on_hand[sku] + on_order[sku] - backlog_units[sku] <= trigger[sku]:
                self.review(sku)
        changes.flush_if_full()
        order.lines = len(skus)
        order.units = units
        order.value = value
        order.units_filled = filled
        order.units_backordered = waiting
        order.units_waiting = waiting
        order.units_lost = lost
        order.pending_lines = filled_lines
        order.pending_units = filled
        order.pending_revenue = revenue
        order.pending_cogs = cogs
        order.parcel = parcel

    # ----------------------------------------------------------------- supply side

    def review(self, sku: int) -> None:
        """Ask the SKU's policy whether to order now, and place the order if so."""
        quantity = self.policies[sku].order_quantity(
            self.on_hand[sku] + self.on_order[sku] - self.backlog_units[sku]
        )
        if quantity > 0:
            self.place_order(sku, max(quantity, self.moq[sku]))

    def place_order(self, sku: int, quantity: int) -> None:
        env = self.env
        lead_time = self.lead_time[sku].next()
        self.on_order[sku] += quantity
        self._purchases.add((sku, env.now, quantity, env.now + lead_time))
        env.timeout(lead_time, value=(sku, quantity)).callbacks.append(self._receive)

    def expect(self, sku: int, t_order: float, quantity: int, t_receipt: float) -> None:
        """A purchase order placed before the run (an open state's): on order from now, received
        at ``t_receipt`` (>= now); ``t_order`` is negative, in the past."""
        self.on_order[sku] += quantity
        self._purchases.add((sku, t_order, quantity, t_receipt))
        delay = t_receipt - self.env.now
        self.env.timeout(delay, value=(sku, quantity)).callbacks.append(self._receive)

    def _receive(self, event: simpy.Event) -> None:
        sku, quantity = event.value
        self.on_order[sku] -= quantity
        self.units_received += quantity
        if self.bills is not None:
            self.bills.received(sku, quantity)
        on_hand = self.on_hand[sku] + quantity
        served = 0
        if self.spare_backlogs is not None and self.spare_backlogs[sku]:
            # spare parts for repairs come first: a customer waits, a broken unit is down
            on_hand, served = self._serve_spares(sku, on_hand)
        backlog = self.backlogs[sku]
        if backlog and on_hand:
            on_fill = self.on_fill

            def filled(entry: list, take: int, complete: bool) -> None:
                in_parcel = entry[2]
                if not complete:
                    entry[2] = True
                on_fill(entry[1], sku, take, not in_parcel)

            on_hand, units = serve_fifo(backlog, on_hand, filled)
            served += units
        self.on_hand[sku] = on_hand
        self.backlog_units[sku] -= served
        self._stock_changes.add((self.env.now, sku, quantity - served, -served))

    # ----------------------------------------------------------------- spare parts

    def enable_spares(self, parcel_skus: Sequence[bool]) -> None:
        """Switch on what after-sales needs: parcel SKUs on orders (only those ``parcel_skus``
        marks, the ones that can fail) and spare-part queues."""
        if len(parcel_skus) != len(self.catalogue):
            raise ValueError(
                f"parcel_skus: one flag per SKU expected ({len(self.catalogue)}), "
                f"got {len(parcel_skus)}"
            )
        self.track_parcels = True
        self.parcel_skus = list(parcel_skus)
        self.spare_backlogs = [deque() for _ in range(len(self.catalogue))]

    def issue_spare(
        self, sku: int, units: int, on_issued: Callable[[], None], ticket: int = -1
    ) -> bool:
        """Take ``units`` of ``sku`` from free stock for a repair (``ticket``).

        What is free is issued at once; the shortfall queues ahead of the SKU's customer backlog
        (it counts in the backlog, so the inventory position sees it) and is served first by the
        next receipts, whatever the SKU's shortage rule. ``on_issued()`` is called once every
        unit is issued: at once (and True is returned) if the stock covers the request, else
        from the receipt that completes it. Issued units leave the warehouse (``spare_issues``).
        Like a customer line, the request triggers the SKU's continuous review.
        """
        t = self.env.now
        have = self.on_hand[sku]
        got = units if have >= units else have
        short = units - got
        self.on_hand[sku] = have - got
        if got:
            self._spare_issues.add((t, sku, got, ticket))
        if short:
            self.spare_backlogs[sku].append([short, on_issued, ticket])
            self.backlog_units[sku] += short
        self._stock_changes.add((t, sku, -got, short))
        if (
            self.on_hand[sku] + self.on_order[sku] - self.backlog_units[sku]
            <= self.review_trigger[sku]
        ):
            self.review(sku)
        if short:
            return False
        on_issued()
        return True

    def spare_backlog_units(self) -> int:
        """Units of spare parts requested and not yet issued."""
        return sum(entry[0] for queue in self.spare_backlogs or () for entry in queue)

    def _serve_spares(self, sku: int, on_hand: int) -> tuple[int, int]:
        """Serve the SKU's spare-part queue, FIFO, from ``on_hand`` units (a receipt's stock);
        returns (units left, units issued)."""
        t = self.env.now
        add = self._spare_issues.add

        def issued(entry: list, take: int, complete: bool) -> None:
            add((t, sku, take, entry[2]))
            if complete:
                entry[1]()

        return serve_fifo(self.spare_backlogs[sku], on_hand, issued)

    def review_periodically(
        self, skus: list[int], period_days: float, first_day: float
    ) -> Generator:
        """Process: review ``skus`` every ``period_days``, starting at ``first_day``.

        Only a SKU whose position is at or below its policy's trigger is asked: above it no
        policy orders, and a large catalogue has thousands of SKUs to look at each time."""
        env = self.env
        on_hand, on_order, backlog_units = self.on_hand, self.on_order, self.backlog_units
        triggers = [(sku, self.policies[sku].trigger_position) for sku in skus]
        yield env.timeout(first_day)
        while True:
            for sku, trigger in triggers:
                if on_hand[sku] + on_order[sku] - backlog_units[sku] <= trigger:
                    self.review(sku)
            yield env.timeout(period_days)
