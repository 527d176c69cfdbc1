"""Unicast consistent-hash storage: the gateway engine and server receive path of SURGE's
models 5 (UCH-CCPi) and 6 (UCH-AIMD), written once.

What it models
--------------
A conventional "unsolicited" cluster: a gateway writes one chunk at a time, as R replicas
sent one after another to R distinct servers chosen at random (the stand-in for
consistent hashing). Each replica is a separate unicast transfer: a put request (one
control PDU), the data in frames, and an ack from the server once the replica is written
(or buffered: the write-back rule). The two models differ only in who sets a flow's rate:
the receiving server (CCPi: equal shares of its link) or the sender (AIMD). That policy is
left to subclasses through a handful of hooks; everything else lives here.

Timing (all integer ns; ``T_ctl = floor(8 * pdu * 10**9 / linkbps)``, ``trip`` one way):

* put request: gateway -> server at ``T_ctl + trip``; the server answers (rate-init or
  request-ack) at ``T_ctl + trip + admission delay``, the admission delay holding a new
  transfer back until at most ``max_disk_queue_chunks - 1`` chunks are queued on the disk;
* a frame of ``f = min(frame_bytes, remaining)`` bytes leaves when (1) the gateway's egress
  bucket, (2) the flow's own bucket and (3) the server's ingress bucket each hold ``8f``
  bits and (4) the flow's previous frame has been serialized; it occupies the flow for
  ``floor(8f * 10**9 / bw)`` ns at the flow's current rate ``bw`` and arrives one ``trip``
  after that;
* the last frame: the server schedules the replica's disk write; if the write would
  complete within ``D_chunk * max_disk_queue_chunks`` it acks at once (write-back),
  otherwise once the write completes; the ack travels ``T_ctl + trip``;
* the gateway starts replica k+1 as soon as the last frame of replica k has been sent
  (replicas overlap only in their ack phase), and the next chunk once all R acks are in
  and its egress bucket holds a control PDU.

Event-driven, not polled
------------------------
SURGE's goroutines polled every nanosecond ("can this frame go now?"). Here a flow asks its
buckets *when* the frame can go (``time_until``) and schedules one attempt then; an attempt
that finds a shared bucket (the server's ingress) drained by another sender simply asks
again. A rate change bumps the flow's generation, so attempts scheduled under the old rate
are dropped and a fresh one is made. The results follow the models' intent without the
scheduling slack of the Go runs (see ``docs/models/uch.md``).

Reference defects fixed here
----------------------------
* The last frame of a replica is charged to the egress and flow buckets too (SURGE did not).
* Target selection validates ``servers >= 2R`` up front (SURGE looped forever).
* Chunk ids come from the run's seed, not the wall clock; flows are visited in creation
  order, not Go's random map order; nothing waits on wall-clock time.
* ``rxbusy`` is the receive link's utilization: each frame counts its bits at line rate.
  SURGE counted a frame's bits at the flow's rate (model 5: the server's share; model 6:
  the sender's rate), which double-counts concurrent slow flows and exceeded 100 % (SURGE
  capped the printed value at 100).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from surge.config.params import ConfigError, param
from surge.network import Flow, Node, Role, TokenBucket, effective_bits_per_s
from surge.protocols.metrics import StorageMetrics, declare_disk_probes
from surge.sim.units import GBPS, KIB, MIB, US, S
from surge.stats import Kind, Metric, Scope, StatsCollector
from surge.stats.trace import VV, Trace, V
from surge.storage import ChunkSource, ConstLatencyDisk, admission_delay_ns
from surge.storage.chunk import Chunk

if TYPE_CHECKING:
    from surge.protocols.context import RunContextLike
    from surge.sim import Simulation

__all__ = [
    "BUCKET_BITS",
    "RecvFlow",
    "SendFlow",
    "UnicastCluster",
    "UnicastConfig",
    "UnicastGateway",
    "UnicastMetrics",
    "UnicastParams",
    "UnicastServer",
    "unicast_cluster",
]

#: SURGE's leaky-bucket capacity: one jumbo frame plus one 300-byte PDU, in bits. SURGE
#: kept 74,400 even where the control PDU is 100 B (quirk 4): kept as the default.
BUCKET_BITS = 9000 * 8 + 300 * 8
_BITS_PER_BYTE = 8
_DEFAULT_CHUNK_BYTES = 128 * KIB
_DEFAULT_FRAME_BYTES = 9000
_DEFAULT_PDU_BYTES = 100
_DEFAULT_DISK_MIB_PER_S = 400
_DEFAULT_DISK_QUEUE_BYTES = 256 * KIB
_DEFAULT_REPLICAS = 3
_MIN_DISK_QUEUE_CHUNKS = 2
_MAX_OVERHEAD_PCT = 99.0


@dataclass(frozen=True, slots=True)
class UnicastParams:
    """Parameters shared by the unicast consistent-hash models (5 and 6)."""

    replicas: int = param(_DEFAULT_REPLICAS, minimum=1,
                          help="replicas per chunk (R), each to a distinct server")
    chunk_bytes: int = param(_DEFAULT_CHUNK_BYTES, unit="B", minimum=1,
                             help="chunk size (SURGE -chunksize, KiB)")
    frame_bytes: int = param(_DEFAULT_FRAME_BYTES, unit="B", minimum=1,
                             help="L2 frame size (SURGE -l2frame)")
    link_bits_per_s: int = param(10 * GBPS, unit="bit/s", minimum=1,
                                 help="raw link rate (SURGE -linkbps)")
    overhead_pct: float = param(1.0, unit="%", minimum=0.0, maximum=_MAX_OVERHEAD_PCT,
                                help="L2 overhead taken off the link rate")
    control_pdu_bytes: int = param(_DEFAULT_PDU_BYTES, unit="B", minimum=1,
                                   help="control PDU size (models 5 and 6 use 100 B)")
    trip_ns: int = param(1 * US, unit="ns", minimum=0, help="one-way network latency")
    disk_mib_per_s: int = param(_DEFAULT_DISK_MIB_PER_S, unit="MiB/s", minimum=1,
                                help="disk write throughput (SURGE -diskthroughput)")
    disk_queue_bytes: int = param(_DEFAULT_DISK_QUEUE_BYTES, unit="B", minimum=1,
                                  help="disk queue (SURGE -diskqueue): max chunks = "
                                       "max(2, this / chunk)")
    bucket_bits: int = param(BUCKET_BITS, unit="bit", minimum=1,
                             help="capacity of every rate bucket (SURGE: 74,400 bits)")

    def check(self) -> None:
        """Reject combinations that cannot run.

        Raises:
            ValueError: a frame does not fit in a bucket.
        """
        if self.frame_bytes * _BITS_PER_BYTE > self.bucket_bits:
            raise ValueError(
                f"a frame of {self.frame_bytes} B ({self.frame_bytes * _BITS_PER_BYTE} bits) "
                f"must fit in a rate bucket of {self.bucket_bits} bits; raise bucket_bits or "
                "lower frame_bytes"
            )


@dataclass(frozen=True, slots=True)
class UnicastConfig:
    """Constants derived once from :class:`UnicastParams` (SURGE's ``Configure()``).

    Attributes:
        link_bps: effective link rate after overhead, bits/s (9.9 Gbit/s by default).
        t_ctl_ns: time of one control PDU on the link (80 ns for 100 B).
        ctl_bits: bits of one control PDU.
        chunk_disk_ns: disk time of one chunk, ``D_chunk`` (312,500 ns for 128 KiB at
            400 MiB/s).
        max_disk_queue_chunks: ``max(2, disk_queue_bytes // chunk_bytes)``.
        write_back_ns: a write completing sooner than this is acked at once.
    """

    replicas: int
    chunk_bytes: int
    frame_bytes: int
    link_bps: int
    ctl_bytes: int
    ctl_bits: int
    t_ctl_ns: int
    trip_ns: int
    disk_bytes_per_s: int
    chunk_disk_ns: int
    max_disk_queue_chunks: int
    write_back_ns: int
    bucket_bits: int

    @classmethod
    def from_params(cls, p: UnicastParams) -> UnicastConfig:
        """Derive the constants."""
        link_bps = effective_bits_per_s(p.link_bits_per_s, p.overhead_pct)
        disk_bps = p.disk_mib_per_s * MIB
        chunk_disk_ns = p.chunk_bytes * S // disk_bps
        max_q = max(_MIN_DISK_QUEUE_CHUNKS, p.disk_queue_bytes // p.chunk_bytes)
        ctl_bits = p.control_pdu_bytes * _BITS_PER_BYTE
        return cls(
            replicas=p.replicas,
            chunk_bytes=p.chunk_bytes,
            frame_bytes=p.frame_bytes,
            link_bps=link_bps,
            ctl_bytes=p.control_pdu_bytes,
            ctl_bits=ctl_bits,
            t_ctl_ns=ctl_bits * S // link_bps,
            trip_ns=p.trip_ns,
            disk_bytes_per_s=disk_bps,
            chunk_disk_ns=chunk_disk_ns,
            max_disk_queue_chunks=max_q,
            write_back_ns=chunk_disk_ns * max_q,
            bucket_bits=p.bucket_bits,
        )

    def tx_ns(self, size_bytes: int, bits_per_s: int) -> int:
        """Serialization time of ``size_bytes`` at ``bits_per_s``, ns (truncated)."""
        return size_bytes * _BITS_PER_BYTE * S // bits_per_s


class UnicastMetrics(StorageMetrics):
    """The common protocol statistics (SURGE's names) plus surge's standard metrics."""

    def __init__(self, stats: StatsCollector) -> None:
        super().__init__(stats)
        self.replica_latency = stats.distribution(Metric(
            "replica_latency", Kind.DISTRIBUTION, Scope.GATEWAY, "ns",
            "put request sent to replica ack received"))


class SendFlow(Flow):
    """The gateway's side of one replica transfer."""

    __slots__ = ("gen", "pending_rate", "rate_ready", "sent_all", "server", "started_ns")

    server: UnicastServer
    gen: int
    rate_ready: bool
    pending_rate: int | None
    sent_all: bool
    started_ns: int


class RecvFlow:
    """The server's side of one replica transfer."""

    __slots__ = ("bw", "gateway", "offset", "prev_offset", "send", "total")

    def __init__(self, gateway: UnicastGateway, send: SendFlow, total: int, bw: int) -> None:
        self.gateway = gateway
        self.send = send
        self.total = total
        self.offset = 0
        self.bw = bw
        self.prev_offset = 0


class UnicastCluster:
    """Everything the gateways and servers of one run share.

    Args:
        sim: the simulation.
        cfg: derived constants.
        stats: the run's collector (metrics are declared here).
        trace: the run's trace.
        n_gateways, n_servers: cluster size (``n_servers >= 2 * replicas``).
        gateway_index, server_index: global stats index of gateway/server ``id`` (1-based).
    """

    def __init__(
        self,
        sim: Simulation,
        cfg: UnicastConfig,
        stats: StatsCollector,
        trace: Trace,
        *,
        gateway_index: Callable[[int], int],
        server_index: Callable[[int], int],
    ) -> None:
        self.sim = sim
        self.cfg = cfg
        self.stats = stats
        self.trace = trace
        self.metrics = UnicastMetrics(stats)
        self.chunks = ChunkSource(sim, chunk_bytes=cfg.chunk_bytes, name="chunk-ids")
        self.gateways: list[UnicastGateway] = []
        self.servers: list[UnicastServer] = []
        self.gateway_index = gateway_index
        self.server_index = server_index

    def declare_busy_metrics(self) -> None:
        """rxbusy, diskbusy and disk-frame-bufs: probes over the servers."""
        declare_disk_probes(
            self.stats, self.servers, rx_busy=lambda s: s.rx_busy_until_now(),
            rxbusy_help="share of time the server's receive link is busy (data and control)",
            diskbusy_help="share of time the server's disk is writing")

    def start(self) -> None:
        """Start every gateway's first chunk at time 0."""
        for gw in self.gateways:
            self.sim.schedule(0, gw.try_new_chunk)


def unicast_cluster(ctx: RunContextLike, p: UnicastParams, *, model: str) -> UnicastCluster:
    """Check the server count and create a unicast model's cluster (nodes still to add).

    Args:
        ctx: the run (simulation, cluster size, stats, trace, node indexes).
        p: the model's parameters.
        model: the model's name, for the error message.

    Raises:
        ConfigError: fewer than ``2 * replicas`` servers (a chunk's targets differ from the
            previous chunk's).
    """
    if ctx.servers < 2 * p.replicas:
        raise ConfigError(
            f"{model} needs servers >= 2 x replicas (a chunk's targets differ from the "
            f"previous chunk's): {ctx.servers} servers < 2 x {p.replicas}"
        )
    return UnicastCluster(ctx.sim, UnicastConfig.from_params(p), ctx.stats, ctx.trace,
                          gateway_index=ctx.gateway_index, server_index=ctx.server_index)


class UnicastGateway(Node):
    """A gateway: one chunk at a time, replicas in sequence, frames when buckets allow.

    Subclasses set the rate policy through :meth:`new_flow_bucket`,
    :meth:`on_request_answered` and :meth:`after_frame`.
    """

    __slots__ = ("acks", "c", "chunk", "cluster", "egress", "index", "next_replica",
                 "prev_targets", "rng", "sim", "targets")

    def __init__(self, cluster: UnicastCluster, node_id: int) -> None:
        super().__init__(node_id, Role.GATEWAY)
        self.cluster = cluster
        self.sim = cluster.sim
        self.c = cluster.cfg
        self.index = cluster.gateway_index(node_id)
        self.rng: random.Random = cluster.sim.random.python(self.name)
        self.egress = TokenBucket(cluster.sim, self.c.bucket_bits, self.c.link_bps)
        self.chunk: Chunk | None = None
        self.targets: list[UnicastServer] = []
        self.prev_targets: list[UnicastServer] = []
        self.next_replica = 1
        self.acks = 0

    # --------------------------------------------------------------- rate policy hooks
    def new_flow_bucket(self) -> TokenBucket:
        """The rate bucket of a new replica flow."""
        raise NotImplementedError

    def on_request_answered(self, flow: SendFlow, rate: int) -> None:
        """The server answered the put request (rate-init, or request-ack)."""
        raise NotImplementedError

    def after_frame(self, flow: SendFlow) -> None:
        """Called after each frame is sent (AIMD reads its bucket's new rate here)."""

    # ------------------------------------------------------------------ chunk lifecycle
    def try_new_chunk(self, _: object = None) -> None:
        """Start a chunk if none is open and the egress bucket holds a control PDU."""
        if self.chunk is not None:
            return
        wait = self.egress.time_until(self.c.ctl_bits)
        if wait is None:  # pragma: no cover - the egress rate is never 0
            return
        if wait > 0:
            self.sim.schedule(wait, self.try_new_chunk)
            return
        self.chunk = self.cluster.chunks.new_chunk(self.id)
        self.targets = self.select_targets()
        self.next_replica = 1
        self.acks = 0
        self.start_replica()

    def select_targets(self) -> list[UnicastServer]:
        """R distinct servers at random, none of them a target of the previous chunk.

        The stand-in for consistent hashing; needs ``servers >= 2R`` (checked at build).
        """
        candidates = [s for s in self.cluster.servers if s not in self.prev_targets]
        return self.rng.sample(candidates, self.c.replicas)

    def start_replica(self) -> None:
        """Send the put request of the next replica to its target."""
        chunk = self.chunk
        assert chunk is not None
        k = self.next_replica
        self.next_replica += 1
        server = self.targets[k - 1]
        c = self.c
        bucket = self.new_flow_bucket()
        flow = SendFlow(self, server, chunk.size_bytes, chunk_id=chunk.id, replica=k,
                         bucket=bucket, tx_free_ns=self.sim.now + c.t_ctl_ns)
        flow.server = server
        flow.gen = 0
        flow.rate_ready = False
        flow.pending_rate = None
        flow.sent_all = False
        flow.started_ns = self.sim.now
        self.egress.use(c.ctl_bits)
        bucket.use(c.ctl_bits)
        self.cluster.metrics.txbytes.values[self.index] += c.ctl_bytes
        self.sim.schedule(c.t_ctl_ns + c.trip_ns, server.on_put_request, (self, flow))

    # -------------------------------------------------------------------- data frames
    def kick(self, flow: SendFlow) -> None:
        """Reconsider the flow now (its rate changed): drop older scheduled attempts."""
        flow.gen += 1
        self.try_send((flow, flow.gen))

    def try_send(self, item: tuple[SendFlow, int]) -> None:
        """Send the flow's next frame if every bucket allows, else retry when they will."""
        flow, gen = item
        if gen != flow.gen or flow.sent_all or flow.bits_per_s == 0:
            return
        size = min(self.c.frame_bytes, flow.total_bytes - flow.offset_bytes)
        bits = size * _BITS_PER_BYTE
        bucket = flow.bucket
        assert bucket is not None
        waits = (
            flow.tx_free_ns - self.sim.now,
            self.egress.time_until(bits),
            bucket.time_until(bits),
            flow.server.ingress.time_until(bits),
        )
        if None in waits:
            return  # a rate of 0: the next rate change kicks the flow
        wait = max(w for w in waits if w is not None)
        if wait > 0:
            self.sim.schedule(wait, self.try_send, item)
            return
        self.egress.use(bits)
        bucket.use(bits)
        flow.server.ingress.use(bits)
        self.send_frame(flow, size)

    def send_frame(self, flow: SendFlow, size: int) -> None:
        """Put one frame on the wire at the flow's current rate."""
        now = self.sim.now
        bw = flow.bits_per_s
        tx = self.c.tx_ns(size, bw)
        flow.offset_bytes += size
        flow.tx_free_ns = now + tx
        arrival = now + tx + self.c.trip_ns
        self.cluster.metrics.txbytes.values[self.index] += size
        server = flow.server
        server.frame_sent(arrival, flow, size, bw)
        self.sim.schedule(tx + self.c.trip_ns, server.on_frame,
                          (flow, flow.offset_bytes, size, bw, arrival))
        if flow.offset_bytes >= flow.total_bytes:
            flow.sent_all = True
            flow.bits_per_s = 0
            if self.next_replica <= self.c.replicas:
                self.start_replica()
            return
        self.after_frame(flow)
        self.try_send((flow, flow.gen))

    def set_rate(self, flow: SendFlow, rate: int) -> None:
        """Set the flow's rate and its bucket's refill rate, then reconsider it."""
        flow.bits_per_s = rate
        assert flow.bucket is not None
        flow.bucket.set_rate(rate)
        self.kick(flow)

    # --------------------------------------------------------------------------- acks
    def on_replica_ack(self, flow: SendFlow) -> None:
        """A replica ack: count it; with R acks the chunk is done, start the next."""
        m = self.cluster.metrics
        i = self.index
        m.event.values[i] += 1
        m.rxbytes.values[i] += self.c.ctl_bytes
        m.replica.values[i] += 1
        now = self.sim.now
        m.replica_latency.record(now - flow.started_ns, i)
        self.acks += 1
        if self.acks < self.c.replicas:
            return
        chunk = self.chunk
        assert chunk is not None
        latency = now - chunk.created_ns
        m.chunk.values[i] += 1
        m.throughput.values[i] += chunk.size_bytes
        m.chunk_latency.record(latency, i)
        trace = self.cluster.trace
        if trace.level >= 0:
            trace.log(0, "chunk-done", f"c#{chunk.sid}", "latency", latency,
                      f"{latency / US:.3f}us", self.name)
        self.prev_targets = self.targets
        self.chunk = None
        self.try_new_chunk()


class UnicastServer(Node):
    """A server: ingress bucket, flow table, disk, and the receive path.

    Subclasses answer put requests (:meth:`answer_request`) and may react to frames and
    to changes in the number of flows.
    """

    __slots__ = ("c", "cluster", "disk", "flows", "in_flight", "index", "ingress",
                 "rx_busy_ns", "sim")

    def __init__(self, cluster: UnicastCluster, node_id: int) -> None:
        super().__init__(node_id, Role.SERVER)
        self.cluster = cluster
        self.sim = cluster.sim
        self.c = cluster.cfg
        self.index = cluster.server_index(node_id)
        self.ingress = TokenBucket(cluster.sim, self.c.bucket_bits, self.c.link_bps)
        self.disk = ConstLatencyDisk(cluster.sim, self.c.disk_bytes_per_s,
                                     chunk_bytes=self.c.chunk_bytes,
                                     frame_bytes=self.c.frame_bytes, name=f"disk-{self.name}")
        self.flows: dict[SendFlow, RecvFlow] = {}
        # frames on their way here: (arrival ns, flow, size bytes, sender's bits/s)
        self.in_flight: list[tuple[int, SendFlow, int, int]] = []
        self.rx_busy_ns = 0  # receive time of every frame and PDU that has fully arrived

    # ------------------------------------------------------------------------- hooks
    def answer_request(self, gateway: UnicastGateway, flow: RecvFlow, delay_ns: int) -> None:
        """Answer a put request (after the admission delay)."""
        raise NotImplementedError

    def flows_changed(self) -> None:
        """The number of flows changed (CCPi re-rates on it)."""

    def on_flow_frame(self, flow: RecvFlow, sender_bw: int) -> None:
        """A frame arrived on ``flow`` (AIMD records the sender's rate)."""

    # -------------------------------------------------------------------- receive path
    def control_received(self) -> None:
        """Account one received control PDU (events, bytes, busy time)."""
        m = self.cluster.metrics
        m.event.values[self.index] += 1
        m.rxbytes.values[self.index] += self.c.ctl_bytes
        self.rx_busy_ns += self.c.t_ctl_ns

    def send_control(self, delay_ns: int, handler: Callable[[Any], object], arg: Any) -> None:
        """Send one control PDU to a gateway, delivered ``T_ctl + trip + delay_ns`` later."""
        self.cluster.metrics.txbytes.values[self.index] += self.c.ctl_bytes
        self.sim.schedule(self.c.t_ctl_ns + self.c.trip_ns + delay_ns, handler, arg)

    def on_put_request(self, msg: tuple[UnicastGateway, SendFlow]) -> None:
        """A put request: admit the flow (after the disk back-pressure delay)."""
        gateway, send = msg
        self.control_received()
        c = self.c
        delay = admission_delay_ns(self.disk.last_io_done_ns, self.sim.now, c.chunk_disk_ns,
                                   c.max_disk_queue_chunks)
        flow = RecvFlow(gateway, send, send.total_bytes, 0)
        self.flows[send] = flow
        trace = self.cluster.trace
        if trace.level >= V:
            tag = "srv-new-delayed-flow" if delay else "srv-new-flow"
            trace.log(V, tag, self.name, gateway.name, f"c#{send.short_id}", send.replica,
                      delay)
        self.answer_request(gateway, flow, delay)
        self.flows_changed()

    def frame_sent(self, arrival_ns: int, send: SendFlow, size: int, sender_bw: int) -> None:
        """A gateway put a frame for this server on the wire (it is now in flight)."""
        self.in_flight.append((arrival_ns, send, size, sender_bw))

    def rx_busy_until_now(self) -> int:
        """Receive-busy ns up to now: link utilization expressed as time.

        A frame of ``b`` bits counts ``b / linkbps`` ns of busy time: the time it occupies
        the link at line rate, so n flows at 1/n of the rate add up to one busy link, and
        several slow AIMD flows add up to their share of it, never to more than 100 %.
        A frame still arriving (its bits arrive over the ``8 * size / sender rate`` ns before
        its arrival) counts the part already received, so busy time falls into the stats
        interval where it happened.
        """
        now = self.sim.now
        busy = self.rx_busy_ns
        link_bps = self.c.link_bps
        for arrival, _, size, sender_bw in self.in_flight:
            span = size * _BITS_PER_BYTE * S // sender_bw
            received = now - (arrival - span)
            if received > 0 and span > 0:
                busy += size * _BITS_PER_BYTE * S * min(received, span) // (span * link_bps)
        return busy

    def on_frame(self, msg: tuple[SendFlow, int, int, int, int]) -> None:
        """A data frame arrived: account it; on the last one write and ack the replica."""
        send, offset, size, sender_bw, arrival = msg
        self.in_flight.remove((arrival, send, size, sender_bw))
        flow = self.flows[send]
        m = self.cluster.metrics
        i = self.index
        m.event.values[i] += 1
        m.rxbytes.values[i] += size
        self.on_flow_frame(flow, sender_bw)
        self.rx_busy_ns += size * _BITS_PER_BYTE * S // self.c.link_bps
        if offset != flow.offset + size:
            raise RuntimeError(
                f"{self.name}: frame out of order on {send!r}: offset {offset}, expected "
                f"{flow.offset + size}"
            )
        flow.offset = offset
        if offset < flow.total:
            return
        atdisk = self.disk.schedule_write(flow.total)
        acked_at_once = atdisk < self.c.write_back_ns
        if acked_at_once:
            atdisk = 0
        gateway = flow.gateway
        self.send_control(atdisk, gateway.on_replica_ack, send)
        del self.flows[send]
        trace = self.cluster.trace
        if trace.level >= VV:
            trace.log(VV, "rep-received" if acked_at_once else "rep-received-ack-delayed",
                      self.name, gateway.name, send.replica, atdisk)
        self.flows_changed()
