"""Model 1, ``storm``: gateways fire anonymous events at random servers under a queue cap.

What it models and why
----------------------
SURGE's model 1, "unidirectional storm of random events", is the smallest model of all:
no protocol, no replies, only traffic from gateways to servers. It exercises the engine
(time, delivery, per-node statistics) and the two primitives every later load balancer
builds on: a server's receive queue, and a sender that looks at the queues before it
picks a target. Each node owns one NIC (a FIFO :class:`~surge.network.Link` with a
bandwidth, SURGE's 1 % L2 overhead and the one-way ``trip_ns``); each server owns a FIFO
receive queue that serves one event every ``service_ns``
(:class:`~surge.network.selection.ReceiveQueue`). The engine, shared with models 1.1, 2
and 2.1, is :mod:`surge.protocols.traffic`; this module chooses one-way traffic, one random
choice and a fixed send interval.

Pipeline
--------
1. Every ``send_interval_ns``, from time 0, a gateway picks a server with SURGE's
   ``selectRandomPeer(64)``: start at a uniformly random server and walk forward, wrapping
   around, to the first server whose *load* is at most ``queue_cap`` events. The load is
   what SURGE's receive queue held: every event sent to the server and not yet served,
   those still in flight included (SURGE queued an event at the receiver the moment it
   was sent). If every server is above the cap the gateway sends nothing this time
   (``skipped``).
2. The event (``event_bytes``, SURGE's anonymous 144-byte event) crosses the gateway's
   NIC: FIFO serialization, then ``trip_ns``, plus, with ``jitter``, SURGE's random extra
   ``U[0, trip) + 1 ns`` (:class:`~surge.network.delivery.JitteredLink`). Without jitter an
   event on an idle NIC arrives at exactly ``trip_ns + floor(8 * 144 * 1e9 / 9.9e9)`` =
   2116 ns.
3. At the server it joins the receive queue, waits its turn, is served for ``service_ns``
   and counts as processed (``event``).

Simulated-time choices
----------------------
SURGE paced this model with wall-clock sleeps, so its event rates were properties of the
host (the reference runs show some 34 events per simulated µs per gateway on a 2-vCPU
host, 550 s of wall time for 100 µs). Here every rate is a parameter in simulated time:

* ``send_interval_ns`` = 100 µs: SURGE's gateway slept 100 µs of wall-clock time after
  each send; here it is 100 µs of simulated time, one event per 100 µs per gateway;
* ``service_ns`` = 1 µs: SURGE's server loop slept about 1 µs of wall-clock time per pass
  over its queue; here each event costs 1 µs of simulated time at its server;
* ``trip_ns`` = 2 µs, SURGE's value for model 1.

The offered load is ``rho = gateways * service_ns / (servers * send_interval_ns)``: 1 % at
the defaults (a light drizzle; queues seldom hold two events). For a real storm shorten
the interval: at 10 x 10, ``send_interval_ns=500ns`` offers twice what the servers serve,
queues climb to the cap and gateways start skipping.

What to read in the results
---------------------------
``event`` (events served per server), ``rxchannelbusy`` (percent of time a server's receive
queue held more than one event, i.e. an event was waiting), ``rxwait`` (distribution of
the waits before service, ns), ``txbytes`` (per gateway), ``rxbytes`` (per server, beyond
SURGE, for the conservation check) and ``skipped`` (sends given up because every server
was above the cap).

Reference defects fixed
-----------------------
* Wall-clock pacing: see above; the same seed gives the same run on every host.
* ``rxchannelbusy``: SURGE sampled once per tick whether more than one due event was
  pending and marked the definition "FIXME: redefine or remove". Here it is the exact
  time-weighted share of time the receive queue holds more than one event.
* The queue cap looks at a real queue: SURGE's depth depended on how fast the server's
  goroutine happened to run; here a server never holds more than ``queue_cap + 1``
  events. SURGE also dropped an event when the 16-slot Go channel to the server was full;
  there are no channels here (the NIC queues FIFO), so nothing is lost in transit and the
  cap is the only reason to give up a send.
"""

from __future__ import annotations

from dataclasses import dataclass

from surge.models.params import param
from surge.models.registry import Model, register_model
from surge.network.selection import select_random_peer
from surge.protocols.traffic import EventCluster, EventParams, FixedInterval
from surge.sim.units import US

__all__ = ["Storm", "StormParams"]

_DEFAULT_TRIP_NS = 2 * US
_DEFAULT_SEND_INTERVAL_NS = 100 * US


@dataclass(frozen=True, slots=True)
class StormParams(EventParams):
    """Parameters of the storm model (the event set, plus the send interval)."""

    trip_ns: int = param(_DEFAULT_TRIP_NS, unit="ns", minimum=0,
                         help="one-way propagation latency of every NIC (SURGE m1: 2us)")
    send_interval_ns: int = param(_DEFAULT_SEND_INTERVAL_NS, unit="ns", minimum=1,
                                  help="a gateway sends one event per interval (SURGE: a "
                                       "100us wall-clock sleep)")


@register_model(
    "storm",
    alias="1",
    description="unidirectional storm of random events (SURGE model 1), paced in "
                "simulated time",
    params=StormParams,
)
class Storm(Model[StormParams]):
    """SURGE model 1 on the surge engine (see the module docstring)."""

    def build(self) -> None:
        """Create NICs and receive queues, declare metrics, start every gateway at time 0."""
        p = self.params
        cluster = EventCluster(self.ctx, p, symmetric=False, choose=select_random_peer,
                               pacing=FixedInterval(p.send_interval_ns))
        self.cluster = cluster
        self.gateways, self.servers = cluster.gateways, cluster.servers
        cluster.start()
