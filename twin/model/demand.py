"""A segment's demand source: its order book, and the process that places each order in turn.

The arrival times (``twin.model.arrivals``) and contents (``twin.model.order_book``) of a whole
replication are drawn when the source is built. With the customer loop the book holds
*candidate* orders, drawn at the highest propensity over every customer slot, and the customer
base's :class:`~twin.model.hooks.PlacementTest` decides at each candidate's arrival whether it
is placed (Poisson thinning); without it every order of the book is placed. A segment with a
``customer_base`` takes its order times and customers from its cohort
(``twin.model.customer_base``) instead of its arrivals; its contents are drawn as for any order.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import replace

from twin.model.arrivals import replay_arrival_times, segment_arrival_times
from twin.model.context import Context
from twin.model.customer_base import CandidateOrders, Cohort, candidate_orders
from twin.model.customers import CustomerBase
from twin.model.entities import Order
from twin.model.flows import Timer
from twin.model.hooks import PlacementTest
from twin.model.order_book import OrderBook, draw_order_book, list_values
from twin.model.promotions import UNPLACED, Window
from twin.scenario.arrivals import PoissonArrivals


class DemandSource:
    """One segment's order stream: a process that creates each order at its arrival time."""

    def __init__(
        self,
        context: Context,
        name: str,
        number: int,
        promotions: list[Window],
        sized: bool,
        customers: CustomerBase | None = None,
        cohort: Cohort | None = None,
    ) -> None:
        """``promotions``: the windows offered to the segment (empty: none); ``sized``: each
        order comes with its list value (a credit check decides on it before allocation);
        ``customers``: the customer loop, which thins the book as it is placed; ``cohort``: the
        segment's drawn customer base, whose customers' purchases replace the arrivals."""
        scenario, streams, catalogue = context.scenario, context.streams, context.catalogue
        segment = scenario.segments[name]
        self.env = context.env
        self.name = name
        self.number = number
        self.segment = segment
        arrivals = segment.arrivals
        run = scenario.run
        # with the customer loop, Poisson candidates arrive at a rate scaled to cover it
        scale = 1.0
        orders: CandidateOrders | None = None
        if cohort is not None:
            if customers is not None:
                scale = customers.max_propensity
            pipeline = (
                customers.capacity[number] - cohort.n_known - cohort.n_new
                if customers is not None
                else 0
            )
            orders = candidate_orders(
                cohort, streams, name, scale, pipeline, thinned=customers is not None
            )
            times = orders.times
            self.skipped_rows = 0
        elif isinstance(arrivals, PoissonArrivals):
            if customers is not None:
                scale = customers.max_propensity
                slots = customers.capacity[number]
                arrivals = arrivals.model_copy(
                    update={
                        "rate_per_day": arrivals.rate_per_day * scale * slots / segment.customers
                    }
                )
            times = segment_arrival_times(arrivals, streams, name, run)
            self.skipped_rows = 0
        else:
            times, self.skipped_rows = replay_arrival_times(
                arrivals, run.start_date, run.horizon_days
            )
        book = draw_order_book(segment, times, catalogue, streams, name, promotions)
        self.placement: PlacementTest | None = None
        if orders is not None:
            book = replace(book, customers=orders.customers.tolist())
            if customers is not None:
                draws = context.streams.generator("repeat", name).random(len(book.times))
                self.placement = customers.cohort_placement_test(
                    number, draws.tolist(), scale, orders
                )
        elif customers is not None:
            book, self.placement = self._candidates(book, customers, scale, context)
        self.book: OrderBook = book
        # each order's list value, sized with the book (see list_values); None when not sized
        self.values: list[float] | None = list_values(book, catalogue.price) if sized else None

    def _candidates(
        self, book: OrderBook, customers: CustomerBase, scale: float, context: Context
    ) -> tuple[OrderBook, PlacementTest]:
        """The customer loop's candidate book and the test that thins it.

        Poisson candidates (drawn at the rate that covers every customer slot of the segment,
        initial customers and one per lead, at the highest propensity: the fitted rate times
        ``slots / customers x p(5)``) each get a customer uniformly over the slots (stream
        ``repeat``; the book's own draw when there are no slots beyond the initial customers).
        Replayed orders are the history at the reference score: they are kept as they are,
        thinned by ``min(1, p(s))``, and name only the initial customers. Each candidate has a
        uniform for thinning (stream ``repeat``).
        """
        repeat = context.streams.generator("repeat", self.name)
        slots = customers.capacity[self.number]
        if isinstance(self.segment.arrivals, PoissonArrivals) and slots > self.segment.customers:
            book = replace(book, customers=repeat.integers(0, slots, len(book.times)).tolist())
        draws = repeat.random(len(book.times)).tolist()
        return book, customers.placement_test(self.number, draws, scale)

    def run(
        self, next_id: Callable[[], int], accept: Callable[[Order, list[int], list[int]], None]
    ) -> Generator:
        """Process: at each arrival time create the order and hand it with its lines (SKU
        numbers and quantities) to ``accept``; a candidate of the customer loop only if its
        placement test passes then.

        A candidate due before anything else happens (before the next event on the heap) is
        tested now: the customers' state it reads cannot change before its time, so the test
        gives what it would give then, and a candidate it turns away needs no event.
        """
        env = self.env
        timer = Timer(env)  # one timeout, armed for each wait
        peek = env.peek
        number = self.number
        promise = self.segment.promised_lead_time_days
        book = self.book
        skus, quantities, line_start = book.skus, book.quantities, book.line_start
        promoted = book.promotion  # None: no promotion offered to the segment
        values = self.values
        test = self.placement  # None: every order of the book is placed
        if test is not None:
            status, lost_from, places = test.status, test.lost_from, test.places
        for k, (t, customer) in enumerate(zip(book.times, book.customers, strict=True)):
            if test is not None and status[customer] >= lost_from:
                continue  # churned for good, or never won: no need to wait for its time
            if promoted is not None and promoted[k] is UNPLACED:
                continue
            if test is not None and t < peek():  # nothing else happens before t
                if not places(k, customer):
                    continue  # turned away: no need to wait for its time
                delay = t - env._now  # env.now without the property's call (hot path)
                yield timer.wait(delay if delay > 0.0 else 0.0)
            else:
                delay = t - env._now
                yield timer.wait(delay if delay > 0.0 else 0.0)
                if test is not None and not places(k, customer):
                    continue
            a, b = line_start[k], line_start[k + 1]
            order = Order(next_id(), number, customer, t, t + promise)
            if values is not None:
                order.lines = b - a
                order.value = values[k]
            if promoted is not None and promoted[k] is not None:
                promoted[k].apply(order)
            accept(order, skus[a:b], quantities[a:b])
