"""Point-to-point links: bandwidth, L2 overhead, frames, FIFO serialization, latency.

Design
------
A :class:`Link` is one direction of a wire, owned by its sender. It keeps a single horizon,
``busy_until_ns``, the time its transmitter finishes the last accepted message. Sending a
message of ``S`` bytes at ``now`` therefore costs no event of its own:

* it starts when the wire is free: ``start = max(now, busy_until_ns)`` (FIFO: a message
  waits for every message accepted before it, frames of two messages never interleave);
* it is cut into ``ceil(S / F)`` frames of ``F = frame_bytes`` (the last one shorter; an
  empty message is one empty frame);
* each frame occupies the wire for ``serialization_ns(frame_size, eff)`` ns, where the
  effective rate removes the L2 overhead exactly as SURGE does,
  ``eff = floor(bits_per_s * (100 - overhead_pct) / 100)`` (10 Gbit/s with 1 % is
  9.9 Gbit/s);
* its last bit arrives ``latency_ns`` after the end of serialization of its last frame, and
  ``deliver(arg)`` runs then, from **one** heap entry (``sim.schedule``).

Rounding rule. ``serialization_ns`` truncates to whole ns (``floor(8 * size * 10**9 /
eff)``) and it is applied **per frame**, as SURGE times each frame separately: a message of
``k`` full frames and a remainder of ``r`` bytes occupies the wire for
``k * floor(8*F*1e9/eff) + floor(8*r*1e9/eff)`` ns, which can be up to one ns per frame
shorter than the untruncated time (20000 B at 9.9 Gbit/s: 7272 + 7272 + 1616 = 16160 ns, not
16161). One frame of ``S`` bytes on an idle link arrives at exactly
``now + latency_ns + floor(8*S*1e9/eff)``.

:meth:`Link.send_frames` is the variant for models that act per frame: one heap entry per
frame, each delivered at its own arrival time. :class:`IdealLink` is the trivial twin
(zero latency, infinite bandwidth) for tests; both satisfy :class:`LinkLike`.

Speed. ``send`` is on the hot path of every model (the engine benchmark sends millions of
messages), so it uses ``__slots__``, local variables, integer arithmetic only (the rate
kept as a reduced fraction, ``80/99`` ns per byte at 9.9 Gbit/s, so that operands stay
small), a fast path for single-frame messages, counters derived lazily where possible, and
exactly one heap entry per message, pushed through the engine's trusted-primitive fast path
(``sim.heap_access()``: an arrival is ``max(now, busy_until) + duration + latency``, never in
the past, so it needs no check and no Python call).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from heapq import heappush
from math import gcd
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from surge.network._validation import check_int, check_real, param_error
from surge.sim.units import S, parse_duration, parse_rate, parse_size

if TYPE_CHECKING:
    from surge.sim import Simulation

__all__ = [
    "JUMBO_FRAME_BYTES",
    "Frame",
    "IdealLink",
    "Link",
    "LinkLike",
    "LinkStats",
    "effective_bits_per_s",
]

#: SURGE's default L2 frame size, bytes (a jumbo Ethernet frame).
JUMBO_FRAME_BYTES = 9000

_BITS_PER_BYTE = 8
_PERCENT = 100
#: ``serialization_ns(size, rate) == size * _BYTE_NS // rate`` (bit·ns/s per byte).
_BYTE_NS = _BITS_PER_BYTE * S


def effective_bits_per_s(bits_per_s: int, overhead_pct: float = 0) -> int:
    """The payload rate left after an L2 overhead: ``floor(bits_per_s * (100 - pct) / 100)``.

    Exact (rational) arithmetic on the percentage as written in decimal, so
    ``effective_bits_per_s(10**10, 1) == 9_900_000_000`` and a float such as ``0.1`` means
    exactly one tenth (not its binary approximation, which would lose a bit/s).

    Args:
        bits_per_s: the raw line rate, bits/s.
        overhead_pct: the share of the line spent on L2 headers and gaps, percent, in
            ``[0, 100)``.
    """
    return int(Fraction(bits_per_s) * (_PERCENT - Fraction(str(overhead_pct))) / _PERCENT)


class Frame(NamedTuple):
    """One frame handed to a per-frame callback of :meth:`Link.send_frames`.

    Attributes:
        arg: the ``arg`` given to ``send_frames``.
        seq: 0-based number of the frame within its message.
        offset_bytes: bytes of the message delivered once this frame has arrived.
        size_bytes: this frame's payload, bytes.
        last: ``True`` for the message's last frame.
    """

    arg: Any
    seq: int
    offset_bytes: int
    size_bytes: int
    last: bool


@dataclass(frozen=True, slots=True)
class LinkStats:
    """Counters of one link, up to ``now``.

    Attributes:
        name: the link's name.
        messages: messages accepted by ``send``/``send_frames``.
        frames: frames those messages were cut into.
        bytes_sent: payload bytes accepted.
        busy_ns: time the transmitter has spent serializing so far, ns (accepted work that
            lies in the future is not counted; see ``backlog_ns``).
        elapsed_ns: time since the link was created, ns.
        utilization: ``busy_ns / elapsed_ns`` in [0, 1] (0 before any time has passed).
        queue_delay_total_ns: sum over messages of the time waited for the wire, ns.
        queue_delay_max_ns: the longest such wait, ns.
        mean_queue_delay_ns: ``queue_delay_total_ns / messages`` (0 without messages).
        backlog_ns: accepted work not yet serialized: ``max(0, busy_until - now)``, ns.
    """

    name: str
    messages: int
    frames: int
    bytes_sent: int
    busy_ns: int
    elapsed_ns: int
    utilization: float
    queue_delay_total_ns: int
    queue_delay_max_ns: int
    mean_queue_delay_ns: float
    backlog_ns: int


class LinkLike(Protocol):
    """What models need from a link; :class:`Link` and :class:`IdealLink` provide it."""

    name: str

    def send(self, size_bytes: int, deliver: Callable[[Any], object], arg: Any = None) -> int:
        """Transmit a message; ``deliver(arg)`` runs at its arrival, which is returned (ns)."""
        ...

    def send_frames(
        self, size_bytes: int, on_frame: Callable[[Frame], object], arg: Any = None
    ) -> int:
        """Transmit a message; ``on_frame(frame)`` runs at each frame's arrival."""
        ...

    def transmission_ns(self, size_bytes: int) -> int:
        """Serialization time of a message on an idle link, ns."""
        ...

    def stats(self) -> LinkStats:
        """The link's counters up to now."""
        ...


def _as_int(value: object, parse: Callable[[Any], int], name: str, allowed: str) -> int:
    """``value`` as an int via a units parser, with the boundary message shape on failure."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise param_error(name, "Link", allowed, value)
    try:
        return parse(value)
    except ValueError:
        raise param_error(name, "Link", allowed, value) from None


class Link:
    """A point-to-point, one-direction link with FIFO serialization, frames and latency.

    Args:
        sim: the simulation.
        bits_per_s: raw line rate, bits/s, an int > 0 or a rate string (``"10Gbps"``).
        latency_ns: one-way propagation latency, ns, an int >= 0 or a duration string
            (``"1us"``).
        overhead_pct: L2 overhead in percent, in ``[0, 100)``; the payload rate is
            :func:`effective_bits_per_s` (SURGE uses 1: 10 Gbit/s carries 9.9 Gbit/s).
        frame_bytes: largest frame payload, bytes (int > 0 or ``"9000B"``); larger messages
            are split into ``ceil(size / frame_bytes)`` frames.
        name: shown in ``repr`` and stats, e.g. ``"I#01->T#03"``.

    Attributes:
        bits_per_s: the raw line rate, bits/s.
        effective_bits_per_s: the payload rate after overhead, bits/s.
        latency_ns: the propagation latency, ns.
        overhead_pct: the overhead, percent.
        frame_bytes: the frame size, bytes.
        frame_ns: serialization time of one full frame, ns (truncated).
        name: the link's name.

    Raises:
        ValueError: an argument is out of range (message names it, the range and the
            value), or the effective rate rounds to 0 bit/s.

    Example:
        >>> from surge.sim import Simulation, GBPS, us
        >>> sim = Simulation()
        >>> link = Link(sim, 10 * GBPS, us(1))
        >>> link.send(8192, print, "delivered")  # 1000 ns latency + 6553 ns on the wire
        7553
        >>> sim.run()
        delivered
    """

    __slots__ = (
        "_busy_until",
        "_bytes",
        "_created_ns",
        "_den",
        "_eff",
        "_extra_frames",
        "_frame_bytes",
        "_frame_ns",
        "_heap",
        "_idle_ns",
        "_latency",
        "_messages",
        "_num",
        "_push_key",
        "_seq",
        "_sim",
        "_wait_max",
        "_wait_total",
        "bits_per_s",
        "name",
        "overhead_pct",
    )

    def __init__(
        self,
        sim: Simulation,
        bits_per_s: int | str,
        latency_ns: int | str,
        *,
        overhead_pct: float = 0,
        frame_bytes: int | str = JUMBO_FRAME_BYTES,
        name: str = "link",
    ) -> None:
        self.bits_per_s = _as_int(bits_per_s, parse_rate, "bits_per_s",
                                  "an int > 0 or a rate string such as '10Gbps'")
        latency = _as_int(latency_ns, parse_duration, "latency_ns",
                          "an int >= 0 or a duration string such as '1us'")
        frame = _as_int(frame_bytes, parse_size, "frame_bytes",
                        "an int > 0 or a size string such as '9000B'")
        check_int(frame, "frame_bytes", "Link", strict=True)
        self.overhead_pct = check_real(overhead_pct, "overhead_pct", "Link", low=0,
                                       high=_PERCENT)
        eff = effective_bits_per_s(self.bits_per_s, overhead_pct)
        if eff <= 0:
            raise param_error("overhead_pct", "Link",
                              "small enough to leave an effective rate > 0 bit/s", overhead_pct)
        if not isinstance(name, str):
            raise param_error("name", "Link", "a str", name)
        self._sim = sim
        # The engine's trusted-primitive fast path: arrivals are >= now by construction,
        # so they go straight onto the heap (no Python call). A coarse tick needs the
        # engine's rounding, so that case keeps sim.schedule.
        access = sim.heap_access()
        self._heap = access.queue if sim.tick_ns == 1 else None
        self._seq = access.seq
        self._push_key = access.normal_key
        self._eff = eff
        self._latency = latency
        self._frame_bytes = frame
        # floor(8 * size * 10**9 / eff) == size * _num // _den: the reduced fraction keeps
        # the operands small (80/99 at 9.9 Gbit/s), which makes the division fast.
        common = gcd(_BYTE_NS, eff)
        self._num = _BYTE_NS // common
        self._den = eff // common
        self._frame_ns = frame * self._num // self._den
        self.name = name
        self._created_ns = sim.now
        self._busy_until = sim.now
        # Counters. Busy time is derived: busy_until - created - idle (gaps before sends
        # that found the link idle), and frames = messages + extra frames of long ones,
        # so the single-frame path updates as few slots as possible.
        self._idle_ns = 0
        self._bytes = 0
        self._extra_frames = 0
        self._messages = 0
        self._wait_total = 0
        self._wait_max = 0

    # ------------------------------------------------------------------ properties
    @property
    def effective_bits_per_s(self) -> int:
        """Payload rate after the L2 overhead, bits/s."""
        return self._eff

    @property
    def latency_ns(self) -> int:
        """One-way propagation latency, ns."""
        return self._latency

    @property
    def frame_bytes(self) -> int:
        """Largest frame payload, bytes."""
        return self._frame_bytes

    @property
    def frame_ns(self) -> int:
        """Serialization time of one full frame, ns (truncated)."""
        return self._frame_ns

    @property
    def busy_until_ns(self) -> int:
        """When the transmitter finishes the accepted work (may be in the past), ns."""
        return self._busy_until

    @property
    def backlog_ns(self) -> int:
        """Accepted work still to serialize, ns: how long a new message would wait."""
        backlog = self._busy_until - self._sim.now
        return backlog if backlog > 0 else 0

    def __repr__(self) -> str:
        return (f"<Link {self.name} {self._eff} bit/s eff, latency {self._latency} ns, "
                f"frame {self._frame_bytes} B>")

    # ------------------------------------------------------------------ arithmetic
    def frame_count(self, size_bytes: int) -> int:
        """Number of frames a message of ``size_bytes`` is cut into (at least 1)."""
        size = self._check_size(size_bytes, "Link.frame_count")
        return max(1, -(-size // self._frame_bytes))

    def transmission_ns(self, size_bytes: int) -> int:
        """Serialization time of a message on an idle link, ns: the per-frame truncated sum.

        Raises:
            ValueError: ``size_bytes`` is not an int >= 0.
        """
        return self._message_ns(size_bytes, "Link.transmission_ns")[0]

    def _check_size(self, size_bytes: object, owner: str) -> int:
        if size_bytes.__class__ is not int or size_bytes < 0:
            raise param_error("size_bytes", owner, "an int >= 0", size_bytes)
        return size_bytes

    def _message_ns(self, size_bytes: int, owner: str) -> tuple[int, int]:
        """(serialization ns, frames) of a message, validating its size."""
        size = self._check_size(size_bytes, owner)
        full, rest = divmod(size, self._frame_bytes)
        if rest:
            return full * self._frame_ns + rest * self._num // self._den, full + 1
        if full:
            return full * self._frame_ns, full
        return 0, 1  # an empty message is one empty frame

    # --------------------------------------------------------------------- sending
    def send(self, size_bytes: int, deliver: Callable[[Any], object], arg: Any = None) -> int:
        """Transmit a message; ``deliver(arg)`` runs when its last bit arrives.

        Args:
            size_bytes: the message's payload, bytes, an int >= 0.
            deliver: called as ``deliver(arg)`` at the arrival time.
            arg: passed to ``deliver``; use a tuple for several values.

        Returns:
            The arrival time, ns: end of serialization of the last frame + latency. (On a
            simulation with a coarser ``tick_ns`` the engine rounds the delivery up to a
            tick; the time returned is the exact one.)

        Raises:
            ValueError: ``size_bytes`` is negative or not an int.
        """
        now = self._sim._now
        start = self._busy_until
        if start > now:
            wait = start - now
            self._wait_total += wait
            if wait > self._wait_max:  # noqa: PLR1730 - hot path: a compare beats a call
                self._wait_max = wait
        else:
            self._idle_ns += now - start
            start = now
        if size_bytes.__class__ is int and 0 <= size_bytes <= self._frame_bytes:
            end = start + size_bytes * self._num // self._den
        else:
            duration, frames = self._message_ns(size_bytes, "Link.send")
            self._extra_frames += frames - 1
            end = start + duration
        self._busy_until = end
        self._bytes += size_bytes
        self._messages += 1
        arrival = end + self._latency
        heap = self._heap
        if heap is not None:
            heappush(heap, (arrival, self._push_key | next(self._seq), deliver, arg))
        else:
            self._sim.schedule(arrival - now, deliver, arg)
        return arrival

    def send_frames(
        self, size_bytes: int, on_frame: Callable[[Frame], object], arg: Any = None
    ) -> int:
        """Transmit a message and call ``on_frame(frame)`` at each frame's own arrival.

        Frame ``i`` arrives ``latency_ns`` after the end of its own serialization; the
        frames are back to back on the wire. One heap entry per frame: use :meth:`send`
        unless the model acts per frame.

        Args:
            size_bytes: the message's payload, bytes, an int >= 0.
            on_frame: called with a :class:`Frame` (carrying ``arg``) per frame.
            arg: carried in every :class:`Frame`.

        Returns:
            The arrival time of the last frame, ns (the same as :meth:`send` would give).

        Raises:
            ValueError: ``size_bytes`` is not an int >= 0.
        """
        size = self._check_size(size_bytes, "Link.send_frames")
        sim = self._sim
        now = sim.now
        start = self._busy_until
        if start > now:
            wait = start - now
            self._wait_total += wait
            self._wait_max = max(self._wait_max, wait)
        else:
            self._idle_ns += now - start
            start = now
        frame_bytes, num, den, latency = self._frame_bytes, self._num, self._den, self._latency
        end = start
        offset = 0
        seq = 0
        while True:
            chunk = min(frame_bytes, size - offset)
            offset += chunk
            end += chunk * num // den
            last = offset >= size
            sim.schedule(end + latency - now, on_frame, Frame(arg, seq, offset, chunk, last))
            seq += 1
            if last:
                break
        self._extra_frames += seq - 1
        self._busy_until = end
        self._bytes += size
        self._messages += 1
        return end + latency

    # ------------------------------------------------------------------- statistics
    def stats(self) -> LinkStats:
        """The link's counters up to now (see :class:`LinkStats`)."""
        now = self._sim.now
        backlog = max(0, self._busy_until - now)
        # Accepted work is contiguous after now, so busy-so-far = accepted - backlog.
        busy = self._busy_until - self._created_ns - self._idle_ns - backlog
        elapsed = now - self._created_ns
        return LinkStats(
            name=self.name,
            messages=self._messages,
            frames=self._messages + self._extra_frames,
            bytes_sent=self._bytes,
            busy_ns=busy,
            elapsed_ns=elapsed,
            utilization=busy / elapsed if elapsed > 0 else 0.0,
            queue_delay_total_ns=self._wait_total,
            queue_delay_max_ns=self._wait_max,
            mean_queue_delay_ns=self._wait_total / self._messages if self._messages else 0.0,
            backlog_ns=backlog,
        )


class IdealLink:
    """The trivial twin of :class:`Link`: zero latency, infinite bandwidth.

    Every message is delivered at the instant it is sent (still through the heap, so the
    sender's current action finishes first), as one frame. For tests of model logic that
    must not depend on network timing.

    Args:
        sim: the simulation.
        name: shown in ``repr`` and stats.
    """

    __slots__ = ("_bytes", "_created_ns", "_messages", "_sim", "name")

    def __init__(self, sim: Simulation, name: str = "ideal") -> None:
        self._sim = sim
        self.name = name
        self._created_ns = sim.now
        self._bytes = 0
        self._messages = 0

    def __repr__(self) -> str:
        return f"<IdealLink {self.name}>"

    def transmission_ns(self, size_bytes: int) -> int:
        """Always 0 ns."""
        return 0

    def send(self, size_bytes: int, deliver: Callable[[Any], object], arg: Any = None) -> int:
        """Deliver ``deliver(arg)`` now (through the heap); returns ``now``."""
        self._bytes += size_bytes
        self._messages += 1
        self._sim.schedule(0, deliver, arg)
        return self._sim.now

    def send_frames(
        self, size_bytes: int, on_frame: Callable[[Frame], object], arg: Any = None
    ) -> int:
        """Deliver the whole message now as one last frame; returns ``now``."""
        self._bytes += size_bytes
        self._messages += 1
        self._sim.schedule(0, on_frame, Frame(arg, 0, size_bytes, size_bytes, True))
        return self._sim.now

    def stats(self) -> LinkStats:
        """Counters up to now; busy time and queueing delays are always 0."""
        return LinkStats(
            name=self.name,
            messages=self._messages,
            frames=self._messages,
            bytes_sent=self._bytes,
            busy_ns=0,
            elapsed_ns=self._sim.now - self._created_ns,
            utilization=0.0,
            queue_delay_total_ns=0,
            queue_delay_max_ns=0,
            mean_queue_delay_ns=0.0,
            backlog_ns=0,
        )
