"""Tests of the scenario sections (twin.scenario.schema and the section modules): defaults,
per-section rules and cross-checks.

The models are validated directly from plain dicts (no files); ``tests/cli/test_bad_input.py``
checks how the same errors reach a planner through the loader.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from twin.distributions import Constant, Gamma
from twin.scenario.catalogue import Supplier
from twin.scenario.inventory import (
    BaseStock,
    Fulfilment,
    Inventory,
    InventoryRule,
    MinMax,
    ReorderPointQuantity,
)
from twin.scenario.run_control import RunControl
from twin.scenario.schema import Scenario
from twin.scenario.segments import PaymentBehaviour, Segment, SkuMix
from twin.scenario.staffing import Calendar, Staffing, parse_shift

MINIMAL: dict[str, Any] = {
    "name": "minimal",
    "products": [
        {"sku": "A", "unit_cost": 1.0, "price": 2.0, "supplier": "acme", "category": "tools"},
        {"sku": "B", "unit_cost": 3.0, "price": 5.0, "supplier": "acme"},
    ],
    "suppliers": {"acme": {"lead_time_days": 3}},
    "segments": {"shop": {"arrivals": {"kind": "poisson", "rate_per_day": 4.0}}},
    "inventory": {"default": {"policy": {"kind": "base_stock", "level": 10}}},
}


def scenario(**changes: Any) -> Scenario:
    """MINIMAL with top-level keys replaced."""
    return Scenario.model_validate({**copy.deepcopy(MINIMAL), **changes})


# --- defaults ---------------------------------------------------------------------------------


def test_run_control_defaults() -> None:
    run = RunControl()

    assert run.start_date == dt.date(2026, 1, 1)
    assert run.horizon_days == 365.0
    assert run.warmup_days == 0.0
    assert run.replications == 10
    assert run.seed == 12345


def test_fulfilment_defaults_to_ship_partial() -> None:
    assert Fulfilment().mode == "ship_partial"
    assert Fulfilment(mode="ship_complete").mode == "ship_complete"
    with pytest.raises(ValidationError, match="'ship_partial' or 'ship_complete'"):
        Fulfilment(mode="ship_whenever")


def test_a_minimal_scenario_gets_every_default() -> None:
    s = scenario()

    assert s.run == RunControl()
    assert s.fulfilment == Fulfilment()
    assert s.staffing is None
    assert s.description == ""
    assert s.costs.holding.annual_rate == 0.0
    assert s.costs.holding.per_unit_day is None
    assert s.costs.ordering.per_order == 0.0
    assert s.suppliers["acme"].min_order_quantity == 0
    segment = s.segments["shop"]
    assert segment.customers == 100
    assert segment.lines_per_order == Constant(value=1.0)
    assert segment.quantity == Constant(value=1.0)
    assert segment.transit_days == Constant(value=1.0)
    assert segment.promised_lead_time_days == 5.0
    assert segment.sku_mix == SkuMix(kind="uniform")
    assert segment.payment == PaymentBehaviour()
    assert segment.payment.delay_days == Constant(value=30.0)
    arrivals = segment.arrivals
    assert arrivals.weekday_multipliers == [1.0] * 7
    assert arrivals.monthly_multipliers == [1.0] * 12
    assert arrivals.trend_per_year == 0.0
    assert s.products[1].category is None
    assert s.horizon_days == 365.0 and s.warmup_days == 0.0


def test_models_are_frozen_and_reject_unknown_keys() -> None:
    run = RunControl()
    with pytest.raises(ValidationError, match="frozen"):
        run.seed = 1  # type: ignore[misc]
    with pytest.raises(ValidationError, match="horizon_dayz\n  Extra inputs are not permitted"):
        RunControl(horizon_dayz=30)  # type: ignore[call-arg]


# --- run control ------------------------------------------------------------------------------


def test_warmup_must_end_before_the_horizon() -> None:
    assert RunControl(horizon_days=30, warmup_days=29.5).warmup_days == 29.5
    with pytest.raises(
        ValidationError, match=r"warmup_days: 30 days must be shorter than horizon_days \(30\)"
    ):
        RunControl(horizon_days=30, warmup_days=30)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("horizon_days", 0, "greater than 0"),
        ("warmup_days", -1, "greater than or equal to 0"),
        ("replications", 0, "greater than 0"),
        ("seed", -1, "greater than or equal to 0"),
        ("horizon_days", float("nan"), "finite number"),
        ("horizon_days", float("inf"), "finite number"),
    ],
)
def test_run_control_rejects_out_of_range_values(field: str, value: float, expected: str) -> None:
    with pytest.raises(ValidationError, match=expected):
        RunControl(**{field: value})


# --- inventory --------------------------------------------------------------------------------


def test_inventory_default_needs_a_policy() -> None:
    with pytest.raises(ValidationError, match=r"inventory\.default needs a 'policy'"):
        Inventory(default=InventoryRule(shortage="backorder"))


def test_inventory_layers_below_the_default_may_leave_the_policy_out() -> None:
    inventory = Inventory(
        default={"policy": {"kind": "base_stock", "level": 5}},
        suppliers={"acme": {"review": {"kind": "periodic", "period_days": 7}}},
        categories={"tools": {"shortage": "lost_sale"}},
        skus={"A": {"initial_on_hand": 3}},
    )

    assert inventory.default.policy == BaseStock(kind="base_stock", level=5)
    assert inventory.suppliers["acme"].policy is None
    assert inventory.categories["tools"].shortage == "lost_sale"
    assert inventory.skus["A"].initial_on_hand == 3


def test_inventory_rule_takes_at_most_one_initial_stock() -> None:
    with pytest.raises(ValidationError, match="at most one of 'initial_on_hand'"):
        InventoryRule(initial_on_hand=3, initial_on_hand_days=2.0)


@pytest.mark.parametrize(
    "levels",
    [{"level": 10}, {"level_days": 12.5}],
)
def test_base_stock_takes_its_level_in_units_or_days(levels: dict[str, float]) -> None:
    policy = BaseStock(kind="base_stock", **levels)

    assert (policy.level, policy.level_days) == (levels.get("level"), levels.get("level_days"))


@pytest.mark.parametrize("levels", [{}, {"level": 10, "level_days": 12.5}])
def test_base_stock_needs_exactly_one_of_units_and_days(levels: dict[str, float]) -> None:
    with pytest.raises(
        ValidationError, match=r"give exactly one of 'level' \(units\) and 'level_days' \(days\)"
    ):
        BaseStock(kind="base_stock", **levels)


@pytest.mark.parametrize(
    "levels",
    [
        {"reorder_point": 5, "order_up_to": 20},
        {"reorder_point_days": 3, "order_up_to_days": 10},
        {"reorder_point": 5, "order_up_to_days": 10},  # each level on its own basis
    ],
)
def test_min_max_takes_each_level_in_units_or_days(levels: dict[str, float]) -> None:
    assert MinMax(kind="min_max", **levels).model_dump(exclude_none=True) == {
        "kind": "min_max",
        **levels,
    }


@pytest.mark.parametrize(
    ("levels", "missing"),
    [
        ({"order_up_to": 20}, "reorder_point"),
        ({"reorder_point": 5, "reorder_point_days": 3, "order_up_to": 20}, "reorder_point"),
        ({"reorder_point": 5}, "order_up_to"),
        ({"reorder_point": 5, "order_up_to": 20, "order_up_to_days": 9}, "order_up_to"),
    ],
)
def test_min_max_needs_exactly_one_of_units_and_days_per_level(
    levels: dict[str, float], missing: str
) -> None:
    with pytest.raises(
        ValidationError, match=f"give exactly one of '{missing}' \\(units\\) and '{missing}_days'"
    ):
        MinMax(kind="min_max", **levels)


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        ({"reorder_point": 20, "order_up_to": 20}, r"reorder_point \(20\) must be below "),
        (
            {"reorder_point_days": 9.5, "order_up_to_days": 4},
            r"reorder_point_days \(9\.5\) must be below order_up_to_days \(4\)",
        ),
    ],
)
def test_min_max_reorder_point_must_be_below_order_up_to(
    levels: dict[str, float], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        MinMax(kind="min_max", **levels)


def test_reorder_point_quantity_needs_exactly_one_of_units_and_days() -> None:
    assert (
        ReorderPointQuantity(
            kind="reorder_point_quantity", reorder_point=4, quantity_days=7
        ).quantity_days
        == 7
    )
    with pytest.raises(ValidationError, match="give exactly one of 'quantity' "):
        ReorderPointQuantity(kind="reorder_point_quantity", reorder_point=4)
    with pytest.raises(ValidationError, match="give exactly one of 'reorder_point' "):
        ReorderPointQuantity(
            kind="reorder_point_quantity", reorder_point=4, reorder_point_days=1, quantity=10
        )
    with pytest.raises(ValidationError, match="quantity\n  Input should be greater than 0"):
        ReorderPointQuantity(kind="reorder_point_quantity", reorder_point=4, quantity=0)


def test_policy_kind_picks_the_policy_class() -> None:
    rule = InventoryRule(
        policy={"kind": "reorder_point_quantity", "reorder_point": 1, "quantity": 6}
    )

    assert isinstance(rule.policy, ReorderPointQuantity)
    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        InventoryRule(policy={"kind": "two_bin", "level": 3})


# --- staffing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("08:00-17:00", (8.0, 17.0)),
        ("06:30-14:15", (6.5, 14.25)),
        ("00:00-24:00", (0.0, 24.0)),
        ("22:00-23:59", (22.0, 23 + 59 / 60)),
    ],
)
def test_parse_shift_gives_hours_of_the_day(text: str, hours: tuple[float, float]) -> None:
    assert parse_shift(text) == pytest.approx(hours)


@pytest.mark.parametrize("text", ["8-17", "08:00 - 17:00", "0800-1700", "08:00-17", ""])
def test_parse_shift_rejects_other_spellings(text: str) -> None:
    with pytest.raises(ValueError, match="a shift is written 'HH:MM-HH:MM'"):
        parse_shift(text)


@pytest.mark.parametrize("text", ["17:00-08:00", "08:00-08:00", "08:60-09:00", "20:00-24:30"])
def test_parse_shift_rejects_shifts_that_do_not_fit_in_a_day(text: str) -> None:
    with pytest.raises(ValueError, match="must start before it ends, within 00:00-24:00"):
        parse_shift(text)


def test_calendar_defaults_to_office_hours_on_weekdays() -> None:
    calendar = Calendar()

    assert calendar.shift_hours() == [(8.0, 17.0)]
    assert calendar.weekday_numbers() == [0, 1, 2, 3, 4]
    assert calendar.holidays == []
    assert not calendar.always_open


def test_calendar_sorts_shifts_and_allows_them_to_touch() -> None:
    calendar = Calendar(shifts=["14:00-22:00", "06:00-14:00"], weekdays=["sat", "mon"])

    assert calendar.shift_hours() == [(6.0, 14.0), (14.0, 22.0)]
    assert calendar.weekday_numbers() == [0, 5]


def test_calendar_rejects_overlapping_shifts() -> None:
    with pytest.raises(ValidationError, match="shifts overlap"):
        Calendar(shifts=["08:00-17:00", "16:00-20:00"])


def test_calendar_rejects_unknown_weekdays_and_empty_lists() -> None:
    with pytest.raises(ValidationError, match=r"weekdays\.1\n  Input should be 'mon'"):
        Calendar(weekdays=["mon", "monday"])
    with pytest.raises(ValidationError, match="at least 1 item"):
        Calendar(shifts=[])


ALL_WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def test_calendar_is_always_open_only_round_the_clock_every_day_without_holidays() -> None:
    assert Calendar(shifts=["00:00-24:00"], weekdays=ALL_WEEK).always_open
    assert not Calendar(shifts=["00:00-24:00"], weekdays=ALL_WEEK[:6]).always_open
    assert not Calendar(shifts=["00:00-23:00"], weekdays=ALL_WEEK).always_open
    assert not Calendar(
        shifts=["00:00-24:00"], weekdays=ALL_WEEK, holidays=[dt.date(2026, 12, 25)]
    ).always_open


def test_staffing_roles_must_name_a_known_calendar() -> None:
    role = {"headcount": 2, "calendar": "night", "minutes_per_order": 3}
    with pytest.raises(
        ValidationError,
        match=r"order_desk\.calendar: 'night' is not in staffing\.calendars \(none defined\)",
    ):
        Staffing(order_desk=role)
    staffing = Staffing(calendars={"night": {"shifts": ["22:00-24:00"]}}, order_desk=role)
    assert list(staffing.roles()) == ["order_desk"]
    assert staffing.order_desk.cost_per_hour == 0.0


# --- demand -----------------------------------------------------------------------------------


def test_sku_mix_defaults_to_uniform() -> None:
    mix = SkuMix()

    assert (mix.kind, mix.exponent, mix.weights, mix.categories) == ("uniform", 1.0, None, None)


def test_sku_mix_weights_go_with_kind_weights_only() -> None:
    assert SkuMix(kind="weights", weights={"A": 2, "B": 0}).weights == {"A": 2.0, "B": 0.0}
    with pytest.raises(ValidationError, match="'weights' or 'weights_file' is required with kind"):
        SkuMix(kind="weights")
    with pytest.raises(ValidationError, match="and only allowed there"):
        SkuMix(kind="zipf", weights={"A": 1})


def test_sku_mix_weights_need_one_above_zero_and_none_below() -> None:
    with pytest.raises(ValidationError, match="at least one weight must be > 0"):
        SkuMix(kind="weights", weights={"A": 0, "B": 0})
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        SkuMix(kind="weights", weights={"A": 1, "B": -1})
    with pytest.raises(ValidationError, match="greater than 0"):
        SkuMix(kind="zipf", exponent=0)


def test_poisson_arrivals_need_a_day_with_demand() -> None:
    arrivals = {"kind": "poisson", "rate_per_day": 2.0, "weekday_multipliers": [0] * 7}
    with pytest.raises(ValidationError, match="the multipliers leave no day with demand"):
        Segment(arrivals=arrivals)
    with pytest.raises(ValidationError, match="at least 7 items"):
        Segment(arrivals={**arrivals, "weekday_multipliers": [1] * 5})


def test_replay_arrivals_take_times_or_a_file_column() -> None:
    times = {"kind": "replay", "times": ["2026-01-05 10:00", "2026-01-06"]}
    assert Segment(arrivals=times).arrivals.times == [
        dt.datetime(2026, 1, 5, 10, 0),
        dt.datetime(2026, 1, 6),
    ]
    with pytest.raises(ValidationError, match="give either 'times'"):
        Segment(arrivals={"kind": "replay"})
    with pytest.raises(ValidationError, match="'file' needs 'column'"):
        Segment(arrivals={"kind": "replay", "file": "orders.csv"})
    with pytest.raises(ValidationError, match=r"item 0 \(.*\) has a UTC offset"):
        Segment(arrivals={"kind": "replay", "times": ["2026-01-05T10:00:00+01:00"]})


# --- distributions in the schema --------------------------------------------------------------


@pytest.mark.parametrize("number", [3, 2.5, 0])
def test_a_bare_number_is_a_constant_distribution(number: float) -> None:
    supplier = Supplier(lead_time_days=number)

    assert supplier.lead_time_days == Constant(value=number)
    assert supplier.lead_time_days.mean == number


def test_a_mapping_with_dist_is_that_distribution() -> None:
    supplier = Supplier(lead_time_days={"dist": "gamma", "shape": 2.0, "scale": 1.5})

    assert supplier.lead_time_days == Gamma(shape=2.0, scale=1.5)


def test_a_boolean_is_not_a_constant() -> None:
    # YAML reads `yes` as True, and Python's True is a number; neither is a lead time of 1 day.
    with pytest.raises(ValidationError, match="input_value=True"):
        Supplier(lead_time_days=True)


@pytest.mark.parametrize(
    ("model", "field", "what"),
    [
        (Supplier, "lead_time_days", "a lead time"),
        (PaymentBehaviour, "delay_days", "a payment delay"),
    ],
)
def test_durations_cannot_be_negative(model: type, field: str, what: str) -> None:
    with pytest.raises(ValidationError, match=f"{what} cannot be negative"):
        model(**{field: -1})
    with pytest.raises(ValidationError, match=f"{what} cannot be negative"):
        model(**{field: {"dist": "uniform", "low": -1, "high": 2}})


# --- the whole scenario -----------------------------------------------------------------------


def test_products_must_name_a_known_supplier() -> None:
    products = [*MINIMAL["products"], {"sku": "C", "unit_cost": 1, "price": 2, "supplier": "zed"}]
    with pytest.raises(
        ValidationError, match=r"products\.2\.supplier: product 'C' names supplier 'zed'"
    ):
        scenario(products=products)


def test_skus_must_be_unique() -> None:
    with pytest.raises(ValidationError, match="SKU 'A' is listed twice"):
        scenario(products=[MINIMAL["products"][0]] * 2)


def test_a_scenario_needs_products() -> None:
    with pytest.raises(ValidationError, match="the scenario has no products"):
        scenario(products=[])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {
                "segments": {
                    "shop": {**MINIMAL["segments"]["shop"], "sku_mix": {"categories": ["x"]}}
                }
            },
            r"segments\.shop\.sku_mix\.categories\.0: unknown category 'x'",
        ),
        (
            {
                "segments": {
                    "shop": {
                        **MINIMAL["segments"]["shop"],
                        "sku_mix": {"kind": "weights", "weights": {"Z": 1}},
                    }
                }
            },
            r"segments\.shop\.sku_mix\.weights\.Z: unknown SKU 'Z'",
        ),
        (
            {"inventory": {**MINIMAL["inventory"], "suppliers": {"zed": {}}}},
            r"inventory\.suppliers\.zed: unknown supplier 'zed'",
        ),
        (
            {"inventory": {**MINIMAL["inventory"], "categories": {"toys": {}}}},
            r"inventory\.categories\.toys: unknown category 'toys'",
        ),
        (
            {"inventory": {**MINIMAL["inventory"], "skus": {"Z": {}}}},
            r"inventory\.skus\.Z: unknown SKU 'Z'",
        ),
    ],
)
def test_references_to_skus_categories_and_suppliers_must_resolve(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        scenario(**changes)


def test_names_are_restricted_to_plain_characters() -> None:
    with pytest.raises(ValidationError, match="String should match pattern"):
        scenario(name="my scenario")
    assert scenario(name="v2.lost-sales_test").name == "v2.lost-sales_test"


def test_equal_inputs_give_equal_scenarios() -> None:
    assert scenario() == scenario()
    assert scenario() != scenario(description="other")


# --- arrival trend changes and events -------------------------------------------------------------


def arrivals(**changes: Any) -> dict[str, Any]:
    """MINIMAL's segment arrivals with keys added."""
    return {"shop": {"arrivals": {"kind": "poisson", "rate_per_day": 4.0, **changes}}}


def test_arrival_trend_changes_and_events_are_accepted() -> None:
    segments = arrivals(
        trend_changes=[{"date": "2026-03-01", "trend_per_year": -0.1}],
        events=[
            {"name": "black_friday", "rule": "black_friday", "multiplier": 3.0},
            {"name": "holidays", "rule": "public_holidays", "country": "BR", "multiplier": 0.8},
            {"name": "sale", "dates": ["2026-05-05"], "duration_days": 3, "multiplier": 1.5},
        ],
    )
    spec = scenario(segments=segments).segments["shop"].arrivals
    assert spec.trend_changes[0].date == dt.date(2026, 3, 1)
    assert [event.name for event in spec.events] == ["black_friday", "holidays", "sale"]
    # Without them the arrivals are exactly the old model.
    plain = scenario().segments["shop"].arrivals
    assert plain.trend_changes == [] and plain.events == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"events": [{"name": "bf", "multiplier": 2.0}]},
            "event 'bf' has no days: give 'dates'",
        ),
        (
            {"events": [{"name": "bf", "rule": "easter", "multiplier": 2.0}]},
            "unknown rule 'easter'; known rules are black_friday",
        ),
        (
            {
                "events": [
                    {"name": "x", "rule": "black_friday", "dates": ["2026-01-01"], "multiplier": 1}
                ]
            },
            "give either 'dates' or 'rule', not both",
        ),
        (
            {"events": [{"name": "h", "rule": "public_holidays", "multiplier": 1.0}]},
            "'country' goes with rule public_holidays",
        ),
        (
            {
                "events": [
                    {"name": "h", "rule": "public_holidays", "country": "XX", "multiplier": 1}
                ]
            },
            "no public holidays are known for country 'XX'",
        ),
        (
            {
                "events": [
                    {"name": "a", "rule": "black_friday", "multiplier": 1.0},
                    {"name": "a", "rule": "cyber_monday", "multiplier": 1.0},
                ]
            },
            "the name\\(s\\) a are used twice",
        ),
        (
            {"events": [{"name": "bf", "rule": "black_friday", "multiplier": -1.0}]},
            "greater than or equal to 0",
        ),
        (
            {
                "trend_changes": [
                    {"date": "2026-05-01", "trend_per_year": 0.1},
                    {"date": "2026-03-01", "trend_per_year": 0.0},
                ]
            },
            "trend_changes must be in increasing date order; 2026-03-01 follows 2026-05-01",
        ),
    ],
)
def test_bad_arrival_events_and_trend_changes_are_rejected(
    changes: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ValidationError, match=expected):
        scenario(segments=arrivals(**changes))


def test_bad_arrival_event_in_a_file_is_an_input_error(tmp_path: Any) -> None:
    import yaml

    from twin.errors import InputError
    from twin.scenario.loader import load

    data = copy.deepcopy(MINIMAL)
    data["segments"] = arrivals(events=[{"name": "bf", "multiplier": 2.0}])
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match="has no days"):
        load(Scenario, path)
