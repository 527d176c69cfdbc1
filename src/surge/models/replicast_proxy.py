"""Model a, ``replicast-proxy``: reservation by a group proxy, unicast control, multicast data.

What it models and why
----------------------
SURGE's third Replicast design (April-May 2016). Instead of multicasting the request and
collecting G bids, the gateway sends **one unicast request to the group's proxy** (the
first server of the negotiating group). The proxy keeps a mirror of every member's
reservations and of each member's *predicted disk-completion time*
(:class:`~surge.protocols.reservation.ProxyMirror`); it alone picks the R members whose
disk writes would start earliest, grants them a common window (accepting on their behalf:
no accept message), tells them and the gateway, and the gateway multicasts the data as in
model 7. Load balancing targets the earliest *disk-write start*, not just link
availability.

Pipeline, per chunk
-------------------
1. gateway -> proxy: put request (``T_ctl + trip``).
2. proxy admission: its control egress (a datagram bucket at the control rate) must be
   free for the R + 1 PDUs it is about to send (``(R+1) x 300 x 8`` bits; SURGE charged
   bytes as bits); otherwise the request waits in a FIFO until it is.
3. proxy selection: for each of R slots, scan the members cyclically from a random index
   and keep the earliest predicted write start; the common window starts at the latest
   ``newleft`` of the chosen (each member's last window + trip, not before
   ``now + T_ctl + trip``) and is a bid window wide; the predicted disk horizons advance;
   the predicted chunk latency (``predicted-latency``) is the latest predicted write
   completion + ``T_ctl + trip`` - the chunk's creation time.
4. proxy -> each chosen member (its bid, already accepted) and proxy -> gateway (all R):
   ``T_ctl + trip``.
5. gateway: multicast the chunk from the window's left edge; members write, ack the
   gateway and tell the proxy (BidDone, with the member's real disk horizon), which
   re-derives that member's predicted horizon.

Timing, one gateway, idle servers (tested): request 3,424 + proxy bids 3,424 (the window
opens exactly then) + data 117,673 + trip 1,000 + ack 3,424 = **128,945 ns**; predicted
488,931 ns (the window's end plus a whole disk write: the proxy predicts write-through,
the servers ack write-back, as in SURGE's ``estimate-late``).

Reference defects fixed
-----------------------
The proxy's control bucket is charged bits, not bytes (quirk 12), and the check honours
the amount; a stale last window is clamped to now (quirk 13); per-run configuration
(quirk 10); tx bytes counted once per receiver.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from surge.config.params import param
from surge.models.registry import Model, register_model
from surge.network import DatagramBucket, NegotiatingGroup
from surge.protocols.bids import BidTimings, SparseBidQueue
from surge.protocols.replicast import (
    ReplicastCluster,
    ReplicastGateway,
    ReplicastServer,
    resize_servers,
)
from surge.protocols.reservation import (
    ProxyMirror,
    ReplicastParams,
    configure_replicast,
    replicast_servers,
)
from surge.stats import Kind, Metric, Scope
from surge.stats.trace import V

__all__ = ["ReplicastProxy", "ReplicastProxyParams"]

_BITS_PER_BYTE = 8


@dataclass(frozen=True, slots=True)
class ReplicastProxyParams(ReplicastParams):
    """Parameters of model a: the Replicast set and the read option."""

    read: bool = param(False, help="one chosen server per chunk also reads a chunk (SURGE -r)")


class _Member(ReplicastServer):
    __slots__ = ("proxy", "slot")

    bids: SparseBidQueue

    def __init__(self, cluster: ReplicastCluster, node_id: int, bids: SparseBidQueue) -> None:
        super().__init__(cluster, node_id, bids)
        self.proxy: _Member | None = None
        self.slot = 0

    def on_proxy_bid(self, msg: tuple[_Gateway, int, int, int, bool]) -> None:
        """The proxy granted this member a window: insert it, accepted."""
        gateway, chunk_id, left, right, reader = msg
        self.bids.add_accepted(self.sim.now, chunk_id, gateway, self, left=left,
                               right=right)
        self.record_accept(chunk_id, left, right)
        self.record_depth()
        if reader:
            self.readers.add(chunk_id)

    def replica_written(self, chunk_id: int) -> None:
        """Tell the proxy (BidDone, carrying the disk horizon)."""
        proxy = self.proxy
        assert proxy is not None
        msg = (self.slot, chunk_id, self.disk.last_io_done_ns)
        if proxy is self:
            proxy.on_bid_done(msg)
        else:
            self.send_control(0, proxy.on_bid_done, msg)

    def on_bid_done(self, msg: tuple[int, int, int]) -> None:  # pragma: no cover - proxy
        raise NotImplementedError


class _Proxy(_Member):
    __slots__ = ("bucket", "delayed", "group", "mirror", "predicted", "read", "rng")

    def __init__(self, cluster: ReplicastCluster, node_id: int, bids: SparseBidQueue,
                 read: bool) -> None:
        super().__init__(cluster, node_id, bids)
        self.bucket = DatagramBucket(cluster.sim, self.c.ctl_bps)
        self.delayed: deque[tuple[_Gateway, int, int]] = deque()
        self.mirror = ProxyMirror(self.c, self.c.group_size, cluster.sim.now)
        self.group: NegotiatingGroup[ReplicastServer] | None = None
        self.rng = cluster.sim.random.python(f"proxy-{self.name}")
        self.read = read
        self.predicted = cluster.stats.recorders["predicted-latency"]

    def on_request(self, msg: tuple[_Gateway, int, int]) -> None:
        """A put request: handle it now if the control bucket is free, else queue it."""
        self.control_received()
        if self.delayed or self.bucket.next_ns > self.sim.now:
            if not self.delayed:
                self.sim.schedule_at(self.bucket.next_ns, self._drain)
            self.delayed.append(msg)
            if self.cluster.trace.level >= V:
                self.cluster.trace.log(V, "proxy-delayed", self.name, msg[0].name)
            return
        self._handle(msg)

    def _drain(self, _: object = None) -> None:
        if self.bucket.next_ns > self.sim.now:
            self.sim.schedule_at(self.bucket.next_ns, self._drain)
            return
        self._handle(self.delayed.popleft())
        if self.delayed:
            self.sim.schedule_at(self.bucket.next_ns, self._drain)

    def _handle(self, msg: tuple[_Gateway, int, int]) -> None:
        gateway, chunk_id, created = msg
        c = self.c
        now = self.sim.now
        self.bucket.use((c.replicas + 1) * c.ctl_bytes * _BITS_PER_BYTE)
        group = self.group
        assert group is not None
        chosen, left = self.mirror.select(now, c.replicas, self.rng)
        right = left + c.bid_window
        members = group.members
        rzv = sorted((members[j] for j in chosen), key=_node_id)
        reader = rzv[chunk_id % c.replicas] if self.read else None
        latest = 0
        for j in chosen:
            latest = max(latest, self.mirror.reserve(j, chunk_id, left, right))
            member = members[j]
            assert isinstance(member, _Member)
            grant = (gateway, chunk_id, left, right, member is reader)
            if member is self:
                self.on_proxy_bid(grant)
            else:
                self.send_control(0, member.on_proxy_bid, grant)
        predicted = latest + c.t_ctl + c.trip - created
        self.predicted.record(predicted, gateway.index)  # type: ignore[union-attr]
        trace = self.cluster.trace
        if trace.level >= V:
            trace.log(V, "estimate-late", self.name, gateway.name, chunk_id, predicted)
        self.send_control(0, gateway.on_proxy_bids, (chunk_id, tuple(rzv), left))

    def on_bid_done(self, msg: tuple[int, int, int]) -> None:
        """A member's replica is written: re-derive its predicted disk horizon."""
        slot, chunk_id, last_io_done = msg
        if slot != self.slot:
            self.control_received()
        self.mirror.done(slot, chunk_id, last_io_done)


class _Gateway(ReplicastGateway):
    __slots__ = ()

    def start_chunk(self, _: object = None) -> None:
        """New chunk: one unicast request to the group's proxy."""
        chunk = self.new_chunk()
        group = self.pick_group(chunk)
        proxy = group.members[0]
        assert isinstance(proxy, _Proxy)
        self.unicast(proxy.on_request, (self, chunk.id, chunk.created_ns))

    def on_proxy_bids(self, msg: tuple[int, tuple[ReplicastServer, ...], int]) -> None:
        """The proxy's answer: multicast the chunk into the granted window."""
        self.control_received()
        chunk_id, rzv, left = msg
        self.send_data(rzv, chunk_id, max(left, self.sim.now))


def _node_id(node: ReplicastServer) -> int:
    return node.id


@register_model(
    "replicast-proxy",
    alias="a",
    description="Unicast proxied control, multicast data",
    params=ReplicastProxyParams,
)
class ReplicastProxy(Model[ReplicastProxyParams]):
    """SURGE model a on the surge engine (see the module docstring)."""

    def build(self) -> None:
        """Adjust the server count, create the cluster and proxies, start the gateways."""
        ctx, p = self.ctx, self.params
        servers, note = replicast_servers(ctx.servers, p.group_size,
                                          strict=p.strict_config, model="replicast-proxy")
        resize_servers(ctx.stats, gateways=ctx.gateways, requested=ctx.servers,
                       servers=servers, note=note, trace=ctx.trace)
        ctx.servers = servers
        cfg = configure_replicast(p)
        cluster = ReplicastCluster(self.sim, cfg, ctx.stats, ctx.trace,
                                   gateway_index=ctx.gateway_index,
                                   server_index=ctx.server_index)
        ctx.stats.distribution(Metric(
            "predicted-latency", Kind.DISTRIBUTION, Scope.GATEWAY, "ns",
            "the proxy's predicted chunk latency (SURGE's estimate-late): the end of the "
            "latest reserved disk write + T_ctl + trip - chunk creation"))
        timings = BidTimings(cfg.t_ctl, cfg.trip, cfg.bid_window, cfg.t_chunk, cfg.gap)
        nodes: list[ReplicastServer] = []
        for i in range(1, servers + 1):
            queue = SparseBidQueue(timings)
            if (i - 1) % p.group_size == 0:
                nodes.append(_Proxy(cluster, i, queue, p.read))
            else:
                nodes.append(_Member(cluster, i, queue))
        cluster.set_nodes([_Gateway(cluster, i) for i in range(1, ctx.gateways + 1)], nodes)
        for group in cluster.groups:
            proxy = group.members[0]
            assert isinstance(proxy, _Proxy)
            proxy.group = group
            for slot, member in enumerate(group.members):
                assert isinstance(member, _Member)
                member.proxy = proxy
                member.slot = slot
        self.cluster = cluster
        cluster.start()
