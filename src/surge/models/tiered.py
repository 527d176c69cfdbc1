"""Model c, ``tiered``: an SSD tier of limited capacity, migrating to HDDs under watermarks.

What it models and why
----------------------
A hybrid storage target. One initiator writes whole chunks (1 MiB) to one fast SSD target
of limited capacity and, directly, to HDD targets. When the SSD fills it migrates chunks
to the HDDs in the background and throttles its own intake with low, high and hysteresis
watermarks, trading intake against migration in fixed time shares. SURGE's model c
("Storage server with SSD and HDD tiers, limited SSD capacity, and SSD to HDD
auto-migration (watermarked)"). Server ``T#01`` is the SSD, every other server an HDD;
there is exactly one initiator (``--gateways 1``).

Pipeline
--------
* **Initiator.** Per target, ``ssd_window`` (32) or ``hdd_window`` (8) reusable write
  slots. A target's stream sends a write when a slot is free and its previous write has
  left: a request at ``T_ctl + trip`` and the whole chunk, arriving ``T_ctl + trip +
  T_chunk + trip`` after the request was sent; the next write of that stream may follow
  ``T_ctl + T_chunk`` later. The ack frees the slot; the write latency is ack time minus
  request time (``write-done-ssd`` / ``write-done-hdd``).
* **HDD, direct write.** Written at once on its variable-latency 180 MiB/s disk (FIFO plus
  SURGE's queue-depth step table) and acked at ``T_ctl + trip + atdisk`` (write-through).
* **HDD, migrated chunk.** Written as ``chunk / migration_write_divisor`` bytes (SURGE:
  16) on the same disk; the migration ack goes back to the SSD ``atdisk`` later (no
  network term, as in SURGE).
* **SSD.** Works in *cycles* of ``cycle_chunks`` (10) chunks: with the receive percentage
  RP, a cycle takes ``to_receive = round(10 RP / 100)`` writes and makes ``to_migrate = 10 -
  to_receive`` migrations. A write arriving when the cycle's receive quota is spent waits
  in the SSD's write queue (no ack); while the quota lasts, queued writes go first (FIFO).
  A queued write is also taken when the queue holds a whole initiator window and the SSD
  is not in hysteresis (SURGE's "out of write credits" rule). A write takes
  ``used += chunk`` and is acked once on disk (1400 MiB/s, variable latency). A migration
  goes to the next HDD (round robin) whose migration flow is free (one chunk per
  ``T_chunk``), while fewer than ``migration_window`` (32) migrations are unacked; it does
  ``used -= chunk`` at once (it does not read the SSD's disk, as in SURGE).
* **Watermarks.** At the end of a cycle, with ``x = floor(100 used / capacity)``: full (no
  room for a chunk) or ``x >= high``: RP = 0 and hysteresis on (``warn:hysteresis``);
  ``x <= low``: RP = 100, hysteresis off; in hysteresis: RP = 0; ``x < hysteresis mark``:
  RP kept (sticky: 100 on the way up); else (between the hysteresis and high marks)
  ``RP = 100 - (x - low) * 100 // (high - low)``, plus ``receive_bias_pct`` (10) if that is
  below ``receive_bias_below_pct`` (60). Filling from empty: RP 100 up to 55 %, 60 at 55 %
  falling to 14 at 69 %, 0 from 70 % until usage is back at 40 %, then 100.
  ``hysteresis_until_low=false`` keeps SURGE's code instead, which ends hysteresis as soon
  as usage is below the hysteresis mark (RP stays 0 there, but the out-of-credit rule
  takes writes again, and from 55 % RP is linear again).

Timing
------
``T_ctl`` and ``T_chunk`` are the serialization times of a control PDU and of a chunk on
the model's 100 Gbit/s link: 8 ns and 83,886 ns for 100 B and 1 MiB. One SSD write alone
takes 8 + 10 + 83,886 + 10 + 714,285 + 8 + 10 = **798,217 ns**, one HDD write 5,639,487 ns.
With ``go_timing`` the durations are SURGE's stale ones (see below): 242 ns and 847,334 ns,
giving the reference run's 1,562,133 ns (SSD) and 6,403,403 ns (HDD).

Event-driven: an SSD cycle is a state machine advanced by arrivals, acks and the instants
when a migration flow frees up, never polled; all SSD work at one instant happens in that
instant (SURGE did one step per 1 ns tick).

What to read in the results
---------------------------
``chunk`` and ``throughput`` (acknowledged writes over time), ``ssd_write_latency`` and
``hdd_write_latency`` (and ``chunk_latency``, all writes), the tier series ``ssd_used``
(%), ``ssd_receive`` (RP, %), ``ssd_wqueue``, ``ssd_qdepth`` and ``hdd_qdepth`` (mean over
HDDs), sampled every stats interval and reported under the initiator (they are properties
of the tier, and there is one initiator), ``qdepth`` per server (SURGE's name),
``migrations``, ``rxbusy``, ``diskbusy``, ``txbytes``/``rxbytes``; in the trace, one
``ssd-run-cycle`` line per cycle (RP, quotas, counts, used, queue), the trajectory that
shows throttling and hysteresis.

Reference defects fixed
-----------------------
* **Stale durations** (SURGE quirk 14). SURGE derived ``T_ctl`` and ``T_chunk`` from its
  defaults (9.9 Gbit/s, 300 B, the command-line chunk size) *before* model c configured
  100 Gbit/s, 100 B and 1 MiB, and never recomputed them. Here they follow the model's
  own parameters; ``go_timing=true`` keeps SURGE's numbers (``go_timing_chunk_bytes`` is
  SURGE's ``-chunksize``: 0 means ``chunk_bytes``, as in the reference run with
  ``-chunksize 1024``; 131072 reproduces a run with SURGE's default ``-chunksize``).
* **Migration write factor** (quirk 15). SURGE writes ``chunk >> 4`` (1/16) of a migrated
  chunk while its comment says "4x faster": an explicit parameter,
  ``migration_write_divisor``, default 16 for fidelity.
* **Usage above 100 %** (quirk 16). SURGE asserted (crashed) when usage passed 100 %. Here
  a write is taken only if the chunk fits, a full SSD counts as above the high mark, a
  cycle whose receive quota cannot be met because the SSD is full (or whose migration quota
  cannot be met because it is empty) ends, and a migration needs a chunk to migrate: usage
  stays within [0, 100 %] by construction. The sticky RP between the low and hysteresis
  marks is kept (it is the hysteresis); hysteresis is also cleared at the low mark, which
  SURGE only did between the low and hysteresis marks (the same unless one cycle jumps over
  that band).
* **Hysteresis that ends at the low mark.** SURGE's ``recomputeRP`` clears the hysteresis
  flag below the hysteresis mark (55 %), so once a full initiator window waits in the write
  queue the out-of-credit rule refills the SSD from there and intake restarts long before
  the low mark: the behaviour its author described ("intake stays at 0 until usage falls
  to 40 %") does not happen. Here hysteresis lasts until the low mark
  (``hysteresis_until_low``, default true; false keeps SURGE's code).
* **One initiator** (SURGE asserted it in ``PostBuild``): a one-line error for more.
* **Lost messages.** SURGE sent migrations and migration acks without blocking and dropped
  them when a channel was full (``warn:hdd-migrate-ack``), leaking migration credits; here
  nothing is dropped. Slots are taken lowest first and targets served in id order, not in
  Go's random map order.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from surge.config.params import ConfigError, param
from surge.models.registry import Model, register_model
from surge.network import Node, Role, effective_bits_per_s
from surge.protocols.metrics import declare_disk_probes
from surge.protocols.windowed import Write, WriteWindow
from surge.sim.units import GBPS, KIB, MIB, US, S
from surge.stats import Kind, Metric, Scope, StatsCollector
from surge.stats.trace import VV, VVV, Trace, V
from surge.storage import ChunkSource, QueueUnit, VarLatencyDisk

__all__ = ["Tiered", "TieredParams"]

_BITS_PER_BYTE = 8
_PERCENT = 100
_HALF_PERCENT = 50
_DEFAULT_CHUNK_BYTES = 1 * MIB
_DEFAULT_PDU_BYTES = 100
_DEFAULT_TRIP_NS = 10
_DEFAULT_SSD_WINDOW = 32
_DEFAULT_SSD_MIB_PER_S = 1400
#: SURGE's "100 MB" SSD, which it counted as 100,000 KiB.
_DEFAULT_SSD_CAPACITY_BYTES = 100_000 * KIB
_DEFAULT_LOW_PCT = 40
_DEFAULT_HIGH_PCT = 70
_DEFAULT_BIAS_PCT = 10
_DEFAULT_BIAS_BELOW_PCT = 60
_DEFAULT_CYCLE_CHUNKS = 10
_DEFAULT_HDD_WINDOW = 8
_DEFAULT_HDD_MIB_PER_S = 180
_DEFAULT_MIGRATION_WINDOW = 32
_DEFAULT_MIGRATION_DIVISOR = 16
#: What SURGE derived its stale durations from: 10 Gbit/s less 1 %, 300 B control PDUs.
_GO_LINK_BITS_PER_S = 10 * GBPS
_GO_OVERHEAD_PCT = 1
_GO_CONTROL_PDU_BYTES = 300
#: Size of SURGE's anonymous event (the migration ack) on 64-bit Go, bytes.
_MIGRATION_ACK_BYTES = 144
#: Cycles one call may end back to back without progress (a full or empty SSD at most
#: flips RP once, so two suffice); a guard against configurations that could spin.
_MAX_CYCLES_PER_STEP = 4


@dataclass(frozen=True, slots=True)
class TieredParams:
    """Parameters of the tiered model (SURGE model c); the defaults are SURGE's."""

    chunk_bytes: int = param(_DEFAULT_CHUNK_BYTES, unit="B", minimum=1,
                             help="size of one write (SURGE raised it to at least 1 MiB)")
    link_bits_per_s: int = param(100 * GBPS, unit="bit/s", minimum=1,
                                 help="link rate, no overhead")
    control_pdu_bytes: int = param(_DEFAULT_PDU_BYTES, unit="B", minimum=1,
                                   help="size of a write request and of an ack")
    trip_ns: int = param(_DEFAULT_TRIP_NS, unit="ns", minimum=0,
                         help="one-way network latency")
    ssd_window: int = param(_DEFAULT_SSD_WINDOW, minimum=1,
                            help="the initiator's outstanding writes to the SSD")
    ssd_mib_per_s: int = param(_DEFAULT_SSD_MIB_PER_S, unit="MiB/s", minimum=1,
                               help="SSD write throughput")
    ssd_capacity_bytes: int = param(_DEFAULT_SSD_CAPACITY_BYTES, unit="B", minimum=1,
                                    help="SSD capacity (SURGE: '100 MB' = 100,000 KiB)")
    ssd_low_pct: int = param(_DEFAULT_LOW_PCT, unit="%", minimum=0, maximum=_PERCENT,
                             help="low watermark: at or below it the SSD takes every write")
    ssd_high_pct: int = param(_DEFAULT_HIGH_PCT, unit="%", minimum=1, maximum=_PERCENT,
                              help="high watermark: at or above it intake stops until usage "
                                   "is back at the low mark")
    ssd_hysteresis_pct: int = param(0, unit="%", minimum=0, maximum=_PERCENT,
                                    help="where intake starts to fall on the way up; 0: "
                                         "midway between the low and high marks (55)")
    receive_bias_pct: int = param(_DEFAULT_BIAS_PCT, unit="%", minimum=0, maximum=_PERCENT,
                                  help="added to a linear receive percentage below "
                                       "receive_bias_below_pct ('biased to write')")
    receive_bias_below_pct: int = param(_DEFAULT_BIAS_BELOW_PCT, unit="%", minimum=0,
                                        maximum=_PERCENT,
                                        help="the bias applies below this receive percentage")
    cycle_chunks: int = param(_DEFAULT_CYCLE_CHUNKS, minimum=1,
                              help="chunks received plus migrated per SSD cycle (time share)")
    migration_window: int = param(_DEFAULT_MIGRATION_WINDOW, minimum=1,
                                  help="migrations the SSD may have unacked")
    migration_write_divisor: int = param(_DEFAULT_MIGRATION_DIVISOR, minimum=1,
                                         help="an HDD writes chunk / this for a migrated "
                                              "chunk (SURGE: 16, its comment says 4)")
    hdd_window: int = param(_DEFAULT_HDD_WINDOW, minimum=1,
                            help="the initiator's outstanding direct writes to each HDD")
    hdd_mib_per_s: int = param(_DEFAULT_HDD_MIB_PER_S, unit="MiB/s", minimum=1,
                               help="HDD write throughput")
    hysteresis_until_low: bool = param(True, help="after the high mark, take no write "
                                              "until usage is back at the low mark; false: "
                                              "SURGE's code, which ends hysteresis below the "
                                              "hysteresis mark")
    hdd_direct: bool = param(True, help="the initiator also writes to the HDDs directly")
    writes: int = param(0, minimum=0, help="writes the initiator issues in all (0: no limit)")
    go_timing: bool = param(False, help="use SURGE's stale durations: T_ctl and T_chunk at "
                                        "9.9 Gbit/s with 300 B PDUs")
    go_timing_chunk_bytes: int = param(0, unit="B", minimum=0,
                                       help="with go_timing: the chunk size T_chunk comes "
                                            "from (SURGE -chunksize); 0: chunk_bytes")

    @property
    def hysteresis_pct(self) -> int:
        """The hysteresis mark in use: the parameter, or midway between low and high."""
        return self.ssd_hysteresis_pct or (self.ssd_low_pct + self.ssd_high_pct) // 2

    def check(self) -> None:
        """Reject watermarks and sizes that cannot work.

        Raises:
            ValueError: the marks are not ordered low < high and low <= hysteresis <= high,
                or the SSD cannot hold one chunk.
        """
        low, high, hyst = self.ssd_low_pct, self.ssd_high_pct, self.hysteresis_pct
        if not low < high:
            raise ValueError(f"the watermarks need ssd_low_pct < ssd_high_pct; got "
                             f"{low} and {high}")
        if not low <= hyst <= high:
            raise ValueError(f"ssd_hysteresis_pct must lie between the low and high marks "
                             f"[{low}, {high}]; got {hyst}")
        if self.ssd_capacity_bytes < self.chunk_bytes:
            raise ValueError(f"ssd_capacity_bytes ({self.ssd_capacity_bytes} B) must hold at "
                             f"least one chunk ({self.chunk_bytes} B)")


@dataclass(frozen=True, slots=True)
class _Config:
    """Durations and sizes derived once from the parameters."""

    chunk_bytes: int
    ctl_bytes: int
    t_ctl_ns: int  # control PDU on the wire (timing)
    t_chunk_ns: int  # chunk on the wire (timing)
    trip_ns: int
    ctl_busy_ns: int  # receive-busy time of a control PDU (always at the model's link)
    chunk_busy_ns: int  # receive-busy time of a chunk
    migration_bytes: int

    @classmethod
    def from_params(cls, p: TieredParams) -> _Config:
        """Derive the constants; with ``go_timing`` SURGE's stale durations."""
        busy = p.link_bits_per_s
        if p.go_timing:
            go_bps = effective_bits_per_s(_GO_LINK_BITS_PER_S, _GO_OVERHEAD_PCT)
            t_ctl = _GO_CONTROL_PDU_BYTES * _BITS_PER_BYTE * S // go_bps
            t_chunk = (p.go_timing_chunk_bytes or p.chunk_bytes) * _BITS_PER_BYTE * S // go_bps
        else:
            t_ctl = p.control_pdu_bytes * _BITS_PER_BYTE * S // busy
            t_chunk = p.chunk_bytes * _BITS_PER_BYTE * S // busy
        return cls(
            chunk_bytes=p.chunk_bytes,
            ctl_bytes=p.control_pdu_bytes,
            t_ctl_ns=t_ctl,
            t_chunk_ns=t_chunk,
            trip_ns=p.trip_ns,
            ctl_busy_ns=p.control_pdu_bytes * _BITS_PER_BYTE * S // busy,
            chunk_busy_ns=p.chunk_bytes * _BITS_PER_BYTE * S // busy,
            migration_bytes=p.chunk_bytes // p.migration_write_divisor,
        )


class _Metrics:
    """What the tiered model records while it runs."""

    def __init__(self, stats: StatsCollector) -> None:
        both = Scope.GATEWAY | Scope.SERVER
        self.chunk = stats.counter(Metric("chunk", Kind.COUNT, Scope.GATEWAY, "chunk",
                                          "writes acknowledged (SSD and HDD)"))
        self.txbytes = stats.counter(Metric("txbytes", Kind.BYTES, both, "B",
                                            "bytes sent (control PDUs, chunks, migrations)"))
        self.rxbytes = stats.counter(Metric("rxbytes", Kind.BYTES, both, "B",
                                            "bytes received"))
        self.migrations = stats.counter(Metric("migrations", Kind.COUNT, Scope.SERVER, "chunk",
                                               "chunks the SSD migrated to HDDs"))
        self.throughput = stats.counter(Metric(
            "throughput", Kind.RATE, Scope.GATEWAY, "B/s",
            "acknowledged write data per simulated second"))
        self.chunk_latency = stats.distribution(Metric(
            "chunk_latency", Kind.DISTRIBUTION, Scope.GATEWAY, "ns",
            "write latency, SSD and HDD writes: request sent to ack received"))
        self.ssd_latency = stats.distribution(Metric(
            "ssd_write_latency", Kind.DISTRIBUTION, Scope.GATEWAY, "ns",
            "write latency of writes to the SSD (write-done-ssd)"))
        self.hdd_latency = stats.distribution(Metric(
            "hdd_write_latency", Kind.DISTRIBUTION, Scope.GATEWAY, "ns",
            "write latency of direct writes to the HDDs (write-done-hdd)"))


class _Target(Node):
    """A target: a variable-latency disk, receive accounting, write-through acks."""

    __slots__ = ("c", "disk", "in_flight", "index", "m", "rx_busy_ns", "sim", "trace")

    def __init__(self, model: Tiered, node_id: int, mib_per_s: int) -> None:
        super().__init__(node_id, Role.SERVER)
        self.sim = model.sim
        self.c = model.cfg
        self.m = model.metrics
        self.trace: Trace = model.ctx.trace
        self.index = model.ctx.server_index(node_id)
        self.disk = VarLatencyDisk(model.sim, mib_per_s=mib_per_s,
                                   chunk_bytes=model.params.chunk_bytes,
                                   frame_bytes=model.params.chunk_bytes,
                                   name=f"disk-{self.name}")
        self.rx_busy_ns = 0
        self.in_flight: list[tuple[int, int]] = []  # chunks on their way: (arrival, span)

    def rx_busy_until_now(self) -> int:
        """Receive-busy ns up to now; a chunk's bits count over the span before it arrives."""
        now = self.sim.now
        busy = self.rx_busy_ns
        for arrival, span in self.in_flight:
            received = now - (arrival - span)
            if received > 0:
                busy += min(received, span)
        return busy

    def expect_chunk(self, arrival_ns: int) -> None:
        """A chunk was sent to this target; it arrives at ``arrival_ns``."""
        self.in_flight.append((arrival_ns, self.c.chunk_busy_ns))

    def chunk_arrived(self) -> None:
        """Account a chunk that has fully arrived now."""
        self.in_flight.remove((self.sim.now, self.c.chunk_busy_ns))
        self.m.rxbytes.values[self.index] += self.c.chunk_bytes
        self.rx_busy_ns += self.c.chunk_busy_ns

    def on_request(self, write: Write) -> None:
        """A write request (SURGE's WRITE-BEGIN stage only notes it)."""
        self.m.rxbytes.values[self.index] += self.c.ctl_bytes
        self.rx_busy_ns += self.c.ctl_busy_ns
        if self.trace.level >= VVV:
            self.trace.log(VVV, "write-begin", self.name, f"c#{write.chunk.sid}", write.slot)

    def write_through(self, initiator: _Initiator, write: Write) -> int:
        """Write the chunk now and ack it once on disk; returns the disk delay, ns."""
        c = self.c
        atdisk = self.disk.schedule_write(write.chunk.size_bytes)
        self.m.txbytes.values[self.index] += c.ctl_bytes
        self.sim.schedule(c.t_ctl_ns + c.trip_ns + atdisk, initiator.on_ack, (self, write))
        return atdisk


class _Hdd(_Target):
    """An HDD: direct writes from the initiator, migrated chunks from the SSD."""

    __slots__ = ()

    def on_data(self, msg: tuple[_Initiator, Write]) -> None:
        """A direct write: write-through."""
        self.chunk_arrived()
        self.write_through(*msg)

    def on_migration(self, ssd: _Ssd) -> None:
        """A migrated chunk: write ``chunk / divisor`` bytes, ack the SSD when done."""
        self.chunk_arrived()
        atdisk = self.disk.schedule_write(self.c.migration_bytes)
        self.m.txbytes.values[self.index] += _MIGRATION_ACK_BYTES
        self.sim.schedule(atdisk, ssd.on_migration_ack, self)
        if self.trace.level >= VV:
            self.trace.log(VV, "hdd-migrate-write", self.name, atdisk)


class _Ssd(_Target):
    """The SSD: cycles of receive and migrate quotas under the watermarks."""

    __slots__ = ("capacity", "cycle", "hdd_free_ns", "hdds", "high", "hyst", "hysteresis",
                 "low", "migrated", "p", "pending_acks", "received", "rp", "rr",
                 "taken_from_queue", "to_migrate", "to_receive", "used", "wake_ns", "wqueue")

    def __init__(self, model: Tiered, node_id: int) -> None:
        p = model.params
        super().__init__(model, node_id, p.ssd_mib_per_s)
        self.p = p
        self.capacity = p.ssd_capacity_bytes
        self.low, self.high, self.hyst = p.ssd_low_pct, p.ssd_high_pct, p.hysteresis_pct
        self.hdds: list[_Hdd] = []
        self.hdd_free_ns: list[int] = []
        self.rr = -1
        self.used = 0
        self.wqueue: deque[tuple[_Initiator, Write]] = deque()
        self.rp = _PERCENT
        self.hysteresis = False
        self.cycle = 0
        self.received = 0
        self.migrated = 0
        self.taken_from_queue = 0
        self.pending_acks = 0
        self.wake_ns = -1
        self.to_receive = 0
        self.to_migrate = 0
        self._set_quotas()

    def connect(self, hdds: list[_Hdd]) -> None:
        """The HDDs to migrate to, each with its own migration flow."""
        self.hdds = hdds
        self.hdd_free_ns = [0] * len(hdds)

    # --------------------------------------------------------------------- state
    @property
    def used_pct(self) -> int:
        """Usage, whole percent (rounded down)."""
        return self.used * _PERCENT // self.capacity

    @property
    def full(self) -> bool:
        """True if one more chunk does not fit."""
        return self.used + self.c.chunk_bytes > self.capacity

    def _set_quotas(self) -> None:
        n = self.p.cycle_chunks
        self.to_receive = (n * self.rp + _HALF_PERCENT) // _PERCENT
        self.to_migrate = n - self.to_receive

    # ------------------------------------------------------------------- receive
    def on_data(self, msg: tuple[_Initiator, Write]) -> None:
        """A write arrived: take it if the cycle's quota allows (queued writes first)."""
        self.chunk_arrived()
        if self.received >= self.to_receive or self.full:
            self._enqueue(msg)
        elif self.wqueue:
            self._take(*self.wqueue.popleft(), queued=True)
            self._enqueue(msg)
        else:
            self._take(*msg, queued=False)
        self.step()

    def _enqueue(self, msg: tuple[_Initiator, Write]) -> None:
        self.wqueue.append(msg)
        if self.trace.level >= VV:
            self.trace.log(VV, "ssd-queue-write", self.name, f"c#{msg[1].chunk.sid}",
                           len(self.wqueue))

    def _take(self, initiator: _Initiator, write: Write, *, queued: bool) -> None:
        """Write a chunk to the SSD: count it against the quota and the capacity."""
        self.write_through(initiator, write)
        self.used += write.chunk.size_bytes
        self.received += 1
        if queued:
            self.taken_from_queue += 1

    def _drain_queue(self) -> None:
        """Take queued writes while the quota lasts, or when the initiator is out of credit."""
        window = self.p.ssd_window
        while self.wqueue and not self.full and (
                self.received < self.to_receive
                or (not self.hysteresis and len(self.wqueue) >= window)):
            self._take(*self.wqueue.popleft(), queued=True)

    # ------------------------------------------------------------------- migrate
    def _migrate(self) -> None:
        """Send migrations while the quota, the migration window and free flows allow."""
        c, n = self.c, len(self.hdds)
        now = self.sim.now
        while (self.migrated < self.to_migrate and self.used >= c.chunk_bytes
               and self.pending_acks < self.p.migration_window):
            for step in range(1, n + 1):
                k = (self.rr + step) % n
                if self.hdd_free_ns[k] <= now:
                    break
            else:
                self._wake_at(min(self.hdd_free_ns))
                return
            self.rr = k
            hdd = self.hdds[k]
            self.hdd_free_ns[k] = now + c.t_chunk_ns
            self.used -= c.chunk_bytes
            self.migrated += 1
            self.pending_acks += 1
            self.m.migrations.values[self.index] += 1
            self.m.txbytes.values[self.index] += c.chunk_bytes
            delay = c.t_chunk_ns + c.trip_ns
            hdd.expect_chunk(now + delay)
            self.sim.schedule(delay, hdd.on_migration, self)
            if self.trace.level >= VV:
                self.trace.log(VV, "ssd-migrate", self.name, hdd.name, self.used,
                               self.pending_acks)

    def on_migration_ack(self, hdd: _Hdd) -> None:
        """A migration is on its HDD: one more migration credit."""
        self.m.rxbytes.values[self.index] += _MIGRATION_ACK_BYTES
        self.pending_acks -= 1
        self.step()

    def _wake_at(self, when: int) -> None:
        """Run :meth:`step` again at ``when`` (a migration flow frees up)."""
        now = self.sim.now
        if self.wake_ns >= now and self.wake_ns <= when:
            return  # an earlier or equal wake-up is already scheduled
        self.wake_ns = when
        self.sim.schedule(when - now, self._wake, when)

    def _wake(self, when: int) -> None:
        if self.wake_ns == when:
            self.wake_ns = -1
        self.step()

    # --------------------------------------------------------------------- cycles
    def step(self, _: object = None) -> None:
        """Advance the SSD: migrate, take queued writes, end the cycle if its quotas are met.

        A quota that cannot be met counts as met: receiving when the SSD is full, migrating
        when it holds no chunk.
        """
        for _ in range(_MAX_CYCLES_PER_STEP):
            self._migrate()
            self._drain_queue()
            received_ok = self.received >= self.to_receive or self.full
            migrated_ok = self.migrated >= self.to_migrate or self.used < self.c.chunk_bytes
            if not (received_ok and migrated_ok):
                return
            self._end_cycle()

    def _end_cycle(self) -> None:
        self.cycle += 1
        if self.trace.level >= V:
            self.trace.log(V, "ssd-run-cycle", self.name, self.cycle, self.rp,
                           self.to_receive, self.to_migrate, self.received, self.migrated,
                           self.used // KIB, self.used_pct, len(self.wqueue),
                           self.taken_from_queue, self.pending_acks)
        self._recompute_rp()
        self.received = self.migrated = self.taken_from_queue = 0
        self._set_quotas()

    def _recompute_rp(self) -> None:
        """SURGE's ``recomputeRP``: the receive percentage from usage and the watermarks."""
        x = self.used_pct
        if self.full or x >= self.high:
            self.rp = 0
            if not self.hysteresis and self.trace.level >= V:
                self.trace.log(V, "warn:hysteresis", self.name, x)
            self.hysteresis = True
        elif x <= self.low:
            self.rp = _PERCENT
            self.hysteresis = False
        elif self.hysteresis:
            if x < self.hyst and not self.p.hysteresis_until_low:
                self.hysteresis = False  # SURGE: RP stays 0, the credit rule may refill
            else:
                self.rp = 0
        elif x < self.hyst:
            pass  # RP unchanged: sticky (100 on the way up)
        else:
            rp = _PERCENT - (x - self.low) * _PERCENT // (self.high - self.low)
            if rp < self.p.receive_bias_below_pct:
                rp += self.p.receive_bias_pct
            self.rp = min(rp, _PERCENT)


class _Stream:
    """The initiator's writes to one target: a window, and when its link is free."""

    __slots__ = ("gen", "target", "tx_free_ns", "window")

    def __init__(self, target: _Ssd | _Hdd, size: int, initiator_name: str) -> None:
        self.target = target
        self.window = WriteWindow(size, name=f"{initiator_name}->{target.name}")
        self.tx_free_ns = 0
        self.gen = 0


class _Initiator(Node):
    """The one initiator: a stream per target, whole-chunk writes."""

    __slots__ = ("c", "chunks", "index", "issued", "limit", "m", "sim", "ssd", "streams",
                 "trace")

    def __init__(self, model: Tiered, node_id: int, ssd: _Ssd, hdds: list[_Hdd]) -> None:
        super().__init__(node_id, Role.GATEWAY)
        p = model.params
        self.sim = model.sim
        self.c = model.cfg
        self.m = model.metrics
        self.trace: Trace = model.ctx.trace
        self.chunks = model.chunks
        self.index = model.ctx.gateway_index(node_id)
        self.ssd = ssd
        self.limit = p.writes
        self.issued = 0
        self.streams: dict[Node, _Stream] = {ssd: _Stream(ssd, p.ssd_window, self.name)}
        if p.hdd_direct:
            for hdd in hdds:
                self.streams[hdd] = _Stream(hdd, p.hdd_window, self.name)

    def start(self, _: object = None) -> None:
        """Start every stream (SSD first, then the HDDs in id order)."""
        for stream in self.streams.values():
            self.pump((stream, stream.gen))

    def pump(self, item: tuple[_Stream, int]) -> None:
        """Send the stream's next write if a slot is free and its link is, else wait."""
        stream, gen = item
        if gen != stream.gen:
            return
        sim, c = self.sim, self.c
        now = sim.now
        if now < stream.tx_free_ns:
            sim.schedule(stream.tx_free_ns - now, self.pump, item)
            return
        if not stream.window.has_free_slot or (self.limit and self.issued >= self.limit):
            return  # an ack kicks the stream
        self.issued += 1
        write = stream.window.issue(self.chunks.new_chunk(self.id))
        target = stream.target
        self.m.txbytes.values[self.index] += c.ctl_bytes + c.chunk_bytes
        request = c.t_ctl_ns + c.trip_ns
        arrival = request + c.t_chunk_ns + c.trip_ns
        sim.schedule(request, target.on_request, write)
        target.expect_chunk(now + arrival)
        sim.schedule(arrival, target.on_data, (self, write))
        stream.tx_free_ns = now + c.t_ctl_ns + c.t_chunk_ns
        sim.schedule(c.t_ctl_ns + c.t_chunk_ns, self.pump, item)

    def on_ack(self, msg: tuple[_Target, Write]) -> None:
        """A write is on disk: free its slot, record its latency, send the next."""
        target, write = msg
        m, i = self.m, self.index
        m.rxbytes.values[i] += self.c.ctl_bytes
        stream = self.streams[target]
        stream.window.ack(write)
        chunk = write.chunk
        latency = self.sim.now - chunk.created_ns
        m.chunk.values[i] += 1
        m.throughput.values[i] += chunk.size_bytes
        m.chunk_latency.record(latency, i)
        ssd = target is self.ssd
        (m.ssd_latency if ssd else m.hdd_latency).record(latency, i)
        if self.trace.level >= 0:
            self.trace.log(0, "write-done-ssd" if ssd else "write-done-hdd",
                           f"c#{chunk.sid}", "latency", latency, f"{latency / US:.3f}us",
                           target.name)
        stream.gen += 1
        self.pump((stream, stream.gen))


@register_model(
    "tiered",
    alias="c",
    description="Storage server with SSD and HDD tiers, limited SSD capacity, and SSD to HDD "
                "auto-migration (watermarked)",
    params=TieredParams,
)
class Tiered(Model[TieredParams]):
    """SURGE model c on the surge engine (see the module docstring)."""

    cfg: _Config
    metrics: _Metrics
    chunks: ChunkSource

    def build(self) -> None:
        """Create the SSD (``T#01``), the HDDs and the initiator; start writing at time 0.

        Raises:
            ConfigError: not exactly one gateway, or fewer than two servers.
        """
        ctx, p = self.ctx, self.params
        if ctx.gateways != 1:
            raise ConfigError(
                f"tiered has exactly one initiator (SURGE's model c asserts it): run it with "
                f"--gateways 1 (got {ctx.gateways})"
            )
        if ctx.servers < 2:  # noqa: PLR2004 - one SSD and at least one HDD
            raise ConfigError(
                f"tiered needs servers >= 2: T#01 is the SSD, the others are HDDs (got "
                f"{ctx.servers})"
            )
        self.cfg = _Config.from_params(p)
        self.metrics = _Metrics(ctx.stats)
        self.chunks = ChunkSource(self.sim, chunk_bytes=p.chunk_bytes, name="chunk-ids")
        self.ssd = _Ssd(self, 1)
        self.hdds = [_Hdd(self, i, p.hdd_mib_per_s) for i in range(2, ctx.servers + 1)]
        self.ssd.connect(self.hdds)
        self.initiator = _Initiator(self, 1, self.ssd, self.hdds)
        self._declare_probes(ctx.stats)
        self.sim.schedule(0, self.initiator.start)

    def _declare_probes(self, stats: StatsCollector) -> None:
        ssd, hdds = self.ssd, self.hdds

        def depth(t: _Target) -> int:
            return t.disk.queue_depth(QueueUnit.CHUNKS)[0]

        declare_disk_probes(
            stats, [ssd, *hdds], rx_busy=lambda t: t.rx_busy_until_now(),
            rxbusy_help="share of time the target's receive link is busy",
            diskbusy_help="share of time the target's disk is writing", qdepth=True,
            frame_bufs=False)
        tier = "; a tier-level series, reported under the one initiator"
        stats.sampled(Metric("ssd_qdepth", Kind.SAMPLES, Scope.GATEWAY, "chunks",
                             "SSD disk queue depth in chunks" + tier),
                      lambda _: depth(ssd))
        stats.sampled(Metric("hdd_qdepth", Kind.SAMPLES, Scope.GATEWAY, "chunks",
                             "HDD disk queue depth in chunks, mean over the HDDs" + tier),
                      lambda _: sum(depth(h) for h in hdds) / len(hdds))
        stats.sampled(Metric("ssd_used", Kind.SAMPLES, Scope.GATEWAY, "%",
                             "SSD usage, % of capacity" + tier),
                      lambda _: ssd.used * _PERCENT / ssd.capacity)
        stats.sampled(Metric("ssd_receive", Kind.SAMPLES, Scope.GATEWAY, "%",
                             "the SSD's receive percentage RP (its intake share per cycle)"
                             + tier),
                      lambda _: ssd.rp)
        stats.sampled(Metric("ssd_wqueue", Kind.SAMPLES, Scope.GATEWAY, "writes",
                             "writes waiting in the SSD's write queue" + tier),
                      lambda _: len(ssd.wqueue))
