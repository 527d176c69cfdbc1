"""Model 8, ``replicast-h``: Replicast-H, multicast negotiation with unicast data.

What it models and why
----------------------
Replicast for networks without multicast data delivery (SURGE's "Replicast-H"): the
gateway still negotiates by multicast inside a negotiating group, but sends each of the R
replicas unicast in its own reserved window. It therefore looks for a *sequence* of
back-to-back windows, and negotiates incrementally, asking the rest of the group for
more windows when fewer than R good ones came back. The protocol is
:mod:`surge.protocols.replicast_h`; servers use the sparse bid queue
(:class:`~surge.protocols.bids.SparseBidQueue`).

Timing, one gateway, idle servers: request 3,424 + bid 3,424; three back-to-back windows
of 129,553 ns from the first bid's left edge (``now + T_ctl``); each replica's last frame
arrives 117,673 + 1,000 ns after its window opens and is acked 3,424 ns later. Chunk
latency: 3,424 + 3,424 + 2,424 + 2 x 129,553 + 117,673 + 1,000 + 3,424 = **390,475 ns**.

What to read in the results
---------------------------
As model 7, plus ``abort-retries`` (negotiations restarted because the best window was
too far away; SURGE's 6 us initial ``maxbidwait`` makes them frequent early on).

Reference defects fixed: see :mod:`surge.protocols.replicast_h` (gateway data bytes
counted once, trimmed windows carried in the accept message, per-run configuration).
"""

from __future__ import annotations

from surge.models.registry import Model, register_model
from surge.protocols.bids import SparseBidQueue
from surge.protocols.replicast_h import ReplicastHParams, replicast_h_cluster

__all__ = ["ReplicastH"]


@register_model(
    "replicast-h",
    alias="8",
    description="Replicast-H: multicast control with unicast data delivery",
    params=ReplicastHParams,
)
class ReplicastH(Model[ReplicastHParams]):
    """SURGE model 8 on the surge engine (see the module docstring)."""

    def build(self) -> None:
        """Adjust the server count, create the cluster, start every gateway at time 0."""
        self.cluster = replicast_h_cluster(self.ctx, self.params, model="replicast-h",
                                           bid_queue=SparseBidQueue)
        self.cluster.start()
