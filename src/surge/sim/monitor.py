"""Time-weighted monitors: the level of a queue or the busy state of a server over time.

A :class:`LevelMonitor` integrates a piecewise-constant level over simulated time, so that
the mean queue length (or utilization, for a 0/1 level) is exact, not sampled. It is the
monitor every queue in surge carries (as salabim's queues do).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from surge.sim.core import Simulation

__all__ = ["LevelMonitor", "LevelStats"]


@dataclass(frozen=True, slots=True)
class LevelStats:
    """Summary of a level over time.

    Attributes:
        mean: time-weighted mean level over ``[start, now]``.
        maximum: the highest level seen.
        current: the level now.
        duration_ns: length of the observed window, ns.
    """

    mean: float
    maximum: int
    current: int
    duration_ns: int


class LevelMonitor:
    """Integrates an integer level over simulated time (exact, event-driven)."""

    __slots__ = ("_area", "_last", "_level", "_max", "_sim", "_start")

    def __init__(self, sim: Simulation, level: int = 0) -> None:
        self._sim = sim
        self._level = level
        self._max = level
        self._start = sim.now
        self._last = sim.now
        self._area = 0

    @property
    def level(self) -> int:
        """The current level."""
        return self._level

    def set(self, level: int) -> None:
        """Record that the level is ``level`` from now on."""
        now = self._sim.now
        self._area += self._level * (now - self._last)
        self._last = now
        self._level = level
        self._max = max(self._max, level)

    def add(self, delta: int) -> None:
        """Change the level by ``delta`` from now on."""
        self.set(self._level + delta)

    def area(self) -> int:
        """Integral of the level over time up to now, level x ns."""
        return self._area + self._level * (self._sim.now - self._last)

    def stats(self) -> LevelStats:
        """The time-weighted summary up to now."""
        duration = self._sim.now - self._start
        mean = self.area() / duration if duration > 0 else float(self._level)
        return LevelStats(mean=mean, maximum=self._max, current=self._level,
                          duration_ns=duration)
