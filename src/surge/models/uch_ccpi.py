"""Model 5, ``uch-ccpi``: Unicast Consistent Hash distribution using Captive Congestion Point.

What it models and why
----------------------
The baseline of a conventional, "unsolicited" storage cluster, against which SURGE's
thesis compares the reservation protocols: targets chosen by (modelled) consistent
hashing, i.e. at random; every replica a separate unicast transfer; and a rate control
that assumes the only congestion point is the receiving server's link (the "captive
congestion point"). Each server divides its receive bandwidth equally among its current
incoming flows and tells the senders their rates.

Pipeline (per replica k of a chunk; gateway I, server T)
--------------------------------------------------------
1. I -> T put request (one control PDU) at ``T_ctl + trip``.
2. T admits the flow: delay = disk back-pressure (``admission_delay_ns``); n = its number
   of flows including this one; replies RATE-INIT(linkbps / n) at ``T_ctl + trip + delay``.
3. I sets the flow's rate and its bucket's rate; frames go when the buckets allow
   (:mod:`surge.protocols.unicast`). A RATE-SET that arrives before the RATE-INIT is kept
   and applied at the RATE-INIT (``gwy-rateinit-delayed``).
4. Whenever T's number of flows changes (and is > 0), at the end of that instant T
   re-rates: every flow with more than one frame plus the bytes in flight left is sent
   RATE-SET(linkbps / n) (``gwy-rateset`` at the gateway). ``rerate=inverse-remaining``
   selects SURGE's unused experimental policy instead (rate proportional to 1/remaining).
5. After the last frame of replica k, I starts replica k+1 at once; T writes the replica
   (write-back ack if the disk is not backed up) and acks; with R acks the chunk is done.

What to read in the results
---------------------------
``throughput`` and ``chunk_latency`` (the standard storage metrics), ``chunk``/``replica``
counts, server ``rxbusy`` (link utilization: n flows at 1/n of the rate add up to one
link), ``diskbusy`` and ``disk-frame-bufs`` (write back-pressure), ``rerates`` (rate-set
messages sent), and the ``chunk-done ... latency`` trace lines.

Reference defects fixed
-----------------------
See :mod:`surge.protocols.unicast` (last frame charged to the buckets, servers >= 2R
validated, seeded ids, deterministic order, no polling). The re-rate check runs at the end
of every instant in which the flow count changed, where SURGE ran it "after each round of
event processing" of a free-running goroutine.
"""

from __future__ import annotations

from dataclasses import dataclass

from surge.config.params import param
from surge.models.registry import Model, register_model
from surge.network import TokenBucket
from surge.protocols.unicast import (
    RecvFlow,
    SendFlow,
    UnicastCluster,
    UnicastGateway,
    UnicastParams,
    UnicastServer,
    unicast_cluster,
)
from surge.sim import LATE
from surge.sim.units import S
from surge.stats import Counter, Kind, Metric, Scope
from surge.stats.trace import V

__all__ = ["UchCcpi", "UchCcpiParams"]

_BITS_PER_BYTE = 8
_EQUAL = "equal"
_INVERSE = "inverse-remaining"


@dataclass(frozen=True, slots=True)
class UchCcpiParams(UnicastParams):
    """Parameters of UCH-CCPi (the unicast set, plus the re-rate policy)."""

    rerate: str = param(_EQUAL, choices=(_EQUAL, _INVERSE),
                        help="how a server shares its link: equal shares (SURGE), or "
                             "inversely to each flow's remaining bytes (SURGE's unused "
                             "experiment)")


class _Gateway(UnicastGateway):
    __slots__ = ()

    def new_flow_bucket(self) -> TokenBucket:
        """A bucket with rate 0: nothing is sent until the server assigns a rate."""
        return TokenBucket(self.sim, self.c.bucket_bits, 0)

    def on_request_answered(self, flow: SendFlow, rate: int) -> None:
        """RATE-INIT: take the assigned rate (or an RSE that came first)."""
        if flow.pending_rate is not None:
            rate = flow.pending_rate
            if self.cluster.trace.level >= V:
                self.cluster.trace.log(V, "gwy-rateinit-delayed", self.name, flow.replica,
                                       rate)
        flow.rate_ready = True
        self.set_rate(flow, rate)

    def on_rate_init(self, msg: tuple[SendFlow, int]) -> None:
        """The RATE-INIT message."""
        self._control_received()
        self.on_request_answered(*msg)

    def on_rate_set(self, msg: tuple[SendFlow, int]) -> None:
        """A RATE-SET: ignored once the replica is sent, kept until RATE-INIT."""
        self._control_received()
        flow, rate = msg
        if flow.sent_all:
            return
        if not flow.rate_ready:
            flow.pending_rate = rate
            return
        if self.cluster.trace.level >= V:
            self.cluster.trace.log(V, "gwy-rateset", self.name, flow.server.name,
                                   flow.replica, rate)
        self.set_rate(flow, rate)

    def _control_received(self) -> None:
        m = self.cluster.metrics
        m.event.values[self.index] += 1
        m.rxbytes.values[self.index] += self.c.ctl_bytes


class _Server(UnicastServer):
    __slots__ = ("last_n", "policy", "rerate_due", "rerates")

    def __init__(self, cluster: UnicastCluster, node_id: int, *, policy: str,
                 rerates: Counter) -> None:
        super().__init__(cluster, node_id)
        self.policy = policy
        self.rerates = rerates
        self.last_n = 0
        self.rerate_due = False

    def answer_request(self, gateway: UnicastGateway, flow: RecvFlow, delay_ns: int) -> None:
        """RATE-INIT with an equal share of the link."""
        rate = self.c.link_bps // len(self.flows)
        flow.bw = rate
        assert isinstance(gateway, _Gateway)
        self.send_control(delay_ns, gateway.on_rate_init, (flow.send, rate))

    def flows_changed(self) -> None:
        """Re-rate at the end of this instant (once, however many changes)."""
        if not self.rerate_due:
            self.rerate_due = True
            self.sim.schedule_priority(0, self._rerate_check, None, LATE)

    def _rerate_check(self, _: object) -> None:
        self.rerate_due = False
        n = len(self.flows)
        if n != self.last_n and n > 0:
            self._rerate(n)
        self.last_n = n

    def _rerate(self, n: int) -> None:
        c = self.c
        flows = list(self.flows.values())
        if self.policy == _INVERSE:
            shares = self._inverse_shares(flows)
        else:
            shares = {id(f): c.link_bps // n for f in flows}
        for f in flows:
            in_flight = f.bw * c.trip_ns // (_BITS_PER_BYTE * S)
            rate = shares.get(id(f))
            if rate is None or f.total - f.offset <= c.frame_bytes + in_flight:
                continue  # nearly done: leave it alone
            f.bw = rate
            self.rerates.values[self.index] += 1
            gateway = f.gateway
            assert isinstance(gateway, _Gateway)
            self.send_control(0, gateway.on_rate_set, (f.send, rate))

    def _inverse_shares(self, flows: list[RecvFlow]) -> dict[int, int]:
        """linkbps * (1/rem_i) / sum(1/rem_j) over flows with more than one frame left."""
        frame = self.c.frame_bytes
        remaining = {id(f): f.total - f.offset for f in flows if f.total - f.offset > frame}
        if not remaining:
            return {}
        weight = sum(1 / r for r in remaining.values())
        return {k: int(self.c.link_bps * (1 / r) / weight) for k, r in remaining.items()}


@register_model(
    "uch-ccpi",
    alias="5",
    description="UCH-CCPi: Unicast Consistent Hash distribution using Captive Congestion "
                "Point",
    params=UchCcpiParams,
)
class UchCcpi(Model[UchCcpiParams]):
    """SURGE model 5 on the surge engine (see the module docstring)."""

    def build(self) -> None:
        """Create the cluster, declare metrics, start every gateway at time 0."""
        ctx, p = self.ctx, self.params
        cluster = unicast_cluster(ctx, p, model="uch-ccpi")
        rerates = ctx.stats.counter(Metric("rerates", Kind.COUNT, Scope.SERVER, "message",
                                           "RATE-SET messages sent by the server"))
        cluster.gateways = [_Gateway(cluster, i) for i in range(1, ctx.gateways + 1)]
        cluster.servers = [_Server(cluster, i, policy=p.rerate, rerates=rerates)
                           for i in range(1, ctx.servers + 1)]
        cluster.declare_busy_metrics()
        self.cluster = cluster
        cluster.start()
