"""Multicast groups: one transmission, delivered to every member at the same instant.

Design
------
SURGE modelled a multicast by inserting one copy of the event into each member's receive
queue within one tick, holding the clock meanwhile (``NowMcasting``). Here a multicast is
one message on the sender's link (:meth:`MulticastGroup.send`): it is serialized **once**,
and its arrival is **one** heap entry that calls ``deliver(member, arg)`` for every member,
in member order, at that same ns. No clock-holding flag is needed: nothing else can run
between two members' deliveries, and every member sees the same ``sim.now``. The member
list is captured when the message is sent, so a group that changes afterwards (a
rendezvous group filling up) does not alter a transmission already on the wire.

Two kinds of group from SURGE's Replicast models (surge-core.md section 6):

* :class:`NegotiatingGroup`: a static partition of the servers into consecutive blocks of
  ``G`` (group ``g`` = servers ``(g-1)*G+1 .. g*G``), built by :func:`negotiating_groups`;
  :func:`next_negotiating_group` picks the group for a chunk so that consecutive chunks of
  a gateway go to different groups;
* :class:`RendezvousGroup`: the servers chosen to store one chunk, kept sorted by server id
  and filled at once or one by one.

Not carried over: SURGE's rendezvous ``getCount()`` returned 0 for a partly filled group
unless it was flagged "incremental"; here ``len(group)`` is always the number of members
and :attr:`RendezvousGroup.is_complete` says whether all slots are taken.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from surge.network._validation import check_int, param_error
from surge.network.link import LinkLike
from surge.network.node import Node

__all__ = [
    "MulticastGroup",
    "NegotiatingGroup",
    "RendezvousGroup",
    "negotiating_groups",
    "next_negotiating_group",
]

N = TypeVar("N", bound=Node)


def _fan_out(payload: tuple[tuple[Node, ...], Callable[[Any, Any], object], Any]) -> None:
    """The one heap entry of a multicast: deliver to every member, in member order."""
    members, deliver, arg = payload
    for member in members:
        deliver(member, arg)


class MulticastGroup(Generic[N]):
    """A set of nodes that receive one transmission at the same instant.

    Args:
        members: the member nodes, in delivery order; no node twice.
        name: shown by ``str``; defaults to ``[mcast-group <member names>]``.

    Raises:
        ValueError: a member is not a :class:`Node`, or appears twice.

    Example:
        >>> from surge.sim import Simulation
        >>> from surge.network import IdealLink, Node, Role
        >>> sim = Simulation()
        >>> group = MulticastGroup([Node(1, Role.SERVER), Node(2, Role.SERVER)])
        >>> group.send(IdealLink(sim), 300, lambda m, a: print(m, a, sim.now), "hello")
        0
        >>> sim.run()
        T#01 hello 0
        T#02 hello 0
    """

    __slots__ = ("_members", "_name")

    def __init__(self, members: Iterable[N], name: str | None = None) -> None:
        self._members: tuple[N, ...] = ()
        self._set_members(tuple(members), type(self).__name__)
        self._name = name

    def _set_members(self, members: tuple[N, ...], owner: str) -> None:
        seen: set[int] = set()
        for member in members:
            if not isinstance(member, Node):
                raise param_error("members", owner, "an iterable of Node", member)
            if id(member) in seen:
                raise param_error("members", owner, "made of distinct nodes",
                                  f"{member.name} twice")
            seen.add(id(member))
        self._members = members

    @property
    def members(self) -> tuple[N, ...]:
        """The members, in delivery order."""
        return self._members

    def __len__(self) -> int:
        return len(self._members)

    def __iter__(self) -> Iterator[N]:
        return iter(self._members)

    def __contains__(self, node: object) -> bool:
        return any(member is node for member in self._members)

    def __str__(self) -> str:
        if self._name is not None:
            return self._name
        return f"[mcast-group {','.join(m.name for m in self._members)}]"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"

    def send(
        self,
        link: LinkLike,
        size_bytes: int,
        deliver: Callable[[N, Any], object],
        arg: Any = None,
    ) -> int:
        """Transmit one message on ``link`` and deliver it to every member at its arrival.

        The message is serialized once on the sender's ``link``; at its arrival one heap
        entry calls ``deliver(member, arg)`` for each member (as they are now), in member
        order, all at the same ``sim.now``.

        Args:
            link: the sender's outgoing link.
            size_bytes: the message's payload, bytes.
            deliver: called as ``deliver(member, arg)`` once per member.
            arg: passed to every call.

        Returns:
            The arrival time, ns (the same for every member).
        """
        return link.send(size_bytes, _fan_out, (self._members, deliver, arg))


class NegotiatingGroup(MulticastGroup[N]):
    """One block of a static partition of the servers (SURGE's negotiating group).

    Args:
        group_id: 1-based group number.
        members: its servers, in id order.

    Attributes:
        group_id: the 1-based group number.
    """

    __slots__ = ("group_id",)

    def __init__(self, group_id: int, members: Iterable[N]) -> None:
        self.group_id = check_int(group_id, "group_id", "NegotiatingGroup", low=1)
        super().__init__(members)

    def __str__(self) -> str:
        if not self._members:
            return "[ngt-group <empty>]"
        return f"[ngt-group {self._members[0].name}..{self._members[-1].name}]"


def negotiating_groups(servers: Sequence[N], group_size: int) -> tuple[NegotiatingGroup[N], ...]:
    """Partition ``servers`` into consecutive negotiating groups of ``group_size``.

    Group ``g`` (1-based) holds ``servers[(g-1)*group_size : g*group_size]``: with 18
    servers and a size of 9, group 1 is ``T#01..T#09`` and group 2 ``T#10..T#18``.

    Args:
        servers: the servers in id order; their number must be a multiple of
            ``group_size`` (SURGE's Replicast models round the server count down first).
        group_size: servers per group, an int >= 1 (SURGE's default ``G`` is 9).

    Returns:
        The groups, group 1 first.

    Raises:
        ValueError: ``group_size`` is not an int >= 1, or does not divide the number of
            servers.
    """
    check_int(group_size, "group_size", "negotiating_groups", low=1)
    if len(servers) % group_size:
        raise param_error("servers", "negotiating_groups",
                          f"a sequence whose length is a multiple of group_size={group_size}",
                          f"{len(servers)} servers")
    return tuple(
        NegotiatingGroup(index + 1, servers[index * group_size:(index + 1) * group_size])
        for index in range(len(servers) // group_size)
    )


def next_negotiating_group(
    chunk_id: int, previous_id: int | None, n_groups: int, rng: random.Random
) -> int:
    """The negotiating group for a chunk, never the gateway's previous one if avoidable.

    The rule of SURGE's multicast gateways: ``chunk_id mod n_groups + 1``; if that is the
    previous group, one uniform draw in ``1..n_groups``; if that is the previous group
    too, the next group after it (wrapping to 1). With one group the answer is 1.

    Args:
        chunk_id: the chunk's id, an int >= 0.
        previous_id: the group of the gateway's previous chunk, or ``None``.
        n_groups: number of groups, an int >= 1.
        rng: the gateway's random stream (one draw at most).

    Returns:
        A 1-based group id.
    """
    check_int(n_groups, "n_groups", "next_negotiating_group", low=1)
    group_id = chunk_id % n_groups + 1
    if group_id != previous_id:
        return group_id
    group_id = rng.randint(1, n_groups)
    if group_id != previous_id:
        return group_id
    return group_id % n_groups + 1


class RendezvousGroup(MulticastGroup[N]):
    """The servers chosen to store one chunk (SURGE's rendezvous group).

    Members are kept sorted by server id, whether added all at once (:meth:`set`) or one
    at a time as bids come in (:meth:`add`).

    Args:
        n_replicas: number of slots, an int >= 1 (the replication factor ``R``).
        chunk_id: the chunk it serves, or ``None``.
        ngt_id: the negotiating group it was chosen from, or ``None``.

    Attributes:
        n_replicas: number of slots.
        chunk_id: the chunk it serves.
        ngt_id: the negotiating group it was chosen from.
    """

    __slots__ = ("chunk_id", "n_replicas", "ngt_id")

    def __init__(
        self, n_replicas: int, chunk_id: int | None = None, ngt_id: int | None = None
    ) -> None:
        self.n_replicas = check_int(n_replicas, "n_replicas", "RendezvousGroup", low=1)
        self.chunk_id = chunk_id
        self.ngt_id = ngt_id
        super().__init__(())

    @property
    def is_complete(self) -> bool:
        """True once all ``n_replicas`` slots hold a server."""
        return len(self._members) == self.n_replicas

    def add(self, server: N) -> None:
        """Add one server, keeping the members sorted by id.

        Raises:
            ValueError: the group is full, or ``server`` is already a member.
        """
        if len(self._members) >= self.n_replicas:
            raise param_error("server", "RendezvousGroup.add",
                              f"added to a group with a free slot (n_replicas={self.n_replicas})",
                              server)
        self._set_members(tuple(sorted((*self._members, server), key=_node_id)),
                          "RendezvousGroup.add")

    def set(self, servers: Iterable[N]) -> None:
        """Replace the members with ``servers`` (at most ``n_replicas``), sorted by id.

        Raises:
            ValueError: too many servers, or one appears twice.
        """
        members = tuple(sorted(servers, key=_node_id))
        if len(members) > self.n_replicas:
            raise param_error("servers", "RendezvousGroup.set",
                              f"at most n_replicas={self.n_replicas} servers",
                              f"{len(members)} servers")
        self._set_members(members, "RendezvousGroup.set")

    def clear(self, chunk_id: int | None = None, ngt_id: int | None = None) -> None:
        """Empty the group for reuse with another chunk."""
        self._members = ()
        self.chunk_id = chunk_id
        self.ngt_id = ngt_id

    def __str__(self) -> str:
        if not self._members:
            return "[rzv-group <empty>]"
        return f"[rzv-group {','.join(m.name for m in self._members)}]"


def _node_id(node: Node) -> int:
    return node.id
