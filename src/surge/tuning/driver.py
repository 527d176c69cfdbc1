"""The tuning and sweep loops: ask the optimizer, fan points out to workers, journal, tell.

Design
------
``tune`` keeps every worker slot busy: it asks the ensemble optimizer for as many points
as there are free slots (``ask(q)`` returns q distinct points), journals each point as
``running`` in the study file, submits it, and tells the optimizer each result as soon as
it arrives (results arrive in any order; the optimizer does not care). Each finished
evaluation is committed to the study before the next decision, so ``--resume`` can rebuild
the optimizer from the file after a crash.

Every point is simulated with the same seeds (``seed``, ``seed+1``, ... for ``repeats``):
common random numbers, so two configurations are compared on the same random workload and
the noise between them is smaller than between independent runs.

``sweep`` runs a full grid through the same executor and journal (no optimizer); a
resumed sweep skips the grid points already finished.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from surge.config.params import ConfigError
from surge.tuning.evaluate import EvalOutcome, FunctionSystem, ModelSystem, mean_or_nan, run_task
from surge.tuning.executors import Pool, open_pool
from surge.tuning.objective import Objective, parse_objective
from surge.tuning.space import ParamSpec, TuneSpace, parse_param
from surge.tuning.study import Study, Trial

__all__ = ["SweepResult", "TuneResult", "random_design", "sweep", "tune"]

#: ``progress(finished, total, best_value_or_nan)`` after every finished evaluation.
Progress = Callable[[int, int, float], None]
System = ModelSystem | FunctionSystem

_POLL_S = 0.5
_TIMEOUT_GRACE_S = 5.0


@dataclass
class TuneResult:
    """The outcome of a tuning run.

    Attributes:
        best_params: parameter values of the best feasible evaluation.
        best_value: its objective value (the true one, not the penalized one).
        best_trial: its journal row.
        trials: every finished trial, in order.
        study_path: the study file.
        objective: what was optimized.
    """

    best_params: dict[str, Any]
    best_value: float
    best_trial: Trial | None
    trials: list[Trial]
    study_path: str
    objective: Objective


@dataclass
class SweepResult:
    """The outcome of a sweep: every finished trial and the study file."""

    trials: list[Trial]
    study_path: str
    names: list[str] = field(default_factory=list)


def _system_defaults(system: System, names: Sequence[str]) -> dict[str, Any] | None:
    """The current values of the tuned parameters (the baseline point), if known."""
    if not isinstance(system, ModelSystem):
        return None
    from surge.config.params import describe_params
    from surge.models.registry import get_model

    info = get_model(system.model)
    defaults = {p.name: p.default for p in describe_params(info.params_type)}
    values = {**defaults, **system.fixed}
    if any(n not in values for n in names):
        return None
    return {n: values[n] for n in names}


def _model_int_params(system: ModelSystem) -> set[str]:
    from surge.config.params import describe_params
    from surge.models.registry import get_model

    info = get_model(system.model)
    return {p.name for p in describe_params(info.params_type) if p.type_name == "int"}


def model_unit_of(system: ModelSystem) -> Callable[[str], str | None]:
    """The declared unit of a model parameter, for parsing bounds with units.

    Raises:
        ConfigError: the model has no such parameter (the message lists them).
    """
    from surge.config.params import describe_params
    from surge.models.registry import get_model

    info = get_model(system.model)
    units = {p.name: p.unit for p in describe_params(info.params_type)}

    def unit_of(name: str) -> str | None:
        if name not in units:
            raise ConfigError(f"{info.name} has no parameter {name!r} to tune. Allowed: "
                              f"{', '.join(units)}.")
        return units[name] or None

    return unit_of


def make_space(params: TuneSpace | Sequence[ParamSpec | str] | Mapping[str, Any],
           system: System) -> TuneSpace:
    """The tuned space from specs (text or objects) or a ``{name: (low, high, *flags)}``
    mapping; a model's integer parameters are kept integral whatever the spec says.

    Raises:
        ConfigError: malformed specs, or a parameter the model does not have.
    """
    if isinstance(params, TuneSpace):
        return params
    unit_of = model_unit_of(system) if isinstance(system, ModelSystem) else None
    if isinstance(system, ModelSystem) and not isinstance(params, Mapping):
        # a model's integer parameter only takes whole values, whatever the spec says
        ints = _model_int_params(system)
        specs = [p if isinstance(p, ParamSpec) else parse_param(p, unit_of) for p in params]
        return TuneSpace([ParamSpec(s.name, s.low, s.high, s.integer or s.name in ints, s.log)
                          for s in specs])
    if isinstance(params, Mapping):
        specs = []
        for name, rng in params.items():
            low, high, *flags = rng
            specs.append(ParamSpec(name, float(low), float(high), "int" in flags,
                                   "log" in flags))
        return TuneSpace(specs)
    return TuneSpace([p if isinstance(p, ParamSpec) else parse_param(p, unit_of)
                      for p in params])


def _as_system(system: System | Callable[..., Any]) -> System:
    if isinstance(system, ModelSystem | FunctionSystem):
        return system
    if callable(system):
        return FunctionSystem(system)
    raise ConfigError(f"the system to tune must be a ModelSystem or a callable, got {system!r}")


def _score(objective: Objective, outcome: EvalOutcome) -> tuple[float, float, bool | None]:
    if outcome.status != "ok" or not outcome.documents:
        return math.nan, math.nan, None
    scored = [objective.evaluate(doc) for doc in outcome.documents]
    value = mean_or_nan([s[0] for s in scored])
    told = mean_or_nan([s[1] for s in scored])
    return value, told, all(s[2] for s in scored)


def _open_study(path: str | Path | None, meta: Mapping[str, Any], resume: bool) -> Study:
    study = Study(path if path is not None else ":memory:")
    existing = study.meta
    if study.trials() and not resume:
        n = len(study.trials())
        study.close()
        raise ConfigError(f"study file {path} already holds {n} trials: add --resume to "
                          "continue it, or name a new file")
    if resume and existing:
        for key in ("kind", "system", "space", "objective", "grid"):
            if key in meta and key in existing and existing[key] != meta[key]:
                study.close()
                raise ConfigError(f"cannot resume {path}: its {key} was {existing[key]!r}, "
                                  f"this run has {meta[key]!r}")
    study.set_meta(meta)
    return study


def tune(
    system: System | Callable[..., Any],
    params: TuneSpace | Sequence[ParamSpec | str] | Mapping[str, Any],
    objective: str | Objective,
    budget: int,
    *,
    seed: int = 0,
    repeats: int = 1,
    n_networks: int = 5,
    workers: int = 1,
    scheduler: str | None = None,
    study: str | Path | None = None,
    resume: bool = False,
    timeout_s: float | None = None,
    baseline: bool = True,
    progress: Progress | None = None,
) -> TuneResult:
    """Optimize a system's parameters with the ensemble optimizer.

    Args:
        system: a :class:`ModelSystem` (a simulated cluster) or any function
            ``f(**params)`` returning a number or a results-like mapping.
        params: the tuned parameters: ``["window=1:32:int", ...]``, :class:`ParamSpec`
            objects, or ``{"x": (0.0, 1.0), "n": (1, 8, "int")}``.
        objective: e.g. ``"maximize throughput subject to chunk_latency.p99 <= 2ms"``
            (for a function returning a number: ``"maximize value"``).
        budget: evaluations in all (the baseline and failures included).
        seed: first simulation seed of every point, and the optimizer's seed.
        repeats: simulations per point (seeds ``seed .. seed+repeats-1``), averaged.
        n_networks: ensemble size k.
        workers: local worker processes; ``scheduler``: a Dask scheduler address instead.
        study: SQLite study file (default: in memory); ``resume`` continues it.
        timeout_s: wall-clock limit per evaluation; late ones are recorded ``timeout``.
        baseline: evaluate the system's current parameter values first (models only).
        progress: called after every finished evaluation.

    Raises:
        ConfigError: bad parameters, objective, budget, or study.
    """
    from surge.optimizer import EnsembleOptimizer

    sys_ = _as_system(system)
    space = make_space(params, sys_)
    obj = objective if isinstance(objective, Objective) else parse_objective(objective)
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ConfigError(f"The 'budget' argument must be an int >= 1. Got {budget!r} instead.")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ConfigError(f"The 'repeats' argument must be an int >= 1. Got {repeats!r} "
                          "instead.")
    meta = {"kind": "tune", "system": sys_.describe(), "space": [str(s) for s in space.specs],
            "objective": str(obj), "seed": seed, "repeats": repeats, "budget": budget}
    journal = _open_study(study, meta, resume)
    if resume:
        journal.abandon_running()
    done = journal.trials(finished_only=True)
    try:
        opt = EnsembleOptimizer(space.bounds, n_networks=n_networks, seed=seed,
                                integer=space.integer or None, maximize=obj.maximize,
                                noisy=repeats > 1)
    except ValueError as err:
        journal.close()
        raise ConfigError(str(err)) from None
    if done:  # one tell with the whole history: one training round, not one per trial
        opt.tell([t.point for t in done], [math.nan if t.told is None else t.told
                                           for t in done])
    pending: list[list[float]] = []
    base = _system_defaults(sys_, space.names) if baseline and not done else None
    if base is not None:
        inside = all(s.low <= float(base[s.name]) <= s.high for s in space.specs)
        if inside:
            pending.append(space.encode(base))
    pool = open_pool(workers, scheduler)
    try:
        _drive(journal, pool, sys_, space=space, obj=obj, opt=opt, budget=budget,
               finished=len(done), pending=pending, seed=seed, repeats=repeats,
               timeout_s=timeout_s, progress=progress)
    finally:
        pool.close()
    trials = journal.trials(finished_only=True)
    best = journal.best(maximize=obj.maximize)
    path = journal.path
    journal.close()
    return TuneResult(best_params=dict(best.params) if best else {},
                      best_value=float(best.value) if best and best.value is not None else
                      math.nan, best_trial=best, trials=trials, study_path=path,
                      objective=obj)


def _drive(journal: Study, pool: Pool, system: System, *, space: TuneSpace, obj: Objective,
           opt: Any, budget: int, finished: int, pending: list[list[float]], seed: int,
           repeats: int, timeout_s: float | None, progress: Progress | None) -> None:
    inflight: dict[Future[EvalOutcome], tuple[int, list[float], float]] = {}
    best = math.nan
    for t in journal.trials(finished_only=True):
        if t.value is not None and t.feasible:
            best = t.value if math.isnan(best) else (max if obj.maximize else min)(best, t.value)
    while finished < budget:
        free = min(pool.slots - len(inflight), budget - finished - len(inflight))
        if free > 0:
            points = [pending.pop(0) for _ in range(min(free, len(pending)))]
            if len(points) < free:
                points += [list(map(float, x)) for x in opt.ask(free - len(points))]
            for x in points:
                params = space.decode(x)
                tid = journal.start(params, x, seed)
                fut = pool.executor.submit(run_task, system, params, seed, repeats, timeout_s)
                inflight[fut] = (tid, x, time.monotonic())
        done, _ = wait(list(inflight), timeout=_POLL_S, return_when=FIRST_COMPLETED)
        results: list[tuple[Future[EvalOutcome], EvalOutcome]] = []
        for fut in done:
            try:
                outcome = fut.result()
            except Exception as err:
                outcome = EvalOutcome("failed", [], f"{type(err).__name__}: {err}", 0.0, "?")
            results.append((fut, outcome))
        if timeout_s is not None:
            now = time.monotonic()
            for fut, (_, _, started) in list(inflight.items()):
                if fut not in done and now - started > timeout_s + _TIMEOUT_GRACE_S:
                    fut.cancel()
                    results.append((fut, EvalOutcome(
                        "timeout", [], f"no result within {timeout_s:g} s", now - started,
                        "?")))
        for fut, outcome in results:
            tid, x, _ = inflight.pop(fut)
            value, told, feasible = _score(obj, outcome)
            error = outcome.error
            status = outcome.status
            if status == "ok" and math.isnan(value):
                status, error = "failed", "the objective's metric is missing or empty"
            journal.finish(tid, status=status, value=value, told=told, feasible=feasible,
                           documents=outcome.documents, error=error, wall_s=outcome.wall_s,
                           worker=outcome.worker)
            opt.tell([x], [told])
            finished += 1
            if feasible and not math.isnan(value):
                better = math.isnan(best) or (value > best if obj.maximize else value < best)
                best = value if better else best
            if progress is not None:
                progress(finished, budget, best)


def _grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    if not grid:
        raise ConfigError("sweep needs at least one --grid name=v1,v2,...")
    names = list(grid)
    for name, values in grid.items():
        if not values:
            raise ConfigError(f"--grid {name}: no values")
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())]


def _key(params: Mapping[str, Any]) -> str:
    return json.dumps(dict(sorted(params.items())), sort_keys=True)


def random_design(space: TuneSpace, n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` points drawn uniformly from the tuned space (log specs uniform in log10).

    Deterministic for a seed; used by ``surge sweep --random N``.

    Raises:
        ConfigError: ``n`` < 1.
    """
    import numpy as np

    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"--random must be an int >= 1. Got {n!r} instead.")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0x5EED])))
    lows = np.array([b[0] for b in space.bounds])
    highs = np.array([b[1] for b in space.bounds])
    return [space.decode(list(lows + rng.random(len(lows)) * (highs - lows)))
            for _ in range(n)]


def sweep(
    system: System | Callable[..., Any],
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    points: Sequence[Mapping[str, Any]] | None = None,
    seed: int = 0,
    repeats: int = 1,
    workers: int = 1,
    scheduler: str | None = None,
    study: str | Path | None = None,
    resume: bool = False,
    timeout_s: float | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Evaluate every point of a grid (the cartesian product of the value lists), or an
    explicit list of points (e.g. a :func:`random_design`).

    Raises:
        ConfigError: an empty grid, both or neither of ``grid`` and ``points``, or an
            incompatible study.
    """
    sys_ = _as_system(system)
    if (grid is None) == (points is None):
        raise ConfigError("sweep needs either a grid or a list of points")
    if grid is not None:
        design = _grid_points(grid)
        described: Any = {k: list(v) for k, v in grid.items()}
    else:
        design = [dict(p) for p in points or []]
        if not design:
            raise ConfigError("sweep needs at least one point")
        described = {"points": len(design)}
    meta = {"kind": "sweep", "system": sys_.describe(), "grid": described, "seed": seed,
            "repeats": repeats}
    journal = _open_study(study, meta, resume)
    if resume:
        journal.abandon_running()
    finished_keys = {_key(t.params) for t in journal.trials(finished_only=True)}
    todo = [p for p in design if _key(p) not in finished_keys]
    total, finished = len(design), len(design) - len(todo)
    pool = open_pool(workers, scheduler)
    inflight: dict[Future[EvalOutcome], int] = {}
    try:
        while todo or inflight:
            while todo and len(inflight) < pool.slots:
                params = todo.pop(0)
                tid = journal.start(params, [], seed)
                inflight[pool.executor.submit(run_task, sys_, params, seed, repeats,
                                              timeout_s)] = tid
            done, _ = wait(list(inflight), timeout=_POLL_S, return_when=FIRST_COMPLETED)
            for fut in done:
                tid = inflight.pop(fut)
                try:
                    outcome = fut.result()
                except Exception as err:
                    outcome = EvalOutcome("failed", [], f"{type(err).__name__}: {err}", 0.0,
                                          "?")
                journal.finish(tid, status=outcome.status, documents=outcome.documents,
                               error=outcome.error, wall_s=outcome.wall_s,
                               worker=outcome.worker)
                finished += 1
                if progress is not None:
                    progress(finished, total, math.nan)
    finally:
        pool.close()
    trials = journal.trials(finished_only=True)
    path = journal.path
    journal.close()
    return SweepResult(trials, path, list(grid) if grid is not None else list(design[0]))
