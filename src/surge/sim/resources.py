"""A shared resource with a FIFO queue, for generator processes (SimPy's ``Resource``).

``with res.request() as req: yield req`` waits for one of ``capacity`` slots, in request
order, and frees it on leaving the block. Queue length and busy slots carry time-weighted
monitors, so ``res.stats()`` reports mean queue length and utilization exactly.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from surge.sim.events import Event
from surge.sim.monitor import LevelMonitor

if TYPE_CHECKING:
    from surge.sim.core import Simulation

__all__ = ["Request", "Resource", "ResourceStats"]


@dataclass(frozen=True, slots=True)
class ResourceStats:
    """Time-weighted statistics of a :class:`Resource`.

    Attributes:
        capacity: number of slots.
        utilization: mean busy slots / capacity over the run, in [0, 1].
        mean_queue: time-weighted mean number of waiting requests.
        max_queue: largest number of waiting requests.
        granted: requests granted so far.
    """

    capacity: int
    utilization: float
    mean_queue: float
    max_queue: int
    granted: int


class Request(Event):
    """A request for one slot; an event that fires when the slot is granted."""

    __slots__ = ("resource",)

    def __init__(self, resource: Resource) -> None:
        super().__init__(resource.sim)
        self.resource = resource

    def __enter__(self) -> Request:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.resource.release(self)


class Resource:
    """``capacity`` identical slots granted first come, first served.

    Raises:
        ValueError: ``capacity`` < 1.
    """

    def __init__(self, sim: Simulation, capacity: int = 1) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"capacity must be an integer >= 1, got {capacity!r}")
        self.sim = sim
        self.capacity = capacity
        self.users: list[Request] = []
        self.queue: deque[Request] = deque()
        self._granted = 0
        self.queue_monitor = LevelMonitor(sim)
        self.busy_monitor = LevelMonitor(sim)

    def request(self) -> Request:
        """Ask for a slot; ``yield`` the returned request to wait for it."""
        req = Request(self)
        if len(self.users) < self.capacity:
            self._grant(req)
        else:
            self.queue.append(req)
            self.queue_monitor.set(len(self.queue))
        return req

    def release(self, req: Request) -> None:
        """Give back the slot of ``req`` (or withdraw it if still waiting)."""
        if req in self.users:
            self.users.remove(req)
            self.busy_monitor.set(len(self.users))
            if self.queue:
                nxt = self.queue.popleft()
                self.queue_monitor.set(len(self.queue))
                self._grant(nxt)
        elif req in self.queue:
            self.queue.remove(req)
            self.queue_monitor.set(len(self.queue))

    def _grant(self, req: Request) -> None:
        self.users.append(req)
        self.busy_monitor.set(len(self.users))
        self._granted += 1
        req.succeed(req)

    def stats(self) -> ResourceStats:
        """Utilization and queue statistics up to now."""
        busy = self.busy_monitor.stats()
        queue = self.queue_monitor.stats()
        return ResourceStats(
            capacity=self.capacity,
            utilization=busy.mean / self.capacity,
            mean_queue=queue.mean,
            max_queue=queue.maximum,
            granted=self._granted,
        )
