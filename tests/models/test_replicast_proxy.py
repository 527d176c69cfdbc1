"""Model a (replicast-proxy): exact single-chunk timing, prediction, invariants."""

import pytest
from tests.models.test_replicast import DATA, T_CTL, TRIP, check_invariants, run

from surge.testing import ModelContract


class TestSingleChunk:
    def test_latency_is_request_proxy_bids_data_ack(self) -> None:
        """One gateway, idle servers: 3,424 + 3,424 + 117,673 + 1,000 + 3,424 ns."""
        expected = 2 * (T_CTL + TRIP) + DATA + TRIP + T_CTL + TRIP
        assert expected == 128_945
        r = run("a", gateways=1, servers=18, time="1ms", seed=1)
        samples = r["chunk_latency"].samples
        assert samples is not None and set(samples.tolist()) == {expected}

    def test_prediction_is_window_end_plus_a_disk_write(self) -> None:
        """predicted = left 6,848 + window 166,159 + D_chunk 312,500 + T_ctl + trip."""
        r = run("a", gateways=1, servers=18, time="300us", seed=1)
        predicted = r["predicted-latency"].samples
        assert predicted is not None and predicted[0] == 6848 + 166_159 + 312_500 + 3424


class TestInvariants:
    @pytest.mark.parametrize("params", [{}, {"read": "true"}])
    def test_contended_run_keeps_every_reservation(self, params: dict[str, str]) -> None:
        """10 x 18 for 2 ms: reservations granted by the proxy never overlap."""
        r = run("a", gateways=10, servers=18, time="2ms", seed=3, params=params)
        assert r["chunk"].total > 0
        check_invariants(r)


class TestReplicastProxyContract(ModelContract):
    model = "replicast-proxy"
    servers = 18
    time = "300us"
