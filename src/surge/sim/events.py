"""Events and generator processes, in the style of SimPy.

Design
------
An :class:`Event` is a one-shot signal with a value. It is *triggered* when
``succeed``/``fail`` is called (or, for a :class:`Timeout`, when it is created): it then
sits on the engine's heap, and it is *processed* when the heap reaches it, which runs its
callbacks in the order they were added. A :class:`Process` wraps a generator: each
``yield event`` parks the generator as a callback of that event, and the generator resumes
with the event's value (or with the event's exception thrown into it).

``AnyOf``/``AllOf`` are events over other events; their value is a dict from each fired
child event to its value, in the order the children were given.

This module knows the engine only through three calls: ``sim.now``, ``sim._schedule_event``
and ``sim.active_process``; it knows nothing about models.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from surge.sim.core import Simulation

__all__ = ["AllOf", "AnyOf", "Condition", "Event", "Process", "Timeout", "fire_event"]

_PENDING: Any = object()
_URGENT = 0


def fire_event(event: Event) -> None:
    """Process a triggered event: run its callbacks once (the heap calls this)."""
    callbacks = event.callbacks
    event.callbacks = None
    if callbacks:
        for callback in callbacks:
            callback(event)
    elif not event._ok and not event._defused:
        # A failure nobody waited for must not vanish silently.
        raise event._value


class Event:
    """A one-shot signal that processes wait for.

    Attributes:
        callbacks: functions ``f(event)`` run when the event is processed; ``None`` once
            processed.
    """

    __slots__ = ("_defused", "_ok", "_value", "callbacks", "sim")

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.callbacks: list[Callable[[Event], object]] | None = []
        self._value: Any = _PENDING
        self._ok = True
        self._defused = False

    def __repr__(self) -> str:
        state = "processed" if self.processed else "triggered" if self.triggered else "pending"
        return f"<{type(self).__name__} {state} at now={self.sim.now}>"

    @property
    def triggered(self) -> bool:
        """True once the event has a value (it is on the heap or already processed)."""
        return self._value is not _PENDING

    @property
    def processed(self) -> bool:
        """True once its callbacks have run."""
        return self.callbacks is None

    @property
    def ok(self) -> bool:
        """True if the event succeeded (only meaningful once triggered)."""
        return self._ok

    @property
    def value(self) -> Any:
        """The value it succeeded with, or the exception it failed with.

        Raises:
            AttributeError: the event has not been triggered yet.
        """
        if self._value is _PENDING:
            raise AttributeError(f"{self!r} has no value yet")
        return self._value

    def defuse(self) -> None:
        """Mark a failure as handled so that it is not re-raised by the engine."""
        self._defused = True

    def succeed(self, value: Any = None) -> Event:
        """Trigger the event with ``value``; waiting processes resume at the current time.

        Raises:
            RuntimeError: the event was already triggered.
        """
        if self._value is not _PENDING:
            raise RuntimeError(f"{self!r} has already been triggered")
        self._ok = True
        self._value = value
        self.sim._schedule_event(self)
        return self

    def fail(self, exception: BaseException) -> Event:
        """Trigger the event as failed; waiting processes get ``exception`` thrown in.

        Raises:
            TypeError: ``exception`` is not an exception instance.
            RuntimeError: the event was already triggered.
        """
        if not isinstance(exception, BaseException):
            raise TypeError(f"fail() needs an exception instance, got {exception!r}")
        if self._value is not _PENDING:
            raise RuntimeError(f"{self!r} has already been triggered")
        self._ok = False
        self._value = exception
        self.sim._schedule_event(self)
        return self

    def add_callback(self, callback: Callable[[Event], object]) -> None:
        """Run ``callback(event)`` when the event is processed.

        Raises:
            RuntimeError: the event was already processed.
        """
        if self.callbacks is None:
            raise RuntimeError(f"{self!r} was already processed")
        self.callbacks.append(callback)

    def callbacks_or_now(self, callback: Callable[[Event], object]) -> None:
        """Add ``callback``; if the event was already processed, call it right away."""
        if self.callbacks is None:
            callback(self)
        else:
            self.callbacks.append(callback)


class Timeout(Event):
    """An event that succeeds ``delay`` ns after its creation."""

    __slots__ = ("delay",)

    def __init__(self, sim: Simulation, delay: int, value: Any = None) -> None:
        if delay.__class__ is not int or delay < 0:
            sim._reject(delay, "timeout delay")
        self.sim = sim
        self.callbacks = []
        self._value = value
        self._ok = True
        self._defused = False
        self.delay = delay
        sim._schedule_event(self, delay)


class Process(Event):
    """A generator driven by the events it yields; itself an event that fires on return.

    The generator's ``return`` value becomes the process's value; an exception escaping
    the generator fails the process (and, if nobody waits for it, stops the run).
    """

    __slots__ = ("_generator", "_target", "name")

    def __init__(self, sim: Simulation, generator: Generator[Event, Any, Any]) -> None:
        if not hasattr(generator, "send") or not hasattr(generator, "throw"):
            raise TypeError(
                f"process() needs a generator (a function that yields events), got "
                f"{generator!r}"
            )
        super().__init__(sim)
        self._generator = generator
        self.name = getattr(generator, "__name__", "process")
        start = Event(sim)
        start._value = None
        start.callbacks = [self._resume]
        self._target: Event = start
        sim._schedule_event(start, 0, _URGENT)

    def __repr__(self) -> str:
        return f"<Process {self.name} at now={self.sim.now}>"

    @property
    def target(self) -> Event:
        """The event the process is waiting for."""
        return self._target

    @property
    def is_alive(self) -> bool:
        """True until the generator has returned or raised."""
        return self._value is _PENDING

    def _resume(self, event: Event) -> None:
        sim = self.sim
        sim.active_process = self
        generator = self._generator
        while True:
            try:
                if event._ok:
                    yielded = generator.send(event._value)
                else:
                    event._defused = True
                    yielded = generator.throw(event._value)
            except StopIteration as stop:
                self._ok = True
                self._value = stop.value
                sim._schedule_event(self)
                break
            except BaseException as exc:
                self._ok = False
                self._value = exc
                sim._schedule_event(self)
                break
            callbacks = getattr(yielded, "callbacks", _PENDING)
            if callbacks is _PENDING or not isinstance(yielded, Event):
                event = Event(sim)
                event._ok = False
                event._value = TypeError(
                    f"process {self.name} yielded {yielded!r}; yield an event such as "
                    "sim.timeout(delay_ns), another process, or sim.any_of([...])"
                )
                continue
            if callbacks is not None:
                callbacks.append(self._resume)
                self._target = yielded
                break
            event = yielded  # already processed: resume at once with its value
        sim.active_process = None


class Condition(Event):
    """An event over several events; fires when ``evaluate(fired, total)`` is true.

    Its value is a dict ``{event: value}`` of the children that had fired, in the order
    they were given. A failing child fails the condition.
    """

    __slots__ = ("_count", "_events")

    def __init__(self, sim: Simulation, events: Iterable[Event]) -> None:
        super().__init__(sim)
        self._events = list(events)
        self._count = 0
        for ev in self._events:
            if not isinstance(ev, Event):
                raise TypeError(f"{type(self).__name__} takes events, got {ev!r}")
            if ev.sim is not sim:
                raise ValueError("cannot mix events from different simulations")
        if not self._events or self._evaluate(0):
            self.succeed({})
            return
        for ev in self._events:
            ev.callbacks_or_now(self._check)

    def _evaluate(self, fired: int) -> bool:
        raise NotImplementedError

    def _check(self, event: Event) -> None:
        if self._value is not _PENDING:
            return
        self._count += 1
        if not event._ok:
            event._defused = True
            self.fail(event._value)
        elif self._evaluate(self._count):
            self.succeed({ev: ev._value for ev in self._events if ev.processed and ev._ok})


class AnyOf(Condition):
    """Fires as soon as one of its events has fired."""

    __slots__ = ()

    def _evaluate(self, fired: int) -> bool:
        return fired >= 1


class AllOf(Condition):
    """Fires once all of its events have fired."""

    __slots__ = ()

    def _evaluate(self, fired: int) -> bool:
        return fired == len(self._events)
