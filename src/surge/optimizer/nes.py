"""NES training: the ensemble's networks trained by a natural evolution strategy.

Design
------
The seed names Natural Evolution Strategies as the alternative to backpropagation: a
network's weights are the mean of a Gaussian search distribution, perturbed copies are
scored on the data, and the mean moves along the fitness-weighted perturbations. No
derivative of the network is needed.

One :meth:`NesTrainer.train_step` does, for every member m of the batched ensemble at
once (one ``forward_table`` pass of ``s x (2p + 2)`` networks):

1. draws p **antithetic** pairs ``theta_m +- sigma_m eps_i``, ``eps_i ~ N(0, I)``
   (masked: sparse and padded weights are never perturbed, so they stay zero);
2. scores the 2p copies, the centre and the previous centre on the member's minibatch
   (mean squared error);
3. **shapes** the fitness per member -- centred ranks in ``[-0.5, 0.5]`` (default) or
   z-scores -- so only the order of the copies matters, never the scale of the loss;
4. estimates the loss gradient ``g = -(1 / (p sigma)) sum_i (F+_i - F-_i) / 2 eps_i`` and
   applies it with Adam (the usual choice for ES since Salimans et al. 2017), plus the
   member's weight decay;
5. adapts **sigma** by its natural gradient (SNES, scalar per member): pairs whose
   perturbation was longer than average and scored well lengthen sigma, and vice versa;
6. adapts the **learning rate** by success, judged without bias: the centre and the
   previous centre are compared on this fresh minibatch, which neither was fitted to;
   lr x1.1 when the centre is better, x0.89 when not (the rate settles near 55% success).

Noise comes from one ``torch.Generator`` seeded by the optimizer's stream, so a seed
fixes the run; its state is part of the saved state.

What the original (gorann ``evolution.go``, reference ``gorann.md`` section 4.1) did and
what changed here:

* rewards were standardized into z-scores and then compared against thresholds computed
  from the *raw* rewards (``raw_mean + hireward raw_std``) -- a unit mix-up; here the
  shaped fitness is used alone, with no threshold;
* the required reward gap between twins (``rewd``) doubled every ``rewdup`` backprops, so
  after a few hundred samples no pair passed it and learning stopped; here there is no
  gap, and the step size adapts both ways by measured success;
* only the better twin of each pair contributed, and one layer was perturbed per sample
  (round robin); here both twins contribute symmetrically and all layers move together;
* updates were per training sample with a momentum term; here per minibatch, with Adam;
* noise entries were zeroed at random (``sparsity``) and deterministic "inflated" copies
  of noise matrices were reused; here the noise is masked by the member's *persistent*
  sparsity mask only, and every entry is fresh.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from surge.optimizer.ensemble import ADAM_BETA1, ADAM_BETA2, BASE_LR, OPTIMIZER_EPS, BatchedEnsemble

__all__ = ["SHAPINGS", "NesTrainer"]

SHAPINGS: tuple[str, ...] = ("ranks", "zscores")

_PAIRS = 16
_SIGMA_INIT = 0.02
_SIGMA_MIN = 1e-4
_SIGMA_MAX = 0.2
_SIGMA_ETA = 0.2
_LR_INIT = 3e-3
_LR_MIN = 1e-4
_LR_MAX = 0.03
_LR_UP = 1.1
# Equilibrium at ~55% success: a noisy estimate succeeds little more than half the time.
_LR_DOWN = 0.89


def _shape(rewards: Tensor, shaping: str) -> Tensor:
    """Per-row fitness shaping of ``(s, r)`` rewards (higher is better)."""
    if shaping == "ranks":
        r = rewards.shape[1]
        ranks = rewards.argsort(dim=1).argsort(dim=1).to(rewards.dtype)
        return ranks / max(r - 1, 1) - 0.5
    mean = rewards.mean(dim=1, keepdim=True)
    std = rewards.std(dim=1, keepdim=True).clamp_min(1e-12)
    return (rewards - mean) / std


class NesTrainer:
    """Antithetic NES with fitness shaping and adaptive step sizes, for every member.

    Same interface as :class:`~surge.optimizer.ensemble.BatchedTrainer`
    (``train_step``, ``state_tensors``, ``member_state``), so the optimizer can use either.

    Args:
        model: the ensemble whose parameter table is trained.
        seed: seed of the perturbation noise.
        pairs: antithetic pairs per member per step (2 x pairs scored copies).
        shaping: ``"ranks"`` (centred ranks) or ``"zscores"``.
        sigma: initial perturbation scale (weights' units), per member.
        learning_rate: initial Adam step; each member's is scaled by its spec's
            learning rate relative to its rule's base (the ensemble's diversity).

    Raises:
        ValueError: ``pairs`` < 1 or an unknown ``shaping``.
    """

    def __init__(
        self,
        model: BatchedEnsemble,
        *,
        seed: int = 0,
        pairs: int = _PAIRS,
        shaping: str = "ranks",
        sigma: float = _SIGMA_INIT,
        learning_rate: float = _LR_INIT,
    ) -> None:
        if isinstance(pairs, bool) or not isinstance(pairs, int) or pairs < 1:
            raise ValueError(f"The 'pairs' parameter must be an int >= 1. Got {pairs!r}.")
        if shaping not in SHAPINGS:
            raise ValueError(
                f"The 'shaping' parameter must be one of {', '.join(SHAPINGS)}. "
                f"Got {shaping!r} instead."
            )
        self.model = model
        self.pairs = pairs
        self.shaping = shaping
        self.step_count = 0
        s, n_params = model.size, model.n_params
        self.generator = torch.Generator().manual_seed(int(seed))
        scale = torch.tensor(
            # Each member keeps its learning rate relative to its gradient rule's base (the
            # ensemble's diversity), rescaled to the NES base.
            [sp.learning_rate / BASE_LR.get(sp.optimizer, sp.learning_rate)
             for sp in model.specs]
        )
        self.state: dict[str, list[Tensor]] = {
            "m": [torch.zeros(s, n_params)],
            "v": [torch.zeros(s, n_params)],
            "lr": [(learning_rate * scale).clamp(_LR_MIN, _LR_MAX)],
            "sigma": [torch.full((s,), float(sigma))],
            "prev": [model.params.detach().clone()],
        }
        self.wd = torch.tensor([[sp.weight_decay] for sp in model.specs])
        # Effective dimension per member: the perturbed (unmasked) weights.
        self.n_free = model.mask.sum(dim=1)

    @property
    def lr(self) -> Tensor:
        """Per-member learning rates, ``(s,)``."""
        return self.state["lr"][0]

    @property
    def sigma(self) -> Tensor:
        """Per-member perturbation scales, ``(s,)``."""
        return self.state["sigma"][0]

    def params(self) -> list[nn.Parameter]:
        """The trained leaf: the ``(s, P)`` parameter table (never given a gradient)."""
        return [self.model.params]

    @torch.no_grad()
    def train_step(self, x: Tensor, y: Tensor) -> None:
        """One NES step of every member on its own minibatch.

        Args:
            x: unit-cube points, ``(s, b, d)``.
            y: training targets, ``(s, b)``.
        """
        self.step_count += 1
        t = self.step_count
        model = self.model
        theta = model.params.detach()
        s, n_params = theta.shape
        p = self.pairs
        sigma = self.sigma
        eps = torch.randn(s, p, n_params, generator=self.generator) * model.mask[:, None, :]
        step = eps * sigma[:, None, None]
        prev = self.state["prev"][0]
        table = torch.cat([theta[:, None, :], prev[:, None, :], theta[:, None, :] + step,
                           theta[:, None, :] - step], dim=1)
        pred = model.forward_table(table, x)                       # (s, 2p + 2, b)
        loss = ((pred - y[:, None, :]) ** 2).mean(dim=2)           # (s, 2p + 2)
        centre = loss[:, 0]
        fitness = _shape(-loss[:, 2:], self.shaping)               # (s, 2p)
        f_plus, f_minus = fitness[:, :p], fitness[:, p:]
        # Loss gradient estimate (descent direction of -fitness), (s, P).
        grad = -torch.einsum("sp,spn->sn", (f_plus - f_minus) * 0.5, eps)
        grad = grad / (p * sigma[:, None])
        grad.addcmul_(self.wd, theta)
        # Adam on the estimate.
        m, v = self.state["m"][0], self.state["v"][0]
        m.mul_(ADAM_BETA1).add_(grad, alpha=1.0 - ADAM_BETA1)
        v.mul_(ADAM_BETA2).addcmul_(grad, grad, value=1.0 - ADAM_BETA2)
        denom = (v / (1.0 - ADAM_BETA2**t)).sqrt_().add_(OPTIMIZER_EPS)
        lr = self.lr
        # Learning rate by success, measured without bias or batch noise: the current and
        # the previous parameters compared on this minibatch, which neither was fitted to.
        if t > 1:
            improved = centre < loss[:, 1]
            lr.mul_(torch.where(improved, _LR_UP, _LR_DOWN)).clamp_(_LR_MIN, _LR_MAX)
        prev.copy_(theta)
        update = m / (1.0 - ADAM_BETA1**t) / denom * lr[:, None]
        model.params.sub_(update)
        model.apply_masks()
        # Sigma: natural gradient of log sigma (SNES), twins share |eps|.
        n_free = self.n_free.clamp_min(1.0)
        norm2 = (eps**2).sum(dim=2)                                # (s, p)
        u = (norm2 - n_free[:, None]) / torch.sqrt(2.0 * n_free[:, None])
        g_log_sigma = ((f_plus + f_minus) * u).sum(dim=1) / p
        sigma.mul_(torch.exp(_SIGMA_ETA * g_log_sigma)).clamp_(_SIGMA_MIN, _SIGMA_MAX)

    # ------------------------------------------------------------------ state
    def state_tensors(self) -> dict[str, list[Tensor]]:
        """The trainer state, including the noise generator (for saving)."""
        out = {k: [t.clone() for t in v] for k, v in self.state.items()}
        out["generator"] = [self.generator.get_state()]
        return out

    def load_state_tensors(self, state: dict[str, list[Tensor]], step_count: int) -> None:
        """Restore the state saved by :meth:`state_tensors`."""
        for key, tensors in state.items():
            if key == "generator":
                self.generator.set_state(tensors[0])
                continue
            for dst, src in zip(self.state[key], tensors, strict=True):
                dst.copy_(src)
        self.step_count = step_count

    def member_state(self, member: int) -> dict[str, Tensor]:
        """One member's moments, learning rate and sigma (copies)."""
        return {k: v[0][member].clone() for k, v in self.state.items()}

    def set_member_state(self, member: int, state: dict[str, Tensor]) -> None:
        """Overwrite one member's moments, learning rate and sigma."""
        for k, v in self.state.items():
            v[0][member].copy_(state[k])


def loss_of(model: BatchedEnsemble, x: Tensor, y: Tensor) -> Tensor:
    """Mean squared error of every member on the same points, ``(s,)``.

    Args:
        model: the ensemble.
        x: unit-cube points, ``(n, d)``.
        y: training targets, ``(n,)``.
    """
    with torch.no_grad():
        pred: Tensor = model(x)
        return ((pred - y[None, :]) ** 2).mean(dim=1)

