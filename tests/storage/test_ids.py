"""Tests of surge.storage.ids: seeded, unique, reproducible ids and short ids."""

from __future__ import annotations

import pytest

from surge.sim import Simulation
from surge.storage.ids import ID_BITS, MAX_ORIGIN, IdSource, short_id


class TestShortId:
    def test_low_sixteen_bits(self) -> None:
        """The short id is the id's low 16 bits."""
        assert short_id(0x1234_5678_9ABC) == 0x9ABC
        assert short_id(0xFFFF) == 0xFFFF
        assert short_id(0x10000) == 0


class TestIdSource:
    def test_same_seed_same_ids(self) -> None:
        """Two sources with the same seed and name give the same ids, origin by origin."""
        first = IdSource(Simulation(seed=7), "chunk-ids")
        second = IdSource(Simulation(seed=7), "chunk-ids")
        assert [first.next_id(3) for _ in range(5)] == [second.next_id(3) for _ in range(5)]

    def test_seed_and_name_change_the_ids(self) -> None:
        """A different seed or a different name gives different ids."""
        base = IdSource(Simulation(seed=1), "chunk-ids").next_id()
        assert IdSource(Simulation(seed=2), "chunk-ids").next_id() != base
        assert IdSource(Simulation(seed=1), "tio-ids").next_id() != base

    def test_origins_are_independent(self) -> None:
        """One origin's ids do not depend on how many ids another origin took."""
        quiet = IdSource(Simulation(seed=1), "ids")
        busy = IdSource(Simulation(seed=1), "ids")
        for _ in range(100):
            busy.next_id(origin=1)
        assert [quiet.next_id(2) for _ in range(3)] == [busy.next_id(2) for _ in range(3)]

    def test_unique_and_in_range(self) -> None:
        """Ids of several origins never repeat and fit in 63 bits."""
        ids = IdSource(Simulation(seed=3), "ids")
        drawn = [ids.next_id(origin) for origin in (0, 1, 2, MAX_ORIGIN) for _ in range(5000)]
        assert len(set(drawn)) == len(drawn)
        assert all(0 <= ident < 2**ID_BITS for ident in drawn)

    def test_ids_are_spread(self) -> None:
        """Consecutive ids spread over residues, as random ids would (chunk id mod groups)."""
        ids = IdSource(Simulation(seed=5), "ids")
        residues = [ids.next_id() % 9 for _ in range(900)]
        assert all(60 <= residues.count(r) <= 140 for r in range(9))

    def test_issued_counts_per_origin(self) -> None:
        """issued() counts the ids each origin has taken."""
        ids = IdSource(Simulation(), "ids")
        ids.next_id(4)
        ids.next_id(4)
        assert (ids.issued(4), ids.issued(5)) == (2, 0)

    @pytest.mark.parametrize("origin", [-1, MAX_ORIGIN + 1, 1.0, True])
    def test_origin_out_of_range(self, origin: object) -> None:
        """An origin outside [0, MAX_ORIGIN] is rejected with the range in the message."""
        with pytest.raises(
            ValueError,
            match=r"'origin' parameter of IdSource\.next_id must be an int in the range \[0, 83",
        ):
            ids = IdSource(Simulation(), "ids")
            ids.next_id(1)
            ids.next_id(origin)  # type: ignore[arg-type]

    def test_empty_name(self) -> None:
        """An empty stream name is rejected."""
        with pytest.raises(ValueError, match="'name' parameter of IdSource"):
            IdSource(Simulation(), "")
