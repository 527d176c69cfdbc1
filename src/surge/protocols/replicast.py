"""The Replicast engine: what models 7, 8, 9 and a share besides the bids.

A Replicast gateway negotiates a reservation before it sends; once it has one, the data
goes at the full *solicited* rate inside the reserved window, without any rate control.
The negotiation differs from model to model (kept in each model module); this module holds
the rest, written once:

* :class:`ReplicastCluster`: the run's constants, metrics, chunk ids, nodes and groups;
* :class:`ReplicastGateway`: one chunk at a time; control messages (unicast, or multicast
  to a group: one transmission, every member at the same instant); data transfers (a
  chain of frames at ``data_bps``, multicast to the rendezvous group or unicast to one
  server, starting exactly at the window's left edge: scheduled, never polled); replica
  acks and chunk completion;
* :class:`ReplicastServer`: a bid queue (the model's policy), a constant-latency disk, and
  the receive path: each frame is checked against the server's accepted reservation
  (``unreserved-data`` and ``late-data`` count violations: a frame with no accepted bid,
  or arriving more than one trip after the window's right edge); the last frame is
  written to disk (write-back rule: acked at once unless the write completes later than
  ``D_chunk * max_disk_queue_chunks``), the bid deleted, the ack sent.

Timing (integer ns): a control PDU takes ``T_ctl + trip`` (its serialization on the
control share of the link plus one trip); a frame of ``f`` bytes ``floor(8f * 1e9 /
data_bps) + trip``; frames of one transfer leave back to back.

Byte accounting (SURGE's quirk 6, fixed): every message is counted once in ``txbytes``
*per receiver* (a multicast to n members counts n copies, as the fabric delivers them), so
that bytes sent = bytes received + bytes in flight; ``txbytes-wire`` counts what the
sender's link carried (a multicast once, SURGE's convention). SURGE counted server bids
twice and model 8/9 gateway data twice.

Link utilization ``rxbusy``: every received PDU and frame counts its bits at the line rate
(``link_bps``), in the interval where it arrives.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from surge.network import (
    NegotiatingGroup,
    Node,
    Role,
    negotiating_groups,
    next_negotiating_group,
)
from surge.protocols.bids import BidQueue, BidState
from surge.protocols.metrics import StorageMetrics, declare_disk_probes
from surge.protocols.reservation import ReplicastConfig
from surge.sim.units import US, S
from surge.stats import Kind, Metric, Scope, StatsCollector
from surge.stats.collector import NodeInfo
from surge.stats.trace import VV, Trace
from surge.storage import ChunkSource, ConstLatencyDisk
from surge.storage.chunk import Chunk

if TYPE_CHECKING:
    from surge.sim import Simulation

__all__ = [
    "ReplicastCluster",
    "ReplicastConfigNote",
    "ReplicastGateway",
    "ReplicastMetrics",
    "ReplicastServer",
    "Transfer",
    "resize_servers",
]

_BITS_PER_BYTE = 8


class ReplicastConfigNote(UserWarning):
    """The cluster was adjusted to SURGE's Replicast rules (server count)."""


def resize_servers(stats: StatsCollector, *, gateways: int, requested: int, servers: int,
                   note: str | None, trace: Trace) -> None:
    """Make the collector's node list hold ``servers`` servers, and report the change.

    Called by a model's ``build`` before it declares any metric: SURGE's rule may change
    the server count (10 servers with G = 9 run as 18), and the statistics must cover the
    servers that really run. The note goes to the trace at level 0 and to
    :mod:`warnings` (category :class:`ReplicastConfigNote`).
    """
    if note is None:
        return
    nodes = stats.nodes[:gateways] + [NodeInfo(f"T#{i:02d}", "server")
                                      for i in range(1, servers + 1)]
    nodes += stats.nodes[gateways + requested:]
    stats.nodes[:] = nodes
    if trace.level >= 0:
        trace.log(0, "config-note", note)
    warnings.warn(note, ReplicastConfigNote, stacklevel=3)


class ReplicastMetrics(StorageMetrics):
    """SURGE's common protocol statistics, the standard metrics, and the Replicast ones."""

    def __init__(self, stats: StatsCollector) -> None:
        super().__init__(stats, txbytes_help="bytes sent, a multicast counted once per "
                                             "receiving member")
        gw, srv = Scope.GATEWAY, Scope.SERVER
        self.chunk_aborts = stats.counter(Metric(
            "chunk-aborts", Kind.COUNT, gw, "chunk",
            "chunks dropped because no R bids overlapped (SURGE 'WARNING: chunk-abort')"))
        self.abort_retries = stats.counter(Metric(
            "abort-retries", Kind.COUNT, gw, "negotiation",
            "negotiations canceled and retried because the best bid started too late"))
        self.double_bookings = stats.counter(Metric(
            "double-bookings", Kind.COUNT, srv, "bid", "windows offered to two gateways"))
        self.late_rejects = stats.counter(Metric(
            "late-rejects", Kind.COUNT, srv, "bid",
            "double-booked bids rejected after the twin was accepted"))
        self.bid_queue_depth = stats.distribution(Metric(
            "bid-queue-depth", Kind.DISTRIBUTION, srv, "bid",
            "bids in the server's queue when it makes a new bid (the new one included)"))
        self.late_data = stats.counter(Metric(
            "late-data", Kind.COUNT, srv, "frame",
            "frames arriving more than one trip after their reservation ends"))
        self.unreserved_data = stats.counter(Metric(
            "unreserved-data", Kind.COUNT, srv, "frame",
            "frames arriving without an accepted reservation"))
        self.overlaps = stats.counter(Metric(
            "overlapping-reservations", Kind.COUNT, srv, "bid",
            "accepted reservations overlapping an earlier accepted one on the same server"))
        self.reads = stats.counter(Metric("reads", Kind.COUNT, srv, "chunk",
                                          "chunk reads (the read option)"))

    def declare_after_txbytes(self, stats: StatsCollector) -> None:
        """``txbytes-wire``, next to the ``txbytes`` it qualifies."""
        self.txbytes_wire = stats.counter(Metric(
            "txbytes-wire", Kind.BYTES, Scope.GATEWAY | Scope.SERVER, "B",
            "bytes on the sender's link (a multicast once, SURGE's txbytes)"))


class ReplicastCluster:
    """Everything the gateways and servers of one Replicast run share.

    Args:
        sim: the simulation.
        cfg: the derived constants.
        stats: the run's collector (metrics are declared here).
        trace: the run's trace.
        gateway_index, server_index: global stats index of gateway/server ``id``.
    """

    def __init__(self, sim: Simulation, cfg: ReplicastConfig, stats: StatsCollector,
                 trace: Trace, *, gateway_index: Callable[[int], int],
                 server_index: Callable[[int], int]) -> None:
        self.sim = sim
        self.cfg = cfg
        self.stats = stats
        self.trace = trace
        self.metrics = ReplicastMetrics(stats)
        self.chunks = ChunkSource(sim, chunk_bytes=cfg.chunk_bytes, name="chunk-ids")
        self.gateways: list[ReplicastGateway] = []
        self.servers: list[ReplicastServer] = []
        self.groups: tuple[NegotiatingGroup[ReplicastServer], ...] = ()
        self.gateway_index = gateway_index
        self.server_index = server_index

    def set_nodes(self, gateways: list[ReplicastGateway],
                  servers: list[ReplicastServer]) -> None:
        """Install the nodes, build the negotiating groups, declare the probe metrics."""
        self.gateways = gateways
        self.servers = servers
        self.groups = negotiating_groups(servers, self.cfg.group_size)
        declare_disk_probes(
            self.stats, servers, rx_busy=lambda s: s.rx_busy_ns,
            rxbusy_help="share of time the server's receive link is busy (data and control, "
                        "bits at line rate)",
            diskbusy_help="share of time the server's disk is writing or reading")

    def start(self) -> None:
        """Start every gateway's first chunk at time 0."""
        for gw in self.gateways:
            self.sim.schedule(0, gw.start_chunk)


class Transfer:
    """One data transfer in progress: a chain of frames to one or more servers.

    Attributes:
        gateway: the sender.
        servers: the receivers (the rendezvous group, or one server).
        chunk_id: the chunk.
        total: bytes to send.
        offset: bytes sent so far.
        on_sent: called (with the transfer) when the last frame has been serialized.
        canceled: set before the first frame to call the transfer off (a late reject).
    """

    __slots__ = ("canceled", "chunk_id", "gateway", "offset", "on_sent", "servers", "total")

    def __init__(self, gateway: ReplicastGateway, servers: tuple[ReplicastServer, ...],
                 chunk_id: int, total: int,
                 on_sent: Callable[[Transfer], object] | None = None) -> None:
        self.gateway = gateway
        self.servers = servers
        self.chunk_id = chunk_id
        self.total = total
        self.offset = 0
        self.on_sent = on_sent
        self.canceled = False


class ReplicastGateway(Node):
    """A gateway: one chunk at a time; the negotiation is the subclass's.

    Subclasses implement :meth:`start_chunk` (begin negotiating a new chunk) and may use
    :meth:`multicast`, :meth:`unicast`, :meth:`send_data` and :meth:`finish_chunk`.
    """

    __slots__ = ("acks", "c", "chunk", "cluster", "index", "prev_group", "rng", "sim")

    def __init__(self, cluster: ReplicastCluster, node_id: int) -> None:
        super().__init__(node_id, Role.GATEWAY)
        self.cluster = cluster
        self.sim = cluster.sim
        self.c = cluster.cfg
        self.index = cluster.gateway_index(node_id)
        self.rng: random.Random = cluster.sim.random.python(self.name)
        self.chunk: Chunk | None = None
        self.acks = 0
        self.prev_group: int | None = None

    # ----------------------------------------------------------------- negotiation hooks
    def start_chunk(self, _: object = None) -> None:
        """Create a chunk and start negotiating its reservation."""
        raise NotImplementedError

    def new_chunk(self) -> Chunk:
        """A new chunk of this gateway, created now."""
        chunk = self.cluster.chunks.new_chunk(self.id)
        self.chunk = chunk
        self.acks = 0
        return chunk

    def pick_group(self, chunk: Chunk) -> NegotiatingGroup[ReplicastServer]:
        """SURGE's group selection: never the previous chunk's group if avoidable."""
        groups = self.cluster.groups
        gid = next_negotiating_group(chunk.id, self.prev_group, len(groups), self.rng)
        self.prev_group = gid
        return groups[gid - 1]

    # ------------------------------------------------------------------------ messages
    def control_received(self) -> None:
        """Account one received control PDU."""
        m = self.cluster.metrics
        m.event.values[self.index] += 1
        m.rxbytes.values[self.index] += self.c.ctl_bytes

    def multicast(self, members: Sequence[ReplicastServer],
                  handler: Callable[[ReplicastServer, Any], object], arg: Any) -> None:
        """One control PDU to every member, all delivered at ``now + T_ctl + trip``."""
        c = self.c
        m = self.cluster.metrics
        m.txbytes.values[self.index] += c.ctl_bytes * len(members)
        m.txbytes_wire.values[self.index] += c.ctl_bytes
        self.sim.schedule(c.t_ctl + c.trip, _fan_out, (tuple(members), handler, arg))

    def unicast(self, handler: Callable[[Any], object], arg: Any) -> None:
        """One control PDU to one node, delivered at ``now + T_ctl + trip``."""
        c = self.c
        m = self.cluster.metrics
        m.txbytes.values[self.index] += c.ctl_bytes
        m.txbytes_wire.values[self.index] += c.ctl_bytes
        self.sim.schedule(c.t_ctl + c.trip, handler, arg)

    # ---------------------------------------------------------------------------- data
    def send_data(self, servers: Sequence[ReplicastServer], chunk_id: int, begin: int,
                  on_sent: Callable[[Transfer], object] | None = None) -> Transfer:
        """Send the chunk to ``servers`` (one multicast stream) starting at ``begin``."""
        assert self.chunk is not None
        transfer = Transfer(self, tuple(servers), chunk_id, self.chunk.size_bytes, on_sent)
        self.sim.schedule_at(begin, self._tx, transfer)
        return transfer

    def _tx(self, transfer: Transfer) -> None:
        if transfer.canceled:
            return
        c = self.c
        size = min(c.frame_bytes, transfer.total - transfer.offset)
        transfer.offset += size
        tx = size * _BITS_PER_BYTE * S // c.data_bps
        m = self.cluster.metrics
        i = self.index
        m.txbytes.values[i] += size * len(transfer.servers)
        m.txbytes_wire.values[i] += size
        self.sim.schedule(tx + c.trip, _deliver_frame, (transfer, transfer.offset, size))
        if transfer.offset < transfer.total:
            self.sim.schedule(tx, self._tx, transfer)
        elif transfer.on_sent is not None:
            self.sim.schedule(tx, transfer.on_sent, transfer)

    # ---------------------------------------------------------------------------- acks
    def on_replica_ack(self, chunk_id: int) -> None:
        """A replica ack; with R acks the chunk is done."""
        self.control_received()
        chunk = self.chunk
        if chunk is None or chunk.id != chunk_id:  # pragma: no cover - defensive
            return
        m = self.cluster.metrics
        m.replica.values[self.index] += 1
        self.acks += 1
        if self.acks == self.c.replicas:
            self.finish_chunk(chunk)

    def finish_chunk(self, chunk: Chunk) -> None:
        """Record the chunk's latency and throughput, then start the next chunk."""
        m = self.cluster.metrics
        i = self.index
        latency = self.sim.now - chunk.created_ns
        m.chunk.values[i] += 1
        m.throughput.values[i] += chunk.size_bytes
        m.chunk_latency.record(latency, i)
        trace = self.cluster.trace
        if trace.level >= 0:
            trace.log(0, "chunk-done", f"c#{chunk.sid}", "latency", latency,
                      f"{latency / US:.3f}us", self.name)
        self.chunk = None
        self.chunk_done(chunk)
        self.start_chunk()

    def chunk_done(self, chunk: Chunk) -> None:
        """Hook: per-model cleanup once a chunk is fully acked."""


def _fan_out(payload: tuple[tuple[ReplicastServer, ...],
                            Callable[[ReplicastServer, Any], object], Any]) -> None:
    members, handler, arg = payload
    for member in members:
        handler(member, arg)


def _deliver_frame(msg: tuple[Transfer, int, int]) -> None:
    transfer, offset, size = msg
    for server in transfer.servers:
        server.on_frame(transfer, offset, size)


class ReplicastServer(Node):
    """A server: bid queue, disk, receive path. The model answers requests and accepts."""

    __slots__ = ("accepted_windows", "bids", "c", "cluster", "disk", "index", "readers",
                 "rx_busy_ns", "rx_offsets", "sim")

    def __init__(self, cluster: ReplicastCluster, node_id: int, bids: BidQueue) -> None:
        super().__init__(node_id, Role.SERVER)
        self.cluster = cluster
        self.sim = cluster.sim
        self.c = cluster.cfg
        self.index = cluster.server_index(node_id)
        self.bids = bids
        self.disk = ConstLatencyDisk(cluster.sim, self.c.disk_bytes_per_s,
                                     chunk_bytes=self.c.chunk_bytes,
                                     frame_bytes=self.c.frame_bytes, name=f"disk-{self.name}")
        self.rx_busy_ns = 0
        self.rx_offsets: dict[int, int] = {}
        self.readers: set[int] = set()
        self.accepted_windows: dict[int, tuple[int, int]] = {}

    def record_accept(self, chunk_id: int, left: int, right: int) -> None:
        """Check a newly accepted window against the server's other accepted windows.

        A reservation is held from its left edge until its data is in (then
        :meth:`on_frame` releases it: SURGE deletes the bid there) or its right edge.
        Windows already over cannot overlap a new one (new windows start later) and are
        forgotten; an overlap counts in ``overlapping-reservations``.
        """
        now = self.sim.now
        wins = {k: w for k, w in self.accepted_windows.items() if w[1] > now}
        for w_left, w_right in wins.values():
            if left < w_right and w_left < right:
                self.cluster.metrics.overlaps.values[self.index] += 1
                break
        wins[chunk_id] = (left, right)
        self.accepted_windows = wins

    def control_received(self) -> None:
        """Account one received control PDU (event, bytes, busy time at line rate)."""
        m = self.cluster.metrics
        m.event.values[self.index] += 1
        m.rxbytes.values[self.index] += self.c.ctl_bytes
        self.rx_busy_ns += self.c.ctl_bytes * _BITS_PER_BYTE * S // self.c.link_bps

    def send_control(self, delay_ns: int, handler: Callable[[Any], object], arg: Any) -> None:
        """One control PDU to a gateway (or proxy), delivered ``T_ctl + trip + delay``."""
        m = self.cluster.metrics
        m.txbytes.values[self.index] += self.c.ctl_bytes
        m.txbytes_wire.values[self.index] += self.c.ctl_bytes
        self.sim.schedule(self.c.t_ctl + self.c.trip + delay_ns, handler, arg)

    def admission_delay(self) -> int:
        """The disk back-pressure before a new transfer (SURGE's ``diskdelay(Now, ...)``)."""
        return self.c.admission_delay(self.disk.last_io_done_ns, self.sim.now)

    def record_depth(self) -> None:
        """Sample the bid-queue depth (after a new bid)."""
        self.cluster.metrics.bid_queue_depth.record(len(self.bids), self.index)

    def on_frame(self, transfer: Transfer, offset: int, size: int) -> None:
        """A data frame: check the reservation, account; on the last, write and ack."""
        c = self.c
        m = self.cluster.metrics
        i = self.index
        now = self.sim.now
        chunk_id = transfer.chunk_id
        m.event.values[i] += 1
        m.rxbytes.values[i] += size
        self.rx_busy_ns += size * _BITS_PER_BYTE * S // c.link_bps
        bid = self.bids.find(chunk_id)
        if bid is None or bid.state is not BidState.ACCEPTED or now < bid.left:
            m.unreserved_data.values[i] += 1
        elif now > bid.right + c.trip:
            m.late_data.values[i] += 1
            if self.cluster.trace.level >= 0:
                self.cluster.trace.log(0, "receiving data past bid deadline", self.name,
                                       chunk_id, now - bid.right)
        expected = self.rx_offsets.get(chunk_id, 0) + size
        if offset != expected:
            raise RuntimeError(f"{self.name}: frame out of order for chunk {chunk_id}: "
                               f"offset {offset}, expected {expected}")
        if offset < transfer.total:
            self.rx_offsets[chunk_id] = offset
            return
        self.rx_offsets.pop(chunk_id, None)
        atdisk = self.disk.schedule_write(transfer.total)
        acked_at_once = atdisk < c.write_back_ns
        if acked_at_once:
            atdisk = 0
        self.bids.remove(chunk_id)
        held = self.accepted_windows.get(chunk_id)
        if held is not None:
            self.accepted_windows[chunk_id] = (held[0], min(held[1], now))
        gateway = transfer.gateway
        self.send_control(atdisk, gateway.on_replica_ack, chunk_id)
        trace = self.cluster.trace
        if trace.level >= VV:
            trace.log(VV, "rep-received" if acked_at_once else "rep-received-ack-delayed",
                      self.name, gateway.name, chunk_id, atdisk)
        if chunk_id in self.readers:
            self.readers.discard(chunk_id)
            self.disk.schedule_read(c.chunk_bytes)
            m.reads.values[i] += 1
            if trace.level >= VV:
                trace.log(VV, "read", self.name, chunk_id)
        self.replica_written(chunk_id)

    def replica_written(self, chunk_id: int) -> None:
        """Hook: the replica is on its way to disk and acked (model a notifies its proxy)."""
