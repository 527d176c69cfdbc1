"""Disks: a FIFO "busy until" horizon, and its variable-latency and instant twins.

What and why
------------
SURGE models a server's disk not as a queue of requests but as one number, the time the
disk will have finished everything it was given (the *horizon*, SURGE's ``iodone``). A new
IO of ``b`` bytes takes its own service time and starts when the disk is free::

    service_ns = floor(b * 10**9 / bytes_per_s)        # = floor(b*8*1e9 / bits_per_s)
    horizon    = max(horizon, now) + service_ns
    delay_ns   = horizon - now                          # queueing + own service

so a model learns at once when the IO will complete and schedules its ack then: one
subtraction per IO, no events. With SURGE's defaults (128 KiB chunks, 400 MiB/s) a chunk
takes exactly 312_500 ns and a 9000 B jumbo frame 21_457 ns (truncated from 21_457.67).
Sizes are bytes, rates bytes per second (``mib_per_s`` is a convenience: 1 MiB = 2**20
bytes, as in SURGE's ``-diskthroughput``), times integer ns.

Derived quantities:

* queue depth ``round_half_up((horizon - now) / unit_ns)`` with ``unit_ns`` the duration of
  a chunk (:attr:`QueueUnit.CHUNKS`) or of a frame buffer (:attr:`QueueUnit.FRAMES`),
  computed exactly in integers as ``(2*diff + unit) // (2*unit)``;
* busy time up to now ``= (sum of all service times) - max(0, horizon - now)``: the disk
  is busy without a gap from now until the horizon, so whatever service is not yet done
  lies in that window. ``busy_ns / elapsed_ns`` is the busy percentage SURGE reports.

:class:`VarLatencyDisk` adds SURGE's queue-depth-dependent extra latency (step table
below) to each IO's completion, without pushing the horizon: a deep queue makes each IO
*later*, not the disk *slower*. :class:`InstantDisk` completes everything at once, for
tests of models. :func:`admission_delay_ns` is SURGE's ``diskdelay``, the back-pressure a
server applies before accepting a new chunk.

Reference defects fixed
-----------------------
* **Reads.** SURGE's ``scheduleRead`` is a "niy, temp hack": it adds a whole chunk's
  duration to the horizon whatever the read size, even when the horizon is in the past
  (so an idle disk's reads complete "in the past" and the next write queues behind time
  that never existed), and returns nothing. Here reads are served FIFO exactly like writes,
  by their own size, and return their delay.
* **Build time.** SURGE stamps ``iodone = Now`` at build time, which for the second model
  in one process is the previous model's end time. Here each disk belongs to one
  simulation and starts idle at that simulation's ``now``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING, ClassVar

from surge.sim.units import MIB, S
from surge.storage._validate import check_int, check_real, param_error
from surge.storage.chunk import DEFAULT_CHUNK_BYTES

if TYPE_CHECKING:
    from surge.sim import Simulation

__all__ = [
    "DEFAULT_FRAME_BYTES",
    "ConstLatencyDisk",
    "Disk",
    "DiskStats",
    "InstantDisk",
    "QueueUnit",
    "VarLatencyDisk",
    "admission_delay_ns",
]

#: SURGE's default L2 frame (``-l2frame 9000``, a jumbo frame), bytes.
DEFAULT_FRAME_BYTES = 9000
_BITS_PER_BYTE = 8
_HALF = Fraction(1, 2)


class QueueUnit(StrEnum):
    """The unit of :meth:`Disk.queue_depth`: whole chunks, or frame-sized buffers."""

    CHUNKS = "chunks"
    FRAMES = "frames"


@dataclass(frozen=True, slots=True)
class DiskStats:
    """A disk's counters and time-based figures at one instant.

    Attributes:
        name: the disk's name.
        reads: reads scheduled.
        writes: writes scheduled.
        read_bytes: bytes of the reads, bytes.
        write_bytes: bytes of the writes, bytes.
        busy_ns: time the disk has spent serving IO up to now, ns.
        elapsed_ns: time since the disk was built, ns.
        utilization: ``busy_ns / elapsed_ns`` in [0, 1] (0 when no time has elapsed).
        queue_chunks: queue depth now, in chunks (round half up).
        queue_ns: work queued ahead of now, ns.
        last_io_done_ns: completion time of the last scheduled IO, ns.
        extra_latency_ns: total extra latency added by queue depth, ns (variable-latency
            disks only, else 0).
    """

    name: str
    reads: int
    writes: int
    read_bytes: int
    write_bytes: int
    busy_ns: int
    elapsed_ns: int
    utilization: float
    queue_chunks: int
    queue_ns: int
    last_io_done_ns: int
    extra_latency_ns: int


def admission_delay_ns(
    disk_io_done_ns: int, now_ns: int, chunk_duration_ns: int, max_queue_chunks: int
) -> int:
    """How long a server should wait before accepting one more chunk (SURGE's ``diskdelay``).

    ``max(0, (disk_io_done_ns - now_ns) - chunk_duration_ns * (max_queue_chunks - 1))``:
    the wait until no more than ``max_queue_chunks - 1`` chunks remain queued on the disk,
    assuming the new chunk arrives at ``now_ns``.

    For an arrival in the future pass its arrival time as ``now_ns``. (SURGE's general
    form, used by its model "a" with a future ``netDelivered``, subtracts the lead time
    ``netDelivered - Now`` twice; this function does not reproduce that.)

    Args:
        disk_io_done_ns: completion time of the disk's last IO, ns
            (:attr:`Disk.last_io_done_ns`).
        now_ns: the time the new chunk arrives, ns.
        chunk_duration_ns: the disk's service time of one chunk, ns (>= 0).
        max_queue_chunks: the admission limit, chunks (>= 1); SURGE's
            ``max(2, diskqueue / chunksize)``.

    Returns:
        The delay, ns (>= 0).

    Raises:
        ValueError: ``chunk_duration_ns`` < 0 or ``max_queue_chunks`` < 1.

    Example:
        >>> admission_delay_ns(1_000_000, 0, 312_500, 2)  # 1 ms queued, 2-chunk limit
        687500
    """
    if chunk_duration_ns.__class__ is not int or chunk_duration_ns < 0:
        check_int(chunk_duration_ns, "chunk_duration_ns", "admission_delay_ns", low=0)
    if max_queue_chunks.__class__ is not int or max_queue_chunks < 1:
        check_int(max_queue_chunks, "max_queue_chunks", "admission_delay_ns", low=1)
    delay = (disk_io_done_ns - now_ns) - chunk_duration_ns * (max_queue_chunks - 1)
    return delay if delay > 0 else 0


def _bad_size(size_bytes: object, method: str) -> ValueError:
    return param_error("size_bytes", method, "an int >= 0", size_bytes)


class Disk(ABC):
    """The disk seam: what a server model needs from its disk.

    Subclasses implement the four abstract members; the counters, :meth:`stats` and
    :meth:`admission_delay_ns` come with the base.

    Args:
        sim: the simulation whose clock the disk reads.
        chunk_bytes: chunk size, bytes (the unit of queue depth in chunks).
        frame_bytes: frame buffer size, bytes (the unit of queue depth in frames).
        name: a label for logs and reports, e.g. ``"T#03"``.

    Attributes:
        reads, writes: IOs scheduled so far.
        read_bytes, write_bytes: bytes of those IOs.
        created_ns: the time the disk was built, ns.
    """

    __slots__ = (
        "_sim",
        "chunk_bytes",
        "created_ns",
        "frame_bytes",
        "name",
        "read_bytes",
        "reads",
        "write_bytes",
        "writes",
    )

    def __init__(
        self,
        sim: Simulation,
        *,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        frame_bytes: int = DEFAULT_FRAME_BYTES,
        name: str = "disk",
    ) -> None:
        owner = type(self).__name__
        self.chunk_bytes = check_int(chunk_bytes, "chunk_bytes", owner, low=1)
        self.frame_bytes = check_int(frame_bytes, "frame_bytes", owner, low=1)
        if not isinstance(name, str):
            raise param_error("name", owner, "a str", name)
        self.name = name
        self._sim = sim
        self.created_ns = sim.now
        self.reads = 0
        self.writes = 0
        self.read_bytes = 0
        self.write_bytes = 0

    @abstractmethod
    def schedule_write(self, size_bytes: int) -> int:
        """Queue a write of ``size_bytes`` now.

        Returns:
            ns from now until the write completes (queueing + service + any extra).
        """

    @abstractmethod
    def schedule_read(self, size_bytes: int) -> int:
        """Queue a read of ``size_bytes`` now.

        Returns:
            ns from now until the read completes (queueing + service + any extra).
        """

    @abstractmethod
    def queue_depth(self, unit: QueueUnit | str = QueueUnit.CHUNKS) -> tuple[int, int]:
        """The work queued ahead of now.

        Args:
            unit: count it in chunks or in frame buffers.

        Returns:
            ``(depth, queued_ns)``: the depth in ``unit`` (round half up) and in ns.
        """

    @property
    @abstractmethod
    def last_io_done_ns(self) -> int:
        """Completion time of the most recently scheduled IO, ns (build time if none)."""

    @property
    @abstractmethod
    def busy_ns(self) -> int:
        """Time the disk has spent serving IO from its build time up to now, ns."""

    @property
    @abstractmethod
    def chunk_duration_ns(self) -> int:
        """Service time of one chunk of ``chunk_bytes``, ns."""

    @property
    def extra_latency_ns(self) -> int:
        """Total extra latency added to IOs by queue depth, ns (0 unless overridden)."""
        return 0

    def admission_delay_ns(self, max_queue_chunks: int) -> int:
        """:func:`admission_delay_ns` for a chunk arriving now at this disk."""
        return admission_delay_ns(
            self.last_io_done_ns, self._sim.now, self.chunk_duration_ns, max_queue_chunks
        )

    def utilization(self) -> float:
        """Busy fraction since the disk was built, ``busy_ns / elapsed``, in [0, 1]."""
        elapsed = self._sim.now - self.created_ns
        return self.busy_ns / elapsed if elapsed > 0 else 0.0

    def stats(self) -> DiskStats:
        """The counters and time-based figures now, as a frozen :class:`DiskStats`."""
        depth, queued = self.queue_depth(QueueUnit.CHUNKS)
        return DiskStats(
            name=self.name,
            reads=self.reads,
            writes=self.writes,
            read_bytes=self.read_bytes,
            write_bytes=self.write_bytes,
            busy_ns=self.busy_ns,
            elapsed_ns=self._sim.now - self.created_ns,
            utilization=self.utilization(),
            queue_chunks=depth,
            queue_ns=queued,
            last_io_done_ns=self.last_io_done_ns,
            extra_latency_ns=self.extra_latency_ns,
        )

    def __repr__(self) -> str:
        depth, _ = self.queue_depth(QueueUnit.CHUNKS)
        return (
            f"<{type(self).__name__} {self.name!r} writes={self.writes} reads={self.reads} "
            f"queue_chunks={depth}>"
        )


class ConstLatencyDisk(Disk):
    """A FIFO disk of constant throughput: each IO costs ``floor(b * 1e9 / bytes_per_s)`` ns.

    Give the throughput as ``bytes_per_s`` or, as SURGE does, as ``mib_per_s`` (exactly
    one of the two).

    Args:
        sim: the simulation whose clock the disk reads.
        bytes_per_s: throughput, bytes per second (int > 0).
        mib_per_s: throughput, MiB per second (> 0); converted to whole bytes per second,
            rounding half up.
        chunk_bytes: chunk size, bytes; SURGE's default 128 KiB.
        frame_bytes: frame buffer size, bytes; SURGE's default 9000 (jumbo frame).
        name: a label for logs and reports.

    Raises:
        ValueError: a parameter is out of range, both or neither of ``bytes_per_s`` and
            ``mib_per_s`` are given, or a frame would take less than 1 ns.

    Example:
        >>> from surge.sim import Simulation
        >>> disk = ConstLatencyDisk(Simulation(), mib_per_s=400)
        >>> disk.chunk_duration_ns, disk.schedule_write(131072), disk.schedule_write(131072)
        (312500, 312500, 625000)
    """

    __slots__ = (
        "_chunk_duration_ns",
        "_frame_duration_ns",
        "_horizon_ns",
        "_last_io_done_ns",
        "_service_total_ns",
        "bytes_per_s",
    )

    def __init__(
        self,
        sim: Simulation,
        bytes_per_s: int | None = None,
        *,
        mib_per_s: float | None = None,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        frame_bytes: int = DEFAULT_FRAME_BYTES,
        name: str = "disk",
    ) -> None:
        super().__init__(sim, chunk_bytes=chunk_bytes, frame_bytes=frame_bytes, name=name)
        owner = type(self).__name__
        if (bytes_per_s is None) == (mib_per_s is None):
            raise ValueError(
                f"{owner} needs exactly one of 'bytes_per_s' and 'mib_per_s'. "
                f"Got bytes_per_s={bytes_per_s!r}, mib_per_s={mib_per_s!r} instead."
            )
        if mib_per_s is not None:
            rate = check_real(mib_per_s, "mib_per_s", owner)
            bytes_per_s = int(Fraction(rate) * MIB + _HALF)
        self.bytes_per_s = check_int(bytes_per_s, "bytes_per_s", owner, low=1)
        self._chunk_duration_ns = self.service_ns(self.chunk_bytes)
        self._frame_duration_ns = self.service_ns(self.frame_bytes)
        if self._frame_duration_ns < 1 or self._chunk_duration_ns < 1:
            raise ValueError(
                f"{owner}: a chunk ({self.chunk_bytes} B) and a frame ({self.frame_bytes} B) "
                f"must each take at least 1 ns at {self.bytes_per_s} bytes/s. Got chunk "
                f"{self._chunk_duration_ns} ns, frame {self._frame_duration_ns} ns instead."
            )
        self._horizon_ns = sim.now
        self._last_io_done_ns = sim.now
        self._service_total_ns = 0

    # ---------------------------------------------------------------- derived constants
    @property
    def bits_per_s(self) -> int:
        """Throughput in bits per second (SURGE's ``diskbps``)."""
        return self.bytes_per_s * _BITS_PER_BYTE

    @property
    def mib_per_s(self) -> float:
        """Throughput in MiB per second."""
        return self.bytes_per_s / MIB

    @property
    def chunk_duration_ns(self) -> int:
        """Service time of one chunk, ns (312_500 for 128 KiB at 400 MiB/s)."""
        return self._chunk_duration_ns

    @property
    def frame_duration_ns(self) -> int:
        """Service time of one frame buffer, ns (21_457 for 9000 B at 400 MiB/s)."""
        return self._frame_duration_ns

    def service_ns(self, size_bytes: int) -> int:
        """Service time of ``size_bytes`` alone, ``floor(size_bytes * 1e9 / bytes_per_s)`` ns."""
        return size_bytes * S // self.bytes_per_s

    # ------------------------------------------------------------------------- IO
    def schedule_write(self, size_bytes: int) -> int:
        """Queue a write of ``size_bytes`` (int >= 0) behind all earlier IO.

        Returns:
            ns from now until it completes: the work queued ahead plus its own service.

        Raises:
            ValueError: ``size_bytes`` is negative or not an int.
        """
        if size_bytes.__class__ is not int or size_bytes < 0:
            raise _bad_size(size_bytes, f"{type(self).__name__}.schedule_write")
        self.writes += 1
        self.write_bytes += size_bytes
        return self._enqueue(size_bytes)

    def schedule_read(self, size_bytes: int) -> int:
        """Queue a read of ``size_bytes`` (int >= 0) behind all earlier IO, like a write.

        Returns:
            ns from now until it completes: the work queued ahead plus its own service.

        Raises:
            ValueError: ``size_bytes`` is negative or not an int.
        """
        if size_bytes.__class__ is not int or size_bytes < 0:
            raise _bad_size(size_bytes, f"{type(self).__name__}.schedule_read")
        self.reads += 1
        self.read_bytes += size_bytes
        return self._enqueue(size_bytes)

    def _enqueue(self, size_bytes: int) -> int:
        """Push the horizon by the IO's service time; return ns until it completes."""
        now = self._sim.now
        service = self.service_ns(size_bytes)
        self._service_total_ns += service
        done = self._horizon_ns
        done = done + service if done > now else now + service
        self._horizon_ns = done
        self._last_io_done_ns = done
        return done - now

    # ------------------------------------------------------------------ observation
    @property
    def horizon_ns(self) -> int:
        """The time the disk will have served all IO queued so far, ns (SURGE's ``iodone``)."""
        return self._horizon_ns

    @property
    def last_io_done_ns(self) -> int:
        """Completion time of the most recently scheduled IO, ns."""
        return self._last_io_done_ns

    @property
    def busy_ns(self) -> int:
        """Time spent serving IO up to now, ns: all service minus what lies ahead of now."""
        ahead = self._horizon_ns - self._sim.now
        return self._service_total_ns - ahead if ahead > 0 else self._service_total_ns

    def queue_depth(self, unit: QueueUnit | str = QueueUnit.CHUNKS) -> tuple[int, int]:
        """The work queued ahead of now, as ``(depth in unit, ns)``.

        The depth is ``(horizon - now) / unit_ns`` rounded half up, with ``unit_ns`` the
        chunk or frame duration; ``(0, 0)`` when the disk is idle.

        Raises:
            ValueError: ``unit`` is not a :class:`QueueUnit` (or its value).
        """
        unit_ns = self._unit_ns(unit)
        diff = self._horizon_ns - self._sim.now
        if diff <= 0:
            return 0, 0
        return (2 * diff + unit_ns) // (2 * unit_ns), diff

    def _unit_ns(self, unit: QueueUnit | str) -> int:
        if unit == QueueUnit.CHUNKS:
            return self._chunk_duration_ns
        if unit == QueueUnit.FRAMES:
            return self._frame_duration_ns
        raise param_error(
            "unit", f"{type(self).__name__}.queue_depth", "'chunks' or 'frames'", unit
        )


class VarLatencyDisk(ConstLatencyDisk):
    """A :class:`ConstLatencyDisk` whose IOs complete later as the queue grows deeper.

    After an IO is queued, the depth ``n`` (in chunks, round half up) selects an extra
    latency from SURGE's step table, in chunk durations::

        n < 4: 0    n < 8: 1    n < 12: 2    n < 16: 3    n < 20: 4    else: 8

    The IO completes at ``horizon + extra``. The extra is *not* added to the horizon:
    it delays this IO's completion (and :attr:`last_io_done_ns`), not the IOs behind it,
    and it is not busy time. SURGE applies it to writes only (its variable-latency models
    only write); here reads, being served like writes, get it too.

    Same arguments as :class:`ConstLatencyDisk`. Override :attr:`latency_steps` and
    :attr:`overflow_chunks` in a subclass for another table.

    Example:
        >>> from surge.sim import Simulation
        >>> disk = VarLatencyDisk(Simulation(), mib_per_s=400)
        >>> [disk.schedule_write(131072) // 312_500 for _ in range(5)]
        [1, 2, 3, 5, 6]
    """

    __slots__ = ("_extra_total_ns",)

    #: ``(depth_below, chunk_durations)`` pairs, in increasing depth.
    latency_steps: ClassVar[tuple[tuple[int, int], ...]] = (
        (4, 0),
        (8, 1),
        (12, 2),
        (16, 3),
        (20, 4),
    )
    #: Extra latency, in chunk durations, at depths beyond the table.
    overflow_chunks: ClassVar[int] = 8

    def __init__(
        self,
        sim: Simulation,
        bytes_per_s: int | None = None,
        *,
        mib_per_s: float | None = None,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        frame_bytes: int = DEFAULT_FRAME_BYTES,
        name: str = "disk",
    ) -> None:
        super().__init__(
            sim,
            bytes_per_s,
            mib_per_s=mib_per_s,
            chunk_bytes=chunk_bytes,
            frame_bytes=frame_bytes,
            name=name,
        )
        self._extra_total_ns = 0

    def extra_latency_for(self, depth_chunks: int) -> int:
        """Extra latency of an IO that finds ``depth_chunks`` chunks queued, ns."""
        for below, chunks in self.latency_steps:
            if depth_chunks < below:
                return chunks * self._chunk_duration_ns
        return self.overflow_chunks * self._chunk_duration_ns

    @property
    def extra_latency_ns(self) -> int:
        """Total extra latency added to IOs so far, ns."""
        return self._extra_total_ns

    def _enqueue(self, size_bytes: int) -> int:
        delay = super()._enqueue(size_bytes)
        unit = self._chunk_duration_ns
        extra = self.extra_latency_for((2 * delay + unit) // (2 * unit))
        self._extra_total_ns += extra
        self._last_io_done_ns += extra
        return delay + extra


class InstantDisk(Disk):
    """A disk that completes every IO at once: zero delay, never busy, never queued.

    The trivial twin of :class:`ConstLatencyDisk` for tests of models: the same counters,
    no time. Its chunk duration is 0, so its admission delay is always 0.

    Args:
        sim: the simulation whose clock the disk reads.
        chunk_bytes: chunk size, bytes.
        frame_bytes: frame buffer size, bytes.
        name: a label for logs and reports.
    """

    __slots__ = ("_last_io_done_ns",)

    def __init__(
        self,
        sim: Simulation,
        *,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        frame_bytes: int = DEFAULT_FRAME_BYTES,
        name: str = "disk",
    ) -> None:
        super().__init__(sim, chunk_bytes=chunk_bytes, frame_bytes=frame_bytes, name=name)
        self._last_io_done_ns = sim.now

    def schedule_write(self, size_bytes: int) -> int:
        """Count a write of ``size_bytes``; it completes now (returns 0)."""
        if size_bytes.__class__ is not int or size_bytes < 0:
            raise _bad_size(size_bytes, "InstantDisk.schedule_write")
        self.writes += 1
        self.write_bytes += size_bytes
        self._last_io_done_ns = self._sim.now
        return 0

    def schedule_read(self, size_bytes: int) -> int:
        """Count a read of ``size_bytes``; it completes now (returns 0)."""
        if size_bytes.__class__ is not int or size_bytes < 0:
            raise _bad_size(size_bytes, "InstantDisk.schedule_read")
        self.reads += 1
        self.read_bytes += size_bytes
        self._last_io_done_ns = self._sim.now
        return 0

    def queue_depth(self, unit: QueueUnit | str = QueueUnit.CHUNKS) -> tuple[int, int]:
        """Always ``(0, 0)``: nothing ever waits.

        Raises:
            ValueError: ``unit`` is not a :class:`QueueUnit` (or its value).
        """
        if unit not in (QueueUnit.CHUNKS, QueueUnit.FRAMES):
            raise param_error("unit", "InstantDisk.queue_depth", "'chunks' or 'frames'", unit)
        return 0, 0

    @property
    def last_io_done_ns(self) -> int:
        """Time of the last IO (it completed when scheduled), ns."""
        return self._last_io_done_ns

    @property
    def busy_ns(self) -> int:
        """Always 0."""
        return 0

    @property
    def chunk_duration_ns(self) -> int:
        """Always 0."""
        return 0
