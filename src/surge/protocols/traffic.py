"""Storms of random events: the engine of SURGE's models 1, 1.1, 2 and 2.1, written once.

What it models
--------------
SURGE's four demo models have no storage protocol: nodes send anonymous events to each
other, each receiver queues and serves them, and each sender looks at the receivers'
queues before it picks a target. They differ only in who sends to whom, how a target is
picked and how sends are paced; everything else lives here.

* **Nodes.** A sender owns one NIC (a FIFO :class:`~surge.network.Link`: bandwidth, SURGE's
  1 % L2 overhead, one-way ``trip_ns``, plus, with ``jitter``, SURGE's random extra
  ``U[0, trip) + 1 ns``: :class:`~surge.network.delivery.JitteredLink`) and its own random
  stream; a receiver owns a FIFO receive queue that serves one event every ``service_ns``
  (:class:`~surge.network.selection.ReceiveQueue`).
* **Who sends to whom.** One-way (models 1 and 1.1): gateways send, servers receive.
  Symmetric (models 2 and 2.1): every node sends to the nodes of the other role (the only
  links SURGE wires) and serves its own queue.
* **Picking a target.** A choice function from :mod:`surge.network.selection` reads the
  candidates' loads (every event sent to a receiver and not yet served, those in flight
  included: SURGE queued an event at its receiver the moment it was sent) under
  ``queue_cap``: :func:`~surge.network.selection.select_random_peer` (model 1) or
  :func:`~surge.network.selection.two_random_choices` (1.1, 2, 2.1). When every candidate
  is above the cap, the send is given up (``skipped``).
* **Pacing**, in simulated time:

  - :class:`FixedInterval` (models 1 and 1.1): one attempt every ``interval_ns`` from time
    0; the next attempt is scheduled before this one is made, so a skipped send waits for
    the next beat;
  - :class:`IntervalWithBackoff` (model 2): the next attempt comes ``interval_ns`` after a
    sent event, ``backoff_ns`` after a skipped one;
  - :class:`TokenBucketPacing` (model 2.1): a node sends whenever its
    :class:`~surge.network.TokenBucket` holds a token (a burst of up to ``bucket_events``,
    then one per ``refill_ns``); a skipped send keeps its token and waits ``backoff_ns``.

Pipeline of one event: the sender picks a receiver, counts the event in the receiver's
load (:meth:`~surge.network.selection.ReceiveQueue.expect`) and hands ``event_bytes`` to
its NIC; at arrival the receiver queues it, serves it for ``service_ns`` and counts it.

Metrics
-------
Declared in this order, per sender or per receiver (per node, gateways and servers alike,
when traffic is symmetric): ``event`` (events served), ``rxchannelbusy`` (percent of time
the receive queue held more than one event), ``txbytes``, ``rxbytes``, ``skipped`` (sends
given up: every candidate above the cap) and ``rxwait`` (distribution of the waits before
service, ns).

Reference defects fixed here
----------------------------
* Wall-clock pacing: SURGE paced these models with wall-clock sleeps, so their rates were
  properties of the host; here every rate is a parameter in simulated time, and the same
  seed gives the same run on every host.
* ``rxchannelbusy``: SURGE sampled once per tick whether more than one due event was
  pending and marked its own definition "FIXME: redefine or remove"; here it is the exact
  time-weighted share of time the receive queue holds more than one event.
* SURGE dropped an event when the 16-slot Go channel to its receiver was full; there are
  no channels here (NICs queue FIFO), so nothing is lost in transit and the cap is the only
  reason to give up a send.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from surge.config.params import param
from surge.network import Link, Node, Role, TokenBucket
from surge.network.delivery import ANONYMOUS_EVENT_BYTES, JitteredLink
from surge.network.selection import DEFAULT_QUEUE_CAP, Loaded, ReceiveQueue
from surge.sim.units import GBPS, US, S
from surge.stats import Kind, Metric, Scope
from surge.stats.trace import VV, VVV

if TYPE_CHECKING:
    from surge.protocols.context import RunContextLike
    from surge.sim import Simulation

__all__ = [
    "EventCluster",
    "EventNode",
    "EventParams",
    "FixedInterval",
    "IntervalWithBackoff",
    "Pacing",
    "PeerChoice",
    "TokenBucketPacing",
]

_DEFAULT_TRIP_NS = 1 * US
_DEFAULT_SERVICE_NS = 1 * US
_MAX_PERCENT = 99.0

#: Picks a receiver: ``choose(rng, loads, cap)`` returns an index into ``loads``, or
#: ``None`` when every candidate is above ``cap`` (see :mod:`surge.network.selection`).
PeerChoice = Callable[[random.Random, Sequence[Loaded], int], int | None]


@dataclass(frozen=True, slots=True)
class EventParams:
    """Parameters shared by the event storms (models 1, 1.1, 2 and 2.1).

    A model's subclass adds its pacing fields and re-declares ``trip_ns`` (and
    ``service_ns`` where its default differs) with its own default.
    """

    trip_ns: int = param(_DEFAULT_TRIP_NS, unit="ns", minimum=0,
                         help="one-way propagation latency of every NIC (SURGE: 1us)")
    jitter: bool = param(True, help="add SURGE's random extra latency U[0, trip) + 1 ns per "
                                    "event")
    event_bytes: int = param(ANONYMOUS_EVENT_BYTES, unit="B", minimum=1,
                             help="size of an event (SURGE's anonymous event: 144 B)")
    link_bits_per_s: int = param(10 * GBPS, unit="bit/s", minimum=1,
                                 help="raw rate of every node's NIC")
    overhead_pct: float = param(1.0, unit="%", minimum=0.0, maximum=_MAX_PERCENT,
                                help="L2 overhead taken off the raw rate (SURGE: 1%)")
    service_ns: int = param(_DEFAULT_SERVICE_NS, unit="ns", minimum=0,
                            help="time a node spends on one received event (SURGE: a ~1us "
                                 "wall-clock sleep per loop)")
    queue_cap: int = param(DEFAULT_QUEUE_CAP, unit="event", minimum=0,
                           help="a receiver is eligible while at most this many events sent "
                                "to it are unserved (SURGE: 64)")


@dataclass(frozen=True, slots=True)
class FixedInterval:
    """One attempt every ``interval_ns`` from time 0, sent or skipped (models 1 and 1.1)."""

    interval_ns: int

    def turn(self, storm: EventCluster, node: EventNode) -> None:
        """One beat: schedule the next, then try one send."""
        storm.sim.schedule(self.interval_ns, storm.turn, node)
        storm.send_one(node)


@dataclass(frozen=True, slots=True)
class IntervalWithBackoff:
    """Next attempt ``interval_ns`` after a sent event, ``backoff_ns`` after a skip (model 2)."""

    interval_ns: int
    backoff_ns: int

    def turn(self, storm: EventCluster, node: EventNode) -> None:
        """Try one send; the next try comes an interval later, or a back-off after a skip."""
        delay = self.interval_ns if storm.send_one(node) else self.backoff_ns
        storm.sim.schedule(delay, storm.turn, node)


@dataclass(frozen=True, slots=True)
class TokenBucketPacing:
    """Send while the bucket holds a token; ``backoff_ns`` after a skip (model 2.1).

    Attributes:
        bucket_events: the bucket's capacity, the largest burst (full at time 0).
        refill_ns: time to earn one token, one event.
        backoff_ns: wait after a skipped send (the token is kept).
    """

    bucket_events: int
    refill_ns: int
    backoff_ns: int

    def new_bucket(self, sim: Simulation) -> TokenBucket:
        """A sender's bucket, full."""
        # The bucket counts time: a token is refill_ns units, earned at one unit per ns, so
        # any integer refill_ns is exact (a rate in tokens/s need not be an integer).
        return TokenBucket(sim, max_units=self.bucket_events * self.refill_ns, rate=S)

    def turn(self, storm: EventCluster, node: EventNode) -> None:
        """Send while the bucket holds tokens, then wait for the next one (or back off)."""
        cost = self.refill_ns
        bucket = node.bucket
        while True:
            wait = bucket.time_until(cost)
            if wait is None:  # pragma: no cover - cost <= capacity and the rate is > 0
                raise AssertionError("token bucket can never refill")
            if wait:
                storm.sim.schedule(wait, storm.turn, node)
                return
            if not storm.send_one(node):
                storm.sim.schedule(self.backoff_ns, storm.turn, node)
                return
            bucket.use(cost)


#: How a sender paces its attempts.
Pacing = FixedInterval | IntervalWithBackoff | TokenBucketPacing


class EventNode(Node):
    """A gateway or a server of an event storm: a sender, a receiver, or both.

    Attributes:
        index: the node's global stats index.
        peers: the receivers this node may send to (empty if it does not send).
        queues: their receive queues, in the same order.
        rng: the sender's random stream (target choices and jitter).
        nic: the sender's NIC.
        bucket: the sender's token bucket (:class:`TokenBucketPacing` only).
        rxq: the receiver's receive queue.

    A node that does not send has no ``rng``, ``nic`` or ``bucket``, one that does not
    receive no ``rxq`` (reading them raises :class:`AttributeError`).
    """

    __slots__ = ("bucket", "index", "nic", "peers", "queues", "rng", "rxq")

    bucket: TokenBucket
    nic: JitteredLink
    rng: random.Random
    rxq: ReceiveQueue

    def __init__(self, node_id: int, role: Role, index: int) -> None:
        super().__init__(node_id, role)
        self.index = index
        self.peers: list[EventNode] = []
        self.queues: list[ReceiveQueue] = []


class EventCluster:
    """The nodes, metrics and send loop of one event storm (see the module docstring).

    Creates the nodes and declares the metrics; :meth:`start` schedules every sender's
    first turn at time 0, and the pacing schedules the next ones.

    Args:
        ctx: the run (simulation, cluster size, stats, trace, node indexes).
        params: the model's parameters.
        symmetric: every node sends to the other role and receives (models 2 and 2.1);
            ``False``: gateways send, servers receive (models 1 and 1.1).
        choose: picks a receiver among the sender's candidates.
        pacing: when a sender makes its attempts.

    Attributes:
        gateways, servers: the nodes; senders: the nodes that send, in start order.
        event, txbytes, rxbytes, skipped, rxwait: the metric recorders.
    """

    def __init__(self, ctx: RunContextLike, params: EventParams, *, symmetric: bool,
                 choose: PeerChoice, pacing: Pacing) -> None:
        self.sim = ctx.sim
        self.trace = ctx.trace
        self.params = params
        self.pacing = pacing
        self._choose = choose
        self.gateways = [self._node(i, Role.GATEWAY, ctx.gateway_index(i), sends=True,
                                    receives=symmetric)
                         for i in range(1, ctx.gateways + 1)]
        self.servers = [self._node(i, Role.SERVER, ctx.server_index(i), sends=symmetric,
                                   receives=True)
                        for i in range(1, ctx.servers + 1)]
        wiring: tuple[tuple[list[EventNode], list[EventNode]], ...]
        if symmetric:
            wiring = ((self.gateways, self.servers), (self.servers, self.gateways))
            self.senders = self.gateways + self.servers
            receivers = self.senders
            tx_scope = rx_scope = Scope.GATEWAY | Scope.SERVER
            sender, receiver, target = "node", "node", "peer"
        else:
            wiring = ((self.gateways, self.servers),)
            self.senders = self.gateways
            receivers = self.servers
            tx_scope, rx_scope = Scope.GATEWAY, Scope.SERVER
            sender, receiver, target = "gateway", "server", "server"
        for mine, theirs in wiring:
            for node in mine:
                node.peers = theirs
                node.queues = [peer.rxq for peer in theirs]

        stats = ctx.stats
        self.event = stats.counter(Metric("event", Kind.COUNT, rx_scope, "event",
                                          "events served from the receive queue"))
        queue_of = {node.index: node.rxq for node in receivers}
        stats.sampled(Metric("rxchannelbusy", Kind.PERCENT, rx_scope, "%",
                             "share of time the receive queue holds more than one event"),
                      lambda i: float(queue_of[i].busy_ns()))
        self.txbytes = stats.counter(Metric("txbytes", Kind.BYTES, tx_scope, "B",
                                            f"bytes handed to the {sender}'s NIC"))
        self.rxbytes = stats.counter(Metric("rxbytes", Kind.BYTES, rx_scope, "B",
                                            f"bytes received by the {receiver}"))
        self.skipped = stats.counter(Metric("skipped", Kind.COUNT, tx_scope, "event",
                                            f"sends given up: every {target} above the cap"))
        self.rxwait = stats.distribution(Metric("rxwait", Kind.DISTRIBUTION, rx_scope, "ns",
                                                "time an event waits in the receive queue "
                                                "before its service"))

    def _node(self, node_id: int, role: Role, index: int, *, sends: bool,
              receives: bool) -> EventNode:
        p, sim, pacing = self.params, self.sim, self.pacing
        node = EventNode(node_id, role, index)
        if sends:
            node.rng = sim.random.python(node.name)
            link = Link(sim, p.link_bits_per_s, p.trip_ns, overhead_pct=p.overhead_pct,
                        name=node.name)
            node.nic = JitteredLink(sim, link, node.rng, p.trip_ns if p.jitter else 0)
            if isinstance(pacing, TokenBucketPacing):
                node.bucket = pacing.new_bucket(sim)
        if receives:
            node.rxq = ReceiveQueue(sim, p.service_ns, self._served, name=f"{node.name}.rx")
        return node

    def start(self) -> None:
        """Schedule every sender's first turn at time 0."""
        for node in self.senders:
            self.sim.schedule(0, self.turn, node)

    def turn(self, node: EventNode) -> None:
        """A sender's turn: its pacing makes the attempts and schedules the next turn."""
        self.pacing.turn(self, node)

    # ----------------------------------------------------------------------- sending
    def send_one(self, node: EventNode) -> bool:
        """Pick a receiver and send it one event; ``False`` (``skipped``) if none is eligible."""
        p = self.params
        i = self._choose(node.rng, node.queues, p.queue_cap)
        trace = self.trace
        if i is None:
            self.skipped.values[node.index] += 1
            if trace.level >= VV:
                trace.log(VV, "event-skipped", node.name)
            return False
        peer = node.peers[i]
        self.txbytes.values[node.index] += p.event_bytes
        peer.rxq.expect()  # the receiver's load counts it from now on, as in SURGE
        node.nic.send(p.event_bytes, self._arrive, peer)
        if trace.level >= VV:
            trace.log(VV, "event-sent", node.name, peer.name)
        return True

    # --------------------------------------------------------------------- receiving
    def _arrive(self, node: EventNode) -> None:
        """An event reaches its receiver: count its bytes, queue it."""
        self.rxbytes.values[node.index] += self.params.event_bytes
        node.rxq.arrive(node)
        trace = self.trace
        if trace.level >= VVV:
            trace.log(VVV, "event-received", node.name, node.rxq.depth)

    def _served(self, node: EventNode, waited_ns: int) -> None:
        """An event's service ends at its receiver."""
        self.event.values[node.index] += 1
        self.rxwait.record(waited_ns, node.index)
        trace = self.trace
        if trace.level >= VVV:
            trace.log(VVV, "event-served", node.name, waited_ns)
