"""Tests of surge.storage.chunk: chunks, replicas and their deterministic creation."""

from __future__ import annotations

import dataclasses

import pytest

from surge.sim import KIB, Simulation
from surge.storage.chunk import DEFAULT_CHUNK_BYTES, Chunk, ChunkSource, Replica


class TestChunk:
    def test_short_id_and_str(self) -> None:
        """The short id is id & 0xffff and a chunk prints as c#<sid>."""
        chunk = Chunk(id=0x1_0002_0003, gateway_id=1, created_ns=0, size_bytes=128 * KIB)
        assert chunk.sid == 3
        assert str(chunk) == "c#3"

    def test_frozen(self) -> None:
        """A chunk cannot be changed after creation."""
        chunk = Chunk(1, 1, 0, 100)
        with pytest.raises(dataclasses.FrozenInstanceError):
            chunk.size_bytes = 5  # type: ignore[misc]

    def test_slots(self) -> None:
        """A chunk has no per-instance __dict__ (slots keep it small)."""
        assert not hasattr(Chunk(1, 1, 0, 100), "__dict__")

    @pytest.mark.parametrize(
        ("field", "kwargs", "allowed"),
        [
            ("size_bytes", {"size_bytes": 0}, "an int > 0"),
            ("created_ns", {"created_ns": -1}, "an int >= 0"),
            ("gateway_id", {"gateway_id": -2}, "an int >= 0"),
            ("id", {"id": 2**63}, "an int in the range [0, 9223372036854775807]"),
        ],
    )
    def test_validation(self, field: str, kwargs: dict[str, int], allowed: str) -> None:
        """Out-of-range fields are rejected with a message naming field and range."""
        args = {"id": 1, "gateway_id": 1, "created_ns": 0, "size_bytes": 10} | kwargs
        with pytest.raises(ValueError) as info:
            Chunk(**args)
        assert str(info.value) == (
            f"The {field!r} parameter of Chunk must be {allowed}. Got {kwargs[field]} instead."
        )


class TestReplica:
    def test_str_sid_and_size(self) -> None:
        """A replica prints as c#<sid>(<number>) and has its chunk's size and short id."""
        chunk = Chunk(0xABCD_0007, 2, 0, 4096)
        replica = Replica(chunk, 3, 10)
        assert (str(replica), replica.sid, replica.size_bytes) == ("c#7(3)", 7, 4096)

    def test_number_starts_at_one(self) -> None:
        """Replica numbers are 1-based: 0 is rejected."""
        with pytest.raises(ValueError, match="'number' parameter of Replica must be an int > 0"):
            Replica(Chunk(1, 1, 0, 1), 0, 0)

    def test_needs_a_chunk(self) -> None:
        """A replica of something that is not a Chunk is rejected."""
        with pytest.raises(ValueError, match="'chunk' parameter of Replica must be a Chunk"):
            Replica("c#1", 1, 0)  # type: ignore[arg-type]


class TestChunkSource:
    def test_stamps_now_and_default_size(self) -> None:
        """Chunks get the current simulated time and the default size of 128 KiB."""
        sim = Simulation(seed=1)
        chunks = ChunkSource(sim)
        sim.run(until=5000)
        chunk = chunks.new_chunk(gateway_id=4)
        assert (chunk.created_ns, chunk.size_bytes, chunk.gateway_id) == (5000, 131072, 4)
        assert DEFAULT_CHUNK_BYTES == 131072
        assert chunks.chunks_created == 1

    def test_explicit_size(self) -> None:
        """A size given to new_chunk overrides the source's default."""
        chunks = ChunkSource(Simulation(), chunk_bytes=16 * KIB)
        assert chunks.new_chunk(1).size_bytes == 16384
        assert chunks.new_chunk(1, size_bytes=100).size_bytes == 100

    def test_ids_reproducible_and_seeded(self) -> None:
        """The same seed gives the same chunk ids; another seed gives others."""

        def ids(seed: int) -> list[int]:
            chunks = ChunkSource(Simulation(seed=seed))
            return [chunks.new_chunk(g).id for g in (1, 2, 1, 3)]

        assert ids(11) == ids(11)
        assert ids(11) != ids(12)
        assert len(set(ids(11))) == 4

    def test_replicas_numbered_one_to_r(self) -> None:
        """replicas(chunk, 3) numbers them 1, 2, 3, all created now."""
        sim = Simulation()
        chunks = ChunkSource(sim)
        chunk = chunks.new_chunk(1)
        sim.run(until=77)
        replicas = chunks.replicas(chunk, 3)
        assert [r.number for r in replicas] == [1, 2, 3]
        assert {r.created_ns for r in replicas} == {77}
        assert chunks.new_replica(chunk, 2) == replicas[1]

    def test_validation(self) -> None:
        """Bad chunk sizes, gateway ids and replica counts are rejected."""
        with pytest.raises(ValueError, match="'chunk_bytes' parameter of ChunkSource"):
            ChunkSource(Simulation(), chunk_bytes=0)
        chunks = ChunkSource(Simulation())
        with pytest.raises(ValueError, match=r"'gateway_id' parameter of ChunkSource\.new_chunk"):
            chunks.new_chunk(-1)
        with pytest.raises(ValueError, match=r"'count' parameter of ChunkSource\.replicas"):
            chunks.replicas(chunks.new_chunk(1), 0)
