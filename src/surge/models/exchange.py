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
(:class:`~surge.network.selection.ReceiveQueue`).

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

import random
from dataclasses import dataclass

from surge.models.params import param
from surge.models.registry import Model, RunContext, register_model
from surge.network import Link, Node, Role
from surge.network.delivery import ANONYMOUS_EVENT_BYTES, JitteredLink
from surge.network.selection import DEFAULT_QUEUE_CAP, ReceiveQueue, two_random_choices
from surge.sim.units import GBPS, US
from surge.stats import Kind, Metric, Scope
from surge.stats.trace import VV, VVV

__all__ = ["Exchange", "ExchangeParams"]

_DEFAULT_TRIP_NS = 1 * US
_DEFAULT_SEND_INTERVAL_NS = 1 * US
_DEFAULT_BACKOFF_NS = 20 * US
_DEFAULT_SERVICE_NS = 1 * US
_MAX_PERCENT = 99.0


@dataclass(frozen=True, slots=True)
class ExchangeParams:
    """Parameters of the exchange model."""

    trip_ns: int = param(_DEFAULT_TRIP_NS, unit="ns", minimum=0,
                         help="one-way propagation latency of every NIC (SURGE m2: 1us)")
    jitter: bool = param(True, help="add SURGE's random extra latency U[0, trip) + 1 ns per "
                                    "event")
    event_bytes: int = param(ANONYMOUS_EVENT_BYTES, unit="B", minimum=1,
                             help="size of an event (SURGE's anonymous event: 144 B)")
    link_bits_per_s: int = param(10 * GBPS, unit="bit/s", minimum=1,
                                 help="raw rate of every node's NIC")
    overhead_pct: float = param(1.0, unit="%", minimum=0.0, maximum=_MAX_PERCENT,
                                help="L2 overhead taken off the raw rate (SURGE: 1%)")
    send_interval_ns: int = param(_DEFAULT_SEND_INTERVAL_NS, unit="ns", minimum=1,
                                  help="a node sends one event per interval (SURGE: one per "
                                       "loop, ~1us wall-clock)")
    backoff_ns: int = param(_DEFAULT_BACKOFF_NS, unit="ns", minimum=1,
                            help="wait after a skipped send, every peer above the cap (SURGE: "
                                 "two 10us wall-clock sleeps)")
    service_ns: int = param(_DEFAULT_SERVICE_NS, unit="ns", minimum=0,
                            help="time a node spends on one received event (SURGE: a ~1us "
                                 "wall-clock sleep per loop)")
    queue_cap: int = param(DEFAULT_QUEUE_CAP, unit="event", minimum=0,
                           help="a peer is eligible while at most this many events sent to "
                                "it are unserved (SURGE: 64)")
    degenerate_choice: bool = param(False, help="reproduce SURGE's defect: always keep the "
                                                "first of the two choices")


class _Peer(Node):
    """A gateway or a server: both run the same loop."""

    __slots__ = ("index", "nic", "peers", "queues", "rng", "rxq")

    def __init__(self, node_id: int, role: Role, *, index: int, nic: JitteredLink,
                 rng: random.Random, rxq: ReceiveQueue) -> None:
        super().__init__(node_id, role)
        self.index = index
        self.nic = nic
        self.rng = rng
        self.rxq = rxq
        self.peers: list[_Peer] = []  # the nodes of the other role
        self.queues: list[ReceiveQueue] = []  # their receive queues, same order


@register_model(
    "exchange",
    alias="2",
    description="identical clustered nodes exchanging random events (SURGE model 2), two "
                "random choices under a queue cap",
    params=ExchangeParams,
)
class Exchange(Model[ExchangeParams]):
    """SURGE model 2 on the surge engine (see the module docstring)."""

    def __init__(self, ctx: RunContext, params: ExchangeParams) -> None:
        super().__init__(ctx, params)
        self.gateways: list[_Peer] = []
        self.servers: list[_Peer] = []

    def _node(self, node_id: int, role: Role, index: int) -> _Peer:
        p, sim = self.params, self.sim
        prefix = "I" if role is Role.GATEWAY else "T"
        name = f"{prefix}#{node_id:02d}"
        rng = sim.random.python(name)
        link = Link(sim, p.link_bits_per_s, p.trip_ns, overhead_pct=p.overhead_pct, name=name)
        nic = JitteredLink(sim, link, rng, p.trip_ns if p.jitter else 0)
        rxq = ReceiveQueue(sim, p.service_ns, self._served, name=f"{name}.rx")
        return _Peer(node_id, role, index=index, nic=nic, rng=rng, rxq=rxq)

    def build(self) -> None:
        """Create nodes, wire each to the other role, declare metrics, start at time 0."""
        ctx, sim = self.ctx, self.sim
        stats = ctx.stats
        self.gateways = [self._node(i, Role.GATEWAY, ctx.gateway_index(i))
                         for i in range(1, ctx.gateways + 1)]
        self.servers = [self._node(i, Role.SERVER, ctx.server_index(i))
                        for i in range(1, ctx.servers + 1)]
        for mine, theirs in ((self.gateways, self.servers), (self.servers, self.gateways)):
            for node in mine:
                node.peers = theirs
                node.queues = [peer.rxq for peer in theirs]
        nodes = self.gateways + self.servers

        both = Scope.GATEWAY | Scope.SERVER
        self.event = stats.counter(Metric("event", Kind.COUNT, both, "event",
                                          "events served from the receive queue"))
        queue_of = {node.index: node.rxq for node in nodes}
        stats.sampled(Metric("rxchannelbusy", Kind.PERCENT, both, "%",
                             "share of time the receive queue holds more than one event"),
                      lambda i: float(queue_of[i].busy_ns()))
        self.txbytes = stats.counter(Metric("txbytes", Kind.BYTES, both, "B",
                                            "bytes handed to the node's NIC"))
        self.rxbytes = stats.counter(Metric("rxbytes", Kind.BYTES, both, "B",
                                            "bytes received by the node"))
        self.skipped = stats.counter(Metric("skipped", Kind.COUNT, both, "event",
                                            "sends given up: every peer above the cap"))
        self.rxwait = stats.distribution(Metric("rxwait", Kind.DISTRIBUTION, both, "ns",
                                                "time an event waits in the receive queue "
                                                "before its service"))
        for node in nodes:
            sim.schedule(0, self._send, node)

    # ------------------------------------------------------------------ sending
    def _send(self, node: _Peer) -> None:
        """One tick of a node: pick a peer with two choices, send, schedule the next tick."""
        p = self.params
        i = two_random_choices(node.rng, node.queues, p.queue_cap,
                               degenerate=p.degenerate_choice)
        trace = self.ctx.trace
        if i is None:
            self.skipped.values[node.index] += 1
            self.sim.schedule(p.backoff_ns, self._send, node)
            if trace.level >= VV:
                trace.log(VV, "event-skipped", node.name)
            return
        peer = node.peers[i]
        self.txbytes.values[node.index] += p.event_bytes
        peer.rxq.expect()  # the peer's load counts it from now on, as in SURGE
        node.nic.send(p.event_bytes, self._arrive, peer)
        self.sim.schedule(p.send_interval_ns, self._send, node)
        if trace.level >= VV:
            trace.log(VV, "event-sent", node.name, peer.name)

    # ---------------------------------------------------------------- receiving
    def _arrive(self, node: _Peer) -> None:
        """An event reaches its receiver: count its bytes, queue it."""
        self.rxbytes.values[node.index] += self.params.event_bytes
        node.rxq.arrive(node)
        trace = self.ctx.trace
        if trace.level >= VVV:
            trace.log(VVV, "event-received", node.name, node.rxq.depth)

    def _served(self, node: _Peer, waited_ns: int) -> None:
        """An event's service ends at its receiver."""
        self.event.values[node.index] += 1
        self.rxwait.record(waited_ns, node.index)
        trace = self.ctx.trace
        if trace.level >= VVV:
            trace.log(VVV, "event-served", node.name, waited_ns)
