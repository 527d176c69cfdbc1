"""Tests of surge.network.selection: receive queues, selectRandomPeer, two random choices."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import pytest

from surge.network.selection import (
    DEFAULT_QUEUE_CAP,
    ReceiveQueue,
    select_random_peer,
    two_random_choices,
)
from surge.sim import Simulation


class ScriptedRandom(random.Random):
    """A random stream whose ``randrange`` returns scripted values, in order."""

    def __init__(self, *values: int) -> None:
        super().__init__(0)
        self.script = list(values)
        self.calls = 0

    def randrange(self, *args: Any, **kwargs: Any) -> int:
        self.calls += 1
        return self.script.pop(0)


@dataclass
class Fake:
    """A peer with a fixed load."""

    load: int


def _served_log(sim: Simulation) -> tuple[list[tuple[int, str, int]], Any]:
    log: list[tuple[int, str, int]] = []

    def on_served(item: str, waited: int) -> None:
        log.append((sim.now, item, waited))

    return log, on_served


class TestReceiveQueue:
    """FIFO service, exact times, depth, waits and the busy monitor."""

    def test_serves_fifo_one_at_a_time(self) -> None:
        """Three events arriving at once finish at 1000, 2000, 3000 ns, waits 0/1000/2000."""
        sim = Simulation()
        log, on_served = _served_log(sim)
        q = ReceiveQueue(sim, 1000, on_served, name="T#01.rx")
        for item in "abc":
            q.push(item)
        assert q.depth == len(q) == 3
        sim.run()
        assert log == [(1000, "a", 0), (2000, "b", 1000), (3000, "c", 2000)]
        assert q.depth == 0 and q.served == 3

    def test_idle_queue_serves_at_arrival(self) -> None:
        """An event arriving at an idle queue starts at once and ends service_ns later."""
        sim = Simulation()
        log, on_served = _served_log(sim)
        q = ReceiveQueue(sim, 250, on_served)
        sim.schedule(700, q.push, "x")
        sim.run()
        assert log == [(950, "x", 0)]

    def test_zero_service_time_serves_in_arrival_order(self) -> None:
        """With service_ns = 0, events are handed over at their arrival instant, in order."""
        sim = Simulation()
        log, on_served = _served_log(sim)
        q = ReceiveQueue(sim, 0, on_served)
        sim.schedule(5, q.push, "a")
        sim.schedule(5, q.push, "b")
        sim.schedule(9, q.push, "c")
        sim.run()
        assert log == [(5, "a", 0), (5, "b", 0), (9, "c", 0)]
        assert q.busy_ns() == 0

    def test_busy_time_is_time_with_more_than_one_event(self) -> None:
        """Busy counts exactly the time an event waits behind another (here 1000 + 500 ns)."""
        sim = Simulation()
        _, on_served = _served_log(sim)
        q = ReceiveQueue(sim, 1000, on_served)
        q.push("a")  # served 0..1000
        sim.schedule(0, q.push, "b")  # waits 0..1000, served 1000..2000
        sim.schedule(1500, q.push, "c")  # waits 1500..2000, served 2000..3000
        sim.run(until=10_000)
        stats = q.stats()
        assert q.busy_ns() == stats.busy_ns == 1000 + 500
        assert stats.elapsed_ns == 10_000
        assert stats.busy_fraction == pytest.approx(0.15)
        assert stats.max_depth == 2
        # depth 2 for 1000 ns, 1 for 500, 2 for 500, 1 for 1000: area 4500 over 10 us
        assert stats.mean_depth == pytest.approx(0.45)
        assert (stats.wait_total_ns, stats.wait_max_ns) == (1000 + 500, 1000)
        assert stats.mean_wait_ns == pytest.approx(500)

    def test_load_counts_announced_events_until_they_arrive(self) -> None:
        """expect() raises the load at once; arrive() moves the event into the queue."""
        sim = Simulation()
        log, on_served = _served_log(sim)
        q = ReceiveQueue(sim, 100, on_served)
        q.expect()
        q.expect()
        assert (q.depth, q.in_flight, q.load) == (0, 2, 2)
        sim.schedule(50, q.arrive, "a")
        sim.run(until=60)
        assert (q.depth, q.in_flight, q.load) == (1, 1, 2)
        assert q.stats().in_flight == 1
        sim.run()
        assert (q.depth, q.load) == (0, 1) and log == [(150, "a", 0)]

    def test_arrive_without_expect_is_an_error(self) -> None:
        """An announced arrival that was never announced raises RuntimeError."""
        sim = Simulation()
        _, on_served = _served_log(sim)
        with pytest.raises(RuntimeError, match="without a matching expect"):
            ReceiveQueue(sim, 100, on_served, name="T#01.rx").arrive("x")

    def test_busy_depth_threshold(self) -> None:
        """With busy_depth = 0 the queue is busy whenever it holds an event."""
        sim = Simulation()
        _, on_served = _served_log(sim)
        q = ReceiveQueue(sim, 300, on_served, busy_depth=0)
        q.push("a")
        sim.schedule(1000, q.push, "b")
        sim.run()
        assert q.busy_ns() == 600

    @pytest.mark.parametrize(("kwargs", "name"), [
        ({"service_ns": -1}, "service_ns"),
        ({"service_ns": 1.5}, "service_ns"),
        ({"busy_depth": -1}, "busy_depth"),
        ({"on_served": 3}, "on_served"),
        ({"name": 7}, "name"),
    ])
    def test_rejects_bad_arguments(self, kwargs: dict[str, Any], name: str) -> None:
        """Bad constructor arguments raise ValueError naming the parameter."""
        args: dict[str, Any] = {"service_ns": 10, "on_served": lambda item, waited: None}
        args.update(kwargs)
        with pytest.raises(ValueError, match=repr(name)):
            ReceiveQueue(Simulation(), **args)


class TestSelectRandomPeer:
    """SURGE's selectRandomPeer(cap): random start, cyclic walk, cap."""

    def test_default_cap_is_surges(self) -> None:
        """The default cap is SURGE's 64 events."""
        assert DEFAULT_QUEUE_CAP == 64

    def test_random_start_under_the_cap_is_taken(self) -> None:
        """A start whose load is at most the cap is the choice (the cap is inclusive)."""
        peers = [Fake(0), Fake(64), Fake(0)]
        assert select_random_peer(ScriptedRandom(1), peers, 64) == 1

    def test_walks_forward_and_wraps_modulo(self) -> None:
        """From the last peer the walk wraps to index 0, then 1, ... (no wrap defect)."""
        peers = [Fake(65), Fake(3), Fake(65), Fake(65)]
        assert select_random_peer(ScriptedRandom(3), peers, 64) == 1
        assert select_random_peer(ScriptedRandom(2), [Fake(1), Fake(9), Fake(9)], 5) == 0

    def test_none_when_every_peer_is_above_the_cap(self) -> None:
        """No peer at or below the cap: no choice."""
        assert select_random_peer(ScriptedRandom(0), [Fake(65), Fake(70)], 64) is None
        assert select_random_peer(random.Random(1), [], 64) is None

    def test_every_peer_is_reachable(self) -> None:
        """With all peers eligible each index is chosen from its own start."""
        rng = random.Random(5)
        peers = [Fake(0)] * 4
        seen = {select_random_peer(rng, peers, 0) for _ in range(200)}
        assert seen == {0, 1, 2, 3}


class TestTwoRandomChoices:
    """The less loaded of two draws; SURGE's degenerate always-first behaviour on request."""

    def test_less_loaded_second_choice_wins(self) -> None:
        """First draw load 5, second load 2: the second is chosen."""
        peers = [Fake(5), Fake(2), Fake(0)]
        assert two_random_choices(ScriptedRandom(0, 1), peers, 64) == 1

    def test_first_wins_when_less_loaded_or_tied(self) -> None:
        """The second is taken only if strictly less loaded."""
        peers = [Fake(1), Fake(4), Fake(1)]
        assert two_random_choices(ScriptedRandom(0, 1), peers, 64) == 0
        assert two_random_choices(ScriptedRandom(2, 0), peers, 64) == 2

    def test_degenerate_always_keeps_the_first(self) -> None:
        """degenerate=True reproduces SURGE's defect: the first draw, even if busier."""
        peers = [Fake(5), Fake(2), Fake(0)]
        rng = ScriptedRandom(0, 1)
        assert two_random_choices(rng, peers, 64, degenerate=True) == 0
        assert rng.calls == 2  # both draws are made, as in the fixed mode

    def test_each_draw_respects_the_cap(self) -> None:
        """Draws walk past peers above the cap before being compared."""
        peers = [Fake(65), Fake(7), Fake(99), Fake(3)]
        # first: start 0 -> walks to 1 (7); second: start 2 -> walks to 3 (3)
        assert two_random_choices(ScriptedRandom(0, 2), peers, 64) == 3

    def test_none_when_every_peer_is_above_the_cap(self) -> None:
        """No eligible peer: no choice, and only one draw is spent."""
        rng = ScriptedRandom(0, 0)
        assert two_random_choices(rng, [Fake(65)], 64) is None
        assert rng.calls == 1

    def test_two_choices_balance_better_than_one(self) -> None:
        """Placing 1000 events on 10 bins: max load with two choices < with one choice."""
        one = [Fake(0) for _ in range(10)]
        two = [Fake(0) for _ in range(10)]
        rng1, rng2 = random.Random(3), random.Random(3)
        for _ in range(1000):
            i = select_random_peer(rng1, one, 10**6)
            j = two_random_choices(rng2, two, 10**6)
            assert i is not None and j is not None
            one[i].load += 1
            two[j].load += 1
        assert max(p.load for p in two) - 100 <= 2
        assert max(p.load for p in one) > max(p.load for p in two)
