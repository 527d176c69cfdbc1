"""Tests of surge.optimizer.ensemble and proposal: batched members, gradients, masks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from surge.optimizer.ensemble import (
    BatchedEnsemble,
    BatchedTrainer,
    MemberSpec,
    sample_member_specs,
)
from surge.optimizer.proposal import ascend, input_gradient, local_gp_step, quadratic_trust_step


def _spec(**kw: object) -> MemberSpec:
    base = MemberSpec(depth=2, width=16, activation="tanh", optimizer="adam",
                      learning_rate=1e-2, weight_decay=0.0, sparsity=0.0, seed=1)
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def _train(model: BatchedEnsemble, steps: int, seed: int = 0) -> float:
    trainer = BatchedTrainer(model)
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(64, 3, generator=g)
    y = torch.sin(3 * x[:, 0]) + x[:, 1] ** 2
    loss = torch.tensor(0.0)
    for _ in range(steps):
        for p in trainer.params():
            p.grad = None
        loss = ((model(x) - y) ** 2).mean(dim=1).sum()
        loss.backward()
        trainer.step()
    return float(loss.detach()) / model.size


class TestShapesAndDiversity:
    def test_output_shapes(self) -> None:
        """Shared (n, d) and per-member (s, n, d) inputs both give (s, n) predictions."""
        model = BatchedEnsemble(4, sample_member_specs(5, np.random.default_rng(0)))
        assert model(torch.rand(7, 4)).shape == (5, 7)
        assert model(torch.rand(5, 3, 4)).shape == (5, 3)

    def test_specs_are_diverse(self) -> None:
        """Ten members cover all three optimizers and several architectures and seeds."""
        specs = sample_member_specs(10, np.random.default_rng(0))
        assert {s.optimizer for s in specs} == {"adam", "rmsprop", "rprop"}
        assert len({(s.depth, s.width, s.activation) for s in specs}) >= 4
        assert len({s.seed for s in specs}) == 10

    def test_padding_does_not_change_a_member(self) -> None:
        """A small member predicts the same alone and padded inside a larger ensemble."""
        small = _spec(depth=1, width=8, activation="silu", seed=7)
        big = _spec(depth=3, width=32, activation="elu", seed=8)
        x = torch.rand(10, 3)
        alone = BatchedEnsemble(3, [small])(x)[0]
        padded = BatchedEnsemble(3, [small, big])(x)[0]
        torch.testing.assert_close(alone, padded)

    def test_members_train_independently(self) -> None:
        """Training an ensemble changes each member exactly as training it alone."""
        a, b = _spec(seed=3), _spec(optimizer="rmsprop", seed=4, learning_rate=3e-3)
        pair = BatchedEnsemble(3, [a, b])
        solo = BatchedEnsemble(3, [a])
        _train(pair, 20)
        _train(solo, 20)
        x = torch.rand(6, 3)
        torch.testing.assert_close(pair(x)[0], solo(x)[0], rtol=1e-4, atol=1e-5)

    @pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "rprop"])
    def test_each_optimizer_learns(self, optimizer: str) -> None:
        """Adam, RMSprop and Rprop each reduce the training loss by at least half."""
        lr = {"adam": 1e-2, "rmsprop": 3e-3, "rprop": 3e-3}[optimizer]
        model = BatchedEnsemble(3, [_spec(optimizer=optimizer, learning_rate=lr)])
        first = _train(model, 1)
        model2 = BatchedEnsemble(3, [_spec(optimizer=optimizer, learning_rate=lr)])
        last = _train(model2, 300)
        assert last < 0.5 * first


class TestSparsity:
    def test_mask_persists_through_training(self) -> None:
        """Weights zeroed by the sparsity mask are still zero after 50 optimizer steps."""
        spec = _spec(sparsity=0.4, width=32)
        model = BatchedEnsemble(3, [spec, _spec(optimizer="rprop", sparsity=0.4, seed=9)])
        zero_before = (model.table().detach() == 0) & (model.mask == 0)
        _train(model, 50)
        table = model.table().detach()
        assert torch.all(table[model.mask == 0] == 0)
        assert int(zero_before.sum()) > 0
        # About 40% of the real (unpadded, hidden) weights are masked.
        hidden = model.mask[0, model._layout[1][0] : model._layout[1][1]]
        real = hidden.view(32, 32)[:32, :32]
        assert 0.3 < 1.0 - float(real.mean()) < 0.5


class TestGradients:
    def test_input_gradient_matches_finite_differences(self) -> None:
        """Autograd input gradients agree with central finite differences."""
        torch.set_default_dtype(torch.float64)
        try:
            model = BatchedEnsemble(4, sample_member_specs(3, np.random.default_rng(2)))
            x = torch.rand(3, 5, 4)
            _, grad = input_gradient(model, x)
            eps = 1e-6
            fd = torch.zeros_like(x)
            for j in range(4):
                e = torch.zeros(4)
                e[j] = eps
                with torch.no_grad():
                    fd[..., j] = (model(x + e) - model(x - e)) / (2 * eps)
            torch.testing.assert_close(grad, fd, rtol=1e-5, atol=1e-7)
        finally:
            torch.set_default_dtype(torch.float32)

    def test_ascent_improves_prediction_and_stays_in_box(self) -> None:
        """Projected ascent never lowers a member's prediction and stays in its trust box."""
        model = BatchedEnsemble(2, sample_member_specs(4, np.random.default_rng(3)))
        starts = torch.rand(4, 6, 2)
        radius = torch.tensor([0.05, 0.1, 0.2, 0.4])
        with torch.no_grad():
            before = model(starts)
        x, pred = ascend(model, starts, radius, torch.tensor([5, 10, 10, 20]))
        assert torch.all(pred >= before - 1e-6)
        assert torch.all((x - starts).abs() <= radius.view(4, 1, 1) + 1e-6)
        assert torch.all((x >= 0) & (x <= 1))
        assert float((pred - before).mean()) > 0.0

    def test_quadratic_step_finds_quadratic_maximum(self) -> None:
        """The local quadratic model steps to the maximum of a quadratic objective."""
        rng = np.random.default_rng(0)
        target = np.array([0.42, 0.61, 0.37])
        x = rng.random((80, 3))
        y = -((x - target) ** 2 * np.array([1.0, 5.0, 20.0])).sum(axis=1)
        step = quadratic_trust_step(x, y, np.array([0.5, 0.5, 0.5]), 0.2, n=1, rng=rng)
        assert step is not None
        assert np.abs(step[0] - target).max() < 0.02

    def test_local_gp_step_follows_the_local_slope(self) -> None:
        """The local GP climbs its neighbourhood's slope, blind to a far better cluster."""
        rng = np.random.default_rng(1)
        centre = np.array([0.5, 0.5])
        near = centre + rng.uniform(-0.08, 0.08, (30, 2))
        far = np.array([0.05, 0.5]) + rng.uniform(-0.03, 0.03, (40, 2))
        x = np.concatenate([near, far])
        y = np.concatenate([near[:, 0], np.full(40, 10.0)])  # uphill towards +x0 locally
        step = local_gp_step(x, y, centre, 0.05, rng=rng, n_near=30)
        assert step is not None
        assert step[0] > near[:, 0].max() - 0.02  # at the uphill edge, not back to x0 = 0.05
        assert np.all((step >= 0.0) & (step <= 1.0))

    def test_local_gp_step_needs_points(self) -> None:
        """With fewer than d + 2 told points there is no step."""
        rng = np.random.default_rng(0)
        assert local_gp_step(rng.random((3, 2)), np.zeros(3), np.full(2, 0.5), 0.1, rng=rng) is None
