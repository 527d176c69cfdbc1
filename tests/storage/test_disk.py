"""Tests of surge.storage.disk: FIFO horizon disks, queue depth, busy time, admission."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surge.sim import KIB, MIB, Simulation
from surge.storage.disk import (
    DEFAULT_FRAME_BYTES,
    ConstLatencyDisk,
    Disk,
    DiskStats,
    InstantDisk,
    QueueUnit,
    VarLatencyDisk,
    admission_delay_ns,
)

CHUNK = 128 * KIB
D = 312_500  # 128 KiB at 400 MiB/s, ns
FRAME_NS = 21_457  # 9000 B at 400 MiB/s, ns (21_457.67 truncated)


def make_disk(
    cls: type[ConstLatencyDisk] = ConstLatencyDisk,
) -> tuple[Simulation, ConstLatencyDisk]:
    sim = Simulation()
    return sim, cls(sim, mib_per_s=400, name="T#01")


class TestDerivedConstants:
    def test_reference_durations(self) -> None:
        """128 KiB at 400 MiB/s takes 312_500 ns and a 9000 B frame 21_457 ns (truncated)."""
        _, disk = make_disk()
        assert (disk.chunk_duration_ns, disk.frame_duration_ns) == (D, FRAME_NS)
        assert disk.service_ns(9000) == FRAME_NS

    def test_rate_forms(self) -> None:
        """400 MiB/s is 419_430_400 bytes/s and 3_355_443_200 bits/s, either way it is given."""
        sim = Simulation()
        by_mib = ConstLatencyDisk(sim, mib_per_s=400)
        by_bytes = ConstLatencyDisk(sim, 419_430_400)
        assert by_mib.bytes_per_s == by_bytes.bytes_per_s == 400 * MIB
        assert by_mib.bits_per_s == 3_355_443_200
        assert by_bytes.mib_per_s == 400.0
        assert ConstLatencyDisk(sim, mib_per_s=0.5).bytes_per_s == 524_288

    def test_defaults(self) -> None:
        """The default chunk is 128 KiB and the default frame 9000 B, as in SURGE."""
        _, disk = make_disk()
        assert (disk.chunk_bytes, disk.frame_bytes, DEFAULT_FRAME_BYTES) == (CHUNK, 9000, 9000)


class TestValidation:
    def test_zero_rate_message(self) -> None:
        """A zero rate is rejected with the scikit-learn message shape."""
        with pytest.raises(ValueError) as info:
            ConstLatencyDisk(Simulation(), 0)
        assert str(info.value) == (
            "The 'bytes_per_s' parameter of ConstLatencyDisk must be an int > 0. Got 0 instead."
        )

    @pytest.mark.parametrize(
        ("kwargs", "pattern"),
        [
            ({}, "exactly one of 'bytes_per_s' and 'mib_per_s'"),
            ({"bytes_per_s": 10, "mib_per_s": 1}, "exactly one of"),
            (
                {"mib_per_s": 0},
                "'mib_per_s' parameter of ConstLatencyDisk must be an int or float > 0",
            ),
            (
                {"bytes_per_s": 1.5},
                "'bytes_per_s' parameter of ConstLatencyDisk must be an int > 0",
            ),
            ({"mib_per_s": 1, "chunk_bytes": 0}, "'chunk_bytes' parameter of ConstLatencyDisk"),
            ({"mib_per_s": 1, "frame_bytes": -5}, "'frame_bytes' parameter of ConstLatencyDisk"),
            ({"bytes_per_s": 2 * 10**9, "frame_bytes": 1}, "must each take at least 1 ns"),
        ],
    )
    def test_bad_constructor_arguments(self, kwargs: dict[str, float], pattern: str) -> None:
        """Bad rates, sizes and rate combinations are rejected naming the parameter."""
        with pytest.raises(ValueError, match=pattern):
            ConstLatencyDisk(Simulation(), **kwargs)  # type: ignore[arg-type]

    def test_var_disk_names_itself(self) -> None:
        """A VarLatencyDisk's messages name VarLatencyDisk, not its base class."""
        with pytest.raises(ValueError, match="parameter of VarLatencyDisk"):
            VarLatencyDisk(Simulation(), -1)

    @pytest.mark.parametrize("size", [-1, 1.5, True, None])
    def test_bad_io_size(self, size: object) -> None:
        """Negative or non-int IO sizes are rejected and change nothing."""
        _, disk = make_disk()
        with pytest.raises(
            ValueError, match=r"'size_bytes' parameter of ConstLatencyDisk\.schedule_write"
        ):
            disk.schedule_write(size)  # type: ignore[arg-type]
        with pytest.raises(
            ValueError, match=r"'size_bytes' parameter of ConstLatencyDisk\.schedule_read"
        ):
            disk.schedule_read(size)  # type: ignore[arg-type]
        assert (disk.writes, disk.reads, disk.horizon_ns) == (0, 0, 0)

    def test_seam_is_abstract(self) -> None:
        """The Disk base cannot be instantiated: it is the seam, not a disk."""
        with pytest.raises(TypeError):
            Disk(Simulation())  # type: ignore[abstract]


class TestWrites:
    def test_idle_write_costs_its_service(self) -> None:
        """A write on an idle disk completes after its own service time."""
        _, disk = make_disk()
        assert disk.schedule_write(CHUNK) == D
        assert disk.horizon_ns == disk.last_io_done_ns == D

    def test_back_to_back_writes(self) -> None:
        """The second of two back-to-back chunk writes completes after 2 x service."""
        _, disk = make_disk()
        assert [disk.schedule_write(CHUNK) for _ in range(3)] == [D, 2 * D, 3 * D]

    def test_partial_overlap(self) -> None:
        """A write arriving while the disk is busy waits for the remaining work."""
        sim, disk = make_disk()
        disk.schedule_write(CHUNK)
        sim.run(until=100_000)
        assert disk.schedule_write(CHUNK) == 2 * D - 100_000
        assert disk.horizon_ns == 2 * D

    def test_idle_gap_is_not_carried(self) -> None:
        """After the disk went idle, a write starts now: past idle time is not service."""
        sim, disk = make_disk()
        disk.schedule_write(CHUNK)
        sim.run(until=1_000_000)
        assert disk.schedule_write(9000) == FRAME_NS
        assert disk.horizon_ns == 1_000_000 + FRAME_NS

    def test_counters(self) -> None:
        """Writes and write bytes are counted."""
        _, disk = make_disk()
        disk.schedule_write(CHUNK)
        disk.schedule_write(100)
        assert (disk.writes, disk.write_bytes, disk.reads, disk.read_bytes) == (
            2,
            CHUNK + 100,
            0,
            0,
        )

    def test_zero_byte_write(self) -> None:
        """A zero-byte IO costs nothing but still waits for the queue ahead of it."""
        _, disk = make_disk()
        assert disk.schedule_write(0) == 0
        disk.schedule_write(CHUNK)
        assert disk.schedule_write(0) == D


class TestReads:
    def test_read_costs_its_own_size(self) -> None:
        """A read is served by its size (9000 B: 21_457 ns), not a whole chunk (SURGE's hack)."""
        _, disk = make_disk()
        assert disk.schedule_read(9000) == FRAME_NS
        assert (disk.reads, disk.read_bytes) == (1, 9000)

    def test_reads_and_writes_share_the_fifo(self) -> None:
        """Reads queue behind writes and writes behind reads, in arrival order."""
        _, disk = make_disk()
        assert disk.schedule_write(CHUNK) == D
        assert disk.schedule_read(9000) == D + FRAME_NS
        assert disk.schedule_write(CHUNK) == 2 * D + FRAME_NS

    def test_read_on_idle_disk_starts_now(self) -> None:
        """A read after an idle period starts now; the horizon does not stay in the past."""
        sim, disk = make_disk()
        sim.run(until=2_000_000)
        assert disk.schedule_read(CHUNK) == D
        assert disk.horizon_ns == 2_000_000 + D


class TestQueueDepth:
    @pytest.mark.parametrize("k", [1, 2, 5, 17])
    def test_depth_after_k_writes(self, k: int) -> None:
        """After k chunk writes at once the queue is k chunks and k x 312_500 ns."""
        _, disk = make_disk()
        for _ in range(k):
            disk.schedule_write(CHUNK)
        assert disk.queue_depth() == (k, k * D)
        assert disk.queue_depth(QueueUnit.CHUNKS) == disk.queue_depth("chunks")

    def test_depth_in_frames(self) -> None:
        """One queued chunk is 312_500 / 21_457 = 14.56 frame buffers, rounded to 15."""
        _, disk = make_disk()
        disk.schedule_write(CHUNK)
        assert disk.queue_depth(QueueUnit.FRAMES) == (15, D)
        assert disk.queue_depth("frames") == (15, D)

    def test_round_half_up(self) -> None:
        """1.5 chunks queued rounds up to 2; one ns less rounds down to 1."""
        sim, disk = make_disk()
        disk.schedule_write(CHUNK)
        disk.schedule_write(CHUNK)
        sim.run(until=D // 2)
        assert disk.queue_depth() == (2, 3 * D // 2)
        sim.run(until=D // 2 + 1)
        assert disk.queue_depth() == (1, 3 * D // 2 - 1)

    def test_idle(self) -> None:
        """An idle disk, or one whose horizon has passed, has an empty queue."""
        sim, disk = make_disk()
        assert disk.queue_depth() == (0, 0)
        disk.schedule_write(CHUNK)
        sim.run(until=D)
        assert disk.queue_depth(QueueUnit.FRAMES) == (0, 0)

    def test_bad_unit(self) -> None:
        """An unknown unit is rejected naming the allowed ones."""
        _, disk = make_disk()
        with pytest.raises(ValueError, match=r"must be 'chunks' or 'frames'\. Got 'bytes' instead"):
            disk.queue_depth("bytes")


class TestBusyTime:
    def test_busy_while_serving(self) -> None:
        """Busy time counts only the service already done, and stops at the horizon."""
        sim, disk = make_disk()
        disk.schedule_write(CHUNK)
        disk.schedule_write(CHUNK)
        assert disk.busy_ns == 0
        sim.run(until=400_000)
        assert disk.busy_ns == 400_000
        sim.run(until=1_000_000)
        assert disk.busy_ns == 2 * D
        assert disk.utilization() == pytest.approx(0.625)

    def test_idle_gaps_are_not_busy(self) -> None:
        """Two chunk writes 1 ms apart keep the disk busy 625_000 ns out of 2 ms."""
        sim, disk = make_disk()
        disk.schedule_write(CHUNK)
        sim.run(until=1_000_000)
        disk.schedule_write(CHUNK)
        sim.run(until=2_000_000)
        assert disk.busy_ns == 2 * D
        assert disk.utilization() == pytest.approx(0.3125)

    def test_counts_from_build_time(self) -> None:
        """A disk built later measures elapsed time from its build, not from 0."""
        sim = Simulation()
        sim.run(until=1_000_000)
        disk = ConstLatencyDisk(sim, mib_per_s=400)
        disk.schedule_write(CHUNK)
        sim.run(until=1_000_000 + 2 * D)
        assert disk.utilization() == pytest.approx(0.5)
        assert disk.stats().elapsed_ns == 2 * D

    def test_no_time_elapsed(self) -> None:
        """Utilization is 0 before any time has elapsed."""
        _, disk = make_disk()
        assert disk.utilization() == 0.0


class TestStats:
    def test_snapshot(self) -> None:
        """stats() returns a frozen snapshot of counters, busy time and queue."""
        sim, disk = make_disk()
        disk.schedule_write(CHUNK)
        disk.schedule_read(9000)
        sim.run(until=100_000)
        stats = disk.stats()
        assert stats == DiskStats(
            name="T#01",
            reads=1,
            writes=1,
            read_bytes=9000,
            write_bytes=CHUNK,
            busy_ns=100_000,
            elapsed_ns=100_000,
            utilization=1.0,
            queue_chunks=1,
            queue_ns=D + FRAME_NS - 100_000,
            last_io_done_ns=D + FRAME_NS,
            extra_latency_ns=0,
        )
        with pytest.raises(dataclasses.FrozenInstanceError):
            stats.reads = 3  # type: ignore[misc]

    def test_repr(self) -> None:
        """The repr names the class, the disk and its counters."""
        _, disk = make_disk()
        disk.schedule_write(CHUNK)
        assert repr(disk) == "<ConstLatencyDisk 'T#01' writes=1 reads=0 queue_chunks=1>"


def step(depth: int) -> int:
    """SURGE's extra-latency table, in chunk durations."""
    for below, chunks in ((4, 0), (8, 1), (12, 2), (16, 3), (20, 4)):
        if depth < below:
            return chunks
    return 8


class TestVarLatencyDisk:
    @pytest.mark.parametrize(
        ("depth", "chunks"),
        [
            (0, 0),
            (3, 0),
            (4, 1),
            (7, 1),
            (8, 2),
            (11, 2),
            (12, 3),
            (15, 3),
            (16, 4),
            (19, 4),
            (20, 8),
            (100, 8),
        ],
    )
    def test_step_table(self, depth: int, chunks: int) -> None:
        """The extra latency follows SURGE's steps: 0, 1, 2, 3, 4, then 8 chunk durations."""
        _, disk = make_disk(VarLatencyDisk)
        assert isinstance(disk, VarLatencyDisk)
        assert disk.extra_latency_for(depth) == chunks * D

    def test_burst_of_writes(self) -> None:
        """Write k of a burst completes at k x D plus the step for depth k."""
        _, disk = make_disk(VarLatencyDisk)
        delays = [disk.schedule_write(CHUNK) for _ in range(25)]
        assert delays == [(k + step(k)) * D for k in range(1, 26)]

    def test_extra_not_in_horizon(self) -> None:
        """The extra latency delays the IO, not the horizon, and is not busy time."""
        sim, disk = make_disk(VarLatencyDisk)
        for _ in range(5):
            disk.schedule_write(CHUNK)
        assert disk.horizon_ns == 5 * D
        assert disk.last_io_done_ns == 6 * D
        assert disk.extra_latency_ns == 2 * D
        sim.run(until=10 * D)
        assert disk.busy_ns == 5 * D
        assert disk.stats().extra_latency_ns == 2 * D

    def test_reads_get_extra_latency(self) -> None:
        """A read that finds a deep queue completes later, as a write would."""
        _, disk = make_disk(VarLatencyDisk)
        for _ in range(3):
            disk.schedule_write(CHUNK)
        assert disk.schedule_read(CHUNK) == 5 * D

    def test_shallow_queue_is_const(self) -> None:
        """Below depth 4 a variable-latency disk behaves like the constant one."""
        _, var = make_disk(VarLatencyDisk)
        _, const = make_disk()
        assert [var.schedule_write(CHUNK) for _ in range(3)] == [
            const.schedule_write(CHUNK) for _ in range(3)
        ]


class TestInstantDisk:
    def test_everything_at_once(self) -> None:
        """Every IO completes at once; counters still count; nothing is ever queued or busy."""
        sim = Simulation()
        disk = InstantDisk(sim, name="T#02")
        sim.run(until=500)
        assert disk.schedule_write(CHUNK) == 0
        assert disk.schedule_read(10) == 0
        assert disk.queue_depth() == (0, 0)
        assert disk.queue_depth(QueueUnit.FRAMES) == (0, 0)
        assert (disk.last_io_done_ns, disk.busy_ns, disk.chunk_duration_ns) == (500, 0, 0)
        assert disk.admission_delay_ns(2) == 0
        stats = disk.stats()
        assert (stats.writes, stats.reads, stats.write_bytes, stats.read_bytes) == (1, 1, CHUNK, 10)
        assert stats.utilization == 0.0

    def test_validation(self) -> None:
        """InstantDisk rejects bad sizes and units like the real disks."""
        disk = InstantDisk(Simulation())
        with pytest.raises(ValueError, match=r"InstantDisk\.schedule_write"):
            disk.schedule_write(-1)
        with pytest.raises(ValueError, match=r"InstantDisk\.schedule_read"):
            disk.schedule_read(-1)
        with pytest.raises(ValueError, match=r"InstantDisk\.queue_depth"):
            disk.queue_depth("bytes")
        with pytest.raises(ValueError, match="'name' parameter of InstantDisk must be a str"):
            InstantDisk(Simulation(), name=3)  # type: ignore[arg-type]


class TestAdmissionDelay:
    @pytest.mark.parametrize(
        ("io_done", "now", "max_chunks", "expected"),
        [
            (1_000_000, 0, 2, 687_500),  # 1 ms queued, keep 1 chunk: wait 687.5 us
            (1_000_000, 0, 1, 1_000_000),  # no queue allowed: wait for everything
            (D, 0, 2, 0),  # exactly one chunk queued: admit now
            (D + 1, 0, 2, 1),
            (500, 1_000, 2, 0),  # disk idle since 500 ns
            (3 * D, D, 3, 0),
        ],
    )
    def test_formula(self, io_done: int, now: int, max_chunks: int, expected: int) -> None:
        """max(0, (io_done - now) - D x (max_queue_chunks - 1)), with D = 312_500 ns."""
        assert admission_delay_ns(io_done, now, D, max_chunks) == expected

    def test_disk_method(self) -> None:
        """A disk computes the delay from its last IO completion and the current time."""
        sim, disk = make_disk()
        for _ in range(3):
            disk.schedule_write(CHUNK)
        assert disk.admission_delay_ns(2) == 2 * D
        sim.run(until=D)
        assert disk.admission_delay_ns(2) == D

    def test_var_disk_uses_extra_latency(self) -> None:
        """For a variable-latency disk the last IO's extra latency counts too."""
        _, disk = make_disk(VarLatencyDisk)
        for _ in range(4):
            disk.schedule_write(CHUNK)
        assert disk.admission_delay_ns(2) == (5 - 1) * D

    @pytest.mark.parametrize(
        ("duration", "max_chunks", "name"),
        [(-1, 2, "chunk_duration_ns"), (D, 0, "max_queue_chunks"), (D, 1.0, "max_queue_chunks")],
    )
    def test_validation(self, duration: int, max_chunks: int, name: str) -> None:
        """A negative chunk duration or a limit below one chunk is rejected."""
        with pytest.raises(ValueError, match=f"'{name}' parameter of admission_delay_ns"):
            admission_delay_ns(0, 0, duration, max_chunks)


io_ops = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=2 * D),  # gap before the IO, ns
        st.booleans(),  # write or read
        st.integers(min_value=0, max_value=4 * CHUNK),  # size, bytes
    ),
    min_size=1,
    max_size=40,
)


class TestProperties:
    @settings(max_examples=60, deadline=None)
    @given(ops=io_ops)
    def test_const_disk_invariants(self, ops: list[tuple[int, bool, int]]) -> None:
        """The horizon never decreases, each delay >= own service, busy <= elapsed, and
        once drained the disk was busy exactly the sum of the service times."""
        sim, disk = make_disk()
        horizon = disk.horizon_ns
        busy = 0
        services = 0
        for gap, is_write, size in ops:
            sim.run(until=sim.now + gap)
            assert disk.busy_ns >= busy
            busy = disk.busy_ns
            assert busy <= sim.now
            delay = disk.schedule_write(size) if is_write else disk.schedule_read(size)
            service = disk.service_ns(size)
            services += service
            assert delay >= service
            assert disk.horizon_ns >= horizon
            horizon = disk.horizon_ns
            assert delay == horizon - sim.now
        sim.run(until=horizon + 1)
        assert disk.busy_ns == services

    @settings(max_examples=60, deadline=None)
    @given(ops=io_ops)
    def test_var_disk_never_faster(self, ops: list[tuple[int, bool, int]]) -> None:
        """A variable-latency disk completes each IO no earlier than the constant one,
        keeps the same horizon, and its extra is a whole number of chunk durations."""
        sim = Simulation()
        const = ConstLatencyDisk(sim, mib_per_s=400)
        var = VarLatencyDisk(sim, mib_per_s=400)
        for gap, is_write, size in ops:
            sim.run(until=sim.now + gap)
            if is_write:
                base, slow = const.schedule_write(size), var.schedule_write(size)
            else:
                base, slow = const.schedule_read(size), var.schedule_read(size)
            assert slow >= base
            assert (slow - base) % D == 0
            assert var.horizon_ns == const.horizon_ns
            assert var.last_io_done_ns >= var.horizon_ns
