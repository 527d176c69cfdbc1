"""An Optuna sampler driven by the ensemble optimizer: :class:`EnsembleSampler`.

Design
------
Optuna users keep their study, storage, pruners and dashboards and swap only the sampler::

    import optuna
    from surge.integrations.optuna import EnsembleSampler

    study = optuna.create_study(direction="minimize", sampler=EnsembleSampler(seed=0))
    study.optimize(objective, n_trials=200)

The sampler is a thin adapter over :class:`surge.optimizer.EnsembleOptimizer`'s ask/tell:

* **Relative sampling** over the study's intersection search space
  (:class:`optuna.search_space.IntersectionSearchSpace`): every float and int distribution,
  log or linear, with or without a step. Each parameter becomes one coordinate of the
  optimizer's box: linear floats as they are, log floats and log ints by their logarithm
  (a log int is rounded after ``exp``), stepped floats and linear ints by their integer
  step index (an integer parameter of the optimizer). Single-valued distributions are
  left out (Optuna's GP sampler does the same).
* **Independent sampling** (categorical parameters, parameters whose range changes between
  trials, and the first trial, before any trial has completed) falls back to
  :class:`optuna.samplers.RandomSampler` seeded from ``seed``.
* **The study is the memory.** Before each suggestion the sampler tells its optimizer every
  trial of the study it has not seen yet -- completed trials with their value, failed and
  pruned trials as failures (``nan``: never trained on, never proposed again) -- whichever
  process ran them. Several processes sharing one storage (for example SQLite through
  :class:`optuna.storages.RDBStorage`) therefore each hold an optimizer that has seen every
  finished trial. Points of trials still *running* elsewhere are avoided: the sampler asks
  for ``1 + (number of running trials)`` points and keeps the first that is not already
  being evaluated. A trial's parameters reach the storage only after sampling, so the
  chosen point is first *reserved* in the trial's system attribute ``surge:point`` and the
  running trials are read again: of two workers that chose the same point at the same
  time, each wrote its reservation before reading, so at least one sees the other's and
  moves to its next free point (up to ``_RESERVE_ROUNDS`` rounds); the second read also
  covers trials finished since the optimizer was last told. Two workers with the
  same seed and the same data therefore do not evaluate the same point twice. The
  optimizer is rebuilt from scratch only when the search space (or the study) changes.
* **Direction** comes from the study: ``maximize`` studies are maximized, ``minimize``
  studies minimized. Multi-objective studies are rejected.

Optuna is an optional extra (``pip install 'surge[optuna]'``); ``import surge`` never
imports it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

try:
    from optuna.distributions import BaseDistribution, FloatDistribution, IntDistribution
    from optuna.samplers import BaseSampler, RandomSampler
    from optuna.search_space import IntersectionSearchSpace
    from optuna.study import Study, StudyDirection
    from optuna.trial import FrozenTrial, TrialState
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "surge.integrations.optuna needs Optuna: pip install 'surge[optuna]'"
    ) from exc

from surge.optimizer import EnsembleOptimizer

__all__ = ["EnsembleSampler"]

FloatArray = NDArray[np.float64]

_MAX_SEED = 2**31 - 1
# Two encoded points closer than this (L-infinity, the optimizer's native units) coincide.
_SAME_POINT = 1e-9
# At most this many running trials are avoided explicitly (asks 1 + this many points).
_MAX_AVOID = 16
# The trial system attribute holding the point a trial is about to evaluate (box units).
_RESERVATION = "surge:point"
# Rounds of reserve-then-check before a sampled point is kept regardless.
_RESERVE_ROUNDS = 4
# Purposes of derived seeds.
_OPTIMIZER = 0
_INDEPENDENT = 1


def _entropy_seed() -> int:
    """A seed drawn from the operating system's entropy."""
    return int(np.random.SeedSequence().generate_state(1)[0]) % _MAX_SEED


@dataclass(frozen=True)
class _Coordinate:
    """How one Optuna parameter maps to one coordinate of the optimizer's box.

    ``low``/``high`` bound the coordinate (the optimizer's native units), ``lo``/``hi``
    the parameter (Optuna's units).
    """

    name: str
    distribution: BaseDistribution
    low: float
    high: float
    kind: str  # "linear", "log", "log_int" or "index"
    lo: float
    hi: float
    is_int: bool
    step: float = 1.0

    @classmethod
    def of(cls, name: str, dist: BaseDistribution) -> _Coordinate:
        if not isinstance(dist, FloatDistribution | IntDistribution):
            raise TypeError(f"unsupported distribution for relative sampling: {dist!r}")
        lo, hi = float(dist.low), float(dist.high)
        is_int = isinstance(dist, IntDistribution)
        if dist.log:
            kind = "log_int" if is_int else "log"
            return cls(name, dist, math.log(lo), math.log(hi), kind, lo, hi, is_int)
        if is_int or dist.step is not None:
            step = float(dist.step if dist.step is not None else 1)
            n_steps = float(round((hi - lo) / step))
            return cls(name, dist, 0.0, n_steps, "index", lo, hi, is_int, step=step)
        return cls(name, dist, lo, hi, "linear", lo, hi, is_int)

    def encode(self, value: float) -> float:
        """A parameter value (Optuna's units) -> the coordinate."""
        if self.kind in ("log", "log_int"):
            v = math.log(value)
        elif self.kind == "index":
            v = round((value - self.lo) / self.step)
        else:
            v = value
        return float(np.clip(v, self.low, self.high))

    def decode(self, v: float) -> float | int:
        """The coordinate -> a parameter value of the distribution's type, in range."""
        if self.kind in ("log", "log_int"):
            value = math.exp(v)
        elif self.kind == "index":
            value = self.lo + round(v) * self.step
        else:
            value = v
        value = float(np.clip(value, self.lo, self.hi))
        return int(np.clip(round(value), self.lo, self.hi)) if self.is_int else value


@dataclass
class _State:
    """The optimizer for one (study, search space), and the trials it has been told."""

    key: tuple[Any, ...]
    coords: list[_Coordinate]
    optimizer: EnsembleOptimizer
    told: set[int] = field(default_factory=set)


def _relevant(search_space: dict[str, BaseDistribution]) -> dict[str, BaseDistribution]:
    """The float and int parameters of the search space that can vary."""
    return {
        name: dist
        for name, dist in search_space.items()
        if isinstance(dist, FloatDistribution | IntDistribution) and not dist.single()
    }


class EnsembleSampler(BaseSampler):
    """Optuna sampler that proposes points with surge's ensemble of neural networks.

    Args:
        n_networks: number of networks k in the ensemble, >= 1.
        seed: seed of the sampler; the optimizer and the fallback random draws derive
            theirs from it and a trial number. ``None`` draws one from the operating system.
        noisy: the objective is noisy (passed to :class:`EnsembleOptimizer`).
        threads: torch threads used inside the optimizer's ask/tell.
        trainer: ``"gradient"`` or ``"nes"`` (passed to :class:`EnsembleOptimizer`).
        collaboration: ``"none"`` or ``"fork-merge"`` (passed on as well).
        coordinate_probes: probe single coordinates of the incumbent once its trust
            region has converged (passed on; on by default, see
            :class:`EnsembleOptimizer`).
        independent_sampler: sampler for the parameters outside the relative search space;
            default :class:`optuna.samplers.RandomSampler` seeded from ``seed`` and the
            trial number.

    Raises:
        ValueError: ``n_networks`` or ``seed`` is invalid (at the first suggestion, from
            :class:`EnsembleOptimizer`), or the study is multi-objective.
    """

    def __init__(
        self,
        *,
        n_networks: int = 5,
        seed: int | None = None,
        noisy: bool = False,
        threads: int | None = 1,
        trainer: str = "gradient",
        collaboration: str = "none",
        coordinate_probes: bool = True,
        independent_sampler: BaseSampler | None = None,
    ) -> None:
        self.n_networks = n_networks
        self.coordinate_probes = coordinate_probes
        self.trainer = trainer
        self.collaboration = collaboration
        self.seed = seed
        self.noisy = noisy
        self.threads = threads
        self._base_seed = int(seed) if seed is not None else _entropy_seed()
        self._independent = independent_sampler
        self._search_space = IntersectionSearchSpace()
        self._state: _State | None = None
        # study.optimize(n_jobs > 1) calls one sampler from several threads.
        self._lock = threading.Lock()

    def reseed_rng(self) -> None:
        """Draw fresh seeds for the independent draws and for optimizers built from now on.

        Optuna calls this before *every* trial of ``study.optimize(n_jobs > 1)``, whose
        threads share this sampler. The ensemble already built is kept: rebuilding it here
        retrained it from scratch for every trial and forgot the points in flight, so two
        threads could be given the same point.
        """
        with self._lock:
            self._base_seed = _entropy_seed()
            if self._independent is not None:
                self._independent.reseed_rng()

    def _derived_seed(self, *keys: int) -> int:
        """A seed for one purpose, from the sampler's seed and ``keys`` (trial numbers)."""
        seq = np.random.SeedSequence([self._base_seed, *keys])
        return int(seq.generate_state(1)[0]) % _MAX_SEED

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """The float and int parameters shared by every completed trial of the study."""
        return _relevant(self._search_space.calculate(study))

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        """Tell the optimizer the trials it has not seen, and ask it for one new point."""
        self._raise_error_if_multi_objective(study)
        space = _relevant(search_space)
        if not space:
            return {}
        with self._lock:
            state = self._refresh(study, trial, space)
            avoid = self._untold_points(study, trial, state)
            xs = state.optimizer.ask(1 + min(len(avoid), _MAX_AVOID))
            asked = [xs]
            free = _first_free(xs, avoid)
            chosen = free if free is not None else xs[0]
            for _ in range(_RESERVE_ROUNDS):
                # Reserve, then look again: see the module docstring.
                study._storage.set_trial_system_attr(
                    trial._trial_id, _RESERVATION, [float(v) for v in chosen]
                )
                avoid = self._untold_points(study, trial, state)
                if _first_free(chosen[None, :], avoid) is not None:
                    break
                free = _first_free(xs, avoid)
                if free is None:
                    xs = state.optimizer.ask(1 + min(len(avoid), _MAX_AVOID))
                    asked.append(xs)
                    free = _first_free(xs, avoid)
                chosen = free if free is not None else xs[0]
            # The proposals not used will never be told: free them (a restart proposal
            # left in flight would hold its stick forever).
            unused = [x for x in np.concatenate(asked) if not np.array_equal(x, chosen)]
            if unused:
                state.optimizer.forget(np.array(unused))
        return {c.name: c.decode(float(v)) for c, v in zip(state.coords, chosen, strict=True)}

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        """Parameters outside the relative search space: the independent sampler's pick.

        The default is a uniform draw seeded by the sampler's seed and the trial number, so
        workers sharing a study and a seed still draw different points.
        """
        sampler = self._independent or RandomSampler(
            seed=self._derived_seed(_INDEPENDENT, trial.number)
        )
        return sampler.sample_independent(
            study, trial, param_name, param_distribution
        )

    # ------------------------------------------------------------------ internals
    def _refresh(
        self, study: Study, trial: FrozenTrial, space: dict[str, BaseDistribution]
    ) -> _State:
        """The optimizer for this study and space, told every finished trial not yet told.

        A new optimizer is seeded by the sampler's seed and the number of the trial that
        builds it: the same study history gives the same run, and two workers sharing a
        storage (which build theirs at different trials) draw different random streams.
        """
        key = (study.study_name, tuple((name, repr(d)) for name, d in sorted(space.items())))
        state = self._state
        if state is None or state.key != key:
            coords = [_Coordinate.of(name, dist) for name, dist in sorted(space.items())]
            optimizer = EnsembleOptimizer(
                [(c.low, c.high) for c in coords],
                n_networks=self.n_networks,
                seed=self._derived_seed(_OPTIMIZER, trial.number),
                integer=[i for i, c in enumerate(coords) if c.kind == "index"],
                maximize=study.direction == StudyDirection.MAXIMIZE,
                noisy=self.noisy,
                threads=self.threads,
                trainer=self.trainer,
                collaboration=self.collaboration,
                coordinate_probes=self.coordinate_probes,
            )
            state = _State(key=key, coords=coords, optimizer=optimizer)
            self._state = state
        finished = study.get_trials(
            deepcopy=False, states=(TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)
        )
        xs: list[list[float]] = []
        ys: list[float] = []
        for t in finished:
            if t.number in state.told:
                continue
            x = self._encode(t, state.coords)
            if x is None:
                continue
            state.told.add(t.number)
            ok = t.state == TrialState.COMPLETE and t.value is not None
            value = float(t.value) if ok and t.value is not None else math.nan
            xs.append(x)
            ys.append(value if math.isfinite(value) else math.nan)
        if xs:
            state.optimizer.tell(np.array(xs), np.array(ys))
        return state

    @staticmethod
    def _encode(t: FrozenTrial, coords: Sequence[_Coordinate]) -> list[float] | None:
        """The trial's point in the optimizer's box, or ``None`` if it is not in the space."""
        x = []
        for c in coords:
            if c.name not in t.params or t.distributions.get(c.name) != c.distribution:
                return None
            x.append(c.encode(float(t.params[c.name])))
        return x

    def _untold_points(
        self, study: Study, trial: FrozenTrial, state: _State
    ) -> list[list[float]]:
        """Points (optimizer's box) of the other trials the optimizer has not been told.

        Those running, and those finished since the last :meth:`_refresh` (a trial that
        another worker reserved and completed while this one was choosing is no longer
        running, and not yet told). A trial's reservation (:data:`_RESERVATION`) if it
        has one of the right length, else its parameters if they are all in the space.
        """
        points = []
        for t in study.get_trials(deepcopy=False):
            if t.number == trial.number or t.number in state.told:
                continue
            reserved = t.system_attrs.get(_RESERVATION)
            if isinstance(reserved, list) and len(reserved) == len(state.coords):
                points.append([float(v) for v in reserved])
                continue
            x = self._encode(t, state.coords)
            if x is not None:
                points.append(x)
        return points


def _first_free(xs: FloatArray, taken: list[list[float]]) -> FloatArray | None:
    """The first row of ``xs`` ``(q, d)`` farther than :data:`_SAME_POINT` from every
    point in ``taken``; with nothing taken the first row; ``None`` if every row is taken."""
    if not taken:
        return np.asarray(xs[0], dtype=np.float64)
    ref = np.asarray(taken, dtype=np.float64)
    for x in xs:
        if np.abs(ref - x).max(axis=1).min() > _SAME_POINT:
            return np.asarray(x, dtype=np.float64)
    return None

