"""The ask/tell core: :class:`EnsembleOptimizer`.

Design
------
The optimizer never calls the objective (Optuna's ask/tell): ``ask(q)`` returns q distinct
points of the box, the caller evaluates them anywhere (a process pool, a cluster, a
simulation), and ``tell(xs, ys)`` feeds the values back. :func:`surge.optimizer.maximize`
is a thin loop over it. The constructor only stores its arguments (scikit-learn); the
learned state -- data, networks, adaptive step sizes -- is created by the first ``ask`` or
``tell`` and its attributes end with ``_``.

A run has two phases, and the split between them is *adaptive*, not a constant:

1. **Pretraining** -- uniformly random points. The networks already train on every told
   point, and before training on a new point the ensemble *predicts* it (prequential
   evaluation). Once at least ``n_init`` points are in and the rank correlation between
   predictions and outcomes over the last ``_SKILL_WINDOW`` random points reaches
   ``_SKILL_THRESHOLD`` -- the surrogate has learned something worth climbing -- the main
   phase starts; it starts anyway at ``n_init_max`` points. gorann spent a fixed 300.
2. **Main phase** -- every proposal slot is one of two kinds, on a fixed documented cycle
   (every ``local_every``-th slot is local, the others global), so the behaviour never
   depends on the total budget: a run of 2,300 evaluations passes through exactly the
   same states as a run of 300 for its first 300 evaluations (the algorithm is *anytime*).

   * **global**: every member climbs its own surrogate (:func:`~surge.optimizer.proposal.ascend`)
     from one of the best points of the basins found so far ("sticks", the siblings'
     best points), inside its own trust radius; Gaussian samples around the stick are
     added, and the ensemble's skill-weighted mean picks the proposal. A stick that
     converges, or turns out to share its basin with a better one, is parked and restarts
     at a far random point chosen by the ensemble mean plus ``exploration`` times its
     disagreement. A stick below the top quarter of the told values (a fresh restart,
     usually) climbs instead by expected improvement of a GP fitted to its 30 nearest
     told points (``low_sticks="local-gp"``, the default; not under ``noisy=True``):
     the networks, fitted to every point, pull a far restart back to the found basins.
   * **local**: a trust region around the incumbent. Gaussian samples of scale ``sigma``
     plus every member's ascent from the incumbent inside ``2 sigma`` are scored by the
     ensemble mean; ``sigma`` follows the 1/5 success rule (doubled when a local proposal
     improves the incumbent, multiplied by ``2^-1/4`` otherwise). This is the precise
     local refinement that puts the best point within 1e-2 of the optimum in 6-D.
     When one ``ask(q)`` holds two or more local slots (q >= 4, and every other q = 3
     batch), they are all quadratic steps in trust boxes of sizes spread from
     ``sigma / 5`` to ``5 sigma``: the step sizes that the sequential rule tries in
     turn, tried at once.

Coordinate probes (``coordinate_probes=True``, the default since 2026-12-04): once the
local trust region has converged, an adaptive share of its slots redraw one coordinate of
the incumbent uniformly -- the move a full-dimensional trust region cannot make from a
point that is optimal in every coordinate but one (separable, ridged functions such as
Michalewicz).

Adaptation by monitored success (the seed: "gradually increasing the number of steps and
monitoring the success"):

* per member, ``steps_`` (ascent step count) grows by ``_STEPS_UP`` when the member's
  global proposal improves its own stick and shrinks by ``_STEPS_DOWN`` otherwise;
* per member, ``radius_`` (trust radius) grows when the member *predicted* the newly told
  points well (prequential error below ``_TRUST_ERROR``) and shrinks otherwise: a member
  that cannot be trusted takes shorter walks;
* per member, the skill weight in the ensemble vote is the inverse of its running
  prequential error, so a poor member adds candidates but hardly any votes -- more
  networks add diversity without diluting the judgement.

Targets: the networks learn the normal scores of the told values' *ranks* (a Gaussian
copula, :meth:`EnsembleOptimizer._targets`), so the objective's scale does not matter: a
heavy tail of bad values (Rosenbrock) no longer flattens the good region into one number.
With ``noisy=True`` they learn standardized values instead (ranks near the top are noise).

Noise: with ``noisy=True`` the incumbent (and the result's best point) is the evaluated
point with the highest *ensemble-mean prediction*, not the highest single noisy value.

Failures: a NaN, an infinity (or, in :func:`maximize`, an exception) is told as ``nan``;
the point is recorded as failed, never trained on, and never proposed again.

Determinism: every random draw comes from one NumPy ``PCG64`` stream seeded by ``seed``
(member weights from per-member seeds drawn from it); the same seed, the same calls and
the same thread count give bit-identical suggestions. ``save``/``load`` round-trip the
data, the networks, their optimizer states, the adaptive quantities and the RNG state, so
a resumed run makes exactly the suggestions the uninterrupted run would have made.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import numpy as np
import torch
from numpy.typing import NDArray
from scipy.special import ndtri
from threadpoolctl import ThreadpoolController

from surge.optimizer.collaboration import COLLABORATIONS, ForkMerge
from surge.optimizer.ensemble import (
    BatchedEnsemble,
    MemberSpec,
    sample_member_specs,
)
from surge.optimizer.proposal import (
    ascend,
    gaussian_around,
    local_gp_step,
    quadratic_trust_step,
)
from surge.optimizer.space import SearchSpace
from surge.optimizer.trainers import TRAINERS, Trainer, make_trainer

__all__ = ["EnsembleOptimizer", "OptimizerStats"]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]

_FORMAT_VERSION = 1
# Adaptive pretraining split.
_SKILL_WINDOW_MIN = 8
_SKILL_THRESHOLD = 0.5
# Per-member ascent steps: bounds and multiplicative adaptation.
_STEPS_INIT = 6.0
_STEPS_MIN = 2.0
_STEPS_MAX = 12.0
_STEPS_UP = 1.5
_STEPS_DOWN = 0.8
# Per-member trust radius (unit-cube units).
_RADIUS_INIT = 0.25
_RADIUS_MIN = 0.01
_RADIUS_MAX = 0.5
_RADIUS_UP = 1.2
_RADIUS_DOWN = 0.8
_TRUST_ERROR = 0.1
# Running prequential error: smoothing, and the floor of the skill weight's denominator.
_ERR_SMOOTH = 0.2
_ERR_INIT = 1.0
_ERR_FLOOR = 1e-3
# Local trust region around the incumbent (1/5 success rule).
_SIGMA_INIT = 0.1
_SIGMA_MIN = 1e-6
_SIGMA_MAX = 0.3
_SIGMA_UP = 2.0
_SIGMA_DOWN = 2.0**-0.25
_LOCAL_SAMPLES = 64
_QUADRATIC_EVERY = 2
# Default local-slot periods (``local_every=None``): every 2nd main-phase slot is local,
# every 3rd under noise (discovery pays more than refining a noisy incumbent).
_LOCAL_EVERY = 2
_LOCAL_EVERY_NOISY = 3
# Batches: the local slots of one ask are quadratic steps in trust boxes of sizes spread
# geometrically from sigma / _BATCH_SPREAD to sigma * _BATCH_SPREAD, and a tell of m > 1
# points trains _BATCH_TRAIN times the steps of m sequential tells.
_BATCH_SPREAD = 5.0
_BATCH_TRAIN = 2.0
# Sticks: one trust region per stick, 1/5 success rule, restart when collapsed or merged.
_STICK_SIGMA_INIT = 0.1
_STICK_SIGMA_RESTART = 2e-3
_STICK_SIGMA_UP = 1.5
_STICK_SIGMA_DOWN = 0.7
_STICK_SIGMA_MAX = 0.2
_STICK_GAUSS = 256
_MERGE_DIST = 0.05
_SEGMENT_POINTS = 9
_ACTIVE_STICKS = 5
_VALLEY = 0.25
_ESTABLISHED_Q = 0.75
_RESTART_MIN_DIST = 0.25
_RESTART_RANDOM = 256
# Climbs of low sticks (below the _ESTABLISHED_Q quantile): the choices, the GP's points.
_LOW_STICKS = ("ensemble", "local-gp")
# Coordinate probes (coordinate_probes=True, the default): once the incumbent's trust
# region is below _PROBE_SIGMA, this share of the local slots redraws one coordinate of
# the incumbent; x _PROBE_UP when a probe improves the incumbent, x _PROBE_DOWN otherwise
# (an equilibrium success rate of about 11%), within the bounds.
_PROBE_SIGMA = 0.01
_PROBE_SHARE_INIT = 0.25
_PROBE_UP = 1.5
_PROBE_DOWN = 0.95
_PROBE_SHARE_MIN = 1.0 / 32.0
_PROBE_SHARE_MAX = 0.5
_LOCAL_GP_POINTS = 30
# Noisy targets: standardized, with the lower tail compressed beyond this z-score.
_TAIL_Z = -2.0
# Noisy objectives: candidates for the best point, and the kernel bandwidth (unit cube).
_NOISY_TOP_MIN = 8
_NOISY_BANDWIDTH = 0.05
# Two points closer than this (L-infinity, unit cube) are the same point.
_SAME_POINT = 1e-9
_ROUNDTRIP_TOL = 1e-9
_DEDUPE_TRIES = 20
_DEDUPE_SIGMA = 1e-3
# Training.
_MAX_TRAIN_STEPS = 200
_TRAIN_POOL_REF = 400
_MIN_STD = 1e-12


@dataclass(frozen=True)
class OptimizerStats:
    """A snapshot of the optimizer's state.

    Attributes:
        n_told: points told so far (failed ones included).
        n_failed: points told as failed (NaN or exception).
        phase: ``"pretrain"`` or ``"main"``.
        pretrain_size: number of points told before the main phase began (``None`` while
            pretraining).
        sigma_local: current scale of the incumbent's trust region, unit-cube units.
        mean_radius: mean member trust radius, unit-cube units.
        mean_steps: mean member ascent step count.
        best_y: best value so far in the user's sense (``nan`` before any success).
        collaboration: fork/merge counters (``forks``, ``replaced``, ``averaged``,
            ``kept``, ``adopted``); empty without collaboration.
    """

    n_told: int
    n_failed: int
    phase: str
    pretrain_size: int | None
    sigma_local: float
    mean_radius: float
    mean_steps: float
    best_y: float
    collaboration: dict[str, int] = field(default_factory=dict)


_F = TypeVar("_F", bound=Callable[..., Any])


@functools.cache
def _blas_threads() -> ThreadpoolController:
    """The process's threadpoolctl controller (made once: finding the libraries is slow)."""
    return ThreadpoolController()


def _numerics(method: _F) -> _F:
    """Run an ask/tell method with denormals flushed and the optimizer's thread count.

    Optimizer moments of rarely-used weights decay into the float32 denormal range, where
    every arithmetic operation is tens of times slower on x86; flushing them keeps a
    training step's cost flat over a long run. torch's flag is process-wide and has no
    getter, so it is switched on for the call and back off (torch's default) after it.

    The networks are small: intra-op threads do not speed them up, and on a busy machine
    they make every kernel wait for a core (a 40x slowdown was measured on 2 shared
    cores). So torch runs on ``self.threads`` threads inside the call and the caller's
    setting is restored afterwards (``threads=None`` leaves torch alone). numpy's and
    scipy's BLAS get the same limit (threadpoolctl): the local GP's 30 x 512 products
    otherwise ran on every core (Hartmann-6, k = 1, 300 points: 13.3 ms CPU per point in
    7.8 ms wall, and two parallel runs took twice as long).
    """

    @functools.wraps(method)
    def wrapper(self: EnsembleOptimizer, *args: Any, **kwargs: Any) -> Any:
        previous = torch.get_num_threads()
        if self.threads is not None and self.threads != previous:
            torch.set_num_threads(self.threads)
        torch.set_flush_denormal(True)
        blas = (
            _blas_threads().limit(limits=self.threads, user_api="blas")
            if self.threads is not None
            else contextlib.nullcontext()
        )
        try:
            with blas:
                return method(self, *args, **kwargs)
        finally:
            torch.set_flush_denormal(False)
            if torch.get_num_threads() != previous:
                torch.set_num_threads(previous)

    return cast(_F, wrapper)


def _check_int(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(
            f"The {name!r} parameter of EnsembleOptimizer must be an int >= {low}. "
            f"Got {value!r} instead."
        )
    return int(value)


def _spearman(a: FloatArray, b: FloatArray) -> float:
    ra = np.argsort(np.argsort(a)).astype(np.float64)
    rb = np.argsort(np.argsort(b)).astype(np.float64)
    ra -= ra.mean()
    rb -= rb.mean()
    den = math.sqrt(float((ra * ra).sum() * (rb * rb).sum()))
    return float((ra * rb).sum() / den) if den > 0 else 0.0


class EnsembleOptimizer:
    """Ask/tell black-box optimizer driven by an ensemble of diverse neural networks.

    Args:
        bounds: ``(low, high)`` per parameter (any scale), ``low < high``.
        n_networks: number of networks k in the ensemble, >= 1.
        seed: seed of the run's random stream, >= 0.
        integer: indices (or a boolean mask) of integer parameters.
        maximize: ``True`` to maximize the told values, ``False`` to minimize them.
        noisy: the objective is noisy: pick the incumbent by the ensemble-mean prediction.
        n_init: minimum number of random pretraining points (default ``2 (n + 1)``).
        n_init_max: maximum number of random pretraining points (default
            ``max(n_init, 10 n)``); the main phase starts between the two, as soon as the
            ensemble predicts new points well.
        local_every: every ``local_every``-th main-phase proposal is local (trust region
            around the incumbent); 1 makes all of them local. Default (``None``): 2, and 3
            with ``noisy=True``, where refining around a noisy incumbent gains less than
            looking for the basin (Hartmann-6 with noise sd 0.1 at 200 evaluations, seeds
            0..119: 78 hits against 68, 48 against 30 at 100; docs/benchmarks.md).
        exploration: weight of the ensemble's disagreement (against its mean) when a
            parked stick picks where to restart. Higher values look for other basins
            more, at the cost of early progress (Hartmann-6, 10 seeds: 3.0 hits the
            optimum in 4/7/9 runs at 100/200/300 evaluations against 6/8/9 with 1.0,
            and is behind on every other suite function; docs/benchmarks.md).
        batch_size: minibatch size per member.
        train_steps: training steps per ``tell``, plus ``train_steps_per_point`` per point.
            A tell of m > 1 points (a batch) trains ``2 m (train_steps +
            train_steps_per_point)`` steps, twice what m single tells get (capped at
            200 and reduced once more than 400 points are told, as for every tell).
        train_steps_per_point: see ``train_steps``.
        threads: torch threads inside ``ask``/``tell`` (the caller's setting is restored
            afterwards); ``None`` leaves torch's setting alone.
        trainer: how the networks learn: ``"gradient"`` (backpropagation with each
            member's Adam/RMSprop/Rprop, the default) or ``"nes"`` (antithetic natural
            evolution strategy, :mod:`surge.optimizer.nes`).
        low_sticks: how a stick whose value is below the top quarter of the told values
            climbs: ``"local-gp"`` (the default): by expected improvement of a GP fitted
            to the copula targets (:meth:`_targets`) of the 30 told points nearest it
            (:func:`~surge.optimizer.proposal.local_gp_step`), so a restart far from the
            found basins follows its own slope instead of the networks' pull back to
            them; or ``"ensemble"``: the members' ascents, like every other stick (the
            default until 2026-12-03). Ignored with ``noisy=True`` (the GP interpolates
            the noise; measured worse). Hartmann-6, seeds 0..39: 38 / 38 hits of 40 at
            200 / 300 evaluations against 28 / 30 with ``"ensemble"``
            (docs/benchmarks.md).
        coordinate_probes: ``True``: once the incumbent's trust region has converged
            (sigma below 0.01), a share of the local slots become *coordinate probes*:
            the incumbent with one coordinate, chosen at random, redrawn uniformly over
            its range. The share starts at 1/4, grows x1.5 when a probe improves the
            incumbent and shrinks x0.95 otherwise (between 1/32 and 1/2). A
            full-dimensional trust region cannot leave a point that is optimal in all
            coordinates but one; a probe can, which is what separable, ridged landscapes
            need: Michalewicz-5, seeds 0..39, median regret 0.59 at 300 evaluations
            against 1.16 (CMA-ES 0.43), while Hartmann-6 is unchanged (39 / 40 hits at
            300 against 38; docs/benchmarks.md). On by default since 2026-12-04; its
            price is precision at 300 on smooth single-basin functions: Ackley-5 0.33
            against 0.18 and Rosenbrock-4 1.84 against 1.54 (still ahead of TPE and
            CMA-ES). ``False`` gives the runs of the earlier default, bit for bit.
        collaboration: ``"none"`` (members share samples only, the default) or
            ``"fork-merge"``: the most promising member is forked, trained apart with a
            sibling's hyper-parameters and merged back
            (:mod:`surge.optimizer.collaboration`).

    Attributes:
        space_: the :class:`SearchSpace` (after the first ask or tell).
        X_: told points in the unit cube, ``(N, n)``.
        y_: told values in the user's sense, ``(N,)``; ``nan`` for failed evaluations.
        model_: the :class:`BatchedEnsemble`.
        steps_, radius_, error_: per-member ascent steps, trust radius and prequential
            error, each ``(k,)``.
        sigma_local_: the incumbent's trust-region scale.
    """

    def __init__(
        self,
        bounds: Sequence[tuple[float, float]] | Sequence[Sequence[float]] | FloatArray,
        *,
        n_networks: int = 5,
        seed: int = 0,
        integer: Sequence[int] | Sequence[bool] | None = None,
        maximize: bool = True,
        noisy: bool = False,
        n_init: int | None = None,
        n_init_max: int | None = None,
        local_every: int | None = None,
        exploration: float = 1.0,
        batch_size: int = 64,
        train_steps: int = 4,
        train_steps_per_point: int = 4,
        threads: int | None = 1,
        trainer: str = "gradient",
        collaboration: str = "none",
        low_sticks: str = "local-gp",
        coordinate_probes: bool = True,
    ) -> None:
        self.bounds = bounds
        self.n_networks = n_networks
        self.seed = seed
        self.integer = integer
        self.maximize = maximize
        self.noisy = noisy
        self.n_init = n_init
        self.n_init_max = n_init_max
        self.local_every = local_every
        self.exploration = exploration
        self.batch_size = batch_size
        self.train_steps = train_steps
        self.train_steps_per_point = train_steps_per_point
        self.threads = threads
        self.trainer = trainer
        self.collaboration = collaboration
        self.low_sticks = low_sticks
        self.coordinate_probes = coordinate_probes
        # Validate eagerly: bad input must fail at construction, with a clear message.
        self._space = SearchSpace.from_bounds(bounds, integer)
        _check_int("n_networks", n_networks, 1)
        _check_int("seed", seed, 0)
        if local_every is not None:
            _check_int("local_every", local_every, 1)
        _check_int("batch_size", batch_size, 1)
        _check_int("train_steps", train_steps, 0)
        _check_int("train_steps_per_point", train_steps_per_point, 0)
        if threads is not None:
            _check_int("threads", threads, 1)
        if trainer not in TRAINERS:
            raise ValueError(
                f"The 'trainer' parameter of EnsembleOptimizer must be one of "
                f"{', '.join(TRAINERS)}. Got {trainer!r} instead."
            )
        if collaboration not in COLLABORATIONS:
            raise ValueError(
                f"The 'collaboration' parameter of EnsembleOptimizer must be one of "
                f"{', '.join(COLLABORATIONS)}. Got {collaboration!r} instead."
            )
        if low_sticks not in _LOW_STICKS:
            raise ValueError(
                f"The 'low_sticks' parameter of EnsembleOptimizer must be one of "
                f"{', '.join(_LOW_STICKS)}. Got {low_sticks!r} instead."
            )
        if not isinstance(coordinate_probes, bool):
            raise ValueError(
                "The 'coordinate_probes' parameter of EnsembleOptimizer must be True or "
                f"False. Got {coordinate_probes!r} instead."
            )
        if n_init is not None:
            _check_int("n_init", n_init, 2)
        if n_init_max is not None:
            _check_int("n_init_max", n_init_max, 2)
        if not (isinstance(exploration, int | float) and math.isfinite(exploration)):
            raise ValueError(
                "The 'exploration' parameter of EnsembleOptimizer must be a finite number. "
                f"Got {exploration!r} instead."
            )

    # ------------------------------------------------------------------ sizes
    @property
    def n_sticks(self) -> int:
        """Number of sticks: one per network, and at least ``_ACTIVE_STICKS``.

        With fewer networks than that, a network looks after several sticks, so that k = 1
        or 2 still explores as many basins at a time as k = 5 (the networks then differ
        only in how many surrogates vote and climb).
        """
        return max(self.n_networks, _ACTIVE_STICKS)

    @property
    def space_dim(self) -> int:
        """Number of parameters n."""
        return self._space.dim

    @property
    def pretrain_min(self) -> int:
        """Minimum number of random points before the networks propose."""
        d = self._space.dim
        return self.n_init if self.n_init is not None else 2 * (d + 1)

    @property
    def pretrain_max(self) -> int:
        """Number of random points after which the main phase starts regardless."""
        d = self._space.dim
        cap = self.n_init_max if self.n_init_max is not None else 10 * d
        return max(cap, self.pretrain_min)

    # ------------------------------------------------------------------ setup
    def _is_setup(self) -> bool:
        return hasattr(self, "model_")

    def _setup(self) -> None:
        if self._is_setup():
            return
        self.space_ = self._space
        d = self.space_.dim
        self.rng_ = np.random.Generator(np.random.PCG64(self.seed))
        specs = sample_member_specs(self.n_networks, self.rng_)
        self._build(specs)
        k, m = self.n_networks, self.n_sticks
        self.X_ = np.zeros((0, d))
        self.y_ = np.zeros(0)
        self.steps_ = np.full(k, _STEPS_INIT)
        self.radius_ = np.full(k, _RADIUS_INIT)
        self.error_ = np.full(k, _ERR_INIT)
        self.stick_x_ = np.zeros((m, d))
        self.stick_y_ = np.full(m, -np.inf)
        self.stick_sigma_ = np.full(m, _STICK_SIGMA_INIT)
        self.stick_restart_ = np.zeros(m, dtype=np.bool_)
        self.stick_evals_ = np.zeros(m)
        self.sigma_local_ = _SIGMA_INIT
        self.probe_share_ = _PROBE_SHARE_INIT
        self.probe_credit_ = 0.0
        self.phase_ = "pretrain"
        self.pretrain_size_: int | None = None
        self.n_main_slots_ = 0
        self.n_local_slots_ = 0
        self.skill_pred_: list[float] = []
        self.skill_y_: list[float] = []
        self.pending_: dict[bytes, tuple[str, int, int]] = {}
        self.collab_: ForkMerge | None = (
            ForkMerge(self.trainer, min_points=self.pretrain_min)
            if self.collaboration == "fork-merge" else None
        )

    def _build(self, specs: Sequence[MemberSpec], pad: Sequence[int] | None = None) -> None:
        width, depth = pad if pad is not None else (None, None)
        self.model_ = BatchedEnsemble(self._space.dim, specs, pad_width=width, pad_depth=depth)
        # Only NES draws its noise seed: the gradient trainer leaves the stream untouched.
        seed = int(self.rng_.integers(0, 2**31 - 1)) if self.trainer == "nes" else 0
        self.trainer_: Trainer = make_trainer(self.trainer, self.model_, seed)

    # ------------------------------------------------------------------ data views
    def _valid(self) -> NDArray[np.bool_]:
        return np.isfinite(self.y_)

    def _internal(self, y: FloatArray) -> FloatArray:
        """Values in the maximization sense."""
        return y if self.maximize else -y

    def _standardizer(self) -> tuple[float, float]:
        yi = self._internal(self.y_[self._valid()])
        if yi.size == 0:
            return 0.0, 1.0
        std = float(yi.std())
        return float(yi.mean()), (std if std > _MIN_STD else 1.0)

    def _targets(self, y_internal: FloatArray) -> FloatArray:
        """Training targets for values in the maximization sense, ``(m,)``.

        Noise-free (the default): the normal score of each value's rank among the N told
        values (a Gaussian copula), ``ndtri((r + 1/2) / (N + 1))`` with r the number of
        told values below it plus half the number equal to it (the value itself need
        not be told). The networks learn an order-preserving warp of the objective, so
        the maximizers are the same, and one network size fits every scale:
        standardized raw values let a heavy tail of bad values squash the good region
        into one number (Rosenbrock-4 on its box: median 2.6e5, maximum above 2e6),
        ranks cannot. This is the Gaussian-copula output transform of Salinas et al.
        (2020); HEBO warps outputs with a fitted power transform instead (tried here: a
        Yeo-Johnson warp, Rosenbrock-4 median regret 85.5 at 100 evaluations against
        22.7 with ranks, 0.80 against 1.07 at 300; docs/benchmarks.md).

        ``noisy=True``: standardized values with the lower tail compressed beyond
        ``_TAIL_Z``. Near the optimum the ranks of noisy values are mostly noise, and
        the copula spreads them over the normal's upper tail (Hartmann-6 with noise sd
        0.1, 10 seeds, 200 evaluations: 3/10 hits, median regret 0.18, against 7/10 and
        0.027 standardized; docs/benchmarks.md).
        """
        if not self.noisy:
            ref = np.sort(self._internal(self.y_[self._valid()]))
            lo = np.searchsorted(ref, y_internal, side="left")
            hi = np.searchsorted(ref, y_internal, side="right")
            score = ndtri((0.5 * (lo + hi) + 0.5) / (ref.size + 1.0))
            return np.asarray(score, dtype=np.float64)
        mean, std = self._standardizer()
        z = (y_internal - mean) / std
        tail = z < _TAIL_Z
        z[tail] = _TAIL_Z - np.log1p(_TAIL_Z - z[tail])
        return np.asarray(z, dtype=np.float64)

    def _predict(self, u: FloatArray) -> NDArray[np.float64]:
        """Member predictions ``(k, m)`` in target units (:meth:`_targets`) at points ``(m, n)``."""
        with torch.no_grad():
            out = self.model_(torch.as_tensor(u, dtype=torch.float32))
        return np.asarray(out.double().numpy(), dtype=np.float64)

    def _weights(self) -> FloatArray:
        w = 1.0 / (self.error_ + _ERR_FLOOR)
        return np.asarray(w / w.sum(), dtype=np.float64)

    def _score(self, u: FloatArray, exploration: float) -> FloatArray:
        """Skill-weighted ensemble mean plus ``exploration`` times disagreement, ``(m,)``."""
        pred = self._predict(u)
        w = self._weights()[:, None]
        mean = (w * pred).sum(axis=0)
        if exploration == 0.0 or pred.shape[0] == 1:
            return np.asarray(mean, dtype=np.float64)
        spread = np.sqrt((w * (pred - mean) ** 2).sum(axis=0))
        return np.asarray(mean + exploration * spread, dtype=np.float64)

    def _incumbent_index(self, report: bool = False) -> int | None:
        """Index of the best told point; with ``report`` and ``noisy``, the denoised pick."""
        valid = np.flatnonzero(self._valid())
        if valid.size == 0:
            return None
        yi = self._internal(self.y_[valid])
        if not (self.noisy and report):
            return int(valid[int(np.argmax(yi))])
        # Posterior-mean pick among the best quarter of the evaluated points: the mean of
        # the ensemble's prediction and of a kernel average of the told values around
        # each point (both standardized), so one lucky noisy value does not win alone.
        top = valid[np.argsort(-yi, kind="stable")[: max(_NOISY_TOP_MIN, valid.size // 4)]]
        mean, std = self._standardizer()
        model = self._score(self.X_[top], 0.0)
        gap = ((self.X_[top][:, None, :] - self.X_[valid][None, :, :]) ** 2).sum(-1)
        w = np.exp(-0.5 * gap / _NOISY_BANDWIDTH**2)
        smooth = (w @ ((yi - mean) / std)) / w.sum(axis=1)
        return int(top[int(np.argmax(0.5 * model + 0.5 * smooth))])

    # ------------------------------------------------------------------ public state
    @property
    def best_x_(self) -> FloatArray:
        """The best point so far, native units, ``(n,)``."""
        self._require_data()
        i = self._incumbent_index(report=True)
        if i is None:
            raise ValueError("no successful evaluation has been told yet")
        return self.space_.from_unit(self.X_[i])

    @property
    def best_y_(self) -> float:
        """The value told for :attr:`best_x_` (user's sense)."""
        self._require_data()
        i = self._incumbent_index(report=True)
        if i is None:
            raise ValueError("no successful evaluation has been told yet")
        return float(self.y_[i])

    def _require_data(self) -> None:
        if not self._is_setup() or self.X_.shape[0] == 0:
            raise ValueError("nothing has been told yet")

    def stats(self) -> OptimizerStats:
        """A snapshot of the optimizer's state (see :class:`OptimizerStats`)."""
        self._setup()
        valid = self._valid()
        best = float("nan")
        if valid.any():
            i = self._incumbent_index(report=True)
            best = float(self.y_[i]) if i is not None else best
        return OptimizerStats(
            n_told=int(self.X_.shape[0]),
            n_failed=int((~valid).sum()),
            phase=self.phase_,
            pretrain_size=self.pretrain_size_,
            sigma_local=float(self.sigma_local_),
            mean_radius=float(self.radius_.mean()),
            mean_steps=float(self.steps_.mean()),
            best_y=best,
            collaboration=dict(self.collab_.counts) if self.collab_ is not None else {},
        )

    # ------------------------------------------------------------------ ask
    @_numerics
    def ask(self, q: int = 1) -> FloatArray:
        """Suggest q distinct points to evaluate next.

        Args:
            q: number of points, >= 1.

        Returns:
            Points in native units, shape ``(q, n)``, inside the bounds, integer
            parameters integral, pairwise distinct and never a point already told.

        Raises:
            ValueError: ``q`` is not a positive integer.
        """
        q = _check_int("q", q, 1)
        self._setup()
        if self.phase_ == "pretrain":
            u = self.space_.snap(self.rng_.random((q, self.space_.dim)))
            tags: list[tuple[str, int, int]] = [("random", -1, -1)] * q
        else:
            kinds = []
            for _ in range(q):
                self.n_main_slots_ += 1
                local = self.n_main_slots_ % self._local_every() == 0
                kinds.append(self._local_or_probe() if local else "global")
            n_local = kinds.count("local")
            n_probe = kinds.count("probe")
            n_global = q - n_local - n_probe
            parts: list[FloatArray] = []
            tags = []
            if n_global:
                ug, gtags = self._propose_global(n_global)
                parts.append(ug)
                tags += gtags
            if n_local:
                parts.append(self._propose_local(n_local))
                tags += [("local", -1, -1)] * n_local
            if n_probe:
                parts.append(self._propose_probes(n_probe))
                tags += [("probe", -1, -1)] * n_probe
            u = np.concatenate(parts, axis=0)
        u = self._dedupe(u)
        for row, tag in zip(u, tags, strict=True):
            self.pending_[row.tobytes()] = tag
        return self.space_.from_unit(u)

    def _local_or_probe(self) -> str:
        """The kind of a local slot: a coordinate probe once the trust region has
        converged (sigma below ``_PROBE_SIGMA``) and enough share has accrued."""
        if not self.coordinate_probes or self.sigma_local_ >= _PROBE_SIGMA:
            return "local"
        self.probe_credit_ += self.probe_share_
        if self.probe_credit_ < 1.0:
            return "local"
        self.probe_credit_ -= 1.0
        return "probe"

    def _propose_probes(self, n: int) -> FloatArray:
        """Coordinate probes: the incumbent with one random coordinate redrawn, ``(n, d)``."""
        rows = np.repeat(self._incumbent_centre()[None, :], n, axis=0)
        for row in rows:
            row[int(self.rng_.integers(row.size))] = self.rng_.random()
        return self.space_.snap(rows)

    def _incumbent_centre(self) -> FloatArray:
        """The best told point (unit cube), or the box centre before any success, ``(d,)``."""
        i = self._incumbent_index()
        return self.X_[i] if i is not None else np.full(self.space_.dim, 0.5)

    def _local_every(self) -> int:
        """The local-slot period: ``local_every``, or its default for the noise setting."""
        if self.local_every is not None:
            return self.local_every
        return _LOCAL_EVERY_NOISY if self.noisy else _LOCAL_EVERY

    def _taken(self) -> FloatArray:
        """Told points and points asked but not yet told (in flight), unit cube, ``(m, d)``."""
        if not self.pending_:
            return self.X_
        pending = np.array([np.frombuffer(key, dtype=np.float64) for key in self.pending_])
        return np.concatenate([self.X_, pending.reshape(-1, self.space_.dim)], axis=0)

    def _dedupe(self, u: FloatArray) -> FloatArray:
        """Make the rows distinct from each other, from told and from in-flight points."""
        out = u.copy()
        base = self._taken()
        for i in range(out.shape[0]):
            for attempt in range(_DEDUPE_TRIES + 1):
                taken = np.concatenate([base, out[:i]], axis=0)
                if taken.shape[0] == 0:
                    break
                gap = np.abs(taken - out[i]).max(axis=1).min()
                if gap > _SAME_POINT:
                    break
                scale = _DEDUPE_SIGMA * (2.0**attempt)
                out[i] = self.space_.snap(
                    np.clip(out[i] + scale * self.rng_.standard_normal(out.shape[1]), 0.0, 1.0)
                )
        return out

    def _pick(self, cands: FloatArray, score: FloatArray, n: int) -> list[int]:
        """Indices of the n best-scoring candidates, distinct and new (greedy)."""
        order = np.argsort(-score, kind="stable")
        chosen: list[int] = []
        told = self._taken()
        for j in order:
            c = cands[j]
            if told.shape[0] and np.abs(told - c).max(axis=1).min() <= _SAME_POINT:
                continue
            if any(np.abs(cands[i] - c).max() <= _SAME_POINT for i in chosen):
                continue
            chosen.append(int(j))
            if len(chosen) == n:
                break
        # Too few distinct candidates (tiny integer spaces): repeat the best; deduped later.
        while len(chosen) < n:
            chosen.append(int(order[len(chosen) % order.size]))
        return chosen

    def _propose_global(self, n: int) -> tuple[FloatArray, list[tuple[str, int, int]]]:
        """Global slots: climb every member's surrogate from every stick, or restart one.

        Returns:
            Unit points ``(n, d)`` and their tags ``(kind, member, stick)``.
        """
        d = self.space_.dim
        restarting = [int(j) for j in np.flatnonzero(self.stick_restart_)]
        pending_sticks = {tag[2] for tag in self.pending_.values() if tag[0] == "restart"}
        restarting = [j for j in restarting if j not in pending_sticks]
        # Restarts are served only while fewer than _ACTIVE_STICKS sticks are climbing:
        # with many networks the parked sticks are reserves, not extra random points.
        n_live = int((~self.stick_restart_).sum()) + len(pending_sticks)
        restarting = restarting[: max(0, _ACTIVE_STICKS - n_live)]
        out: list[FloatArray] = []
        tags: list[tuple[str, int, int]] = []
        # Restarts first: a fresh region far from every stick and from the incumbent.
        if restarting:
            fresh = self.space_.snap(self.rng_.random((_RESTART_RANDOM, d)))
            anchors = np.concatenate([self.stick_x_[~self.stick_restart_], self._top(1)], 0)
            if anchors.shape[0]:
                dist = np.sqrt(((fresh[:, None, :] - anchors[None]) ** 2).sum(-1)).min(1)
                far = fresh[dist >= _RESTART_MIN_DIST]
                fresh = far if far.shape[0] >= n else fresh
            fscore = self._score(fresh, self.exploration)
            picks = self._pick(fresh, fscore, min(n, len(restarting)))
            for idx, j in zip(picks, restarting, strict=False):
                out.append(fresh[idx])
                tags.append(("restart", -1, j))
                self.stick_evals_[j] += 1
        if len(out) == n:
            return np.asarray(out), tags
        # Shares by rank: the stick ranked r (by value, 0 = best) goes next when its count
        # of proposals times sqrt(r + 1) is the smallest, so the best basins get most of
        # the effort while a stick in a lower basin keeps climbing (sticks sharing a basin
        # are merged, so the ranks are over distinct basins).
        live = np.flatnonzero(~self.stick_restart_)
        if live.size == 0:
            live = np.arange(self.n_sticks)
        # At most _ACTIVE_STICKS sticks (the best) are climbed at a time: the others wait
        # until a merge or a restart frees a place, so the effort per basin does not fall
        # as k grows, while the sticks still start from k disjoint shares of the data.
        live = live[np.argsort(-self.stick_y_[live], kind="stable")[:_ACTIVE_STICKS]]
        rank = np.empty(live.size)
        rank[np.argsort(-self.stick_y_[live], kind="stable")] = np.arange(live.size)
        for _ in range(n - len(out)):
            load = (self.stick_evals_[live] + 1.0) * np.sqrt(rank + 1.0)
            j = int(live[int(np.argmin(load))])
            self.stick_evals_[j] += 1
            x, m = self._climb_stick(j)
            out.append(x)
            tags.append(("global", m, j))
        return np.asarray(out), tags

    def _climb_stick(self, j: int) -> tuple[FloatArray, int]:
        """Every member climbs from stick j inside its trust; the ensemble picks one point.

        With ``low_sticks="local-gp"`` (noise-free), a stick below the top quarter of the
        told values takes the local GP's step instead (:func:`local_gp_step`).

        Returns:
            The unit point ``(d,)`` and the member that proposed it (-1: Gaussian sample).
        """
        k, d = self.n_networks, self.space_.dim
        valid = np.flatnonzero(self._valid())
        yv = self._internal(self.y_[valid])
        if (
            self.low_sticks == "local-gp"
            and not self.noisy
            and self.stick_y_[j] < float(np.quantile(yv, _ESTABLISHED_Q))
        ):
            step = local_gp_step(
                self.X_[valid], self._targets(yv), self.stick_x_[j],
                float(self.stick_sigma_[j]), rng=self.rng_, n_near=_LOCAL_GP_POINTS,
            )
            if step is not None:
                return self.space_.snap(step), -1
        if self.stick_evals_[j] % _QUADRATIC_EVERY == 0:
            quad = quadratic_trust_step(
                self.X_[valid], yv, self.stick_x_[j],
                float(self.stick_sigma_[j]), n=1, rng=self.rng_,
            )
            if quad is not None:
                return self.space_.snap(quad[0]), -1
        st = torch.as_tensor(self.stick_x_[j], dtype=torch.float32).view(1, 1, d)
        rad = np.minimum(self.radius_, 2.0 * self.stick_sigma_[j])
        best_x, _ = ascend(
            self.model_,
            st.expand(k, 1, d).contiguous(),
            torch.as_tensor(rad, dtype=torch.float32),
            torch.as_tensor(np.round(self.steps_).astype(np.int64)),
        )
        ends = best_x[:, 0].double().numpy()
        gauss = gaussian_around(
            self.stick_x_[j : j + 1], self.stick_sigma_[j], _STICK_GAUSS, self.rng_
        )[0]
        pool = self.space_.snap(np.concatenate([ends, gauss], axis=0))
        owner = list(range(k)) + [-1] * _STICK_GAUSS
        idx = self._pick(pool, self._score(pool, 0.0), 1)[0]
        return pool[idx], owner[idx]

    def _top(self, m: int) -> FloatArray:
        """The m best told points (unit cube), ``(<=m, d)``."""
        valid = np.flatnonzero(self._valid())
        yi = self._internal(self.y_[valid])
        return self.X_[valid[np.argsort(-yi, kind="stable")[:m]]]

    def _propose_local(self, n: int) -> FloatArray:
        """Local slots: the incumbent's trust region.

        Slots alternate between the networks' choice (Gaussian samples of scale
        ``sigma`` and every member's ascent inside ``2 sigma``, scored by the ensemble
        mean) and a local quadratic model of the told points nearest the incumbent, which
        keeps refining below the networks' accuracy.

        Two or more local slots in one batch are all quadratic steps, each in a trust box
        of its own size (``sigma / _BATCH_SPREAD`` to ``sigma * _BATCH_SPREAD``,
        geometrically): the batch tries in parallel the step sizes that the sequential
        1/5 rule would try in turn. Same-size boxes gave near-duplicate points.
        """
        d = self.space_.dim
        centre = self._incumbent_centre()
        sigma = self.sigma_local_
        valid = np.flatnonzero(self._valid())
        if n > 1:
            yv = self._internal(self.y_[valid])
            sizes = sigma * np.geomspace(1.0 / _BATCH_SPREAD, _BATCH_SPREAD, n)
            rows = [
                quadratic_trust_step(
                    self.X_[valid], yv, centre, float(min(size, _SIGMA_MAX)), n=1,
                    rng=self.rng_,
                )
                for size in sizes
            ]
            if all(row is not None for row in rows):
                self.n_local_slots_ += n
                return self.space_.snap(np.concatenate([r for r in rows if r is not None]))
        out: list[FloatArray] = []
        n_net = 0
        for _ in range(n):
            self.n_local_slots_ += 1
            quad = None
            if self.n_local_slots_ % _QUADRATIC_EVERY == 0:
                quad = quadratic_trust_step(
                    self.X_[valid], self._internal(self.y_[valid]), centre, sigma,
                    n=1, rng=self.rng_,
                )
            if quad is not None:
                out.append(self.space_.snap(quad[0]))
            else:
                n_net += 1
        if n_net:
            k = self.n_networks
            gauss = gaussian_around(centre[None, :], sigma, _LOCAL_SAMPLES, self.rng_)[0]
            st = torch.as_tensor(centre, dtype=torch.float32).view(1, 1, d).expand(k, 1, d)
            best_x, _ = ascend(
                self.model_,
                st.contiguous(),
                torch.full((k,), 2.0 * sigma, dtype=torch.float32),
                torch.as_tensor(np.round(self.steps_).astype(np.int64)),
            )
            cands = self.space_.snap(np.concatenate([gauss, best_x[:, 0].double().numpy()]))
            picks = self._pick(cands, self._score(cands, 0.0), n_net)
            out += [cands[j] for j in picks]
        return np.asarray(out)

    # ------------------------------------------------------------------ tell
    @_numerics
    def tell(
        self, xs: FloatArray | Sequence[Sequence[float]], ys: FloatArray | Sequence[float]
    ) -> None:
        """Report evaluated points.

        Args:
            xs: points in native units, shape ``(m, n)`` (or ``(n,)`` for one point);
                they need not come from :meth:`ask`.
            ys: their values, shape ``(m,)``; ``nan`` (or any non-finite value) marks a
                failed evaluation, recorded and never trained on.

        Raises:
            ValueError: shapes disagree, or a point lies outside the bounds.
        """
        self._setup()
        xa = np.asarray(xs, dtype=np.float64)
        if xa.ndim == 1:
            xa = xa[None, :]
        ya = np.atleast_1d(np.asarray(ys, dtype=np.float64)).astype(np.float64)
        if xa.ndim != 2 or xa.shape[1] != self.space_.dim:  # noqa: PLR2004
            raise ValueError(
                f"tell() expects points of shape (m, {self.space_.dim}). Got {xa.shape} instead."
            )
        if ya.shape != (xa.shape[0],):
            raise ValueError(
                f"tell() expects {xa.shape[0]} values, one per point. Got shape {ya.shape}."
            )
        tol = 1e-9 * (self.space_.high - self.space_.low)
        outside = np.any((xa < self.space_.low - tol) | (xa > self.space_.high + tol), axis=1)
        if outside.any():
            raise ValueError(
                f"tell() got a point outside the bounds: {xa[int(np.argmax(outside))].tolist()}"
            )
        ya = np.where(np.isfinite(ya), ya, np.nan)
        u = self.space_.snap(self.space_.to_unit(xa))
        valid_new = np.isfinite(ya)
        had_data = bool(self._valid().any())
        best_before = (
            float(np.max(self._internal(self.y_[self._valid()]))) if had_data else -np.inf
        )
        if had_data and valid_new.any():
            self._prequential(u[valid_new], self._internal(ya[valid_new]))
        self._credit(u, ya, best_before)
        self.X_ = np.concatenate([self.X_, u], axis=0)
        self.y_ = np.concatenate([self.y_, ya])
        if valid_new.any():
            self._merge_sticks()
        if self.phase_ == "pretrain":
            self._maybe_start_main()
        n_new = int(valid_new.sum())
        if n_new and int(self._valid().sum()) >= 2:  # noqa: PLR2004
            self._train(np.flatnonzero(self._valid())[-n_new:])

    def _prequential(self, u: FloatArray, yi: FloatArray) -> None:
        """Score every member on points it has not trained on yet; adapt trust radii."""
        target = self._targets(yi)
        pred = self._predict(u)
        err = ((pred - target[None, :]) ** 2).mean(axis=1)
        if self.collab_ is not None:
            self.collab_.score(
                torch.as_tensor(u, dtype=torch.float32),
                torch.as_tensor(target, dtype=torch.float32),
                torch.as_tensor(pred, dtype=torch.float32),
            )
        self.error_ = (1.0 - _ERR_SMOOTH) * self.error_ + _ERR_SMOOTH * err
        trusted = err < _TRUST_ERROR
        self.radius_ = np.clip(
            np.where(trusted, self.radius_ * _RADIUS_UP, self.radius_ * _RADIUS_DOWN),
            _RADIUS_MIN,
            _RADIUS_MAX,
        )
        if self.phase_ == "pretrain":
            w = self._weights()[:, None]
            self.skill_pred_ += [float(v) for v in (w * pred).sum(axis=0)]
            self.skill_y_ += [float(v) for v in yi]

    def _pop_pending(self, row: FloatArray) -> tuple[str, int, int] | None:
        """Remove an asked unit point from the in-flight ones; its tag, or ``None``."""
        tag = self.pending_.pop(row.tobytes(), None)
        if tag is None and self.pending_:
            # The native round trip (unit -> native -> unit) may change the last bits.
            keys = list(self.pending_)
            rows = np.array([np.frombuffer(key, dtype=np.float64) for key in keys])
            gap = np.abs(rows.reshape(len(keys), -1) - row).max(axis=1)
            nearest = int(np.argmin(gap))
            if gap[nearest] <= _ROUNDTRIP_TOL:
                tag = self.pending_.pop(keys[nearest])
        return tag

    def forget(self, xs: FloatArray | Sequence[Sequence[float]]) -> None:
        """Drop asked points that will never be told (unused proposals, lost evaluations).

        An asked point stays *in flight* until it is told: later asks keep away from it,
        and a parked stick whose restart point is in flight is not restarted again. A
        point that is never told would hold its stick forever; forgetting it frees the
        stick (it restarts at a later ask). Points that are not in flight are ignored.

        Args:
            xs: points as returned by :meth:`ask`, native units, shape ``(m, n)``.

        Raises:
            ValueError: ``xs`` is not of shape ``(m, n)``.
        """
        xa = np.asarray(xs, dtype=np.float64)
        if xa.ndim != 2 or (self._is_setup() and xa.shape[1] != self.space_.dim):  # noqa: PLR2004
            raise ValueError(f"forget() expects points of shape (m, n). Got {xa.shape} instead.")
        if not self._is_setup() or xa.shape[0] == 0:
            return
        for row in self.space_.snap(self.space_.to_unit(xa)):
            self._pop_pending(row)

    def _credit(self, u: FloatArray, ya: FloatArray, best_before: float) -> None:
        """Credit each told proposal to the member, stick or trust region that made it."""
        for row, y in zip(u, ya, strict=True):
            tag = self._pop_pending(row)
            if tag is None:
                continue
            kind, member, j = tag
            yi = float(self._internal(np.array([y]))[0]) if np.isfinite(y) else -np.inf
            if kind == "restart":
                self.stick_x_[j] = row
                self.stick_y_[j] = yi
                self.stick_sigma_[j] = _STICK_SIGMA_INIT
                self.stick_restart_[j] = False
                others = np.delete(self.stick_evals_, j)
                self.stick_evals_[j] = float(others.min()) if others.size else 0.0
            elif kind == "global":
                improved = yi > self.stick_y_[j]
                if improved:
                    self.stick_x_[j] = row
                    self.stick_y_[j] = yi
                    self.stick_sigma_[j] = min(
                        self.stick_sigma_[j] * _STICK_SIGMA_UP, _STICK_SIGMA_MAX
                    )
                else:
                    self.stick_sigma_[j] *= _STICK_SIGMA_DOWN
                    if self.stick_sigma_[j] < _STICK_SIGMA_RESTART:
                        self.stick_restart_[j] = True
                if member >= 0:
                    factor = _STEPS_UP if improved else _STEPS_DOWN
                    self.steps_[member] = float(
                        np.clip(self.steps_[member] * factor, _STEPS_MIN, _STEPS_MAX)
                    )
            elif kind == "probe":
                factor = _PROBE_UP if yi > best_before else _PROBE_DOWN
                self.probe_share_ = float(
                    np.clip(self.probe_share_ * factor, _PROBE_SHARE_MIN, _PROBE_SHARE_MAX)
                )
            elif kind == "local":
                if yi > best_before:
                    self.sigma_local_ = min(self.sigma_local_ * _SIGMA_UP, _SIGMA_MAX)
                else:
                    self.sigma_local_ = max(self.sigma_local_ * _SIGMA_DOWN, _SIGMA_MIN)

    def _merge_sticks(self) -> None:
        """Restart a stick that shares its basin with a better stick or the incumbent.

        Two points share a basin when the ensemble-mean surrogate shows no valley on the
        segment between them (its minimum on the segment is no lower than the lower end
        minus ``_VALLEY`` target units), or when they are within ``_MERGE_DIST``.
        Keeping one stick per basin is what makes more networks explore more basins.
        """
        if self.phase_ != "main":
            return
        k = self.n_sticks
        anchors = np.concatenate([self.stick_x_, self._top(1)], axis=0)
        best_y = float(np.max(self._internal(self.y_[self._valid()])))
        anchor_y = np.concatenate([self.stick_y_, [best_y]])
        alive = np.concatenate([~self.stick_restart_, [True]])
        ts = np.linspace(0.0, 1.0, _SEGMENT_POINTS)[:, None]
        # Only established sticks (in the top quarter of the told values) are compared
        # by segment: a low stick sits on the floor, where the surrogate shows no valley.
        high = float(np.quantile(self._internal(self.y_[self._valid()]), _ESTABLISHED_Q))
        for j in range(k):
            if self.stick_restart_[j]:
                continue
            better = np.flatnonzero(alive & (anchor_y > self.stick_y_[j]))
            if better.size == 0:
                continue
            xj = self.stick_x_[j]
            near = np.abs(anchors[better] - xj).max(axis=1) < _MERGE_DIST
            if near.any():
                self.stick_restart_[j] = True
                continue
            if self.stick_y_[j] < high:
                continue
            seg = (xj[None, None, :] * (1.0 - ts) + anchors[better][:, None, :] * ts)
            score = self._score(seg.reshape(-1, xj.size), 0.0).reshape(better.size, -1)
            ends = np.minimum(score[:, 0], score[:, -1])
            if bool((score.min(axis=1) >= ends - _VALLEY).any()):
                self.stick_restart_[j] = True

    def _maybe_start_main(self) -> None:
        n_valid = int(self._valid().sum())
        if n_valid < self.pretrain_min:
            return
        window = max(_SKILL_WINDOW_MIN, self.space_.dim + 1)
        skilled = False
        if len(self.skill_y_) >= window:
            rho = _spearman(np.array(self.skill_pred_[-window:]), np.array(self.skill_y_[-window:]))
            skilled = rho >= _SKILL_THRESHOLD
        if skilled or n_valid >= self.pretrain_max:
            self.phase_ = "main"
            self.pretrain_size_ = int(self.X_.shape[0])
            self._init_sticks()
            log.debug("main phase after %d points", self.pretrain_size_)

    def _init_sticks(self) -> None:
        """Stick j: the best of the pretraining points with index = j (mod k).

        Disjoint shares of the random points, as gorann's windows: with several networks
        the sticks start in different basins.
        """
        valid = np.flatnonzero(self._valid())
        k = self.n_sticks
        for j in range(k):
            share = valid[j::k]
            if share.size == 0:
                self.stick_x_[j] = self.rng_.random(self.space_.dim)
                self.stick_y_[j] = -np.inf
                self.stick_restart_[j] = True
                continue
            best = share[int(np.argmax(self._internal(self.y_[share])))]
            self.stick_x_[j] = self.X_[best]
            self.stick_y_[j] = float(self._internal(self.y_[best : best + 1])[0])

    def _train(self, new_idx: NDArray[np.int64]) -> None:
        valid = np.flatnonzero(self._valid())
        y_all = self._targets(self._internal(self.y_[valid]))
        pos_of = {int(v): i for i, v in enumerate(valid)}
        new_pos = np.array([pos_of[int(i)] for i in new_idx], dtype=np.int64)
        xt = torch.as_tensor(self.X_[valid], dtype=torch.float32)
        yt = torch.as_tensor(y_all, dtype=torch.float32)
        n = valid.size
        k = self.n_networks
        b = min(self.batch_size, n)
        # Fewer steps per point once the pool is large: the networks are mature by then,
        # and the work per told point stays bounded (anytime: depends on n, not the budget).
        m = new_pos.size
        base = self.train_steps + self.train_steps_per_point * m
        if m > 1:
            # A batch's points are proposed from one state of the networks, so a batch
            # tell trains more per point (Hartmann-6, q = 8, 40 seeds: 38/40 runs at the
            # optimum after 40 rounds against 33/40 with sequential training per point).
            base = math.ceil(_BATCH_TRAIN * m * (self.train_steps + self.train_steps_per_point))
        steps = min(max(math.ceil(base * min(1.0, _TRAIN_POOL_REF / n)), 1), _MAX_TRAIN_STEPS)
        for step in range(steps):
            idx = self.rng_.integers(0, n, size=(k, b))
            # Every member sees every new sample: they fill the first slots of its batches.
            lo = (step * b) % max(new_pos.size, 1)
            fresh = new_pos[lo : lo + b]
            idx[:, : fresh.size] = fresh
            it = torch.as_tensor(idx)
            self.trainer_.train_step(xt[it], yt[it])
        if self.collab_ is not None:
            self.collab_.train(xt, yt, steps=steps, batch=b, rng=self.rng_, new_pos=new_pos)
            self.model_, self.trainer_, sources = self.collab_.step(
                self.model_, self.trainer_, self.error_, xt=xt, yt=yt, rng=self.rng_
            )
            if sources != list(range(k)):
                self.steps_ = self.steps_[sources]
                self.radius_ = self.radius_[sources]
                self.error_ = self.error_[sources]

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike[str]) -> None:
        """Save the whole state (data, networks, optimizer states, RNG) to ``path``."""
        self._setup()
        collab_meta, collab_tensors = (
            self.collab_.state() if self.collab_ is not None else (None, {})
        )
        meta: dict[str, Any] = {
            "format": _FORMAT_VERSION,
            "params": {
                "bounds": np.asarray(self.bounds, dtype=np.float64).tolist(),
                "n_networks": self.n_networks,
                "seed": self.seed,
                "integer": [int(i) for i in np.flatnonzero(self._space.integer)],
                "maximize": self.maximize,
                "noisy": self.noisy,
                "n_init": self.n_init,
                "n_init_max": self.n_init_max,
                "local_every": self.local_every,
                "exploration": self.exploration,
                "batch_size": self.batch_size,
                "train_steps": self.train_steps,
                "train_steps_per_point": self.train_steps_per_point,
                "threads": self.threads,
                "trainer": self.trainer,
                "collaboration": self.collaboration,
                "low_sticks": self.low_sticks,
                "coordinate_probes": self.coordinate_probes,
            },
            "pad": [self.model_.width, self.model_.depth],
            "specs": self.model_.spec_dicts(),
            "rng": self.rng_.bit_generator.state,
            "sigma_local": self.sigma_local_,
            "probe_share": self.probe_share_,
            "probe_credit": self.probe_credit_,
            "phase": self.phase_,
            "pretrain_size": self.pretrain_size_,
            "n_main_slots": self.n_main_slots_,
            "n_local_slots": self.n_local_slots_,
            "skill_pred": self.skill_pred_,
            "skill_y": self.skill_y_,
            "pending": [[k.hex(), *v] for k, v in self.pending_.items()],
            "trainer_steps": self.trainer_.step_count,
            "collab": collab_meta,
            "y": [None if not np.isfinite(v) else float(v) for v in self.y_],
        }
        blob = {
            "meta": json.dumps(meta),
            "X": torch.as_tensor(self.X_),
            "steps": torch.as_tensor(self.steps_),
            "radius": torch.as_tensor(self.radius_),
            "error": torch.as_tensor(self.error_),
            "stick_x": torch.as_tensor(self.stick_x_),
            "stick_y": torch.as_tensor(self.stick_y_),
            "stick_sigma": torch.as_tensor(self.stick_sigma_),
            "stick_restart": torch.as_tensor(self.stick_restart_),
            "stick_evals": torch.as_tensor(self.stick_evals_),
            "model": self.model_.state_dict(),
            "trainer": self.trainer_.state_tensors(),
            "collab": collab_tensors,
        }
        torch.save(blob, os.fspath(path))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> EnsembleOptimizer:
        """Load an optimizer saved by :meth:`save`; it continues exactly where it stopped."""
        blob = torch.load(os.fspath(path), weights_only=True)
        meta = json.loads(blob["meta"])
        if meta.get("format") != _FORMAT_VERSION:
            raise ValueError(f"unsupported optimizer state format {meta.get('format')!r}")
        p = meta["params"]
        opt = cls(
            [tuple(b) for b in p["bounds"]],
            n_networks=p["n_networks"],
            seed=p["seed"],
            integer=p["integer"],
            maximize=p["maximize"],
            noisy=p["noisy"],
            n_init=p["n_init"],
            n_init_max=p["n_init_max"],
            local_every=p["local_every"],
            exploration=p["exploration"],
            batch_size=p["batch_size"],
            train_steps=p["train_steps"],
            train_steps_per_point=p["train_steps_per_point"],
            threads=p["threads"],
            trainer=p.get("trainer", "gradient"),
            low_sticks=p.get("low_sticks", "ensemble"),
            collaboration=p.get("collaboration", "none"),
            coordinate_probes=p.get("coordinate_probes", False),  # files before 2026-12-04
        )
        opt._setup()
        opt._build([MemberSpec(**s) for s in meta["specs"]], meta.get("pad"))
        opt.model_.load_state_dict(blob["model"])
        opt.trainer_.load_state_tensors(blob["trainer"], int(meta["trainer_steps"]))
        opt.rng_.bit_generator.state = meta["rng"]
        opt.X_ = blob["X"].numpy().copy()
        opt.y_ = np.array([np.nan if v is None else v for v in meta["y"]], dtype=np.float64)
        opt.steps_ = blob["steps"].numpy().copy()
        opt.radius_ = blob["radius"].numpy().copy()
        opt.error_ = blob["error"].numpy().copy()
        opt.stick_x_ = blob["stick_x"].numpy().copy()
        opt.stick_y_ = blob["stick_y"].numpy().copy()
        opt.stick_sigma_ = blob["stick_sigma"].numpy().copy()
        opt.stick_restart_ = blob["stick_restart"].numpy().copy()
        opt.stick_evals_ = blob["stick_evals"].numpy().copy()
        opt.sigma_local_ = float(meta["sigma_local"])
        opt.probe_share_ = float(meta.get("probe_share", _PROBE_SHARE_INIT))
        opt.probe_credit_ = float(meta.get("probe_credit", 0.0))
        opt.phase_ = str(meta["phase"])
        opt.pretrain_size_ = meta["pretrain_size"]
        opt.n_main_slots_ = int(meta["n_main_slots"])
        opt.n_local_slots_ = int(meta["n_local_slots"])
        opt.skill_pred_ = [float(v) for v in meta["skill_pred"]]
        opt.skill_y_ = [float(v) for v in meta["skill_y"]]
        opt.pending_ = {
            bytes.fromhex(h): (kind, int(m), int(j)) for h, kind, m, j in meta["pending"]
        }
        if opt.collab_ is not None and meta.get("collab") is not None:
            opt.collab_.load_state(meta["collab"], blob.get("collab", {}), opt.model_)
        return opt

    def __repr__(self) -> str:
        return (
            f"EnsembleOptimizer(n_networks={self.n_networks}, seed={self.seed}, "
            f"maximize={self.maximize}, noisy={self.noisy}, dim={self._space.dim}"
            + (f", trainer={self.trainer!r}" if self.trainer != "gradient" else "")
            + (f", collaboration={self.collaboration!r}" if self.collaboration != "none" else "")
            + (f", low_sticks={self.low_sticks!r}" if self.low_sticks != "local-gp" else "")
            + ("" if self.coordinate_probes else ", coordinate_probes=False")
            + ")"
        )
