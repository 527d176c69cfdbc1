"""The search space: a box of real and integer parameters, mapped to the unit cube.

Design
------
Everything the optimizer learns and proposes lives in the unit cube ``[0, 1]^n``: the
networks see inputs of order one whatever the user's scale (a block size in bytes next
to a ratio), the ascent steps and trust radii are fractions of each side, and the
Gaussian exploration has one meaning in every dimension. :class:`SearchSpace` is the only
place that knows the user's box. It maps native points to unit points (``to_unit``) and
back (``from_unit``), clipping into the box, and *snaps* integer parameters: a unit point
is mapped to native, its integer coordinates are rounded, and it is mapped back, so the
unit point the networks are told about is exactly the point that was evaluated.

Shapes are the contract: every method takes ``(..., n)`` arrays and returns ``(..., n)``.
The space is a frozen value object, validated once at the boundary with one message shape.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = ["SearchSpace"]

FloatArray = NDArray[np.float64]
_PAIR = 2


@dataclass(frozen=True, eq=False)
class SearchSpace:
    """A box ``[low_i, high_i]`` per parameter, some of them integer.

    Build it with :meth:`from_bounds`. Attributes are read-only arrays of shape ``(n,)``.

    Attributes:
        low: lower bounds, native units, shape ``(n,)``.
        high: upper bounds, native units, shape ``(n,)``; ``high > low`` elementwise.
        integer: ``True`` where the parameter takes integer values only, shape ``(n,)``.
    """

    low: FloatArray
    high: FloatArray
    integer: NDArray[np.bool_] = field(repr=False)

    @classmethod
    def from_bounds(
        cls,
        bounds: Sequence[tuple[float, float]] | Sequence[Sequence[float]] | NDArray[np.float64],
        integer: Sequence[int] | Sequence[bool] | None = None,
    ) -> SearchSpace:
        """Validate ``bounds`` and build the space.

        Args:
            bounds: a sequence of ``(low, high)`` pairs, one per parameter, or an array of
                shape ``(n, 2)``; finite, with ``low < high``.
            integer: indices of the integer parameters, or a boolean mask of length ``n``.
                Integer parameters must have at least two integer values in their box.

        Returns:
            The search space.

        Raises:
            ValueError: bounds are empty, not pairs, not finite, or some ``low >= high``;
                an integer index is out of range or its box holds fewer than two integers.
        """
        try:
            arr = np.asarray(bounds, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"The 'bounds' parameter must be a sequence of (low, high) pairs of numbers. "
                f"Got {bounds!r} instead."
            ) from exc
        if arr.ndim != _PAIR or arr.shape[1] != _PAIR or arr.shape[0] == 0:
            raise ValueError(
                "The 'bounds' parameter must be a non-empty sequence of (low, high) pairs. "
                f"Got shape {arr.shape} instead."
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(
                f"The 'bounds' parameter must be finite. Got {arr.tolist()!r} instead."
            )
        bad = np.flatnonzero(arr[:, 0] >= arr[:, 1])
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"The 'bounds' parameter must have low < high for every parameter. "
                f"Got low={arr[i, 0]!r} >= high={arr[i, 1]!r} for parameter {i} instead."
            )
        n = arr.shape[0]
        mask = np.zeros(n, dtype=np.bool_)
        if integer is not None:
            items = list(integer)
            if items and all(isinstance(v, bool | np.bool_) for v in items):
                if len(items) != n:
                    raise ValueError(
                        f"The 'integer' mask must have one entry per parameter ({n}). "
                        f"Got {len(items)} entries instead."
                    )
                mask = np.asarray(items, dtype=np.bool_)
            else:
                for v in items:
                    if not isinstance(v, int | np.integer) or not 0 <= int(v) < n:
                        raise ValueError(
                            f"The 'integer' parameter must hold indices in [0, {n}). "
                            f"Got {v!r} instead."
                        )
                    mask[int(v)] = True
        for idx in np.flatnonzero(mask):
            if math.floor(arr[idx, 1]) - math.ceil(arr[idx, 0]) < 1:
                raise ValueError(
                    f"Integer parameter {int(idx)} must allow at least two integer values. "
                    f"Got bounds ({arr[idx, 0]!r}, {arr[idx, 1]!r}) instead."
                )
        low = arr[:, 0].copy()
        high = arr[:, 1].copy()
        low[mask] = np.ceil(low[mask])
        high[mask] = np.floor(high[mask])
        for a in (low, high, mask):
            a.setflags(write=False)
        return cls(low=low, high=high, integer=mask)

    @property
    def dim(self) -> int:
        """Number of parameters ``n``."""
        return int(self.low.shape[0])

    @property
    def has_integers(self) -> bool:
        """Whether any parameter is integer."""
        return bool(self.integer.any())

    def to_unit(self, x: FloatArray) -> FloatArray:
        """Map native points to the unit cube.

        Args:
            x: points, native units, shape ``(..., n)``.

        Returns:
            Points in ``[0, 1]^n`` (clipped), shape ``(..., n)``.
        """
        u = (np.asarray(x, dtype=np.float64) - self.low) / (self.high - self.low)
        return np.clip(u, 0.0, 1.0)

    def from_unit(self, u: FloatArray) -> FloatArray:
        """Map unit points to native points, rounding the integer parameters.

        Args:
            u: points in the unit cube, shape ``(..., n)`` (values outside are clipped).

        Returns:
            Native points inside the box, shape ``(..., n)``.
        """
        uc = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
        x = self.low + uc * (self.high - self.low)
        if self.has_integers:
            x = np.where(self.integer, np.round(x), x)
        return np.clip(x, self.low, self.high)

    def snap(self, u: FloatArray) -> FloatArray:
        """Snap unit points to the points that will really be evaluated.

        Args:
            u: points in the unit cube, shape ``(..., n)``.

        Returns:
            ``to_unit(from_unit(u))``: clipped, with integer parameters on their grid,
            shape ``(..., n)``.
        """
        if not self.has_integers:
            return np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
        return self.to_unit(self.from_unit(u))

    def contains(self, x: FloatArray) -> NDArray[np.bool_]:
        """Whether native points lie in the box (integers on their grid).

        Args:
            x: points, native units, shape ``(..., n)``.

        Returns:
            A boolean array of shape ``(...)``.
        """
        xa = np.asarray(x, dtype=np.float64)
        inside = np.all((xa >= self.low) & (xa <= self.high), axis=-1)
        if self.has_integers:
            on_grid = np.all(~self.integer | (xa == np.round(xa)), axis=-1)
            inside = inside & on_grid
        return np.asarray(inside, dtype=np.bool_)
