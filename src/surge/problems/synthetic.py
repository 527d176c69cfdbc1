"""Synthetic benchmark problems that carry their optima (BoTorch style).

Design
------
Each problem keeps its formula next to its dimension, bounds, sense (``"max"`` or
``"min"``), optimal value and optimizers, so one generic test checks
``f(optimizer) == optimal_value`` for every function, and a benchmark can report the
*distance* of a best point to the nearest optimizer and the *regret* without knowing
anything about the function. The optimizer sees only a plain callable ``f(x) -> float``
on a NumPy array of shape ``(n,)``; problems also evaluate batches ``(m, n) -> (m,)``.

Noise: ``noise_std > 0`` adds Gaussian noise of that standard deviation (objective units)
from the problem's own generator (``seed``), so a noisy run is reproducible;
:meth:`SyntheticProblem.evaluate_true` is always noise-free.

This module may import only the optimizer's search space (never the simulator).

Sources of the constants: Hartmann-3/-6 (Dixon and Szego 1978), Branin (1972), Ackley,
Levy, Rosenbrock, Styblinski-Tang and Michalewicz as in the Virtual Library of
Simulation Experiments (Surjanovic and Bingham) and BoTorch's ``test_functions``.
Hartmann-6 here is the standard function with its sign flipped, so that it is maximized:
maximum 3.32237 at (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573), as in the
seed study.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from surge.optimizer.space import SearchSpace

__all__ = [
    "PROBLEMS",
    "Ackley",
    "Branin",
    "Hartmann3",
    "Hartmann6",
    "Levy",
    "Michalewicz",
    "Rosenbrock",
    "StyblinskiTang",
    "SyntheticProblem",
    "make_problem",
]

FloatArray = NDArray[np.float64]
_MATRIX = 2


class SyntheticProblem:
    """Base class: a function with bounds, a sense and known optima.

    Subclasses set the class attributes and implement :meth:`_evaluate`.

    Args:
        noise_std: standard deviation of additive Gaussian noise, objective units (>= 0).
        seed: seed of the noise generator.

    Attributes:
        name: registry name (``"hartmann6"``).
        dim: number of parameters n.
        sense: ``"max"`` or ``"min"``.
        optimal_value: the best value of the noise-free function.
        optimizers: the known optimal points, shape ``(p, n)``.
    """

    name: str = ""
    dim: int = 0
    sense: str = "min"
    optimal_value: float = 0.0
    _bounds: tuple[tuple[float, float], ...] = ()
    _optimizers: tuple[tuple[float, ...], ...] = ()

    def __init__(self, noise_std: float = 0.0, seed: int = 0) -> None:
        if not (math.isfinite(noise_std) and noise_std >= 0.0):
            raise ValueError(
                f"The 'noise_std' parameter of {type(self).__name__} must be a finite number "
                f">= 0. Got {noise_std!r} instead."
            )
        self.noise_std = float(noise_std)
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    @property
    def bounds(self) -> list[tuple[float, float]]:
        """``(low, high)`` per parameter."""
        return list(self._bounds)

    @property
    def space(self) -> SearchSpace:
        """The problem's box as a :class:`SearchSpace`."""
        return SearchSpace.from_bounds(self.bounds)

    @property
    def optimizers(self) -> FloatArray:
        """Known optimal points, shape ``(p, n)``."""
        return np.asarray(self._optimizers, dtype=np.float64)

    @property
    def maximize(self) -> bool:
        """Whether larger values are better."""
        return self.sense == "max"

    def _evaluate(self, x: FloatArray) -> FloatArray:
        raise NotImplementedError

    def evaluate_true(self, x: FloatArray | Sequence[float]) -> FloatArray:
        """Noise-free values.

        Args:
            x: points of shape ``(n,)`` or ``(m, n)``.

        Returns:
            Values of shape ``()`` or ``(m,)``.
        """
        xa = np.asarray(x, dtype=np.float64)
        single = xa.ndim == 1
        xb = xa[None, :] if single else xa
        if xb.ndim != _MATRIX or xb.shape[1] != self.dim:
            raise ValueError(f"{self.name} expects points of shape (m, {self.dim}), got {xa.shape}")
        out = self._evaluate(xb)
        return out[0] if single else out

    def __call__(self, x: FloatArray | Sequence[float]) -> float:
        """One (possibly noisy) evaluation at a point of shape ``(n,)``."""
        value = float(self.evaluate_true(np.asarray(x, dtype=np.float64).reshape(self.dim)))
        if self.noise_std > 0.0:
            value += self.noise_std * float(self._rng.standard_normal())
        return value

    def distance(self, x: FloatArray | Sequence[float]) -> float:
        """Euclidean distance from ``x`` (shape ``(n,)``) to the nearest known optimizer."""
        xa = np.asarray(x, dtype=np.float64).reshape(1, self.dim)
        return float(np.sqrt(((self.optimizers - xa) ** 2).sum(axis=1)).min())

    def regret(self, value: float) -> float:
        """How far ``value`` is from the optimal value (>= 0 for feasible values)."""
        return self.optimal_value - value if self.maximize else value - self.optimal_value

    def __repr__(self) -> str:
        return f"{type(self).__name__}(noise_std={self.noise_std}, seed={self.seed})"


_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array(
    [
        [10.0, 3.0, 17.0, 3.5, 1.7, 8.0],
        [0.05, 10.0, 17.0, 0.1, 8.0, 14.0],
        [3.0, 3.5, 1.7, 10.0, 17.0, 8.0],
        [17.0, 8.0, 0.05, 10.0, 0.1, 14.0],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H3_A = np.array([[3.0, 10.0, 30.0], [0.1, 10.0, 35.0], [3.0, 10.0, 30.0], [0.1, 10.0, 35.0]])
_H3_P = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
)


def _hartmann(x: FloatArray, a: FloatArray, p: FloatArray) -> FloatArray:
    inner = (a[None, :, :] * (x[:, None, :] - p[None, :, :]) ** 2).sum(axis=2)
    return np.asarray((_H6_ALPHA[None, :] * np.exp(-inner)).sum(axis=1), dtype=np.float64)


class Hartmann6(SyntheticProblem):
    """Hartmann-6 (sign flipped: maximized), on ``[0, 1]^6``; 6 local maxima."""

    name = "hartmann6"
    dim = 6
    sense = "max"
    optimal_value = 3.322368011415515
    _bounds = ((0.0, 1.0),) * 6
    _optimizers = ((0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573),)

    def _evaluate(self, x: FloatArray) -> FloatArray:
        return _hartmann(x, _H6_A, _H6_P)


class Hartmann3(SyntheticProblem):
    """Hartmann-3 (sign flipped: maximized), on ``[0, 1]^3``."""

    name = "hartmann3"
    dim = 3
    sense = "max"
    optimal_value = 3.86278214782076
    _bounds = ((0.0, 1.0),) * 3
    _optimizers = ((0.114614, 0.555649, 0.852547),)

    def _evaluate(self, x: FloatArray) -> FloatArray:
        return _hartmann(x, _H3_A, _H3_P)


class Branin(SyntheticProblem):
    """Branin, minimized on ``[-5, 10] x [0, 15]``; three global minima."""

    name = "branin"
    dim = 2
    sense = "min"
    optimal_value = 0.39788735772973816
    _bounds = ((-5.0, 10.0), (0.0, 15.0))
    _optimizers = ((-math.pi, 12.275), (math.pi, 2.275), (9.42477796076938, 2.475))

    def _evaluate(self, x: FloatArray) -> FloatArray:
        x1, x2 = x[:, 0], x[:, 1]
        b = 5.1 / (4.0 * math.pi**2)
        c = 5.0 / math.pi
        t = 1.0 / (8.0 * math.pi)
        return np.asarray(
            (x2 - b * x1**2 + c * x1 - 6.0) ** 2 + 10.0 * (1.0 - t) * np.cos(x1) + 10.0,
            dtype=np.float64,
        )


class _Scalable(SyntheticProblem):
    """A problem whose dimension is a constructor argument."""

    _low: float = 0.0
    _high: float = 1.0
    _opt_coord: float = 0.0

    def __init__(self, dim: int = 2, noise_std: float = 0.0, seed: int = 0) -> None:
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ValueError(
                f"The 'dim' parameter of {type(self).__name__} must be an int >= 1. "
                f"Got {dim!r} instead."
            )
        super().__init__(noise_std=noise_std, seed=seed)
        self.dim = dim
        self._bounds = ((self._low, self._high),) * dim
        self._optimizers = ((self._opt_coord,) * dim,)


class Ackley(_Scalable):
    """Ackley, minimized on ``[-32.768, 32.768]^n``; minimum 0 at the origin."""

    name = "ackley"
    sense = "min"
    optimal_value = 0.0
    _low, _high, _opt_coord = -32.768, 32.768, 0.0

    def _evaluate(self, x: FloatArray) -> FloatArray:
        a, b, c = 20.0, 0.2, 2.0 * math.pi
        n = x.shape[1]
        s1 = np.sqrt((x**2).sum(axis=1) / n)
        s2 = np.cos(c * x).sum(axis=1) / n
        return np.asarray(-a * np.exp(-b * s1) - np.exp(s2) + a + math.e, dtype=np.float64)


class Levy(_Scalable):
    """Levy, minimized on ``[-10, 10]^n``; minimum 0 at ``(1, ..., 1)``."""

    name = "levy"
    sense = "min"
    optimal_value = 0.0
    _low, _high, _opt_coord = -10.0, 10.0, 1.0

    def _evaluate(self, x: FloatArray) -> FloatArray:
        w = 1.0 + (x - 1.0) / 4.0
        head = np.sin(math.pi * w[:, 0]) ** 2
        mid = ((w[:, :-1] - 1.0) ** 2 * (1.0 + 10.0 * np.sin(math.pi * w[:, :-1] + 1.0) ** 2)).sum(
            axis=1
        )
        tail = (w[:, -1] - 1.0) ** 2 * (1.0 + np.sin(2.0 * math.pi * w[:, -1]) ** 2)
        return np.asarray(head + mid + tail, dtype=np.float64)


class Rosenbrock(_Scalable):
    """Rosenbrock, minimized on ``[-5, 10]^n``; minimum 0 at ``(1, ..., 1)``."""

    name = "rosenbrock"
    sense = "min"
    optimal_value = 0.0
    _low, _high, _opt_coord = -5.0, 10.0, 1.0

    def _evaluate(self, x: FloatArray) -> FloatArray:
        return np.asarray(
            (100.0 * (x[:, 1:] - x[:, :-1] ** 2) ** 2 + (x[:, :-1] - 1.0) ** 2).sum(axis=1),
            dtype=np.float64,
        )


class StyblinskiTang(_Scalable):
    """Styblinski-Tang, minimized on ``[-5, 5]^n``; minimum ``-39.16617 n``."""

    name = "styblinski_tang"
    sense = "min"
    _low, _high, _opt_coord = -5.0, 5.0, -2.903534027771177

    def __init__(self, dim: int = 2, noise_std: float = 0.0, seed: int = 0) -> None:
        super().__init__(dim=dim, noise_std=noise_std, seed=seed)
        self.optimal_value = -39.166165703771412 * dim

    def _evaluate(self, x: FloatArray) -> FloatArray:
        return np.asarray(0.5 * (x**4 - 16.0 * x**2 + 5.0 * x).sum(axis=1), dtype=np.float64)


_MICHALEWICZ_OPTIMA = {
    2: (-1.8013034100985537, (2.20290552, 1.57079633)),
    5: (-4.687658179, (2.202906, 1.570796, 1.284992, 1.923058, 1.720470)),
}


class Michalewicz(_Scalable):
    """Michalewicz (m = 10), minimized on ``[0, pi]^n``; optima known for n = 2 and 5."""

    name = "michalewicz"
    sense = "min"
    _low, _high = 0.0, math.pi

    def __init__(self, dim: int = 2, noise_std: float = 0.0, seed: int = 0) -> None:
        if dim not in _MICHALEWICZ_OPTIMA:
            raise ValueError(
                f"The 'dim' parameter of Michalewicz must be one of "
                f"{sorted(_MICHALEWICZ_OPTIMA)} (known optima). Got {dim!r} instead."
            )
        super().__init__(dim=dim, noise_std=noise_std, seed=seed)
        value, point = _MICHALEWICZ_OPTIMA[dim]
        self.optimal_value = value
        self._optimizers = (point,)

    def _evaluate(self, x: FloatArray) -> FloatArray:
        i = np.arange(1, x.shape[1] + 1, dtype=np.float64)
        return np.asarray(
            -(np.sin(x) * np.sin(i * x**2 / math.pi) ** 20).sum(axis=1), dtype=np.float64
        )


PROBLEMS: dict[str, Callable[..., SyntheticProblem]] = {
    "hartmann6": Hartmann6,
    "hartmann3": Hartmann3,
    "branin": Branin,
    "ackley": Ackley,
    "levy": Levy,
    "rosenbrock": Rosenbrock,
    "styblinski_tang": StyblinskiTang,
    "michalewicz": Michalewicz,
}


def make_problem(
    name: str, *, dim: int | None = None, noise_std: float = 0.0, seed: int = 0
) -> SyntheticProblem:
    """Build a registered problem by name.

    Args:
        name: one of :data:`PROBLEMS`.
        dim: dimension for the scalable problems (ignored by fixed-dimension ones;
            default 2, Michalewicz 2 or 5).
        noise_std: additive Gaussian noise, objective units.
        seed: seed of the noise generator.

    Returns:
        The problem.

    Raises:
        ValueError: unknown name or invalid dimension.
    """
    factory = PROBLEMS.get(name)
    if factory is None:
        raise ValueError(
            f"unknown problem {name!r}; allowed values: {', '.join(sorted(PROBLEMS))}"
        )
    if issubclass(factory, _Scalable) if isinstance(factory, type) else False:
        return factory(dim=2 if dim is None else dim, noise_std=noise_std, seed=seed)
    if dim is not None and dim != factory(noise_std=noise_std, seed=seed).dim:
        raise ValueError(f"problem {name!r} has a fixed dimension; got dim={dim}")
    return factory(noise_std=noise_std, seed=seed)
