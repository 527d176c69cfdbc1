"""Run one model: validate the run at the boundary, step interval by interval, summarize.

Design
------
:func:`run_model` is the Python API behind ``surge run``. It validates every argument
before anything is built (a :class:`~surge.config.params.ConfigError` names the problem
and what is allowed), builds the model in a fresh :class:`~surge.sim.core.Simulation`, and
advances simulated time one stats interval at a time: ``sim.run(until=boundary)`` handles
every event strictly before the boundary, then the collector snapshots every counter and
probe. The interval loop doubles as the progress report; nothing in it reads the wall
clock except to measure the run.

The default interval is SURGE's: ``time/100`` (``time/1000`` from one second of simulated
time on).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from surge.config.params import ConfigError, build_params
from surge.models.registry import RunContext, get_model
from surge.sim.core import Simulation
from surge.sim.units import S, parse_duration
from surge.stats.collector import NodeInfo, StatsCollector
from surge.stats.results import RunResult, summarize
from surge.stats.trace import NullTrace, Trace

__all__ = ["ProgressCallback", "run_model"]

#: ``progress(done_ns, end_ns)`` after every interval.
ProgressCallback = Callable[[int, int], None]

_MAX_NODES = 1_000_000
_FINE_INTERVALS = 100
_COARSE_INTERVALS = 1000


def _positive_int(name: str, value: Any, minimum: int, maximum: int = _MAX_NODES) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok and isinstance(value, str) and value.strip().isdigit():
        value = int(value)
        ok = True
    if not ok or not minimum <= value <= maximum:
        raise ConfigError(
            f"The {name!r} argument must be an int in [{minimum}, {maximum}]. "
            f"Got {value!r} instead."
        )
    return int(value)


def _duration(name: str, value: Any) -> int:
    try:
        result = parse_duration(value)
    except ValueError as err:
        raise ConfigError(f"The {name!r} argument: {err}") from None
    if result <= 0:
        raise ConfigError(f"The {name!r} argument must be > 0 ns. Got {value!r} instead.")
    return result


def run_model(
    model: str,
    *,
    gateways: int = 10,
    servers: int = 10,
    time: int | str = "1ms",
    seed: int = 1,
    params: Mapping[str, Any] | None = None,
    interval: int | str | None = None,
    trace: str | Path | IO[str] | None = None,
    verbosity: int = 1,
    progress: ProgressCallback | None = None,
) -> RunResult:
    """Run a registered model and return its results.

    Args:
        model: descriptive name or SURGE alias (``"ping-pong"`` or ``"3"``).
        gateways, servers: cluster size (>= the model's minimum).
        time: simulated time to run, ns or a duration string (``"10ms"``).
        seed: the run's one seed (>= 0).
        params: model parameters by name (text or values); defaults for the rest.
        interval: stats interval (default ``time/100``, ``time/1000`` from 1 s).
        trace: path or stream for the CSV event trace; ``None`` for no trace.
        verbosity: trace level (1 = -v, 2 = -vv, 3 = -vvv).
        progress: called as ``progress(now_ns, end_ns)`` after each interval.

    Raises:
        ConfigError: any argument or parameter is unknown or out of range.
    """
    info = get_model(model)
    gateways = _positive_int("gateways", gateways, info.min_gateways)
    servers = _positive_int("servers", servers, info.min_servers)
    end_ns = _duration("time", time)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"The 'seed' argument must be an int >= 0. Got {seed!r} instead.")
    if interval is None:
        n_intervals = _COARSE_INTERVALS if end_ns >= S else _FINE_INTERVALS
        interval_ns = max(1, end_ns // n_intervals)
    else:
        interval_ns = _duration("interval", interval)
    model_params = build_params(info.params_type, dict(params or {}), info.name)

    sim = Simulation(seed)
    nodes = [NodeInfo(f"I#{i:02d}", "gateway") for i in range(1, gateways + 1)]
    nodes += [NodeInfo(f"T#{i:02d}", "server") for i in range(1, servers + 1)]
    collector = StatsCollector(sim, nodes, interval_ns)
    tracer: Trace = NullTrace() if trace is None else Trace(sim, trace, verbosity)
    ctx = RunContext(sim=sim, gateways=gateways, servers=servers, stats=collector,
                     trace=tracer, end_ns=end_ns)
    instance = info.factory(ctx, model_params)
    try:
        instance.build()
        boundary = 0
        while boundary < end_ns:
            boundary = min(boundary + interval_ns, end_ns)
            sim.run(until=boundary)
            collector.snapshot()
            if progress is not None:
                progress(boundary, end_ns)
        instance.finish()
    finally:
        tracer.close()
    return RunResult(
        model=info.name,
        alias=info.alias,
        params=asdict(model_params),
        gateways=ctx.gateways,
        servers=ctx.servers,  # a model may adjust it (Replicast rounds to its group size)
        seed=seed,
        sim_time_ns=sim.now,
        events=sim.events_processed,
        wall_s=sim.wall_s,
        cpu_s=sim.cpu_s,
        interval_ns=interval_ns,
        metrics=summarize(collector),
    )
