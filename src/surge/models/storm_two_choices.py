"""Model 1.1, ``storm-two-choices``: the event storm, each target the less loaded of two.

What it models and why
----------------------
SURGE's model 1.1, "unidirectional storm of random events, with partially random
selection", is model 1 with the "power of two choices": a gateway draws two servers under
the queue cap and sends to the less loaded one. Against model 1 (one
random choice) it shows how much a little load information buys: at the same offered load
the receive queues stay shorter and waits (``rxwait``) shrink. Each node owns one NIC (a
FIFO :class:`~surge.network.Link`: bandwidth, SURGE's 1 % L2 overhead, one-way
``trip_ns``); each server owns a FIFO receive queue that serves one event every
``service_ns`` (:class:`~surge.network.selection.ReceiveQueue`). The engine, shared with
models 1, 2 and 2.1, is :mod:`surge.protocols.traffic`; this module chooses one-way
traffic, two random choices and a fixed send interval.

Pipeline
--------
1. Every ``send_interval_ns``, from time 0, a gateway makes two independent draws of
   SURGE's ``selectRandomPeer(64)`` (random start, walk forward with wrap-around to the
   first server whose load is at most ``queue_cap`` events) and keeps the second only if
   its load is strictly smaller (:func:`~surge.network.selection.two_random_choices`).
   The load is what SURGE's receive queue held: every event sent to the server and not
   yet served, those in flight included, so gateways deciding at the same instant see
   each other's choices and do not herd onto one short queue. If every server is above
   the cap the gateway sends nothing this time (``skipped``).
2. The event (``event_bytes``, SURGE's anonymous 144-byte event) crosses the gateway's
   NIC: FIFO serialization, then ``trip_ns``, plus, with ``jitter``, SURGE's random extra
   ``U[0, trip) + 1 ns``. Without jitter an event on an idle NIC arrives at exactly
   ``trip_ns + floor(8 * 144 * 1e9 / 9.9e9)`` = 4116 ns.
3. At the server it joins the receive queue, waits its turn, is served for ``service_ns``
   and counts as processed (``event``).

Simulated-time choices
----------------------
SURGE paced this model with wall-clock sleeps, so its rates were properties of the host.
Here: ``send_interval_ns`` = 100 µs (SURGE's gateway slept 100 µs of wall-clock time per
send), ``service_ns`` = 1 µs (its server loop slept about 1 µs of wall-clock time per
pass), ``trip_ns`` = 4 µs (SURGE's value for model 1.1). The offered load is
``rho = gateways * service_ns / (servers * send_interval_ns)``: 1 % at the defaults; at
10 x 10 ``send_interval_ns=1us`` is full load, where two choices matter most.

SURGE inserted model 1.1's events straight into the target's queue (``DirectInsert``)
instead of its Go channel; there are no channels here, so models 1 and 1.1 deliver alike
and differ only by the choice.

What to read in the results
---------------------------
``event`` (events served per server), ``rxchannelbusy`` (percent of time a server's receive
queue held more than one event), ``rxwait`` (distribution of the waits before service,
ns: compare with model 1, or with ``degenerate_choice=true``), ``txbytes`` (per gateway),
``rxbytes`` (per server) and ``skipped`` (sends given up: every server above the cap).

Reference defects fixed
-----------------------
* Two choices (quirk 1 of the reference): SURGE compared ``realpendingdepth``, a count
  never stored after commit a45539f, so both sides read 0 and the first draw always won;
  model 1.1 behaved exactly like model 1. Here the comparison reads the real loads.
  ``degenerate_choice=true`` reproduces the old behaviour; both draws are made in either
  mode, so the two runs see the same random numbers and differ only by the choice.
* Wall-clock pacing: see above; the same seed gives the same run on every host.
* ``rxchannelbusy``: SURGE's sampled, self-declared "FIXME" definition becomes the exact
  time-weighted share of time the receive queue holds more than one event.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from surge.models.params import param
from surge.models.registry import Model, register_model
from surge.network.selection import two_random_choices
from surge.protocols.traffic import EventCluster, EventParams, FixedInterval
from surge.sim.units import US

__all__ = ["StormTwoChoices", "StormTwoChoicesParams"]

_DEFAULT_TRIP_NS = 4 * US
_DEFAULT_SEND_INTERVAL_NS = 100 * US


@dataclass(frozen=True, slots=True)
class StormTwoChoicesParams(EventParams):
    """Parameters of the storm-two-choices model (the event set, plus interval and choice)."""

    trip_ns: int = param(_DEFAULT_TRIP_NS, unit="ns", minimum=0,
                         help="one-way propagation latency of every NIC (SURGE m1.1: 4us)")
    send_interval_ns: int = param(_DEFAULT_SEND_INTERVAL_NS, unit="ns", minimum=1,
                                  help="a gateway sends one event per interval (SURGE: a "
                                       "100us wall-clock sleep)")
    degenerate_choice: bool = param(False, help="reproduce SURGE's defect: always keep the "
                                                "first of the two choices")


@register_model(
    "storm-two-choices",
    alias="1.1",
    description="unidirectional storm of random events, with partially random selection "
                "(SURGE model 1.1): the less loaded of two random servers",
    params=StormTwoChoicesParams,
)
class StormTwoChoices(Model[StormTwoChoicesParams]):
    """SURGE model 1.1 on the surge engine (see the module docstring)."""

    def build(self) -> None:
        """Create NICs and receive queues, declare metrics, start every gateway at time 0."""
        p = self.params
        choose = partial(two_random_choices, degenerate=p.degenerate_choice)
        cluster = EventCluster(self.ctx, p, symmetric=False, choose=choose,
                               pacing=FixedInterval(p.send_interval_ns))
        self.cluster = cluster
        self.gateways, self.servers = cluster.gateways, cluster.servers
        self.rxbytes = cluster.rxbytes  # the tests rig queues and read what each received
        cluster.start()
