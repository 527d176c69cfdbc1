"""Tests of surge.network.multicast: same-instant delivery, negotiating and rendezvous groups."""

from __future__ import annotations

import random
from typing import Any

import pytest

from surge.network import (
    IdealLink,
    Link,
    MulticastGroup,
    NegotiatingGroup,
    Node,
    RendezvousGroup,
    Role,
    Topology,
    negotiating_groups,
    next_negotiating_group,
)
from surge.sim import GBPS, Simulation, serialization_ns, us


def _servers(count: int) -> list[Node]:
    return [Node(i, Role.SERVER) for i in range(1, count + 1)]


class TestMulticastGroup:
    """One transmission delivered to every member at the same instant."""

    def test_all_members_receive_at_the_same_ns(self) -> None:
        """Every member gets the message at the one arrival time, in member order."""
        sim = Simulation()
        members = _servers(3)
        group = MulticastGroup(members)
        link = Link(sim, 10 * GBPS, us(1))
        log: list[tuple[str, Any, int]] = []
        arrival = group.send(link, 9000, lambda m, a: log.append((m.name, a, sim.now)), "bid")
        sim.run()
        expected = 1000 + serialization_ns(9000, 10 * GBPS)
        assert arrival == expected
        assert log == [("T#01", "bid", expected), ("T#02", "bid", expected),
                       ("T#03", "bid", expected)]

    def test_serialized_once_one_heap_entry(self) -> None:
        """A multicast costs one message on the sender's link and one heap entry."""
        sim = Simulation()
        group = MulticastGroup(_servers(9))
        link = Link(sim, 10 * GBPS, 0)
        group.send(link, 300, lambda m, a: None)
        assert sim.pending == 1
        sim.run()
        stats = link.stats()
        assert (stats.messages, stats.bytes_sent, sim.events_processed) == (1, 300, 1)

    def test_members_are_captured_at_send_time(self) -> None:
        """Members added after the send do not receive the message already on the wire."""
        sim = Simulation()
        servers = _servers(3)
        group: RendezvousGroup[Node] = RendezvousGroup(3)
        group.add(servers[0])
        got: list[str] = []
        group.send(IdealLink(sim), 100, lambda m, a: got.append(m.name))
        group.add(servers[1])
        sim.run()
        assert got == ["T#01"]

    def test_members_of_a_topology(self) -> None:
        """A group built from a topology's servers behaves as a sequence of them."""
        topo = Topology(Simulation(), n_gateways=1, n_servers=3)
        group = MulticastGroup(topo.servers)
        assert len(group) == 3
        assert list(group) == list(topo.servers)
        assert topo.server(2) in group
        assert topo.gateway(1) not in group
        assert group.members == topo.servers
        assert str(group) == "[mcast-group T#01,T#02,T#03]"
        assert repr(MulticastGroup(topo.servers[:1], name="g")) == "<MulticastGroup g>"

    def test_rejects_duplicates_and_non_nodes(self) -> None:
        """A node listed twice, or a non-node member, is refused."""
        node = Node(1, Role.SERVER)
        with pytest.raises(ValueError, match=r"made of distinct nodes\. Got 'T#01 twice'"):
            MulticastGroup([node, node])
        with pytest.raises(ValueError, match="an iterable of Node"):
            MulticastGroup(["T#01"])  # type: ignore[type-var]


class TestNegotiatingGroups:
    """The static partition of servers into consecutive blocks."""

    def test_partition_into_consecutive_blocks(self) -> None:
        """18 servers with G = 9 make groups T#01..T#09 and T#10..T#18."""
        servers = _servers(18)
        groups = negotiating_groups(servers, 9)
        assert [g.group_id for g in groups] == [1, 2]
        assert groups[0].members == tuple(servers[:9])
        assert groups[1].members == tuple(servers[9:])
        assert str(groups[1]) == "[ngt-group T#10..T#18]"
        assert isinstance(groups[0], MulticastGroup)

    def test_count_must_be_a_multiple(self) -> None:
        """A server count that is not a multiple of the group size is refused."""
        with pytest.raises(ValueError, match=r"multiple of group_size=9\. Got '10 servers'"):
            negotiating_groups(_servers(10), 9)

    def test_rejects_bad_group_size_and_id(self) -> None:
        """The group size and group id must be ints >= 1."""
        with pytest.raises(ValueError, match="'group_size' parameter"):
            negotiating_groups(_servers(3), 0)
        with pytest.raises(ValueError, match="'group_id' parameter of NegotiatingGroup"):
            NegotiatingGroup(0, _servers(1))
        assert str(NegotiatingGroup(1, [])) == "[ngt-group <empty>]"


class _FixedRandom(random.Random):
    """A random stream whose randint always returns one value."""

    def __init__(self, value: int) -> None:
        super().__init__(0)
        self.value = value

    def randint(self, a: int, b: int) -> int:
        return self.value


class TestNextNegotiatingGroup:
    """Choosing the group of a chunk."""

    def test_chunk_id_modulo(self) -> None:
        """The group is chunk_id mod n + 1 when that differs from the previous one."""
        assert next_negotiating_group(7, None, 2, _FixedRandom(1)) == 2
        assert next_negotiating_group(8, 2, 2, _FixedRandom(2)) == 1

    def test_random_retry(self) -> None:
        """When the modulo repeats the previous group, one random draw is taken."""
        assert next_negotiating_group(5, 2, 4, _FixedRandom(4)) == 4

    def test_falls_back_to_the_next_group(self) -> None:
        """When the draw repeats the previous group too, the next group (wrapping) is taken."""
        assert next_negotiating_group(5, 2, 4, _FixedRandom(2)) == 3
        assert next_negotiating_group(3, 4, 4, _FixedRandom(4)) == 1

    def test_single_group(self) -> None:
        """With one group, every chunk goes to group 1."""
        assert next_negotiating_group(5, 1, 1, random.Random(0)) == 1

    def test_consecutive_chunks_change_group(self) -> None:
        """With several groups, a chunk never goes to the previous chunk's group."""
        rng = random.Random(3)
        previous = None
        for chunk_id in range(200):
            group = next_negotiating_group(chunk_id * 3, previous, 3, rng)
            assert 1 <= group <= 3
            assert group != previous
            previous = group


class TestRendezvousGroup:
    """The servers selected for one chunk."""

    def test_add_keeps_members_sorted(self) -> None:
        """Servers added one at a time are kept in id order until the group is complete."""
        servers = _servers(9)
        group: RendezvousGroup[Node] = RendezvousGroup(3, chunk_id=77, ngt_id=1)
        for index in (7, 2, 4):
            assert not group.is_complete
            group.add(servers[index])
        assert group.is_complete
        assert [m.name for m in group] == ["T#03", "T#05", "T#08"]
        assert str(group) == "[rzv-group T#03,T#05,T#08]"
        assert (group.chunk_id, group.ngt_id) == (77, 1)

    def test_full_or_duplicate_is_refused(self) -> None:
        """Adding to a full group, or a member twice, raises."""
        servers = _servers(3)
        group: RendezvousGroup[Node] = RendezvousGroup(2)
        group.add(servers[0])
        with pytest.raises(ValueError, match="distinct nodes"):
            group.add(servers[0])
        group.add(servers[1])
        with pytest.raises(ValueError, match="free slot"):
            group.add(servers[2])

    def test_set_and_clear(self) -> None:
        """set replaces the members (sorted, at most n_replicas); clear empties for reuse."""
        servers = _servers(5)
        group: RendezvousGroup[Node] = RendezvousGroup(3)
        group.set([servers[4], servers[0]])
        assert [m.id for m in group] == [1, 5]
        with pytest.raises(ValueError, match="at most n_replicas=3"):
            group.set(servers)
        group.clear(chunk_id=5, ngt_id=2)
        assert (len(group), group.chunk_id, group.ngt_id) == (0, 5, 2)
        assert str(group) == "[rzv-group <empty>]"

    def test_rejects_bad_size(self) -> None:
        """The number of slots must be an int >= 1."""
        with pytest.raises(ValueError, match="'n_replicas' parameter of RendezvousGroup"):
            RendezvousGroup(0)
