"""Queueing theory from the engine's own primitives (long runs, fixed seeds)."""

from collections import deque
from collections.abc import Generator

import pytest

from surge.sim import Event, Resource, Simulation

MEAN_SERVICE_NS = 1000
UTILIZATION = 0.8


def _mm1_mean_time_in_system(seed: int, customers: int) -> float:
    """M/M/1 with generator processes and a Resource; returns mean sojourn, ns."""
    sim = Simulation(seed)
    arrivals = sim.random.python("arrivals")
    services = sim.random.python("services")
    server = Resource(sim, capacity=1)
    sojourns: list[int] = []
    mean_gap = MEAN_SERVICE_NS / UTILIZATION

    def customer() -> Generator[Event, object, None]:
        start = sim.now
        with server.request() as req:
            yield req
            yield sim.timeout(round(services.expovariate(1 / MEAN_SERVICE_NS)))
        sojourns.append(sim.now - start)

    def source() -> Generator[Event, object, None]:
        for _ in range(customers):
            sim.process(customer())
            yield sim.timeout(round(arrivals.expovariate(1 / mean_gap)))

    sim.process(source())
    sim.run()
    warmup = customers // 20
    tail = sojourns[warmup:]
    return sum(tail) / len(tail)


def _md1_mean_time_in_system(seed: int, customers: int) -> tuple[float, float]:
    """M/D/1 with plain callbacks (a FIFO server); returns (mean sojourn ns, utilization)."""
    sim = Simulation(seed)
    arrivals = sim.random.python("arrivals")
    queue: deque[int] = deque()
    sojourns: list[int] = []
    busy_ns = [0]
    mean_gap = MEAN_SERVICE_NS / UTILIZATION

    def start_service(_: object) -> None:
        busy_ns[0] += MEAN_SERVICE_NS
        sim.schedule(MEAN_SERVICE_NS, depart, None)

    def depart(_: object) -> None:
        sojourns.append(sim.now - queue.popleft())
        if queue:
            start_service(None)

    def arrive(remaining: int) -> None:
        queue.append(sim.now)
        if len(queue) == 1:
            start_service(None)
        if remaining > 1:
            sim.schedule(round(arrivals.expovariate(1 / mean_gap)), arrive, remaining - 1)

    sim.schedule(0, arrive, customers)
    sim.run()
    warmup = customers // 20
    tail = sojourns[warmup:]
    return sum(tail) / len(tail), busy_ns[0] / sim.now


class TestQueueingTheory:
    @pytest.mark.parametrize("seed", [1, 2])
    def test_mm1_mean_time_in_system(self, seed: int) -> None:
        """M/M/1 at utilization 0.8: mean time in system within 3% of 1/(mu - lambda)."""
        mu = 1 / MEAN_SERVICE_NS
        lam = UTILIZATION * mu
        expected = 1 / (mu - lam)  # 5000 ns
        measured = _mm1_mean_time_in_system(seed, customers=200_000)
        assert measured == pytest.approx(expected, rel=0.03)

    @pytest.mark.parametrize("seed", [1, 2])
    def test_md1_pollaczek_khinchine(self, seed: int) -> None:
        """M/D/1 at utilization 0.8: mean time in system within 3% of Pollaczek-Khinchine."""
        mu = 1 / MEAN_SERVICE_NS
        rho = UTILIZATION
        expected = 1 / mu + rho / (2 * mu * (1 - rho))  # 3000 ns
        measured, utilization = _md1_mean_time_in_system(seed, customers=200_000)
        assert measured == pytest.approx(expected, rel=0.03)
        assert utilization == pytest.approx(rho, rel=0.02)
