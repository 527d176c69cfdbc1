"""surge.sim: the discrete-event engine (integer-nanosecond clock, heap, processes, RNG).

Knows nothing about networks, storage or models. See :mod:`surge.sim.core` for the design.
"""

from surge.sim.core import LATE, NORMAL, URGENT, SchedulingError, Simulation, StopSimulation
from surge.sim.events import AllOf, AnyOf, Event, Process, Timeout
from surge.sim.monitor import LevelMonitor, LevelStats
from surge.sim.random import RandomStreams
from surge.sim.resources import Request, Resource, ResourceStats
from surge.sim.units import (
    GBPS,
    KIB,
    MIB,
    MS,
    NS,
    US,
    S,
    format_duration,
    ms,
    ns,
    parse_duration,
    parse_rate,
    parse_size,
    s,
    serialization_ns,
    us,
)

__all__ = [
    "GBPS",
    "KIB",
    "LATE",
    "MIB",
    "MS",
    "NORMAL",
    "NS",
    "URGENT",
    "US",
    "AllOf",
    "AnyOf",
    "Event",
    "LevelMonitor",
    "LevelStats",
    "Process",
    "RandomStreams",
    "Request",
    "Resource",
    "ResourceStats",
    "S",
    "SchedulingError",
    "Simulation",
    "StopSimulation",
    "Timeout",
    "format_duration",
    "ms",
    "ns",
    "parse_duration",
    "parse_rate",
    "parse_size",
    "s",
    "serialization_ns",
    "us",
]
