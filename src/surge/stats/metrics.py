"""Declared metrics: a name, a kind, a scope and a unit, as in SURGE's stats descriptors.

A model declares what it measures once, up front; recorders and reports are derived from
the declaration, so that a metric's meaning (what is counted, over which nodes, in which
unit) travels with its numbers into every report and the ``--json`` document.

Kinds (SURGE's ``StatsKindEnum`` plus what SURGE lacks):

* ``count``: events counted per node (chunks, replicas, pings);
* ``bytes``: a byte count per node (txbytes, rxbytes);
* ``rate``: a byte count reported per simulated second (``throughput``, B/s): recorded
  like ``bytes``, reported as bytes/s over the run, per node and per interval;
* ``samples``: a level sampled once per stats interval (a disk queue depth), reported as
  its average over intervals;
* ``percent``: a busy fraction (busy ns / elapsed ns) per node, reported in %;
* ``distribution``: individual samples (latencies in ns) with percentiles.

Scopes (SURGE's flags): ``gateway``, ``server``, ``node`` (any role, every node listed
individually); a metric may cover gateways and servers at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Flag, StrEnum, auto

__all__ = ["Kind", "Metric", "Scope"]

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


class Kind(StrEnum):
    """What a metric's numbers are."""

    COUNT = "count"
    BYTES = "bytes"
    RATE = "rate"
    SAMPLES = "samples"
    PERCENT = "percent"
    DISTRIBUTION = "distribution"


class Scope(Flag):
    """Which nodes a metric is kept for (combine with ``|``)."""

    GATEWAY = auto()
    SERVER = auto()
    NODE = auto()

    def covers(self, role: str) -> bool:
        """True if a node of ``role`` ("gateway", "server" or a model's own) is in scope."""
        if Scope.NODE in self:
            return True
        if role == "gateway":
            return Scope.GATEWAY in self
        if role == "server":
            return Scope.SERVER in self
        return False

    def label(self) -> str:
        """``"gateway|server"`` style text, for reports and JSON."""
        return "|".join(m.name.lower() for m in Scope if m in self and m.name)


@dataclass(frozen=True, slots=True)
class Metric:
    """The declaration of one metric.

    Attributes:
        name: lower-case identifier, unique within a model (``chunk_latency``, ``txbytes``).
        kind: what the numbers are.
        scope: which nodes it is kept for.
        unit: unit of one value (``"chunk"``, ``"B"``, ``"ns"``, ``"%"``, ``"frames"``).
        description: one sentence for reports.
    """

    name: str
    kind: Kind
    scope: Scope
    unit: str
    description: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(
                f"metric name must be lower-case letters, digits, '-' or '_', got {self.name!r}"
            )
        if not isinstance(self.kind, Kind):
            raise ValueError(f"metric {self.name!r}: kind must be a Kind, got {self.kind!r}")
        if not isinstance(self.scope, Scope):
            raise ValueError(f"metric {self.name!r}: scope must be a Scope, got {self.scope!r}")
