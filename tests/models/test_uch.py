"""Models 5 (UCH-CCPi) and 6 (UCH-AIMD): exact single-chunk timing, fairness, AIMD, dings."""

import csv
from pathlib import Path

import pytest

from surge.models import ConfigError, run_model
from surge.protocols.unicast import UnicastGateway, UnicastServer
from surge.testing import ModelContract

# Defaults: 128 KiB chunks = 14 frames of 9000 B + one of 5072 B; link 9.9 Gbit/s;
# 100 B control PDU: T_ctl = 80 ns; trip 1000 ns; disk 400 MiB/s: D_chunk = 312,500 ns.
T_CTL_TRIP = 80 + 1000
FRAME_AT_LINE = 72_000 * 10**9 // 9_900_000_000  # 7272 ns
LAST_AT_LINE = 5072 * 8 * 10**9 // 9_900_000_000  # 4098 ns
BIG_BUCKETS = {"bucket_bits": 10_000_000}  # buckets never bind: the pure timing formula


def _first_chunk_latency(model: str, **params: object) -> float:
    r = run_model(model, gateways=1, servers=6, time="3ms", seed=1, params=params)
    samples = r["chunk_latency"].samples
    assert samples is not None and len(samples) > 0
    return float(samples[0])


class TestCcpiTiming:
    def test_single_chunk_latency_is_the_sum_of_the_formulas(self) -> None:
        """One gateway, no contention: request, rate-init, 15 frames at line rate, ack."""
        per_replica_send = 2 * T_CTL_TRIP + 14 * FRAME_AT_LINE  # until the last frame leaves
        last_replica = 2 * T_CTL_TRIP + 14 * FRAME_AT_LINE + LAST_AT_LINE + 1000 + T_CTL_TRIP
        expected = 2 * per_replica_send + last_replica  # write-back: 312.5us < 625us
        assert expected == 318_082
        assert _first_chunk_latency("5", **BIG_BUCKETS) == expected

    def test_default_buckets_add_the_egress_wait(self) -> None:
        """With 74,400-bit buckets the egress bucket holds back each next replica's first frame.

        The last frame (40,576 bits) and the next request (800) leave the egress bucket at
        about 33,000 bits; 2,160 ns later it holds about 54,300 < 72,000, so the first
        frame waits about 1.8 us, and the drained bucket then paces frames at the exact
        line rate (7,273 ns, not the truncated 7,272): a few us per chunk in all.
        """
        latency = _first_chunk_latency("5")
        assert 318_082 + 2 * 1_700 < latency < 318_082 + 2 * 2_000

    def test_fewer_than_two_r_servers_is_refused(self) -> None:
        """servers < 2 x replicas is a one-line configuration error, not an endless loop."""
        with pytest.raises(ConfigError, match="servers >= 2 x replicas"):
            run_model("5", gateways=1, servers=5, time="10us")


class TestAimdTiming:
    def test_single_chunk_latency_follows_additive_increase(self) -> None:
        """Frames at 1,1,2,2,...,7,7 Gbit/s and the last at 8: about 378 us per replica."""
        full = [72_000 * 10**9 // (g * 10**9) for g in (1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7,
                                                         7)]
        send = 2 * T_CTL_TRIP + sum(full)
        last = send + 5072 * 8 * 10**9 // (8 * 10**9) + 1000 + T_CTL_TRIP
        expected = 2 * send + last
        assert expected == 1_133_742
        assert _first_chunk_latency("6", **BIG_BUCKETS) == expected

    def test_default_buckets_add_two_egress_waits(self) -> None:
        """With 74,400-bit buckets the egress bucket (full while AIMD sends below line rate)
        holds the first frame of replicas 2 and 3 for ceil(17,592 bits / 9.9 Gbit/s) = 1,777
        ns each: 74,400 - 40,576 (last frame) - 800 (request) + 21,384 (2,160 ns of refill)
        = 54,408 bits, 17,592 short of a frame."""
        assert _first_chunk_latency("6") == 1_133_742 + 2 * 1_777


@pytest.fixture
def same_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every gateway sends its chunk to servers T#01, T#02, T#03 (forced contention)."""

    def pick(self: UnicastGateway) -> list[UnicastServer]:
        return self.cluster.servers[:3]

    monkeypatch.setattr(UnicastGateway, "select_targets", pick)


class TestFairness:
    @pytest.mark.parametrize("n", [2, 3, 4])
    def test_n_flows_into_one_server_get_a_share_each(self, n: int, same_targets: None,
                                                      tmp_path: Path) -> None:
        """n concurrent flows into one server each end up at linkbps / n (CCPi)."""
        trace = tmp_path / "t.csv"
        run_model("5", gateways=n, servers=6, time="10us", seed=1, trace=trace, verbosity=1)
        with trace.open() as fh:
            rates = [int(row[-1]) for row in csv.reader(fh) if row[2] == "gwy-rateset"]
        assert rates and set(rates[-n:]) == {9_900_000_000 // n}


class TestAimdDings:
    def test_contention_dings_and_rates_stay_above_the_floor(self, same_targets: None,
                                                             tmp_path: Path) -> None:
        """Three senders into one server get dinged; a dinged rate never drops below 1 Gbit/s."""
        trace = tmp_path / "t.csv"
        r = run_model("6", gateways=3, servers=6, time="500us", seed=1, trace=trace,
                      verbosity=1)
        assert r["dings"].total > 0
        with trace.open() as fh:
            rates = [int(row[-1]) for row in csv.reader(fh) if row[2] == "gwy-got-dinged"]
        assert rates and min(rates) >= 10**9


class TestInvariants:
    @pytest.mark.parametrize("model", ["5", "6"])
    def test_bytes_conserved_and_busy_at_most_100(self, model: str) -> None:
        """Gateway bytes sent = server bytes received + a few frames in flight; rxbusy <= 100%."""
        r = run_model(model, gateways=10, servers=10, time="2ms", seed=3)
        sent = r["txbytes"].by_role["gateway"]
        received = r["rxbytes"].by_role["server"]
        in_flight_max = 10 * (2 * 9000 + 2 * 100)
        assert 0 <= sent - received <= in_flight_max
        assert max(r["rxbusy"].per_node.values()) <= 100.0
        assert r["chunk"].total > 0
        assert r["throughput"].total == pytest.approx(r["chunk"].total * 131072 / 2e-3)


class TestCcpiContract(ModelContract):
    model = "uch-ccpi"
    servers = 6
    time = "300us"


class TestAimdContract(ModelContract):
    model = "uch-aimd"
    servers = 6
    time = "300us"
