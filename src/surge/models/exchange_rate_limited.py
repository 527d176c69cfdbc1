"""Model 2.1, ``exchange-rate-limited``: the symmetric exchange, paced by token buckets.

What it models and why
----------------------
SURGE's model 2.1, "identical clustered nodes exchanging rate controlled events", is
model 2 with a token bucket in every node: a node may send a burst of up to
``bucket_events`` events, then one event per ``refill_ns``. It is SURGE's first rate
control, the ancestor of the buckets that pace the unicast storage models, shown on the
simplest possible traffic. Each node owns one NIC (a FIFO :class:`~surge.network.Link`:
bandwidth, SURGE's 1 % L2 overhead, one-way ``trip_ns``), one FIFO receive queue that
serves an event every ``service_ns`` (:class:`~surge.network.selection.ReceiveQueue`) and
one :class:`~surge.network.TokenBucket`.

Pipeline
--------
1. From time 0, a node sends whenever its bucket holds a token: it picks a peer of the
   other role with two random choices under the cap
   (:func:`~surge.network.selection.two_random_choices`: two draws of SURGE's
   ``selectRandomPeer(64)`` on the peers' loads, events sent to them and not yet served,
   in flight included; the second is kept only if its load is strictly smaller), takes
   the token and sends. A full bucket therefore empties in a burst at one instant,
   and then the node sends exactly when each new token arrives.
2. If no peer is under the cap, the node keeps its token, counts ``skipped`` and tries
   again after ``backoff_ns``.
3. The event (``event_bytes``, SURGE's anonymous 144-byte event) crosses the sender's
   NIC: FIFO serialization, ``trip_ns``, plus, with ``jitter``, SURGE's random extra
   ``U[0, trip) + 1 ns``. Without jitter an event on an idle NIC arrives at exactly
   ``trip_ns + floor(8 * 144 * 1e9 / 9.9e9)`` = 4116 ns.
4. The receiver queues it, serves it for ``service_ns`` and counts it (``event``).

Send rate, exactly: with a bucket of ``b`` tokens, full at time 0, and one token per
``r`` ns, a node whose sends never fail sends ``b + ceil(T / r) - 1`` events in
``[0, T)``: 10 + 199 = 209 in 100 µs at the defaults, 2 events per µs in the long run.

Simulated-time choices
----------------------
SURGE's constants were already in simulated time (``MaxBucket`` = 10, ``RateRefill`` =
0.5 µs per token); what was not: the node slept 1 µs of wall-clock time when out of
tokens (here it waits exactly until the next token), and its receive loop did not sleep
at all. ``service_ns`` defaults to 250 ns accordingly, so that a receiver serves twice
what a sender's bucket admits: with as many gateways as servers the load is
``rho = 0.5``, the bucket (not the cap) sets the pace. ``backoff_ns`` = 20 µs is model
2's back-off (two 10 µs wall-clock sleeps after a failed send); ``trip_ns`` = 4 µs is
SURGE's value for model 2.1.

What to read in the results
---------------------------
Per node, gateways and servers alike: ``txbytes`` (flat across nodes: each sends at its
bucket's rate, as in SURGE's reference run), ``rxbytes``, ``event`` (events served),
``rxchannelbusy`` (percent of time the receive queue held more than one event),
``rxwait`` (distribution of waits before service, ns) and ``skipped``.

Reference defects fixed
-----------------------
* Two choices (quirk 1): SURGE's comparison read a count that was never stored, so the
  first draw always won; here it compares real loads, and
  ``degenerate_choice=true`` reproduces the old behaviour (same random draws).
* The bucket: SURGE refilled only while holding at most 9 tokens and then added the
  whole elapsed time with no upper cap, so a node that had been blocked could burst far
  beyond 10 tokens. Here the bucket is exact and capped at ``bucket_events``.
* Wall-clock sleeps and the sampled ``rxchannelbusy``: as in model 2 (simulated rates;
  exact time-weighted share of time the receive queue holds more than one event).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from surge.models.params import param
from surge.models.registry import Model, RunContext, register_model
from surge.network import Link, Node, Role, TokenBucket
from surge.network.delivery import ANONYMOUS_EVENT_BYTES, JitteredLink
from surge.network.selection import DEFAULT_QUEUE_CAP, ReceiveQueue, two_random_choices
from surge.sim.units import GBPS, US, S
from surge.stats import Kind, Metric, Scope
from surge.stats.trace import VV, VVV

__all__ = ["ExchangeRateLimited", "ExchangeRateLimitedParams"]

_DEFAULT_TRIP_NS = 4 * US
_DEFAULT_BUCKET_EVENTS = 10
_DEFAULT_REFILL_NS = 500
_DEFAULT_BACKOFF_NS = 20 * US
_DEFAULT_SERVICE_NS = 250
_MAX_PERCENT = 99.0


@dataclass(frozen=True, slots=True)
class ExchangeRateLimitedParams:
    """Parameters of the exchange-rate-limited model."""

    trip_ns: int = param(_DEFAULT_TRIP_NS, unit="ns", minimum=0,
                         help="one-way propagation latency of every NIC (SURGE m2.1: 4us)")
    jitter: bool = param(True, help="add SURGE's random extra latency U[0, trip) + 1 ns per "
                                    "event")
    event_bytes: int = param(ANONYMOUS_EVENT_BYTES, unit="B", minimum=1,
                             help="size of an event (SURGE's anonymous event: 144 B)")
    link_bits_per_s: int = param(10 * GBPS, unit="bit/s", minimum=1,
                                 help="raw rate of every node's NIC")
    overhead_pct: float = param(1.0, unit="%", minimum=0.0, maximum=_MAX_PERCENT,
                                help="L2 overhead taken off the raw rate (SURGE: 1%)")
    bucket_events: int = param(_DEFAULT_BUCKET_EVENTS, unit="event", minimum=1,
                               help="token bucket capacity: the largest burst of events "
                                    "(SURGE: MaxBucket = 10)")
    refill_ns: int = param(_DEFAULT_REFILL_NS, unit="ns", minimum=1,
                           help="time to earn one token, one event (SURGE: RateRefill = "
                                "0.5us)")
    backoff_ns: int = param(_DEFAULT_BACKOFF_NS, unit="ns", minimum=1,
                            help="wait after a skipped send, every peer above the cap (SURGE: "
                                 "two 10us wall-clock sleeps)")
    service_ns: int = param(_DEFAULT_SERVICE_NS, unit="ns", minimum=0,
                            help="time a node spends on one received event (SURGE's 2.1 "
                                 "receive loop did not sleep)")
    queue_cap: int = param(DEFAULT_QUEUE_CAP, unit="event", minimum=0,
                           help="a peer is eligible while at most this many events sent to "
                                "it are unserved (SURGE: 64)")
    degenerate_choice: bool = param(False, help="reproduce SURGE's defect: always keep the "
                                                "first of the two choices")


class _Peer(Node):
    """A gateway or a server: both run the same loop."""

    __slots__ = ("bucket", "index", "nic", "peers", "queues", "rng", "rxq")

    def __init__(self, node_id: int, role: Role, *, index: int, nic: JitteredLink,
                 rng: random.Random, rxq: ReceiveQueue, bucket: TokenBucket) -> None:
        super().__init__(node_id, role)
        self.index = index
        self.bucket = bucket
        self.nic = nic
        self.rng = rng
        self.rxq = rxq
        self.peers: list[_Peer] = []  # the nodes of the other role
        self.queues: list[ReceiveQueue] = []  # their receive queues, same order


@register_model(
    "exchange-rate-limited",
    alias="2.1",
    description="identical clustered nodes exchanging rate controlled events (SURGE model "
                "2.1): a token bucket per node",
    params=ExchangeRateLimitedParams,
)
class ExchangeRateLimited(Model[ExchangeRateLimitedParams]):
    """SURGE model 2.1 on the surge engine (see the module docstring)."""

    def __init__(self, ctx: RunContext, params: ExchangeRateLimitedParams) -> None:
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
        # The bucket counts time: a token is refill_ns units, earned at one unit per ns,
        # so any integer refill_ns is exact (a rate in tokens/s need not be an integer).
        bucket = TokenBucket(sim, max_units=p.bucket_events * p.refill_ns, rate=S)
        return _Peer(node_id, role, index=index, nic=nic, rng=rng, rxq=rxq, bucket=bucket)

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
        """A node's turn: send while the bucket holds tokens, then wait for the next one."""
        p = self.params
        cost = p.refill_ns
        bucket = node.bucket
        trace = self.ctx.trace
        while True:
            wait = bucket.time_until(cost)
            if wait is None:  # pragma: no cover - cost <= capacity and the rate is > 0
                raise AssertionError("token bucket can never refill")
            if wait:
                self.sim.schedule(wait, self._send, node)
                return
            i = two_random_choices(node.rng, node.queues, p.queue_cap,
                                   degenerate=p.degenerate_choice)
            if i is None:
                self.skipped.values[node.index] += 1
                self.sim.schedule(p.backoff_ns, self._send, node)
                if trace.level >= VV:
                    trace.log(VV, "event-skipped", node.name)
                return
            bucket.use(cost)
            peer = node.peers[i]
            self.txbytes.values[node.index] += p.event_bytes
            peer.rxq.expect()  # the peer's load counts it from now on, as in SURGE
            node.nic.send(p.event_bytes, self._arrive, peer)
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
