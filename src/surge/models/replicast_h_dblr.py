"""Model 9, ``replicast-h-dblr``: Replicast-H with double booking and late rejection.

What it models and why
----------------------
In Replicast-H (model 8) a server's tentative bid blocks its window while the gateway
decides, and often that gateway picks someone else. Here a server may *double-book*: it
offers the window of a young tentative bid to a second gateway, provided the window opens
late enough for a late reject to reach that gateway in time (three control round trips
after the first bid was made, plus two trips). When the first gateway accepts, the
server rejects the second booking late (a LateReject message); that gateway drops the
server from its rendezvous group, calls the transfer off and asks for a replacement. If
the first gateway cancels, the second booking simply stands.

The protocol is model 8's (:mod:`surge.protocols.replicast_h`); the servers use
:class:`~surge.protocols.bids.DoubleBookingBidQueue`.

What to read in the results
---------------------------
As model 8, plus ``double-bookings`` and ``late-rejects`` (per server). The invariants
hold as in the other models: a rejected twin never receives data (the gateway calls the
transfer off before its window opens), and accepted windows never overlap.
"""

from __future__ import annotations

from surge.models.registry import Model, register_model
from surge.protocols.bids import BidTimings, DoubleBookingBidQueue
from surge.protocols.replicast import ReplicastCluster, resize_servers
from surge.protocols.replicast_h import HGateway, HServer, ReplicastHParams, replicast_h_config
from surge.protocols.reservation import replicast_servers

__all__ = ["ReplicastHDblr"]


@register_model(
    "replicast-h-dblr",
    alias="9",
    description="Replicast-H: multicast control with unicast data delivery, double-booking "
                "and late rejection",
    params=ReplicastHParams,
)
class ReplicastHDblr(Model[ReplicastHParams]):
    """SURGE model 9 on the surge engine (see the module docstring)."""

    def build(self) -> None:
        """Adjust the server count, create the cluster, start every gateway at time 0."""
        ctx, p = self.ctx, self.params
        servers, note = replicast_servers(ctx.servers, p.group_size,
                                          strict=p.strict_config, model="replicast-h-dblr")
        resize_servers(ctx.stats, gateways=ctx.gateways, requested=ctx.servers,
                       servers=servers, note=note, trace=ctx.trace)
        ctx.servers = servers
        cfg = replicast_h_config(p)
        cluster = ReplicastCluster(self.sim, cfg, ctx.stats, ctx.trace,
                                   gateway_index=ctx.gateway_index,
                                   server_index=ctx.server_index)
        timings = BidTimings(cfg.t_ctl, cfg.trip, cfg.bid_window, cfg.t_chunk, cfg.gap)
        cluster.set_nodes(
            [HGateway(cluster, i, p.max_bid_wait_ns) for i in range(1, ctx.gateways + 1)],
            [HServer(cluster, i, DoubleBookingBidQueue(timings))
             for i in range(1, servers + 1)])
        self.cluster = cluster
        cluster.start()
