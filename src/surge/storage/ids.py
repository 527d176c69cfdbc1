"""Deterministic 63-bit ids for chunks and transactions, unique by construction.

Why
---
SURGE draws chunk and tio ids as ``rand.Int63n(wallclock_ns / 10007 * node_id)``: the ids
depend on the wall clock, so two runs with the same seed name different chunks, and since
model "a" picks a chunk's negotiating group as ``chunk_id mod groups`` the *results*
differ too. That is a defect we fix: here an id never depends on the wall clock.

Design
------
An :class:`IdSource` numbers the ids of each *origin* (a node id) 0, 1, 2, ... and maps
the pair through a keyed bijection of the 63-bit integers::

    id = mix((origin << 40 | sequence) XOR key)

``mix`` is the splitmix64 finalizer (xor-shift, multiply by an odd constant, twice) taken
modulo 2**63; every step is invertible, so distinct inputs give distinct ids: no id repeats
within a run, with no table of used ids. ``key`` comes from the run seed through the named
random substream ``name`` without drawing from it, so the ids change with the seed (as
random ids would, so ``id mod n`` spreads evenly) but are identical for the same seed, and
the ids of one origin do not depend on how many ids other origins took. Two sources with
the same simulation, name and origin produce the same sequence; use one name per kind of
object (``"chunk-ids"``, ``"tio-ids"``) and the node id as origin.

The short id of SURGE's logs (``c#<sid>``, ``tio#<sid>``) is ``id & 0xffff``; short ids do
repeat (65536 values), they are for reading logs, not for keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from surge.storage._validate import check_int

if TYPE_CHECKING:
    from surge.sim import Simulation

__all__ = ["ID_BITS", "MAX_ORIGIN", "IdSource", "short_id"]

#: Ids are non-negative integers below 2**ID_BITS (they fit a signed 64-bit integer).
ID_BITS = 63
_SEQUENCE_BITS = 40
_ORIGIN_BITS = ID_BITS - _SEQUENCE_BITS
#: The largest origin (node id) an :class:`IdSource` accepts.
MAX_ORIGIN = (1 << _ORIGIN_BITS) - 1
_MAX_SEQUENCE = (1 << _SEQUENCE_BITS) - 1
_MASK = (1 << ID_BITS) - 1
_SHORT_MASK = 0xFFFF
# splitmix64 finalizer constants (odd multipliers, hence invertible modulo 2**63).
_SHIFT_1, _SHIFT_2, _SHIFT_3 = 30, 27, 31
_MUL_1 = 0xBF58476D1CE4E5B9
_MUL_2 = 0x94D049BB133111EB
_WORD_BITS = 32


def short_id(ident: int) -> int:
    """The 16-bit short id used in logs: ``ident & 0xffff``."""
    return ident & _SHORT_MASK


def _mix(value: int) -> int:
    """A bijection of ``[0, 2**63)`` that spreads consecutive inputs over the range."""
    value ^= value >> _SHIFT_1
    value = (value * _MUL_1) & _MASK
    value ^= value >> _SHIFT_2
    value = (value * _MUL_2) & _MASK
    return value ^ (value >> _SHIFT_3)


class IdSource:
    """Unique, seeded, reproducible 63-bit ids, numbered per origin.

    Args:
        sim: the simulation whose seed keys the ids.
        name: the substream name the key is derived from (nothing is drawn from it).

    Example:
        >>> from surge.sim import Simulation
        >>> ids = IdSource(Simulation(seed=1), "chunk-ids")
        >>> ids.next_id(origin=3) == IdSource(Simulation(seed=1), "chunk-ids").next_id(3)
        True
    """

    __slots__ = ("_key", "_next", "name")

    def __init__(self, sim: Simulation, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"The 'name' parameter of IdSource must be a non-empty str. Got {name!r} instead."
            )
        low, high = (int(word) for word in sim.random.seed_sequence(name).generate_state(2))
        self._key = (low | high << _WORD_BITS) & _MASK
        self._next: dict[int, int] = {}
        self.name = name

    def next_id(self, origin: int = 0) -> int:
        """The next id of ``origin``.

        Args:
            origin: who creates the object, usually the node id, in ``[0, MAX_ORIGIN]``.

        Returns:
            An int in ``[0, 2**63)``, never returned before by a source of the same
            simulation seed and name.

        Raises:
            ValueError: ``origin`` is out of range.
            OverflowError: ``origin`` has used up its 2**40 ids.
        """
        if origin.__class__ is not int or not 0 <= origin <= MAX_ORIGIN:
            check_int(origin, "origin", "IdSource.next_id", low=0, high=MAX_ORIGIN)
        sequence = self._next.get(origin, 0)
        if sequence > _MAX_SEQUENCE:
            raise OverflowError(f"IdSource {self.name!r}: origin {origin} has no ids left")
        self._next[origin] = sequence + 1
        return _mix(((origin << _SEQUENCE_BITS) | sequence) ^ self._key)

    def issued(self, origin: int = 0) -> int:
        """How many ids ``origin`` has taken so far."""
        return self._next.get(origin, 0)
