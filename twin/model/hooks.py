"""The points where a lever plugs into the order lifecycle, as typed protocols.

Each lever is built only when its section is in the scenario; the components it plugs into hold
it as ``X | None`` and test ``is None`` (a plain comparison, no call) where the lever acts, so a
run without the lever costs nothing for it. :func:`twin.model.network.build` hands each hook to
its component at construction.

=================  ==========================================  ================================
lever              where it plugs in                           hook
=================  ==========================================  ================================
credit             order entry (``Fulfilment.accept``)         :class:`CreditCheck`
promotions         the order book (``DemandSource``), and      ``Window`` lists;
                   allocation records changed lines            :class:`PromotionLines`
after-sales        each delivered shipment                     :class:`AfterSalesHook`
customers          placement of candidate orders, and every    :class:`PlacementTest`;
                   experience (delivery, credit wait, ticket)  :class:`CustomerExperiences`
cash               each purchase-order receipt (``Stock``),    :class:`SupplierBills`;
                   each customer payment (``Ledger``)          :data:`PaymentHook`
=================  ==========================================  ================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from twin.model.entities import Order

#: ``release(order, skus, quantities)``: an order cleared for fulfilment is allocated and started
ReleaseOrder = Callable[[Order, list[int], list[int]], None]
#: ``fill(order, sku, units, new_line)``: backlogged units of an order arrived
FillOrder = Callable[[Order, int, int, bool], None]
#: ``on_payment(t_paid, segment, amount)``: a customer of the segment will pay ``amount`` then
PaymentHook = Callable[[float, int, float], None]


class CreditCheck(Protocol):
    """Decides when, and whether, a new order is allocated (``twin.model.credit``)."""

    def enter(self, order: Order, skus: list[int], quantities: list[int]) -> None:
        """Take a new order; release it (connection ``release``) once approved."""


class PromotionLines(Protocol):
    """Records what the promotions changed in each order (``twin.model.promotions``)."""

    def record(self, order: Order, on_hand: list[int]) -> None:
        """Record the order's changed lines before it is allocated from ``on_hand``."""


class AfterSalesHook(Protocol):
    """Turns delivered units into failures and tickets (``twin.model.service``)."""

    def delivered(self, order: Order, batch: int, parcel: list[tuple[int, int]]) -> None:
        """A shipment (row ``batch`` of ``shipments``) of ``parcel`` [(SKU, units)] arrived."""


class SupplierBills(Protocol):
    """Turns each purchase-order receipt into a supplier bill (``twin.model.cash``)."""

    def received(self, sku: int, quantity: int) -> None:
        """``quantity`` units of ``sku`` were received now: the supplier bills them."""


class CustomerExperiences(Protocol):
    """Hears of every experience a customer has (``twin.model.customers``)."""

    def delivered(self, order: Order) -> None:
        """The order's last unit is delivered."""

    def credit_held(self, order: Order, days_held: float, rejected: bool) -> None:
        """A held or reviewed order was released or rejected after ``days_held`` days."""

    def serviced(
        self, segment: int, customer: int, response_days: float, resolution_days: float
    ) -> None:
        """An after-sales ticket was resolved."""


@dataclass(frozen=True)
class PlacementTest:
    """Whether a candidate order of the customer loop is placed (``twin.model.customers``).

    ``places(k, customer)`` is asked at candidate ``k``'s arrival time. ``status`` is the
    customer base's status list of the segment (updated in place); a candidate whose customer's
    status is ``lost_from`` or more never places, so the source skips it without waiting.
    """

    status: list[int]
    lost_from: int
    places: Callable[[int, int], bool]
