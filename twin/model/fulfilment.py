"""The order lifecycle: allocation, order desk, picking, shipment, delivery, invoice.

``accept`` runs at the order's arrival: it allocates every line from stock, then starts the
order's process. The process waits for the order desk (if staffed) and then for the segment's
handling delay (if any), then dispatches what is filled: under ship-partial at once (later fills
follow in shipments of their own), under ship-complete only when every backordered unit has
arrived. Each shipment is picked by the warehouse (if staffed), travels for the segment's
transit time, and is invoiced on delivery.

The handling delay stands for order processing the scenario does not staff (approval, credit
checks, a seller's or carrier's dispatch cadence). It is a per-order timeout, not a queue, and
stock arriving meanwhile joins the first shipment: the first shipment is ready at the later of
handling done and stock there. Later shipments of backfilled units do not wait for it again.
A segment without one (``handling_days: 0``) takes exactly the path it takes without the field.
"""

from __future__ import annotations

import heapq
from collections.abc import Generator
from itertools import count

from twin.distributions import Constant
from twin.model.context import Context
from twin.model.entities import Order
from twin.model.finance import Ledger
from twin.model.flows import run_flow, start_flow
from twin.model.hooks import AfterSalesHook, CreditCheck, CustomerExperiences
from twin.model.inventory import Stock
from twin.model.order_log import OrderLog
from twin.model.staff import MINUTES_PER_DAY
from twin.records import ColumnTable
from twin.streams import Sampler

CHUNK = ColumnTable.CHUNK  # rows a table buffers (shipments append to the buffer)


class Fulfilment:
    """Moves orders from arrival to delivery; owns the order log of the replication (an order
    leaves it as a row once its last units are delivered)."""

    def __init__(
        self,
        context: Context,
        ledger: Ledger,
        stock: Stock,
        credit: CreditCheck | None = None,
        service: AfterSalesHook | None = None,
        customers: CustomerExperiences | None = None,
    ) -> None:
        """The levers, each None when the scenario has no such section: ``credit`` decides when,
        and whether, an order is allocated; ``service`` hears of the delivered units that can
        fail; ``customers`` hears of each completed order."""
        env, scenario, streams = context.env, context.scenario, context.streams
        catalogue, roles = context.catalogue, context.roles
        self.env = env
        self.orders = OrderLog()
        self.stock = stock
        self.ledger = ledger
        self.price = catalogue.price
        self.unit_cost = catalogue.unit_cost
        self.ship_complete = scenario.fulfilment.mode == "ship_complete"
        self._shipments = context.recorder.shipments
        self._shipment_rows = context.recorder.shipments.rows  # appended to directly
        self.transit = [
            Sampler(s.transit_days, streams.generator("transit", name))
            for name, s in scenario.segments.items()
        ]
        # None where a segment has no handling delay: its orders skip the timeout altogether
        self.handling: list[Sampler | None] = [
            None
            if isinstance(s.handling_days, Constant) and s.handling_days.value == 0
            else Sampler(s.handling_days, streams.generator("handling", name))
            for name, s in scenario.segments.items()
        ]
        self.credit = credit
        self.service = service
        self.customers = customers
        staffing = scenario.staffing
        self.desk = roles.get("order_desk")
        self.warehouse = roles.get("warehouse")
        if self.desk is not None:
            self.desk_minutes = Sampler(
                staffing.order_desk.minutes_per_order,
                streams.generator("desk_service", "order_desk"),
            )
        if self.warehouse is not None:
            self.pick_minutes = Sampler(
                staffing.warehouse.minutes_per_shipment,
                streams.generator("pick_service", "warehouse"),
            )
            self.pick_line_minutes = Sampler(
                staffing.warehouse.minutes_per_line,
                streams.generator("pick_service_line", "warehouse"),
            )
        # deliveries nothing acts on, booked in time order as time passes (defer_deliveries)
        self._deliveries: list[tuple[float, int, Order, int, float]] | None = None
        self._delivery_numbers = count()
        self.shipping = roles.get("shipping")
        if self.shipping is not None:
            self.ship_minutes = Sampler(
                staffing.shipping.minutes_per_shipment,
                streams.generator("ship_service", "shipping"),
            )

    def defer_deliveries(self) -> None:
        """Book deliveries after the fact, in time order, instead of each after a transit
        timeout: only when nothing acts on a delivery as it happens (no credit accounts, cash
        book, after-sales or customer loop; :func:`twin.model.network.build` decides). A
        delivery's units, time and invoice, and the order of the invoices' draws, stay the
        same."""
        self._deliveries = []

    def book_deliveries(self, until: float) -> None:
        """Book the deferred deliveries due before ``until``: units delivered, the last
        delivery's time and the invoice, each at its own time."""
        deliveries = self._deliveries
        if not deliveries:
            return
        invoice_at = self.ledger.invoice_at
        finish = self.orders.finish
        while deliveries and deliveries[0][0] < until:
            t, _, order, units, revenue = heapq.heappop(deliveries)
            order.units_delivered += units
            order.t_last_delivery = t
            invoice_at(t, order.id, order.segment, order.customer, revenue)
            if order.units_delivered + order.units_lost == order.units:  # its last delivery
                finish(order)

    def next_id(self) -> int:
        """The id of the next order: the number of orders created so far."""
        return len(self.orders)

    # ----------------------------------------------------------------- arrival

    def accept(self, order: Order, skus: list[int], quantities: list[int]) -> None:
        """Take a new order: through the credit check if there is one, else straight on."""
        self.orders.append(order)
        if self.credit is None:
            self.stock.allocate_order(order, skus, quantities)
            run_flow(self.lifecycle(order))
        else:
            self.credit.enter(order, skus, quantities)  # release() once approved

    def release(self, order: Order, skus: list[int], quantities: list[int]) -> None:
        """An order cleared for fulfilment: allocate every line and start its lifecycle."""
        self.stock.allocate_order(order, skus, quantities)
        run_flow(self.lifecycle(order))

    def fill(self, order: Order, sku: int, units: int, new_line: bool) -> None:
        """Backlogged units of ``order`` arrived (called by the stock as it serves its backlog);
        ``new_line``: the line has no units in the order's undispatched parcel yet."""
        order.units_waiting -= units
        price = self.price if order.prices is None else order.prices  # promoted lines' own prices
        if self.ship_complete or not order.released:
            # an order has at most one undispatched parcel: the one its first shipment takes
            order.pending_lines += new_line
            order.pending_units += units
            order.pending_revenue += units * price[sku]
            order.pending_cogs += units * self.unit_cost[sku]
            if order.parcel is not None and self.stock.parcel_skus[sku]:
                order.parcel.append((sku, units))  # after-sales: the parcel's SKUs that can fail
            if order.units_waiting == 0 and order.ready is not None:
                order.ready.succeed()
        else:
            parcel = None
            if order.parcel is not None:  # after-sales: the SKU, if it can fail
                parcel = [(sku, units)] if self.stock.parcel_skus[sku] else []
            start_flow(
                self.env,
                self.ship(order, 1, units, units * price[sku], units * self.unit_cost[sku], parcel),
            )

    # ----------------------------------------------------------------- processes

    def lifecycle(self, order: Order) -> Generator:
        """Process: order desk, handling delay, then dispatch of what is filled (the first
        shipment inline)."""
        env = self.env
        if self.desk is not None:
            job = self.desk.serve(self.desk_minutes.next() / MINUTES_PER_DAY)
            yield job
            order.t_desk_start = job.t_start
        order.t_desk_end = env._now  # env.now without the property's call (hot path)
        handling = self.handling[order.segment]
        if handling is not None:
            delay = handling.next()
            if delay > 0.0:
                # not yet released: units filled meanwhile join the first shipment
                yield env.timeout(delay)
        yield from self.dispatch(order)

    def resume(self, order: Order, skus: list[int], quantities: list[int]) -> None:
        """Take an order accepted before the run (an open state's backlog): allocated now, in
        the order such orders are given (FIFO by order date), and released at once, since its
        order-desk work and handling were done before day 0."""
        self.orders.append(order)
        self.stock.allocate_order(order, skus, quantities)
        start_flow(self.env, self.dispatch(order))

    def dispatch(self, order: Order) -> Generator:
        """Process fragment: release the order and ship what is filled (under ship-complete,
        once every backordered unit has arrived); later fills ship through ``fill``."""
        order.released = True
        if self.ship_complete and order.units_waiting:
            order.ready = self.env.event()
            yield order.ready
        if order.pending_units:
            parcel = order.parcel  # after-sales: the parcel's SKUs go with it
            if parcel is not None:
                order.parcel = []
            yield from self.ship(order, *order.take_pending(), parcel)

    def ship(
        self,
        order: Order,
        lines: int,
        units: int,
        revenue: float,
        cogs: float,
        parcel: list[tuple[int, int]] | None = None,
    ) -> Generator:
        """Process fragment: pick, pack, travel, deliver and invoice one shipment (``parcel``:
        its (SKU, units) of the SKUs that can fail, tracked only for after-sales)."""
        env = self.env
        t_ready = env._now  # env.now without the property's call (hot path)
        order.n_shipments += 1
        if self.warehouse is not None:
            minutes = self.pick_minutes.next()
            if lines:
                minutes += sum(self.pick_line_minutes.take(lines))
            yield self.warehouse.serve(minutes / MINUTES_PER_DAY)
        if self.shipping is not None:
            yield self.shipping.serve(self.ship_minutes.next() / MINUTES_PER_DAY)
        t_shipped = env._now
        if order.t_first_ship != order.t_first_ship:  # NaN: first shipment
            order.t_first_ship = t_shipped
        transit = self.transit[order.segment].next()
        # recorded as it leaves, so stock in transit at the horizon is still accounted for
        row = (order.id, t_ready, t_shipped, t_shipped + transit, lines, units, revenue, cogs)
        batch = len(self._shipments) if parcel else -1  # the shipment's row number
        rows = self._shipment_rows
        rows.append(row)  # ColumnTable.add, inline
        if len(rows) >= CHUNK:
            self._shipments.flush()
        deliveries = self._deliveries
        if deliveries is not None:  # nothing acts on the delivery: book it when time has passed
            if deliveries and deliveries[0][0] < t_shipped:
                self.book_deliveries(t_shipped)
            number = next(self._delivery_numbers)
            heapq.heappush(deliveries, (t_shipped + transit, number, order, units, revenue))
            return
        yield env.timeout(transit)
        order.units_delivered += units
        order.t_last_delivery = env._now
        self.ledger.invoice(order.id, order.segment, order.customer, revenue)
        if parcel:  # units that can fail
            self.service.delivered(order, batch, parcel)
        # the last delivery completes the order: an experience for the customer loop
        if order.units_delivered + order.units_lost == order.units:
            if self.customers is not None:
                self.customers.delivered(order)
            self.orders.finish(order)
