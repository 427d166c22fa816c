"""Staffing lever: headcount plans, hiring lag, overtime, the shipping role and per-role KPIs.

Exact traces run replayed orders through the :data:`conftest.TINY` scenario (day 0 is Monday
2026-01-05, orders of 2 units, transit 2 d) with constant work times, so every time is worked out
by hand in the test. ``ALWAYS`` is a 24/7 calendar (work runs on the clock), ``OFFICE`` is
Mon-Fri 08:00-17:00. Times are compared to 1e-9 days.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.calendar import WorkCalendar
from twin.errors import InputError
from twin.kpis import compute_kpis, kpi_units
from twin.kpis import staff as staff_kpis
from twin.model.network import run_replication
from twin.model.staff import headcount_schedule
from twin.records import RunResult
from twin.scenario.loader import load
from twin.scenario.schema import Scenario
from twin.scenario.staffing import Role

DAY0 = dt.date(2026, 1, 5)  # a Monday
TOL = 1e-9
SMALL = "tests/cli/fixtures/small.yaml"

CALENDARS = {
    "always": {
        "shifts": ["00:00-24:00"],
        "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    },
    "office": {"shifts": ["08:00-17:00"], "weekdays": ["mon", "tue", "wed", "thu", "fri"]},
}


def at(day: int, clock: str = "00:00") -> float:
    hours, minutes = (int(x) for x in clock.split(":"))
    return day + hours / 24 + minutes / 1440


def stamp(day: int, clock: str = "00:00") -> str:
    return f"{DAY0 + dt.timedelta(days=day)}T{clock}"


def replay(*times: str) -> dict:
    return {"segments": {"shop": {"arrivals": {"kind": "replay", "times": list(times)}}}}


def desk(**role) -> dict:
    """A staffing section with only an order desk (two days of work per order by default)."""
    spec = {"headcount": 1, "calendar": "always", "minutes_per_order": 2880, **role}
    return {"staffing": {"calendars": CALENDARS, "order_desk": spec}}


def jobs_of(result: RunResult, role: str) -> pd.DataFrame:
    jobs = result.tables["staff_jobs"]
    return jobs[jobs["role"] == role].reset_index(drop=True)


def assert_times(actual: pd.Series, expected: list[float]) -> None:
    assert actual.tolist() == pytest.approx(expected, abs=TOL, nan_ok=True)


# ----------------------------------------------------------------------------- plans


def test_a_plan_step_adds_a_person_who_takes_the_queued_job_at_the_change(tiny):
    # Two orders on Monday noon and 13:00, two days of desk work each. One person takes the first
    # (12:00 -> Wed 12:00); the second waits until the second person joins, Tuesday 00:00.
    plan = [{"from": "2026-01-06", "headcount": 2}]
    result = run_replication(tiny(desk(plan=plan), replay(stamp(0, "12:00"), stamp(0, "13:00"))), 0)
    jobs = jobs_of(result, "order_desk")
    assert_times(jobs["t_request"], [at(0, "12:00"), at(0, "13:00")])
    assert_times(jobs["t_start"], [at(0, "12:00"), at(1)])
    assert_times(jobs["t_end"], [at(2, "12:00"), at(3)])
    # without the plan the second job waits for the first person: Wed 12:00 -> Fri 12:00
    alone = run_replication(tiny(desk(), replay(stamp(0, "12:00"), stamp(0, "13:00"))), 0)
    assert_times(jobs_of(alone, "order_desk")["t_start"], [at(0, "12:00"), at(2, "12:00")])


def test_hiring_lag_delays_the_new_person(tiny):
    # the increase planned for Tuesday 00:00 counts half a day later, Tuesday 12:00
    role = desk(plan=[{"from": "2026-01-06", "headcount": 2}], hiring_lag_days=0.5)
    result = run_replication(tiny(role, replay(stamp(0, "12:00"), stamp(0, "13:00"))), 0)
    jobs = jobs_of(result, "order_desk")
    assert_times(jobs["t_start"], [at(0, "12:00"), at(1, "12:00")])
    assert_times(jobs["t_end"], [at(2, "12:00"), at(3, "12:00")])
    assert result.roles["order_desk"]["headcount_steps"] == ([0.0, 1.5], [1, 2])


def test_a_decrease_while_everyone_is_busy_waits_for_them_to_finish(tiny):
    # Two people take the orders of 12:00 and 12:10 (done Wed 12:00 and 12:10); the orders of
    # 12:20 and 12:30 queue. From Tuesday there is one person: nobody is interrupted, the first to
    # finish (Wed 12:00) leaves, the other takes the 12:20 order at 12:10 (done Fri 12:10), and
    # the 12:30 order starts only then.
    role = desk(headcount=2, plan=[{"from": "2026-01-06", "headcount": 1}])
    orders = replay(*(stamp(0, clock) for clock in ("12:00", "12:10", "12:20", "12:30")))
    jobs = jobs_of(run_replication(tiny(role, orders), 0), "order_desk")
    assert_times(jobs["t_start"], [at(0, "12:00"), at(0, "12:10"), at(2, "12:10"), at(4, "12:10")])
    assert_times(jobs["t_end"], [at(2, "12:00"), at(2, "12:10"), at(4, "12:10"), at(6, "12:10")])


def test_a_closed_desk_holds_its_jobs_until_it_reopens(tiny):
    # headcount 0 from the start (a plan step dated on day 0) until Wednesday
    plan = [{"from": "2026-01-05", "headcount": 0}, {"from": "2026-01-07", "headcount": 1}]
    result = run_replication(tiny(desk(plan=plan), replay(stamp(0, "12:00"))), 0)
    assert_times(jobs_of(result, "order_desk")["t_start"], [at(2)])
    assert result.roles["order_desk"]["headcount_steps"] == ([0.0, 2.0], [0, 1])


def test_headcount_schedule_takes_the_least_planned_over_the_hiring_lag():
    # 3 people; 5 planned from day 10, 4 from day 12; lag 5 days. The hires of day 10 count from
    # day 15, one of them cancelled on day 12 at once: 3 until 15, then 4.
    role = Role.model_validate(
        {
            "headcount": 3,
            "calendar": "office",
            "plan": [
                {"from": DAY0 + dt.timedelta(days=10), "headcount": 5},
                {"from": DAY0 + dt.timedelta(days=12), "headcount": 4},
            ],
            "hiring_lag_days": 5,
        }
    )
    assert headcount_schedule(role, DAY0) == [(0.0, 3), (15.0, 4)]
    # a dip and a return: the person cut on day 10 must be hired again (counts from day 16)
    dip = role.model_copy(
        update={
            "plan": [
                role.plan[0].model_copy(update={"headcount": 2}),
                role.plan[1].model_copy(
                    update={"start": DAY0 + dt.timedelta(days=11), "headcount": 3}
                ),
            ]
        }
    )
    assert headcount_schedule(dip, DAY0) == [(0.0, 3), (10.0, 2), (16.0, 3)]


# ----------------------------------------------------------------------------- overtime


def test_overtime_lets_a_job_finish_the_same_evening(tiny):
    # Monday 16:30, one hour of desk work: 30 minutes before 17:00, the rest in overtime
    # (17:00-19:00) instead of Tuesday 08:00-08:30.
    overtime = [{"from": "2026-01-05", "until": "2026-01-05", "extra_hours": 2.0, "premium": 1.5}]
    orders = replay(stamp(0, "16:30"))
    plain = desk(calendar="office", minutes_per_order=60)
    late = jobs_of(run_replication(tiny(plain, orders), 0), "order_desk")
    assert_times(late["t_end"], [at(1, "08:30")])
    extended = desk(calendar="office", minutes_per_order=60, overtime=overtime)
    extra = jobs_of(run_replication(tiny(extended, orders), 0), "order_desk")
    assert_times(extra["t_end"], [at(0, "17:30")])


def test_calendar_overtime_across_chunks_and_into_a_night_shift():
    # overtime on a Thursday in the second generated chunk (chunks are 730 days), and on a
    # Saturday, which is not a working day and so gets none
    calendar = WorkCalendar(DAY0, [(8.0, 17.0)], range(5), overtime={731: 2.0, 733: 2.0})
    assert calendar.advance(at(731, "16:00"), 2 / 24) == pytest.approx(at(731, "18:00"), abs=TOL)
    assert calendar.overtime_interval(731) == pytest.approx((at(731, "17:00"), at(731, "19:00")))
    assert calendar.overtime_interval(732) is None  # a Friday without overtime
    assert calendar.overtime_interval(733) is None  # a Saturday
    assert calendar.working_time(at(731), at(734)) == pytest.approx((11 + 9) / 24)
    # a 22:00 shift end + 2 h of overtime joins the next day's 00:00 shift
    night = WorkCalendar(DAY0, [(0.0, 6.0), (14.0, 22.0)], range(7), overtime={0: 2.0})
    # Monday 14:00-24:00 then Tuesday 00:00-06:00 is one interval: 16 h of work from 14:00
    assert night.advance(at(0, "14:00"), 16 / 24) == pytest.approx(at(1, "06:00"), abs=TOL)
    assert night.working_time(0.0, 2.0) == pytest.approx((6 + 10 + 6 + 8) / 24)
    with pytest.raises(ValueError, match="end by midnight"):
        WorkCalendar(DAY0, [(8.0, 17.0)], range(5), overtime={0: 8.0})


# ----------------------------------------------------------------------------- shipping


def test_the_shipping_role_hands_over_after_picking(tiny):
    # Monday noon: picked 12:00-12:30, shipped 12:30-12:45, delivered two days later
    staffing = {
        "calendars": CALENDARS,
        "warehouse": {"headcount": 1, "calendar": "always", "minutes_per_shipment": 30},
        "shipping": {"headcount": 1, "calendar": "always", "minutes_per_shipment": 15},
    }
    result = run_replication(tiny({"staffing": staffing}, replay(stamp(0, "12:00"))), 0)
    jobs = result.tables["staff_jobs"]
    assert jobs["role"].tolist() == ["warehouse", "shipping"]
    assert_times(jobs["t_start"], [at(0, "12:00"), at(0, "12:30")])
    assert_times(jobs["t_end"], [at(0, "12:30"), at(0, "12:45")])
    shipments = result.tables["shipments"]
    assert_times(shipments["t_ready"], [at(0, "12:00")])
    assert_times(shipments["t_shipped"], [at(0, "12:45")])
    assert_times(shipments["t_delivered"], [at(2, "12:45")])
    assert_times(result.tables["orders"]["t_first_ship"], [at(0, "12:45")])


# ----------------------------------------------------------------------------- KPIs


def hand_made(jobs: list[tuple], roles: dict, warmup: float, horizon: float) -> RunResult:
    frame = pd.DataFrame(jobs, columns=["role", "t_request", "t_start", "t_end", "work_days"])
    return RunResult(
        scenario="hand",
        replication=0,
        seed=0,
        horizon_days=horizon,
        warmup_days=warmup,
        start_date=DAY0.isoformat(),
        skus=(),
        unit_cost=np.zeros(0),
        initial_on_hand=np.zeros(0),
        segments=(),
        roles=roles,
        tables={"staff_jobs": frame},
        final_state={},
    )


def test_wait_and_queue_kpis_from_a_hand_made_table():
    # window [2, 10). Jobs (request, start): (1, 3) asked before the window: no wait, but it
    # queues over [2, 3); (2, 2) waits 0; (4, 6) waits 2; (5, 12) starts after the horizon: no
    # wait, queues [5, 10); (7, NaN) never starts: queues [7, 10); (8, 9) waits 1.
    nan = math.nan
    rows = [(1, 3), (2, 2), (4, 6), (5, 12), (7, nan), (8, 9)]
    jobs = [("desk", r, s, s + 0.5, 0.5) for r, s in rows]
    role = {"headcount": 2, "cost_per_hour": 10.0, "working_days_per_head": 4.0, "work_days": 2.0}
    kpis = staff_kpis.kpis(hand_made(jobs, {"desk": role}, 2.0, 10.0), None)
    assert kpis["wait_mean_days_desk"] == pytest.approx(1.0)
    assert kpis["wait_p95_days_desk"] == pytest.approx(1.9)  # linear between 1 and 2
    # job-days waiting in the window: 1 + 2 + 5 + 3 + 1 = 12 over 8 days
    assert kpis["queue_mean_desk"] == pytest.approx(1.5)
    # without plan facts: headcount x working time, 2 x 4 days x 24 h x 10
    assert kpis["staff_cost_desk"] == pytest.approx(1920.0)
    assert kpis["utilisation_desk"] == pytest.approx(0.25)
    assert kpis["headcount_mean_desk"] == 2.0
    assert set(kpis) <= set(kpi_units(["desk"]))


def test_staff_cost_with_a_plan_and_overtime_by_hand(tiny):
    # Two weeks, office hours (9 h a weekday), 10 an hour. One person in week 1 with 2 h of
    # overtime Mon-Wed at 1.5x; two people from Monday of week 2.
    #   scheduled: 45 h x 1 + 45 h x 2 = 135 h -> 1350;  overtime: 3 x 2 h x 1 x 10 x 1.5 = 90
    overtime = [{"from": "2026-01-05", "until": "2026-01-07", "extra_hours": 2.0, "premium": 1.5}]
    role = desk(
        calendar="office",
        minutes_per_order=60,
        cost_per_hour=10.0,
        plan=[{"from": "2026-01-12", "headcount": 2}],
        overtime=overtime,
    )
    scenario = tiny(role, {"run": {"horizon_days": 14.0}}, replay(stamp(0, "12:00")))
    result = run_replication(scenario, 0)
    kpis = compute_kpis(result, scenario.costs)
    assert kpis["staff_cost_order_desk"] == pytest.approx(1440.0)
    assert kpis["staff_cost"] == pytest.approx(1440.0)
    assert kpis["headcount_mean_order_desk"] == pytest.approx(1.5)
    # available: week 1 45 h + 6 h overtime, week 2 2 x 45 h = 141 person-hours; 1 h of work
    assert kpis["utilisation_order_desk"] == pytest.approx(1 / 141)
    assert kpis["wait_mean_days_order_desk"] == pytest.approx(0.0)


def test_core_staff_cost_is_the_sum_of_the_roles(load_scenario):
    scenario = load_scenario("baseline.yaml", "run.horizon_days=20", "run.warmup_days=5")
    kpis = compute_kpis(run_replication(scenario, 0), scenario.costs)
    roles = scenario.staffing.roles()
    assert kpis["staff_cost"] == pytest.approx(sum(kpis[f"staff_cost_{r}"] for r in roles))


# ----------------------------------------------------------------------------- direction


def test_more_pickers_shorten_lead_time_until_another_bottleneck_binds(load_scenario):
    # Baseline over 60 days (20 of warm-up), one replication, same seed (common random numbers):
    # 2 pickers cannot keep up (lead time p50 ~ 17 d), 4 bring it near 3 d, and 8 gain little
    # more, since desk hours, stock and transit then set the lead time. The margins (5 d and
    # 1 d) are far from the differences seen (~14 d and ~0.2 d).
    p50 = {}
    for pickers in (2, 4, 8):
        scenario = load_scenario(
            "baseline.yaml",
            "run.horizon_days=60",
            "run.warmup_days=20",
            f"staffing.warehouse.headcount={pickers}",
        )
        p50[pickers] = compute_kpis(run_replication(scenario, 0), scenario.costs)[
            "lead_time_p50_days"
        ]
    assert p50[2] > p50[4] + 5.0
    assert p50[4] >= p50[8]
    assert p50[4] - p50[8] < 1.0


# ----------------------------------------------------------------------------- bad input


def bad(tmp_path, body: str) -> str:
    """The loader's message for small.yaml with ``body`` (YAML under ``staffing:``) merged in."""
    path = tmp_path / "s.yaml"
    small = Path(__file__).resolve().parents[2] / SMALL
    path.write_text(f"extends: {small}\nstaffing:\n{body}")
    with pytest.raises(InputError) as caught:
        load(Scenario, path)
    return str(caught.value)


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        (
            "  order_desk:\n    headcount: -1\n",
            r"staffing\.order_desk\.headcount: must be at least 1",
        ),
        (
            "  order_desk:\n    plan: [{from: 2026-01-10, headcount: -2}]\n",
            r"staffing\.order_desk\.plan\.0\.headcount: must be at least 0",
        ),
        (
            "  order_desk:\n    plan: [{from: 2026-01-10, headcount: 2}, "
            "{from: 2026-01-08, headcount: 3}]\n",
            r"staffing\.order_desk\.plan\.1\.from: 2026-01-08 must come after 2026-01-10",
        ),
        (
            "  calendars:\n    office: {shifts: []}\n",
            r"staffing\.calendars\.office\.shifts: .*at least 1 item",
        ),
        (
            "  calendars:\n    office: {shifts: ['08:00-08:00']}\n",
            r"staffing\.calendars\.office\.shifts.*must start before it ends",
        ),
        (
            "  calendars:\n    office: {weekdays: [sun], holidays: [2026-01-11, 2026-01-18, "
            "2026-01-25, 2026-02-01]}\n",
            r"staffing\.calendars\.office: no working hours from 2026-01-05 to 2026-02-03",
        ),
        (
            "  warehouse:\n    overtime: [{from: 2026-01-05, until: 2026-01-30, weekdays: [sat], "
            "extra_hours: 2}]\n",
            r"staffing\.warehouse\.overtime\.0\.weekdays\.0: 'sat' is not a working weekday of "
            r"calendar 'office'",
        ),
        (
            "  warehouse:\n    overtime: [{from: 2026-01-05, until: 2026-01-30, "
            "weekdays: [funday], extra_hours: 2}]\n",
            r"staffing\.warehouse\.overtime\.0\.weekdays\.0: expected one of: 'mon'",
        ),
        (
            "  warehouse:\n    overtime: [{from: 2026-01-05, until: 2026-01-02, extra_hours: 2}]\n",
            r"staffing\.warehouse\.overtime\.0\.until: 2026-01-02 is before from",
        ),
        (
            "  warehouse:\n    overtime: [{from: 2026-01-05, until: 2026-01-09, extra_hours: 9}]\n",
            r"staffing\.warehouse\.overtime\.0\.extra_hours: 9 h after the last shift end",
        ),
        (
            "  warehouse:\n    overtime: [{from: 2026-01-05, until: 2026-01-09, extra_hours: 1}, "
            "{from: 2026-01-09, until: 2026-01-12, extra_hours: 2}]\n",
            r"staffing\.warehouse\.overtime\.1: overlaps overtime\.0 on 2026-01-09",
        ),
    ],
)
def test_bad_staffing_input_names_the_key(tmp_path, body, pattern):
    message = bad(tmp_path, body)
    assert re.search(pattern, message), message


def test_the_cli_exits_2_on_bad_staffing_input(tmp_path):
    from click.testing import CliRunner

    from twin.cli import cli

    path = tmp_path / "s.yaml"
    small = Path(__file__).resolve().parents[2] / SMALL
    path.write_text(f"extends: {small}\nstaffing:\n  warehouse:\n    headcount: -3\n")
    result = CliRunner().invoke(
        cli, ["run", str(path), "--out", str(tmp_path / "out"), "--quiet", "--no-report"]
    )
    assert result.exit_code == 2, result.output
    assert "staffing.warehouse.headcount" in result.output


def test_a_plan_and_overtime_run_through_the_cli(tmp_path):
    # small.yaml with a peak plan, a hiring lag and overtime: runs, writes the new KPIs
    from click.testing import CliRunner

    from twin.cli import cli

    path = tmp_path / "s.yaml"
    small = Path(__file__).resolve().parents[2] / SMALL
    path.write_text(
        f"extends: {small}\n"
        "staffing:\n"
        "  warehouse:\n"
        "    plan: [{from: 2026-01-12, headcount: 3}, {from: 2026-01-26, headcount: 1}]\n"
        "    hiring_lag_days: 2\n"
        "    overtime: [{from: 2026-01-05, until: 2026-01-16, extra_hours: 1.5}]\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["run", str(path), "--out", str(out), "--quiet", "--no-report"]
    )
    assert result.exit_code == 0, result.output
    kpis = pd.read_csv(out / "kpis.csv")
    text = kpis.to_csv()
    for name in ("staff_cost_warehouse", "queue_mean_warehouse", "headcount_mean_warehouse"):
        assert name in text
