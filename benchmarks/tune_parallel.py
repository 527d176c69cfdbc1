"""Parallel evaluation benchmark: a 64-point sweep of model 6 serial, on 2 local worker
processes, and on a Dask cluster of 2 workers (started on 127.0.0.1 by this script).

Each evaluation is ``uch-aimd`` at 10 x 10 for 1 ms (a different ``aimd_divisor`` x
``ding_overlaps`` x ``aimd_add_every_bits`` point). Reported: wall time, speed-up over
serial, the mean evaluation time measured on the workers, and the parallel overhead per
evaluation, ``wall * slots / n - mean evaluation time`` (what the executor, pickling and
journaling add to each evaluation). Target (issue 8): overhead under 50 ms.

Usage: ``python benchmarks/tune_parallel.py``
"""

from __future__ import annotations

import platform
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from surge.tuning import ModelSystem, sweep

SYSTEM = ModelSystem("uch-aimd", gateways=10, servers=10, time="1ms")
GRID = {"aimd_divisor": [2, 3, 4, 5], "ding_overlaps": [1, 2, 3, 4],
        "aimd_add_every_bits": [37_200, 74_400, 148_800, 297_600]}  # 64 points
DASK = str(Path(sys.executable).parent / "dask")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(label: str, slots: int, **kwargs: object) -> dict[str, float | str]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = sweep(SYSTEM, GRID, study=Path(tmp) / "s.db", **kwargs)  # type: ignore[arg-type]
        wall = time.perf_counter() - t0
    n = len(result.trials)
    assert n == 64 and all(t.status == "ok" for t in result.trials)
    mean_eval = sum(t.wall_s or 0.0 for t in result.trials) / n
    return {"label": label, "slots": slots, "wall_s": wall, "mean_eval_s": mean_eval,
            "overhead_ms": (wall * slots / n - mean_eval) * 1e3}


def main() -> None:
    """Run the three back ends and print a markdown table."""
    rows = [_run("serial (in process)", 1)]
    rows.append(_run("2 local worker processes (spawn, incl. start-up)", 2, workers=2))
    port = _port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    procs += [subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--nworkers", "1",
                                "--no-dashboard", "--host", "127.0.0.1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
              for _ in range(2)]
    try:
        from distributed import Client

        with Client(address, timeout="30s") as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(2, timeout=60)
        rows.append(_run("Dask, 2 workers on 127.0.0.1", 2, scheduler=address))
    finally:
        for p in procs:
            p.kill()
            p.wait()
    serial = float(rows[0]["wall_s"])
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"Measured {stamp} on {platform.machine()}, Python {platform.python_version()}; "
          f"64 evaluations of uch-aimd 10x10, 1 ms.\n")
    print("| executor | slots | wall s | speed-up | mean evaluation s | overhead per evaluation |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['label']} | {r['slots']} | {float(r['wall_s']):.2f} | "
              f"{serial / float(r['wall_s']):.2f}x | {float(r['mean_eval_s']):.3f} | "
              f"{float(r['overhead_ms']):.1f} ms |")


if __name__ == "__main__":
    main()
