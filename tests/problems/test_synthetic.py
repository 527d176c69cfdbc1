"""Tests of surge.problems.synthetic: every benchmark function at its known optimum."""

from __future__ import annotations

import numpy as np
import pytest

from surge.problems import (
    PROBLEMS,
    Branin,
    Hartmann6,
    Michalewicz,
    SyntheticProblem,
    make_problem,
)


def _all_problems() -> list[SyntheticProblem]:
    out = []
    for name in sorted(PROBLEMS):
        dims = [2, 5] if name == "michalewicz" else [None]
        if name in ("ackley", "levy", "rosenbrock", "styblinski_tang"):
            dims = [2, 6]
        out += [make_problem(name, dim=d) for d in dims]
    return out


@pytest.mark.parametrize("problem", _all_problems(), ids=lambda p: f"{p.name}-{p.dim}")
class TestKnownOptimum:
    def test_value_at_optimizers(self, problem: SyntheticProblem) -> None:
        """Each known optimizer evaluates to the problem's optimal value."""
        values = problem.evaluate_true(problem.optimizers)
        np.testing.assert_allclose(values, problem.optimal_value, rtol=1e-5, atol=1e-5)

    def test_optimum_beats_random_points(self, problem: SyntheticProblem) -> None:
        """No random point of the box beats the optimal value."""
        rng = np.random.default_rng(0)
        lo, hi = np.array(problem.bounds).T
        vals = problem.evaluate_true(lo + (hi - lo) * rng.random((2000, problem.dim)))
        if problem.maximize:
            assert vals.max() <= problem.optimal_value + 1e-9
        else:
            assert vals.min() >= problem.optimal_value - 1e-9

    def test_optimizers_inside_bounds(self, problem: SyntheticProblem) -> None:
        """Every known optimizer lies inside the bounds."""
        assert problem.space.contains(problem.optimizers).all()

    def test_distance_and_regret_zero_at_optimum(self, problem: SyntheticProblem) -> None:
        """Distance and regret vanish at the optimizer."""
        x = problem.optimizers[0]
        assert problem.distance(x) == 0.0
        assert abs(problem.regret(float(problem.evaluate_true(x)))) < 1e-5


class TestHartmann6:
    def test_seed_values(self) -> None:
        """Hartmann-6 is maximized with maximum 3.32237 and the 3.20316 local maximum."""
        p = Hartmann6()
        assert p.sense == "max"
        assert p(p.optimizers[0]) == pytest.approx(3.32237, abs=1e-5)
        local = np.array([0.40465, 0.88244, 0.84610, 0.57399, 0.13893, 0.03850])
        assert p(local) == pytest.approx(3.20316, abs=1e-4)
        assert p.distance(local) == pytest.approx(1.10, abs=0.01)

    def test_batch_matches_single(self) -> None:
        """A batch evaluation equals point-by-point evaluation."""
        p = Hartmann6()
        x = np.random.default_rng(1).random((5, 6))
        np.testing.assert_allclose(p.evaluate_true(x), [p(xi) for xi in x])


class TestNoise:
    def test_noise_is_reproducible_and_unbiased(self) -> None:
        """Noisy evaluations repeat with the seed and average to the true value."""
        a, b = Branin(noise_std=0.5, seed=3), Branin(noise_std=0.5, seed=3)
        x = np.array([1.0, 2.0])
        va = np.array([a(x) for _ in range(2000)])
        vb = np.array([b(x) for _ in range(2000)])
        np.testing.assert_array_equal(va, vb)
        assert va.std() == pytest.approx(0.5, rel=0.1)
        assert va.mean() == pytest.approx(float(a.evaluate_true(x)), abs=0.05)

    def test_noise_free_by_default(self) -> None:
        """Without noise two evaluations are identical."""
        p = Hartmann6()
        x = np.full(6, 0.3)
        assert p(x) == p(x)


class TestErrors:
    def test_unknown_problem_names_allowed_values(self) -> None:
        """An unknown name raises and lists the allowed names."""
        with pytest.raises(ValueError, match="hartmann6"):
            make_problem("nope")

    def test_bad_noise(self) -> None:
        """Negative noise is rejected."""
        with pytest.raises(ValueError, match="noise_std"):
            Hartmann6(noise_std=-1.0)

    def test_michalewicz_unknown_dim(self) -> None:
        """Michalewicz only offers dimensions with known optima."""
        with pytest.raises(ValueError, match="dim"):
            Michalewicz(dim=3)

    def test_wrong_shape(self) -> None:
        """A point of the wrong dimension is rejected."""
        with pytest.raises(ValueError, match="shape"):
            Hartmann6().evaluate_true(np.zeros(3))
