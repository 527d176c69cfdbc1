"""What protocol code reads of a model's run context.

A model is built from a :class:`surge.models.RunContext` (simulation, cluster size, stats
collector, trace, node indexes). ``models`` sits above ``protocols`` in the import order,
so a protocol helper that builds a whole cluster for a model names the part it reads as a
:class:`typing.Protocol`; a ``RunContext`` satisfies it as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from surge.sim import Simulation
    from surge.stats import StatsCollector, Trace

__all__ = ["RunContextLike"]


class RunContextLike(Protocol):
    """The run a protocol helper builds a cluster for (a :class:`surge.models.RunContext`).

    Attributes:
        sim: the simulation (clock, heap, random streams).
        gateways, servers: cluster size (a helper may adjust ``servers``).
        stats: the collector where metrics are declared.
        trace: the event trace.
    """

    sim: Simulation
    gateways: int
    servers: int
    stats: StatsCollector
    trace: Trace

    def gateway_index(self, gateway_id: int) -> int:
        """Global node index of gateway ``gateway_id`` (1-based, as ``I#01``)."""
        ...

    def server_index(self, server_id: int) -> int:
        """Global node index of server ``server_id`` (1-based, as ``T#01``)."""
        ...
