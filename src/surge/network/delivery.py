"""SURGE's randomized delivery delay on top of a FIFO link.

What
----
SURGE's anonymous events (models 1-4) are due ``trip + U[0, trip) + 1 ns`` after they are
sent (``clusterTripPlusRandom``). A :class:`JitteredLink` keeps the physics of a
:class:`~surge.network.Link` (FIFO serialization at the NIC's rate, then its latency, the
trip) and adds SURGE's random extra delay, ``U[0, jitter_ns) + 1`` ns in whole ns, drawn
per message from the sender's own stream at send time. With ``jitter_ns = 0`` there is no
extra delay at all, so a message of ``S`` bytes on an idle link arrives at exactly
``latency + serialization(S)``: the analytic case that tests check.

The extra delay is added after the wire, so it delays the delivery but not the next
message on the link, and two messages of one sender may arrive out of order (as in
SURGE, where each event carried its own random trigger time).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from surge.network._validation import check_int
from surge.network.link import LinkLike

if TYPE_CHECKING:
    from surge.sim import Simulation

__all__ = ["ANONYMOUS_EVENT_BYTES", "JitteredLink"]

#: Size of SURGE's anonymous event (the in-memory size of its Go struct on 64-bit), bytes.
ANONYMOUS_EVENT_BYTES = 144


class JitteredLink:
    """A link whose messages take a random extra ``U[0, jitter_ns) + 1`` ns.

    Args:
        sim: the simulation.
        link: the sender's link (its NIC): serialization and latency.
        rng: the sender's random stream (one draw per message when jitter is on).
        jitter_ns: the bound of the extra delay, ns, an int >= 0; SURGE uses the trip time.
            0 turns the extra delay off.

    Raises:
        ValueError: ``jitter_ns`` is not an int >= 0.

    Example:
        >>> from surge.network import Link
        >>> from surge.sim import Simulation, GBPS, us
        >>> sim = Simulation(seed=1)
        >>> nic = JitteredLink(sim, Link(sim, 10 * GBPS, us(2)), sim.random.python("a"), 0)
        >>> nic.send(144, print, "arrived")  # 2000 ns trip + 115 ns on the wire, no jitter
        2115
    """

    __slots__ = ("_jitter", "_rng", "_sim", "link")

    def __init__(self, sim: Simulation, link: LinkLike, rng: random.Random,
                 jitter_ns: int) -> None:
        self._jitter = check_int(jitter_ns, "jitter_ns", "JitteredLink")
        self._sim = sim
        self._rng = rng
        self.link = link

    @property
    def jitter_ns(self) -> int:
        """Bound of the random extra delay, ns (0: none)."""
        return self._jitter

    def __repr__(self) -> str:
        return f"<JitteredLink {self.link.name} jitter {self._jitter} ns>"

    def send(self, size_bytes: int, deliver: Callable[[Any], object], arg: Any = None) -> int:
        """Transmit a message; ``deliver(arg)`` runs at its arrival, which is returned (ns).

        The arrival is the link's (end of serialization + latency) plus the random extra
        delay, if any.
        """
        jitter = self._jitter
        if not jitter:
            return self.link.send(size_bytes, deliver, arg)
        extra = int(self._rng.random() * jitter) + 1
        return self.link.send(size_bytes, self._relay, (extra, deliver, arg)) + extra

    def _relay(self, item: tuple[int, Callable[[Any], object], Any]) -> None:
        extra, deliver, arg = item
        self._sim.schedule(extra, deliver, arg)
