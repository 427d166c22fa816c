"""Declared connections: ``build`` connects every component and checks it before the run, so a
missing connection fails at build time, naming the component and the connection."""

from __future__ import annotations

import pytest
import simpy

from twin.model.catalogue import Catalogue
from twin.model.context import Context
from twin.model.credit import CreditDesk
from twin.model.finance import Ledger
from twin.model.inventory import Stock, resolve_rules
from twin.model.network import build
from twin.model.order_book import expected_daily_units
from twin.model.wiring import WiringError, check_connections
from twin.records import Recorder
from twin.streams import Streams

CREDIT = {"credit": {"rules": [{"when": {"amount_over": 20}, "action": "hold"}]}}


def context_of(scenario) -> Context:
    catalogue = Catalogue.from_scenario(scenario)
    return Context(simpy.Environment(), scenario, Streams(1, 0), Recorder(), catalogue, {})


def stock_of(context: Context) -> Stock:
    scenario, catalogue = context.scenario, context.catalogue
    return Stock(
        context, resolve_rules(scenario, catalogue, expected_daily_units(scenario, catalogue))
    )


def test_build_connects_every_declared_connection(tiny):
    network = build(simpy.Environment(), tiny(CREDIT), Streams(1, 0), Recorder())
    assert network.stock.unconnected() == []
    assert network.credit is not None and network.credit.unconnected() == []


def test_a_component_left_unconnected_fails_the_check_naming_it(tiny):
    context = context_of(tiny(CREDIT))
    stock = stock_of(context)
    desk = CreditDesk(context, Ledger(context), stock)
    with pytest.raises(
        WiringError, match=r"not connected before the run: Stock\.on_fill, CreditDesk\.release"
    ):
        check_connections([stock, desk])
    stock.connect("on_fill", lambda order, sku, units, new_line: None)
    with pytest.raises(WiringError, match=r"run: CreditDesk\.release$"):
        check_connections([stock, desk])


def test_a_missing_connection_fails_at_build_time_before_the_run(tiny, monkeypatch):
    # a builder that forgets a connection: build raises before any process has run
    monkeypatch.setattr(Stock, "connect", lambda self, name, target: None)
    env = simpy.Environment()
    with pytest.raises(WiringError, match=r"Stock\.on_fill"):
        build(env, tiny(), Streams(1, 0), Recorder())
    assert env.now == 0.0 and env.peek() == float("inf")


def test_only_declared_connections_can_be_given(tiny):
    stock = stock_of(context_of(tiny()))
    with pytest.raises(
        WiringError, match=r"Stock has no connection 'fill' \(it declares on_fill\)"
    ):
        stock.connect("fill", print)
    with pytest.raises(WiringError, match=r"Stock\.on_fill: cannot connect None"):
        stock.connect("on_fill", None)
