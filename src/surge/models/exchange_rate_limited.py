"""Model 2.1, ``exchange-rate-limited``: the symmetric exchange, paced by token buckets.

What it models and why
----------------------
SURGE's model 2.1, "identical clustered nodes exchanging rate controlled events", is
model 2 with a token bucket in every node: a node may send a burst of up to
``bucket_events`` events, then one event per ``refill_ns``. It is SURGE's first rate
control, the ancestor of the buckets that pace the unicast storage models, shown on the
simplest possible traffic. Each node owns one NIC (a FIFO :class:`~surge.network.Link`:
bandwidth, SURGE's 1 % L2 overhead, one-way ``trip_ns``), one FIFO receive queue that
serves an event every ``service_ns`` (:class:`~surge.network.selection.ReceiveQueue`) and
one :class:`~surge.network.TokenBucket`. The engine, shared with models 1, 1.1 and 2, is
:mod:`surge.protocols.traffic`; this module chooses symmetric traffic, two random choices
and token-bucket pacing.

Pipeline
--------
1. From time 0, a node sends whenever its bucket holds a token: it picks a peer of the
   other role with two random choices under the cap
   (:func:`~surge.network.selection.two_random_choices`: two draws of SURGE's
   ``selectRandomPeer(64)`` on the peers' loads, events sent to them and not yet served,
   in flight included; the second is kept only if its load is strictly smaller), takes
   the token and sends. A full bucket therefore empties in a burst at one instant,
   and then the node sends exactly when each new token arrives.
2. If no peer is under the cap, the node keeps its token, counts ``skipped`` and tries
   again after ``backoff_ns``.
3. The event (``event_bytes``, SURGE's anonymous 144-byte event) crosses the sender's
   NIC: FIFO serialization, ``trip_ns``, plus, with ``jitter``, SURGE's random extra
   ``U[0, trip) + 1 ns``. Without jitter an event on an idle NIC arrives at exactly
   ``trip_ns + floor(8 * 144 * 1e9 / 9.9e9)`` = 4116 ns.
4. The receiver queues it, serves it for ``service_ns`` and counts it (``event``).

Send rate, exactly: with a bucket of ``b`` tokens, full at time 0, and one token per
``r`` ns, a node whose sends never fail sends ``b + ceil(T / r) - 1`` events in
``[0, T)``: 10 + 199 = 209 in 100 µs at the defaults, 2 events per µs in the long run.

Simulated-time choices
----------------------
SURGE's constants were already in simulated time (``MaxBucket`` = 10, ``RateRefill`` =
0.5 µs per token); what was not: the node slept 1 µs of wall-clock time when out of
tokens (here it waits exactly until the next token), and its receive loop did not sleep
at all. ``service_ns`` defaults to 250 ns accordingly, so that a receiver serves twice
what a sender's bucket admits: with as many gateways as servers the load is
``rho = 0.5``, the bucket (not the cap) sets the pace. ``backoff_ns`` = 20 µs is model
2's back-off (two 10 µs wall-clock sleeps after a failed send); ``trip_ns`` = 4 µs is
SURGE's value for model 2.1.

What to read in the results
---------------------------
Per node, gateways and servers alike: ``txbytes`` (flat across nodes: each sends at its
bucket's rate, as in SURGE's reference run), ``rxbytes``, ``event`` (events served),
``rxchannelbusy`` (percent of time the receive queue held more than one event),
``rxwait`` (distribution of waits before service, ns) and ``skipped``.

Reference defects fixed
-----------------------
* Two choices (quirk 1): SURGE's comparison read a count that was never stored, so the
  first draw always won; here it compares real loads, and
  ``degenerate_choice=true`` reproduces the old behaviour (same random draws).
* The bucket: SURGE refilled only while holding at most 9 tokens and then added the
  whole elapsed time with no upper cap, so a node that had been blocked could burst far
  beyond 10 tokens. Here the bucket is exact and capped at ``bucket_events``.
* Wall-clock sleeps and the sampled ``rxchannelbusy``: as in model 2 (simulated rates;
  exact time-weighted share of time the receive queue holds more than one event).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from surge.models.params import param
from surge.models.registry import Model, register_model
from surge.network.selection import two_random_choices
from surge.protocols.traffic import EventCluster, EventParams, TokenBucketPacing
from surge.sim.units import US

__all__ = ["ExchangeRateLimited", "ExchangeRateLimitedParams"]

_DEFAULT_TRIP_NS = 4 * US
_DEFAULT_BUCKET_EVENTS = 10
_DEFAULT_REFILL_NS = 500
_DEFAULT_BACKOFF_NS = 20 * US
_DEFAULT_SERVICE_NS = 250


@dataclass(frozen=True, slots=True)
class ExchangeRateLimitedParams(EventParams):
    """Parameters of the exchange-rate-limited model (the event set, bucket and choice)."""

    trip_ns: int = param(_DEFAULT_TRIP_NS, unit="ns", minimum=0,
                         help="one-way propagation latency of every NIC (SURGE m2.1: 4us)")
    service_ns: int = param(_DEFAULT_SERVICE_NS, unit="ns", minimum=0,
                            help="time a node spends on one received event (SURGE's 2.1 "
                                 "receive loop did not sleep)")
    bucket_events: int = param(_DEFAULT_BUCKET_EVENTS, unit="event", minimum=1,
                               help="token bucket capacity: the largest burst of events "
                                    "(SURGE: MaxBucket = 10)")
    refill_ns: int = param(_DEFAULT_REFILL_NS, unit="ns", minimum=1,
                           help="time to earn one token, one event (SURGE: RateRefill = "
                                "0.5us)")
    backoff_ns: int = param(_DEFAULT_BACKOFF_NS, unit="ns", minimum=1,
                            help="wait after a skipped send, every peer above the cap (SURGE: "
                                 "two 10us wall-clock sleeps)")
    degenerate_choice: bool = param(False, help="reproduce SURGE's defect: always keep the "
                                                "first of the two choices")


@register_model(
    "exchange-rate-limited",
    alias="2.1",
    description="identical clustered nodes exchanging rate controlled events (SURGE model "
                "2.1): a token bucket per node",
    params=ExchangeRateLimitedParams,
)
class ExchangeRateLimited(Model[ExchangeRateLimitedParams]):
    """SURGE model 2.1 on the surge engine (see the module docstring)."""

    def build(self) -> None:
        """Create nodes, wire each to the other role, declare metrics, start at time 0."""
        p = self.params
        choose = partial(two_random_choices, degenerate=p.degenerate_choice)
        pacing = TokenBucketPacing(p.bucket_events, p.refill_ns, p.backoff_ns)
        cluster = EventCluster(self.ctx, p, symmetric=True, choose=choose, pacing=pacing)
        self.cluster = cluster
        self.gateways, self.servers = cluster.gateways, cluster.servers
        cluster.start()
