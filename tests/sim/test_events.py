"""Generator processes, events and conditions."""

from collections.abc import Generator

import pytest

from surge.sim import Event, Simulation


class TestProcesses:
    def test_timeouts_advance_the_process(self) -> None:
        """A process resumes after each timeout at the exact time."""
        sim = Simulation()
        log: list[tuple[str, int]] = []

        def proc() -> Generator[Event, object, str]:
            log.append(("start", sim.now))
            yield sim.timeout(5)
            log.append(("a", sim.now))
            yield sim.timeout(7)
            log.append(("b", sim.now))
            return "done"

        p = sim.process(proc())
        sim.run()
        assert log == [("start", 0), ("a", 5), ("b", 12)]
        assert p.value == "done"

    def test_wait_for_another_process(self) -> None:
        """Yielding a process waits for its return value."""
        sim = Simulation()

        def child() -> Generator[Event, object, int]:
            yield sim.timeout(3)
            return 42

        def parent() -> Generator[Event, object, tuple[int, int]]:
            value = yield sim.process(child())
            return (sim.now, value)  # type: ignore[return-value]

        p = sim.process(parent())
        sim.run()
        assert p.value == (3, 42)

    def test_event_succeed_wakes_waiters(self) -> None:
        """succeed(v) resumes every waiting process with v at the current time."""
        sim = Simulation()
        ev = sim.event()
        got: list[tuple[object, int]] = []

        def waiter() -> Generator[Event, object, None]:
            v = yield ev
            got.append((v, sim.now))

        sim.process(waiter())
        sim.process(waiter())
        sim.schedule(9, lambda _: ev.succeed("go"))
        sim.run()
        assert got == [("go", 9), ("go", 9)]

    def test_failed_event_is_thrown_into_process(self) -> None:
        """A failed event raises its exception inside the waiting generator."""
        sim = Simulation()
        ev = sim.event()
        caught: list[str] = []

        def waiter() -> Generator[Event, object, None]:
            try:
                yield ev
            except KeyError as err:
                caught.append(str(err))

        sim.process(waiter())
        sim.schedule(1, lambda _: ev.fail(KeyError("boom")))
        sim.run()
        assert caught == ["'boom'"]

    def test_yielding_a_non_event_is_a_clear_error(self) -> None:
        """Yielding a non-event fails with a TypeError that says what to yield."""
        sim = Simulation()

        def bad() -> Generator[object, object, None]:
            yield 5

        p = sim.process(bad())  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"sim\.timeout"):
            sim.run()
        assert not p.ok

    def test_double_trigger_raises(self) -> None:
        """An event can be triggered once only."""
        sim = Simulation()
        ev = sim.event().succeed(1)
        with pytest.raises(RuntimeError, match="already been triggered"):
            ev.succeed(2)


class TestConditions:
    def test_any_of_fires_at_first(self) -> None:
        """any_of fires at the first child's time with that child's value."""
        sim = Simulation()
        out: list[object] = []

        def proc() -> Generator[Event, object, None]:
            a, b = sim.timeout(10, "slow"), sim.timeout(4, "fast")
            result = yield sim.any_of([a, b])
            out.append((sim.now, list(result.values())))  # type: ignore[attr-defined]

        sim.process(proc())
        sim.run()
        assert out == [(4, ["fast"])]

    def test_all_of_waits_for_every_child(self) -> None:
        """all_of fires when the last child fires, with every value in order."""
        sim = Simulation()
        out: list[object] = []

        def proc() -> Generator[Event, object, None]:
            evs = [sim.timeout(d, d) for d in (6, 2, 9)]
            result = yield sim.all_of(evs)
            out.append((sim.now, list(result.values())))  # type: ignore[attr-defined]

        sim.process(proc())
        sim.run()
        assert out == [(9, [6, 2, 9])]

    def test_empty_condition_fires_at_once(self) -> None:
        """all_of([]) fires immediately with an empty dict."""
        sim = Simulation()
        cond = sim.all_of([])
        sim.run()
        assert cond.value == {}
