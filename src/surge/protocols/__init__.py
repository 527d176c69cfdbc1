"""surge.protocols: storage protocol machinery shared by several models.

A protocol module holds what two or more models have in common (the random-event engine
of models 1, 1.1, 2 and 2.1; the unicast gateway engine and server receive path of models
5 and 6; the bid queues, window selection, Replicast engine and Replicast-H protocol of
models 7, 8, 9 and a; the common storage-protocol statistics of models 5 to c), so that
models never import each other. Imports ``sim``, ``config``, ``network``, ``storage`` and
``stats``.
"""

from surge.protocols.bids import (
    Bid,
    BidQueue,
    BidState,
    BidTimings,
    DoubleBookingBidQueue,
    GatewayBidQueue,
    RegularBidQueue,
    SparseBidQueue,
)
from surge.protocols.context import RunContextLike
from surge.protocols.metrics import DiskServer, StorageMetrics, declare_disk_probes
from surge.protocols.replicast import (
    ReplicastCluster,
    ReplicastConfigNote,
    ReplicastGateway,
    ReplicastMetrics,
    ReplicastServer,
    Transfer,
    resize_servers,
)
from surge.protocols.replicast_h import (
    HGateway,
    HServer,
    ReplicastHParams,
    replicast_h_cluster,
    replicast_h_config,
)
from surge.protocols.reservation import (
    ProxyMirror,
    ReplicastConfig,
    ReplicastParams,
    best_intersection,
    best_sequence,
    configure_replicast,
    replicast_servers,
)
from surge.protocols.traffic import (
    EventCluster,
    EventNode,
    EventParams,
    FixedInterval,
    IntervalWithBackoff,
    Pacing,
    PeerChoice,
    TokenBucketPacing,
)
from surge.protocols.unicast import (
    BUCKET_BITS,
    UnicastCluster,
    UnicastConfig,
    UnicastGateway,
    UnicastMetrics,
    UnicastParams,
    UnicastServer,
    unicast_cluster,
)

__all__ = [
    "BUCKET_BITS",
    "Bid",
    "BidQueue",
    "BidState",
    "BidTimings",
    "DiskServer",
    "DoubleBookingBidQueue",
    "EventCluster",
    "EventNode",
    "EventParams",
    "FixedInterval",
    "GatewayBidQueue",
    "HGateway",
    "HServer",
    "IntervalWithBackoff",
    "Pacing",
    "PeerChoice",
    "ProxyMirror",
    "RegularBidQueue",
    "ReplicastCluster",
    "ReplicastConfig",
    "ReplicastConfigNote",
    "ReplicastGateway",
    "ReplicastHParams",
    "ReplicastMetrics",
    "ReplicastParams",
    "ReplicastServer",
    "RunContextLike",
    "SparseBidQueue",
    "StorageMetrics",
    "TokenBucketPacing",
    "Transfer",
    "UnicastCluster",
    "UnicastConfig",
    "UnicastGateway",
    "UnicastMetrics",
    "UnicastParams",
    "UnicastServer",
    "best_intersection",
    "best_sequence",
    "configure_replicast",
    "declare_disk_probes",
    "replicast_h_cluster",
    "replicast_h_config",
    "replicast_servers",
    "resize_servers",
    "unicast_cluster",
]
