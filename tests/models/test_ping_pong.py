"""Model 3, ping-pong: exact timing, invariants and determinism."""

import json

import pytest

from surge.models import ConfigError, get_model, run_model

NO_JITTER = {"jitter": "false"}


class TestRegistry:
    def test_alias_and_name_are_the_same_model(self) -> None:
        """'3' and 'ping-pong' resolve to the same registered model."""
        assert get_model("3") is get_model("ping-pong")

    def test_unknown_model_lists_available(self) -> None:
        """An unknown model name raises ConfigError listing the models."""
        with pytest.raises(ConfigError, match=r"Available: .*ping-pong \(3\)"):
            get_model("pingpong-x")


class TestTiming:
    def test_round_trip_is_two_serializations_and_two_trips(self) -> None:
        """Without jitter, one ping-pong takes 2 * (trip + floor(8*144*1e9/9.9e9)) = 4232 ns."""
        r = run_model("ping-pong", gateways=1, servers=1, time="1ms", params=NO_JITTER)
        rtt = r["rtt"].distribution
        assert rtt is not None
        assert rtt.min == rtt.max == 2 * (2000 + 116)
        assert r["pings"].total == 1_000_000 // 4232

    def test_window_of_one_serializes_the_gateway(self) -> None:
        """With window=1 a lone gateway completes floor(T / rtt) pings, rtt = 2*(1000+116)."""
        r = run_model("3", gateways=1, servers=5, time="100us",
                      params={**NO_JITTER, "window": 1, "trip_ns": "1us"})
        assert r["pings"].per_node == {"I#01": 100_000 // 2232}
        rtt = r["rtt"].distribution
        assert rtt is not None and rtt.min == rtt.max == 2232

    def test_busy_server_nic_queues_replies_fifo(self) -> None:
        """Two gateways pinging one server: pongs wait FIFO on the server's NIC (rtt grows)."""
        big = {**NO_JITTER, "reply_bytes": "9000B", "window": 1}
        alone = run_model("3", gateways=1, servers=1, time="200us", params=big)
        shared = run_model("3", gateways=2, servers=1, time="200us", params=big)
        a, b = alone["rtt"].distribution, shared["rtt"].distribution
        assert a is not None and b is not None
        assert b.max - a.max == 7272  # one 9000 B frame at 9.9 Gbit/s of queueing


class TestInvariants:
    def test_bytes_sent_equal_received_plus_in_flight(self) -> None:
        """Conservation: every byte sent was received, or is still in flight (one window)."""
        r = run_model("3", gateways=4, servers=6, time="300us")
        sent, received = r["txbytes"].total, r["rxbytes"].total
        in_flight_max = 4 * 10 * 144
        assert 0 <= sent - received <= in_flight_max
        assert r["event"].by_role["gateway"] == r["pings"].total

    def test_every_server_is_reached(self) -> None:
        """The fixed target scan reaches every server, the last one included."""
        r = run_model("3", gateways=8, servers=4, time="200us", params={"window": 1})
        assert all(v > 0 for v in r["event"].per_node.values())


class TestDeterminism:
    @staticmethod
    def _doc(seed: int) -> dict[str, object]:
        doc: dict[str, object] = json.loads(
            run_model("3", gateways=3, servers=4, time="200us", seed=seed).to_json()
        )
        doc.pop("wall_s")
        doc.pop("cpu_s")
        return doc

    def test_same_seed_same_document(self) -> None:
        """The same seed gives an identical results document (timing fields aside)."""
        assert self._doc(7) == self._doc(7)

    def test_different_seed_different_document(self) -> None:
        """A different seed gives different results."""
        assert self._doc(7) != self._doc(8)
