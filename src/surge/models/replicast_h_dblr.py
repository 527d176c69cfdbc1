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
from surge.protocols.bids import DoubleBookingBidQueue
from surge.protocols.replicast_h import ReplicastHParams, replicast_h_cluster

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
        self.cluster = replicast_h_cluster(self.ctx, self.params, model="replicast-h-dblr",
                                           bid_queue=DoubleBookingBidQueue)
        self.cluster.start()
