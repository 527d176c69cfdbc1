"""Model 2, ``exchange``: gateways and servers exchange random events, two choices each.

What it models and why
----------------------
SURGE's model 2, "identical clustered nodes exchanging random events", makes traffic
symmetric: every node runs the same loop, gateways send to servers and servers to
gateways (the only links SURGE wires), and every node both sends and serves. It is the
smallest closed system in which the receive-queue cap feeds back on the senders: a node
whose peers are all above the cap stops sending for a while. Each node owns one NIC (a
FIFO :class:`~surge.network.Link`: bandwidth, SURGE's 1 % L2 overhead, one-way
``trip_ns``) and one FIFO receive queue that serves an event every ``service_ns``
(:class:`~surge.network.selection.ReceiveQueue`). The engine, shared with models 1, 1.1
and 2.1, is :mod:`surge.protocols.traffic`; this module chooses symmetric traffic, two
random choices and a send interval with a back-off.

Pipeline
--------
1. Every ``send_interval_ns``, from time 0, each node picks a peer of the other role with
   two random choices under the cap (:func:`~surge.network.selection.two_random_choices`:
   two draws of SURGE's ``selectRandomPeer(64)``, random start and cyclic walk to the
   first peer whose load is at most ``queue_cap`` events; the second draw is kept only if
   its load is strictly smaller). A peer's load is what SURGE's receive queue held: every
   event sent to it and not yet served, those in flight included.
2. If no peer is under the cap, the node counts ``skipped`` and tries again after
   ``backoff_ns``.
3. The event (``event_bytes``, SURGE's anonymous 144-byte event) crosses the sender's
   NIC: FIFO serialization, ``trip_ns``, plus, with ``jitter``, SURGE's random extra
   ``U[0, trip) + 1 ns``. Without jitter an event on an idle NIC arrives at exactly
   ``trip_ns + floor(8 * 144 * 1e9 / 9.9e9)`` = 1116 ns.
4. The receiver queues it, serves it for ``service_ns`` and counts it (``event``).

Simulated-time choices
----------------------
SURGE's node loop was: receive (sleeping 1 µs of wall-clock time), send one event, and on
a failed send two more receives with 10 µs wall-clock sleeps. Here, in simulated time:
``send_interval_ns`` = 1 µs (one send per loop), ``service_ns`` = 1 µs (the receive
sleep, charged per event), ``backoff_ns`` = 20 µs (the two 10 µs sleeps), and SURGE's
default ``trip_ns`` of 1 µs.

At the defaults each node sends one event per µs and serves one per µs, so a cluster with
as many gateways as servers runs at full load (``rho = 1``): receive queues are rarely
empty (``rxchannelbusy`` about 97 % at 10 x 10 over 1 ms; SURGE's reference run showed
about 82 %), two choices keep them short (mean wait about 3 µs) where the degenerate
rule lets them grow (about 16 µs). With fewer gateways than servers the gateways are
overloaded (``rho = servers / gateways``), their queues reach the cap and the servers
skip and back off.

What to read in the results
---------------------------
Per node, gateways and servers alike: ``event`` (events served), ``rxchannelbusy``
(percent of time the receive queue held more than one event), ``rxwait`` (distribution of
waits before service, ns), ``txbytes`` and ``rxbytes``, and ``skipped`` (sends given up
because every peer was above the cap).

Reference defects fixed
-----------------------
* Two choices (quirk 1): SURGE's comparison read a count that was never stored, so the
  first draw always won; here it compares real loads, and
  ``degenerate_choice=true`` reproduces the old behaviour (same random draws).
* Wall-clock pacing: every rate above is simulated; the same seed gives the same run on
  every host.
* ``rxchannelbusy``: SURGE's sampled, self-declared "FIXME" definition becomes the exact
  time-weighted share of time the receive queue holds more than one event.
* SURGE dropped an event when the 16-slot Go channel to the peer was full; there are no
  channels here (NICs queue FIFO), so only the cap makes a node give up a send.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from surge.models.params import param
from surge.models.registry import Model, register_model
from surge.network.selection import two_random_choices
from surge.protocols.traffic import EventCluster, EventParams, IntervalWithBackoff
from surge.sim.units import US

__all__ = ["Exchange", "ExchangeParams"]

_DEFAULT_TRIP_NS = 1 * US
_DEFAULT_SEND_INTERVAL_NS = 1 * US
_DEFAULT_BACKOFF_NS = 20 * US


@dataclass(frozen=True, slots=True)
class ExchangeParams(EventParams):
    """Parameters of the exchange model (the event set, plus pacing and choice)."""

    trip_ns: int = param(_DEFAULT_TRIP_NS, unit="ns", minimum=0,
                         help="one-way propagation latency of every NIC (SURGE m2: 1us)")
    send_interval_ns: int = param(_DEFAULT_SEND_INTERVAL_NS, unit="ns", minimum=1,
                                  help="a node sends one event per interval (SURGE: one per "
                                       "loop, ~1us wall-clock)")
    backoff_ns: int = param(_DEFAULT_BACKOFF_NS, unit="ns", minimum=1,
                            help="wait after a skipped send, every peer above the cap (SURGE: "
                                 "two 10us wall-clock sleeps)")
    degenerate_choice: bool = param(False, help="reproduce SURGE's defect: always keep the "
                                                "first of the two choices")


@register_model(
    "exchange",
    alias="2",
    description="identical clustered nodes exchanging random events (SURGE model 2), two "
                "random choices under a queue cap",
    params=ExchangeParams,
)
class Exchange(Model[ExchangeParams]):
    """SURGE model 2 on the surge engine (see the module docstring)."""

    def build(self) -> None:
        """Create nodes, wire each to the other role, declare metrics, start at time 0."""
        p = self.params
        choose = partial(two_random_choices, degenerate=p.degenerate_choice)
        cluster = EventCluster(self.ctx, p, symmetric=True, choose=choose,
                               pacing=IntervalWithBackoff(p.send_interval_ns, p.backoff_ns))
        self.cluster = cluster
        self.gateways, self.servers = cluster.gateways, cluster.servers
        cluster.start()
