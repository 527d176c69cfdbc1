"""Recorders and the interval collector: what a model writes to while it runs.

Design
------
Hot model code must pay almost nothing to count. A :class:`Counter` is a plain list of
ints indexed by the node's global index (gateways first, then servers, then any other
nodes, in the order the model registered them): ``txbytes.values[i] += size`` is one list
store. A :class:`Distribution` appends ``(time, value, node)`` to three lists. A
:class:`Sampled` metric is a probe the collector calls once per interval.

The runner advances the simulation one stats interval at a time (``sim.run(until=t)``) and
calls :meth:`StatsCollector.snapshot` at every boundary, when, by the time rule, every
event before the boundary has run. Counters are snapshotted cumulatively, so per-interval
series are differences of consecutive snapshots: the time series that reveal periodic dips
cost one list copy per interval.

SURGE's final summary omitted the last, uncollected interval (rates came out about 1%
low); here the runner always takes a final snapshot at the end time, so totals are exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from surge.stats.metrics import Kind, Metric

if TYPE_CHECKING:
    from surge.sim.core import Simulation

__all__ = ["Counter", "Distribution", "NodeInfo", "Sampled", "StatsCollector"]


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """A node as statistics know it: display name (``I#01``) and role (``gateway``)."""

    name: str
    role: str


class Counter:
    """A cumulative per-node count (kind ``count``, ``bytes`` or ``rate``).

    Attributes:
        values: one int per node, indexed by the node's global index.
    """

    __slots__ = ("metric", "values")

    def __init__(self, metric: Metric, n_nodes: int) -> None:
        self.metric = metric
        self.values: list[int] = [0] * n_nodes

    def add(self, node_index: int, amount: int = 1) -> None:
        """Add ``amount`` to node ``node_index``'s count."""
        self.values[node_index] += amount


class Distribution:
    """Individual samples (e.g. latencies, ns) with the time and node they belong to."""

    __slots__ = ("_sim", "metric", "nodes", "times", "values")

    def __init__(self, metric: Metric, sim: Simulation) -> None:
        self.metric = metric
        self._sim = sim
        self.values: list[int | float] = []
        self.times: list[int] = []
        self.nodes: list[int] = []

    def record(self, value: float, node_index: int = -1) -> None:
        """Record one sample at the current simulated time (``node_index`` -1: none)."""
        self.values.append(value)
        self.times.append(self._sim._now)
        self.nodes.append(node_index)


class Sampled:
    """A per-node probe read once per interval (kind ``samples`` or ``percent``).

    For ``samples`` the probe returns the current level (e.g. disk queue depth in frames);
    for ``percent`` it returns the node's cumulative busy time in ns up to now.
    """

    __slots__ = ("metric", "probe")

    def __init__(self, metric: Metric, probe: Callable[[int], float]) -> None:
        self.metric = metric
        self.probe = probe


Recorder = Counter | Distribution | Sampled


class StatsCollector:
    """All recorders of one run, and their snapshots at interval boundaries.

    Args:
        sim: the simulation (for sample times).
        nodes: every node, in global-index order.
        interval_ns: the stats interval, ns (the runner snapshots at its multiples).
    """

    def __init__(self, sim: Simulation, nodes: Sequence[NodeInfo], interval_ns: int) -> None:
        if interval_ns <= 0:
            raise ValueError(f"interval_ns must be > 0, got {interval_ns}")
        self.sim = sim
        self.nodes = list(nodes)
        self.interval_ns = interval_ns
        self.recorders: dict[str, Recorder] = {}
        self.snapshot_times: list[int] = []
        self._snapshots: dict[str, list[np.ndarray]] = {}

    # ------------------------------------------------------------------ declaring
    def _check_new(self, metric: Metric, kinds: tuple[Kind, ...]) -> None:
        if metric.name in self.recorders:
            raise ValueError(f"metric {metric.name!r} is declared twice")
        if metric.kind not in kinds:
            allowed = ", ".join(k.value for k in kinds)
            raise ValueError(
                f"metric {metric.name!r} has kind {metric.kind.value!r}; this recorder takes "
                f"{allowed}"
            )

    def counter(self, metric: Metric) -> Counter:
        """Declare a ``count``, ``bytes`` or ``rate`` metric and return its recorder.

        A ``rate`` metric counts bytes like ``bytes`` and is reported per second.
        """
        self._check_new(metric, (Kind.COUNT, Kind.BYTES, Kind.RATE))
        rec = Counter(metric, len(self.nodes))
        self.recorders[metric.name] = rec
        self._snapshots[metric.name] = []
        return rec

    def distribution(self, metric: Metric) -> Distribution:
        """Declare a ``distribution`` metric and return its recorder."""
        self._check_new(metric, (Kind.DISTRIBUTION,))
        rec = Distribution(metric, self.sim)
        self.recorders[metric.name] = rec
        return rec

    def sampled(self, metric: Metric, probe: Callable[[int], float]) -> Sampled:
        """Declare a ``samples`` or ``percent`` metric read through ``probe(node_index)``."""
        self._check_new(metric, (Kind.SAMPLES, Kind.PERCENT))
        rec = Sampled(metric, probe)
        self.recorders[metric.name] = rec
        self._snapshots[metric.name] = []
        return rec

    def in_scope(self, metric: Metric) -> list[int]:
        """Global indexes of the nodes a metric covers."""
        return [i for i, node in enumerate(self.nodes) if metric.scope.covers(node.role)]

    # ------------------------------------------------------------------ sampling
    def snapshot(self) -> None:
        """Record every counter and probe at the current time (an interval boundary)."""
        self.snapshot_times.append(self.sim.now)
        for name, rec in self.recorders.items():
            if isinstance(rec, Counter):
                self._snapshots[name].append(np.array(rec.values, dtype=np.int64))
            elif isinstance(rec, Sampled):
                values = np.zeros(len(self.nodes), dtype=np.float64)
                for i in self.in_scope(rec.metric):
                    values[i] = rec.probe(i)
                self._snapshots[name].append(values)

    def snapshots(self, name: str) -> np.ndarray:
        """Snapshots of metric ``name``, shape ``(n_snapshots, n_nodes)``."""
        snaps = self._snapshots[name]
        if not snaps:
            return np.zeros((0, len(self.nodes)))
        return np.vstack(snaps)

