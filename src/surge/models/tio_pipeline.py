"""Model 4, ``pipeline``: four-stage transactions walk a TIO pipeline between nodes.

What it models and why
----------------------
SURGE's model 4, "TIO pipeline in action", is the demo of the transaction machinery that
every storage model after it is built on: a *tio* (transactional IO) walks a declared
sequence of named stages, and stage k runs on whichever node receives the k-th step.
Here the pipeline is a :class:`~surge.storage.pipeline.Pipeline` whose stages hold the
handler methods themselves (no names resolved at run time)::

    PUT-REQ (server)  =>  PUT-REQ-ACK (gateway)  =>  PUT-XFER (server)  =>  PUT-XFER-ACK (gateway)

A tio completes when its source, the gateway, runs the last stage. Each node owns one NIC
(a FIFO :class:`~surge.network.Link`: bandwidth, SURGE's 1 % L2 overhead, one-way
``trip_ns``) and one FIFO receive queue that serves a step every ``service_ns``
(:class:`~surge.network.selection.ReceiveQueue`).

Pipeline
--------
1. Every ``issue_interval_ns``, from time 0, a gateway starts a tio to a uniformly random
   server (no load limit, as in SURGE), while it has fewer than
   ``outstanding_per_server x servers`` tios open (SURGE: 10 x numServers). At the limit
   it waits, and resumes the moment one of its tios completes.
2. Each step is an anonymous ``event_bytes`` message (SURGE's 144 B) on the sender's NIC:
   FIFO serialization, ``trip_ns``, plus, with ``jitter``, SURGE's random extra
   ``U[0, trip) + 1 ns``. At the receiver it joins the receive queue; when its service
   ends, the receiver runs the stage (``event``), whose handler sends the next step back.
3. Without jitter or contention every hop costs ``trip_ns + floor(8 * 144 * 1e9 / 9.9e9)
   + service_ns`` = 2000 + 116 + 250 = 2366 ns and a tio takes four hops: 9464 ns.

Simulated-time choices
----------------------
SURGE's gateway issued up to 10 tios per loop with a 1 µs wall-clock sleep between
issues, then slept 1 µs more before a pass over its receive queue; its servers looped
with a 1 µs sleep. Here: ``issue_interval_ns`` = 1 µs of simulated time between issues,
and ``service_ns`` = 250 ns per received step. (SURGE's 1 µs sleep paced a pass over
*all* due events, not each event; at 1 µs per step a gateway, which handles two steps
per tio, would be overloaded at one new tio per µs.) At the defaults every gateway and,
with as many gateways as servers, every server runs at ``rho = 0.5``; ``trip_ns`` =
2 µs is SURGE's value for model 4.

What to read in the results
---------------------------
``tio`` (completed transactions per gateway), ``tio_latency`` (distribution, ns: its
minimum is the four-hop sum above, its tail the queueing), ``event`` (steps served per
node), ``rxchannelbusy`` (percent of time a receive queue held more than one step),
``rxwait`` (waits before service, ns), ``txbytes`` and ``rxbytes`` (both sides).

Reference defects fixed
-----------------------
* Stage handlers were method names resolved by reflection (``"M4putrequest"``); here a
  stage holds the method itself.
* Wall-clock pacing: every rate above is simulated; the same seed gives the same run on
  every host. Tio ids are seeded and reproducible, not drawn from the wall clock.
* The gateway's statistics were reset at every report whatever the reset flag; here
  every counter is cumulative and interval series are differences of snapshots.
* ``rxchannelbusy``: SURGE's sampled, self-declared "FIXME" definition becomes the exact
  time-weighted share of time the receive queue holds more than one event.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from surge.models.params import param
from surge.models.registry import Model, RunContext, register_model
from surge.network import Link, Node, Role
from surge.network.delivery import ANONYMOUS_EVENT_BYTES, JitteredLink
from surge.network.selection import ReceiveQueue
from surge.sim.units import GBPS, US
from surge.stats import Kind, Metric, Scope
from surge.stats.trace import VV, VVV, V
from surge.storage.pipeline import Pipeline, Stage, Tio, TioTable

__all__ = ["PUT_PIPELINE", "TioPipeline", "TioPipelineParams"]

_DEFAULT_TRIP_NS = 2 * US
_DEFAULT_ISSUE_INTERVAL_NS = 1 * US
_DEFAULT_OUTSTANDING_PER_SERVER = 10
_DEFAULT_SERVICE_NS = 250
_MAX_PERCENT = 99.0


@dataclass(frozen=True, slots=True)
class TioPipelineParams:
    """Parameters of the pipeline model."""

    trip_ns: int = param(_DEFAULT_TRIP_NS, unit="ns", minimum=0,
                         help="one-way propagation latency of every NIC (SURGE m4: 2us)")
    jitter: bool = param(True, help="add SURGE's random extra latency U[0, trip) + 1 ns per "
                                    "step")
    event_bytes: int = param(ANONYMOUS_EVENT_BYTES, unit="B", minimum=1,
                             help="size of a step's message (SURGE's anonymous event: 144 B)")
    link_bits_per_s: int = param(10 * GBPS, unit="bit/s", minimum=1,
                                 help="raw rate of every node's NIC")
    overhead_pct: float = param(1.0, unit="%", minimum=0.0, maximum=_MAX_PERCENT,
                                help="L2 overhead taken off the raw rate (SURGE: 1%)")
    issue_interval_ns: int = param(_DEFAULT_ISSUE_INTERVAL_NS, unit="ns", minimum=0,
                                   help="a gateway starts one tio per interval (SURGE: a 1us "
                                        "wall-clock sleep between issues)")
    outstanding_per_server: int = param(_DEFAULT_OUTSTANDING_PER_SERVER, unit="tio",
                                        minimum=1,
                                        help="a gateway keeps at most this many tios open per "
                                             "server (SURGE: 10 x numServers in all)")
    service_ns: int = param(_DEFAULT_SERVICE_NS, unit="ns", minimum=0,
                            help="time a node spends on one received step before running "
                                 "its stage")


class _PipelineNode(Node):
    """A node of this model: NIC, receive queue, and the model that carries its steps."""

    __slots__ = ("index", "model", "nic", "rxq")

    def __init__(self, node_id: int, role: Role, *, index: int, model: TioPipeline,
                 nic: JitteredLink, rxq: ReceiveQueue) -> None:
        super().__init__(node_id, role)
        self.index = index
        self.model = model
        self.nic = nic
        self.rxq = rxq


class _Gateway(_PipelineNode):
    """The source of tios: issues them, runs the two ACK stages, completes them."""

    __slots__ = ("blocked", "open", "rng", "tios")

    def __init__(self, node_id: int, *, index: int, model: TioPipeline, nic: JitteredLink,
                 rxq: ReceiveQueue, rng: random.Random) -> None:
        super().__init__(node_id, Role.GATEWAY, index=index, model=model, nic=nic, rxq=rxq)
        self.rng = rng
        self.tios: TioTable[_PipelineNode] = TioTable(model.sim, self, owner_id=node_id)
        self.open = 0  # tios issued and not yet completed
        self.blocked = False  # waiting for a completion to issue the next tio

    def on_put_req_ack(self, tio: Tio[_PipelineNode]) -> None:
        """PUT-REQ-ACK: the server accepted the request; send the transfer to it."""
        assert tio.target is not None
        self.model.forward(self, tio, tio.target)

    def on_put_xfer_ack(self, tio: Tio[_PipelineNode]) -> None:
        """PUT-XFER-ACK, the last stage: the tio completes at its source (this gateway)."""


class _Server(_PipelineNode):
    """The target of tios: runs the two server stages and answers the gateway."""

    __slots__ = ()

    def __init__(self, node_id: int, *, index: int, model: TioPipeline, nic: JitteredLink,
                 rxq: ReceiveQueue) -> None:
        super().__init__(node_id, Role.SERVER, index=index, model=model, nic=nic, rxq=rxq)

    def on_put_request(self, tio: Tio[_PipelineNode]) -> None:
        """PUT-REQ: acknowledge the request to the gateway."""
        self.model.forward(self, tio, tio.source)

    def on_put_xfer(self, tio: Tio[_PipelineNode]) -> None:
        """PUT-XFER: acknowledge the transfer to the gateway."""
        self.model.forward(self, tio, tio.source)


#: SURGE model 4's pipeline; each stage runs on the node that receives its step.
PUT_PIPELINE = Pipeline("m4-put", [
    Stage("PUT-REQ", _Server.on_put_request),
    Stage("PUT-REQ-ACK", _Gateway.on_put_req_ack),
    Stage("PUT-XFER", _Server.on_put_xfer),
    Stage("PUT-XFER-ACK", _Gateway.on_put_xfer_ack),
])


@register_model(
    "pipeline",
    alias="4",
    description="TIO pipeline in action (SURGE model 4): four-stage transactions "
                "PUT-REQ => PUT-REQ-ACK => PUT-XFER => PUT-XFER-ACK",
    params=TioPipelineParams,
)
class TioPipeline(Model[TioPipelineParams]):
    """SURGE model 4 on the surge engine (see the module docstring)."""

    def __init__(self, ctx: RunContext, params: TioPipelineParams) -> None:
        super().__init__(ctx, params)
        self.gateways: list[_Gateway] = []
        self.servers: list[_Server] = []
        self.max_open = params.outstanding_per_server * ctx.servers

    def _nic(self, name: str, rng: random.Random) -> JitteredLink:
        p, sim = self.params, self.sim
        link = Link(sim, p.link_bits_per_s, p.trip_ns, overhead_pct=p.overhead_pct, name=name)
        return JitteredLink(sim, link, rng, p.trip_ns if p.jitter else 0)

    def build(self) -> None:
        """Create nodes, declare metrics, start every gateway's issuing at time 0."""
        ctx, p, sim = self.ctx, self.params, self.sim
        stats = ctx.stats
        for i in range(1, ctx.gateways + 1):
            name = f"I#{i:02d}"
            rng = sim.random.python(name)
            rxq = ReceiveQueue(sim, p.service_ns, self._served, name=f"{name}.rx")
            self.gateways.append(_Gateway(i, index=ctx.gateway_index(i), model=self,
                                          nic=self._nic(name, rng), rxq=rxq, rng=rng))
        for i in range(1, ctx.servers + 1):
            name = f"T#{i:02d}"
            rxq = ReceiveQueue(sim, p.service_ns, self._served, name=f"{name}.rx")
            self.servers.append(_Server(i, index=ctx.server_index(i), model=self,
                                        nic=self._nic(name, sim.random.python(name)), rxq=rxq))
        nodes: list[_PipelineNode] = [*self.gateways, *self.servers]

        both = Scope.GATEWAY | Scope.SERVER
        self.event = stats.counter(Metric("event", Kind.COUNT, both, "event",
                                          "steps served from the receive queue"))
        queue_of = {node.index: node.rxq for node in nodes}
        stats.sampled(Metric("rxchannelbusy", Kind.PERCENT, both, "%",
                             "share of time the receive queue holds more than one step"),
                      lambda i: float(queue_of[i].busy_ns()))
        self.txbytes = stats.counter(Metric("txbytes", Kind.BYTES, both, "B",
                                            "bytes handed to the node's NIC"))
        self.rxbytes = stats.counter(Metric("rxbytes", Kind.BYTES, both, "B",
                                            "bytes received by the node"))
        self.tio = stats.counter(Metric("tio", Kind.COUNT, Scope.GATEWAY, "tio",
                                        "completed 4-stage transactions"))
        self.tio_latency = stats.distribution(Metric(
            "tio_latency", Kind.DISTRIBUTION, Scope.GATEWAY, "ns",
            "time from a tio's first step to its completion at the gateway"))
        self.rxwait = stats.distribution(Metric("rxwait", Kind.DISTRIBUTION, both, "ns",
                                                "time a step waits in the receive queue "
                                                "before its service"))
        for gw in self.gateways:
            sim.schedule(0, self._issue, gw)

    # ------------------------------------------------------------------ gateway side
    def _issue(self, gw: _Gateway) -> None:
        """Start a tio to a random server, unless the gateway has reached its limit."""
        if gw.open >= self.max_open:
            gw.blocked = True
            return
        server = self.servers[gw.rng.randrange(len(self.servers))]
        tio: Tio[_PipelineNode] = Tio(gw.tios, PUT_PIPELINE, target=server,
                                      on_done=self._completed)
        gw.open += 1
        self.forward(gw, tio, server)
        self.sim.schedule(self.params.issue_interval_ns, self._issue, gw)
        trace = self.ctx.trace
        if trace.level >= VV:
            trace.log(VV, "tio-start", gw.name, server.name, tio.sid)

    def _completed(self, tio: Tio[_PipelineNode]) -> None:
        """A tio ran its last stage at its gateway: count it, let the gateway issue."""
        gw = tio.source
        assert isinstance(gw, _Gateway)
        latency = tio.latency_ns
        assert latency is not None
        gw.open -= 1
        self.tio.values[gw.index] += 1
        self.tio_latency.record(latency, gw.index)
        if gw.blocked:
            gw.blocked = False
            self.sim.schedule(0, self._issue, gw)
        trace = self.ctx.trace
        if trace.level >= V:
            trace.log(V, "tio-done", gw.name, tio.target, tio.sid, "latency", latency)

    # ------------------------------------------------------------------- transport
    def forward(self, sender: _PipelineNode, tio: Tio[_PipelineNode],
                to: _PipelineNode) -> None:
        """Send the tio's next step from ``sender`` to ``to`` over the sender's NIC."""
        tio.advance(to)
        size = self.params.event_bytes
        self.txbytes.values[sender.index] += size
        sender.nic.send(size, self._arrive, tio)

    def _arrive(self, tio: Tio[_PipelineNode]) -> None:
        """A step reaches its receiver: count its bytes, queue it."""
        node = tio.receiver
        assert node is not None
        self.rxbytes.values[node.index] += self.params.event_bytes
        node.rxq.push(tio)

    def _served(self, tio: Tio[_PipelineNode], waited_ns: int) -> None:
        """A step's service ends: the receiver runs the stage."""
        node = tio.receiver
        assert node is not None
        self.event.values[node.index] += 1
        self.rxwait.record(waited_ns, node.index)
        trace = self.ctx.trace
        if trace.level >= VVV:
            trace.log(VVV, "tio-stage", node.name, tio.stage.name, tio.sid)
        tio.run_stage(node)
