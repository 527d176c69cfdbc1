"""Tests of surge.network.flow: per-transfer state and the per-node flow directory."""

from __future__ import annotations

from typing import Any

import pytest

from surge.network import (
    Flow,
    FlowDirectory,
    MulticastGroup,
    Node,
    Role,
    TokenBucket,
)
from surge.sim import GBPS, KIB, Simulation, serialization_ns

RATE_9_9G = 9_900_000_000


@pytest.fixture
def gateway() -> Node:
    return Node(1, Role.GATEWAY)


@pytest.fixture
def server() -> Node:
    return Node(5, Role.SERVER)


class TestFlow:
    """The state of one transfer."""

    def test_fields_and_defaults(self, gateway: Node, server: Node) -> None:
        """A flow stores its ends, chunk, replica, sizes, rate, bucket and extension."""
        bucket = TokenBucket(Simulation(), max_units=74_400, rate=RATE_9_9G)
        flow = Flow(gateway, server, 128 * KIB, chunk_id=0x12345, replica=2,
                    bits_per_s=RATE_9_9G, bucket=bucket, extension={"tio": 1})
        assert (flow.source, flow.destination, flow.total_bytes) == (gateway, server, 131_072)
        assert (flow.chunk_id, flow.replica, flow.bits_per_s) == (0x12345, 2, RATE_9_9G)
        assert flow.bucket is bucket
        assert (flow.offset_bytes, flow.tx_free_ns, flow.extension) == (0, 0, {"tio": 1})
        assert flow.short_id == 0x2345
        assert Flow(gateway, server, 1).short_id is None
        assert not hasattr(flow, "__dict__")

    def test_unicast_or_multicast(self, gateway: Node, server: Node) -> None:
        """A flow to a node is unicast; a flow to a group is not."""
        assert Flow(gateway, server, 10).is_unicast
        assert not Flow(gateway, MulticastGroup([server]), 10).is_unicast

    def test_frames_of_a_chunk(self, gateway: Node, server: Node) -> None:
        """A 128 KiB replica goes as 14 frames of 9000 B then one of 5072 B."""
        flow = Flow(gateway, server, 128 * KIB, bits_per_s=RATE_9_9G)
        sizes = []
        now = 0
        while not flow.is_done:
            size = flow.next_frame_bytes(9000)
            now = flow.transmit(now, size)
            sizes.append(size)
        assert sizes == [9000] * 14 + [5072]
        assert flow.remaining_bytes == 0
        assert now == 14 * serialization_ns(9000, RATE_9_9G) + serialization_ns(5072, RATE_9_9G)

    def test_transmit_sets_the_transmitter_free_time(self, gateway: Node, server: Node) -> None:
        """transmit advances the offset and sets tx_free_ns = now + floor(bits / rate)."""
        flow = Flow(gateway, server, 20_000, bits_per_s=RATE_9_9G)
        assert flow.transmit(1000, 9000) == 1000 + 7272
        assert (flow.offset_bytes, flow.tx_free_ns) == (9000, 8272)
        assert flow.tx_ns(100) == serialization_ns(100, RATE_9_9G)

    def test_transmit_refuses_overrun_and_zero_rate(self, gateway: Node, server: Node) -> None:
        """A frame past the end, or any frame at rate 0, is refused."""
        flow = Flow(gateway, server, 100, bits_per_s=GBPS)
        with pytest.raises(ValueError, match=r"an int in \[0, 100\]"):
            flow.transmit(0, 101)
        flow.bits_per_s = 0
        with pytest.raises(ValueError, match="'bits_per_s' parameter"):
            flow.transmit(0, 10)
        assert flow.offset_bytes == 0

    def test_bytes_to_write_only_when_complete(self, gateway: Node, server: Node) -> None:
        """A server writes nothing until the last byte is in, then the whole replica."""
        flow = Flow(server, gateway, 18_000)
        assert flow.receive(9000) == 9000
        assert flow.bytes_to_write == 0
        assert flow.receive(18_000) == 9000
        assert flow.bytes_to_write == 18_000

    def test_receive_refuses_out_of_order(self, gateway: Node, server: Node) -> None:
        """An offset that goes backwards or past the total is out of order."""
        flow = Flow(gateway, server, 18_000, offset_bytes=9000)
        with pytest.raises(ValueError, match="frames arrive in order"):
            flow.receive(8999)
        with pytest.raises(ValueError, match=r"\[9000, 18000\]"):
            flow.receive(18_001)

    def test_repr_like_surge(self, gateway: Node, server: Node) -> None:
        """The repr shows ends, chunk short id, replica, offset and rate in Gbps."""
        flow = Flow(gateway, server, 128 * KIB, chunk_id=1234, replica=2,
                    bits_per_s=RATE_9_9G, offset_bytes=9000)
        assert repr(flow) == "[flow I#01=>T#05[c#1234(2)],offset=9000,bw=9.90Gbps]"
        group = MulticastGroup([server])
        assert repr(Flow(gateway, group, 1, chunk_id=7)) == (
            "[flow I#01=>[mcast-group T#05][c#7],offset=0,bw=0.00Gbps]")

    @pytest.mark.parametrize(
        ("kwargs", "param"),
        [
            ({"total_bytes": -1}, "total_bytes"),
            ({"offset_bytes": 11}, "offset_bytes"),
            ({"replica": -1}, "replica"),
            ({"bits_per_s": 1.5}, "bits_per_s"),
            ({"tx_free_ns": -1}, "tx_free_ns"),
            ({"source": "I#01"}, "source"),
            ({"destination": None}, "destination"),
        ],
    )
    def test_rejects_bad_arguments(self, gateway: Node, server: Node,
                                   kwargs: dict[str, Any], param: str) -> None:
        """Out-of-range flow arguments are refused with their name."""
        args: dict[str, Any] = {"source": gateway, "destination": server, "total_bytes": 10,
                                **kwargs}
        with pytest.raises(ValueError, match=f"^The '{param}' parameter of Flow"):
            Flow(**args)


class TestFlowDirectory:
    """One node's flows keyed by peer."""

    def test_keyed_by_the_other_end(self, gateway: Node, server: Node) -> None:
        """Sender and receiver each find the same flow under the other's node."""
        flow = Flow(gateway, server, 100)
        at_gateway, at_server = FlowDirectory(gateway), FlowDirectory(server)
        at_gateway.insert(flow)
        at_server.insert(flow)
        assert at_gateway.get(server) is flow
        assert at_server.require(gateway) is flow
        assert server in at_gateway
        assert at_gateway.peers() == (server,)

    def test_multicast_flow(self, gateway: Node, server: Node) -> None:
        """A multicast flow is keyed by its group at the sender, by the sender at members."""
        other = Node(6, Role.SERVER)
        group = MulticastGroup([server, other])
        flow = Flow(gateway, group, 100)
        at_gateway, at_member = FlowDirectory(gateway), FlowDirectory(other)
        at_gateway.insert(flow)
        at_member.insert(flow)
        assert at_gateway.require(group) is flow
        assert at_member.require(gateway) is flow

    def test_one_flow_per_peer_unless_replaced(self, gateway: Node, server: Node) -> None:
        """A second flow with the same peer is refused unless replace=True."""
        directory = FlowDirectory(gateway)
        directory.insert(Flow(gateway, server, 1))
        newer = Flow(gateway, server, 2)
        with pytest.raises(ValueError, match="pass replace=True"):
            directory.insert(newer)
        directory.insert(newer, replace=True)
        assert directory.require(server) is newer
        assert len(directory) == 1

    def test_remove_and_missing(self, gateway: Node, server: Node) -> None:
        """remove returns the flow once; require on a missing peer raises KeyError."""
        directory = FlowDirectory(server)
        flow = Flow(gateway, server, 1)
        directory.insert(flow)
        assert directory.remove(gateway) is flow
        assert directory.remove(gateway) is None
        assert directory.get(gateway) is None
        with pytest.raises(KeyError, match="T#05 has no flow with I#01"):
            directory.require(gateway)

    def test_iteration_order_and_mutation(self, gateway: Node) -> None:
        """Flows iterate in insertion order, and a loop may remove flows safely."""
        servers = [Node(i, Role.SERVER) for i in (3, 1, 2)]
        directory = FlowDirectory(gateway)
        for server in servers:
            directory.insert(Flow(gateway, server, server.id))
        seen = []
        for flow in directory:
            seen.append(flow.total_bytes)
            directory.remove(flow.destination)
        assert seen == [3, 1, 2]
        assert len(directory) == 0
        assert repr(directory) == "<FlowDirectory of I#01: 0 flows>"

    def test_foreign_flow_and_owner_checks(self, gateway: Node, server: Node) -> None:
        """A flow that does not involve the owner, or a non-node owner, is refused."""
        stranger = Node(9, Role.SERVER)
        with pytest.raises(ValueError, match="a flow from or to the owner"):
            FlowDirectory(stranger).insert(Flow(gateway, server, 1))
        with pytest.raises(ValueError, match="'owner' parameter of FlowDirectory"):
            FlowDirectory("I#01")  # type: ignore[arg-type]
