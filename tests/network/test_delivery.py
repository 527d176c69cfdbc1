"""Tests of surge.network.delivery: SURGE's trip + U[0, trip) + 1 ns on a FIFO link."""

from __future__ import annotations

import random

import pytest

from surge.network import Link
from surge.network.delivery import ANONYMOUS_EVENT_BYTES, JitteredLink
from surge.sim import GBPS, Simulation, us

TRIP = us(2)


def _nic(sim: Simulation, jitter_ns: int) -> JitteredLink:
    link = Link(sim, 10 * GBPS, TRIP, overhead_pct=1, name="I#01")
    return JitteredLink(sim, link, random.Random(7), jitter_ns)


class TestJitteredLink:
    def test_without_jitter_arrival_is_trip_plus_serialization(self) -> None:
        """jitter_ns = 0: a 144 B event arrives at exactly 2000 + floor(8*144e9/9.9e9) ns."""
        sim = Simulation()
        nic = _nic(sim, 0)
        seen: list[int] = []
        arrival = nic.send(ANONYMOUS_EVENT_BYTES, lambda _: seen.append(sim.now))
        sim.run()
        assert ANONYMOUS_EVENT_BYTES == 144
        assert arrival == seen[0] == 2000 + 116

    def test_jitter_adds_one_to_trip_ns(self) -> None:
        """With jitter the extra delay lies in [1, trip] ns and the returned time is exact."""
        sim = Simulation()
        nic = _nic(sim, TRIP)
        promised: dict[int, int] = {}
        arrived: dict[int, int] = {}

        def send(k: int) -> None:
            promised[k] = nic.send(144, lambda k: arrived.__setitem__(k, sim.now), k)

        for k in range(200):
            sim.schedule(k * 1000, send, k)
        sim.run()
        assert promised == arrived
        extras = [arrived[k] - k * 1000 - 2116 for k in range(200)]
        assert min(extras) >= 1 and max(extras) <= TRIP
        assert max(extras) - min(extras) > TRIP // 2  # really spread over the range

    def test_jitter_does_not_hold_the_wire(self) -> None:
        """The extra delay is after the wire: back-to-back sends still serialize FIFO."""
        sim = Simulation()
        nic = _nic(sim, TRIP)
        link = nic.link
        assert isinstance(link, Link)
        nic.send(9000, lambda _: None)
        assert link.busy_until_ns == 7272
        nic.send(9000, lambda _: None)
        assert link.busy_until_ns == 2 * 7272

    def test_rejects_negative_jitter(self) -> None:
        """A negative jitter bound raises ValueError naming it."""
        with pytest.raises(ValueError, match="'jitter_ns'"):
            _nic(Simulation(), -1)
