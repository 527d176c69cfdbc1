"""surge.network: network primitives for cluster models.

Nodes and their numbering (:mod:`~surge.network.node`), point-to-point links with
bandwidth, L2 overhead, frames, FIFO serialization and latency
(:mod:`~surge.network.link`), multicast, negotiating and rendezvous groups
(:mod:`~surge.network.multicast`), rate buckets (:mod:`~surge.network.buckets`) and
per-transfer flows (:mod:`~surge.network.flow`). Time is integer ns from :mod:`surge.sim`,
the only package this one imports.
"""

from surge.network.buckets import (
    AIMD_ADD_EVERY_BITS,
    AIMDBucket,
    DatagramBucket,
    DummyBucket,
    RateBucket,
    TokenBucket,
)
from surge.network.flow import Flow, FlowDirectory
from surge.network.link import (
    JUMBO_FRAME_BYTES,
    Frame,
    IdealLink,
    Link,
    LinkLike,
    LinkStats,
    effective_bits_per_s,
)
from surge.network.multicast import (
    MulticastGroup,
    NegotiatingGroup,
    RendezvousGroup,
    negotiating_groups,
    next_negotiating_group,
)
from surge.network.node import ROLE_PREFIXES, Node, Role, Topology

__all__ = [
    "AIMD_ADD_EVERY_BITS",
    "JUMBO_FRAME_BYTES",
    "ROLE_PREFIXES",
    "AIMDBucket",
    "DatagramBucket",
    "DummyBucket",
    "Flow",
    "FlowDirectory",
    "Frame",
    "IdealLink",
    "Link",
    "LinkLike",
    "LinkStats",
    "MulticastGroup",
    "NegotiatingGroup",
    "Node",
    "RateBucket",
    "RendezvousGroup",
    "Role",
    "TokenBucket",
    "Topology",
    "effective_bits_per_s",
    "negotiating_groups",
    "next_negotiating_group",
]
