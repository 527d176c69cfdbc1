"""Tests of surge.network.link: exact delivery times, frames, FIFO serialization, stats."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surge.network import (
    JUMBO_FRAME_BYTES,
    Frame,
    IdealLink,
    Link,
    LinkLike,
    effective_bits_per_s,
)
from surge.sim import GBPS, KIB, Simulation, serialization_ns, us


def _log_at(sim: Simulation, log: list[tuple[Any, int]]) -> Any:
    """A delivery callback that records (arg, arrival time)."""
    return lambda arg: log.append((arg, sim.now))


class TestConstruction:
    """Rates, overhead and argument validation."""

    def test_overhead_reduces_the_rate_exactly(self) -> None:
        """10 Gbit/s with 1 % L2 overhead carries exactly 9.9 Gbit/s, as in SURGE."""
        link = Link(Simulation(), 10 * GBPS, us(1), overhead_pct=1)
        assert link.effective_bits_per_s == 9_900_000_000
        assert effective_bits_per_s(10 * GBPS, 0.5) == 9_950_000_000
        assert effective_bits_per_s(10 * GBPS, 0.1) == 9_990_000_000  # decimal, not binary
        assert effective_bits_per_s(7, 50) == 3  # floor(3.5)

    def test_accepts_unit_strings(self) -> None:
        """Rate, latency and frame size may be given as unit strings."""
        link = Link(Simulation(), "10Gbps", "1us", frame_bytes="9000B")
        assert (link.bits_per_s, link.latency_ns, link.frame_bytes) == (10 * GBPS, 1000, 9000)

    def test_frame_time_is_truncated(self) -> None:
        """A full 9000 B frame at 9.9 Gbit/s takes floor(7272.7) = 7272 ns."""
        link = Link(Simulation(), 10 * GBPS, 0, overhead_pct=1)
        assert link.frame_ns == 7272
        assert link.frame_bytes == JUMBO_FRAME_BYTES

    def test_message_shape_for_a_bad_rate(self) -> None:
        """A bad argument names the parameter, the owner, the range and the value."""
        with pytest.raises(ValueError) as err:
            Link(Simulation(), -5, 0)
        assert str(err.value) == (
            "The 'bits_per_s' parameter of Link must be an int > 0 or a rate string such as "
            "'10Gbps'. Got -5 instead."
        )

    @pytest.mark.parametrize(
        ("kwargs", "param"),
        [
            ({"bits_per_s": 0}, "bits_per_s"),
            ({"bits_per_s": 1.5e9}, "bits_per_s"),
            ({"bits_per_s": "fast"}, "bits_per_s"),
            ({"latency_ns": -1}, "latency_ns"),
            ({"latency_ns": True}, "latency_ns"),
            ({"frame_bytes": 0}, "frame_bytes"),
            ({"overhead_pct": 100}, "overhead_pct"),
            ({"overhead_pct": -1}, "overhead_pct"),
            ({"overhead_pct": float("nan")}, "overhead_pct"),
            ({"bits_per_s": 1, "overhead_pct": 50}, "overhead_pct"),
            ({"name": 3}, "name"),
        ],
    )
    def test_rejects_bad_arguments(self, kwargs: dict[str, Any], param: str) -> None:
        """Every out-of-range argument is refused with a message naming it."""
        args: dict[str, Any] = {"bits_per_s": 10 * GBPS, "latency_ns": 0, **kwargs}
        with pytest.raises(ValueError, match=f"^The '{param}' parameter of Link must be"):
            Link(Simulation(), **args)


class TestDeliveryTime:
    """Exact arrival times of single messages on an idle link."""

    def test_one_frame_reference_example(self) -> None:
        """8192 B at 10 Gbit/s with 1 us latency arrives at 1000 + 6553 = 7553 ns."""
        sim = Simulation()
        log: list[tuple[Any, int]] = []
        link = Link(sim, 10 * GBPS, us(1))
        assert link.send(8 * KIB, _log_at(sim, log), "req") == 7553
        sim.run()
        assert log == [("req", 7553)]

    @given(
        size=st.integers(0, 20_000),
        rate=st.integers(1, 100 * GBPS),
        latency=st.integers(0, 10**6),
        start=st.integers(0, 10**6),
    )
    @settings(max_examples=60, deadline=None)
    def test_one_frame_on_idle_link(self, size: int, rate: int, latency: int, start: int
                                    ) -> None:
        """One frame of S bytes sent at t arrives at exactly t + L + floor(8*S*1e9/B)."""
        sim = Simulation()
        link = Link(sim, rate, latency, frame_bytes=20_000)
        sim.run(until=start)
        assert link.send(size, lambda _: None) == start + latency + serialization_ns(size, rate)

    def test_long_message_is_split_into_frames(self) -> None:
        """20000 B with 9000 B frames is 3 frames timed 7272 + 7272 + 1616 ns at 9.9 Gbit/s."""
        sim = Simulation()
        log: list[tuple[Any, int]] = []
        link = Link(sim, 10 * GBPS, us(1), overhead_pct=1)
        assert link.frame_count(20_000) == 3
        assert link.transmission_ns(20_000) == 7272 + 7272 + 1616
        # Per-frame truncation: one ns shorter than the whole message truncated once.
        assert link.transmission_ns(20_000) == serialization_ns(20_000, 9_900_000_000) - 1
        assert link.send(20_000, _log_at(sim, log), "m") == 1000 + 16160
        sim.run()
        assert log == [("m", 17160)]
        assert link.stats().frames == 3

    def test_exact_multiple_of_frame_size(self) -> None:
        """18000 B is exactly 2 full frames, no empty third one."""
        link = Link(Simulation(), 10 * GBPS, 0, overhead_pct=1)
        assert link.frame_count(18_000) == 2
        assert link.transmission_ns(18_000) == 2 * 7272

    def test_empty_message_is_one_empty_frame(self) -> None:
        """A 0-byte message takes no wire time, arrives after the latency, counts one frame."""
        sim = Simulation()
        link = Link(sim, 10 * GBPS, 500)
        assert link.frame_count(0) == 1
        assert link.send(0, lambda _: None) == 500
        assert link.stats().frames == 1

    def test_chunk_of_128_kib(self) -> None:
        """A 128 KiB chunk is 14 frames of 9000 B and one of 5072 B (SURGE's example)."""
        link = Link(Simulation(), 10 * GBPS, 0, overhead_pct=1)
        assert link.frame_count(128 * KIB) == 15
        expected = 14 * serialization_ns(9000, 9_900_000_000) + serialization_ns(5072,
                                                                                 9_900_000_000)
        assert link.transmission_ns(128 * KIB) == expected

    @pytest.mark.parametrize("bad", [-1, 1.5, None])
    def test_rejects_bad_sizes(self, bad: Any) -> None:
        """A negative or non-integer size is refused by the size helpers."""
        link = Link(Simulation(), 10 * GBPS, 0)
        with pytest.raises(ValueError, match=r"'size_bytes' parameter of Link\.transmission_ns"):
            link.transmission_ns(bad)

    def test_send_rejects_a_negative_size(self) -> None:
        """send refuses a negative size instead of scheduling into the past."""
        link = Link(Simulation(), 10 * GBPS, 0)
        with pytest.raises(ValueError, match=r"'size_bytes' parameter of Link\.send"):
            link.send(-1, lambda _: None)


class TestFifo:
    """Serialization of messages that compete for one link."""

    def test_back_to_back_frames(self) -> None:
        """Two frames sent at the same instant arrive one serialization time apart."""
        sim = Simulation()
        log: list[tuple[Any, int]] = []
        link = Link(sim, 10 * GBPS, us(1))
        first = link.send(8 * KIB, _log_at(sim, log), 1)
        second = link.send(8 * KIB, _log_at(sim, log), 2)
        sim.run()
        assert log == [(1, 7553), (2, 7553 + 6553)]
        assert second - first == serialization_ns(8 * KIB, 10 * GBPS)

    def test_message_waits_for_the_wire(self) -> None:
        """A message sent while the link is busy starts when the previous one ends."""
        sim = Simulation()
        link = Link(sim, 10 * GBPS, 100)
        link.send(10_000, lambda _: None)  # on the wire 0..8000 (two frames 7200 + 800)
        arrivals: list[int] = []
        sim.schedule(3000, lambda _: arrivals.append(link.send(1000, lambda _: None)))
        sim.run()
        assert arrivals == [8000 + 800 + 100]
        stats = link.stats()
        assert (stats.queue_delay_total_ns, stats.queue_delay_max_ns) == (5000, 5000)

    def test_idle_gap_is_not_carried_over(self) -> None:
        """After the link went idle, a new message starts at once (no credit, no debt)."""
        sim = Simulation()
        link = Link(sim, 10 * GBPS, 0)
        link.send(1000, lambda _: None)  # busy 0..800
        sim.run(until=5000)
        assert link.backlog_ns == 0
        assert link.send(1000, lambda _: None) == 5800

    def test_frames_of_two_messages_do_not_interleave(self) -> None:
        """A later message waits for every frame of an earlier long one."""
        sim = Simulation()
        link = Link(sim, 10 * GBPS, 0, overhead_pct=1)
        end_long = link.send(20_000, lambda _: None)
        assert link.send(100, lambda _: None) == end_long + serialization_ns(100, 9_900_000_000)

    @given(
        sends=st.lists(
            st.tuples(st.integers(0, 5000), st.integers(0, 30_000)), min_size=1, max_size=30
        ),
        latency=st.integers(0, 3000),
    )
    @settings(max_examples=60, deadline=None)
    def test_fifo_properties(self, sends: list[tuple[int, int]], latency: int) -> None:
        """Arrivals follow send order, each >= send + latency + its transmission time."""
        sim = Simulation()
        link = Link(sim, 10 * GBPS, latency, overhead_pct=1)
        record: list[tuple[int, int, int]] = []  # (send time, size, arrival)
        delivered: list[tuple[int, int]] = []

        def send(size: int) -> None:
            arrival = link.send(size, lambda n: delivered.append((n, sim.now)), len(record))
            record.append((sim.now, size, arrival))

        elapsed = 0
        for gap, size in sends:
            elapsed += gap
            sim.schedule_at(elapsed, send, size)
        sim.run()
        arrivals = [arrival for _, _, arrival in record]
        assert arrivals == sorted(arrivals)
        assert delivered == [(i, arrival) for i, arrival in enumerate(arrivals)]
        previous_end = 0
        for sent, size, arrival in record:
            duration = link.transmission_ns(size)
            assert arrival >= sent + latency + duration
            assert arrival == max(sent, previous_end) + duration + latency
            previous_end = arrival - latency
        stats = link.stats()
        assert stats.busy_ns == sum(link.transmission_ns(size) for _, size, _ in record)
        assert stats.bytes_sent == sum(size for _, size, _ in record)


class TestSendFrames:
    """The per-frame variant."""

    def test_each_frame_arrives_at_its_own_time(self) -> None:
        """Frames arrive latency after their own end of serialization, with offsets."""
        sim = Simulation()
        frames: list[tuple[Frame, int]] = []
        link = Link(sim, 10 * GBPS, us(1), overhead_pct=1)
        last = link.send_frames(20_000, lambda f: frames.append((f, sim.now)), "chunk")
        sim.run()
        assert frames == [
            (Frame("chunk", 0, 9000, 9000, False), 1000 + 7272),
            (Frame("chunk", 1, 18000, 9000, False), 1000 + 2 * 7272),
            (Frame("chunk", 2, 20000, 2000, True), 1000 + 2 * 7272 + 1616),
        ]
        assert last == frames[-1][1]

    def test_same_arrival_as_send(self) -> None:
        """The last frame of send_frames arrives when send would deliver the message."""
        sims = Simulation(), Simulation()
        per_frame = Link(sims[0], 10 * GBPS, 700, overhead_pct=1).send_frames(
            128 * KIB, lambda _: None)
        whole = Link(sims[1], 10 * GBPS, 700, overhead_pct=1).send(128 * KIB, lambda _: None)
        assert per_frame == whole

    def test_shares_the_fifo_with_send(self) -> None:
        """send_frames and send queue behind each other on one link, and count frames."""
        sim = Simulation()
        link = Link(sim, 10 * GBPS, 0, overhead_pct=1)
        first = link.send_frames(18_000, lambda _: None)
        assert link.send(9000, lambda _: None) == first + 7272
        assert link.send_frames(0, lambda _: None) == first + 7272
        stats = link.stats()
        assert (stats.messages, stats.frames, stats.bytes_sent) == (3, 4, 27_000)

    def test_rejects_bad_sizes(self) -> None:
        """A negative size is refused."""
        with pytest.raises(ValueError, match=r"'size_bytes' parameter of Link\.send_frames"):
            Link(Simulation(), GBPS, 0).send_frames(-3, lambda _: None)


class TestStats:
    """Counters and utilization."""

    def test_utilization_counts_only_elapsed_work(self) -> None:
        """Mid-transmission, busy time is what has been serialized so far; the rest is backlog."""
        sim = Simulation()
        link = Link(sim, 10 * GBPS, 0)
        link.send(10_000, lambda _: None)  # 8000 ns on the wire
        sim.run(until=2000)
        stats = link.stats()
        assert (stats.busy_ns, stats.backlog_ns, stats.elapsed_ns) == (2000, 6000, 2000)
        assert stats.utilization == 1.0
        sim.run(until=16_000)
        stats = link.stats()
        assert (stats.busy_ns, stats.backlog_ns, stats.utilization) == (8000, 0, 0.5)

    def test_counts_messages_frames_bytes_and_waits(self) -> None:
        """Messages, frames, bytes and queueing delays add up over several sends."""
        sim = Simulation()
        link = Link(sim, 10 * GBPS, 0, name="I#01->T#01")
        for _ in range(3):
            link.send(1000, lambda _: None)  # 800 ns each, sent together
        stats = link.stats()
        assert stats.name == "I#01->T#01"
        assert (stats.messages, stats.frames, stats.bytes_sent) == (3, 3, 3000)
        assert (stats.queue_delay_total_ns, stats.queue_delay_max_ns) == (800 + 1600, 1600)
        assert stats.mean_queue_delay_ns == 800.0

    def test_empty_stats_and_frozen(self) -> None:
        """A fresh link reports zeros, and its stats object cannot be modified."""
        stats = Link(Simulation(), GBPS, 0).stats()
        assert (stats.messages, stats.utilization, stats.mean_queue_delay_ns) == (0, 0.0, 0.0)
        with pytest.raises(FrozenInstanceError):
            stats.messages = 3  # type: ignore[misc]

    def test_repr_names_the_link(self) -> None:
        """The repr shows the name, effective rate, latency and frame size."""
        link = Link(Simulation(), 10 * GBPS, 1000, overhead_pct=1, name="up")
        assert repr(link) == "<Link up 9900000000 bit/s eff, latency 1000 ns, frame 9000 B>"


class TestIdealLink:
    """The zero-latency, infinite-bandwidth twin."""

    def test_delivers_at_the_same_instant(self) -> None:
        """A message on an ideal link is delivered at the send time, after the sender's action."""
        sim = Simulation()
        log: list[tuple[Any, int]] = []
        link: LinkLike = IdealLink(sim)
        sim.run(until=42)
        assert link.send(10**9, _log_at(sim, log), "x") == 42
        assert log == []
        sim.run()
        assert log == [("x", 42)]
        assert link.transmission_ns(10**9) == 0

    def test_frames_and_stats(self) -> None:
        """The whole message is one last frame; stats count it with no busy time."""
        sim = Simulation()
        frames: list[Frame] = []
        link = IdealLink(sim, name="fake")
        link.send_frames(20_000, frames.append, "a")
        sim.run()
        assert frames == [Frame("a", 0, 20_000, 20_000, True)]
        stats = link.stats()
        assert (stats.name, stats.messages, stats.frames, stats.bytes_sent) == (
            "fake", 1, 1, 20_000)
        assert (stats.busy_ns, stats.utilization) == (0, 0.0)
        assert repr(link) == "<IdealLink fake>"
