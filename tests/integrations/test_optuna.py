"""surge.integrations.optuna.EnsembleSampler: quality, shared storage, search spaces."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Literal

import numpy as np
import optuna
import pytest

from surge.integrations.optuna import EnsembleSampler
from surge.optimizer import EnsembleOptimizer
from surge.problems import make_problem

optuna.logging.set_verbosity(optuna.logging.WARNING)

SEEDS = range(5)
BUDGET = 40


def _regret(problem_name: str, sampler: optuna.samplers.BaseSampler, seed: int) -> float:
    problem = make_problem(problem_name, seed=seed)

    def objective(trial: optuna.Trial) -> float:
        x = [trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(problem.bounds)]
        return problem(np.array(x))

    direction: Literal["maximize", "minimize"] = "maximize" if problem.maximize else "minimize"
    study = optuna.create_study(direction=direction, sampler=sampler)
    study.optimize(objective, n_trials=BUDGET)
    return problem.regret(study.best_value)


class TestQuality:
    # Measured medians over seeds 0-4 at 40 trials (n_networks=3, one thread):
    # Hartmann-3 0.140 (random search 0.572), Branin 0.0093 (random search 1.057).
    @pytest.mark.parametrize(("problem_name", "bound"), [("hartmann3", 0.3), ("branin", 0.1)])
    def test_beats_random_search(self, problem_name: str, bound: float) -> None:
        """Over 5 seeds at 40 trials, the median regret is below random search's and a bound."""
        ours = [_regret(problem_name, EnsembleSampler(n_networks=3, seed=s), s) for s in SEEDS]
        rand = [_regret(problem_name, optuna.samplers.RandomSampler(seed=s), s) for s in SEEDS]
        assert np.median(ours) < np.median(rand)
        assert np.median(ours) < bound


class TestSearchSpace:
    def test_int_log_and_stepped_values_in_range(self) -> None:
        """Int, log-int, log-float and stepped-float parameters come back typed and in range."""

        def objective(trial: optuna.Trial) -> float:
            n = trial.suggest_int("n", 1, 9, step=2)
            m = trial.suggest_int("m", 1, 1000, log=True)
            lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
            r = trial.suggest_float("r", 0.0, 1.0, step=0.25)
            kind = trial.suggest_categorical("kind", ["a", "b"])
            assert isinstance(n, int) and n in (1, 3, 5, 7, 9)
            assert isinstance(m, int) and 1 <= m <= 1000
            assert isinstance(lr, float) and 1e-5 <= lr <= 1e-1
            assert r in (0.0, 0.25, 0.5, 0.75, 1.0)
            return float((np.log10(lr) + 3.0) ** 2 + (n - 5) ** 2 + r + np.log(m) + (kind == "b"))

        study = optuna.create_study(sampler=EnsembleSampler(n_networks=2, seed=0))
        study.optimize(objective, n_trials=25)
        assert len(study.trials) == 25
        assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
        # The relative search space was used: the later trials came from the ensemble.
        assert set(EnsembleSampler().infer_relative_search_space(study, study.trials[-1])) == {
            "lr", "m", "n", "r"
        }

    def test_failed_trials_are_told_and_the_study_goes_on(self) -> None:
        """Trials returning NaN fail; the sampler keeps proposing new, distinct points."""

        def objective(trial: optuna.Trial) -> float:
            x = trial.suggest_float("x", 0.0, 1.0)
            y = trial.suggest_float("y", 0.0, 1.0)
            return float("nan") if x > 0.7 else (x - 0.3) ** 2 + (y - 0.6) ** 2

        study = optuna.create_study(sampler=EnsembleSampler(n_networks=2, seed=1))
        study.optimize(objective, n_trials=30)
        states = [t.state for t in study.trials]
        assert len(states) == 30
        assert optuna.trial.TrialState.FAIL in states
        assert len({(t.params["x"], t.params["y"]) for t in study.trials}) == 30
        assert study.best_value < 0.05

    def test_multi_objective_is_rejected(self) -> None:
        """A multi-objective study raises ValueError once relative sampling starts."""
        study = optuna.create_study(
            directions=["minimize", "minimize"], sampler=EnsembleSampler(seed=0)
        )
        with pytest.raises(ValueError, match="multi-objective"):
            study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=3)


class TestThreads:
    def test_n_jobs_threads_share_one_sampler(self) -> None:
        """study.optimize(n_jobs=2) completes every trial with distinct points."""
        study = optuna.create_study(sampler=EnsembleSampler(n_networks=2, seed=0))
        study.optimize(
            lambda t: (t.suggest_float("x", -2, 2) - 0.5) ** 2 + t.suggest_int("n", 0, 10),
            n_trials=30,
            n_jobs=2,
        )
        done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        assert len(done) == 30
        assert len({tuple(sorted(t.params.items())) for t in done}) == 30

    def test_n_jobs_keeps_one_ensemble_across_trials(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Optuna reseeds the sampler before every threaded trial; the ensemble survives it.

        (It used to be rebuilt and retrained from scratch for every trial, forgetting the
        points in flight.)
        """
        import surge.integrations.optuna as module

        built = []

        class Counting(EnsembleOptimizer):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                built.append(1)
                super().__init__(*args, **kwargs)

        monkeypatch.setattr(module, "EnsembleOptimizer", Counting)
        sampler = EnsembleSampler(n_networks=2, seed=0)
        study = optuna.create_study(sampler=sampler)
        study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 0.5) ** 2, n_trials=20, n_jobs=2)
        assert len(built) == 1
        assert sampler._state is not None
        assert sampler._state.optimizer.X_.shape[0] >= 18  # told nearly every trial


_WORKER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import optuna
    from surge.integrations.optuna import EnsembleSampler
    from surge.problems import make_problem

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url, n_trials = sys.argv[1], int(sys.argv[2])
    problem = make_problem("hartmann3")

    def objective(trial):
        x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(3)]
        return problem(np.array(x))

    storage = optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}})
    study = optuna.load_study(
        study_name="shared", storage=storage, sampler=EnsembleSampler(n_networks=2, seed=0)
    )
    study.optimize(objective, n_trials=n_trials)
    """
)


def _four_trials() -> tuple[optuna.storages.InMemoryStorage, EnsembleSampler, optuna.Study]:
    """An in-memory study of 4 finished trials of x in [0, 1], sampled by the ensemble."""
    storage = optuna.storages.InMemoryStorage()
    sampler = EnsembleSampler(n_networks=2, seed=0)
    study = optuna.create_study(storage=storage, study_name="s", sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=4)
    return storage, sampler, study


class TestSharedStorage:
    def test_two_processes_share_one_sqlite_study(self, tmp_path: Path) -> None:
        """Two workers with the same seed on one SQLite study run 2N trials, all distinct."""
        url = f"sqlite:///{tmp_path / 'study.db'}"
        optuna.create_study(study_name="shared", storage=url, direction="maximize")
        script = tmp_path / "worker.py"
        script.write_text(_WORKER, encoding="utf-8")
        n = 15
        procs = [
            subprocess.Popen(
                [sys.executable, str(script), url, str(n)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
        study = optuna.load_study(study_name="shared", storage=url)
        done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        assert len(done) == 2 * n
        points = {tuple(sorted(t.params.items())) for t in done}
        assert len(points) == 2 * n


    def test_a_running_trial_reserves_its_point_before_its_parameters_exist(self) -> None:
        """ask() stores the sampled point as surge:point; another sampler avoids it."""
        storage = optuna.storages.InMemoryStorage()
        first = optuna.create_study(
            storage=storage, study_name="s", sampler=EnsembleSampler(n_networks=2, seed=0)
        )
        first.optimize(lambda t: -((t.suggest_float("x", 0.0, 1.0) - 0.3) ** 2), n_trials=6)
        pending = first.ask()
        pending.relative_params  # sampled (Optuna samples lazily); no parameter stored yet
        assert storage.get_trial(pending._trial_id).params == {}
        reserved = storage.get_trial(pending._trial_id).system_attrs["surge:point"]
        assert len(reserved) == 1
        assert pending.suggest_float("x", 0.0, 1.0) == pytest.approx(reserved[0])

        other = EnsembleSampler(n_networks=2, seed=0)
        second = optuna.load_study(study_name="s", storage=storage, sampler=other)
        trial = second.ask()
        trial.relative_params
        assert other._state is not None
        seen = other._untold_points(second, storage.get_trial(trial._trial_id), other._state)
        assert seen == [pytest.approx(reserved)]

    def test_a_point_reserved_meanwhile_is_given_up(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """If another trial reserved the chosen point, the sampler moves to the next one."""
        storage, sampler, study = _four_trials()
        assert sampler._state is not None
        rival = study.ask()  # a running trial in another worker, say; not sampled yet
        rival_id = rival._trial_id
        proposals = np.array([[0.25], [0.75], [0.5]])
        calls: list[int] = []

        def ask(q: int) -> np.ndarray:
            calls.append(q)
            # The rival reserves the first proposal while this worker is choosing.
            storage.set_trial_system_attr(rival_id, "surge:point", [0.25])
            return proposals[:q]

        monkeypatch.setattr(sampler._state.optimizer, "ask", ask)
        storage.set_trial_system_attr(rival_id, "surge:point", [0.9])
        assert study.ask().suggest_float("x", 0.0, 1.0) == pytest.approx(0.75)
        assert calls == [2]

    def test_a_point_completed_meanwhile_is_given_up(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A trial finished at the chosen point after the last refresh counts as taken."""
        storage, sampler, study = _four_trials()
        assert sampler._state is not None
        rival_id = study.ask()._trial_id  # another worker's trial, not sampled here
        dist = optuna.distributions.FloatDistribution(0.0, 1.0)

        calls: list[int] = []

        def ask(q: int) -> np.ndarray:
            if not calls:  # the rival evaluates 0.25 and completes while this one chooses
                storage.set_trial_param(rival_id, "x", 0.25, dist)
                storage.set_trial_state_values(
                    rival_id, optuna.trial.TrialState.COMPLETE, [0.25]
                )
            calls.append(q)
            return np.array([[0.25], [0.75], [0.5]])[:q]

        monkeypatch.setattr(sampler._state.optimizer, "ask", ask)
        assert study.ask().suggest_float("x", 0.0, 1.0) == pytest.approx(0.75)
        assert calls == [1, 2]  # all proposals taken: asked again, avoiding the rival


def test_import_surge_does_not_import_optuna() -> None:
    """`import surge` and `import surge.integrations` load neither Optuna nor torch."""
    code = (
        "import sys, surge, surge.integrations; "
        "assert 'optuna' not in sys.modules and 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_sampler_passes_trainer_and_collaboration() -> None:
    """trainer=, collaboration= and coordinate_probes= reach the sampler's optimizer."""
    sampler = EnsembleSampler(
        n_networks=2, seed=0, trainer="nes", collaboration="fork-merge", coordinate_probes=False
    )
    study = optuna.create_study(sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", -1.0, 1.0) - 0.3) ** 2, n_trials=12)
    state = sampler._state
    assert state is not None
    assert state.optimizer.trainer == "nes"
    assert state.optimizer.collaboration == "fork-merge"
    assert state.optimizer.coordinate_probes is False
    assert len(study.trials) == 12


def test_proposals_not_used_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    """With another trial running, the sampler asks 2 points, keeps 1 in flight, forgets 1."""
    storage, sampler, study = _four_trials()
    assert sampler._state is not None
    optimizer = sampler._state.optimizer
    forgotten: list[np.ndarray] = []
    forget = optimizer.forget

    def forget_and_record(xs: np.ndarray) -> None:
        forgotten.append(xs)
        forget(xs)

    monkeypatch.setattr(optimizer, "forget", forget_and_record)
    rival = study.ask()  # another worker's running trial, reserved at 0.9
    storage.set_trial_system_attr(rival._trial_id, "surge:point", [0.9])
    x = study.ask().suggest_float("x", 0.0, 1.0)
    # Trial 3's point was told on this refresh; only this trial's point is in flight.
    assert [np.frombuffer(key)[0] for key in optimizer.pending_] == [pytest.approx(x)]
    assert len(forgotten) == 1 and forgotten[0].shape == (1, 1)
    assert forgotten[0][0, 0] != pytest.approx(x)
