"""surge.storage: storage primitives (chunks and replicas, disks, IO pipelines, ids).

Depends on :mod:`surge.sim` only. Modules:

* :mod:`surge.storage.chunk`: :class:`Chunk`, :class:`Replica` and the :class:`ChunkSource`
  that stamps them with deterministic ids and ``sim.now``;
* :mod:`surge.storage.disk`: the :class:`Disk` seam, SURGE's FIFO
  :class:`ConstLatencyDisk` and :class:`VarLatencyDisk`, the :class:`InstantDisk` twin
  and the :func:`admission_delay_ns` back-pressure helper;
* :mod:`surge.storage.pipeline`: :class:`Pipeline` of named :class:`Stage` handlers and the
  :class:`Tio` transactions that walk them, kept in each source node's :class:`TioTable`;
* :mod:`surge.storage.ids`: :class:`IdSource`, seeded and unique 63-bit ids.
"""

from surge.storage.chunk import DEFAULT_CHUNK_BYTES, Chunk, ChunkSource, Replica
from surge.storage.disk import (
    DEFAULT_FRAME_BYTES,
    ConstLatencyDisk,
    Disk,
    DiskStats,
    InstantDisk,
    QueueUnit,
    VarLatencyDisk,
    admission_delay_ns,
)
from surge.storage.ids import IdSource, short_id
from surge.storage.pipeline import (
    Handler,
    Pipeline,
    PipelineError,
    Stage,
    Tio,
    TioStats,
    TioTable,
    UnknownStageError,
)

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "DEFAULT_FRAME_BYTES",
    "Chunk",
    "ChunkSource",
    "ConstLatencyDisk",
    "Disk",
    "DiskStats",
    "Handler",
    "IdSource",
    "InstantDisk",
    "Pipeline",
    "PipelineError",
    "QueueUnit",
    "Replica",
    "Stage",
    "Tio",
    "TioStats",
    "TioTable",
    "UnknownStageError",
    "VarLatencyDisk",
    "admission_delay_ns",
    "short_id",
]
