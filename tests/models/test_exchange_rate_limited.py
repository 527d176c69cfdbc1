"""Model 2.1, exchange-rate-limited: the bucket's exact send rate and burst, contract."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest

from surge.models import get_model, run_model
from surge.testing import ModelContract

NO_JITTER = {"jitter": False}


class TestExchangeRateLimitedContract(ModelContract):
    model = "exchange-rate-limited"


class TestRegistry:
    def test_alias_and_name_are_the_same_model(self) -> None:
        """'2.1' and 'exchange-rate-limited' resolve to the same model, SURGE's description."""
        info = get_model("2.1")
        assert info is get_model("exchange-rate-limited")
        assert "exchanging rate controlled events" in info.description


class TestBucket:
    @pytest.mark.parametrize(("params", "time", "sent"), [
        ({}, "100us", 209),  # 10 at t=0, then one per 0.5 us: 10 + 200 - 1
        ({}, "1ms", 2009),  # about 2 events per us in the long run
        ({"bucket_events": 1}, "100us", 200),  # no burst: one per 0.5 us from t=0
        ({"bucket_events": 3, "refill_ns": "1us"}, "100us", 102),
    ])
    def test_send_count_is_burst_plus_ceil_t_over_refill_minus_one(
        self, params: dict[str, object], time: str, sent: int
    ) -> None:
        """A node sends b + ceil(T / r) - 1 events in [0, T): full bucket, then one per r."""
        r = run_model("2.1", gateways=2, servers=2, time=time, params=params)
        assert r["skipped"].total == 0
        assert set(r["txbytes"].per_node.values()) == {144 * sent}

    def test_full_bucket_bursts_at_time_zero(self) -> None:
        """Each node sends its 10 tokens at t = 0, then one event per 500 ns."""
        out = io.StringIO()
        run_model("2.1", gateways=1, servers=1, time="3us", trace=out, verbosity=2,
                  params=NO_JITTER)
        rows = list(csv.reader(io.StringIO(out.getvalue())))[1:]
        sends = Counter((int(r[0]), r[3]) for r in rows if r[2] == "event-sent")
        for node in ("I#01", "T#01"):
            times = sorted(t for (t, n), c in sends.items() for _ in range(c) if n == node)
            assert times == [0] * 10 + [500, 1000, 1500, 2000, 2500]

    def test_blocked_node_keeps_its_token(self) -> None:
        """Cap 0, 1 ms service: one send, then a skip and back-offs of 20 us; no token lost."""
        r = run_model("2.1", gateways=1, servers=1, time="100us",
                      params={**NO_JITTER, "queue_cap": 0, "service_ns": "1ms",
                              "bucket_events": 1})
        # t=0: send; the event counts in the peer's load at once, so at 0.5 us (a new
        # token) the peer is above the cap: skip, retry at 20.5, 40.5, 60.5, 80.5 us.
        assert r["txbytes"].per_node == {"I#01": 144, "T#01": 144}
        assert r["skipped"].per_node == {"I#01": 5, "T#01": 5}


class TestTiming:
    def test_event_arrives_after_trip_of_four_us(self) -> None:
        """No jitter, bucket of 1: the first event is served at 4000 + 116 + 250 ns."""
        one = {**NO_JITTER, "bucket_events": 1, "refill_ns": "10us"}
        before = run_model("2.1", gateways=1, servers=1, time=4366, params=one)
        after = run_model("2.1", gateways=1, servers=1, time=4367, params=one)
        assert before["event"].per_node == {"I#01": 0, "T#01": 0}
        assert after["event"].per_node == {"I#01": 1, "T#01": 1}

    def test_received_never_exceeds_sent(self) -> None:
        """Per role, bytes received are at most the other role's bytes sent."""
        r = run_model("2.1", gateways=4, servers=3, time="200us")
        tx, rx = r["txbytes"].by_role, r["rxbytes"].by_role
        # in flight: at most 8 us (trip + jitter) of sends at 2 per us, per node
        per_node = (2 * 8 + 1) * 144
        assert 0 <= tx["gateway"] - rx["server"] <= 4 * per_node
        assert 0 <= tx["server"] - rx["gateway"] <= 3 * per_node
