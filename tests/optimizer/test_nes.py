"""NES training and fork/merge collaboration (issue 9)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from surge.optimizer import EnsembleOptimizer
from surge.optimizer.collaboration import ForkMerge, merge_rows
from surge.optimizer.ensemble import BatchedEnsemble, sample_member_specs
from surge.optimizer.nes import NesTrainer, loss_of
from surge.optimizer.trainers import Trainer
from surge.problems import make_problem


def _data(n: int = 200) -> tuple[torch.Tensor, torch.Tensor]:
    problem = make_problem("hartmann6")
    rng = np.random.default_rng(0)
    x = rng.random((n, 6))
    y = np.array([problem(row) for row in x])
    y = (y - y.mean()) / y.std()
    return torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)


def _nes_losses(shaping: str, steps: int) -> tuple[torch.Tensor, torch.Tensor, BatchedEnsemble]:
    xt, yt = _data()
    model = BatchedEnsemble(6, sample_member_specs(5, np.random.default_rng(1)))
    trainer = NesTrainer(model, seed=3, shaping=shaping)
    before = loss_of(model, xt, yt)
    rng = np.random.default_rng(2)
    for _ in range(steps):
        idx = torch.as_tensor(rng.integers(0, xt.shape[0], size=(model.size, 64)))
        trainer.train_step(xt[idx], yt[idx])
    return before, loss_of(model, xt, yt), model


@pytest.mark.parametrize("shaping", ["ranks", "zscores"])
def test_nes_reduces_the_training_loss_on_fixed_data(shaping: str) -> None:
    before, after, _ = _nes_losses(shaping, 300)
    # Standardized targets: predicting the mean scores about 1.0. Measured after 300
    # steps (ranks): mean 1.10 -> 0.50; every member below 0.8 of its start.
    assert float(before.mean()) > 1.0
    assert float(after.mean()) < 0.7 * float(before.mean())
    assert bool((after < 0.85 * before).all())


def test_nes_keeps_masked_weights_at_zero() -> None:
    _, _, model = _nes_losses("ranks", 20)
    assert float(model.params.detach()[model.mask == 0].abs().max()) == 0.0


def test_nes_is_deterministic_with_its_seed() -> None:
    _, a, _ = _nes_losses("ranks", 15)
    _, b, _ = _nes_losses("ranks", 15)
    assert torch.equal(a, b)


def test_nes_rejects_bad_arguments() -> None:
    model = BatchedEnsemble(2, sample_member_specs(2, np.random.default_rng(0)))
    with pytest.raises(ValueError, match="'shaping'"):
        NesTrainer(model, shaping="raw")
    with pytest.raises(ValueError, match="'pairs'"):
        NesTrainer(model, pairs=0)


def test_forward_table_matches_forward_on_copies() -> None:
    model = BatchedEnsemble(3, sample_member_specs(4, np.random.default_rng(5)))
    x = torch.rand(4, 7, 3)
    table = model.params.detach()[:, None, :].expand(4, 3, model.n_params)
    out = model.forward_table(table, x)
    assert out.shape == (4, 3, 7)
    for r in range(3):
        assert torch.allclose(out[:, r], model(x), atol=1e-6)


def test_merge_of_identical_networks_is_the_identity() -> None:
    row = torch.randn(500)
    assert torch.equal(merge_rows(row, row.clone(), 0.3, 0.3), row)
    assert torch.equal(merge_rows(row, row.clone(), 0.1, 0.9), row)


def test_merge_weights_by_fitness() -> None:
    parent, fork = torch.zeros(3), torch.ones(3)
    # fitness 1/1 and 1/3: the fork gets weight (1/3) / (1 + 1/3) = 0.25.
    assert torch.allclose(merge_rows(parent, fork, 1.0, 3.0), torch.full((3,), 0.25))


def test_fork_merge_of_an_untrained_fork_leaves_the_parent_unchanged() -> None:
    xt, yt = _data(40)
    model = BatchedEnsemble(6, sample_member_specs(3, np.random.default_rng(2)))
    trainer: Trainer = NesTrainer(model, seed=1)
    collab = ForkMerge("nes", period=4, min_points=8)
    error = np.array([0.5, 0.2, 0.9])
    rng = np.random.default_rng(0)
    model, trainer, _ = collab.step(model, trainer, error, xt=xt, yt=yt, rng=rng)
    assert collab.fork is not None and collab.fork.parent == 1
    assert torch.equal(collab.fork.model.params.detach()[0], model.params.detach()[1])
    before = model.params.detach().clone()
    with torch.no_grad():
        collab.score(xt[:4], yt[:4], model(xt[:4]))
    assert collab.fork.sq_err_fork == collab.fork.sq_err_parent
    model, trainer, sources = collab.step(
        model, trainer, np.array([0.5, 0.2, 0.5]), xt=xt, yt=yt, rng=rng
    )
    assert collab.counts["averaged"] == 1 and collab.counts["replaced"] == 0
    assert sources == [0, 1, 2]
    assert torch.equal(model.params.detach(), before)


def _run(opt: EnsembleOptimizer, problem: object, n: int) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for _ in range(n):
        x = opt.ask(1)
        y = np.array([problem(row) for row in x])  # type: ignore[operator]
        opt.tell(x, y)
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


@pytest.mark.parametrize("trainer", ["gradient", "nes"])
def test_fork_merge_keeps_the_pool_intact(trainer: str) -> None:
    problem = make_problem("hartmann3")
    opt = EnsembleOptimizer(problem.bounds, n_networks=3, seed=4, trainer=trainer,
                            collaboration="fork-merge")
    xs, ys = _run(opt, problem, 60)
    counts = opt.stats().collaboration
    assert counts["forks"] >= 2
    assert counts["replaced"] + counts["averaged"] + counts["kept"] >= 1
    # Every told point is in the pool exactly as told, in order, and nothing else is.
    assert np.array_equal(opt.y_, ys)
    assert np.allclose(opt.space_.from_unit(opt.X_), xs, atol=1e-12)
    assert bool(np.isfinite(opt.model_.params.detach().numpy()).all())


def test_nes_fork_merge_is_deterministic_and_resumes(tmp_path: Path) -> None:
    problem = make_problem("branin")

    def fresh() -> EnsembleOptimizer:
        return EnsembleOptimizer(problem.bounds, n_networks=2, seed=7, maximize=False,
                                 trainer="nes", collaboration="fork-merge")

    a, b = fresh(), fresh()
    xa, _ = _run(a, problem, 30)
    xb, _ = _run(b, problem, 30)
    assert np.array_equal(xa, xb)
    assert a.collab_ is not None and a.collab_.fork is not None  # saved mid-fork
    a.save(tmp_path / "run.pt")
    c = EnsembleOptimizer.load(tmp_path / "run.pt")
    assert "trainer='nes'" in repr(c)
    xa2, _ = _run(a, problem, 12)
    xc2, _ = _run(c, problem, 12)
    assert np.array_equal(xa2, xc2)
    assert a.stats().collaboration == c.stats().collaboration


def test_unknown_trainer_or_collaboration_fails_at_construction() -> None:
    with pytest.raises(ValueError, match=r"'trainer' parameter .* gradient, nes"):
        EnsembleOptimizer([(0, 1)], trainer="sgd")
    with pytest.raises(ValueError, match=r"'collaboration' parameter .* none, fork-merge"):
        EnsembleOptimizer([(0, 1)], collaboration="swap")


def test_maximize_passes_trainer_and_collaboration() -> None:
    from surge.optimizer import minimize

    problem = make_problem("branin")
    res = minimize(problem, problem.bounds, budget=20, n_networks=2, seed=1, trainer="nes",
                   collaboration="fork-merge")
    assert res.optimizer.trainer == "nes"
    assert res.optimizer.stats().collaboration["forks"] >= 1
    assert res.n_evaluations == 20


def test_maximize_passes_coordinate_probes() -> None:
    from surge.optimizer import maximize, minimize

    problem = make_problem("branin")
    assert minimize(problem, problem.bounds, budget=14, n_networks=1,
                    seed=1).optimizer.coordinate_probes is True
    res = maximize(lambda x: -float(problem(x)), problem.bounds, budget=14, n_networks=1,
                   seed=1, coordinate_probes=False)
    assert res.optimizer.coordinate_probes is False
