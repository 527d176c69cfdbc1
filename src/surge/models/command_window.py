"""Model b, ``command-window``: one initiator writes to one target with ``w`` outstanding writes.

What it models and why
----------------------
The simplest storage data path: gateway *i* writes 128 KiB chunks to server *i* and keeps
``window`` writes outstanding, the command window (a protocol's queue depth). The server's
disk is a :class:`~surge.storage.VarLatencyDisk`: FIFO at 400 MiB/s, and every write that
finds a deep queue completes later by SURGE's step table (depth in chunks after the write
is queued: < 4: +0, < 8: +1, < 12: +2, < 16: +3, < 20: +4, else +8 chunk times). Acks are
write-through: a write is acknowledged once it is on disk. The author built it as a
system for a learning optimizer to learn (SURGE's commit 7d0601d, "new model to test ML"):
latency and throughput against queue depth. Sweep the window to get the curves:
``surge run b --sweep window=1..32:x2``.

Pipeline (gateway I, its server T, write k of I)
------------------------------------------------
1. When one of I's ``window`` slots is free and its transmitter is idle, I sends a write
   request (one control PDU, ``T_ctl`` on the link, arrives ``T_ctl + trip`` later; T only
   notes it). A free slot has priority over data: requests go first.
2. Otherwise I sends one frame of an outstanding write: ``min(frame, remaining)`` bytes at
   line rate, ``floor(8 * size * 10**9 / linkbps)`` ns on the link, arriving one ``trip``
   after that. Frames of different writes share the one link, one frame at a time, in the
   order set by ``interleave``: ``round-robin`` (each outstanding write in turn, the
   default), ``oldest-first`` (the oldest write's frames first) or ``random`` (seeded).
   Requests and frames both draw their bits from I's egress bucket (74,400 bits at line
   rate); the transmitter waits, event-driven, until the bucket holds them.
3. On the last frame T schedules the write on its disk and acks at
   ``T_ctl + trip + atdisk``, ``atdisk`` being the write's queueing, service and extra
   latency.
4. On the ack I frees the slot and records the write latency: ack time minus the time its
   request was sent.

So one write alone (``window=1``) takes exactly ``T_ctl + frames + trip + D_chunk + T_ctl +
trip``: 242 + 14 x 7,272 + 4,098 + 1,000 + 312,500 + 242 + 1,000 = **420,890 ns** with the
defaults (9.9 Gbit/s after 1 % overhead, 300 B control PDUs, 1 us trip, 14 frames of
9000 B and one of 5072 B, 400 MiB/s).

What to read in the results
---------------------------
``chunk`` (writes completed, with writes/s), ``throughput`` (acknowledged bytes per
second, B/s), ``chunk_latency`` (the write latency distribution, ns), ``diskbusy`` (%),
``qdepth`` (disk queue in chunks, sampled every interval) and SURGE's ``disk-frame-bufs``
(the same in frame buffers), ``disk_extra_latency`` (the step-table latency each write
got, ns), ``rxbusy``, ``txbytes``/``rxbytes``, ``replica`` and ``event``; the trace's
``chunk-done ... latency`` lines. Servers beyond the number of gateways stay idle.

Reference defects fixed
-----------------------
* Gateway *i* needs server *i*: ``servers >= gateways`` is checked when the model is
  built, with a one-line error (SURGE required it without checking, quirk 18).
* Frame order: SURGE took "the first un-acked slot" in Go's random map order; with two
  slots Go's map iteration favours one of them about 7 times in 8, so its writes were
  neither interleaved nor in order. Here the order is a parameter and reproducible.
* Free slots are taken lowest first, ids come from the run's seed, and nothing polls: the
  transmitter is scheduled at the instant its link and bucket allow the next message.
* ``rxbusy`` counts each frame's bits at line rate as they arrive (no interval can exceed
  100 %); ``diskbusy`` is the time the disk has actually spent writing up to now.
* SURGE's ``-disklatencysim`` flag was parsed and never used; surge has no such parameter:
  the variable-latency disk is the model.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from surge.config.params import ConfigError, param
from surge.models.registry import Model, register_model
from surge.network import Node, Role, TokenBucket, effective_bits_per_s
from surge.protocols.metrics import StorageMetrics, declare_disk_probes
from surge.protocols.windowed import Write, WriteWindow
from surge.sim.units import GBPS, KIB, US, S
from surge.stats import Kind, Metric, Scope, StatsCollector
from surge.stats.trace import VV, VVV, Trace
from surge.storage import ChunkSource, VarLatencyDisk

__all__ = ["CommandWindow", "CommandWindowParams"]

_BITS_PER_BYTE = 8
#: SURGE's leaky-bucket capacity: one jumbo frame plus one 300-byte control PDU, bits.
_BUCKET_BITS = 9000 * 8 + 300 * 8
_DEFAULT_WINDOW = 2
_DEFAULT_CHUNK_BYTES = 128 * KIB
_DEFAULT_FRAME_BYTES = 9000
_DEFAULT_PDU_BYTES = 300
_DEFAULT_DISK_MIB_PER_S = 400
_MAX_OVERHEAD_PCT = 99.0
ROUND_ROBIN = "round-robin"
OLDEST_FIRST = "oldest-first"
RANDOM = "random"


@dataclass(frozen=True, slots=True)
class CommandWindowParams:
    """Parameters of the command-window model (SURGE model b)."""

    window: int = param(_DEFAULT_WINDOW, minimum=1,
                        help="outstanding writes per gateway, the command window (SURGE "
                             "-cmdwindowsz)")
    chunk_bytes: int = param(_DEFAULT_CHUNK_BYTES, unit="B", minimum=1,
                             help="size of one write (SURGE -chunksize)")
    frame_bytes: int = param(_DEFAULT_FRAME_BYTES, unit="B", minimum=1,
                             help="L2 frame size (SURGE -l2frame)")
    link_bits_per_s: int = param(10 * GBPS, unit="bit/s", minimum=1,
                                 help="raw link rate (SURGE -linkbps)")
    overhead_pct: float = param(1.0, unit="%", minimum=0.0, maximum=_MAX_OVERHEAD_PCT,
                                help="L2 overhead taken off the link rate")
    control_pdu_bytes: int = param(_DEFAULT_PDU_BYTES, unit="B", minimum=1,
                                   help="size of a write request and of an ack")
    trip_ns: int = param(1 * US, unit="ns", minimum=0, help="one-way network latency")
    disk_mib_per_s: int = param(_DEFAULT_DISK_MIB_PER_S, unit="MiB/s", minimum=1,
                                help="disk write throughput (SURGE -diskthroughput)")
    bucket_bits: int = param(_BUCKET_BITS, unit="bit", minimum=1,
                             help="capacity of the gateway's egress bucket (SURGE: 74,400 "
                                  "bits)")
    interleave: str = param(ROUND_ROBIN, choices=(ROUND_ROBIN, OLDEST_FIRST, RANDOM),
                            help="which outstanding write sends the next frame")
    writes: int = param(0, minimum=0,
                        help="writes each gateway issues in all (0: no limit)")

    def check(self) -> None:
        """Reject combinations that cannot run.

        Raises:
            ValueError: a frame or a control PDU does not fit in the egress bucket.
        """
        for name, size in (("frame_bytes", self.frame_bytes),
                           ("control_pdu_bytes", self.control_pdu_bytes)):
            if size * _BITS_PER_BYTE > self.bucket_bits:
                raise ValueError(
                    f"{name} = {size} B ({size * _BITS_PER_BYTE} bits) must fit in the egress "
                    f"bucket of {self.bucket_bits} bits; raise bucket_bits or lower {name}"
                )


@dataclass(frozen=True, slots=True)
class _Config:
    """Constants derived once from the parameters."""

    link_bps: int
    ctl_bytes: int
    ctl_bits: int
    t_ctl_ns: int
    trip_ns: int
    chunk_bytes: int
    frame_bytes: int

    def tx_ns(self, size_bytes: int) -> int:
        """Time ``size_bytes`` occupy the link at line rate, ns (truncated)."""
        return size_bytes * _BITS_PER_BYTE * S // self.link_bps


class _Metrics(StorageMetrics):
    """SURGE's common protocol statistics, the standard metrics, and the disk's."""

    def __init__(self, stats: StatsCollector) -> None:
        super().__init__(
            stats, chunk_unit="write",
            chunk_help="writes acknowledged (128 KiB each by default)",
            replica_help="replica acks received (one per write)",
            throughput_help="acknowledged write data per simulated second",
            latency_help="write latency: request sent to ack received")
        self.extra = stats.distribution(Metric(
            "disk_extra_latency", Kind.DISTRIBUTION, Scope.SERVER, "ns",
            "queue-depth extra latency of each write (the variable-latency disk's step "
            "table)"))


class _Server(Node):
    """A target: receives frames, writes each complete write to its disk, acks when done."""

    __slots__ = ("c", "disk", "in_flight", "index", "m", "rx_busy_ns", "sim", "trace")

    def __init__(self, model: CommandWindow, node_id: int) -> None:
        super().__init__(node_id, Role.SERVER)
        self.sim = model.sim
        self.c = model.cfg
        self.m = model.metrics
        self.trace = model.ctx.trace
        self.index = model.ctx.server_index(node_id)
        p = model.params
        self.disk = VarLatencyDisk(model.sim, mib_per_s=p.disk_mib_per_s,
                                   chunk_bytes=p.chunk_bytes, frame_bytes=p.frame_bytes,
                                   name=f"disk-{self.name}")
        self.rx_busy_ns = 0
        # frames on the wire to this server, in arrival order: (arrival ns, span ns)
        self.in_flight: deque[tuple[int, int]] = deque()

    def rx_busy_until_now(self) -> int:
        """Receive-busy ns up to now, counting the part of in-flight frames already in."""
        now = self.sim.now
        busy = self.rx_busy_ns
        for arrival, span in self.in_flight:
            received = now - (arrival - span)
            if received > 0:
                busy += min(received, span)
        return busy

    def _control_received(self) -> None:
        self.m.event.values[self.index] += 1
        self.m.rxbytes.values[self.index] += self.c.ctl_bytes
        self.rx_busy_ns += self.c.t_ctl_ns

    def on_request(self, write: Write) -> None:
        """A write request: SURGE's WRITE-BEGIN stage only notes it."""
        self._control_received()
        if self.trace.level >= VVV:
            self.trace.log(VVV, "write-begin", self.name, f"c#{write.chunk.sid}", write.slot)

    def on_frame(self, msg: tuple[_Gateway, Write, int, int]) -> None:
        """A frame arrived; the last one of a write schedules it on disk and the ack."""
        gateway, write, offset, size = msg
        self.in_flight.popleft()
        m, i, c = self.m, self.index, self.c
        m.event.values[i] += 1
        m.rxbytes.values[i] += size
        self.rx_busy_ns += c.tx_ns(size)
        total = write.chunk.size_bytes
        if offset < total:
            return
        disk = self.disk
        extra_before = disk.extra_latency_ns
        atdisk = disk.schedule_write(total)
        m.extra.record(disk.extra_latency_ns - extra_before, i)
        m.txbytes.values[i] += c.ctl_bytes
        self.sim.schedule(c.t_ctl_ns + c.trip_ns + atdisk, gateway.on_ack, write)
        if self.trace.level >= VV:
            self.trace.log(VV, "write-received", self.name, gateway.name,
                           f"c#{write.chunk.sid}", atdisk)


class _Gateway(Node):
    """An initiator: ``window`` write slots, one link to its server, one frame at a time."""

    __slots__ = ("active", "c", "chunks", "egress", "gen", "index", "limit", "m", "pick",
                 "rng", "rr", "server", "sim", "trace", "tx_free_ns", "window")

    def __init__(self, model: CommandWindow, node_id: int, server: _Server) -> None:
        super().__init__(node_id, Role.GATEWAY)
        p = model.params
        self.sim = model.sim
        self.c = model.cfg
        self.m = model.metrics
        self.trace: Trace = model.ctx.trace
        self.chunks = model.chunks
        self.index = model.ctx.gateway_index(node_id)
        self.server = server
        self.window = WriteWindow(p.window, name=f"{self.name}->{server.name}")
        self.egress = TokenBucket(model.sim, p.bucket_bits, self.c.link_bps)
        self.limit = p.writes
        self.rng: random.Random = model.sim.random.python(self.name)
        self.active: list[Write] = []  # writes with bytes still to send, in issue order
        self.rr = 0  # round-robin position in `active`
        self.tx_free_ns = 0
        self.gen = 0
        picks: dict[str, Callable[[], int]] = {
            ROUND_ROBIN: self._pick_round_robin,
            OLDEST_FIRST: self._pick_oldest,
            RANDOM: self._pick_random,
        }
        self.pick = picks[p.interleave]

    # ------------------------------------------------------------- frame order policies
    def _pick_round_robin(self) -> int:
        if self.rr >= len(self.active):
            self.rr = 0
        return self.rr

    def _pick_oldest(self) -> int:
        return 0

    def _pick_random(self) -> int:
        return self.rng.randrange(len(self.active))

    # ------------------------------------------------------------------- transmitter
    def kick(self, _: object = None) -> None:
        """Reconsider the transmitter now; attempts scheduled before are dropped."""
        self.gen += 1
        self.pump(self.gen)

    def pump(self, gen: int) -> None:
        """Send the next request or frame if the link and the bucket allow, else wait."""
        if gen != self.gen:
            return
        sim, c = self.sim, self.c
        now = sim.now
        if now < self.tx_free_ns:
            sim.schedule(self.tx_free_ns - now, self.pump, gen)
            return
        window = self.window
        request = window.has_free_slot and (self.limit == 0 or window.issued < self.limit)
        if request:
            size = c.ctl_bytes
            pos = -1
        elif self.active:
            pos = self.pick()
            size = min(c.frame_bytes, self.active[pos].remaining_bytes)
        else:
            return  # idle: the next ack kicks the transmitter
        bits = size * _BITS_PER_BYTE
        wait = self.egress.time_until(bits)
        if wait is None:  # pragma: no cover - check() makes every message fit the bucket
            raise RuntimeError(f"{self.name}: {bits} bits never fit the egress bucket")
        if wait > 0:
            sim.schedule(wait, self.pump, gen)
            return
        self.egress.use(bits)
        tx = c.t_ctl_ns if request else c.tx_ns(size)
        self.tx_free_ns = now + tx
        self.m.txbytes.values[self.index] += size
        if request:
            write = window.issue(self.chunks.new_chunk(self.id))
            self.active.append(write)
            sim.schedule(c.t_ctl_ns + c.trip_ns, self.server.on_request, write)
        else:
            write = self.active[pos]
            write.sent_bytes += size
            arrival_in = tx + c.trip_ns
            self.server.in_flight.append((now + arrival_in, tx))
            sim.schedule(arrival_in, self.server.on_frame, (self, write, write.sent_bytes, size))
            if write.sent_bytes >= write.chunk.size_bytes:
                del self.active[pos]
                if pos < self.rr:
                    self.rr -= 1
            elif pos == self.rr:
                self.rr += 1
        sim.schedule(tx, self.pump, gen)

    # --------------------------------------------------------------------------- acks
    def on_ack(self, write: Write) -> None:
        """The write is on disk: free its slot, record its latency, send more."""
        m, i = self.m, self.index
        m.event.values[i] += 1
        m.rxbytes.values[i] += self.c.ctl_bytes
        self.window.ack(write)
        chunk = write.chunk
        latency = self.sim.now - chunk.created_ns
        m.chunk.values[i] += 1
        m.replica.values[i] += 1
        m.throughput.values[i] += chunk.size_bytes
        m.chunk_latency.record(latency, i)
        if self.trace.level >= 0:
            self.trace.log(0, "chunk-done", f"c#{chunk.sid}", "latency", latency,
                           f"{latency / US:.3f}us", self.name)
        self.kick()


@register_model(
    "command-window",
    alias="b",
    description="I => T writing at different burst (window) sizes",
    params=CommandWindowParams,
)
class CommandWindow(Model[CommandWindowParams]):
    """SURGE model b on the surge engine (see the module docstring)."""

    cfg: _Config
    metrics: _Metrics
    chunks: ChunkSource

    def build(self) -> None:
        """Pair gateway i with server i, declare metrics, start every gateway at time 0.

        Raises:
            ConfigError: fewer servers than gateways.
        """
        ctx, p = self.ctx, self.params
        if ctx.servers < ctx.gateways:
            raise ConfigError(
                f"command-window pairs gateway i with server i, so it needs servers >= "
                f"gateways: got {ctx.gateways} gateways and {ctx.servers} servers"
            )
        link_bps = effective_bits_per_s(p.link_bits_per_s, p.overhead_pct)
        ctl_bits = p.control_pdu_bytes * _BITS_PER_BYTE
        self.cfg = _Config(link_bps=link_bps, ctl_bytes=p.control_pdu_bytes,
                           ctl_bits=ctl_bits, t_ctl_ns=ctl_bits * S // link_bps,
                           trip_ns=p.trip_ns, chunk_bytes=p.chunk_bytes,
                           frame_bytes=p.frame_bytes)
        self.metrics = _Metrics(ctx.stats)
        self.chunks = ChunkSource(self.sim, chunk_bytes=p.chunk_bytes, name="chunk-ids")
        self.servers = [_Server(self, i) for i in range(1, ctx.servers + 1)]
        self.gateways = [_Gateway(self, i, self.servers[i - 1])
                         for i in range(1, ctx.gateways + 1)]
        self._declare_probes(ctx.stats)
        for gw in self.gateways:
            self.sim.schedule(0, gw.kick)

    def _declare_probes(self, stats: StatsCollector) -> None:
        declare_disk_probes(
            stats, self.servers, rx_busy=lambda s: s.rx_busy_until_now(),
            rxbusy_help="share of time the server's receive link is busy",
            diskbusy_help="share of time the server's disk is writing", qdepth=True)
