"""Engine benchmark: ping-pong with FIFO link contention, surge vs SimPy vs a bare heapq loop.

The model (the same in all three): N gateways and N servers; each gateway keeps one
request in flight to a uniformly random server (its own random stream); a request is
8 KiB, a reply 100 B, every link 10 Gbit/s with 1 us latency; a server replies at once
and its outgoing link serializes replies first come, first served. All three run the
same simulated time with the same random draws, and must complete the same number of
round trips (asserted).

Contestants, each in its own fresh process:

* ``surge``: :class:`surge.sim.Simulation` callbacks and :class:`surge.network.Link`;
* ``simpy``: SimPy processes with a ``simpy.Resource`` per server link;
* ``heapq``: a hand-written heapq loop for exactly this model, the practical limit of
  Python here (no engine, no link objects).

Each contestant runs ``--repeat`` times (default 3), interleaved with the others so that
background load hits all alike; the fastest run counts. Reported per contestant: events
(each engine's own count of handled heap entries), round
trips, CPU seconds, events and round trips per CPU second, and peak traced memory per
node (a second, shorter run under tracemalloc). Ratios are against SimPy.

Usage::

    python benchmarks/engine.py                 # N in 10, 100, 1000, 10000
    python benchmarks/engine.py --n 1000 --round-trips 100000
    python benchmarks/engine.py --callgrind --round-trips 20000   # load-free check
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from heapq import heappop, heappush
from itertools import count
from pathlib import Path
from typing import Any

REQUEST_BYTES = 8 * 1024
REPLY_BYTES = 100
BITS_PER_S = 10_000_000_000
LATENCY_NS = 1_000
SER_REQUEST = REQUEST_BYTES * 8 * 1_000_000_000 // BITS_PER_S  # 6553 ns
SER_REPLY = REPLY_BYTES * 8 * 1_000_000_000 // BITS_PER_S  # 80 ns
ROUND_TRIP_NS = SER_REQUEST + LATENCY_NS + SER_REPLY + LATENCY_NS


def _streams(n: int, seed: int) -> list[random.Random]:
    """One random stream per gateway, identical for every contestant."""
    from surge.sim import RandomStreams

    streams = RandomStreams(seed)
    return [streams.python(f"gateway-{g}") for g in range(n)]


def run_surge(n: int, sim_ns: int, seed: int) -> tuple[int, int]:
    """surge: callbacks on the engine, Link objects for FIFO serialization."""
    from surge.network import Link
    from surge.sim import Simulation

    sim = Simulation(seed)
    rngs = _streams(n, seed)
    gw_links = [Link(sim, BITS_PER_S, LATENCY_NS) for _ in range(n)]
    srv_links = [Link(sim, BITS_PER_S, LATENCY_NS) for _ in range(n)]
    done = [0]

    def on_request(msg: tuple[int, int]) -> None:
        srv_links[msg[1]].send(REPLY_BYTES, on_reply, msg[0])

    def on_reply(g: int) -> None:
        done[0] += 1
        gw_links[g].send(REQUEST_BYTES, on_request, (g, int(rngs[g].random() * n)))

    for g in range(n):
        gw_links[g].send(REQUEST_BYTES, on_request, (g, int(rngs[g].random() * n)))
    sim.run(until=sim_ns)
    return sim.events_processed, done[0]


def run_simpy(n: int, sim_ns: int, seed: int) -> tuple[int, int]:
    """SimPy: one process per gateway, a Resource per server link."""
    import simpy

    env = simpy.Environment()
    rngs = _streams(n, seed)
    links = [simpy.Resource(env, capacity=1) for _ in range(n)]
    done = [0]

    def gateway(g: int) -> Any:
        rng = rngs[g]
        while True:
            s = int(rng.random() * n)
            yield env.timeout(SER_REQUEST + LATENCY_NS)
            with links[s].request() as req:
                yield req
                yield env.timeout(SER_REPLY)
            yield env.timeout(LATENCY_NS)
            done[0] += 1

    for g in range(n):
        env.process(gateway(g))
    env.run(until=sim_ns)
    scheduled = next(env._eid)
    return scheduled - len(env._queue), done[0]


def run_heapq(n: int, sim_ns: int, seed: int) -> tuple[int, int]:
    """A hand-written heapq loop for exactly this model (the practical limit)."""
    rngs = _streams(n, seed)
    queue: list[tuple[int, int, int, int]] = []
    seq = count()
    busy = [0] * n
    for g in range(n):
        heappush(queue, (SER_REQUEST + LATENCY_NS, next(seq), g, int(rngs[g].random() * n)))
    events = 0
    done = 0
    while queue:
        t, _, g, s = heappop(queue)
        if t >= sim_ns:
            break
        events += 1
        if s >= 0:  # request arrives at server s
            start = busy[s] if busy[s] > t else t
            busy[s] = start + SER_REPLY
            heappush(queue, (start + SER_REPLY + LATENCY_NS, next(seq), g, -1))
        else:  # reply arrives at gateway g
            done += 1
            heappush(queue, (t + SER_REQUEST + LATENCY_NS, next(seq), g,
                             int(rngs[g].random() * n)))
    return events, done


tracemalloc_wanted = [True]

CONTESTANTS: dict[str, Callable[[int, int, int], tuple[int, int]]] = {
    "surge": run_surge,
    "simpy": run_simpy,
    "heapq": run_heapq,
}


def measure_one(name: str, n: int, sim_ns: int, mem_sim_ns: int, seed: int) -> dict[str, Any]:
    """Run one contestant: a timed run, then a shorter run under tracemalloc."""
    fn = CONTESTANTS[name]
    gc.collect()
    cpu0 = time.process_time()
    events, trips = fn(n, sim_ns, seed)
    cpu = time.process_time() - cpu0
    if not tracemalloc_wanted[0]:
        return {"name": name, "n": n, "sim_ns": sim_ns, "events": events,
                "round_trips": trips, "cpu_s": cpu, "peak_bytes": 0}
    tracemalloc.start()
    fn(n, mem_sim_ns, seed)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"name": name, "n": n, "sim_ns": sim_ns, "events": events, "round_trips": trips,
            "cpu_s": cpu, "peak_bytes": peak}


def _subprocess(name: str, n: int, sim_ns: int, mem_sim_ns: int, seed: int, *,
                memory: bool) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--one", name, "--n", str(n), "--sim-ns", str(sim_ns),
         "--mem-sim-ns", str(mem_sim_ns), "--seed", str(seed)]
        + ([] if memory else ["--no-memory"]),
        capture_output=True, text=True, check=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _instructions(name: str, n: int, sim_ns: int, seed: int) -> int:
    """Instructions executed by one contestant's run, counted by valgrind's callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
             __file__, "--one", name, "--n", str(n), "--sim-ns", str(sim_ns), "--mem-sim-ns",
             "1", "--seed", str(seed), "--no-memory"],
            capture_output=True, text=True, check=True,
        )
    match = re.search(r"I\s+refs:\s+([\d,]+)", proc.stderr)
    if match is None:
        raise SystemExit(f"callgrind printed no instruction count:\n{proc.stderr[-2000:]}")
    return int(match.group(1).replace(",", ""))


def callgrind_table(ns: list[int], round_trips: int, seed: int) -> list[str]:
    """Instructions per round trip for each contestant (run minus start-up), as markdown.

    Instruction counts do not depend on what else the machine is doing, so these ratios
    are the load-free check of the CPU-time table.
    """
    lines = ["| N | contestant | round trips | instructions/round trip | surge advantage |",
             "|---:|---:|---:|---:|---:|"]
    for n in ns:
        sim_ns = max(ROUND_TRIP_NS * 4, round_trips * ROUND_TRIP_NS // n)
        per_trip = {}
        for name in CONTESTANTS:
            full = _instructions(name, n, sim_ns, seed)
            startup = _instructions(name, n, 1, seed)
            trips = measure_one(name, n, sim_ns, 1, seed)["round_trips"]
            per_trip[name] = (full - startup) / trips
            print(f"N={n} {name}: {per_trip[name]:,.0f} instructions per round trip",
                  flush=True)
        for name in CONTESTANTS:
            ratio = per_trip[name] / per_trip["surge"]
            lines.append(f"| {n} | {name} | {trips:,} | {per_trip[name]:,.0f} | "
                         f"{ratio:.2f}x |")
    return lines


def main() -> int:
    """Run the comparison and print the table (markdown with --markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="N (repeatable)")
    parser.add_argument("--round-trips", type=int, default=200_000,
                        help="target round trips per run (sets the simulated time)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed runs per contestant, interleaved; the fastest counts")
    parser.add_argument("--no-memory", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--callgrind", action="store_true",
                        help="count instructions with valgrind instead of timing (slow)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--sim-ns", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mem-sim-ns", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        tracemalloc_wanted[0] = not args.no_memory
        print(json.dumps(measure_one(args.one, args.n[0], args.sim_ns, args.mem_sim_ns,
                                     args.seed)))
        return 0

    if args.callgrind:
        tracemalloc_wanted[0] = False
        print("\n".join(callgrind_table(args.n or [10, 100, 1000], args.round_trips,
                                        args.seed)))
        return 0

    from rich.console import Console
    from rich.table import Table

    console = Console()
    rows = []
    for n in args.n or [10, 100, 1000, 10000]:
        sim_ns = max(ROUND_TRIP_NS * 4, args.round_trips * ROUND_TRIP_NS // n)
        mem_sim_ns = ROUND_TRIP_NS * 4  # a few round trips: steady-state memory
        res: dict[str, dict[str, Any]] = {}
        for rep in range(args.repeat):  # interleaved, so load on the machine hits all alike
            for name in CONTESTANTS:
                r = _subprocess(name, n, sim_ns, mem_sim_ns, args.seed, memory=rep == 0)
                if name not in res:
                    res[name] = r
                else:
                    res[name]["cpu_s"] = min(res[name]["cpu_s"], r["cpu_s"])
        trips = {name: r["round_trips"] for name, r in res.items()}
        if len(set(trips.values())) != 1:
            raise SystemExit(f"N={n}: contestants disagree on completed round trips: {trips}")
        rows.append((n, sim_ns, res))
        console.print(f"N={n}: done ({trips['surge']} round trips each)")

    table = Table(title="engine: ping-pong with FIFO link contention")
    for col in ("N", "sim time", "contestant", "events", "round trips", "CPU s",
                "events/CPU-s", "trips/CPU-s", "trips/CPU-s vs SimPy",
                "events/CPU-s vs SimPy", "peak B/node"):
        table.add_column(col, justify="right")
    md = ["| N | sim time | contestant | events | round trips | CPU s | events/CPU-s | "
          "trips/CPU-s | trips/CPU-s vs SimPy | events/CPU-s vs SimPy | peak B/node |",
          "|" + "---:|" * 11]
    for n, sim_ns, res in rows:
        base = res["simpy"]
        base_eps = base["events"] / base["cpu_s"]
        base_tps = base["round_trips"] / base["cpu_s"]
        for name in ("surge", "simpy", "heapq"):
            r = res[name]
            eps = r["events"] / r["cpu_s"]
            tps = r["round_trips"] / r["cpu_s"]
            cells = [f"{n}", f"{sim_ns / 1e6:.3f} ms", name, f"{r['events']:,}",
                     f"{r['round_trips']:,}", f"{r['cpu_s']:.2f}", f"{eps / 1e6:.3f} M",
                     f"{tps / 1e3:.1f} K", f"{tps / base_tps:.2f}x", f"{eps / base_eps:.2f}x",
                     f"{r['peak_bytes'] / n:,.0f}"]
            table.add_row(*cells)
            md.append("| " + " | ".join(cells) + " |")
    console.print(table)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {platform.processor() or 'cpu'}, Python " \
              f"{platform.python_version()}"
    if args.markdown:
        print(f"\nMeasured {stamp} on {machine}.\n")
        print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
