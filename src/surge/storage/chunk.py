"""Chunks and replicas: the objects a storage cluster stores.

What
----
A :class:`Chunk` is one unit of data a gateway writes (SURGE's default is 128 KiB): an id,
the gateway that created it, its creation time and its size. A :class:`Replica` is one of
the R copies of a chunk, numbered 1..R, each sent to its own server. Models measure
**chunk latency** as ``now - chunk.created_ns`` once the R replica acks are in.

Both are frozen, slotted dataclasses: cheap to create, hashable, and immutable, so a
replica that travels through a pipeline cannot be changed by the node that receives it.
Logs name them as SURGE does, ``c#<sid>`` and ``c#<sid>(<number>)`` with
``sid = id & 0xffff``.

Defect fixed
------------
SURGE draws chunk ids from the wall clock (``uqrandom64``), so ids, and results that depend
on them, change from run to run. :class:`ChunkSource` takes ids from an
:class:`~surge.storage.ids.IdSource`: seeded by the run's seed, unique by construction,
numbered per gateway, never from the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from surge.sim.units import KIB
from surge.storage._validate import check_int
from surge.storage.ids import ID_BITS, MAX_ORIGIN, IdSource, short_id

if TYPE_CHECKING:
    from surge.sim import Simulation

__all__ = ["DEFAULT_CHUNK_BYTES", "Chunk", "ChunkSource", "Replica"]

#: SURGE's default data chunk size (``-chunksize 128``, in KiB).
DEFAULT_CHUNK_BYTES = 128 * KIB
_MAX_ID = (1 << ID_BITS) - 1


@dataclass(frozen=True, slots=True)
class Chunk:
    """One chunk of data created by a gateway.

    Attributes:
        id: unique 63-bit id (see :class:`~surge.storage.ids.IdSource`).
        gateway_id: id of the gateway that created it.
        created_ns: simulated creation time, ns.
        size_bytes: size, bytes (> 0).

    Raises:
        ValueError: a field is out of range.
    """

    id: int
    gateway_id: int
    created_ns: int
    size_bytes: int

    def __post_init__(self) -> None:
        check_int(self.id, "id", "Chunk", low=0, high=_MAX_ID)
        check_int(self.gateway_id, "gateway_id", "Chunk", low=0)
        check_int(self.created_ns, "created_ns", "Chunk", low=0)
        check_int(self.size_bytes, "size_bytes", "Chunk", low=1)

    @property
    def sid(self) -> int:
        """Short id for logs, ``id & 0xffff``."""
        return short_id(self.id)

    def __str__(self) -> str:
        return f"c#{self.sid}"


@dataclass(frozen=True, slots=True)
class Replica:
    """Replica ``number`` (1..R) of ``chunk``.

    Attributes:
        chunk: the chunk it copies.
        number: 1-based replica number.
        created_ns: simulated time the replica was started, ns.

    Raises:
        ValueError: ``number`` < 1 or ``created_ns`` < 0.
    """

    chunk: Chunk
    number: int
    created_ns: int

    def __post_init__(self) -> None:
        if not isinstance(self.chunk, Chunk):
            raise ValueError(
                f"The 'chunk' parameter of Replica must be a Chunk. Got {self.chunk!r} instead."
            )
        check_int(self.number, "number", "Replica", low=1)
        check_int(self.created_ns, "created_ns", "Replica", low=0)

    @property
    def sid(self) -> int:
        """Short id of the chunk, ``chunk.id & 0xffff``."""
        return short_id(self.chunk.id)

    @property
    def size_bytes(self) -> int:
        """Size of the replica, bytes (the chunk's size)."""
        return self.chunk.size_bytes

    def __str__(self) -> str:
        return f"c#{self.sid}({self.number})"


class ChunkSource:
    """Creates the chunks and replicas of one simulation, stamped with ``sim.now``.

    Args:
        sim: the simulation (its clock stamps creation times, its seed keys the ids).
        chunk_bytes: default chunk size, bytes (> 0); SURGE's default is 128 KiB.
        name: name of the id stream (see :class:`~surge.storage.ids.IdSource`).

    Example:
        >>> from surge.sim import Simulation
        >>> chunks = ChunkSource(Simulation(seed=1))
        >>> chunk = chunks.new_chunk(gateway_id=1)
        >>> (chunk.size_bytes, str(chunks.new_replica(chunk, 2)) == f"{chunk}(2)")
        (131072, True)
    """

    __slots__ = ("_ids", "_sim", "chunk_bytes", "chunks_created")

    def __init__(
        self, sim: Simulation, *, chunk_bytes: int = DEFAULT_CHUNK_BYTES, name: str = "chunk-ids"
    ) -> None:
        self.chunk_bytes = check_int(chunk_bytes, "chunk_bytes", "ChunkSource", low=1)
        self._sim = sim
        self._ids = IdSource(sim, name)
        self.chunks_created = 0

    def new_chunk(self, gateway_id: int, size_bytes: int | None = None) -> Chunk:
        """A new chunk of ``gateway_id`` created now.

        Args:
            gateway_id: the creating gateway, in ``[0, MAX_ORIGIN]``; ids are numbered per
                gateway, so one gateway's ids do not depend on the others' activity.
            size_bytes: size, bytes; defaults to ``chunk_bytes``.
        """
        check_int(gateway_id, "gateway_id", "ChunkSource.new_chunk", low=0, high=MAX_ORIGIN)
        size = self.chunk_bytes if size_bytes is None else size_bytes
        chunk = Chunk(self._ids.next_id(gateway_id), gateway_id, self._sim.now, size)
        self.chunks_created += 1
        return chunk

    def new_replica(self, chunk: Chunk, number: int) -> Replica:
        """Replica ``number`` (1-based) of ``chunk``, started now."""
        return Replica(chunk, number, self._sim.now)

    def replicas(self, chunk: Chunk, count: int) -> tuple[Replica, ...]:
        """Replicas 1..``count`` of ``chunk``, all started now."""
        check_int(count, "count", "ChunkSource.replicas", low=1)
        now = self._sim.now
        return tuple(Replica(chunk, number, now) for number in range(1, count + 1))
