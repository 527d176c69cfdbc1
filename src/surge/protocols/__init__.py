"""surge.protocols: storage protocol machinery shared by several models.

A protocol module holds what two or more models have in common (the unicast gateway
engine and server receive path of models 5 and 6), so that models never import each
other. Imports ``sim``, ``config``, ``network``, ``storage`` and ``stats``.
"""

from surge.protocols.unicast import (
    BUCKET_BITS,
    UnicastCluster,
    UnicastConfig,
    UnicastGateway,
    UnicastMetrics,
    UnicastParams,
    UnicastServer,
)

__all__ = [
    "BUCKET_BITS",
    "UnicastCluster",
    "UnicastConfig",
    "UnicastGateway",
    "UnicastMetrics",
    "UnicastParams",
    "UnicastServer",
]
