"""Model 2, exchange: symmetric traffic, exact counts, the back-off, two choices, contract."""

from __future__ import annotations

import pytest

from surge.models import ConfigError, get_model, run_model
from surge.testing import ModelContract

NO_JITTER = {"jitter": False}


class TestExchangeContract(ModelContract):
    model = "exchange"


class TestRegistry:
    def test_alias_and_name_are_the_same_model(self) -> None:
        """'2' and 'exchange' resolve to the same model, with SURGE's description."""
        info = get_model("2")
        assert info is get_model("exchange")
        assert "identical clustered nodes exchanging random events" in info.description

    def test_zero_backoff_is_rejected(self) -> None:
        """A back-off of 0 ns could retry forever at one instant: ConfigError."""
        with pytest.raises(ConfigError, match="backoff_ns"):
            run_model("2", time="10us", params={"backoff_ns": "0ns"})


class TestExactCounts:
    def test_pair_exchanges_one_event_per_us_each_way(self) -> None:
        """1 x 1, no jitter: each side sends 100 events in 100 us and serves 98 of the other's.

        Events leave at k us, arrive 1116 ns later (trip 1 us + 116 ns on the wire) and are
        served 1 us after that, so those with k us + 2116 ns < 100 us (k <= 97) are counted.
        No event ever waits: the next one arrives as the previous one leaves service.
        """
        r = run_model("2", gateways=1, servers=1, time="100us", params=NO_JITTER)
        assert r["txbytes"].per_node == {"I#01": 144 * 100, "T#01": 144 * 100}
        assert r["rxbytes"].per_node == {"I#01": 144 * 99, "T#01": 144 * 99}
        assert r["event"].per_node == {"I#01": 98, "T#01": 98}
        assert r["rxchannelbusy"].total == 0
        rxwait = r["rxwait"].distribution
        assert rxwait is not None and rxwait.max == 0

    def test_failed_send_backs_off(self) -> None:
        """Cap 0, 1 ms service: one send at 0, then skips at 1, 21, 41, 61 and 81 us.

        The event sent at 0 counts in the peer's load from the moment it is sent (as in
        SURGE), so at 1 us the peer is already above the cap, though the event is still
        in flight.
        """
        r = run_model("2", gateways=1, servers=1, time="100us",
                      params={**NO_JITTER, "queue_cap": 0, "service_ns": "1ms"})
        assert r["txbytes"].per_node == {"I#01": 144, "T#01": 144}
        assert r["skipped"].per_node == {"I#01": 5, "T#01": 5}

    def test_cap_counts_events_in_flight(self) -> None:
        """Cap 3, 1 ms service: four sends at 0..3 us fill the peer's load, then skips."""
        r = run_model("2", gateways=1, servers=1, time="30us",
                      params={**NO_JITTER, "queue_cap": 3, "service_ns": "1ms"})
        assert r["txbytes"].per_node == {"I#01": 4 * 144, "T#01": 4 * 144}
        assert r["skipped"].per_node == {"I#01": 2, "T#01": 2}  # at 4 and 24 us


class TestLoad:
    def test_fewer_gateways_overload_the_gateways(self) -> None:
        """3 gateways x 4 servers: gateways receive 4/3 of their service rate; servers skip."""
        r = run_model("2", gateways=3, servers=4, time="300us")
        busy = r["rxchannelbusy"].by_role
        assert busy["gateway"] > 95 > busy["server"]
        assert r["skipped"].by_role["server"] > 0
        assert r["skipped"].by_role["gateway"] == 0

    def test_two_choices_beat_the_degenerate_rule(self) -> None:
        """At full load, real comparisons cut the mean wait to under half the old rule's."""
        fixed = run_model("2", gateways=6, servers=6, time="300us")
        old = run_model("2", gateways=6, servers=6, time="300us",
                        params={"degenerate_choice": True})
        a, b = fixed["rxwait"].distribution, old["rxwait"].distribution
        assert a is not None and b is not None
        assert a.mean < 0.5 * b.mean

    def test_bytes_are_conserved_per_role(self) -> None:
        """What gateways send servers receive (and back), minus at most what is in flight."""
        r = run_model("2", gateways=4, servers=5, time="200us")
        tx, rx = r["txbytes"].by_role, r["rxbytes"].by_role
        in_flight = 9 * 3 * 144  # < 3 us of flight at one event per us per node
        assert 0 <= tx["gateway"] - rx["server"] <= in_flight
        assert 0 <= tx["server"] - rx["gateway"] <= in_flight
