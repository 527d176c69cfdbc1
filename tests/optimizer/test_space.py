"""Tests of surge.optimizer.space: unit-cube mapping, integers, validation."""

from __future__ import annotations

import numpy as np
import pytest

from surge.optimizer import SearchSpace


class TestMapping:
    def test_round_trip_any_scale(self) -> None:
        """Native -> unit -> native is the identity for bounds of very different scales."""
        space = SearchSpace.from_bounds([(-1e6, 1e6), (1e-9, 2e-9), (3.0, 4.0)])
        x = np.array([[-5e5, 1.5e-9, 3.25], [1e6, 1e-9, 4.0]])
        u = space.to_unit(x)
        np.testing.assert_allclose(u, [[0.25, 0.5, 0.25], [1.0, 0.0, 1.0]])
        np.testing.assert_allclose(space.from_unit(u), x)

    def test_from_unit_clips_into_box(self) -> None:
        """Unit points outside [0, 1] are clipped to the box."""
        space = SearchSpace.from_bounds([(0.0, 10.0)])
        np.testing.assert_array_equal(space.from_unit(np.array([[-0.5], [1.5]])), [[0.0], [10.0]])

    def test_integer_snapping(self) -> None:
        """Integer parameters come back rounded and snap() returns their exact unit value."""
        space = SearchSpace.from_bounds([(0.0, 1.0), (1, 5)], integer=[1])
        x = space.from_unit(np.array([0.3, 0.6]))
        assert x[1] == 3.0  # 1 + 0.6 * 4 = 3.4 -> 3
        np.testing.assert_allclose(space.snap(np.array([0.3, 0.6])), [0.3, 0.5])

    def test_integer_mask_and_fractional_bounds(self) -> None:
        """A boolean mask works and fractional integer bounds shrink to integers."""
        space = SearchSpace.from_bounds([(0.5, 7.5), (0.0, 1.0)], integer=[True, False])
        assert space.low[0] == 1.0 and space.high[0] == 7.0
        assert space.contains(np.array([3.0, 0.5]))
        assert not space.contains(np.array([3.5, 0.5]))


class TestValidation:
    @pytest.mark.parametrize(
        ("bounds", "match"),
        [
            ([(1.0, 1.0)], "low < high"),
            ([(2.0, 1.0)], "low < high"),
            ([], "non-empty"),
            ([(0.0, float("inf"))], "finite"),
            ([(0.0, 1.0, 2.0)], "pairs"),
            ("abc", "pairs"),
        ],
    )
    def test_bad_bounds(self, bounds: object, match: str) -> None:
        """Invalid bounds raise ValueError with a message naming the problem."""
        with pytest.raises(ValueError, match=match):
            SearchSpace.from_bounds(bounds)  # type: ignore[arg-type]

    def test_bad_integer_index(self) -> None:
        """An integer index out of range is rejected."""
        with pytest.raises(ValueError, match="integer"):
            SearchSpace.from_bounds([(0, 1)], integer=[3])

    def test_integer_box_too_small(self) -> None:
        """An integer parameter needs at least two integer values."""
        with pytest.raises(ValueError, match="two integer"):
            SearchSpace.from_bounds([(0.2, 0.8)], integer=[0])
