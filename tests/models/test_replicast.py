"""Model 7 (replicast): exact single-chunk timing, invariants, options, determinism."""

import warnings

import pytest

from surge.models import ConfigError, run_model
from surge.protocols.replicast import ReplicastConfigNote
from surge.stats import RunResult
from surge.testing import ModelContract

# Defaults: control share 0.99 Gbit/s: T_ctl = 2,424 ns; trip 1,000 ns; data share
# 8.91 Gbit/s: 14 frames of 9000 B at 8,080 ns + one of 5072 B at 4,553 ns = 117,673 ns.
T_CTL, TRIP = 2424, 1000
DATA = 14 * 8080 + 4553
REQUEST = BID = ACK = T_CTL + TRIP
ACCEPT = T_CTL  # the window opens T_ctl after the decision; the accept's trip overlaps data


def run(model: str, **kw: object) -> RunResult:
    params = kw.pop("params", {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReplicastConfigNote)
        return run_model(model, params=params, **kw)  # type: ignore[arg-type]


def check_invariants(r: RunResult, multicast_copies: bool = True) -> None:
    """The invariants every Replicast run must hold."""
    assert r["unreserved-data"].total == 0
    assert r["late-data"].total == 0
    assert r["overlapping-reservations"].total == 0
    sent, received = r["txbytes"].total, r["rxbytes"].total
    assert sent - received >= 0
    assert max(r["rxbusy"].per_node.values()) <= 100.0
    assert max(r["diskbusy"].per_node.values()) <= 100.0
    assert r["throughput"].total == pytest.approx(
        r["chunk"].total * r.params["chunk_bytes"] * 1e9 / r.sim_time_ns)


class TestSingleChunk:
    def test_latency_is_request_bid_accept_data_ack(self) -> None:
        """One gateway, idle servers: every chunk takes exactly 131,369 ns."""
        expected = REQUEST + BID + ACCEPT + DATA + TRIP + ACK
        assert expected == 131_369
        r = run("7", gateways=1, servers=18, time="1ms", seed=1)
        samples = r["chunk_latency"].samples
        assert samples is not None and set(samples.tolist()) == {expected}
        assert r["chunk"].total == 7  # 1 ms / 131,369 ns, chunks back to back

    def test_unicast_transport_sends_three_copies_in_sequence(self) -> None:
        """transport=unicast: the three copies follow one another: + 2 x 117,673 ns."""
        r = run("7", gateways=1, servers=18, time="1ms", seed=1,
                params={"transport": "unicast"})
        samples = r["chunk_latency"].samples
        assert samples is not None
        assert samples[0] == REQUEST + BID + ACCEPT + 3 * DATA + TRIP + ACK
        check_invariants(r)


class TestInvariants:
    @pytest.mark.parametrize("params", [{}, {"read": "true"}, {"chunk_bytes": "16KiB"},
                                        {"transport": "unicast"}])
    def test_contended_run_keeps_every_reservation(self, params: dict[str, str]) -> None:
        """10 gateways x 18 servers, 2 ms: no data outside a reservation, no overlap."""
        r = run("7", gateways=10, servers=18, time="2ms", seed=2, params=params)
        assert r["chunk"].total > 0
        check_invariants(r)

    def test_read_option_reads_one_chunk_per_chunk(self) -> None:
        """read=true: one read per completed chunk (before or at its ack)."""
        r = run("7", gateways=2, servers=18, time="1ms", seed=1, params={"read": "true"})
        assert r["reads"].total >= r["chunk"].total > 0


class TestServerCount:
    def test_ten_servers_run_as_eighteen_with_a_note(self) -> None:
        """SURGE's rule: 10 servers, G = 9 -> 18, reported as a ReplicastConfigNote."""
        with pytest.warns(ReplicastConfigNote, match="18 servers"):
            r = run_model("7", gateways=1, servers=10, time="50us")
        assert len(r["rxbusy"].per_node) == 18

    def test_strict_config_is_an_error(self) -> None:
        """strict_config=true refuses the adjustment with a one-line ConfigError."""
        with pytest.raises(ConfigError, match="strict_config"):
            run_model("7", gateways=1, servers=10, time="50us",
                      params={"strict_config": "true"})


class TestReplicastContract(ModelContract):
    model = "replicast"
    servers = 18
    time = "300us"
