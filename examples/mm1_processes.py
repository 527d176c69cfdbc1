"""An M/M/1 queue written as SimPy-style processes on the surge engine.

Customers arrive at rate lambda, one server serves them at rate mu; the mean time in
system should be 1 / (mu - lambda). Run: ``python examples/mm1_processes.py``.
"""

from collections.abc import Generator

from surge.sim import Event, Resource, Simulation, us

MEAN_SERVICE_NS = us(1)
UTILIZATION = 0.8
CUSTOMERS = 50_000


def main() -> None:
    sim = Simulation(seed=1)
    arrivals, services = sim.random.python("arrivals"), sim.random.python("services")
    server = Resource(sim)
    sojourns: list[int] = []

    def customer() -> Generator[Event, object, None]:
        start = sim.now
        with server.request() as req:
            yield req
            yield sim.timeout(round(services.expovariate(1 / MEAN_SERVICE_NS)))
        sojourns.append(sim.now - start)

    def source() -> Generator[Event, object, None]:
        for _ in range(CUSTOMERS):
            sim.process(customer())
            yield sim.timeout(round(arrivals.expovariate(UTILIZATION / MEAN_SERVICE_NS)))

    sim.process(source())
    sim.run()
    expected = MEAN_SERVICE_NS / (1 - UTILIZATION)
    stats = server.stats()
    print(f"mean time in system {sum(sojourns) / len(sojourns):.0f} ns "
          f"(theory {expected:.0f} ns), utilization {stats.utilization:.3f}, "
          f"mean queue {stats.mean_queue:.2f}")


if __name__ == "__main__":
    main()
