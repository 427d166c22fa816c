"""Invoices and receivables: each delivery is invoiced; the customer pays after a drawn delay, or
defaults and the invoice is written off.

Whether an invoice defaults and when it settles are drawn when it is issued, from the segment's
own streams; the settlement is still an event, so receivables are known at every moment (credit
rules read them).
"""

from __future__ import annotations

import simpy

from twin.records import Recorder
from twin.scenario.schema import Scenario
from twin.streams import Sampler, Streams, UniformSampler


class Ledger:
    """Open receivables and the settlement of every invoice."""

    def __init__(
        self, env: simpy.Environment, scenario: Scenario, streams: Streams, recorder: Recorder
    ) -> None:
        self.env = env
        self._invoices = recorder.invoices
        self._payment = []
        for name, segment in scenario.segments.items():
            payment = segment.payment
            self._payment.append(
                (
                    payment.terms_days,
                    Sampler(payment.delay_days, streams.generator("payment_delay", name)),
                    payment.default_probability,
                    UniformSampler(streams.generator("payment_default", name)),
                    payment.write_off_after_days,
                )
            )
        self.open_amount = 0.0

    def invoice(self, order_id: int, segment: int, customer: int, amount: float) -> None:
        """Issue an invoice now and schedule its payment or write-off."""
        env = self.env
        terms, delay, default_probability, default_draw, write_off_after = self._payment[segment]
        t = env.now
        # both draws are made for every invoice so the streams stay aligned across variants
        defaults = default_draw.next() < default_probability
        pay_delay = delay.next()
        settle_after = write_off_after if defaults else pay_delay
        row = (order_id, segment, customer, t, t + terms, amount, t + settle_after, defaults)
        self._invoices.add(row)
        self.open_amount += amount
        env.timeout(settle_after, value=amount).callbacks.append(self._settle)

    def _settle(self, event: simpy.Event) -> None:
        self.open_amount -= event.value
