"""Model 6, ``uch-aimd``: Unicast Consistent Hash distribution using AIMD congestion control.

What it models and why
----------------------
The same unicast consistent-hash cluster as model 5, but the *senders* control their own
rate, TCP-like: additive increase, multiplicative decrease. Servers send congestion
notifications ("dings", comparable to ECN) when their receive queue overlaps or their disk
backs up. It is SURGE's second "unsolicited" baseline: reactive congestion control.

Pipeline (per replica; gateway I, server T)
-------------------------------------------
1. I -> T put request at ``T_ctl + trip``; T admits the flow after the disk back-pressure
   delay and answers REQUEST-ACK at ``T_ctl + trip + delay``.
2. I sends at its AIMD bucket's rate, starting at ``aimd_min_bits_per_s`` (1 Gbit/s): every
   ``aimd_add_every_bits`` (74,400) bits used, the rate grows by the minimum, up to the link
   rate. Without dings a 128 KiB replica's frames go at 1, 1, 2, 2, 3, 3, ... Gbit/s.
3. Every ``ding_check_ns`` (default ``ding_overlap_ns + 3 trip`` = 10.2 us) while T has
   flows, T looks at the frames in flight to it:
   * disk queue >= max disk queue chunks: **ding-all**, one ding per frame in flight (the
     designed back-pressure, SURGE's quirk 5, kept);
   * else it counts overlaps, consecutive in-flight frames arriving within
     ``ding_overlap_ns`` of each other; with at least ``ding_overlaps`` of them it dings the
     sender of the earliest frame, if that flow has more than 3 frames left and has moved
     more than a frame since its last ding.
4. I, on a ding (if still sending): rate = max(rate / ``aimd_divisor``, minimum).
5. Completion, write-back and acks as in model 5 (:mod:`surge.protocols.unicast`).

What to read in the results
---------------------------
``throughput``, ``chunk_latency``, server ``rxbusy``/``diskbusy``/``disk-frame-bufs``,
``dings`` and ``dingall`` counts, and the ``srv-send-ding``/``gwy-got-dinged`` trace lines.

Reference notes
---------------
The AIMD constants keep SURGE's numbers (quirk 4): 1 Gbit/s minimum and step taken from
the raw 10 Gbit/s, 74,400 bits per step, and the 7.2 us overlap window (one 9000 B frame at
the raw 10 Gbit/s). The rate bucket credits elapsed time before every rate change (SURGE's
did not). Fixes shared with model 5 are listed in :mod:`surge.protocols.unicast`.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from surge.config.params import param
from surge.models.registry import Model, register_model
from surge.network import AIMDBucket, TokenBucket
from surge.protocols.unicast import (
    BUCKET_BITS,
    RecvFlow,
    SendFlow,
    UnicastCluster,
    UnicastGateway,
    UnicastParams,
    UnicastServer,
    unicast_cluster,
)
from surge.sim.units import GBPS
from surge.stats import Counter, Kind, Metric, Scope
from surge.stats.trace import V
from surge.storage import QueueUnit

__all__ = ["UchAimd", "UchAimdParams"]

_DEFAULT_OVERLAP_NS = 7200  # one 9000 B frame at the raw 10 Gbit/s
_DEFAULT_OVERLAPS = 2
_DEFAULT_DIVISOR = 2
_FRAMES_LEFT_TO_DING = 3
_TRIPS_PER_CHECK = 3


@dataclass(frozen=True, slots=True)
class UchAimdParams(UnicastParams):
    """Parameters of UCH-AIMD (the unicast set, plus AIMD and ding constants)."""

    aimd_min_bits_per_s: int = param(1 * GBPS, unit="bit/s", minimum=1,
                                     help="initial and minimum rate, and the additive step")
    aimd_add_every_bits: int = param(BUCKET_BITS, unit="bit", minimum=1,
                                     help="bits sent between two additive increases")
    aimd_divisor: int = param(_DEFAULT_DIVISOR, minimum=2,
                              help="multiplicative decrease on a ding")
    ding_overlap_ns: int = param(_DEFAULT_OVERLAP_NS, unit="ns", minimum=1,
                                 help="two in-flight frames closer than this overlap")
    ding_overlaps: int = param(_DEFAULT_OVERLAPS, minimum=1,
                               help="overlaps that make the server ding (SURGE linkoverage)")
    ding_check_ns: int = param(0, unit="ns", minimum=0,
                               help="period of the server's congestion check; 0 = "
                                    "ding_overlap_ns + 3 trip (10.2 us)")


class _Gateway(UnicastGateway):
    __slots__ = ("aimd",)

    def __init__(self, cluster: UnicastCluster, node_id: int, aimd: UchAimdParams) -> None:
        super().__init__(cluster, node_id)
        self.aimd = aimd

    def new_flow_bucket(self) -> TokenBucket:
        """An AIMD bucket, full, at the minimum rate."""
        a: UchAimdParams = self.aimd
        return AIMDBucket(self.sim, a.aimd_min_bits_per_s, max(self.c.link_bps,
                                                               a.aimd_min_bits_per_s),
                          self.c.bucket_bits, divisor=a.aimd_divisor,
                          add_every_units=a.aimd_add_every_bits)

    def on_request_answered(self, flow: SendFlow, rate: int) -> None:
        """REQUEST-ACK: start at the bucket's rate."""
        flow.rate_ready = True
        assert flow.bucket is not None
        flow.bits_per_s = flow.bucket.rate
        self.kick(flow)

    def on_request_ack(self, flow: SendFlow) -> None:
        """The REQUEST-ACK message."""
        self._control_received()
        self.on_request_answered(flow, 0)

    def after_frame(self, flow: SendFlow) -> None:
        """Additive increase happened in the bucket's ``use``: follow its rate."""
        assert flow.bucket is not None
        flow.bits_per_s = flow.bucket.rate

    def on_ding(self, flow: SendFlow) -> None:
        """A ding: multiplicative decrease (floored), unless the replica is all sent."""
        self._control_received()
        if flow.sent_all:
            return
        bucket = flow.bucket
        assert isinstance(bucket, AIMDBucket)
        bucket.ding()
        flow.bits_per_s = bucket.rate
        if self.cluster.trace.level >= V:
            self.cluster.trace.log(V, "gwy-got-dinged", self.name, flow.server.name,
                                   flow.replica, bucket.rate)
        self.kick(flow)

    def _control_received(self) -> None:
        m = self.cluster.metrics
        m.event.values[self.index] += 1
        m.rxbytes.values[self.index] += self.c.ctl_bytes


class _Server(UnicastServer):
    __slots__ = ("check_ns", "checking", "dingall", "dings", "overlap_ns", "overlaps")

    def __init__(self, cluster: UnicastCluster, node_id: int, p: UchAimdParams, *,
                 dings: Counter, dingall: Counter) -> None:
        super().__init__(cluster, node_id)
        check_ns = p.ding_check_ns or p.ding_overlap_ns + _TRIPS_PER_CHECK * p.trip_ns
        self.check_ns = max(1, check_ns)
        self.checking = False
        self.overlap_ns = p.ding_overlap_ns
        self.overlaps = p.ding_overlaps
        self.dings = dings
        self.dingall = dingall

    def answer_request(self, gateway: UnicastGateway, flow: RecvFlow, delay_ns: int) -> None:
        """REQUEST-ACK after the admission delay; start the congestion check."""
        assert isinstance(gateway, _Gateway)
        self.send_control(delay_ns, gateway.on_request_ack, flow.send)
        if not self.checking:
            self.checking = True
            self.sim.schedule(self.check_ns, self._check)

    def on_flow_frame(self, flow: RecvFlow, sender_bw: int) -> None:
        """The server's view of the flow's rate is the sender's."""
        flow.bw = sender_bw

    def _check(self, _: object = None) -> None:
        if not self.flows:
            self.checking = False
            return
        self.sim.schedule(self.check_ns, self._check)
        if not self.in_flight:
            return
        c = self.c
        if self.disk.queue_depth(QueueUnit.CHUNKS)[0] >= c.max_disk_queue_chunks:
            self.dingall.values[self.index] += 1
            if self.cluster.trace.level >= V:
                self.cluster.trace.log(V, "srv-dingall", self.name, len(self.in_flight))
            for _, send, _, _ in list(self.in_flight):
                flow = self.flows.get(send)
                if flow is not None:
                    flow.prev_offset = flow.offset + c.frame_bytes
                    self._ding(flow)
            return
        arrivals = sorted(self.in_flight, key=lambda item: item[0])
        times = [item[0] for item in arrivals]
        overlaps = sum(1 for a, b in pairwise(times) if b - a <= self.overlap_ns)
        if overlaps < self.overlaps:
            return
        flow = self.flows.get(arrivals[0][1])
        if flow is None:
            return
        frame = c.frame_bytes
        if (flow.offset + _FRAMES_LEFT_TO_DING * frame < flow.total
                and flow.prev_offset + frame < flow.offset):
            flow.prev_offset = flow.offset + frame
            self._ding(flow)

    def _ding(self, flow: RecvFlow) -> None:
        self.dings.values[self.index] += 1
        gateway = flow.gateway
        assert isinstance(gateway, _Gateway)
        if self.cluster.trace.level >= V:
            self.cluster.trace.log(V, "srv-send-ding", self.name, gateway.name,
                                   flow.send.replica, flow.offset)
        self.send_control(0, gateway.on_ding, flow.send)


@register_model(
    "uch-aimd",
    alias="6",
    description="UCH-AIMD: Unicast Consistent Hash distribution using AIMD congestion "
                "control",
    params=UchAimdParams,
)
class UchAimd(Model[UchAimdParams]):
    """SURGE model 6 on the surge engine (see the module docstring)."""

    def build(self) -> None:
        """Create the cluster, declare metrics, start every gateway at time 0."""
        ctx, p = self.ctx, self.params
        cluster = unicast_cluster(ctx, p, model="uch-aimd")
        dings = ctx.stats.counter(Metric("dings", Kind.COUNT, Scope.SERVER, "ding",
                                         "congestion notifications sent"))
        dingall = ctx.stats.counter(Metric("dingall", Kind.COUNT, Scope.SERVER, "check",
                                           "checks that dinged every frame in flight "
                                           "(disk backed up)"))
        cluster.gateways = [_Gateway(cluster, i, p) for i in range(1, ctx.gateways + 1)]
        cluster.servers = [_Server(cluster, i, p, dings=dings, dingall=dingall)
                           for i in range(1, ctx.servers + 1)]
        cluster.declare_busy_metrics()
        self.cluster = cluster
        cluster.start()

