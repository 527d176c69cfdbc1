"""A real Dask cluster on 127.0.0.1: tune and sweep through it, and survive a dead worker."""

import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from surge.tuning import ModelSystem, Study, sweep, tune

DASK = str(Path(sys.executable).parent / "dask")
SLOW = ModelSystem("uch-aimd", gateways=10, servers=10, time="3ms")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _worker(address: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--nworkers", "1",
                             "--no-dashboard", "--host", "127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture
def cluster() -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A scheduler and two single-threaded workers on loopback; stopped afterwards."""
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port",
                                  str(port), "--no-dashboard"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = [_worker(address), _worker(address)]
    try:
        with Client(address, timeout="30s") as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(2, timeout=60)
        yield address, workers
    finally:
        for proc in [*workers, scheduler]:
            proc.kill()
            proc.wait()


def test_tune_and_sweep_on_dask_survive_a_killed_worker(
        cluster: tuple[str, list[subprocess.Popen[bytes]]], tmp_path: Path) -> None:
    """Tune and sweep run on the cluster; killing a worker mid-sweep loses no grid point."""
    address, workers = cluster
    result = tune(ModelSystem("ping-pong", 4, 4, "100us"), ["window=1:8:int"],
                  "maximize pings", budget=6, seed=1, scheduler=address)
    assert len(result.trials) == 6 and all(t.status == "ok" for t in result.trials)

    path = tmp_path / "sweep.db"
    grid = {"aimd_divisor": [2, 3, 4, 5, 6, 7], "ding_overlaps": [1, 2]}

    killed_at: list[int] = []

    def kill_one_worker_after_three_points() -> None:
        deadline = time.time() + 120
        while time.time() < deadline:
            time.sleep(0.1)
            try:
                with sqlite3.connect(path) as db:
                    done = db.execute("SELECT COUNT(*) FROM trials WHERE status='ok'"
                                      ).fetchone()[0]
            except sqlite3.Error:
                continue
            if done >= 3:
                workers[0].kill()
                killed_at.append(done)
                return

    killer = threading.Thread(target=kill_one_worker_after_three_points)
    killer.start()
    swept = sweep(SLOW, grid, scheduler=address, study=path)
    killer.join()
    assert killed_at and killed_at[0] < 12, f"the worker was not killed mid-sweep: {killed_at}"
    study = Study(path)
    trials = study.trials()
    study.close()
    points = [(t.params["aimd_divisor"], t.params["ding_overlaps"]) for t in trials
              if t.status == "ok"]
    assert len(points) == len(set(points)) == 12
    assert len(swept.trials) == 12
