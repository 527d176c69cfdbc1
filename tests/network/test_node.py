"""Tests of surge.network.node: node ids, roles and names; the topology and its RNG streams."""

from __future__ import annotations

import pytest

from surge.network import ROLE_PREFIXES, Node, Role, Topology
from surge.sim import Simulation


class TestNode:
    """A node's id, role and name."""

    def test_gateway_and_server_names(self) -> None:
        """Gateways print I#nn and servers T#nn with a two-digit, 1-based id, as in SURGE."""
        assert Node(1, Role.GATEWAY).name == "I#01"
        assert Node(5, Role.SERVER).name == "T#05"
        assert str(Node(123, Role.SERVER)) == "T#123"

    def test_role_is_a_plain_string_too(self) -> None:
        """Role members equal their string values, so both spellings name the same role."""
        plain: str = "server"
        assert plain == Role.SERVER
        assert Node(2, "server").name == "T#02"
        assert Node(2, "gateway").role == Role.GATEWAY
        assert ROLE_PREFIXES[Role.GATEWAY] == "I"

    def test_model_defined_role_uses_its_name_or_a_prefix(self) -> None:
        """A role unknown to the core prints its own string, or the prefix given."""
        assert Node(3, "proxy").name == "proxy#03"
        assert Node(3, "hdd", prefix="H").name == "H#03"

    def test_identity_semantics(self) -> None:
        """Two nodes with the same id and role are distinct keys (identity hashing)."""
        first, second = Node(1, Role.SERVER), Node(1, Role.SERVER)
        assert first != second
        assert len({first, second}) == 2

    def test_slots_keep_nodes_light(self) -> None:
        """A plain node has no per-instance dict; a model's subclass may add its own slots."""

        class Server(Node):
            __slots__ = ("disk",)
            disk: str

        assert not hasattr(Node(1, Role.SERVER), "__dict__")
        server = Server(1, Role.SERVER)
        server.disk = "hdd"
        assert server.name == "T#01"

    @pytest.mark.parametrize("bad", [0, -1, True, 1.0, "1"])
    def test_rejects_bad_id(self, bad: object) -> None:
        """An id that is not an int >= 1 is refused with the parameter, range and value."""
        with pytest.raises(ValueError, match=r"^The 'node_id' parameter of Node must be an "
                                             r"int >= 1\. Got .* instead\.$"):
            Node(bad, Role.SERVER)  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", ["", None, 3])
    def test_rejects_bad_role(self, bad: object) -> None:
        """A role must be a non-empty string."""
        with pytest.raises(ValueError, match="'role' parameter of Node"):
            Node(1, bad)  # type: ignore[arg-type]

    def test_rejects_empty_prefix(self) -> None:
        """An explicit prefix must be a non-empty string."""
        with pytest.raises(ValueError, match="'prefix' parameter of Node"):
            Node(1, "proxy", prefix="")


class TestTopology:
    """Building and looking up the nodes of a cluster."""

    def test_builds_gateways_then_servers(self) -> None:
        """G gateways and S servers are numbered 1.. per role, gateways first."""
        topo = Topology(Simulation(), n_gateways=2, n_servers=3)
        assert [n.name for n in topo.nodes] == ["I#01", "I#02", "T#01", "T#02", "T#03"]
        assert [n.id for n in topo.servers] == [1, 2, 3]
        assert all(n.role == Role.GATEWAY for n in topo.gateways)
        assert len(topo) == 5
        assert list(topo) == list(topo.nodes)

    def test_add_continues_numbering_and_supports_other_roles(self) -> None:
        """Adding nodes continues the ids of the role; a model role gets its own numbering."""
        topo = Topology(Simulation(), n_servers=2)
        more = topo.add(Role.SERVER, 2)
        proxies = topo.add("proxy", 2)
        assert [n.name for n in more] == ["T#03", "T#04"]
        assert [n.name for n in proxies] == ["proxy#01", "proxy#02"]
        assert topo.by_role("proxy") == proxies
        assert topo.by_role("nothing") == ()

    def test_factories_build_model_subclasses(self) -> None:
        """A factory builds each node, so a model gets its own Node subclass back."""

        class Gateway(Node):
            __slots__ = ("inflight",)

            def __init__(self, node_id: int, role: str) -> None:
                super().__init__(node_id, role)
                self.inflight = 0

        topo = Topology(Simulation(), n_gateways=2, gateway_factory=Gateway)
        assert all(isinstance(n, Gateway) for n in topo.gateways)
        added = topo.add(Role.GATEWAY, 1, Gateway)
        assert added[0].inflight == 0
        assert added[0].name == "I#03"

    def test_lookup_by_role_and_id(self) -> None:
        """gateway(i)/server(i) return the node with 1-based id i, else KeyError."""
        topo = Topology(Simulation(), n_gateways=1, n_servers=2)
        assert topo.server(2).name == "T#02"
        assert topo.gateway(1) is topo.gateways[0]
        with pytest.raises(KeyError, match=r"ids run 1\.\.2"):
            topo.server(3)
        with pytest.raises(KeyError):
            topo.get("proxy", 1)

    def test_name_collision_is_refused(self) -> None:
        """A model role whose names would repeat an existing node's name is refused."""
        topo = Topology(Simulation(), n_gateways=1)
        with pytest.raises(ValueError, match="name I#01 is taken"):
            topo.add("I", 1)

    @pytest.mark.parametrize("bad", [-1, 1.5])
    def test_rejects_bad_counts(self, bad: object) -> None:
        """Node counts must be ints >= 0."""
        with pytest.raises(ValueError, match="'n_servers' parameter of Topology"):
            Topology(Simulation(), n_servers=bad)  # type: ignore[arg-type]

    def test_each_node_has_its_own_stream(self) -> None:
        """Each node's RNG is the simulation's substream named after the node, cached."""
        sim = Simulation(seed=7)
        topo = Topology(sim, n_gateways=1, n_servers=1)
        gateway, server = topo.nodes
        assert topo.rng(gateway) is sim.random.python("I#01")
        assert topo.rng(gateway) is topo.rng(gateway)
        assert topo.rng(gateway).random() != topo.rng(server).random()

    def test_streams_do_not_depend_on_cluster_size(self) -> None:
        """Adding nodes does not perturb another node's draws (same seed, same name)."""
        small = Topology(Simulation(seed=3), n_servers=2)
        large = Topology(Simulation(seed=3), n_gateways=5, n_servers=9)
        draws_small = [small.rng(small.server(2)).random() for _ in range(5)]
        draws_large = [large.rng(large.server(2)).random() for _ in range(5)]
        assert draws_small == draws_large

    def test_repr_counts_roles(self) -> None:
        """The repr lists each role with its node count."""
        assert repr(Topology(Simulation(), 1, 2)) == "<Topology gateway=1, server=2>"
