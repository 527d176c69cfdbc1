"""Tests of surge.optimizer: ask/tell, determinism, persistence, failures, errors."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from scipy.stats import norm

from surge.optimizer import EnsembleOptimizer, maximize, minimize
from surge.problems import Branin, Hartmann3


def _sphere(x: np.ndarray) -> float:
    return float(-((x - np.array([0.3, -2.0])) ** 2).sum())


BOUNDS = [(-1.0, 1.0), (-5.0, 5.0)]


def _drive(opt: EnsembleOptimizer, f, n: int, q: int = 1) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    asked = []
    for _ in range(n):
        xs = opt.ask(q)
        asked.append(xs)
        opt.tell(xs, [f(x) for x in xs])
    return asked


class TestAskTell:
    def test_constructor_only_stores(self) -> None:
        """The constructor stores its arguments and creates no learned state."""
        opt = EnsembleOptimizer(BOUNDS, n_networks=3, seed=4)
        assert opt.n_networks == 3 and opt.seed == 4
        assert not hasattr(opt, "model_")
        assert "n_networks=3" in repr(opt)

    @pytest.mark.parametrize("q", [1, 4, 9])
    def test_ask_q_distinct_in_bounds(self, q: int) -> None:
        """ask(q) returns q distinct points inside the bounds, in both phases."""
        opt = EnsembleOptimizer(BOUNDS, n_networks=3, seed=1)
        for _ in range(max(6, 30 // q)):
            xs = opt.ask(q)
            assert xs.shape == (q, 2)
            assert opt.space_.contains(xs).all()
            assert len({tuple(x) for x in xs}) == q
            opt.tell(xs, [_sphere(x) for x in xs])
        assert opt.phase_ == "main"

    def test_integer_parameters(self) -> None:
        """Integer parameters are proposed as integers within their bounds."""
        opt = EnsembleOptimizer([(0.0, 1.0), (1, 6)], integer=[1], n_networks=2, seed=0)
        for _ in range(20):
            xs = opt.ask(2)
            assert np.all(xs[:, 1] == np.round(xs[:, 1]))
            assert np.all((xs[:, 1] >= 1) & (xs[:, 1] <= 6))
            opt.tell(xs, [-(x[0] - 0.5) ** 2 - (x[1] - 4) ** 2 for x in xs])
        assert opt.best_x_[1] == 4.0

    def test_same_seed_same_run(self) -> None:
        """Two optimizers with the same seed make bit-identical suggestions."""
        a = _drive(EnsembleOptimizer(BOUNDS, n_networks=3, seed=7), _sphere, 30)
        b = _drive(EnsembleOptimizer(BOUNDS, n_networks=3, seed=7), _sphere, 30)
        c = _drive(EnsembleOptimizer(BOUNDS, n_networks=3, seed=8), _sphere, 30)
        for xa, xb in zip(a, b, strict=True):
            np.testing.assert_array_equal(xa, xb)
        assert any(not np.array_equal(xa, xc) for xa, xc in zip(a, c, strict=True))

    def test_save_load_resumes_identically(self, tmp_path: Path) -> None:
        """A saved and reloaded optimizer makes the same next suggestions as the original."""
        opt = EnsembleOptimizer(BOUNDS, n_networks=4, seed=3)
        _drive(opt, _sphere, 25)
        opt.ask(2)  # a pending batch survives the round trip too
        path = tmp_path / "state.pt"
        opt.save(path)
        twin = EnsembleOptimizer.load(path)
        np.testing.assert_array_equal(twin.X_, opt.X_)
        for _ in range(5):
            xa, xb = opt.ask(2), twin.ask(2)
            np.testing.assert_array_equal(xa, xb)
            ya = [_sphere(x) for x in xa]
            opt.tell(xa, ya)
            twin.tell(xb, ya)

    def test_save_load_keeps_low_sticks(self, tmp_path: Path) -> None:
        """low_sticks="ensemble" (not the default) survives save/load; the twin agrees."""
        opt = EnsembleOptimizer(BOUNDS, n_networks=3, seed=5, low_sticks="ensemble")
        _drive(opt, _sphere, 40)
        path = tmp_path / "state.pt"
        opt.save(path)
        twin = EnsembleOptimizer.load(path)
        assert twin.low_sticks == "ensemble"
        assert "low_sticks='ensemble'" in repr(twin)
        assert "low_sticks" not in repr(EnsembleOptimizer(BOUNDS))  # the default is quiet
        assert EnsembleOptimizer(BOUNDS).low_sticks == "local-gp"
        for _ in range(5):
            xa, xb = opt.ask(1), twin.ask(1)
            np.testing.assert_array_equal(xa, xb)
            opt.tell(xa, [_sphere(xa[0])])
            twin.tell(xb, [_sphere(xb[0])])

    def test_low_sticks_ignored_when_noisy(self) -> None:
        """Under noisy=True the local GP is not used: the same suggestions either way."""
        runs = []
        for low in ("ensemble", "local-gp"):
            opt = EnsembleOptimizer(BOUNDS, n_networks=3, seed=4, noisy=True, low_sticks=low)
            runs.append(np.concatenate(_drive(opt, _sphere, 40)))
        np.testing.assert_array_equal(runs[0], runs[1])

    def test_low_sticks_changes_the_climbs(self) -> None:
        """Noise-free, local-gp (the default) climbs differently from "ensemble"."""
        runs = []
        for low in ("ensemble", "local-gp"):
            opt = EnsembleOptimizer(BOUNDS, n_networks=3, seed=4, low_sticks=low)
            runs.append(np.concatenate(_drive(opt, _sphere, 40)))
        assert not np.array_equal(runs[0], runs[1])

    def test_blas_runs_on_the_optimizer_threads(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Inside ask(), numpy/scipy BLAS uses `threads` threads; the caller's count returns."""
        import threadpoolctl

        import surge.optimizer._core as core

        seen: list[int] = []
        real = core.local_gp_step  # type: ignore[attr-defined]

        def spy(*args: object, **kwargs: object) -> object:
            seen.append(blas_threads())
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(core, "local_gp_step", spy)
        def blas_threads() -> int:
            return max(int(i["num_threads"]) for i in threadpoolctl.threadpool_info()
                       if i["user_api"] == "blas")

        with threadpoolctl.threadpool_limits(2, user_api="blas"):
            before = blas_threads()  # 2 on a machine with 2 or more cores
            opt = EnsembleOptimizer(BOUNDS, n_networks=2, seed=4, threads=1)
            _drive(opt, _sphere, 40)
            assert blas_threads() == before
        assert seen and set(seen) == {1}

    def test_told_points_need_not_be_asked(self) -> None:
        """tell() accepts points that ask() never proposed."""
        opt = EnsembleOptimizer(BOUNDS, n_networks=2, seed=0)
        opt.tell(np.array([[0.3, -2.0], [0.0, 0.0]]), [0.0, -4.09])
        assert opt.best_y_ == 0.0
        np.testing.assert_allclose(opt.best_x_, [0.3, -2.0])

    def test_adaptive_pretraining_split(self) -> None:
        """The main phase starts between the minimum and maximum pretraining sizes."""
        opt = EnsembleOptimizer(BOUNDS, n_networks=3, seed=2)
        while opt.stats().phase == "pretrain" and opt.stats().n_told < 100:
            xs = opt.ask(1)
            opt.tell(xs, [_sphere(xs[0])])
        size = opt.stats().pretrain_size
        assert size is not None
        assert opt.pretrain_min <= size <= opt.pretrain_max


class TestFailures:
    def test_nan_recorded_and_run_continues(self) -> None:
        """A NaN value is recorded as failed, never best, and the run goes on."""
        calls = {"n": 0}

        def f(x: np.ndarray) -> float:
            calls["n"] += 1
            return math.nan if calls["n"] % 5 == 0 else _sphere(x)

        res = maximize(f, BOUNDS, budget=30, n_networks=2, seed=0)
        assert res.n_evaluations == 30
        assert res.n_failed == 6
        assert math.isfinite(res.y)
        assert sum(not e.ok for e in res.history) == 6
        assert res.optimizer.stats().n_failed == 6

    def test_exception_recorded(self) -> None:
        """An exception inside f is recorded with its message and the run continues."""

        def f(x: np.ndarray) -> float:
            if x[0] > 0.5:
                raise RuntimeError("simulator crashed")
            return _sphere(x)

        res = maximize(f, BOUNDS, budget=25, n_networks=2, seed=1)
        failed = [e for e in res.history if not e.ok]
        assert failed and all("simulator crashed" in (e.error or "") for e in failed)
        assert res.x[0] <= 0.5

    def test_all_failed_raises(self) -> None:
        """A run in which every evaluation fails raises RuntimeError."""
        with pytest.raises(RuntimeError, match="all 10 evaluations failed"):
            maximize(lambda x: math.nan, BOUNDS, budget=10, n_networks=1)


class TestErrors:
    def test_bounds_low_ge_high(self) -> None:
        """Bounds with low >= high are rejected at construction."""
        with pytest.raises(ValueError, match="low < high"):
            EnsembleOptimizer([(0.0, 1.0), (2.0, 2.0)])

    def test_budget_below_pretraining(self) -> None:
        """A budget below the pretraining size is rejected with the size in the message."""
        with pytest.raises(ValueError, match=r"pretraining size \(6 random points"):
            maximize(_sphere, BOUNDS, budget=5)

    def test_non_callable(self) -> None:
        """A non-callable objective is rejected."""
        with pytest.raises(TypeError, match="callable"):
            maximize(3.0, BOUNDS, budget=10)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [({"n_networks": 0}, "n_networks"), ({"seed": -1}, "seed"), ({"local_every": 0}, "local")],
    )
    def test_bad_parameters(self, kwargs: dict[str, int], match: str) -> None:
        """Invalid constructor parameters raise ValueError naming the parameter."""
        with pytest.raises(ValueError, match=match):
            EnsembleOptimizer(BOUNDS, **kwargs)  # type: ignore[arg-type]

    def test_bad_low_sticks(self) -> None:
        """An unknown low_sticks choice is rejected, naming the allowed ones."""
        with pytest.raises(ValueError, match="ensemble, local-gp"):
            EnsembleOptimizer(BOUNDS, low_sticks="gp")

    def test_bad_coordinate_probes(self) -> None:
        """coordinate_probes must be a bool, not a truthy stand-in."""
        with pytest.raises(ValueError, match="coordinate_probes"):
            EnsembleOptimizer(BOUNDS, coordinate_probes=1)  # type: ignore[arg-type]

    def test_bad_q_and_tell_shapes(self) -> None:
        """ask(0), mismatched tell shapes and out-of-bounds points are rejected."""
        opt = EnsembleOptimizer(BOUNDS)
        with pytest.raises(ValueError, match="q"):
            opt.ask(0)
        with pytest.raises(ValueError, match="values"):
            opt.tell(np.zeros((2, 2)), [1.0])
        with pytest.raises(ValueError, match="outside"):
            opt.tell(np.array([[2.0, 0.0]]), [1.0])


class TestQuality:
    def test_maximize_sphere(self) -> None:
        """maximize finds the top of a 2-D concave quadratic within 1e-3 in 60 evaluations."""
        res = maximize(_sphere, BOUNDS, budget=60, n_networks=3, seed=0)
        assert np.abs(res.x - np.array([0.3, -2.0])).max() < 1e-3
        assert len(res.history) == 60
        assert all(e.duration_s >= 0 and e.overhead_s > 0 for e in res.history)
        assert res.history[-1].started_s > res.history[0].started_s

    def test_minimize_branin(self) -> None:
        """minimize brings Branin within 0.01 of its minimum in 80 evaluations."""
        p = Branin()
        res = minimize(p, p.bounds, budget=80, n_networks=3, seed=1)
        assert p.regret(res.y) < 0.01

    def test_hartmann3(self) -> None:
        """Hartmann-3's global maximum is found to within 0.01 in 120 evaluations."""
        p = Hartmann3()
        res = maximize(p, p.bounds, budget=120, n_networks=3, seed=0)
        assert p.distance(res.x) < 0.01

    def test_noisy_objective(self) -> None:
        """With noise 0.2 on Hartmann-3, the reported point is within 0.1 of the optimum
        in true value, and its reported value is less optimistic than the luckiest draw."""
        p = Hartmann3(noise_std=0.2, seed=5)
        res = maximize(p, p.bounds, budget=100, n_networks=3, seed=0, noisy=True)
        assert p.regret(float(p.evaluate_true(res.x))) < 0.1
        luckiest = max(e.y for e in res.history if e.ok)
        assert res.y < luckiest


class TestTargets:
    """What the networks are trained on: rank normal scores, or standardized under noise."""

    @staticmethod
    def _told(ys: list[float], **kwargs: object) -> EnsembleOptimizer:
        opt = EnsembleOptimizer(BOUNDS, n_networks=2, seed=0, **kwargs)  # type: ignore[arg-type]
        xs = np.column_stack([np.linspace(-0.9, 0.9, len(ys)), np.linspace(-4, 4, len(ys))])
        opt.tell(xs, ys)
        return opt

    def test_normal_scores_of_mid_ranks(self) -> None:
        """Told 1, 5, 3, 3 (maximized): ranks 1/5, 4/5, 2.5/5 -> normal quantiles; ties
        share theirs; an untold 4 falls between 3 and 5."""
        opt = self._told([1.0, 5.0, 3.0, 3.0])
        got = opt._targets(np.array([1.0, 5.0, 3.0, 4.0]))
        want = norm.ppf([0.2, 0.8, 0.5, 0.7])
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
        assert got[1] == pytest.approx(0.841621, abs=1e-6)

    def test_minimizing_reverses_the_ranks(self) -> None:
        opt = self._told([1.0, 5.0, 3.0], maximize=False)
        got = opt._targets(opt._internal(np.array([1.0, 5.0, 3.0])))
        np.testing.assert_allclose(got, norm.ppf([0.75, 0.25, 0.5]), atol=1e-12)

    def test_any_increasing_transform_gives_the_same_targets(self) -> None:
        """A heavy-tailed objective (exp of the values, times 1e6) trains the networks on
        exactly the same targets: only the order of the told values matters."""
        ys = np.array([0.3, -2.0, 4.5, 1.0, 0.0, 2.2])
        a, b = self._told(list(ys)), self._told(list(1e6 * np.exp(ys)))
        np.testing.assert_array_equal(
            a._targets(a._internal(ys)), b._targets(b._internal(1e6 * np.exp(ys)))
        )

    def test_noisy_targets_are_standardized(self) -> None:
        """noisy=True: z-scores of the told values (no tail this close to the mean)."""
        ys = [1.0, 2.0, 3.0, 4.0]
        opt = self._told(ys, noisy=True)
        z = (np.array(ys) - 2.5) / np.std(ys)
        np.testing.assert_allclose(opt._targets(np.array(ys)), z, atol=1e-12)


class TestInFlight:
    def test_overlapping_asks_never_repeat_in_flight_points(self) -> None:
        """Points asked but not yet told are never proposed again by a later ask."""
        opt = EnsembleOptimizer(BOUNDS, n_networks=2, seed=4)
        _drive(opt, _sphere, 12)
        first = opt.ask(3)
        second = opt.ask(3)
        both = np.concatenate([first, second])
        assert len({tuple(x) for x in both}) == 6
        opt.tell(both, [_sphere(x) for x in both])

    def test_every_told_proposal_is_credited(self) -> None:
        """Proposals told back in native units (any scale) are all matched and credited."""
        opt = EnsembleOptimizer([(-3.7, 11.3), (1e-3, 7e-3)], n_networks=2, seed=1)
        for _ in range(30):
            xs = opt.ask(2)
            opt.tell(xs, [-(x[0] - 1.0) ** 2 - 1e4 * (x[1] - 4e-3) ** 2 for x in xs])
        assert opt.pending_ == {}
        assert opt.stick_evals_.sum() > 0


def _main_phase_hartmann3(
    seed: int = 2, **kwargs: Any
) -> tuple[EnsembleOptimizer, Hartmann3]:
    problem = Hartmann3()
    opt = EnsembleOptimizer(problem.bounds, n_networks=3, seed=seed, **kwargs)
    while getattr(opt, "phase_", "pretrain") != "main":
        x = opt.ask(1)
        opt.tell(x, [problem(x[0])])
    return opt, problem


@pytest.mark.parametrize("q", [4, 8, 16])
def test_a_batch_is_local_every_other_slot(q: int) -> None:
    """ask(q) in the main phase: every local_every-th slot local (q / 2), the rest global."""
    opt, problem = _main_phase_hartmann3()
    for _ in range(3):
        before = set(opt.pending_)
        xs = opt.ask(q)
        kinds = [tag[0] for key, tag in opt.pending_.items() if key not in before]
        assert len(kinds) == q
        assert kinds.count("local") == q // 2
        opt.tell(xs, [problem(x) for x in xs])


@pytest.mark.parametrize(
    ("kwargs", "period"),
    [({}, 2), ({"noisy": True}, 3), ({"noisy": True, "local_every": 2}, 2),
     ({"local_every": 4}, 4)],
)
def test_local_slots_come_every_local_every_th_slot(kwargs: dict[str, Any], period: int) -> None:
    """The default period is 2, 3 under noise; an explicit local_every wins."""
    opt, problem = _main_phase_hartmann3(**kwargs)
    kinds = []
    for _ in range(4 * period):
        before = set(opt.pending_)
        x = opt.ask(1)
        kinds += [tag[0] for key, tag in opt.pending_.items() if key not in before]
        opt.tell(x, [problem(x[0])])
    local = [i for i, kind in enumerate(kinds) if kind == "local"]
    assert len(local) == 4
    assert np.diff(local).tolist() == [period] * 3


def test_a_batchs_local_slots_use_trust_boxes_of_spread_sizes() -> None:
    """The 4 local points of ask(8) lie in boxes sigma/5 ... 5 sigma around the incumbent."""
    opt, problem = _main_phase_hartmann3()
    for _ in range(4):
        xs = opt.ask(8)
        opt.tell(xs, [problem(x) for x in xs])
    centre = opt.X_[opt._incumbent_index()]
    sigma = opt.sigma_local_
    before = set(opt.pending_)
    opt.ask(8)
    local = [np.frombuffer(key) for key, tag in opt.pending_.items()
             if key not in before and tag[0] == "local"]
    sizes = np.minimum(sigma * np.geomspace(0.2, 5.0, 4), 0.3)
    reach = [float(np.abs(u - centre).max()) for u in local]
    assert len(reach) == 4
    assert all(r <= s + 1e-12 for r, s in zip(reach, sizes, strict=True))
    assert reach[0] < reach[-1]


@pytest.mark.parametrize(("m", "steps"), [(1, 8), (8, 128)])
def test_a_batch_tell_trains_twice_the_steps_per_point(m: int, steps: int) -> None:
    """A tell of 1 point: 4 + 4 steps; of m > 1 points: 2 m (4 + 4) steps (small pool)."""
    opt, problem = _main_phase_hartmann3()
    calls: list[int] = []
    train_step = opt.trainer_.train_step

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return train_step(*args, **kwargs)

    opt.trainer_.train_step = counted  # type: ignore[method-assign]
    xs = opt.ask(m)
    opt.tell(xs, [problem(x) for x in xs])
    assert len(calls) == steps


class TestForget:
    def test_forgotten_points_leave_the_flight_and_told_ones_are_credited(self) -> None:
        """ask(3), forget 2: one point in flight; telling it empties the flight."""
        opt, problem = _main_phase_hartmann3()
        xs = opt.ask(3)
        opt.forget(xs[1:])
        assert len(opt.pending_) == 1
        opt.forget(xs[1:])  # not in flight any more: ignored
        opt.tell(xs[:1], [problem(xs[0])])
        assert opt.pending_ == {}

    def test_a_forgotten_restart_frees_its_stick(self) -> None:
        """A restart point never told holds its stick; forgotten, the stick restarts again."""
        opt, problem = _main_phase_hartmann3()
        for _ in range(300):
            x = opt.ask(1)
            tag = next(iter(opt.pending_.values()))
            if tag[0] == "restart":
                break
            opt.tell(x, [problem(x[0])])
        else:
            pytest.fail("no restart within 300 asks")
        stick = tag[2]
        held = opt.ask(1)  # the stick's restart is in flight: not served again
        assert ("restart", -1, stick) not in [opt.pending_[k] for k in list(opt.pending_)[1:]]
        opt.forget(np.concatenate([x, held]))
        assert opt.pending_ == {}
        opt.ask(1)
        assert list(opt.pending_.values()) == [("restart", -1, stick)]

    def test_bad_shape_is_rejected(self) -> None:
        opt, _ = _main_phase_hartmann3()
        with pytest.raises(ValueError, match=r"shape \(m, n\)"):
            opt.forget([0.5, 0.5, 0.5])  # type: ignore[list-item]  # the wrong shape


def _kinds_of_next_asks(
    opt: EnsembleOptimizer, problem: Hartmann3, n: int
) -> tuple[list[str], list[np.ndarray], list[np.ndarray]]:
    """Kinds of the next n single asks, their points and the incumbent before each."""
    kinds: list[str] = []
    points: list[np.ndarray] = []
    centres: list[np.ndarray] = []
    for _ in range(n):
        before = set(opt.pending_)
        centres.append(opt.X_[opt._incumbent_index()].copy())
        x = opt.ask(1)
        kinds += [tag[0] for key, tag in opt.pending_.items() if key not in before]
        points.append(opt.space_.to_unit(x)[0])
        opt.tell(x, [problem(x[0])])
    return kinds, points, centres


def test_coordinate_probes_are_on_by_default() -> None:
    """The default probes (since 2026-12-04); repr names only the opt-out."""
    opt = EnsembleOptimizer(Hartmann3().bounds, n_networks=3, seed=0)
    assert opt.coordinate_probes is True
    assert "coordinate_probes" not in repr(opt)
    off = EnsembleOptimizer(Hartmann3().bounds, n_networks=3, seed=0, coordinate_probes=False)
    assert "coordinate_probes=False" in repr(off)


def test_no_coordinate_probes_when_turned_off() -> None:
    """coordinate_probes=False never probes, even once sigma < 0.01, and keeps the 1/4
    share untouched."""
    opt, problem = _main_phase_hartmann3(coordinate_probes=False)
    opt.sigma_local_ = 1e-3
    kinds, _, _ = _kinds_of_next_asks(opt, problem, 24)
    assert "probe" not in kinds
    assert opt.probe_share_ == 0.25


def test_no_probes_before_the_trust_region_converges() -> None:
    """coordinate_probes=True changes nothing while sigma is at or above 0.01."""
    opt, problem = _main_phase_hartmann3(coordinate_probes=True)
    kinds, _, _ = _kinds_of_next_asks(opt, problem, 6)
    assert "probe" not in kinds
    assert opt.probe_credit_ == 0.0


def test_a_coordinate_probe_changes_one_coordinate_of_the_incumbent() -> None:
    """Once sigma < 0.01 the 4th local slot (share 1/4) is a probe: the incumbent with
    exactly one coordinate redrawn; the share then moves by x1.5 or x0.95."""
    opt, problem = _main_phase_hartmann3(coordinate_probes=True)
    opt.sigma_local_ = 1e-3
    kinds, points, centres = _kinds_of_next_asks(opt, problem, 8)
    # A restart is a global slot too (a parked stick's fresh start).
    slots = ["global" if k == "restart" else k for k in kinds]
    assert slots == ["global", "local"] * 3 + ["global", "probe"]
    i = kinds.index("probe")
    changed = np.flatnonzero(np.abs(points[i] - centres[i]) > 0)
    assert changed.size == 1
    assert opt.probe_share_ in (pytest.approx(0.25 * 1.5), pytest.approx(0.25 * 0.95))


def test_probe_state_survives_save_load(tmp_path: Path) -> None:
    """The probe share and credit round-trip; the twin makes the same suggestions."""
    problem = Hartmann3()
    opt = EnsembleOptimizer(problem.bounds, n_networks=3, seed=4)
    _drive(opt, problem, 40)
    path = tmp_path / "state.pt"
    opt.save(path)
    twin = EnsembleOptimizer.load(path)
    assert twin.coordinate_probes is True
    assert (twin.probe_share_, twin.probe_credit_) == (opt.probe_share_, opt.probe_credit_)
    for _ in range(8):
        xa, xb = opt.ask(1), twin.ask(1)
        np.testing.assert_array_equal(xa, xb)
        opt.tell(xa, [problem(xa[0])])
        twin.tell(xb, [problem(xb[0])])


def test_a_save_file_from_before_the_probe_default_loads_without_probes(tmp_path: Path) -> None:
    """Files written before 2026-12-04 carry no 'coordinate_probes': they ran without
    probes, so they load with probes off (and continue as they would have)."""
    problem = Hartmann3()
    opt = EnsembleOptimizer(problem.bounds, n_networks=3, seed=4, coordinate_probes=False)
    _drive(opt, problem, 30)
    path = tmp_path / "state.pt"
    opt.save(path)
    blob = torch.load(path, weights_only=True)
    meta = json.loads(blob["meta"])
    del meta["params"]["coordinate_probes"]
    blob["meta"] = json.dumps(meta)
    torch.save(blob, path)
    twin = EnsembleOptimizer.load(path)
    assert twin.coordinate_probes is False
    twin.sigma_local_ = opt.sigma_local_ = 1e-3  # where probes would start
    for _ in range(10):
        xa, xb = opt.ask(1), twin.ask(1)
        np.testing.assert_array_equal(xa, xb)
        opt.tell(xa, [problem(xa[0])])
        twin.tell(xb, [problem(xb[0])])
