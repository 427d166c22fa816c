"""A flow runs a generator as a SimPy process does, without the process's own event."""

from __future__ import annotations

import simpy

from twin.model.flows import Timer, run_flow, start_flow


def steps(env: simpy.Environment) -> int:
    count = 0
    while env.peek() != float("inf"):
        env.step()
        count += 1
    return count


def trace(env: simpy.Environment, log: list, name: str, delays: list[float]):
    for delay in delays:
        yield env.timeout(delay)
        log.append((env.now, name))


def test_a_flow_interleaves_as_processes_do_with_one_event_fewer_each():
    log_process, log_flow = [], []
    env = simpy.Environment()
    for name, delays in (("a", [1.0, 2.0]), ("b", [1.0, 0.5]), ("c", [3.0])):
        env.process(trace(env, log_process, name, delays))
    process_events = steps(env)
    env = simpy.Environment()
    for name, delays in (("a", [1.0, 2.0]), ("b", [1.0, 0.5]), ("c", [3.0])):
        start_flow(env, trace(env, log_flow, name, delays))
    flow_events = steps(env)
    assert log_flow == log_process  # the same order, ties included
    assert flow_events == process_events - 3  # no completion event per flow


def test_a_processed_event_resumes_the_flow_at_once_with_its_value():
    env = simpy.Environment()
    done = env.event()
    done.succeed("ready")
    seen = []

    def waits():
        yield env.timeout(1.0)  # by now `done` has been processed
        seen.append((env.now, (yield done)))

    start_flow(env, waits())
    env.run()
    assert seen == [(1.0, "ready")]


def test_a_failed_event_is_thrown_into_the_flow():
    env = simpy.Environment()
    failing = env.event()
    caught = []

    def waits():
        try:
            yield failing
        except ValueError as exc:
            caught.append(str(exc))

    start_flow(env, waits())
    failing.fail(ValueError("no stock"))
    env.run()
    assert caught == ["no stock"]


def test_run_flow_takes_its_first_step_at_once():
    env = simpy.Environment()
    log = []

    def first_waits():
        log.append(("started", env.now))
        yield env.timeout(2.0)
        log.append(("woke", env.now))

    def source():
        yield env.timeout(1.0)
        run_flow(first_waits())
        log.append(("source goes on", env.now))

    env.process(source())
    env.run()
    assert log == [("started", 1.0), ("source goes on", 1.0), ("woke", 3.0)]


def timed_trace(env: simpy.Environment, log: list, name: str, delays: list[float]):
    timer = Timer(env)
    for delay in delays:
        yield timer.wait(delay)
        log.append((env.now, name))


def test_a_timer_waits_as_timeouts_do_in_the_same_order_of_events():
    # ties at 1.0, 2.0 and 3.0 between the timer flows and timeout flows: each wait keeps the
    # place in the order of events a new timeout would have had
    plan = (("a", [1.0, 2.0]), ("b", [1.0, 0.5, 0.5, 0.0]), ("c", [3.0]), ("d", [0.0, 2.0]))
    log_timeouts, log_timers = [], []
    env = simpy.Environment()
    for name, delays in plan:
        start_flow(env, trace(env, log_timeouts, name, delays))
    timeout_events = steps(env)
    env = simpy.Environment()
    for k, (name, delays) in enumerate(plan):
        body = timed_trace if k % 2 == 0 else trace  # timers and timeouts side by side
        start_flow(env, body(env, log_timers, name, delays))
    timer_events = steps(env)
    assert log_timers == log_timeouts
    assert timer_events == timeout_events


def test_a_timer_fires_with_value_none_each_time():
    env = simpy.Environment()
    timer = Timer(env)
    seen = []

    def waits():
        for delay in (1.0, 0.0, 2.5):
            seen.append((yield timer.wait(delay)))
            seen.append(env.now)

    start_flow(env, waits())
    env.run()
    assert seen == [None, 1.0, None, 1.0, None, 3.5]
