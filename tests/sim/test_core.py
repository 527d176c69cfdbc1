"""The engine core: ordering, the time rule, run modes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surge.sim import LATE, URGENT, SchedulingError, Simulation


class TestOrdering:
    def test_equal_time_actions_run_in_scheduling_order(self) -> None:
        """Actions at the same instant run in the order they were scheduled."""
        sim = Simulation()
        log: list[str] = []
        for name in "abcde":
            sim.schedule(10, log.append, name)
        sim.run()
        assert log == list("abcde")

    def test_priority_breaks_ties_before_sequence(self) -> None:
        """At one instant URGENT runs before NORMAL before LATE, whatever the order."""
        sim = Simulation()
        log: list[str] = []
        sim.schedule_priority(5, log.append, "late", LATE)
        sim.schedule(5, log.append, "normal")
        sim.schedule_priority(5, log.append, "urgent", URGENT)
        sim.run()
        assert log == ["urgent", "normal", "late"]

    def test_exact_timeline(self) -> None:
        """A chain of callbacks produces the exact (name, time) timeline."""
        sim = Simulation()
        log: list[tuple[str, int]] = []

        def ping(n: int) -> None:
            log.append(("ping", sim.now))
            if n:
                sim.schedule(7, pong, n - 1)

        def pong(n: int) -> None:
            log.append(("pong", sim.now))
            sim.schedule(3, ping, n)

        sim.schedule(0, ping, 2)
        sim.run()
        assert log == [("ping", 0), ("pong", 7), ("ping", 10), ("pong", 17), ("ping", 20)]
        assert sim.events_processed == 5

    @given(st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=60))
    def test_clock_never_moves_backwards(self, delays: list[int]) -> None:
        """Whatever is scheduled, handled times are non-decreasing and equal the trigger."""
        sim = Simulation()
        seen: list[tuple[int, int]] = []
        for d in delays:
            sim.schedule(d, lambda when: seen.append((when, sim.now)), d)
        sim.run()
        assert [now for _, now in seen] == sorted(now for _, now in seen)
        assert all(when == now for when, now in seen)

    def test_instant_finishes_before_clock_moves(self) -> None:
        """An action scheduled at NOW by another action at NOW runs before NOW+1."""
        sim = Simulation()
        log: list[tuple[str, int]] = []
        sim.schedule(5, lambda _: sim.schedule(0, log.append, ("same", sim.now)))
        sim.schedule(6, log.append, ("next", 6))
        sim.run()
        assert log == [("same", 5), ("next", 6)]


class TestTimeRule:
    def test_negative_delay_raises(self) -> None:
        """Scheduling into the past raises a SchedulingError that says so."""
        sim = Simulation()
        with pytest.raises(SchedulingError, match="into the past"):
            sim.schedule(-1, print)

    def test_absolute_time_before_now_raises(self) -> None:
        """schedule_at earlier than now raises."""
        sim = Simulation()
        sim.schedule(10, lambda _: None)
        sim.run()
        with pytest.raises(SchedulingError, match="into the past"):
            sim.schedule_at(9, print)

    def test_float_delay_raises(self) -> None:
        """A float delay is refused: time is integer nanoseconds."""
        sim = Simulation()
        with pytest.raises(SchedulingError, match="int number of nanoseconds"):
            sim.schedule(1.5, print)  # type: ignore[arg-type]


class TestRun:
    def test_until_is_exclusive_and_sets_clock(self) -> None:
        """run(until=t) handles actions before t, not at t, and leaves the clock at t."""
        sim = Simulation()
        log: list[int] = []
        for t in (5, 10, 15):
            sim.schedule(t, log.append, t)
        sim.run(until=10)
        assert log == [5]
        assert sim.now == 10
        sim.run(until="15ns")
        assert log == [5, 10]
        sim.run()
        assert log == [5, 10, 15]

    def test_until_accepts_duration_strings(self) -> None:
        """run(until='2us') stops the clock at 2000 ns."""
        sim = Simulation()
        sim.run(until="2us")
        assert sim.now == 2000

    def test_until_in_the_past_raises(self) -> None:
        """run(until) earlier than now raises ValueError."""
        sim = Simulation()
        sim.run(until=100)
        with pytest.raises(ValueError, match="earlier than now"):
            sim.run(until=50)

    def test_until_event_returns_its_value(self) -> None:
        """run(until=event) stops once the event fires and returns its value."""
        sim = Simulation()
        done = sim.timeout(40, value="ok")
        sim.schedule(100, print)
        assert sim.run(until=done) == "ok"
        assert sim.now == 40
        assert sim.pending == 1

    def test_stop_finishes_the_instant(self) -> None:
        """sim.stop() ends the run after every action due at the same instant."""
        sim = Simulation()
        log: list[str] = []
        sim.schedule(5, lambda _: sim.stop("halt"))
        sim.schedule(5, log.append, "same-instant")
        sim.schedule(6, log.append, "later")
        assert sim.run() == "halt"
        assert log == ["same-instant"]
        assert sim.now == 5

    def test_stop_when_predicate(self) -> None:
        """run(stop_when=p) stops at the end of the first instant after which p holds."""
        sim = Simulation()
        count = [0]

        def tick(_: object) -> None:
            count[0] += 1
            sim.schedule(10, tick)

        sim.schedule(0, tick)
        sim.run(stop_when=lambda: count[0] >= 3)
        assert count[0] == 3
        assert sim.now == 20

    def test_events_processed_counts_model_actions_in_every_mode(self) -> None:
        """events_processed counts handled actions exactly, across until, stop and step."""
        sim = Simulation()
        for t in (5, 10, 15, 20):
            sim.schedule(t, lambda _: None)
        sim.run(until=10)
        assert sim.events_processed == 1
        sim.schedule(1, lambda _: sim.stop())  # at 11: handles 10, then the stopper
        sim.run()
        assert sim.events_processed == 3
        sim.step()  # 15
        assert sim.events_processed == 4
        sim.run(stop_when=lambda: False)  # 20
        assert sim.events_processed == 5
        assert sim.pending == 0

    def test_step_handles_one_action(self) -> None:
        """step() pops exactly one action; on an empty heap it raises IndexError."""
        sim = Simulation()
        sim.schedule(3, print, "x")
        sim.step()
        assert sim.now == 3
        with pytest.raises(IndexError):
            sim.step()

    def test_coarse_tick_rounds_up(self) -> None:
        """With tick_ns=10 a delay of 11 ns fires at 20 ns."""
        sim = Simulation(tick_ns=10)
        log: list[int] = []
        sim.schedule(11, lambda _: log.append(sim.now))
        sim.run()
        assert log == [20]
