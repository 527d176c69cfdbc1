"""Receive queues with a service time, and the load-aware peer choices that read them.

What
----
SURGE's demo models (1, 1.1, 2, 2.1) pick the receiver of every event by looking at the
receivers' queues. Three pieces reproduce that here, in simulated time only:

* :class:`ReceiveQueue`: a node's FIFO receive queue. Events that arrive wait their
  turn; one is served at a time and takes ``service_ns`` (SURGE's node loop slept about
  1 µs of *wall-clock* time per pass over its queue; here the cost of an event is a
  simulated parameter, so the depth of a queue is a property of the model, not of the
  host). Its ``depth`` counts the events arrived and not yet served (the one in service
  included); its ``load`` adds the events announced by a sender
  (:meth:`ReceiveQueue.expect`) and still on their way: SURGE put an event into the
  receiver's queue the moment it was sent, so its senders saw the events in flight too,
  and ``load`` is what the choices below compare.
* :func:`select_random_peer` (SURGE's ``selectRandomPeer(64)``): start at a uniformly
  random peer and walk forward cyclically to the first one whose load is at most
  ``cap``; ``None`` when every peer is above it.
* :func:`two_random_choices` (the "power of two choices" of models 1.1, 2 and 2.1): two
  independent :func:`select_random_peer` draws, and the less loaded of the two (the first
  on a tie).

Monitors
--------
A queue carries two time-weighted :class:`~surge.sim.LevelMonitor`\\ s: its depth (mean and
maximum occupancy) and a 0/1 *busy* level, 1 while the depth exceeds ``busy_depth``
(default 1: while at least one event waits behind the one in service).
:meth:`ReceiveQueue.busy_ns` is the time integral of the latter: SURGE's
``rxchannelbusy`` redefined (SURGE sampled, once per simulated tick, whether more than one
due event was pending, and marked its own definition "FIXME: redefine or remove"). The
queue also sums each event's wait before service (``wait_total_ns``, ``wait_max_ns``).

Why the load counts events in flight: a sender that looked only at arrived events would
not see what it (or another sender, at the same instant) has just sent. Senders deciding
together would all pick the same short queue ("herding"), and at a few µs of trip a
storm overshoots the cap by every event in flight. Counting announced events keeps the
cap a cap (a queue never holds more than ``cap + 1`` events) and lets two random choices
balance as they should.

Reference defects fixed
-----------------------
* Two random choices: SURGE compared ``realpendingdepth``, a count that was never stored
  after commit a45539f, so both sides read 0 and the comparison always kept the first
  choice. Here the loads are real; ``degenerate=True`` reproduces the old behaviour.
  Both draws are made in either mode, so a degenerate run and a fixed run consume the
  same random numbers and differ only by the choice itself.
* The walk wraps modulo the number of peers (SURGE's model 3 wrapped to peer 1 once the
  id reached the count, under-selecting the last peer); every peer is reachable.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from surge.network._validation import check_int, param_error
from surge.sim.monitor import LevelMonitor

if TYPE_CHECKING:
    from surge.sim import Simulation

__all__ = [
    "DEFAULT_QUEUE_CAP",
    "Loaded",
    "ReceiveQueue",
    "ReceiveQueueStats",
    "select_random_peer",
    "two_random_choices",
]

#: SURGE's load cap for peer selection (``selectRandomPeer(64)``), events.
DEFAULT_QUEUE_CAP = 64

#: Called as ``on_served(item, waited_ns)`` when an event's service ends.
ServedCallback = Callable[[Any, int], object]


class Loaded(Protocol):
    """Anything with a load a sender may look at (a :class:`ReceiveQueue`)."""

    @property
    def load(self) -> int:
        """Events sent to the node and not yet served."""
        ...


@dataclass(frozen=True, slots=True)
class ReceiveQueueStats:
    """Counters of a :class:`ReceiveQueue`, up to ``now``.

    Attributes:
        name: the queue's name.
        served: events whose service has ended.
        depth: events queued now (arrived, not yet served; the one in service included).
        in_flight: events announced by :meth:`ReceiveQueue.expect` that have not arrived.
        max_depth: the largest depth seen.
        mean_depth: time-weighted mean depth since creation.
        busy_ns: time the depth exceeded ``busy_depth``, ns (``rxchannelbusy``).
        elapsed_ns: time since creation, ns.
        busy_fraction: ``busy_ns / elapsed_ns`` in [0, 1] (0 before any time has passed).
        wait_total_ns: sum over served and in-service events of the wait before service, ns.
        wait_max_ns: the longest such wait, ns.
        mean_wait_ns: ``wait_total_ns`` per started service (0.0 if none).
    """

    name: str
    served: int
    depth: int
    in_flight: int
    max_depth: int
    mean_depth: float
    busy_ns: int
    elapsed_ns: int
    busy_fraction: float
    wait_total_ns: int
    wait_max_ns: int
    mean_wait_ns: float


class ReceiveQueue:
    """A FIFO receive queue served one event at a time, ``service_ns`` per event.

    Args:
        sim: the simulation.
        service_ns: time to serve one event, ns, an int >= 0 (0: served at arrival, in
            arrival order).
        on_served: called as ``on_served(item, waited_ns)`` when an event's service ends;
            ``waited_ns`` is the time it queued before its service started.
        busy_depth: the queue counts as busy while its depth exceeds this, an int >= 0
            (default 1: an event is waiting behind another).
        name: shown in ``repr`` and stats, e.g. ``"T#03.rx"``.

    Raises:
        ValueError: an argument is out of range.

    Example:
        >>> from surge.sim import Simulation
        >>> sim = Simulation()
        >>> served = []
        >>> q = ReceiveQueue(sim, 1000, lambda item, waited: served.append((sim.now, item, waited)))
        >>> q.push("a"); q.push("b"); q.depth
        2
        >>> q.expect(); (q.depth, q.load)  # a third event is on its way
        (2, 3)
        >>> sim.run()
        >>> served
        [(1000, 'a', 0), (2000, 'b', 1000)]
        >>> q.busy_ns()  # "b" waited behind "a" for 1000 ns
        1000
    """

    __slots__ = (
        "_busy",
        "_busy_depth",
        "_depth",
        "_in_flight",
        "_items",
        "_on_served",
        "_service_ns",
        "_sim",
        "_started",
        "_wait",
        "name",
        "served",
        "wait_max_ns",
        "wait_total_ns",
    )

    def __init__(
        self,
        sim: Simulation,
        service_ns: int,
        on_served: ServedCallback,
        *,
        busy_depth: int = 1,
        name: str = "rxq",
    ) -> None:
        self._service_ns = check_int(service_ns, "service_ns", "ReceiveQueue")
        self._busy_depth = check_int(busy_depth, "busy_depth", "ReceiveQueue")
        if not callable(on_served):
            raise param_error("on_served", "ReceiveQueue", "a callable on_served(item, waited_ns)",
                              on_served)
        if not isinstance(name, str):
            raise param_error("name", "ReceiveQueue", "a str", name)
        self._sim = sim
        self._on_served = on_served
        self._items: deque[tuple[int, Any]] = deque()
        self._depth = LevelMonitor(sim)
        self._busy = LevelMonitor(sim)
        self._wait = 0
        self._started = 0
        self._in_flight = 0
        self.name = name
        self.served = 0
        self.wait_total_ns = 0
        self.wait_max_ns = 0

    @property
    def depth(self) -> int:
        """Events queued now: arrived and not yet served (the one in service included)."""
        return len(self._items)

    @property
    def in_flight(self) -> int:
        """Events announced by :meth:`expect` that have not arrived yet."""
        return self._in_flight

    @property
    def load(self) -> int:
        """Events sent to this queue and not yet served: ``depth + in_flight``."""
        return len(self._items) + self._in_flight

    @property
    def service_ns(self) -> int:
        """Time to serve one event, ns."""
        return self._service_ns

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return (f"<ReceiveQueue {self.name} depth {len(self._items)}, "
                f"service {self._service_ns} ns>")

    def expect(self) -> None:
        """A sender has sent an event here: count it in :attr:`load` until it arrives."""
        self._in_flight += 1

    def arrive(self, item: Any) -> None:
        """An event announced by :meth:`expect` arrives now: queue it.

        Raises:
            RuntimeError: no event was announced.
        """
        if not self._in_flight:
            raise RuntimeError(f"{self.name}: arrive() without a matching expect()")
        self._in_flight -= 1
        self.push(item)

    def push(self, item: Any) -> None:
        """An event arrives now, unannounced: queue it; start its service if idle."""
        items = self._items
        items.append((self._sim.now, item))
        depth = len(items)
        self._depth.set(depth)
        if depth == self._busy_depth + 1:
            self._busy.set(1)
        if depth == 1:
            self._start()

    def _start(self) -> None:
        """Serve the head event: it has waited since its arrival."""
        wait = self._sim.now - self._items[0][0]
        self._wait = wait
        self._started += 1
        self.wait_total_ns += wait
        if wait > self.wait_max_ns:  # noqa: PLR1730 - per-event path: a compare beats a call
            self.wait_max_ns = wait
        self._sim.schedule(self._service_ns, self._finish, None)

    def _finish(self, _: object) -> None:
        """The head event's service ends: hand it over, start the next one."""
        waited = self._wait
        items = self._items
        item = items.popleft()[1]
        depth = len(items)
        self._depth.set(depth)
        if depth == self._busy_depth:
            self._busy.set(0)
        self.served += 1
        if depth:
            self._start()
        self._on_served(item, waited)

    def busy_ns(self) -> int:
        """Time the depth has exceeded ``busy_depth`` up to now, ns."""
        return self._busy.area()

    def stats(self) -> ReceiveQueueStats:
        """The queue's counters up to now (see :class:`ReceiveQueueStats`)."""
        depth = self._depth.stats()
        busy = self._busy.area()
        elapsed = depth.duration_ns
        return ReceiveQueueStats(
            name=self.name,
            served=self.served,
            depth=len(self._items),
            in_flight=self._in_flight,
            max_depth=depth.maximum,
            mean_depth=depth.mean,
            busy_ns=busy,
            elapsed_ns=elapsed,
            busy_fraction=busy / elapsed if elapsed > 0 else 0.0,
            wait_total_ns=self.wait_total_ns,
            wait_max_ns=self.wait_max_ns,
            mean_wait_ns=self.wait_total_ns / self._started if self._started else 0.0,
        )


def select_random_peer(rng: random.Random, peers: Sequence[Loaded], cap: int) -> int | None:
    """SURGE's ``selectRandomPeer(cap)``: a random peer whose load is at most ``cap``.

    Start at a uniformly random index and walk forward, wrapping modulo ``len(peers)``, to
    the first peer with ``load <= cap``.

    Args:
        rng: the sender's random stream (one draw per call).
        peers: the candidates, e.g. the servers' receive queues.
        cap: the largest acceptable load (SURGE: 64).

    Returns:
        The index of the chosen peer, or ``None`` when every peer is above ``cap`` (or
        there is no peer).
    """
    n = len(peers)
    if n == 0:
        return None
    start = rng.randrange(n)
    for k in range(n):
        i = start + k
        if i >= n:
            i -= n
        if peers[i].load <= cap:
            return i
    return None


def two_random_choices(
    rng: random.Random, peers: Sequence[Loaded], cap: int, *, degenerate: bool = False
) -> int | None:
    """The less loaded of two :func:`select_random_peer` draws (power of two choices).

    Both draws are independent, so they may name the same peer. The second one is taken
    only if its load is strictly smaller; on a tie the first one wins.

    Args:
        rng: the sender's random stream (two draws per call, in both modes).
        peers: the candidates.
        cap: the largest acceptable load.
        degenerate: reproduce SURGE's defect: the comparison read 0 on both sides, so the
            first draw always won.

    Returns:
        The index of the chosen peer, or ``None`` when every peer is above ``cap``.
    """
    first = select_random_peer(rng, peers, cap)
    if first is None:
        return None
    second = select_random_peer(rng, peers, cap)
    if degenerate or second is None:
        return first
    return second if peers[second].load < peers[first].load else first
