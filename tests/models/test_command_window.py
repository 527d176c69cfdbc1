"""Model b (command-window): exact write timing, the window sweep, frame order, errors."""

import pytest

from surge.models import ConfigError, run_model
from surge.protocols.windowed import WriteWindow
from surge.sim import Simulation
from surge.stats import RunResult
from surge.storage import ChunkSource
from surge.testing import ModelContract

# Defaults: 9.9 Gbit/s after 1 % overhead; 300 B control PDU: T_ctl = 242 ns; trip 1 us;
# 128 KiB = 14 frames of 9000 B (7,272 ns each) + one of 5,072 B (4,098 ns);
# 400 MiB/s disk: D_chunk = 312,500 ns.
T_CTL, TRIP, FRAME, LAST, D_CHUNK = 242, 1000, 7272, 4098, 312_500
ONE_WRITE = T_CTL + 14 * FRAME + LAST + TRIP + D_CHUNK + T_CTL + TRIP
STEADY = 40  # writes at the end of a run that are in steady state


def _latencies(result: RunResult, metric: str = "chunk_latency") -> list[float]:
    samples = result[metric].samples
    assert samples is not None
    return [float(v) for v in samples]


def _total(values: list[float | None]) -> float:
    """The sum of a count series (a count has a value in every interval)."""
    counts = [v for v in values if v is not None]
    assert len(counts) == len(values)
    return sum(counts)


class TestOneWrite:
    def test_single_write_is_the_sum_of_the_formulas(self) -> None:
        """w = 1, one write: request + 15 frames + trip + disk write + ack, to the ns."""
        assert ONE_WRITE == 420_890
        r = run_model("b", gateways=1, servers=1, time="1ms",
                      params={"window": 1, "writes": 1})
        assert _latencies(r) == [ONE_WRITE]
        assert _latencies(r, "disk_extra_latency") == [0]
        assert r["chunk"].total == 1 and r["throughput"].total == pytest.approx(131072 / 1e-3)

    def test_window_one_repeats_the_single_write(self) -> None:
        """With w = 1 every write finds an idle disk and takes exactly 420,890 ns."""
        r = run_model("b", gateways=2, servers=2, time="5ms", params={"window": 1})
        assert set(_latencies(r)) == {ONE_WRITE}
        assert r["chunk"].total == 2 * (5_000_000 // ONE_WRITE)

    def test_time_follows_the_parameters(self) -> None:
        """A 2 us trip and an 800 MiB/s disk change the formula term by term."""
        r = run_model("b", gateways=1, servers=1, time="1ms",
                      params={"window": 1, "writes": 1, "trip_ns": "2us",
                              "disk_mib_per_s": 800})
        assert _latencies(r) == [ONE_WRITE + 2 * 1000 - D_CHUNK // 2]


@pytest.fixture(scope="module")
def sweep() -> dict[int, RunResult]:
    """One gateway and its server for 40 ms at w = 1, 4, 8, 16."""
    return {w: run_model("b", gateways=1, servers=1, time="40ms", params={"window": w})
            for w in (1, 4, 8, 16)}


class TestWindowSweep:
    def test_throughput_rises_until_the_disk_saturates(self,
                                                       sweep: dict[int, RunResult]) -> None:
        """Writes in the last 20 ms: 20 ms / 420,890 ns at w = 1, then the disk's 20 ms /
        312.5 us = 64 (400 MiB/s) from w = 4 on."""
        last_half = {w: _total(r["chunk"].series["values"][50:]) for w, r in sweep.items()}
        assert last_half[1] in (47, 48)  # 20 ms / 420.89 us = 47.5
        for w in (4, 8, 16):
            assert last_half[w] in (63, 64, 65), w
        assert sweep[1]["diskbusy"].total < 75
        assert sweep[4]["diskbusy"].total > 95

    def test_latency_is_w_chunk_times_at_saturation(self,
                                                    sweep: dict[int, RunResult]) -> None:
        """Once the disk is saturated a write waits for the w - 1 ahead of it: latency
        w x 312.5 us (Little's law). At w = 4 the extra latency makes writes alternate in a
        period of nine, four at 5 chunk times, four at 3 and one at 4 whose request waited
        242 ns for the transmitter: the mean is 4 x 312.5 us - 242 / 9 ns."""
        assert set(_latencies(sweep[8])[-STEADY:]) == {8 * D_CHUNK}
        assert set(_latencies(sweep[16])[-STEADY:]) == {16 * D_CHUNK}
        four = _latencies(sweep[4])[-36:]
        assert set(four) == {3 * D_CHUNK, 4 * D_CHUNK - T_CTL, 5 * D_CHUNK}
        assert sum(four) == 36 * 4 * D_CHUNK - 4 * T_CTL

    def test_extra_latency_follows_the_step_table(self, sweep: dict[int, RunResult]) -> None:
        """A write finds w - 0.35 chunks of FIFO work ahead (less its own extra); the depth
        selects the step: w = 1: +0; w = 8: depth 7, +1 chunk; w = 16: depth 13, +3 chunks;
        w = 4 alternates between depth 4 (+1) and depth 3 (+0): 5 and 3 chunk times."""
        extra = {w: set(_latencies(r, "disk_extra_latency")[-STEADY:])
                 for w, r in sweep.items()}
        assert extra == {1: {0}, 4: {0, D_CHUNK}, 8: {D_CHUNK}, 16: {3 * D_CHUNK}}

    def test_queue_depth_grows_with_the_window(self, sweep: dict[int, RunResult]) -> None:
        """The sampled disk queue (chunks) grows with w."""
        depth = [sweep[w]["qdepth"].total for w in (1, 4, 8, 16)]
        assert depth == sorted(depth) and depth[0] < 1 < depth[-1]


class TestFrameOrder:
    @pytest.mark.parametrize(("interleave", "first", "second"), [
        # A's frames at positions 1, 3, ..., 29 of 30: its last starts after 28 frames
        ("round-robin", 2 * T_CTL + 28 * FRAME + LAST + TRIP + D_CHUNK + T_CTL + TRIP,
         2 * T_CTL + 28 * FRAME + LAST + TRIP + 2 * D_CHUNK + T_CTL + TRIP - T_CTL),
        # A first, then B, which queues behind A on the disk
        ("oldest-first", 2 * T_CTL + 14 * FRAME + LAST + TRIP + D_CHUNK + T_CTL + TRIP,
         2 * T_CTL + 14 * FRAME + LAST + TRIP + 2 * D_CHUNK + T_CTL + TRIP - T_CTL),
    ])
    def test_two_outstanding_writes(self, interleave: str, first: int, second: int) -> None:
        """w = 2: both requests go first (0 and 242 ns), then the frames in the set order."""
        r = run_model("b", gateways=1, servers=1, time="1ms",
                      params={"window": 2, "writes": 2, "interleave": interleave})
        assert _latencies(r) == [first, second]
        assert (first, second) in ((522_940, 835_198), (421_132, 733_390))

    def test_random_order_lies_between(self) -> None:
        """Random (seeded) order finishes the first write between the two extremes, as the
        Go runs did (433-483 us), and is reproducible."""
        def first(seed: int) -> float:
            r = run_model("b", gateways=1, servers=1, time="1ms", seed=seed,
                          params={"window": 2, "writes": 2, "interleave": "random"})
            return _latencies(r)[0]

        values = [first(seed) for seed in (1, 2, 3)]
        assert all(421_132 < v < 522_940 for v in values)
        assert first(2) == values[1]

    def test_go_reference_one_ms(self) -> None:
        """The Go run (10 x 10, w = 2, 1 ms): 20 writes, 501 MiB/s per server, rxbusy 42 %."""
        r = run_model("b", time="1ms")
        assert r["chunk"].total == 20
        per_server = r["rxbytes"].by_role["server"] / 10 / 1e-3 / 2**20
        assert per_server == pytest.approx(501.14, abs=0.01)
        assert r["rxbusy"].total == pytest.approx(42.5, abs=0.1)


class TestErrors:
    def test_fewer_servers_than_gateways(self) -> None:
        """Gateway i writes to server i: servers < gateways is a clear one-line error."""
        with pytest.raises(ConfigError, match="servers >= gateways: got 4 gateways and 3"):
            run_model("b", gateways=4, servers=3, time="10us")

    def test_frame_must_fit_the_bucket(self) -> None:
        """A frame larger than the egress bucket is refused before the run."""
        with pytest.raises(ConfigError, match="frame_bytes = 10000 B"):
            run_model("b", time="10us", params={"frame_bytes": 10000})

    def test_unknown_interleave(self) -> None:
        """The frame order is one of the three policies."""
        with pytest.raises(ConfigError, match="'round-robin', 'oldest-first', 'random'"):
            run_model("b", time="10us", params={"interleave": "lifo"})


class TestInvariants:
    def test_bytes_conserved_and_busy_at_most_100(self) -> None:
        """Server bytes received = gateway bytes sent less at most a frame or two in flight;
        no interval's rxbusy exceeds 100 %; throughput = writes x 128 KiB per second."""
        r = run_model("b", gateways=4, servers=6, time="2ms", params={"window": 4})
        sent = r["txbytes"].by_role["gateway"]
        received = r["rxbytes"].by_role["server"]
        assert 0 <= sent - received <= 4 * 2 * 9000
        assert max(v for v in r["rxbusy"].series["values"] if v is not None) <= 100.0
        assert r["throughput"].total == pytest.approx(r["chunk"].total * 131072 / 2e-3)
        assert r["replica"].total == r["chunk"].total

    def test_idle_servers_beyond_the_gateways(self) -> None:
        """Servers without a gateway receive nothing."""
        r = run_model("b", gateways=2, servers=4, time="1ms")
        assert r["rxbytes"].per_node["T#03"] == r["rxbytes"].per_node["T#04"] == 0
        assert r["rxbytes"].per_node["T#01"] > 0


class TestWriteWindow:
    def test_slots_lowest_first_and_acked_once(self) -> None:
        """Slots are taken lowest first, freed by the ack; a second ack raises."""
        sim = Simulation(seed=1)
        chunks = ChunkSource(sim)
        window = WriteWindow(2, name="I#01->T#01")
        a, b = window.issue(chunks.new_chunk(1)), window.issue(chunks.new_chunk(1))
        assert (a.slot, b.slot, window.has_free_slot) == (0, 1, False)
        window.ack(a)
        assert window.issue(chunks.new_chunk(1)).slot == 0
        with pytest.raises(RuntimeError, match="acked exactly once"):
            window.ack(a)
        assert (window.issued, window.acked, window.outstanding) == (3, 1, 2)


class TestCommandWindowContract(ModelContract):
    model = "command-window"
    gateways = 3
    servers = 4
    time = "600us"
