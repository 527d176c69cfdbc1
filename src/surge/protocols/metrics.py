"""SURGE's common storage-protocol statistics, declared once for every storage engine.

The unicast engine (models 5 and 6), the Replicast engine (models 7, 8, 9 and a) and the
command-window model (b) record the same statistics under the same names: ``chunk``,
``replica``, ``txbytes``, ``rxbytes``, ``event``, ``throughput`` and ``chunk_latency``,
then the per-server probes ``rxbusy``, ``diskbusy`` and ``disk-frame-bufs`` (the tiered
model, c, shares the probes). :class:`StorageMetrics` declares the counters and
:func:`declare_disk_probes` the probes; the options cover what really differs between
the engines (units and descriptions, Replicast's ``txbytes-wire``, the ``qdepth`` probe).

Declaration order is the order of the results document, so both keep each engine's order:
an engine adds its own metrics after constructing :class:`StorageMetrics` (or, for
``txbytes-wire``, through the :meth:`StorageMetrics.declare_after_txbytes` hook).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

from surge.stats import Counter, Distribution, Kind, Metric, Scope, StatsCollector
from surge.storage import Disk, QueueUnit

__all__ = ["DiskServer", "StorageMetrics", "declare_disk_probes"]

_CHUNK_HELP = "chunks fully acknowledged (R acks)"
_REPLICA_HELP = "replica acks received"
_TXBYTES_HELP = "bytes sent (control PDUs and data)"
_THROUGHPUT_HELP = ("acknowledged chunk data per simulated second (a chunk counts once all R "
                    "replicas are acked)")
_LATENCY_HELP = "chunk creation to its R-th replica ack"


class StorageMetrics:
    """The common protocol statistics (SURGE's names) plus surge's standard metrics.

    Declared in this order: ``chunk``, ``replica``, ``txbytes``, whatever
    :meth:`declare_after_txbytes` adds, ``rxbytes``, ``event``, ``throughput``,
    ``chunk_latency``. The defaults are the replicated-chunk wording of the unicast and
    Replicast engines.

    Args:
        stats: the run's collector.
        chunk_unit: the unit of ``chunk`` (``"write"`` for single-copy writes).
        chunk_help, replica_help, txbytes_help, throughput_help, latency_help: the
            descriptions of ``chunk``, ``replica``, ``txbytes``, ``throughput`` and
            ``chunk_latency``.
    """

    def __init__(
        self,
        stats: StatsCollector,
        *,
        chunk_unit: str = "chunk",
        chunk_help: str = _CHUNK_HELP,
        replica_help: str = _REPLICA_HELP,
        txbytes_help: str = _TXBYTES_HELP,
        throughput_help: str = _THROUGHPUT_HELP,
        latency_help: str = _LATENCY_HELP,
    ) -> None:
        both = Scope.GATEWAY | Scope.SERVER
        gw = Scope.GATEWAY
        self.chunk: Counter = stats.counter(Metric("chunk", Kind.COUNT, gw, chunk_unit,
                                                   chunk_help))
        self.replica: Counter = stats.counter(Metric("replica", Kind.COUNT, gw, "replica",
                                                     replica_help))
        self.txbytes: Counter = stats.counter(Metric("txbytes", Kind.BYTES, both, "B",
                                                     txbytes_help))
        self.declare_after_txbytes(stats)
        self.rxbytes: Counter = stats.counter(Metric("rxbytes", Kind.BYTES, both, "B",
                                                     "bytes received"))
        self.event: Counter = stats.counter(Metric("event", Kind.COUNT, both, "event",
                                                   "messages handled by the node"))
        self.throughput: Counter = stats.counter(Metric("throughput", Kind.RATE, gw, "B/s",
                                                        throughput_help))
        self.chunk_latency: Distribution = stats.distribution(Metric(
            "chunk_latency", Kind.DISTRIBUTION, gw, "ns", latency_help))

    def declare_after_txbytes(self, stats: StatsCollector) -> None:
        """Hook: declare metrics that belong between ``txbytes`` and ``rxbytes``.

        Replicast declares ``txbytes-wire`` here, next to the ``txbytes`` it qualifies.
        """


class DiskServer(Protocol):
    """A server as the disk probes see it: its global stats index and its disk."""

    @property
    def index(self) -> int:
        """Global stats index of the server."""
        ...

    @property
    def disk(self) -> Disk:
        """The server's disk."""
        ...


_S = TypeVar("_S", bound=DiskServer)


def declare_disk_probes(
    stats: StatsCollector,
    servers: Iterable[_S],
    *,
    rx_busy: Callable[[_S], float],
    rxbusy_help: str,
    diskbusy_help: str,
    qdepth: bool = False,
    frame_bufs: bool = True,
) -> None:
    """Declare ``rxbusy``, ``diskbusy``, then ``qdepth`` and ``disk-frame-bufs`` if asked.

    Every probe reads one server, found by its stats index, when the collector samples.

    Args:
        stats: the run's collector.
        servers: the servers probed (scope: servers).
        rx_busy: a server's receive-busy ns up to now.
        rxbusy_help, diskbusy_help: the descriptions of ``rxbusy`` and ``diskbusy``.
        qdepth: also declare ``qdepth``, the disk queue depth in chunks.
        frame_bufs: also declare SURGE's ``disk-frame-bufs``, the depth in frame buffers.
    """
    by_index = {s.index: s for s in servers}

    def probe(fn: Callable[[_S], float]) -> Callable[[int], float]:
        return lambda i: fn(by_index[i])

    srv = Scope.SERVER
    stats.sampled(Metric("rxbusy", Kind.PERCENT, srv, "%", rxbusy_help), probe(rx_busy))
    stats.sampled(Metric("diskbusy", Kind.PERCENT, srv, "%", diskbusy_help),
                  probe(lambda s: s.disk.busy_ns))
    if qdepth:
        stats.sampled(Metric("qdepth", Kind.SAMPLES, srv, "chunks",
                             "disk queue depth in chunks, sampled every interval"),
                      probe(lambda s: s.disk.queue_depth(QueueUnit.CHUNKS)[0]))
    if frame_bufs:
        stats.sampled(Metric("disk-frame-bufs", Kind.SAMPLES, srv, "frames",
                             "disk queue depth in frame buffers, sampled every interval"),
                      probe(lambda s: s.disk.queue_depth(QueueUnit.FRAMES)[0]))
