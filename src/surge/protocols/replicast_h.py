"""Replicast-H: multicast negotiation, unicast data (models 8 and 9), written once.

For networks without multicast data delivery: negotiation is still multicast within the
negotiating group, but each of the R replicas is sent unicast in its own reserved window,
so the gateway looks for a *sequence* of back-to-back windows (one per server), not a
common overlap; and it negotiates incrementally: when fewer than R good windows come back
it accepts what it has and asks the rest of the group again for windows after the last
one ("request more replicas").

Gateway, per chunk (state: rendezvous group, accepted windows, ``maxbidwait``):

1. new chunk: pick the group; ``maxbidwait <- (maxbidwait + previous) / 2``; request.
2. request (``winleft``): multicast a put request to every member not yet chosen, asking
   for windows at or after ``winleft`` (and after every window already accepted).
3. with every asked member's bid in: :meth:`GatewayBidQueue.filter_best_sequence` picks up
   to ``R - chosen`` back-to-back windows of ``minduration``; if the best starts
   ``>= 2 * maxbidwait`` from now, *abort-retry*: cancel them all, double ``maxbidwait``
   and ask again ``maxbidwait / 4`` later; else multicast the accept, carrying each
   chosen member's trimmed window (no shared memory: SURGE's gateway trimmed the
   server's bid object directly), and schedule one unicast transfer per window at its
   left edge; if replicas are still missing, ask again at the last window's left edge
   for windows after its right edge.
4. R acks: chunk done.

Servers use the sparse queue (model 8) or the double-booking queue (model 9); with double
booking, an accept may reject the twin booking, and the server sends that gateway a
*late reject*; the gateway drops the server from its rendezvous group, calls off the
transfer (its window has not opened: the double-booking rule guarantees it) and asks for a
replacement.

Configuration (SURGE): bid multiplier 110 % (120 % if the window would be shorter than
three frames), ``minduration = bid window - trip``: 130,553 and 129,553 ns by default.
``max_bid_wait_ns`` starts at SURGE's 6 us (computed by SURGE with ``T_ctl`` still 0;
quirk 9, kept as the default and exposed as a parameter).

Reference defects fixed: data bytes counted once (quirk 6); windows in the accept message
(quirk 8); a re-request after an abort-retry never asks for windows overlapping an
already-accepted one (SURGE's ``lastright = now + maxbidwait/4`` could, making two unicast
transfers of one gateway overlap on its link).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from surge.config.params import param
from surge.network import NegotiatingGroup
from surge.protocols.bids import (
    Bid,
    BidState,
    BidTimings,
    DoubleBookingBidQueue,
    GatewayBidQueue,
    SparseBidQueue,
)
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
from surge.sim.units import US
from surge.stats.trace import V

if TYPE_CHECKING:
    from surge.protocols.context import RunContextLike

__all__ = ["HGateway", "HServer", "ReplicastHParams", "replicast_h_cluster", "replicast_h_config"]

_H_MULTIPLIER_PCT = 110
_H_RETRY_MULTIPLIER_PCT = 120
_MIN_WINDOW_FRAMES = 3
_MAX_BID_WAIT_NS = 6 * US
_RETRY_DIVISOR = 4
_WAIT_FACTOR = 2


@dataclass(frozen=True, slots=True)
class ReplicastHParams(ReplicastParams):
    """Parameters of models 8 and 9: the Replicast set with SURGE's 110 % bid window."""

    bid_multiplier_pct: int = param(_H_MULTIPLIER_PCT, unit="%", minimum=100,
                                    help="bid window = (T_chunk + trip) x this / 100 (120 if "
                                         "that is shorter than three frames)")
    max_bid_wait_ns: int = param(_MAX_BID_WAIT_NS, unit="ns", minimum=1,
                                 help="initial maxbidwait: a best bid starting 2x this "
                                      "from now is renegotiated (SURGE: 6us)")


def replicast_h_config(p: ReplicastParams) -> ReplicastConfig:
    """Models 8 and 9: 110 % (or 120 %) bid window, ``minduration = window - trip``."""
    cfg = configure_replicast(p)
    if cfg.bid_window < _MIN_WINDOW_FRAMES * cfg.t_frame:
        cfg = configure_replicast(p, bid_multiplier_pct=_H_RETRY_MULTIPLIER_PCT)
    return dataclasses.replace(cfg, min_duration=cfg.bid_window - cfg.trip)


def replicast_h_cluster(ctx: RunContextLike, p: ReplicastHParams, *, model: str,
                        bid_queue: Callable[[BidTimings], SparseBidQueue]) -> ReplicastCluster:
    """The cluster of a Replicast-H model (8 or 9): servers differ only by their bid queue.

    Adjusts the server count to SURGE's negotiating-group rule first (the collector's node
    list and ``ctx.servers`` follow; see :func:`~surge.protocols.replicast.resize_servers`),
    then creates the gateways and the servers. The caller starts the cluster.

    Args:
        ctx: the run (simulation, cluster size, stats, trace, node indexes).
        p: the model's parameters.
        model: the model's name, for notes and errors.
        bid_queue: makes a server's bid queue from the bid timings
            (:class:`~surge.protocols.bids.SparseBidQueue`, or the double-booking one).

    Raises:
        ConfigError: ``strict_config`` and the server count breaks SURGE's rule.
    """
    servers, note = replicast_servers(ctx.servers, p.group_size, strict=p.strict_config,
                                      model=model)
    resize_servers(ctx.stats, gateways=ctx.gateways, requested=ctx.servers, servers=servers,
                   note=note, trace=ctx.trace)
    ctx.servers = servers
    cfg = replicast_h_config(p)
    cluster = ReplicastCluster(ctx.sim, cfg, ctx.stats, ctx.trace,
                               gateway_index=ctx.gateway_index, server_index=ctx.server_index)
    timings = BidTimings(cfg.t_ctl, cfg.trip, cfg.bid_window, cfg.t_chunk, cfg.gap)
    cluster.set_nodes(
        [HGateway(cluster, i, p.max_bid_wait_ns) for i in range(1, ctx.gateways + 1)],
        [HServer(cluster, i, bid_queue(timings)) for i in range(1, servers + 1)])
    return cluster


class HServer(ReplicastServer):
    """A Replicast-H server: sparse (or double-booking) bids, unicast receive."""

    __slots__ = ()

    bids: SparseBidQueue

    def on_request(self, msg: tuple[HGateway, int, int, int]) -> None:
        """A put request (round, winleft): bid at or after winleft."""
        self.control_received()
        gateway, chunk_id, round_id, winleft = msg
        delay = self.admission_delay()
        queue = self.bids
        before = queue.double_bookings if isinstance(queue, DoubleBookingBidQueue) else 0
        bid = queue.create(self.sim.now, chunk_id, gateway, self, disk_delay=delay,
                           rwin_left=winleft)
        if isinstance(queue, DoubleBookingBidQueue) and queue.double_bookings > before:
            self.cluster.metrics.double_bookings.values[self.index] += 1
        self.record_depth()
        trace = self.cluster.trace
        if trace.level >= V:
            trace.log(V, "srv-delayed-bid" if delay else "srv-bid", self.name, gateway.name,
                      chunk_id, bid.left, bid.right)
        self.send_control(0, gateway.on_bid, (round_id, bid.copy()))

    def on_accept(self, msg: tuple[HGateway, int, dict[ReplicastServer, tuple[int, int]]]
                  ) -> None:
        """An accept: chosen -> accept the carried window; else cancel."""
        self.control_received()
        _, chunk_id, chosen = msg
        now = self.sim.now
        window = chosen.get(self)
        if window is None:
            self.bids.cancel(now, chunk_id)
            return
        twin, state = self.bids.accept(now, chunk_id, *window)
        if state is BidState.REJECTED:
            return
        self.record_accept(chunk_id, *window)
        if twin is not None:
            owner = twin.owner
            assert isinstance(owner, HGateway)
            self.cluster.metrics.late_rejects.values[self.index] += 1
            trace = self.cluster.trace
            if trace.level >= V:
                trace.log(V, "srv-accept-send", self.name, owner.name, twin.chunk_id)
            self.send_control(0, owner.on_late_reject, (twin.chunk_id, self))


def _request(server: ReplicastServer, msg: Any) -> None:
    assert isinstance(server, HServer)
    server.on_request(msg)


def _accept(server: ReplicastServer, msg: Any) -> None:
    assert isinstance(server, HServer)
    server.on_accept(msg)


class HGateway(ReplicastGateway):
    """A Replicast-H gateway (see the module docstring)."""

    __slots__ = ("asked", "ctl_free", "gq", "group", "max_wait", "max_wait_prev", "received",
                 "req_gen", "request_at", "round_id", "rzv", "transfers", "waiting",
                 "windows")

    def __init__(self, cluster: ReplicastCluster, node_id: int, max_bid_wait_ns: int) -> None:
        super().__init__(cluster, node_id)
        self.gq = GatewayBidQueue()
        self.group: NegotiatingGroup[ReplicastServer] | None = None
        self.rzv: list[ReplicastServer] = []
        self.windows: dict[ReplicastServer, tuple[int, int]] = {}
        self.transfers: dict[ReplicastServer, Transfer] = {}
        self.asked: tuple[ReplicastServer, ...] = ()
        self.max_wait = max_bid_wait_ns
        self.max_wait_prev = max_bid_wait_ns
        self.ctl_free = 0
        self.round_id = 0
        self.received = 0
        self.waiting = False
        self.req_gen = 0
        self.request_at: int | None = None

    def _multicast(self, members: tuple[ReplicastServer, ...], handler: Any, arg: Any) -> None:
        self.multicast(members, handler, arg)
        self.ctl_free = self.sim.now + self.c.t_ctl

    def start_chunk(self, _: object = None) -> None:
        """New chunk: pick the group, update maxbidwait, request bids."""
        chunk = self.new_chunk()
        self.group = self.pick_group(chunk)
        self.max_wait, self.max_wait_prev = (self.max_wait + self.max_wait_prev) // 2, \
            self.max_wait
        self.rzv = []
        self.windows = {}
        self.transfers = {}
        self.request_more(self.sim.now)

    def request_more(self, left: int) -> None:
        """Ask every member not yet chosen for a window at or after ``left``."""
        chunk = self.chunk
        assert chunk is not None and self.group is not None
        self.req_gen += 1
        self.request_at = None
        self.gq.clear()
        self.round_id += 1
        self.received = 0
        self.waiting = True
        winleft = max([left] + [right for _, right in self.windows.values()])
        self.asked = tuple(m for m in self.group.members if m not in self.rzv)
        self._multicast(self.asked, _request, (self, chunk.id, self.round_id, winleft))

    def _schedule_more(self, at: int, left: int) -> None:
        at = max(at, self.ctl_free + self.c.trip + self.c.t_ctl // 2, self.sim.now)
        self.req_gen += 1
        self.request_at = at
        self.sim.schedule_at(at, self._request_due, (self.req_gen, left))

    def _request_due(self, msg: tuple[int, int]) -> None:
        gen, left = msg
        if gen == self.req_gen and self.chunk is not None:
            self.request_more(left)

    def on_bid(self, msg: tuple[int, Bid]) -> None:
        """A bid of the current round; with every asked member's in, select."""
        self.control_received()
        round_id, bid = msg
        if round_id != self.round_id or not self.waiting:  # pragma: no cover - defensive
            return
        self.gq.receive(bid)
        self.received += 1
        if self.received < len(self.asked):
            return
        self.waiting = False
        self._select()

    def _select(self) -> None:
        chunk = self.chunk
        assert chunk is not None
        c = self.c
        now = self.sim.now
        need = c.replicas - len(self.rzv)
        picks = self.gq.filter_best_sequence(need, c.min_duration, c.t_ctl + c.trip)
        trace = self.cluster.trace
        if not picks or picks[0][1] - now >= _WAIT_FACTOR * self.max_wait:
            self.cluster.metrics.abort_retries.values[self.index] += 1
            self.max_wait *= _WAIT_FACTOR
            if trace.level >= 0:
                trace.log(0, "WARNING: abort-retry", f"c#{chunk.sid}", self.name,
                          picks[0][1] - now if picks else -1, self.max_wait)
            self.gq.clear()
            self._multicast(self.asked, _accept, (self, chunk.id, {}))
            retry = now + self.max_wait // _RETRY_DIVISOR
            self._schedule_more(retry, retry)
            return
        chosen = {bid.server: (left, right) for bid, left, right in picks}
        self._multicast(self.asked, _accept, (self, chunk.id, chosen))
        for server, (left, right) in chosen.items():
            self.rzv.append(server)
            self.windows[server] = (left, right)
            self.transfers[server] = self.send_data((server,), chunk.id, left)
        if trace.level >= V:
            trace.log(V, "bid-sequence" if len(chosen) > 1 else "bid-single",
                      f"c#{chunk.sid}", self.name,
                      ";".join(f"{s.name}:{w[0]}-{w[1]}" for s, w in chosen.items()))
        if len(self.rzv) < c.replicas:
            last_left, last_right = picks[-1][1], picks[-1][2]
            self._schedule_more(last_left, last_right)

    def on_late_reject(self, msg: tuple[int, ReplicastServer]) -> None:
        """A late reject (model 9): drop the server, call its transfer off, ask again."""
        self.control_received()
        chunk_id, server = msg
        chunk = self.chunk
        if chunk is None or chunk.id != chunk_id:  # pragma: no cover - defensive
            return
        self.gq.reject(server)
        trace = self.cluster.trace
        if server not in self.rzv:
            if trace.level >= V:
                trace.log(V, "gwy-reject-not-selected", self.name, server.name)
            return
        left, _ = self.windows.pop(server)
        if left <= self.sim.now:
            raise RuntimeError(f"{self.name}: late reject from {server.name} after its window "
                               f"opened at {left}")
        self.rzv.remove(server)
        self.transfers.pop(server).canceled = True
        if trace.level >= V:
            trace.log(V, "gwy-late-reject", self.name, server.name, chunk_id)
        if self.waiting:
            return  # the round in flight will ask for the missing replica
        if self.request_at is not None and self.request_at <= self.sim.now + self.c.t_ctl:
            return
        lastright = max([self.sim.now] + [r for _, r in self.windows.values()])
        self._schedule_more(self.sim.now, lastright)

    def chunk_done(self, _: object) -> None:
        """Forget the chunk's negotiation state."""
        self.req_gen += 1
        self.request_at = None
        self.gq.clear()
        self.rzv = []
        self.windows = {}
        self.transfers = {}
