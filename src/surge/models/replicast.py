"""Model 7, ``replicast``: basic Replicast, multicast negotiation and multicast data.

What it models and why
----------------------
SURGE's thesis protocol, against the "unsolicited" models 5 and 6: a gateway does not pick
its targets blindly and then fight congestion; it *negotiates* a reservation inside a
negotiating group of G servers first, then sends at the full solicited rate into a window
nobody else will use.

Pipeline, per chunk (gateway I, negotiating group NG of G servers)
------------------------------------------------------------------
1. I picks NG (``chunk id mod groups``, never the previous chunk's group if avoidable) and
   multicasts a put request (one control PDU, ``T_ctl + trip``; ``T_ctl`` = 2,424 ns on the
   0.99 Gbit/s control share).
2. Each member answers with a bid from its regular bid queue
   (:class:`~surge.protocols.bids.RegularBidQueue`: reuse a canceled window, or the next
   window after its last bid, not before ``now + 2*T_ctl + trip`` nor before the disk
   back-pressure allows; an idle server extends its bid by ``2 * T_chunk``).
3. With all G bids in, I looks for the earliest window of ``minduration`` (125,765 ns)
   common to R consecutive bids (sorted by left), starting no earlier than ``now + T_ctl``
   (:func:`~surge.protocols.reservation.best_intersection`). None: the chunk is aborted
   (an empty accept cancels every bid) and a new chunk starts at once.
4. I multicasts the accept (the rendezvous group and the window) to all G members: the
   chosen trim their bid to the window, the others cancel theirs.
5. At the window's left edge I multicasts the chunk once, frames back to back at the
   solicited rate (8.91 Gbit/s; 117,673 ns for 128 KiB), to the R chosen servers.
6. Each server writes its replica (write-back rule), deletes the bid and acks
   (``T_ctl + trip``); with R acks the chunk is done and I starts the next.

Options: ``transport=unicast`` (SURGE's "Replicast-M + unicast delivery"): reservations are
R times longer (bid multiplier ``R x 110 %``, ``minduration`` x R) and the gateway sends the
R replicas as unicast copies one after another inside it (SURGE only changed the timing
and still delivered multicast). ``read=true``: one chosen server per chunk (index
``chunk id mod R`` of the sorted rendezvous group) also reads a chunk after its write
(SURGE's "50/50" option).

Timing, one gateway, idle servers (tested): request 3,424 + bid 3,424 + accept
(serialization) 2,424 + data 117,673 + trip 1,000 + ack 3,424 = **131,369 ns**.

What to read in the results
---------------------------
``throughput``, ``chunk_latency`` (with p99 and p99.9), ``chunk``/``replica``,
``chunk-aborts``, ``bid-queue-depth``, server ``rxbusy``/``diskbusy``/``disk-frame-bufs``,
and the invariant counters ``unreserved-data`` and ``late-data`` (always 0 here: SURGE's
"receiving data past bid deadline" warnings came from goroutine scheduling slack).

Reference defects fixed
-----------------------
The last candidate window is tried and all R right edges bound the window (quirk 7); bid
PDUs are counted once (quirk 6); parameters are per run (quirk 10); see
``docs/models/replicast.md``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from surge.config.params import param
from surge.models.registry import Model, register_model
from surge.network import NegotiatingGroup
from surge.protocols.bids import Bid, BidTimings, GatewayBidQueue, RegularBidQueue
from surge.protocols.replicast import (
    ReplicastCluster,
    ReplicastGateway,
    ReplicastServer,
    Transfer,
    resize_servers,
)
from surge.protocols.reservation import (
    ReplicastConfig,
    ReplicastParams,
    configure_replicast,
    replicast_servers,
)
from surge.stats.trace import V
from surge.storage.chunk import Chunk

__all__ = ["Replicast", "ReplicastModelParams"]

_MULTICAST = "multicast"
_UNICAST = "unicast"
#: SURGE model 7: when the bid window exceeds minduration by more than this many frames,
#: minduration grows by a third of the excess frames.
_SLACK_FRAMES = 4
_SLACK_DIVISOR = 3


@dataclass(frozen=True, slots=True)
class ReplicastModelParams(ReplicastParams):
    """Parameters of model 7: the Replicast set, the transport and the read option."""

    transport: str = param(_MULTICAST, choices=(_MULTICAST, _UNICAST),
                           help="data delivery: one multicast to the R servers, or R unicast "
                                "copies in one R-times-longer reservation")
    read: bool = param(False, help="one chosen server per chunk also reads a chunk (SURGE -r)")


def model7_config(p: ReplicastParams, unicast: bool) -> ReplicastConfig:
    """``configureReplicast`` plus model 7's minduration stretch."""
    cfg = configure_replicast(p, unicast=unicast)
    x = (cfg.bid_window - cfg.min_duration) // cfg.t_frame
    if x > _SLACK_FRAMES:
        cfg = dataclasses.replace(
            cfg, min_duration=cfg.t_chunk + cfg.t_frame * (x // _SLACK_DIVISOR))
    return cfg


class _Server(ReplicastServer):
    __slots__ = ()

    bids: RegularBidQueue

    def on_request(self, gateway: _Gateway) -> None:
        """A multicast put request: bid."""
        self.control_received()
        chunk = gateway.chunk
        assert chunk is not None
        delay = self.admission_delay()
        bid = self.bids.create(self.sim.now, chunk.id, gateway, self, disk_delay=delay)
        self.record_depth()
        trace = self.cluster.trace
        if trace.level >= V:
            trace.log(V, "srv-delayed-bid" if delay else "srv-bid", self.name, gateway.name,
                      f"c#{chunk.sid}", bid.left, bid.right)
        self.send_control(0, gateway.on_bid, bid.copy())

    def on_accept(self, msg: tuple[int, tuple[ReplicastServer, ...], int, int, object]) -> None:
        """A multicast accept: trim the bid if chosen, else cancel it."""
        self.control_received()
        chunk_id, rzv, begin, end, reader = msg
        if self in rzv:
            self.bids.accept(self.sim.now, chunk_id, begin, end)
            self.record_accept(chunk_id, begin, end)
            if reader is self:
                self.readers.add(chunk_id)
        else:
            self.bids.cancel(self.sim.now, chunk_id)


def _request(server: ReplicastServer, gateway: object) -> None:
    assert isinstance(server, _Server) and isinstance(gateway, _Gateway)
    server.on_request(gateway)


def _accept(server: ReplicastServer, msg: object) -> None:
    assert isinstance(server, _Server)
    server.on_accept(msg)  # type: ignore[arg-type]


class _Gateway(ReplicastGateway):
    __slots__ = ("gq", "group", "read", "rzv")

    def __init__(self, cluster: ReplicastCluster, node_id: int, read: bool) -> None:
        super().__init__(cluster, node_id)
        self.gq = GatewayBidQueue()
        self.group: NegotiatingGroup[ReplicastServer] | None = None
        self.rzv: tuple[ReplicastServer, ...] = ()
        self.read = read

    def start_chunk(self, _: object = None) -> None:
        """New chunk: multicast the put request to its negotiating group."""
        chunk = self.new_chunk()
        self.group = self.pick_group(chunk)
        self.gq.clear()
        self.multicast(self.group.members, _request, self)

    def on_bid(self, bid: Bid) -> None:
        """A bid; with all G in, select the window (or abort the chunk)."""
        self.control_received()
        chunk = self.chunk
        assert chunk is not None and self.group is not None
        if self.gq.receive(bid) < len(self.group):
            return
        c = self.c
        found = self.gq.find_best_intersection(self.sim.now, c.replicas, c.min_duration,
                                               c.t_ctl)
        trace = self.cluster.trace
        if found is None:
            self.cluster.metrics.chunk_aborts.values[self.index] += 1
            if trace.level >= 0:
                trace.log(0, "WARNING: chunk-abort", f"c#{chunk.sid}", self.name)
            self.multicast(self.group.members, _accept, (chunk.id, (), 0, 0, None))
            self.chunk = None
            self.start_chunk()
            return
        begin, end, chosen = found
        rzv = tuple(sorted((b.server for b in chosen), key=_node_id))
        self.rzv = rzv
        reader = rzv[chunk.id % c.replicas] if self.read else None
        if trace.level >= V:
            trace.log(V, "computed-bid", f"c#{chunk.sid}", begin, end, self.name,
                      ",".join(s.name for s in rzv))
        self.multicast(self.group.members, _accept, (chunk.id, rzv, begin, end, reader))
        if c.unicast:
            self._unicast_next(rzv, 0, chunk, begin)
        else:
            self.send_data(rzv, chunk.id, begin)

    def _unicast_next(self, rzv: tuple[ReplicastServer, ...], k: int, chunk: Chunk,
                      at: int) -> None:
        def after(_: Transfer) -> None:
            if k + 1 < len(rzv):
                self._unicast_next(rzv, k + 1, chunk, self.sim.now)

        self.send_data((rzv[k],), chunk.id, at, after)


def _node_id(node: ReplicastServer) -> int:
    return node.id


@register_model(
    "replicast",
    alias="7",
    description="Basic Replicast(tm): multicast negotiation, multicast data in reserved "
                "windows",
    params=ReplicastModelParams,
)
class Replicast(Model[ReplicastModelParams]):
    """SURGE model 7 on the surge engine (see the module docstring)."""

    def build(self) -> None:
        """Adjust the server count, create the cluster, start every gateway at time 0."""
        ctx, p = self.ctx, self.params
        servers, note = replicast_servers(ctx.servers, p.group_size,
                                          strict=p.strict_config, model="replicast")
        resize_servers(ctx.stats, gateways=ctx.gateways, requested=ctx.servers,
                       servers=servers, note=note, trace=ctx.trace)
        ctx.servers = servers
        cfg = model7_config(p, unicast=p.transport == _UNICAST)
        cluster = ReplicastCluster(self.sim, cfg, ctx.stats, ctx.trace,
                                   gateway_index=ctx.gateway_index,
                                   server_index=ctx.server_index)
        timings = BidTimings(cfg.t_ctl, cfg.trip, cfg.bid_window, cfg.t_chunk, cfg.gap)
        cluster.set_nodes(
            [_Gateway(cluster, i, p.read) for i in range(1, ctx.gateways + 1)],
            [_Server(cluster, i, RegularBidQueue(timings)) for i in range(1, servers + 1)])
        self.cluster = cluster
        cluster.start()
