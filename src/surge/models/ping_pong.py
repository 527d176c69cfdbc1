"""Model 3, ``ping-pong``: gateways ping randomly chosen servers, servers pong back.

What it models and why
----------------------
SURGE's model 3, "ping-pong with a random target selection", is the smallest model with
a request/response protocol: it proves the engine (timing, ordering, per-node statistics)
before any storage protocol runs on it. Every node owns one outgoing link (its NIC) with a
bandwidth, an L2 overhead and a one-way latency (``trip_ns``); messages on a NIC are
serialized first come, first served, so a server that many gateways ping at once answers
them one after another, and the round-trip time distribution shows it.

Pipeline
--------
1. A gateway keeps up to ``window`` pings in flight, at most one per server (SURGE's
   invariant). To pick a target it starts at a uniformly random server and walks forward,
   wrapping around, to the first server it is not already waiting on.
2. The ping (``request_bytes``) crosses the gateway's NIC: FIFO serialization, then
   ``trip_ns`` of propagation, plus, with ``jitter`` (SURGE's ``clusterTripPlusRandom``), a
   random extra ``U[0, trip) + 1 ns``.
3. The server answers at once with a pong (``reply_bytes``) on its own NIC, same rules.
4. The gateway checks that the pong is the one it is waiting for (same server, same
   ping id), records the round-trip time and sends its next ping.

What to read in the results
---------------------------
``pings`` (completed round trips per gateway), ``rtt`` (round-trip time distribution in
ns: p50 vs p99.9 shows the queueing on busy server NICs), ``txbytes``/``rxbytes`` (bytes
per node), ``event`` (messages handled per node, SURGE's name) and ``nic_busy`` (the
share of time each NIC is serializing).

Reference defects fixed
-----------------------
* Target scan: SURGE wrapped back to server 1 once the id reached ``numServers``, so the
  last server was reached only as the random starting point; here the walk wraps modulo
  the number of servers and every server is reachable from every start.
* Wall-clock pacing: SURGE's gateways slept 1 µs of real time per loop, so the load per
  simulated second depended on the host. Here a gateway sends its next ping the moment a
  pong arrives, in simulated time only; the same seed gives the same run everywhere.
* Links: SURGE's model 3 had no bandwidth (a fixed trip plus jitter); here messages are
  serialized on their sender's NIC.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from surge.config.params import param
from surge.models.registry import Model, RunContext, register_model
from surge.network import Link, Node, Role
from surge.sim.units import GBPS, US
from surge.stats import Kind, Metric, Scope
from surge.stats.trace import VV, VVV

__all__ = ["PingPong", "PingPongParams"]

#: Size of SURGE's anonymous event on 64-bit Go, bytes: the default ping and pong.
ANONYMOUS_EVENT_BYTES = 144
_DEFAULT_TRIP_NS = 2 * US
_DEFAULT_WINDOW = 10
_MAX_PERCENT = 99.0


@dataclass(frozen=True, slots=True)
class PingPongParams:
    """Parameters of the ping-pong model."""

    trip_ns: int = param(_DEFAULT_TRIP_NS, unit="ns", minimum=0,
                         help="one-way propagation latency of every link (SURGE m3: 2us)")
    jitter: bool = param(True, help="add SURGE's random extra latency U[0, trip) + 1 ns per "
                                    "message")
    request_bytes: int = param(ANONYMOUS_EVENT_BYTES, unit="B", minimum=1,
                               help="size of a ping")
    reply_bytes: int = param(ANONYMOUS_EVENT_BYTES, unit="B", minimum=1,
                             help="size of a pong")
    link_bits_per_s: int = param(10 * GBPS, unit="bit/s", minimum=1,
                                 help="raw rate of every node's NIC")
    overhead_pct: float = param(1.0, unit="%", minimum=0.0, maximum=_MAX_PERCENT,
                                help="L2 overhead taken off the raw rate (SURGE: 1%)")
    window: int = param(_DEFAULT_WINDOW, minimum=1,
                        help="pings a gateway keeps in flight, each to a different server")


class _Gateway(Node):
    __slots__ = ("in_flight", "index", "nic", "rng", "sent_at", "waiting")

    def __init__(self, node_id: int, index: int, nic: Link, rng: random.Random,
                 servers: int) -> None:
        super().__init__(node_id, Role.GATEWAY)
        self.index = index
        self.nic = nic
        self.rng = rng
        self.waiting = [0] * servers  # ping id awaited from each server (0: none)
        self.sent_at = [0] * servers
        self.in_flight = 0


class _Server(Node):
    __slots__ = ("index", "nic", "rng")

    def __init__(self, node_id: int, index: int, nic: Link, rng: random.Random) -> None:
        super().__init__(node_id, Role.SERVER)
        self.index = index
        self.nic = nic
        self.rng = rng


@register_model(
    "ping-pong",
    alias="3",
    description="ping-pong with a random target selection (SURGE model 3), on FIFO NICs",
    params=PingPongParams,
)
class PingPong(Model[PingPongParams]):
    """SURGE model 3 on the surge engine (see the module docstring)."""

    def __init__(self, ctx: RunContext, params: PingPongParams) -> None:
        super().__init__(ctx, params)
        self._next_id = 1

    def build(self) -> None:
        """Create NICs, declare metrics and start every gateway's pings at time 0."""
        ctx, p, sim = self.ctx, self.params, self.sim
        stats = ctx.stats

        def nic(name: str) -> Link:
            return Link(sim, p.link_bits_per_s, p.trip_ns, overhead_pct=p.overhead_pct,
                        name=name)

        self.gateways = [
            _Gateway(i, ctx.gateway_index(i), nic(f"I#{i:02d}"), sim.random.python(f"I#{i:02d}"),
                     ctx.servers)
            for i in range(1, ctx.gateways + 1)
        ]
        self.servers = [
            _Server(i, ctx.server_index(i), nic(f"T#{i:02d}"), sim.random.python(f"T#{i:02d}"))
            for i in range(1, ctx.servers + 1)
        ]
        both = Scope.GATEWAY | Scope.SERVER
        self.pings = stats.counter(Metric("pings", Kind.COUNT, Scope.GATEWAY, "ping",
                                          "completed round trips"))
        self.rtt = stats.distribution(Metric("rtt", Kind.DISTRIBUTION, Scope.GATEWAY, "ns",
                                             "round-trip time, ping sent to pong received"))
        self.txbytes = stats.counter(Metric("txbytes", Kind.BYTES, both, "B",
                                            "bytes handed to the node's NIC"))
        self.rxbytes = stats.counter(Metric("rxbytes", Kind.BYTES, both, "B",
                                            "bytes received by the node"))
        self.events = stats.counter(Metric("event", Kind.COUNT, both, "event",
                                           "messages handled by the node"))
        nics = [g.nic for g in self.gateways] + [s.nic for s in self.servers]
        stats.sampled(Metric("nic_busy", Kind.PERCENT, both, "%",
                             "share of time the node's NIC is serializing"),
                      lambda i: float(min(nics[i].stats().busy_ns, sim.now)))
        for gw in self.gateways:
            self._fill(gw)

    # ------------------------------------------------------------------ gateway side
    def _pick_target(self, gw: _Gateway) -> int | None:
        """Random start, walk forward with wrap-around to a server not awaited (index)."""
        n = len(self.servers)
        waiting = gw.waiting
        start = int(gw.rng.random() * n)
        for k in range(n):
            s = (start + k) % n
            if not waiting[s]:
                return s
        return None

    def _fill(self, gw: _Gateway) -> None:
        window = self.params.window
        while gw.in_flight < window:
            s = self._pick_target(gw)
            if s is None:
                return
            ping_id = self._next_id
            self._next_id += 1
            gw.waiting[s] = ping_id
            gw.sent_at[s] = self.sim.now
            gw.in_flight += 1
            size = self.params.request_bytes
            self.txbytes.values[gw.index] += size
            self._transmit(gw.nic, gw.rng, size, self._on_ping, (gw, s, ping_id))
            if self.ctx.trace.level >= VV:
                self.ctx.trace.log(VV, "ping-sent", gw.name, self.servers[s].name, ping_id)

    def _transmit(self, nic: Link, rng: random.Random, size: int, handler: object,
                  msg: tuple[_Gateway, int, int]) -> None:
        if self.params.jitter:
            nic.send(size, self._jittered, (rng, handler, msg))
        else:
            nic.send(size, handler, msg)  # type: ignore[arg-type]

    def _jittered(self, item: tuple[random.Random, object, tuple[_Gateway, int, int]]) -> None:
        rng, handler, msg = item
        extra = int(rng.random() * self.params.trip_ns) + 1
        self.sim.schedule(extra, handler, msg)  # type: ignore[arg-type]

    def _on_pong(self, msg: tuple[_Gateway, int, int]) -> None:
        gw, s, ping_id = msg
        if gw.waiting[s] != ping_id:
            raise RuntimeError(
                f"{gw.name} got pong {ping_id} from {self.servers[s].name} while waiting for "
                f"{gw.waiting[s]}: protocol violated"
            )
        gw.waiting[s] = 0
        gw.in_flight -= 1
        i = gw.index
        self.rxbytes.values[i] += self.params.reply_bytes
        self.events.values[i] += 1
        self.pings.values[i] += 1
        self.rtt.record(self.sim.now - gw.sent_at[s], i)
        if self.ctx.trace.level >= VV:
            self.ctx.trace.log(VV, "pong-received", gw.name, self.servers[s].name, ping_id)
        self._fill(gw)

    # ------------------------------------------------------------------- server side
    def _on_ping(self, msg: tuple[_Gateway, int, int]) -> None:
        gw, s, ping_id = msg
        server = self.servers[s]
        i = server.index
        self.rxbytes.values[i] += self.params.request_bytes
        self.events.values[i] += 1
        size = self.params.reply_bytes
        self.txbytes.values[i] += size
        self._transmit(server.nic, server.rng, size, self._on_pong, msg)
        if self.ctx.trace.level >= VVV:
            self.ctx.trace.log(VVV, "ping-received", server.name, gw.name, ping_id)
