"""Rate buckets: token buckets that pace senders, in integer simulated time.

Design
------
A rate bucket holds up to ``max_units`` units (bits, for the network) and refills at
``rate`` units per second; a sender may send ``u`` units only if the bucket holds them
(:meth:`TokenBucket.use` takes them). Time is read from ``sim.now`` (integer ns) at each
call; nothing is scheduled, so an idle bucket costs nothing.

The reference defect, fixed. SURGE's bucket added ``floor(rate * dt / 10**9)`` units at
each poll and dropped the fraction, so a bucket polled often refilled too slowly: at
9.9 Gbit/s polled every ns it gained 9 bits/ns, an effective 9 Gbit/s. Here the level is
kept **exactly**, in unit·ns/s ("nano-units": units x 10**9): ``dt`` ns add exactly
``rate * dt`` nano-units, whatever the polling pattern. ``value`` (whole units) is the
floor of the exact level, and ``use(u)`` succeeds iff ``u * 10**9 <= level``, which for an
integer ``u`` is the same as ``u <= value``. Polling every ns at 9.9 Gbit/s now yields
``floor(9.9 * t)`` bits after ``t`` ns: 9.9 bits/ns on average.

Instead of polling, a model can ask :meth:`TokenBucket.time_until` when the bucket will
hold what it needs (``ceil((u * 10**9 - level) / rate)`` ns) and schedule itself then.

The kinds (surge-core.md section 8):

* :class:`TokenBucket`: the leaky/token bucket of every unicast flow, gateway egress and
  server ingress;
* :class:`AIMDBucket`: a token bucket whose rate grows by ``min_rate`` every
  ``add_every_units`` units used (additive increase) and is divided by ``divisor`` on each
  :meth:`AIMDBucket.ding` (multiplicative decrease), within ``[min_rate, max_rate]``. Unlike
  SURGE, a rate change first credits the time elapsed at the old rate;
* :class:`DatagramBucket`: one datagram at a time: after ``use(u)`` the next use is allowed
  at ``now + floor(u * 10**9 / rate)`` ns;
* :class:`DummyBucket`: always allows (reservation-based flows need no pacing).

All four satisfy the :class:`RateBucket` protocol. Rates are integers, units per second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from surge.network._validation import check_int, param_error
from surge.sim.units import S

if TYPE_CHECKING:
    from surge.sim import Simulation

__all__ = [
    "AIMD_ADD_EVERY_BITS",
    "AIMDBucket",
    "DatagramBucket",
    "DummyBucket",
    "RateBucket",
    "TokenBucket",
]

#: SURGE's AIMD additive-increase period: one jumbo frame plus one 300 B control PDU, bits.
AIMD_ADD_EVERY_BITS = 74_400

_AIMD_DEFAULT_DIVISOR = 2
_AIMD_MIN_DIVISOR = 2  # a divisor of 1 would make ding() a no-op


def _check_units(units: object, owner: str) -> int:
    if units.__class__ is not int or units < 0:
        raise param_error("units", owner, "an int >= 0", units)
    return units


class RateBucket(Protocol):
    """What a flow or a node needs from a rate bucket (units are bits on the network)."""

    @property
    def rate(self) -> int:
        """Current refill rate, units/s."""
        ...

    def use(self, units: int) -> bool:
        """Take ``units`` if the bucket holds them; ``False`` (and take nothing) otherwise."""
        ...

    def above(self, units: int) -> bool:
        """True if ``use(units)`` would succeed now."""
        ...

    def below(self, units: int) -> bool:
        """True if ``use(units)`` would fail now."""
        ...

    def set_rate(self, rate: int) -> None:
        """Change the refill rate from now on, units/s."""
        ...

    def time_until(self, units: int) -> int | None:
        """Ns from now until ``use(units)`` can succeed; ``None`` if never at this rate."""
        ...


class TokenBucket:
    """A token bucket with exact integer refill: ``max_units``, ``rate`` units/s, a level.

    Args:
        sim: the simulation (its ``now`` times the refill).
        max_units: capacity, units, an int > 0 (74,400 bits in SURGE's unicast models).
        rate: refill rate, units/s, an int >= 0 (0 freezes the level).
        value: initial content, units, in ``[0, max_units]``; defaults to full.

    Raises:
        ValueError: an argument is out of range.

    Example:
        >>> from surge.sim import Simulation
        >>> sim = Simulation()
        >>> bucket = TokenBucket(sim, max_units=74_400, rate=9_900_000_000, value=0)
        >>> sim.run(until=1000)
        >>> bucket.value  # 9.9 bits/ns for 1000 ns
        9900
    """

    __slots__ = ("_level", "_max", "_rate", "_sim", "_t", "max_units")

    def __init__(self, sim: Simulation, max_units: int, rate: int, value: int | None = None
                 ) -> None:
        owner = type(self).__name__
        self.max_units = check_int(max_units, "max_units", owner, strict=True)
        self._rate = check_int(rate, "rate", owner)
        if value is None:
            value = max_units
        check_int(value, "value", owner, high=max_units)
        self._sim = sim
        self._max = max_units * S
        self._level = value * S
        self._t = sim.now

    def _refill(self) -> int:
        """Credit the time since the last call; return the exact level, nano-units."""
        now = self._sim.now
        level = self._level
        if now != self._t:
            level += self._rate * (now - self._t)
            if level > self._max:  # noqa: PLR1730 - hot path: a compare beats a call
                level = self._max
            self._level = level
            self._t = now
        return level

    @property
    def rate(self) -> int:
        """Refill rate, units/s."""
        return self._rate

    @property
    def value(self) -> int:
        """Whole units in the bucket now (the floor of the exact level)."""
        return self._refill() // S

    @property
    def level_nano_units(self) -> int:
        """The exact level now, in units x 10**9."""
        return self._refill()

    def use(self, units: int) -> bool:
        """Take ``units`` if the bucket holds them now.

        Returns:
            ``True`` if taken; ``False`` (and nothing taken) if ``units > value``.

        Raises:
            ValueError: ``units`` is not an int >= 0.
        """
        if units.__class__ is not int or units < 0:
            _check_units(units, f"{type(self).__name__}.use")
        need = units * S
        level = self._refill()
        if need > level:
            return False
        self._level = level - need
        return True

    def above(self, units: int) -> bool:
        """True if the bucket holds at least ``units`` now (``units <= value``)."""
        return units * S <= self._refill()

    def below(self, units: int) -> bool:
        """True if the bucket holds fewer than ``units`` now (``units > value``)."""
        return units * S > self._refill()

    def set_rate(self, rate: int) -> None:
        """Credit the time elapsed at the old rate, then refill at ``rate`` units/s.

        Raises:
            ValueError: ``rate`` is not an int >= 0.
        """
        check_int(rate, "rate", f"{type(self).__name__}.set_rate")
        self._refill()
        self._rate = rate

    def time_until(self, units: int) -> int | None:
        """Ns from now until the bucket holds ``units`` (0 if it already does).

        ``ceil((units * 10**9 - level) / rate)``: at that instant ``use(units)`` succeeds
        (if nothing else drains the bucket meanwhile).

        Returns:
            The delay in ns, or ``None`` when it never will: ``units > max_units``, or the
            rate is 0 and the bucket holds too little.

        Raises:
            ValueError: ``units`` is not an int >= 0.
        """
        _check_units(units, f"{type(self).__name__}.time_until")
        missing = units * S - self._refill()
        if missing <= 0:
            return 0
        if units > self.max_units or self._rate == 0:
            return None
        return -(-missing // self._rate)

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} {self._level / S:.3f}/{self.max_units} units, "
                f"rate {self._rate}/s>")


class AIMDBucket(TokenBucket):
    """A token bucket whose rate follows additive increase, multiplicative decrease.

    Starts full, at ``min_rate``. Every ``add_every_units`` units taken by successful
    ``use`` calls, the rate grows by ``min_rate`` (capped at ``max_rate``); as in SURGE, one
    ``use`` raises it at most once and the count then restarts from ``add_every_units``
    (a surplus is not carried over). Each
    :meth:`ding` (a congestion notification) sets ``rate = max(rate // divisor,
    min_rate)`` and restarts the count. Every rate change first credits the time elapsed
    at the old rate (SURGE's AIMD bucket did not).

    Args:
        sim: the simulation.
        min_rate: the floor and the additive step, units/s, an int > 0 (1 Gbit/s in
            SURGE's model 6).
        max_rate: the ceiling, units/s, an int >= ``min_rate``.
        max_units: capacity, units, an int > 0.
        divisor: the multiplicative decrease, an int >= 2 (default 2).
        add_every_units: units to use between two increases, an int > 0 (default
            :data:`AIMD_ADD_EVERY_BITS`, 74,400 bits).

    Raises:
        ValueError: an argument is out of range.
    """

    __slots__ = ("_countdown", "add_every_units", "divisor", "max_rate", "min_rate")

    def __init__(
        self,
        sim: Simulation,
        min_rate: int,
        max_rate: int,
        max_units: int,
        *,
        divisor: int = _AIMD_DEFAULT_DIVISOR,
        add_every_units: int = AIMD_ADD_EVERY_BITS,
    ) -> None:
        self.min_rate = check_int(min_rate, "min_rate", "AIMDBucket", strict=True)
        self.max_rate = check_int(max_rate, "max_rate", "AIMDBucket", low=min_rate)
        self.divisor = check_int(divisor, "divisor", "AIMDBucket", low=_AIMD_MIN_DIVISOR)
        self.add_every_units = check_int(add_every_units, "add_every_units", "AIMDBucket",
                                         strict=True)
        self._countdown = add_every_units
        super().__init__(sim, max_units, min_rate)

    @property
    def units_to_increase(self) -> int:
        """Units still to use before the next additive increase."""
        return self._countdown

    def use(self, units: int) -> bool:
        """Take ``units`` if held; count them towards the next additive increase.

        Returns:
            ``True`` if taken (and counted), ``False`` otherwise.
        """
        if not TokenBucket.use(self, units):
            return False
        self._countdown -= units
        if self._countdown <= 0:
            self._countdown = self.add_every_units
            # TokenBucket.use has just credited the elapsed time at the old rate.
            self._rate = min(self._rate + self.min_rate, self.max_rate)
        return True

    def ding(self) -> None:
        """Congestion: ``rate = max(rate // divisor, min_rate)``; restart the count."""
        self._refill()
        self._rate = max(self._rate // self.divisor, self.min_rate)
        self._countdown = self.add_every_units

    def set_rate(self, rate: int) -> None:
        """Set the rate, clamped to ``[min_rate, max_rate]``, after crediting elapsed time.

        Raises:
            ValueError: ``rate`` is not an int >= 0.
        """
        check_int(rate, "rate", "AIMDBucket.set_rate")
        super().set_rate(min(max(rate, self.min_rate), self.max_rate))


class DatagramBucket:
    """One datagram at a time: after ``use(u)``, the next is allowed ``u / rate`` s later.

    ``use(u)`` succeeds iff ``now >= next_ns``, and then sets
    ``next_ns = now + floor(u * 10**9 / rate)``; ``u`` may exceed any capacity (there is
    none). ``below`` is "a datagram is still in flight", whatever ``units``.

    Args:
        sim: the simulation.
        rate: units/s, an int > 0.

    Raises:
        ValueError: ``rate`` is not an int > 0.
    """

    __slots__ = ("_next", "_rate", "_sim")

    def __init__(self, sim: Simulation, rate: int) -> None:
        self._rate = check_int(rate, "rate", "DatagramBucket", strict=True)
        self._sim = sim
        self._next = sim.now

    @property
    def rate(self) -> int:
        """Units/s."""
        return self._rate

    @property
    def next_ns(self) -> int:
        """Earliest time of the next successful ``use``, ns."""
        return self._next

    def use(self, units: int) -> bool:
        """Send a datagram of ``units`` if the previous one is done.

        Raises:
            ValueError: ``units`` is not an int >= 0.
        """
        _check_units(units, "DatagramBucket.use")
        now = self._sim.now
        if self._next > now:
            return False
        self._next = now + units * S // self._rate
        return True

    def above(self, units: int) -> bool:
        """True if a datagram may go now (``now >= next_ns``)."""
        return self._next <= self._sim.now

    def below(self, units: int) -> bool:
        """True if the previous datagram is still in flight (``next_ns > now``)."""
        return self._next > self._sim.now

    def set_rate(self, rate: int) -> None:
        """Use ``rate`` units/s for the next datagrams (the current one keeps its time).

        Raises:
            ValueError: ``rate`` is not an int > 0.
        """
        self._rate = check_int(rate, "rate", "DatagramBucket.set_rate", strict=True)

    def time_until(self, units: int) -> int | None:
        """Ns from now until the next datagram may go (never ``None``)."""
        _check_units(units, "DatagramBucket.time_until")
        return max(0, self._next - self._sim.now)

    def __repr__(self) -> str:
        return f"<DatagramBucket rate {self._rate}/s, next at {self._next} ns>"


class DummyBucket:
    """A bucket that always allows: for flows paced by reservations, not by a rate.

    Args:
        rate: the rate it reports, units/s (SURGE reports the link rate), an int >= 0.

    Raises:
        ValueError: ``rate`` is not an int >= 0.
    """

    __slots__ = ("_rate",)

    def __init__(self, rate: int = 0) -> None:
        self._rate = check_int(rate, "rate", "DummyBucket")

    @property
    def rate(self) -> int:
        """The reported rate, units/s (never changes)."""
        return self._rate

    def use(self, units: int) -> bool:
        """Always ``True``."""
        return True

    def above(self, units: int) -> bool:
        """Always ``True``."""
        return True

    def below(self, units: int) -> bool:
        """Always ``False``."""
        return False

    def set_rate(self, rate: int) -> None:
        """Ignored: a dummy bucket keeps its reported rate."""

    def time_until(self, units: int) -> int | None:
        """Always 0."""
        return 0

    def __repr__(self) -> str:
        return f"<DummyBucket rate {self._rate}/s>"
