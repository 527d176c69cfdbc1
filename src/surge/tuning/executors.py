"""Where evaluations run: one ``concurrent.futures``-style interface, three back ends.

* :class:`SerialExecutor`: in this process, one at a time (the default for one worker, and
  the only one for functions that cannot be pickled);
* a local process pool (``concurrent.futures.ProcessPoolExecutor``, ``spawn`` start
  method so that workers never inherit torch's threads);
* a **Dask distributed** cluster (``--scheduler tcp://HOST:PORT``): Dask's own
  ``Client.get_executor()`` already speaks ``concurrent.futures``, so surge writes no
  scheduler of its own. If a worker dies, Dask re-runs its tasks elsewhere; the driver
  journals each point once, when its result arrives.
"""

from __future__ import annotations

import importlib
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from surge.config.params import ConfigError

__all__ = ["Pool", "SerialExecutor", "open_pool"]

P = ParamSpec("P")
T = TypeVar("T")


class SerialExecutor(Executor):
    """Runs each submitted call at once, in this process."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run ``fn(*args, **kwargs)`` now; return a finished future."""
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:
            future.set_exception(err)
        return future


@dataclass
class Pool:
    """An executor, how many evaluations it runs at once, and how to shut it down."""

    executor: Executor
    slots: int
    kind: str
    close: Callable[[], None]
    where: str = "local"


def open_pool(workers: int = 1, scheduler: str | None = None) -> Pool:
    """Open the executor for a run.

    Args:
        workers: local worker processes (1 = in this process); ignored with ``scheduler``.
        scheduler: address of a Dask scheduler (``tcp://127.0.0.1:8786``).

    Raises:
        ConfigError: bad worker count, Dask missing, or the scheduler unreachable.
    """
    if scheduler:
        try:
            client_cls: Any = importlib.import_module("distributed").Client
        except ImportError as err:
            raise ConfigError("--scheduler needs Dask distributed: pip install "
                              "'surge[distributed]'") from err
        try:
            client = client_cls(scheduler, timeout="10s")
        except (OSError, TimeoutError) as err:
            raise ConfigError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
        threads = sum(client.nthreads().values()) or 1
        executor: Any = client.get_executor(pure=False)

        def close_dask() -> None:
            client.close()

        return Pool(executor, threads, "dask", close_dask, scheduler)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"The 'workers' argument must be an int >= 1. Got {workers!r} "
                          "instead.")
    if workers == 1:
        serial = SerialExecutor()
        return Pool(serial, 1, "serial", serial.shutdown)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))

    def close_pool() -> None:
        pool.shutdown(wait=True, cancel_futures=True)

    return Pool(pool, workers, "processes", close_pool)
