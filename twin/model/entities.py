"""The things that move through the model: customer orders.

Plain ``__slots__`` classes rather than dataclasses: tens of thousands are made per replication and
their attributes are touched in the hot loop.
"""

from __future__ import annotations

import simpy

NOT_YET = float("nan")


class Order:
    """A customer order from arrival to its last delivery.

    Units move ``ordered -> filled on arrival | backordered | lost``; backordered units are filled
    later, FIFO as stock arrives. Pending units are filled but not yet dispatched.
    """

    __slots__ = (
        "customer",
        "id",
        "lines",
        "n_shipments",
        "parcel",
        "pending_cogs",
        "pending_lines",
        "pending_revenue",
        "pending_units",
        "prices",
        "promotion",
        "ready",
        "released",
        "segment",
        "t_arrival",
        "t_credit_rejected",
        "t_credit_released",
        "t_desk_end",
        "t_desk_start",
        "t_first_ship",
        "t_last_delivery",
        "t_promised",
        "units",
        "units_backordered",
        "units_delivered",
        "units_filled",
        "units_lost",
        "units_rejected",
        "units_waiting",
        "value",
    )

    def __init__(
        self, order_id: int, segment: int, customer: int, t_arrival: float, t_promised: float
    ) -> None:
        self.id = order_id
        self.segment = segment
        self.customer = customer
        self.t_arrival = t_arrival
        self.t_promised = t_promised
        self.lines = 0
        self.units = 0
        self.value = 0.0
        self.units_filled = 0
        self.units_backordered = 0
        self.units_lost = 0
        self.units_waiting = 0
        self.units_delivered = 0
        self.pending_lines = 0
        self.pending_units = 0
        self.pending_revenue = 0.0
        self.pending_cogs = 0.0
        # after-sales only: [(sku, units), ...] of the undispatched parcel; None when off
        self.parcel: list[tuple[int, int]] | None = None
        self.released = False
        self.ready: simpy.Event | None = None
        # per-SKU prices of an order with promoted lines or drawn line prices, a tuple or a
        # {SKU number: price} mapping (None: list prices), and what promotions changed in it
        # (twin.model.promotions.OrderPromotion)
        self.prices: tuple[float, ...] | None = None
        self.promotion = None
        self.n_shipments = 0
        self.t_desk_start = NOT_YET
        self.t_desk_end = NOT_YET
        self.t_first_ship = NOT_YET
        self.t_last_delivery = NOT_YET
        # the credit lever: released (approved) or rejected by the credit desk at these times
        self.units_rejected = 0
        self.t_credit_released = NOT_YET
        self.t_credit_rejected = NOT_YET

    def take_pending(self) -> tuple[int, int, float, float]:
        """Hand over the filled, undispatched part: (lines, units, revenue, cogs)."""
        parcel = (self.pending_lines, self.pending_units, self.pending_revenue, self.pending_cogs)
        self.pending_lines = self.pending_units = 0
        self.pending_revenue = self.pending_cogs = 0.0
        return parcel
