"""Model benchmark: wall and CPU time of the unicast models against the Go reference runs.

Runs ``surge run 5`` and ``surge run 6`` (through the Python API, as the CLI does) at
10 x 10 for 1 ms and 10 ms, and at 90 x 90 for 10 ms of simulated time, each in a fresh
process, and compares with the Go code's wall time for 1 ms at 10 x 10 from
``reference/surge-core.md`` section 21 (74 s for model 5, 50 s for model 6 on these
machines). Targets (issue 4): under 0.5 s for 1 ms at 10 x 10, and a 90 x 90, 10 ms run in
under a minute. Both the whole process (Python start-up and imports included, the fair
comparison with the Go binary's wall time) and ``run_model`` alone are reported; the
speed-up column uses the whole process.

Usage::

    python benchmarks/models.py [--markdown]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

GO_WALL_S_1MS_10X10 = {"5": 73.95, "6": 50.24}
CASES = [("5", 10, "1ms"), ("6", 10, "1ms"), ("5", 10, "10ms"), ("6", 10, "10ms"),
         ("5", 90, "10ms"), ("6", 90, "10ms")]


def one(model: str, n: int, time: str) -> dict[str, Any]:
    """Run one case in this process; return timings and headline results."""
    import time as clock

    wall0, cpu0 = clock.perf_counter(), clock.process_time()
    from surge.models import run_model

    run_wall0, run_cpu0 = clock.perf_counter(), clock.process_time()
    result = run_model(model, gateways=n, servers=n, time=time, seed=1)
    latency = result["chunk_latency"].distribution
    return {
        "model": model, "n": n, "time": time,
        "wall_s": clock.perf_counter() - wall0,  # the whole process: imports, build, run
        "cpu_s": clock.process_time() - cpu0,
        "run_wall_s": clock.perf_counter() - run_wall0,  # run_model alone
        "run_cpu_s": clock.process_time() - run_cpu0,
        "events": result.events,
        "chunks": result["chunk"].total,
        "throughput_gib_s": result["throughput"].total / 2**30,
        "p99_us": None if latency is None or latency.count == 0 else latency.p99 / 1e3,
    }


def main() -> int:
    """Run every case in a fresh process and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        model, n, time = args.one
        print(json.dumps(one(model, int(n), time)))
        return 0
    rows = []
    for model, n, time in CASES:
        out = subprocess.run([sys.executable, __file__, "--one", model, str(n), time],
                             capture_output=True, text=True, check=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        rows.append(row)
        print(f"model {model} {n}x{n} {time}: wall {row['wall_s']:.2f} s, "
              f"cpu {row['cpu_s']:.2f} s", flush=True)
    lines = ["| model | cluster | sim time | process wall s | run wall s | run CPU s | events | "
             "chunks | throughput GiB/s | chunk p99 us | vs Go wall (1 ms, 10x10) |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        go = GO_WALL_S_1MS_10X10[r["model"]] if (r["n"], r["time"]) == (10, "1ms") else None
        speedup = f"{go / r['wall_s']:.0f}x faster" if go else ""
        p99 = "" if r["p99_us"] is None else f"{r['p99_us']:.0f}"
        lines.append(f"| {r['model']} | {r['n']}x{r['n']} | {r['time']} | {r['wall_s']:.2f} | "
                     f"{r['run_wall_s']:.2f} | {r['run_cpu_s']:.2f} | {r['events']:,} | "
                     f"{r['chunks']:.0f} | "
                     f"{r['throughput_gib_s']:.2f} | {p99} | {speedup} |")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"\nMeasured {stamp} on {platform.machine()}, Python {platform.python_version()}.\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
