"""``maximize`` / ``minimize``: the thin evaluation loop over :class:`EnsembleOptimizer`.

Design
------
The loop is deliberately dull (Optuna's ``optimize`` over ``ask``/``tell``): ask a batch of
``batch_size`` points, evaluate each with ``f``, tell the values, repeat until ``budget``
evaluations have been made. Everything the optimizer knows comes through ``tell``, so the
same run can be driven from outside (a process pool, a cluster) with the ask/tell core.

Every evaluation is recorded in the history with its timing (:class:`Evaluation`): when
it started (seconds since the run began), how long ``f`` took, and the optimizer overhead
(ask + tell time) attributed to it. A failing evaluation -- ``f`` raises, or returns NaN
or infinity -- is recorded with ``ok=False`` and its error message, the optimizer is told
``nan`` (it never trains on it), and the run continues. ``KeyboardInterrupt`` and
``SystemExit`` are not swallowed.

The result's best point is the best *evaluated* point (or, with ``noisy=True``, the
evaluated point with the best ensemble-mean prediction), in the user's units and sense.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from surge.optimizer._core import EnsembleOptimizer

__all__ = ["Evaluation", "OptimizeResult", "maximize", "minimize"]

FloatArray = NDArray[np.float64]
Objective = Callable[[FloatArray], float]
Callback = Callable[["Evaluation", "EnsembleOptimizer"], None]


@dataclass(frozen=True)
class Evaluation:
    """One call of the objective.

    Attributes:
        index: 0-based evaluation number.
        x: the point, native units, shape ``(n,)``.
        y: the value returned (``nan`` if it failed).
        ok: whether the evaluation succeeded (finite value, no exception).
        error: the exception's ``repr`` or ``"non-finite value"`` when ``ok`` is false.
        started_s: start time, seconds since the run began.
        duration_s: time spent inside ``f``, seconds.
        overhead_s: optimizer time (ask + tell) attributed to this evaluation, seconds.
    """

    index: int
    x: FloatArray = field(repr=False)
    y: float
    ok: bool
    error: str | None
    started_s: float
    duration_s: float
    overhead_s: float


@dataclass(frozen=True)
class OptimizeResult:
    """The outcome of :func:`maximize` or :func:`minimize`.

    Attributes:
        x: the best point, native units, shape ``(n,)``.
        y: its value as evaluated.
        history: every evaluation, in order.
        n_evaluations: ``len(history)``.
        n_failed: evaluations that failed.
        pretrain_size: random points evaluated before the networks took over (``None`` if
            the budget ended during pretraining).
        optimizer: the ask/tell optimizer, to continue or save the run.
    """

    x: FloatArray
    y: float
    history: list[Evaluation]
    n_evaluations: int
    n_failed: int
    pretrain_size: int | None
    optimizer: EnsembleOptimizer = field(repr=False)

    @property
    def overhead_per_point_s(self) -> float:
        """Mean optimizer overhead per evaluation, seconds."""
        if not self.history:
            return 0.0
        return float(np.mean([e.overhead_s for e in self.history]))


def _validate(f: object, budget: object, opt: EnsembleOptimizer, batch_size: object) -> None:
    if not callable(f):
        raise TypeError(f"The 'f' parameter must be callable. Got {type(f).__name__!r} instead.")
    if isinstance(budget, bool) or not isinstance(budget, int | np.integer):
        raise ValueError(f"The 'budget' parameter must be an int. Got {budget!r} instead.")
    if budget < opt.pretrain_min:
        raise ValueError(
            f"The 'budget' parameter must be at least the pretraining size "
            f"({opt.pretrain_min} random points for {opt.space_dim} parameters). "
            f"Got {budget!r} instead."
        )
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(
            f"The 'batch_size' parameter must be an int >= 1. Got {batch_size!r} instead."
        )


def _run(
    f: Objective,
    bounds: Sequence[tuple[float, float]] | Sequence[Sequence[float]] | FloatArray,
    *,
    maximize: bool,
    budget: int,
    n_networks: int,
    seed: int,
    integer: Sequence[int] | Sequence[bool] | None,
    noisy: bool,
    batch_size: int,
    callback: Callback | None,
    optimizer: EnsembleOptimizer | None,
    trainer: str = "gradient",
    collaboration: str = "none",
    coordinate_probes: bool = True,
) -> OptimizeResult:
    opt = optimizer or EnsembleOptimizer(
        bounds, n_networks=n_networks, seed=seed, integer=integer, maximize=maximize,
        noisy=noisy, trainer=trainer, collaboration=collaboration,
        coordinate_probes=coordinate_probes,
    )
    _validate(f, budget, opt, batch_size)
    history: list[Evaluation] = []
    t0 = time.perf_counter()
    while len(history) < budget:
        q = min(batch_size, budget - len(history))
        t_ask = time.perf_counter()
        xs = opt.ask(q)
        ask_s = time.perf_counter() - t_ask
        ys = np.empty(q)
        records = []
        for i in range(q):
            x = xs[i].copy()
            start = time.perf_counter()
            error: str | None = None
            try:
                value = float(f(x))
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:  # a failing evaluation is data, not a crash
                value = math.nan
                error = repr(exc)
            duration = time.perf_counter() - start
            if error is None and not math.isfinite(value):
                error = "non-finite value"
                value = math.nan
            ys[i] = value
            records.append((x, value, error, start - t0, duration))
        t_tell = time.perf_counter()
        opt.tell(xs, ys)
        overhead = (ask_s + time.perf_counter() - t_tell) / q
        for x, value, error, started, duration in records:
            ev = Evaluation(
                index=len(history),
                x=x,
                y=value,
                ok=error is None,
                error=error,
                started_s=started,
                duration_s=duration,
                overhead_s=overhead,
            )
            history.append(ev)
            if callback is not None:
                callback(ev, opt)
    n_failed = sum(1 for e in history if not e.ok)
    if n_failed == len(history):
        raise RuntimeError(
            f"all {len(history)} evaluations failed; last error: {history[-1].error}"
        )
    return OptimizeResult(
        x=opt.best_x_,
        y=opt.best_y_,
        history=history,
        n_evaluations=len(history),
        n_failed=n_failed,
        pretrain_size=opt.stats().pretrain_size,
        optimizer=opt,
    )


def maximize(
    f: Objective,
    bounds: Sequence[tuple[float, float]] | Sequence[Sequence[float]] | FloatArray,
    *,
    budget: int,
    n_networks: int = 5,
    seed: int = 0,
    integer: Sequence[int] | Sequence[bool] | None = None,
    noisy: bool = False,
    batch_size: int = 1,
    callback: Callback | None = None,
    optimizer: EnsembleOptimizer | None = None,
    trainer: str = "gradient",
    collaboration: str = "none",
    coordinate_probes: bool = True,
) -> OptimizeResult:
    """Maximize ``f`` over a box with an ensemble of neural networks.

    Args:
        f: the objective; takes a NumPy array of shape ``(n,)`` (native units) and returns
            a float. Exceptions and non-finite values are recorded as failed evaluations.
        bounds: ``(low, high)`` per parameter, ``low < high``, any scale.
        budget: total number of evaluations of ``f``; at least the pretraining size
            ``2 (n + 1)``.
        n_networks: number of networks k.
        seed: seed of the run (same seed, same run).
        integer: indices (or a boolean mask) of integer parameters.
        noisy: ``f`` is noisy: pick the best point by the ensemble-mean prediction.
        batch_size: points asked (and evaluated) per round.
        callback: called after every evaluation with it and the optimizer.
        optimizer: an existing (for example loaded) optimizer to continue; then
            ``bounds``, ``n_networks``, ``seed``, ``integer``, ``noisy``, ``trainer``,
            ``collaboration`` and ``coordinate_probes`` are ignored.
        trainer: ``"gradient"`` (backpropagation, default) or ``"nes"`` (evolution
            strategy); see :class:`EnsembleOptimizer`.
        collaboration: ``"none"`` (default) or ``"fork-merge"``.
        coordinate_probes: redraw single coordinates of the best point once its trust
            region has converged (default ``True``; ``False`` trades the search along
            single axes for precision on smooth functions); see
            :class:`EnsembleOptimizer`.

    Returns:
        The best point, its value, and the full history.

    Raises:
        TypeError: ``f`` is not callable.
        ValueError: invalid bounds, budget below the pretraining size, bad parameters.
        RuntimeError: every evaluation failed.
    """
    return _run(
        f,
        bounds,
        maximize=True if optimizer is None else optimizer.maximize,
        budget=budget,
        n_networks=n_networks,
        seed=seed,
        integer=integer,
        noisy=noisy,
        batch_size=batch_size,
        callback=callback,
        optimizer=optimizer,
        trainer=trainer,
        collaboration=collaboration,
        coordinate_probes=coordinate_probes,
    )


def minimize(
    f: Objective,
    bounds: Sequence[tuple[float, float]] | Sequence[Sequence[float]] | FloatArray,
    *,
    budget: int,
    n_networks: int = 5,
    seed: int = 0,
    integer: Sequence[int] | Sequence[bool] | None = None,
    noisy: bool = False,
    batch_size: int = 1,
    callback: Callback | None = None,
    optimizer: EnsembleOptimizer | None = None,
    trainer: str = "gradient",
    collaboration: str = "none",
    coordinate_probes: bool = True,
) -> OptimizeResult:
    """Minimize ``f`` over a box; same arguments and result as :func:`maximize`."""
    return _run(
        f,
        bounds,
        maximize=False if optimizer is None else optimizer.maximize,
        budget=budget,
        n_networks=n_networks,
        seed=seed,
        integer=integer,
        noisy=noisy,
        batch_size=batch_size,
        callback=callback,
        optimizer=optimizer,
        trainer=trainer,
        collaboration=collaboration,
        coordinate_probes=coordinate_probes,
    )
