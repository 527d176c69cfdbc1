"""Flows: the state of one transfer, and each node's directory of flows by peer.

Design
------
A :class:`Flow` is the short-lived state of one replica transfer (control PDU, data
frames, ack) in SURGE's storage models: who sends to whom (a node, or a multicast group),
which chunk and replica, how many bytes are sent (``offset_bytes``) out of
``total_bytes``, the current rate, the time its transmitter is free again
(``tx_free_ns``: the last bit of the current frame has left), and the rate bucket that
paces it. It is plain data in ``__slots__`` with a few helpers; the protocol logic stays
in the models, and ``extension`` carries whatever a model attaches (its transaction, its
bid).

Helpers state the arithmetic once:

* :meth:`Flow.transmit` advances the offset by one frame and sets
  ``tx_free_ns = now + floor(8 * size * 10**9 / bits_per_s)`` (the frame's time on the
  flow's transmitter at the flow's current rate, truncated like every serialization);
* :meth:`Flow.receive` moves the receiver's copy of the offset forward, refusing to go
  backwards or past the total (SURGE asserted "out of order");
* :attr:`Flow.bytes_to_write` is 0 until the transfer is complete, then the total.

A :class:`FlowDirectory` belongs to one node and keys its flows by the *other* end (the
peer node, or the group for a multicast flow), as SURGE's ``FlowDir`` did; unlike it, a
second flow for the same peer is refused unless explicitly replaced.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from surge.network._validation import check_int, param_error
from surge.network.buckets import RateBucket
from surge.network.multicast import MulticastGroup
from surge.network.node import Node
from surge.sim.units import GBPS, S

__all__ = ["Flow", "FlowDirectory"]

_BITS_PER_BYTE = 8
_BYTE_NS = _BITS_PER_BYTE * S
_SHORT_ID_MASK = 0xFFFF


class Flow:
    """The state of one transfer from a node to a node or a multicast group.

    Args:
        source: the sending node.
        destination: the receiving node, or a :class:`MulticastGroup` for multicast.
        total_bytes: size of the transfer, bytes, an int >= 0.
        chunk_id: the chunk being transferred, or ``None``.
        replica: replica number, 1..R (0 when not a replica transfer).
        bits_per_s: current rate, bits/s, an int >= 0 (0 = not sending).
        bucket: the rate bucket pacing the flow, or ``None``.
        offset_bytes: bytes already transferred, in ``[0, total_bytes]``.
        tx_free_ns: time the flow's transmitter is free, ns.
        extension: anything the model attaches (a transaction, a bid).

    Attributes:
        source, destination, total_bytes, chunk_id, replica, bits_per_s, bucket,
        offset_bytes, tx_free_ns, extension: as above, mutable.

    Raises:
        ValueError: an argument is out of range.
    """

    __slots__ = (
        "bits_per_s",
        "bucket",
        "chunk_id",
        "destination",
        "extension",
        "offset_bytes",
        "replica",
        "source",
        "total_bytes",
        "tx_free_ns",
    )

    def __init__(
        self,
        source: Node,
        destination: Node | MulticastGroup[Any],
        total_bytes: int,
        *,
        chunk_id: int | None = None,
        replica: int = 0,
        bits_per_s: int = 0,
        bucket: RateBucket | None = None,
        offset_bytes: int = 0,
        tx_free_ns: int = 0,
        extension: Any = None,
    ) -> None:
        if not isinstance(source, Node):
            raise param_error("source", "Flow", "a Node", source)
        if not isinstance(destination, Node | MulticastGroup):
            raise param_error("destination", "Flow", "a Node or a MulticastGroup", destination)
        self.source = source
        self.destination = destination
        self.total_bytes = check_int(total_bytes, "total_bytes", "Flow")
        self.chunk_id = chunk_id
        self.replica = check_int(replica, "replica", "Flow")
        self.bits_per_s = check_int(bits_per_s, "bits_per_s", "Flow")
        self.bucket = bucket
        self.offset_bytes = check_int(offset_bytes, "offset_bytes", "Flow", high=total_bytes)
        self.tx_free_ns = check_int(tx_free_ns, "tx_free_ns", "Flow")
        self.extension = extension

    @property
    def is_unicast(self) -> bool:
        """True if the destination is one node (not a group)."""
        return isinstance(self.destination, Node)

    @property
    def remaining_bytes(self) -> int:
        """Bytes still to transfer."""
        return self.total_bytes - self.offset_bytes

    @property
    def is_done(self) -> bool:
        """True once every byte has been transferred."""
        return self.offset_bytes >= self.total_bytes

    @property
    def bytes_to_write(self) -> int:
        """0 while the transfer is incomplete, then ``total_bytes`` (what a server writes)."""
        return self.total_bytes if self.offset_bytes >= self.total_bytes else 0

    @property
    def short_id(self) -> int | None:
        """The chunk's 16-bit short id for logs (``chunk_id & 0xffff``), or ``None``."""
        return None if self.chunk_id is None else self.chunk_id & _SHORT_ID_MASK

    def next_frame_bytes(self, frame_bytes: int) -> int:
        """Size of the next frame: ``min(frame_bytes, remaining_bytes)``."""
        remaining = self.total_bytes - self.offset_bytes
        return frame_bytes if frame_bytes < remaining else remaining

    def tx_ns(self, size_bytes: int) -> int:
        """Time ``size_bytes`` occupy the transmitter at the flow's rate, ns (truncated).

        Raises:
            ValueError: the flow's rate is 0.
        """
        if self.bits_per_s <= 0:
            raise param_error("bits_per_s", f"Flow {self}", "an int > 0 to transmit",
                              self.bits_per_s)
        return size_bytes * _BYTE_NS // self.bits_per_s

    def transmit(self, now_ns: int, size_bytes: int) -> int:
        """Account one frame sent at ``now_ns``: advance the offset, set ``tx_free_ns``.

        Args:
            now_ns: the current time, ns.
            size_bytes: the frame's payload, bytes; at most ``remaining_bytes``.

        Returns:
            The new ``tx_free_ns = now_ns + tx_ns(size_bytes)``.

        Raises:
            ValueError: the frame would pass the end of the transfer, or the rate is 0.
        """
        if size_bytes.__class__ is not int or not 0 <= size_bytes <= self.remaining_bytes:
            raise param_error("size_bytes", "Flow.transmit",
                              f"an int in [0, {self.remaining_bytes}] (the bytes remaining)",
                              size_bytes)
        free = now_ns + self.tx_ns(size_bytes)
        self.offset_bytes += size_bytes
        self.tx_free_ns = free
        return free

    def receive(self, offset_bytes: int) -> int:
        """Move the offset to ``offset_bytes`` (receiver side); return the bytes it gained.

        Raises:
            ValueError: the offset goes backwards or past ``total_bytes`` (out of order).
        """
        if offset_bytes.__class__ is not int or \
                not self.offset_bytes <= offset_bytes <= self.total_bytes:
            raise param_error("offset_bytes", "Flow.receive",
                              f"an int in [{self.offset_bytes}, {self.total_bytes}] "
                              "(frames arrive in order)", offset_bytes)
        gained = offset_bytes - self.offset_bytes
        self.offset_bytes = offset_bytes
        return gained

    def __repr__(self) -> str:
        target = self.destination.name if isinstance(self.destination, Node) \
            else str(self.destination)
        chunk = ""
        if self.chunk_id is not None:
            chunk = f"[c#{self.short_id}" + (f"({self.replica})" if self.replica else "") + "]"
        return (f"[flow {self.source.name}=>{target}{chunk},offset={self.offset_bytes},"
                f"bw={self.bits_per_s / GBPS:.2f}Gbps]")


class FlowDirectory:
    """One node's flows, keyed by the other end (a peer node, or a group).

    Args:
        owner: the node the directory belongs to.

    Example:
        >>> from surge.network import Node, Role
        >>> gw, srv = Node(1, Role.GATEWAY), Node(5, Role.SERVER)
        >>> flows = FlowDirectory(srv)
        >>> flows.insert(Flow(gw, srv, 9000))
        >>> flows.require(gw).total_bytes
        9000
    """

    __slots__ = ("_flows", "owner")

    def __init__(self, owner: Node) -> None:
        if not isinstance(owner, Node):
            raise param_error("owner", "FlowDirectory", "a Node", owner)
        self.owner = owner
        self._flows: dict[Node | MulticastGroup[Any], Flow] = {}

    def peer_of(self, flow: Flow) -> Node | MulticastGroup[Any]:
        """The other end of ``flow`` as seen from the owner.

        Raises:
            ValueError: the owner is neither the source nor the destination.
        """
        if flow.source is self.owner:
            return flow.destination
        destination = flow.destination
        if destination is self.owner or (
            isinstance(destination, MulticastGroup) and self.owner in destination
        ):
            return flow.source
        raise param_error("flow", f"FlowDirectory of {self.owner.name}",
                          "a flow from or to the owner", flow)

    def insert(self, flow: Flow, *, replace: bool = False) -> None:
        """File ``flow`` under its peer.

        Args:
            flow: a flow from or to the owner.
            replace: allow replacing an existing flow with the same peer.

        Raises:
            ValueError: the peer already has a flow and ``replace`` is false, or the flow
                does not involve the owner.
        """
        peer = self.peer_of(flow)
        if not replace and peer in self._flows:
            raise param_error("flow", f"FlowDirectory.insert of {self.owner.name}",
                              f"the only flow with {peer} (pass replace=True)", flow)
        self._flows[peer] = flow

    def get(self, peer: Node | MulticastGroup[Any]) -> Flow | None:
        """The flow with ``peer``, or ``None``."""
        return self._flows.get(peer)

    def require(self, peer: Node | MulticastGroup[Any]) -> Flow:
        """The flow with ``peer``.

        Raises:
            KeyError: there is none.
        """
        flow = self._flows.get(peer)
        if flow is None:
            raise KeyError(f"{self.owner.name} has no flow with {peer}")
        return flow

    def remove(self, peer: Node | MulticastGroup[Any]) -> Flow | None:
        """Remove and return the flow with ``peer`` (``None`` if there is none)."""
        return self._flows.pop(peer, None)

    def peers(self) -> tuple[Node | MulticastGroup[Any], ...]:
        """The peers with a flow, in insertion order."""
        return tuple(self._flows)

    def __len__(self) -> int:
        return len(self._flows)

    def __contains__(self, peer: object) -> bool:
        return peer in self._flows

    def __iter__(self) -> Iterator[Flow]:
        """The flows, in insertion order (deterministic, unlike Go's map order)."""
        return iter(tuple(self._flows.values()))

    def __repr__(self) -> str:
        return f"<FlowDirectory of {self.owner.name}: {len(self._flows)} flows>"
