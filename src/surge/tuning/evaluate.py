"""Evaluations: what a worker runs for one point, and what it sends back.

Design
------
A worker receives a small picklable task and returns plain data, so that the same task
runs in-process, in a local process pool or on a Dask worker on another machine:

* :class:`ModelSystem` runs a registered model with the point's parameter values on top of
  the fixed ones, once per repeat (seeds ``seed, seed+1, ...``), and returns the results
  documents;
* :class:`FunctionSystem` calls a user function ``f(**params)`` that returns either a
  number (the objective itself, read as metric ``value``) or a results-like mapping.

The task enforces its own time limit with ``SIGALRM`` when it runs in a process's main
thread (local pools); elsewhere (Dask's worker threads) the driver enforces the deadline
and ignores a late result.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

__all__ = ["EvalOutcome", "FunctionSystem", "ModelSystem", "TaskTimeout", "run_task"]


class TaskTimeout(Exception):
    """An evaluation ran past its time limit."""


@dataclass(frozen=True, slots=True)
class ModelSystem:
    """A registered model as the system to tune.

    Attributes:
        model: name or alias.
        gateways, servers: cluster size.
        time: simulated time per run (ns or ``"10ms"``).
        fixed: parameters held fixed (``--set``), by name.
    """

    model: str
    gateways: int = 10
    servers: int = 10
    time: int | str = "1ms"
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """JSON-able description for the study file."""
        return {"kind": "model", "model": self.model, "gateways": self.gateways,
                "servers": self.servers, "time": self.time, "fixed": dict(self.fixed)}

    def run(self, params: Mapping[str, Any], seed: int) -> dict[str, Any]:
        """One simulation; returns its results document."""
        from surge.models.runner import run_model

        result = run_model(self.model, gateways=self.gateways, servers=self.servers,
                           time=self.time, seed=seed, params={**self.fixed, **params})
        return result.to_dict()


@dataclass(frozen=True, slots=True)
class FunctionSystem:
    """A user function ``f(**params) -> float | Mapping`` as the system to tune."""

    fn: Callable[..., Any]

    def describe(self) -> dict[str, Any]:
        """JSON-able description for the study file."""
        return {"kind": "function", "function": getattr(self.fn, "__qualname__", repr(self.fn))}

    def run(self, params: Mapping[str, Any], seed: int) -> dict[str, Any]:
        """Call the function; wrap a plain number as metric ``value``."""
        out = self.fn(**params)
        if isinstance(out, Mapping):
            return dict(out) if "metrics" in out else {"metrics": {
                k: {"total": float(v)} for k, v in out.items()}}
        value = float(out)
        return {"metrics": {"value": {"total": value}}}


System = ModelSystem | FunctionSystem


@dataclass(frozen=True, slots=True)
class EvalOutcome:
    """What a worker sends back for one point.

    Attributes:
        status: ``ok``, ``failed`` or ``timeout``.
        documents: one results document per repeat (empty unless ok).
        error: the failure, one line.
        wall_s: wall-clock seconds the evaluation took on the worker.
        worker: ``host:pid`` of the worker.
    """

    status: str
    documents: list[dict[str, Any]]
    error: str | None
    wall_s: float
    worker: str


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise TaskTimeout


def run_task(system: System, params: Mapping[str, Any], seed: int, repeats: int = 1,
             timeout_s: float | None = None) -> EvalOutcome:
    """Evaluate one point: ``repeats`` runs with seeds ``seed ... seed + repeats - 1``.

    Never raises: a failure or a timeout is returned as the outcome's status.
    """
    start = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    use_alarm = (timeout_s is not None and hasattr(signal, "SIGALRM")
                 and threading.current_thread() is threading.main_thread())
    previous: Any = None
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, max(float(timeout_s or 0.0), 1e-3))
    try:
        docs = [system.run(params, seed + i) for i in range(repeats)]
        status, error = "ok", None
    except TaskTimeout:
        docs, status, error = [], "timeout", f"evaluation exceeded {timeout_s:g} s"
    except Exception as err:
        docs, status = [], "failed"
        error = f"{type(err).__name__}: {err}".splitlines()[0]
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return EvalOutcome(status, docs, error, time.perf_counter() - start, worker)


def mean_or_nan(values: list[float]) -> float:
    """Mean of finite values, NaN if there are none."""
    finite = [v for v in values if not math.isnan(v)]
    return sum(finite) / len(finite) if finite else math.nan
