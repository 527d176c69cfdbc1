"""Models 8 (replicast-h) and 9 (replicast-h-dblr): timing, invariants, double booking."""

import pytest
from tests.models.test_replicast import DATA, T_CTL, TRIP, check_invariants, run

from surge.testing import ModelContract

WINDOW = 129_553  # minduration = bid window (110 %) - trip


class TestSingleChunk:
    @pytest.mark.parametrize("model", ["8", "9"])
    def test_three_back_to_back_windows(self, model: str) -> None:
        """One gateway, idle servers: request, bid, then three sequential windows + ack."""
        expected = 2 * (T_CTL + TRIP) + T_CTL + 2 * WINDOW + DATA + TRIP + T_CTL + TRIP
        assert expected == 390_475
        r = run(model, gateways=1, servers=18, time="800us", seed=1)
        samples = r["chunk_latency"].samples
        assert samples is not None and samples[0] == expected


class TestInvariants:
    @pytest.mark.parametrize("model", ["8", "9"])
    @pytest.mark.parametrize("seed", [1, 2])
    def test_contended_runs_keep_every_reservation(self, model: str, seed: int) -> None:
        """10 x 18 for 2 ms: no data outside a reservation, no overlap, bytes conserved."""
        r = run(model, gateways=10, servers=18, time="2ms", seed=seed)
        assert r["chunk"].total > 0 and r["abort-retries"].total > 0
        check_invariants(r)

    def test_double_booking_and_late_rejects_happen_and_stay_safe(self) -> None:
        """Model 9 under load double-books, rejects late, and still never overlaps."""
        r = run("9", gateways=30, servers=18, time="2ms", seed=1)
        assert r["double-bookings"].total > 0
        assert r["late-rejects"].total > 0
        check_invariants(r)


class TestReplicastHContract(ModelContract):
    model = "replicast-h"
    servers = 18
    time = "300us"


class TestReplicastHDblrContract(ModelContract):
    model = "replicast-h-dblr"
    servers = 18
    time = "300us"
