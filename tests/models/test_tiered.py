"""Model c (tiered): write timing, the watermark trajectory, exactly-once acks, errors."""

import csv
import io
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest

from surge.models import ConfigError, run_model
from surge.protocols.windowed import Write, WriteWindow
from surge.stats import RunResult
from surge.testing import ModelContract

# 1 MiB chunks on a 100 Gbit/s link: T_ctl = 8 ns (100 B), T_chunk = 83,886 ns; trip 10 ns.
# SSD 1400 MiB/s: 714,285 ns per chunk; HDD 180 MiB/s: 5,555,555 ns.
T_CTL, T_CHUNK, TRIP, D_SSD, D_HDD = 8, 83_886, 10, 714_285, 5_555_555
# SURGE's stale durations (go_timing): 300 B and 1 MiB at 9.9 Gbit/s.
GO_T_CTL, GO_T_CHUNK = 242, 847_334
# A small SSD that fills and drains in 0.3 s: 40 chunks, 2 per cycle (5 % steps), one HDD
# at 40 MiB/s taking migrations only, one migration in flight.
FILLING = {"ssd_capacity_bytes": "40MiB", "cycle_chunks": 2, "hdd_direct": False,
           "hdd_mib_per_s": 40, "migration_window": 1}
LOW, HYST, HIGH = 40, 55, 70


def _write_latency(t_ctl: int, t_chunk: int, disk: int) -> int:
    return t_ctl + TRIP + t_chunk + TRIP + disk + t_ctl + TRIP


def _run(params: dict[str, Any], *, servers: int = 2, time: str = "300ms",
         trace: io.StringIO | None = None) -> RunResult:
    return run_model("c", gateways=1, servers=servers, time=time, params=params, trace=trace)


def _samples(result: RunResult, metric: str) -> list[Any]:
    """A distribution's raw samples, as a list."""
    samples = result[metric].samples
    assert samples is not None
    return list(samples)


def _cycles(params: dict[str, Any], **kw: Any) -> list[dict[str, int]]:
    """The ssd-run-cycle trace lines: RP during the cycle, its quotas, usage at its end."""
    buf = io.StringIO()
    _run(params, trace=buf, **kw)
    keys = ("t", "cycle", "rp", "to_receive", "to_migrate", "received", "migrated", "used_kib",
            "used_pct", "wqueue", "from_queue", "pending")
    rows = [row for row in csv.reader(io.StringIO(buf.getvalue())) if row[2] == "ssd-run-cycle"]
    return [dict(zip(keys, map(int, [row[0], *row[4:]]), strict=True)) for row in rows]


def _linear(x: int) -> int:
    rp = 100 - (x - LOW) * 100 // (HIGH - LOW)
    return rp + 10 if rp < 60 else rp


class TestTiming:
    def test_one_ssd_and_one_hdd_write(self) -> None:
        """Request, chunk at 100 Gbit/s, disk write, ack: 798,217 ns (SSD), 5,639,487 (HDD)."""
        r = _run({"writes": 2}, time="10ms")
        assert _write_latency(T_CTL, T_CHUNK, D_SSD) == 798_217
        assert _samples(r, "ssd_write_latency") == [798_217]
        assert _samples(r, "hdd_write_latency") == [5_639_487]
        assert r["chunk"].total == 2

    def test_go_timing_reproduces_the_reference_latencies(self) -> None:
        """With SURGE's stale durations: 1.562 ms per SSD write and 6.40 ms per HDD write,
        the Go reference run's numbers (847 us link + 714 us SSD; + 5.56 ms HDD)."""
        r = _run({"writes": 2, "go_timing": True}, time="10ms")
        assert _samples(r, "ssd_write_latency") == [
            _write_latency(GO_T_CTL, GO_T_CHUNK, D_SSD)] == [1_562_133]
        assert _samples(r, "hdd_write_latency") == [
            _write_latency(GO_T_CTL, GO_T_CHUNK, D_HDD)] == [6_403_403]

    def test_durations_follow_the_models_own_link(self) -> None:
        """Fixed: halving the link doubles T_chunk; under go_timing it stays stale."""
        fixed = _run({"writes": 1, "link_bits_per_s": "50Gbps"}, time="5ms")
        assert _samples(fixed, "ssd_write_latency") == [
            _write_latency(16, 2 * T_CHUNK, D_SSD)]
        stale = _run({"writes": 1, "link_bits_per_s": "50Gbps", "go_timing": True}, time="5ms")
        assert _samples(stale, "ssd_write_latency") == [1_562_133]

    def test_go_timing_with_surges_default_chunksize(self) -> None:
        """The Go run with -chunksize 128 (ttr 1 ms): T_chunk 105,916 ns from 128 KiB, so one
        write done; the SSD received 9 chunks, each HDD its 8 (window), rxbusy 78/67 %."""
        r = _run({"go_timing": True, "go_timing_chunk_bytes": "128KiB"}, servers=10,
                 time="1ms")
        assert r["chunk"].total == 1
        rx = r["rxbytes"].per_node
        assert rx["T#01"] == 9 * 2**20 + 10 * 100 and rx["T#02"] == 8 * 2**20 + 8 * 100
        assert r["rxbusy"].per_node["T#02"] == pytest.approx(67.1, abs=0.1)


class TestReferenceTrajectory:
    def test_cycles_of_the_go_reference_run(self) -> None:
        """go_timing, 1 SSD + 9 HDDs: 10 chunks per 8.48 ms cycle up to 51 % (RP stays 100),
        then RP 40 at 61 % (4 received / 6 migrated), then 47 at 59 %, then flat at 5/5:
        the Go run's "RP = 40 at 61 %, then 47 at 59 %, settles at 5/5"."""
        cycles = _cycles({"go_timing": True}, servers=10, time="63ms")
        got = [(c["rp"], c["to_receive"], c["to_migrate"], c["used_pct"]) for c in cycles]
        assert got == [(100, 10, 0, 10), (100, 10, 0, 20), (100, 10, 0, 30), (100, 10, 0, 40),
                       (100, 10, 0, 51), (100, 10, 0, 61), (40, 4, 6, 59), (47, 5, 5, 59),
                       (47, 5, 5, 59)]
        # the first cycle ends when the 10th write (sent every T_ctl + T_chunk) arrives
        assert cycles[0]["t"] == 9 * (GO_T_CTL + GO_T_CHUNK) + GO_T_CTL + GO_T_CHUNK + 2 * TRIP


@pytest.fixture(scope="module")
def cycles() -> list[dict[str, int]]:
    """The cycles of the filling run."""
    return _cycles(FILLING)


class TestWatermarks:
    def test_receive_percentage_follows_the_watermarks(self,
                                                       cycles: list[dict[str, int]]) -> None:
        """After each cycle RP is 100 below the hysteresis mark while filling, linear between
        the hysteresis and high marks (100 - (x - 40) x 100 / 30, +10 below 60), 0 from the
        high mark until usage is back at the low mark, then 100 again."""
        draining = False
        seen = set()
        for done, nxt in pairwise(cycles):
            x, rp = done["used_pct"], nxt["rp"]
            if x >= HIGH:
                draining = True
            elif x <= LOW:
                draining = False
            if draining:
                expected, regime = 0, "draining"
            elif x < HYST:
                expected, regime = 100, "filling"
            else:
                expected, regime = _linear(x), "linear"
            assert rp == expected, (done, nxt)
            seen.add(regime)
        assert seen == {"filling", "linear", "draining"}
        linear = {c["rp"] for c in cycles if 0 < c["rp"] < 100}
        assert linear >= {60, 54, 44, 37, 27, 20}
        # intake really stops: no write taken while draining, and the quota is the RP's
        assert all(c["received"] == 0 for c in cycles if c["rp"] == 0)
        assert all(c["to_receive"] == (2 * c["rp"] + 50) // 100 for c in cycles)

    def test_high_mark_crossed_and_back_to_low(self, cycles: list[dict[str, int]]) -> None:
        """The filling run crosses the high mark and drains to the low mark more than once."""
        used = [c["used_pct"] for c in cycles]
        crossings = sum(1 for a, b in pairwise(used) if a < HIGH <= b)
        returns = sum(1 for a, b in pairwise(used) if a > LOW >= b)
        assert crossings >= 2 and returns >= 2

    def test_usage_never_above_100(self) -> None:
        """Usage stays within capacity by construction, even with a 10-chunk SSD that SURGE
        would overfill (and crash on) in its first cycle."""
        tiny = {**FILLING, "ssd_capacity_bytes": "10MiB", "cycle_chunks": 10}
        cycles = _cycles(tiny)
        assert cycles and max(c["used_pct"] for c in cycles) == 100
        r = _run(tiny)
        assert max(v for v in r["ssd_used"].series["values"] if v is not None) <= 100.0

    def test_surges_hysteresis_lets_the_credit_rule_refill(self) -> None:
        """hysteresis_until_low=false (SURGE's code) ends hysteresis below the hysteresis
        mark; the out-of-credit rule then refills the SSD and RP turns linear again before
        usage reaches the low mark."""
        cycles = _cycles({**FILLING, "hysteresis_until_low": False})
        high = next(i for i, c in enumerate(cycles) if c["used_pct"] >= HIGH)
        again = next(i for i in range(high + 1, len(cycles)) if cycles[i]["rp"] > 0)
        assert min(c["used_pct"] for c in cycles[high:again]) > LOW
        assert 0 < cycles[again]["rp"] < 100


@pytest.fixture
def acks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Record the chunk id of every ack any write window takes."""
    seen: list[int] = []
    original = WriteWindow.ack

    def ack(self: WriteWindow, write: Write) -> None:
        seen.append(write.chunk.id)
        original(self, write)

    monkeypatch.setattr(WriteWindow, "ack", ack)
    yield seen


class TestExactlyOnce:
    def test_every_write_of_a_filling_run_is_acked_once(self, acks: list[int]) -> None:
        """150 writes through a filling and draining SSD: each acked exactly once."""
        r = _run({**FILLING, "writes": 150})
        assert r["chunk"].total == 150
        assert len(acks) == len(set(acks)) == 150

    def test_default_cluster_acks_are_unique(self, acks: list[int]) -> None:
        """SSD and HDD writes of the default cluster: no write acked twice."""
        r = _run({}, servers=10, time="60ms")
        assert r["chunk"].total == len(acks) == len(set(acks)) > 0


class TestMigration:
    def test_migration_write_divisor_is_explicit(self) -> None:
        """A migrated chunk costs an HDD chunk / divisor of writing: 11 migrations of the
        reference trajectory by 58 ms take 11 x 347,222 ns (divisor 16) or 11 x 1,388,888
        ns (divisor 4) of HDD disk time."""
        for divisor, per_chunk in ((16, 347_222), (4, 1_388_888)):
            r = _run({"go_timing": True, "hdd_direct": False,
                      "migration_write_divisor": divisor}, servers=10, time="58ms")
            assert r["migrations"].total == 11
            busy = sum(v for k, v in r["diskbusy"].per_node.items() if k != "T#01")
            assert busy * 58e6 / 100 == pytest.approx(11 * per_chunk)


class TestErrors:
    @pytest.mark.parametrize(("kwargs", "needle"), [
        ({"gateways": 2}, "exactly one initiator"),
        ({"servers": 1}, "servers >= 2"),
        ({"params": {"ssd_low_pct": 70}}, "ssd_low_pct < ssd_high_pct"),
        ({"params": {"ssd_hysteresis_pct": 80}}, "between the low and high marks"),
        ({"params": {"ssd_capacity_bytes": "512KiB"}}, "at least one chunk"),
    ])
    def test_clear_errors(self, kwargs: dict[str, Any], needle: str) -> None:
        """Invalid clusters and watermarks are one-line configuration errors."""
        args: dict[str, Any] = {"gateways": 1, "servers": 4, "time": "10us", **kwargs}
        with pytest.raises(ConfigError, match=needle):
            run_model("c", **args)


class TestMetrics:
    def test_tier_series_and_standard_metrics(self) -> None:
        """The results document has the standard metrics and the tier series."""
        r = _run({}, servers=10, time="20ms")
        for name in ("throughput", "chunk_latency", "ssd_write_latency", "hdd_write_latency",
                     "ssd_used", "ssd_receive", "ssd_qdepth", "hdd_qdepth", "ssd_wqueue",
                     "qdepth", "diskbusy", "rxbusy", "migrations"):
            assert name in r.metrics, name
        assert r["chunk_latency"].total == r["chunk"].total
        assert r["throughput"].total == pytest.approx(r["chunk"].total * 2**20 / 20e-3)
        assert 0 <= r["rxbytes"].total <= r["txbytes"].total


class TestTieredContract(ModelContract):
    model = "tiered"
    gateways = 1
    servers = 4
    time = "3ms"
