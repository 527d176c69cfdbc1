"""Nodes and the topology that numbers them.

Design
------
A :class:`Node` is deliberately light: an integer id, a role and a printable name, in
``__slots__``. It knows nothing about links, disks or protocols; models subclass it (adding
their own slots) or hold one per entity. Nodes compare and hash by identity, so they key
dictionaries such as a flow directory.

Ids are 1-based **per role**, as in SURGE: gateways (initiators) print ``I#01``, ``I#02``..,
servers (targets) ``T#01``.. . Roles form an open set: :class:`Role` names the two that
SURGE's core knows, and a model may use any other non-empty string (``"proxy"``,
``"hdd"``); :class:`Role` is a :class:`enum.StrEnum`, so ``Role.SERVER == "server"`` and the
two spellings are interchangeable. A role's name prefix comes from :data:`ROLE_PREFIXES`
(``I`` and ``T``), else from an explicit ``prefix``, else it is the role string itself
(``proxy#01``).

A :class:`Topology` creates and numbers the nodes of one simulation and hands each node its
own random substream, ``sim.random.python(node.name)``, created on first use: adding a node
never perturbs the draws of the others (see :mod:`surge.sim.random`). SURGE's full
gateway-server mesh is not materialised here; a model creates the links it needs.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar, overload

from surge.network._validation import check_int, param_error

if TYPE_CHECKING:
    from surge.sim import Simulation

__all__ = ["ROLE_PREFIXES", "Node", "Role", "Topology"]


class Role(StrEnum):
    """The roles SURGE's core knows; any other non-empty string is a valid role too."""

    GATEWAY = "gateway"
    """An initiator: it creates chunks and sends them (printed ``I#nn``)."""
    SERVER = "server"
    """A target: it receives and stores replicas (printed ``T#nn``)."""


#: Name prefix per role, as SURGE prints them. Other roles print their own string.
ROLE_PREFIXES: dict[str, str] = {Role.GATEWAY: "I", Role.SERVER: "T"}


class Node:
    """A node of the simulated cluster: an id, a role and a name.

    Args:
        node_id: 1-based id within its role.
        role: a :class:`Role` or any non-empty string naming a model-defined role.
        prefix: the name prefix; defaults to :data:`ROLE_PREFIXES` for the role, else the
            role string.

    Attributes:
        id: the 1-based id within the role.
        role: the role, as given.
        name: ``<prefix>#<id:02d>``, e.g. ``I#01``, ``T#12``, ``proxy#03``.

    Raises:
        ValueError: ``node_id`` is not an int >= 1, or ``role``/``prefix`` is empty.

    Example:
        >>> Node(5, Role.SERVER).name
        'T#05'
    """

    __slots__ = ("id", "name", "role")

    def __init__(self, node_id: int, role: str, *, prefix: str | None = None) -> None:
        self.id = check_int(node_id, "node_id", "Node", low=1)
        if not isinstance(role, str) or not role:
            raise param_error("role", "Node", "a Role or a non-empty str", role)
        if prefix is None:
            prefix = ROLE_PREFIXES.get(role, str(role))
        elif not isinstance(prefix, str) or not prefix:
            raise param_error("prefix", "Node", "a non-empty str or None", prefix)
        self.role = role
        self.name = f"{prefix}#{node_id:02d}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def __str__(self) -> str:
        return self.name


N = TypeVar("N", bound=Node)


class Topology:
    """The nodes of one simulation, numbered 1.. per role, each with its own RNG stream.

    Args:
        sim: the simulation whose random streams the nodes draw from.
        n_gateways: gateways to create now (``I#01``..).
        n_servers: servers to create now (``T#01``..).
        gateway_factory: builds each gateway as ``factory(node_id, role)``, e.g. a model's
            :class:`Node` subclass; defaults to :class:`Node`.
        server_factory: the same for servers.

    Raises:
        ValueError: a count is not an int >= 0.

    Example:
        >>> from surge.sim import Simulation
        >>> topo = Topology(Simulation(seed=1), n_gateways=2, n_servers=3)
        >>> [n.name for n in topo.nodes]
        ['I#01', 'I#02', 'T#01', 'T#02', 'T#03']
    """

    def __init__(
        self,
        sim: Simulation,
        n_gateways: int = 0,
        n_servers: int = 0,
        *,
        gateway_factory: Callable[[int, str], Node] | None = None,
        server_factory: Callable[[int, str], Node] | None = None,
    ) -> None:
        check_int(n_gateways, "n_gateways", "Topology")
        check_int(n_servers, "n_servers", "Topology")
        self.sim = sim
        self._by_role: dict[str, list[Node]] = {}
        self._nodes: list[Node] = []
        self._names: set[str] = set()
        self.add(Role.GATEWAY, n_gateways, gateway_factory or Node)
        self.add(Role.SERVER, n_servers, server_factory or Node)

    @overload
    def add(self, role: str, count: int) -> tuple[Node, ...]: ...

    @overload
    def add(
        self, role: str, count: int, factory: Callable[[int, str], N]
    ) -> tuple[N, ...]: ...

    def add(
        self, role: str, count: int, factory: Callable[[int, str], Node] | None = None
    ) -> tuple[Node, ...]:
        """Create ``count`` more nodes of ``role``, numbered after the existing ones.

        Args:
            role: a :class:`Role` or a model-defined role string.
            count: how many nodes to add (0 is allowed).
            factory: ``factory(node_id, role)`` builds each node (a :class:`Node` subclass
                for a model's own state); defaults to :class:`Node`.

        Returns:
            The new nodes, in id order.

        Raises:
            ValueError: ``count`` is negative, or a node's name is already taken.
        """
        check_int(count, "count", "Topology.add")
        make = Node if factory is None else factory
        same_role = self._by_role.setdefault(role, [])
        created = []
        for node_id in range(len(same_role) + 1, len(same_role) + count + 1):
            node = make(node_id, role)
            if node.name in self._names:
                raise param_error("role", "Topology.add", "a role whose node names are unused",
                                  f"{role} (name {node.name} is taken)")
            self._names.add(node.name)
            created.append(node)
        same_role.extend(created)
        self._nodes.extend(created)
        return tuple(created)

    @property
    def gateways(self) -> tuple[Node, ...]:
        """The gateways, ``I#01`` first."""
        return self.by_role(Role.GATEWAY)

    @property
    def servers(self) -> tuple[Node, ...]:
        """The servers, ``T#01`` first."""
        return self.by_role(Role.SERVER)

    @property
    def nodes(self) -> tuple[Node, ...]:
        """Every node in creation order (gateways, then servers, then other roles)."""
        return tuple(self._nodes)

    def by_role(self, role: str) -> tuple[Node, ...]:
        """The nodes of ``role`` in id order (empty for an unknown role)."""
        return tuple(self._by_role.get(role, ()))

    def get(self, role: str, node_id: int) -> Node:
        """The node of ``role`` with 1-based ``node_id``.

        Raises:
            KeyError: there is no such node.
        """
        same_role = self._by_role.get(role, [])
        if isinstance(node_id, bool) or not isinstance(node_id, int) \
                or not 1 <= node_id <= len(same_role):
            raise KeyError(f"no {role} with id {node_id!r}: ids run 1..{len(same_role)}")
        return same_role[node_id - 1]

    def gateway(self, node_id: int) -> Node:
        """Gateway ``I#<node_id>`` (1-based)."""
        return self.get(Role.GATEWAY, node_id)

    def server(self, node_id: int) -> Node:
        """Server ``T#<node_id>`` (1-based)."""
        return self.get(Role.SERVER, node_id)

    def rng(self, node: Node) -> random.Random:
        """The node's own random stream, ``sim.random.python(node.name)`` (made on first use)."""
        return self.sim.random.python(node.name)

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(self._nodes)

    def __repr__(self) -> str:
        counts = ", ".join(f"{role}={len(nodes)}" for role, nodes in self._by_role.items())
        return f"<Topology {counts}>"
