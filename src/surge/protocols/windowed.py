"""Command-window writes: an initiator's reusable write slots, each write acked exactly once.

What it models
--------------
SURGE's models b (``command-window``) and c (``tiered``) give every initiator -> target
stream ``w`` pre-allocated write slots, the *command window* (a storage protocol's queue
depth): a new write takes a free slot, the slot stays busy until the target acknowledges
the write, and the ack frees it for the next write. At most ``w`` writes of a stream are
outstanding at any time.

A :class:`WriteWindow` holds those slots. SURGE took "the first acked slot" in Go's random
map order; here the free slot with the lowest number is taken, so runs are reproducible.
Each write carries a :class:`~surge.storage.chunk.Chunk` (its seeded id, creation time and
size), and the window keeps every outstanding write by chunk id, so an ack for a write
that is not outstanding (a second ack, or an ack for a write never issued) raises at once:
"every write is acked exactly once" is checked on every ack of every run, not sampled.
"""

from __future__ import annotations

from heapq import heappop, heappush

from surge.storage.chunk import Chunk

__all__ = ["Write", "WriteWindow"]


class Write:
    """One outstanding write: its chunk, its slot and how many of its bytes were sent.

    Attributes:
        chunk: the data written (id, creation time = the write's start, size).
        slot: the window slot it occupies, 0..w-1.
        sent_bytes: bytes put on the wire so far (for writes sent in frames).
        window: the window that issued it.
    """

    __slots__ = ("chunk", "sent_bytes", "slot", "window")

    def __init__(self, chunk: Chunk, slot: int, window: WriteWindow) -> None:
        self.chunk = chunk
        self.slot = slot
        self.sent_bytes = 0
        self.window = window

    @property
    def remaining_bytes(self) -> int:
        """Bytes still to send."""
        return self.chunk.size_bytes - self.sent_bytes

    def __repr__(self) -> str:
        return f"<Write {self.chunk} slot {self.slot} of {self.window.name}>"


class WriteWindow:
    """``size`` reusable write slots of one initiator -> target stream.

    Args:
        size: the command window ``w`` (>= 1).
        name: a label for errors and logs, e.g. ``"I#01->T#01"``.

    Attributes:
        size: the window.
        name: the label.
        issued: writes issued so far.
        acked: writes acknowledged so far.

    Raises:
        ValueError: ``size`` < 1.
    """

    __slots__ = ("_free", "_outstanding", "acked", "issued", "name", "size")

    def __init__(self, size: int, *, name: str) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(
                f"The 'size' parameter of WriteWindow must be an int >= 1. Got {size!r} "
                "instead."
            )
        self.size = size
        self.name = name
        self._free = list(range(size))  # a heap: the lowest free slot first
        self._outstanding: dict[int, Write] = {}
        self.issued = 0
        self.acked = 0

    @property
    def has_free_slot(self) -> bool:
        """True if a new write can be issued now."""
        return bool(self._free)

    @property
    def outstanding(self) -> int:
        """Writes issued and not yet acked."""
        return len(self._outstanding)

    def issue(self, chunk: Chunk) -> Write:
        """Take the lowest free slot for a write of ``chunk``.

        Raises:
            RuntimeError: every slot is busy (the caller must check :attr:`has_free_slot`).
        """
        if not self._free:
            raise RuntimeError(f"{self.name}: all {self.size} write slots are busy")
        write = Write(chunk, heappop(self._free), self)
        self._outstanding[chunk.id] = write
        self.issued += 1
        return write

    def ack(self, write: Write) -> None:
        """Acknowledge ``write``: free its slot.

        Raises:
            RuntimeError: ``write`` is not outstanding in this window (acked twice, or
                never issued here).
        """
        if self._outstanding.pop(write.chunk.id, None) is not write:
            raise RuntimeError(
                f"{self.name}: ack for {write.chunk} (slot {write.slot}), which is not an "
                "outstanding write of this window: a write must be acked exactly once"
            )
        heappush(self._free, write.slot)
        self.acked += 1

    def __repr__(self) -> str:
        return (f"<WriteWindow {self.name} size={self.size} outstanding={self.outstanding} "
                f"issued={self.issued} acked={self.acked}>")
