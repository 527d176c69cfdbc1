"""The engine: an integer-nanosecond clock and one event heap.

Design
------
Simulated time is an ``int`` number of nanoseconds; this is the one place that says so.
Every pending action is a heap entry ``(time_ns, key, fn, arg)`` where ``key`` packs a
priority and a global insertion sequence (``priority << 48 | seq``). The heap therefore pops
in (time, priority, insertion order): equal-time actions of equal priority run in the order
they were scheduled, and a run is reproducible bit for bit.

The time rule of SURGE -- time moves from NOW-1 to NOW only once every past event has been
handled -- holds by construction: the clock is set to the time of the entry being popped,
a heap never pops an entry earlier than one it popped before, and scheduling at a time
earlier than ``now`` raises :class:`SchedulingError`. Every action due at NOW runs before
the clock moves on, including actions scheduled at NOW by other actions at NOW.

Two ways to write behaviour, both first-class:

* plain callbacks, ``sim.schedule(delay_ns, fn, arg)`` then ``fn(arg)`` at ``now + delay``:
  the fast path for hot model code (one heap entry, one call, no objects);
* generator processes in the style of SimPy, ``yield sim.timeout(d)``, ``yield event``,
  ``yield sim.any_of([...])`` (see :mod:`surge.sim.events`).

Run until a time (``run(until="10ms")``, exclusive, as in SimPy), until no action remains
(``run()``), until an event fires (``run(until=event)``), or until a stop condition
(``run(stop_when=predicate)`` or ``sim.stop()`` from inside the model).

Inspired by SimPy's ``Environment`` (heap of (time, priority, seq, event)); the callback
fast path and the packed key are ours.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Generator, Iterable, Iterator
from heapq import heapify, heappop, heappush
from itertools import count
from typing import Any, NamedTuple, TypeVar

from surge.sim.events import AllOf, AnyOf, Event, Process, Timeout, fire_event
from surge.sim.random import RandomStreams
from surge.sim.units import parse_duration

__all__ = [
    "LATE",
    "NORMAL",
    "URGENT",
    "HeapAccess",
    "SchedulingError",
    "Simulation",
    "StopSimulation",
]

#: Priorities of actions at the same instant: URGENT runs before NORMAL before LATE.
URGENT = 0
NORMAL = 1
LATE = 2
_SEQ_BITS = 48
_NORMAL_KEY = NORMAL << _SEQ_BITS

T = TypeVar("T")


class HeapAccess(NamedTuple):
    """Direct access to the heap for trusted primitives (see :meth:`Simulation.heap_access`).

    Attributes:
        queue: the heap list; push ``(time_ns, normal_key | next(seq), fn, arg)``.
        seq: the insertion-sequence counter.
        normal_key: the NORMAL priority bits to OR with the sequence number.
    """

    queue: list[tuple[int, int, Callable[[Any], object], Any]]
    seq: Iterator[int]
    normal_key: int


class SchedulingError(ValueError):
    """An action was scheduled into the past, or with a non-integer time."""


class StopSimulation(Exception):
    """Raised inside the run loop to end :meth:`Simulation.run` early."""

    def __init__(self, value: Any = None) -> None:
        super().__init__(value)
        self.value = value


def _raise_stop(value: Any) -> None:
    raise StopSimulation(value)


class _BoundaryReached(Exception):
    """The run reached its ``until`` time."""


def _reach_boundary(_: object) -> None:
    raise _BoundaryReached


#: Key of the ``until`` boundary entry: below every priority, so it pops first at its time.
_BOUNDARY_KEY = -1


class Simulation:
    """A discrete-event simulation: the clock, the heap, the random streams.

    Args:
        seed: the run's one seed; every random component draws from a named substream
            derived from it (``sim.random.python("gateway-3")``).
        tick_ns: the indivisible tick in ns (default 1). With a coarser tick every
            scheduled time is rounded up to a multiple of the tick.

    Example:
        >>> sim = Simulation(seed=1)
        >>> log = []
        >>> sim.schedule(5, log.append, "a")
        >>> sim.run()
        >>> (sim.now, log)
        (5, ['a'])
    """

    def __init__(self, seed: int = 0, *, tick_ns: int = 1) -> None:
        if isinstance(tick_ns, bool) or not isinstance(tick_ns, int) or tick_ns < 1:
            raise ValueError(f"tick_ns must be an integer >= 1, got {tick_ns!r}")
        self._now = 0
        self._queue: list[tuple[int, int, Callable[[Any], object], Any]] = []
        self._seq = count()
        self._events_processed = 0
        self._cpu_s = 0.0
        self._wall_s = 0.0
        self.tick_ns = tick_ns
        self.seed = seed
        self.random = RandomStreams(seed)
        self.active_process: Process | None = None
        if tick_ns != 1:
            self.schedule = self._schedule_on_ticks  # type: ignore[method-assign]

    # ----------------------------------------------------------------- clock and heap
    @property
    def now(self) -> int:
        """Current simulated time, ns."""
        return self._now

    @property
    def events_processed(self) -> int:
        """Number of heap entries (callbacks and events) handled so far."""
        return self._events_processed

    @property
    def pending(self) -> int:
        """Number of actions waiting in the heap."""
        return len(self._queue)

    @property
    def cpu_s(self) -> float:
        """Process CPU seconds spent inside :meth:`run` so far."""
        return self._cpu_s

    @property
    def wall_s(self) -> float:
        """Wall-clock seconds spent inside :meth:`run` so far (measurement only)."""
        return self._wall_s

    def peek(self) -> int | None:
        """Time of the next action, ns, or ``None`` when nothing is pending."""
        return self._queue[0][0] if self._queue else None

    def schedule(self, delay: int, fn: Callable[[Any], object], arg: Any = None) -> None:
        """Call ``fn(arg)`` at ``now + delay`` (NORMAL priority): the fast path.

        Args:
            delay: ns from now, an ``int`` >= 0.
            fn: called with ``arg`` as its only argument.
            arg: anything; use a tuple for several values.

        Raises:
            SchedulingError: ``delay`` is negative or not an ``int``.
        """
        if delay.__class__ is not int or delay < 0:
            self._reject(delay, "delay")
        heappush(self._queue, (self._now + delay, _NORMAL_KEY | next(self._seq), fn, arg))

    def heap_access(self) -> HeapAccess:
        """The heap itself, for primitives whose times are >= now by construction.

        A link computes an arrival as ``max(now, busy_until) + duration + latency``, which
        can never lie in the past; pushing that entry straight onto the heap saves a
        Python call per message on the hottest path of every model. The caller takes on
        the time rule: every pushed time must be an ``int`` >= ``now`` (and a multiple of
        the tick when ``tick_ns`` > 1). Model code should use :meth:`schedule`.
        """
        return HeapAccess(self._queue, self._seq, _NORMAL_KEY)

    def schedule_at(
        self, when: int, fn: Callable[[Any], object], arg: Any = None, priority: int = NORMAL
    ) -> None:
        """Call ``fn(arg)`` at absolute time ``when`` (ns) with the given priority.

        Raises:
            SchedulingError: ``when`` is earlier than ``now`` or not an ``int``.
        """
        if when.__class__ is not int or when < self._now:
            self._reject(when, "time")
        if self.tick_ns != 1:
            when = self._round_up(when)
        heappush(self._queue, (when, (priority << _SEQ_BITS) | next(self._seq), fn, arg))

    def schedule_priority(
        self, delay: int, fn: Callable[[Any], object], arg: Any = None, priority: int = NORMAL
    ) -> None:
        """As :meth:`schedule`, with an explicit priority (URGENT, NORMAL or LATE)."""
        if delay.__class__ is not int or delay < 0:
            self._reject(delay, "delay")
        self.schedule_at(self._now + delay, fn, arg, priority)

    def _schedule_on_ticks(self, delay: int, fn: Callable[[Any], object], arg: Any = None) -> None:
        if delay.__class__ is not int or delay < 0:
            self._reject(delay, "delay")
        when = self._round_up(self._now + delay)
        heappush(self._queue, (when, _NORMAL_KEY | next(self._seq), fn, arg))

    def _round_up(self, when: int) -> int:
        tick = self.tick_ns
        return -(-when // tick) * tick

    def _reject(self, value: object, what: str) -> None:
        if value.__class__ is not int:
            raise SchedulingError(
                f"{what} must be an int number of nanoseconds, got {value!r} "
                f"({type(value).__name__}); convert with int() or surge.sim.units"
            )
        raise SchedulingError(
            f"cannot schedule into the past: {what} {value} ns at now={self._now} ns "
            "(the clock never moves backwards)"
        )

    # ------------------------------------------------------------------ process API
    def event(self) -> Event:
        """A new untriggered event; trigger it with ``succeed(value)`` or ``fail(exc)``."""
        return Event(self)

    def timeout(self, delay: int, value: Any = None) -> Timeout:
        """An event that fires ``delay`` ns from now with ``value``: ``yield sim.timeout(d)``."""
        return Timeout(self, delay, value)

    def process(self, generator: Generator[Event, Any, T]) -> Process:
        """Start a generator process now; the returned event fires when it returns."""
        return Process(self, generator)

    def any_of(self, events: Iterable[Event]) -> AnyOf:
        """An event that fires as soon as one of ``events`` has fired."""
        return AnyOf(self, events)

    def all_of(self, events: Iterable[Event]) -> AllOf:
        """An event that fires once every one of ``events`` has fired."""
        return AllOf(self, events)

    def _schedule_event(self, event: Event, delay: int = 0, priority: int = NORMAL) -> None:
        """Put a triggered event on the heap (used by :mod:`surge.sim.events`)."""
        heappush(
            self._queue,
            (self._now + delay, (priority << _SEQ_BITS) | next(self._seq), fire_event, event),
        )

    # ------------------------------------------------------------------------ running
    def stop(self, value: Any = None) -> None:
        """End :meth:`run` once every action already due at ``now`` has run.

        The stop is scheduled LATE at the current instant, so the time rule holds: the
        instant is finished, then the run returns ``value``.
        """
        heappush(self._queue, (self._now, (LATE << _SEQ_BITS) | next(self._seq),
                               _raise_stop, value))

    def run(
        self,
        until: int | str | Event | None = None,
        *,
        stop_when: Callable[[], bool] | None = None,
    ) -> Any:
        """Run the simulation.

        Args:
            until: ``None`` runs until no action remains; an ``int`` (ns) or a duration
                string (``"10ms"``) runs every action strictly before that absolute time
                and leaves the clock there; an :class:`Event` runs until it fires and
                returns its value.
            stop_when: a predicate checked after every action; the run ends at the end of
                the first instant after which it is true (slower loop, use sparingly).

        Returns:
            The value passed to :meth:`stop` or of the ``until`` event, else ``None``.

        Raises:
            ValueError: ``until`` is unparsable or earlier than ``now``.
        """
        limit: int | None = None
        if isinstance(until, Event):
            until.callbacks_or_now(lambda ev: self.stop(ev.value))
        elif until is not None:
            try:
                limit = parse_duration(until)
            except ValueError as err:
                raise ValueError(f"run(until=...): {err}") from None
            if limit < self._now:
                raise ValueError(
                    f"run(until={limit}) is earlier than now={self._now} ns: time does not "
                    "move backwards"
                )
        cpu0, wall0 = _time.process_time(), _time.perf_counter()
        queue = self._queue
        pop = heappop
        stopped = False
        result: Any = None
        # Handled actions are counted without touching the hot loop: every push takes a
        # sequence number, so handled = pending before + pushes - pending after.
        seq0 = next(self._seq)
        pending0 = len(queue)
        reached = 0
        checked = 0
        try:
            if stop_when is not None:
                checked, stopped = self._run_checked(limit, stop_when)
            elif limit is None:
                while queue:
                    entry = pop(queue)
                    self._now = entry[0]
                    entry[2](entry[3])
            else:
                # A boundary entry at `limit` that sorts before everything else at that
                # time ends the loop, so the hot loop carries no time comparison.
                boundary = (limit, _BOUNDARY_KEY, _reach_boundary, None)
                heappush(queue, boundary)
                try:
                    while queue:
                        entry = pop(queue)
                        self._now = entry[0]
                        entry[2](entry[3])
                except _BoundaryReached:
                    reached = 1
                else:  # pragma: no cover - the boundary is always in the queue
                    pass
                finally:
                    if not reached:
                        queue.remove(boundary)
                        heapify(queue)
        except StopSimulation as stop:
            stopped = True
            result = stop.value
        finally:
            pushes = next(self._seq) - seq0 - 1
            if stop_when is not None:
                self._events_processed += checked
            else:
                # the stop sentinel is the engine's own entry, not a model action
                # (the boundary entry nets out: pushed once, then popped or removed)
                self._events_processed += pending0 + pushes - len(queue) - int(stopped)
            self._cpu_s += _time.process_time() - cpu0
            self._wall_s += _time.perf_counter() - wall0
        if not stopped and limit is not None:
            self._now = limit
        return result

    def _run_checked(
        self, limit: int | None, stop_when: Callable[[], bool]
    ) -> tuple[int, bool]:
        """The run loop with a predicate checked between instants.

        Returns:
            (actions run, whether the predicate ended the run).
        """
        queue = self._queue
        done = 0
        try:
            while queue:
                entry = queue[0]
                if limit is not None and entry[0] >= limit:
                    break
                if entry[0] != self._now and stop_when():
                    return done, True
                heappop(queue)
                self._now = entry[0]
                done += 1
                entry[2](entry[3])
        except StopSimulation:
            self._events_processed += done - 1  # the stop sentinel is not a model action
            raise
        return done, False

    def step(self) -> None:
        """Handle exactly one action (for debugging and tests).

        Raises:
            IndexError: nothing is pending.
        """
        if not self._queue:
            raise IndexError("step(): no action is pending")
        entry = heappop(self._queue)
        self._now = entry[0]
        self._events_processed += 1
        entry[2](entry[3])
