"""The surrogate: k diverse multilayer perceptrons trained as ONE batched torch module.

Design
------
The seed's method needs k networks that learn *different* things from the same samples,
trained concurrently. The original (gorann) ran one goroutine per network; here the k
members are a single module whose every weight tensor carries a leading ensemble
dimension ``s = k``: one forward is a handful of ``torch.baddbmm`` calls on tensors of
shape ``(s, n, width)``, one backward trains all members at once, and k = 30 costs a
small multiple of k = 1 instead of 30 times as much.

Diversity is real, per member (:class:`MemberSpec`):

* **seed** -- each member's weights and sparsity mask come from its own generator;
* **architecture** -- depth (hidden layers) and width differ. Members are padded to the
  largest depth and width: the weight mask holds the weights and biases of the units
  beyond a member's width at zero (so those units output ``act(0) = 0``), and a hidden
  layer beyond a member's depth is an identity (``h <- h``), so padding never changes
  what a member computes. Members are sorted so that those sharing a depth and an
  activation are contiguous: each layer applies one activation per contiguous run;
* **activation** -- tanh, SiLU or ELU per member. ReLU is left out on purpose: its
  input gradient is piecewise constant, so a ReLU surrogate's ascent runs to a corner of
  a linear piece instead of to a smooth maximum. All three satisfy ``act(0) = 0``, which
  keeps padded units at exactly zero;
* **optimizer** -- Adam, RMSprop or Rprop, applied to *all* layers (gorann applied the
  named optimizer only to the last matrix and plain SGD+momentum to the others), with
  its own learning rate and weight decay. :class:`BatchedTrainer` implements the three
  rules elementwise on the batched tensors and selects per member with a mask;
* **sparsity** -- a fixed random fraction of each member's weights is zero, and the mask
  is re-applied after *every* optimizer step, so it persists (gorann's sparsity was wiped
  out when the runners re-drew all weights at start; see ``docs/optimize/design.md``).

Every member sees every sample. gorann rotated fixed-size windows of one sample stream
between runners so that each network eventually trained on every evaluation. Here the
pool is shared and each member draws its own minibatches from it (its own random stream),
and the samples told since the last training round are put in *every* member's next
minibatches, so no evaluation is ever skipped by any member.

Inputs are unit-cube points (mapped to ``[-1, 1]`` inside the module); targets are the
optimizer's training targets: normal scores of the told values' ranks, or standardized
values under noise (the optimizer always maximizes). Shapes are the contract:
``forward(x)`` takes ``(n, d)`` (shared points) or ``(s, n, d)`` (one set per member)
and returns ``(s, n)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import Tensor, nn

__all__ = [
    "ACTIVATIONS",
    "ADAM_BETA1",
    "ADAM_BETA2",
    "BASE_LR",
    "OPTIMIZERS",
    "OPTIMIZER_EPS",
    "BatchedEnsemble",
    "BatchedTrainer",
    "MemberSpec",
    "sample_member_specs",
]

ACTIVATIONS: tuple[str, ...] = ("tanh", "silu", "elu")
OPTIMIZERS: tuple[str, ...] = ("adam", "rmsprop", "rprop")

# Palette the member architectures are drawn from.
_DEPTHS = (1, 2, 3)
_DEPTH_WEIGHTS = (0.2, 0.5, 0.3)
_WIDTHS = (24, 32, 48)
_ACTIVATION_WEIGHTS = (0.35, 0.35, 0.3)
_SPARSITY_MAX = 0.3
# Learning rates are drawn log-uniformly in [base / _LR_SPREAD, base * _LR_SPREAD].
BASE_LR = {"adam": 1e-2, "rmsprop": 3e-3, "rprop": 3e-3}
_LR_SPREAD = 2.0
_WEIGHT_DECAY_MAX = 1e-4
# Optimizer constants (the usual defaults); public because surge.optimizer.nes's
# batched Adam uses the same ones.
ADAM_BETA1 = 0.9
ADAM_BETA2 = 0.999
_RMS_ALPHA = 0.99
OPTIMIZER_EPS = 1e-8
_RPROP_ETA_PLUS = 1.2
_RPROP_ETA_MINUS = 0.5
_RPROP_MIDPOINT = (_RPROP_ETA_PLUS + _RPROP_ETA_MINUS) / 2.0
_RPROP_HALF_SPAN = (_RPROP_ETA_PLUS - _RPROP_ETA_MINUS) / 2.0
_RPROP_STEP_MIN = 1e-6
_RPROP_STEP_MAX = 0.05


@dataclass(frozen=True)
class MemberSpec:
    """One member's hyper-parameters.

    Attributes:
        depth: number of hidden layers, >= 1.
        width: units per hidden layer.
        activation: one of :data:`ACTIVATIONS`.
        optimizer: one of :data:`OPTIMIZERS`; applied to all layers.
        learning_rate: step size of the optimizer (Rprop: initial per-weight step).
        weight_decay: L2 coefficient added to the gradient.
        sparsity: fraction of weights held at zero for the member's whole life, in [0, 1).
        seed: the member's own seed (weights and mask).
    """

    depth: int
    width: int
    activation: str
    optimizer: str
    learning_rate: float
    weight_decay: float
    sparsity: float
    seed: int


def sample_member_specs(k: int, rng: np.random.Generator) -> list[MemberSpec]:
    """Draw k diverse member specifications.

    Optimizers cycle Adam, RMSprop, Rprop over the members (as gorann's ``i mod 3``);
    every other hyper-parameter is drawn from ``rng``.

    Args:
        k: number of members, >= 1.
        rng: the generator to draw from.

    Returns:
        k specifications.
    """
    specs = []
    # Member i uses OPTIMIZERS[i mod 3], as gorann's networks did.
    opts = [OPTIMIZERS[i % len(OPTIMIZERS)] for i in range(k)]
    for opt in opts:
        depth = int(rng.choice(_DEPTHS, p=_DEPTH_WEIGHTS))
        width = int(rng.choice(_WIDTHS))
        act = str(ACTIVATIONS[int(rng.choice(len(ACTIVATIONS), p=_ACTIVATION_WEIGHTS))])
        lr = BASE_LR[opt] * math.exp(rng.uniform(-1.0, 1.0) * math.log(_LR_SPREAD))
        wd = float(rng.uniform(0.0, _WEIGHT_DECAY_MAX))
        sparsity = float(rng.uniform(0.0, _SPARSITY_MAX))
        seed = int(rng.integers(0, 2**31 - 1))
        specs.append(
            MemberSpec(
                depth=depth,
                width=width,
                activation=act,
                optimizer=opt,
                learning_rate=float(lr),
                weight_decay=wd,
                sparsity=sparsity,
                seed=seed,
            )
        )
    # Sorted by depth and activation: the forward pass applies one activation per
    # contiguous run of members, so fewer runs mean fewer (small) kernels.
    specs.sort(key=lambda sp: (sp.depth, ACTIVATIONS.index(sp.activation)))
    return specs


def _activation(name: str, z: Tensor) -> Tensor:
    if name == "tanh":
        return torch.tanh(z)
    if name == "silu":
        return torch.nn.functional.silu(z)
    return torch.nn.functional.elu(z)


class BatchedEnsemble(nn.Module):
    """k MLPs ``R^d -> R`` evaluated in one batched pass.

    All of a member's weights and biases live in one row of a flat ``(s, P)`` parameter
    table, so a training step updates every member with a few elementwise operations, and
    ``forward`` takes views of it: ``(s, d, W)`` for the input layer, ``(s, W, W)`` for
    hidden layers, ``(s, W, 1)`` for the output, and ``(s, 1, out)`` biases, with W the
    largest width.

    Args:
        dim: input dimension d.
        specs: one :class:`MemberSpec` per member (s = ``len(specs)``); members sharing a
            depth and an activation are cheapest when contiguous.
        pad_width, pad_depth: pad to at least this width / depth, so that a smaller
            ensemble (a fork of one member) has the same row layout as a larger one and
            rows can be copied between them.

    Raises:
        ValueError: no member.
    """

    mask: Tensor

    def __init__(
        self,
        dim: int,
        specs: Sequence[MemberSpec],
        *,
        pad_width: int | None = None,
        pad_depth: int | None = None,
    ) -> None:
        super().__init__()
        if not specs:
            raise ValueError("an ensemble needs at least one member")
        self.dim = dim
        self.specs = list(specs)
        s = len(self.specs)
        width = max([sp.width for sp in self.specs] + [pad_width or 0])
        depth = max([sp.depth for sp in self.specs] + [pad_depth or 0])
        self.width = width
        self.depth = depth
        shapes = [(dim, width)] + [(width, width)] * (depth - 1) + [(width, 1)]
        # Layout of one row: W0, b0, W1, b1, ..., W_L, b_L.
        self._layout: list[tuple[int, int, int, int]] = []  # (w_offset, b_offset, in, out)
        offset = 0
        for fan_in, fan_out in shapes:
            self._layout.append((offset, offset + fan_in * fan_out, fan_in, fan_out))
            offset += fan_in * fan_out + fan_out
        self.n_params = offset
        self._split_sizes = [n for _, _, i, o in self._layout for n in (i * o, o)]
        table = torch.zeros(s, offset)
        mask = torch.zeros(s, offset)
        n_layers = len(self._layout)
        for m, sp in enumerate(self.specs):
            # Draws depend only on the member's own spec, never on the padding: a member
            # is the same network alone or inside any ensemble.
            gen = torch.Generator().manual_seed(sp.seed)
            for li, (wo, bo, fan_in, fan_out) in enumerate(self._layout):
                last = li == n_layers - 1
                if not last and li >= sp.depth:
                    continue  # an identity layer past the member's depth: all masked
                real_in = dim if li == 0 else sp.width
                real_out = 1 if last else sp.width
                bound = math.sqrt(6.0 / (real_in + real_out))  # Glorot uniform
                w = (torch.rand(real_in, real_out, generator=gen) * 2.0 - 1.0) * bound
                keep = (torch.rand(real_in, real_out, generator=gen) >= sp.sparsity).float()
                if last:
                    keep.fill_(1.0)  # the output column is never sparsified
                w_full = torch.zeros(fan_in, fan_out)
                k_full = torch.zeros(fan_in, fan_out)
                w_full[:real_in, :real_out] = w * keep
                k_full[:real_in, :real_out] = keep
                table[m, wo:bo] = w_full.reshape(-1)
                mask[m, wo:bo] = k_full.reshape(-1)
                mask[m, bo : bo + real_out] = 1.0
        self.params = nn.Parameter(table)
        self.register_buffer("mask", mask)
        # Maximal runs of consecutive members sharing (depth, activation).
        self._runs: list[tuple[int, int, int, str]] = []  # (start, stop, depth, activation)
        for m, sp in enumerate(self.specs):
            if self._runs and self._runs[-1][2:] == (sp.depth, sp.activation):
                a, _, dep, act = self._runs[-1]
                self._runs[-1] = (a, m + 1, dep, act)
            else:
                self._runs.append((m, m + 1, sp.depth, sp.activation))
        self._run_sizes = [stop - start for start, stop, _, _ in self._runs]

    @property
    def size(self) -> int:
        """Number of members s."""
        return len(self.specs)

    def table(self) -> Tensor:
        """All parameters, one row per member, shape ``(s, P)`` (a differentiable view)."""
        return self.params

    def apply_masks(self) -> None:
        """Zero every masked parameter (sparsity and padding); called after each step."""
        with torch.no_grad():
            self.params.mul_(self.mask)

    def _layer(self, li: int, z: Tensor, h: Tensor | None, reps: int = 1) -> Tensor:
        """Hidden layer ``li``: each run's activation, or identity past a member's depth.

        With ``reps`` > 1 the batch holds ``reps`` consecutive copies of each member.
        """
        if len(self._runs) == 1:
            _, _, depth, act = self._runs[0]
            return _activation(act, z) if (h is None or li < depth) else h
        sizes = self._run_sizes if reps == 1 else [n * reps for n in self._run_sizes]
        # torch.split, not slicing: its backward is one concatenation, where each slice's
        # backward would allocate and fill a full-size zero gradient.
        zs = torch.split(z, sizes, dim=0)
        hs = torch.split(h, sizes, dim=0) if h is not None else zs
        pieces = [
            hp if (h is not None and li >= depth) else _activation(act, zp)
            for zp, hp, (_, _, depth, act) in zip(zs, hs, self._runs, strict=True)
        ]
        return torch.cat(pieces, dim=0)

    def forward(self, x: Tensor) -> Tensor:
        """Predict the objective in target units (the optimizer's training targets).

        Args:
            x: unit-cube points, shape ``(n, d)`` (the same points for every member) or
                ``(s, n, d)`` (one set per member).

        Returns:
            Predictions of shape ``(s, n)``.
        """
        s = self.size
        if x.dim() == 2:  # noqa: PLR2004 - (n, d) input
            x = x.unsqueeze(0).expand(s, -1, -1)
        return self._forward(self.table(), x, 1)

    def forward_table(self, table: Tensor, x: Tensor) -> Tensor:
        """Predict with other parameters: ``r`` candidate rows per member.

        This is what evolution strategies need: many perturbed copies of every member
        evaluated in one batched pass, without touching the module's own parameters.

        Args:
            table: parameters, shape ``(s, r, P)`` (``r`` rows per member, in member order).
            x: unit-cube points, shape ``(s, n, d)`` (one set per member, shared by that
                member's r rows).

        Returns:
            Predictions of shape ``(s, r, n)``.
        """
        s, r, n_params = table.shape
        if s != self.size or n_params != self.n_params:
            raise ValueError(
                f"forward_table expects a table of shape ({self.size}, r, {self.n_params}). "
                f"Got {tuple(table.shape)} instead."
            )
        xr = x.unsqueeze(1).expand(s, r, *x.shape[1:]).reshape(s * r, *x.shape[1:])
        out = self._forward(table.reshape(s * r, n_params), xr, r)
        return out.view(s, r, -1)

    def _forward(self, table: Tensor, x: Tensor, reps: int) -> Tensor:
        """The batched pass: ``table`` rows ``(s reps, P)``, points ``(s reps, n, d)``."""
        rows = table.shape[0]
        parts = torch.split(table, self._split_sizes, dim=1)
        h = x * 2.0 - 1.0
        n_layers = len(self._layout)
        for li, (_, _, fan_in, fan_out) in enumerate(self._layout):
            w = parts[2 * li].view(rows, fan_in, fan_out)
            b = parts[2 * li + 1].view(rows, 1, fan_out)
            z = torch.baddbmm(b, h, w)
            if li == n_layers - 1:
                return z.squeeze(-1)
            h = self._layer(li, z, None if li == 0 else h, reps)
        raise AssertionError("unreachable")  # pragma: no cover

    def spec_dicts(self) -> list[dict[str, object]]:
        """The member specifications as plain dictionaries (for saving)."""
        return [asdict(sp) for sp in self.specs]


class BatchedTrainer:
    """Per-member Adam / RMSprop / Rprop on the ensemble's parameter table, all layers.

    The members using one optimizer are gathered (one index per optimizer), updated with a
    few elementwise operations on their ``(s_o, P)`` block, and scattered back; per-member
    learning rates and weight decays are ``(s_o, 1)`` columns. The sparsity and padding
    masks are re-applied after every step, so the zeros persist.

    Args:
        model: the ensemble to train.
    """

    def __init__(self, model: BatchedEnsemble) -> None:
        self.model = model
        self.step_count = 0
        self.names: list[str] = []
        self.index: list[Tensor] = []
        self.lr: list[Tensor] = []
        self.wd: list[Tensor] = []
        for name in OPTIMIZERS:
            members = [m for m, sp in enumerate(model.specs) if sp.optimizer == name]
            if not members:
                continue
            self.names.append(name)
            self.index.append(torch.tensor(members, dtype=torch.long))
            self.lr.append(torch.tensor([[model.specs[m].learning_rate] for m in members]))
            self.wd.append(torch.tensor([[model.specs[m].weight_decay] for m in members]))
        n_params = model.n_params
        # Per optimizer: first moment / Rprop previous gradient, second moment / Rprop step.
        self.state: dict[str, list[Tensor]] = {
            "a": [torch.zeros(len(i), n_params) for i in self.index],
            "b": [
                (lr.expand(len(i), n_params).clone() if name == "rprop"
                 else torch.zeros(len(i), n_params))
                for i, lr, name in zip(self.index, self.lr, self.names, strict=True)
            ],
        }

    def params(self) -> list[nn.Parameter]:
        """The trained leaf: the ``(s, P)`` parameter table."""
        return [self.model.params]

    def train_step(self, x: Tensor, y: Tensor) -> None:
        """One backpropagation step of every member on its own minibatch.

        Args:
            x: unit-cube points, ``(s, b, d)``.
            y: training targets (target units), ``(s, b)``.
        """
        for p in self.params():
            p.grad = None
        pred = self.model(x)
        loss = ((pred - y) ** 2).mean(dim=1).sum()
        loss.backward()
        self.step()

    def _where(self, member: int) -> tuple[int, int]:
        """(optimizer group, row within the group) of a member."""
        for i, idx in enumerate(self.index):
            hits = (idx == member).nonzero()
            if hits.numel():
                return i, int(hits[0, 0])
        raise IndexError(f"no member {member}")  # pragma: no cover

    def member_state(self, member: int) -> dict[str, Tensor]:
        """One member's optimizer rule and moments (copies), for forks and transfers."""
        i, r = self._where(member)
        return {"a": self.state["a"][i][r].clone(), "b": self.state["b"][i][r].clone()}

    def set_member_state(self, member: int, state: dict[str, Tensor]) -> None:
        """Restore one member's moments saved by :meth:`member_state` (same rule)."""
        i, r = self._where(member)
        self.state["a"][i][r].copy_(state["a"])
        self.state["b"][i][r].copy_(state["b"])

    @torch.no_grad()
    def step(self) -> None:
        """Apply one update to every member from the gradient in ``.grad``."""
        self.step_count += 1
        t = self.step_count
        table = self.model.params
        grad_all = table.grad
        if grad_all is None:
            return
        for i, name in enumerate(self.names):
            idx = self.index[i]
            p = table.index_select(0, idx)
            g = grad_all.index_select(0, idx).addcmul_(self.wd[i], p)
            a, b = self.state["a"][i], self.state["b"][i]
            if name == "adam":
                a.mul_(ADAM_BETA1).add_(g, alpha=1.0 - ADAM_BETA1)
                b.mul_(ADAM_BETA2).addcmul_(g, g, value=1.0 - ADAM_BETA2)
                denom = (b / (1.0 - ADAM_BETA2**t)).sqrt_().add_(OPTIMIZER_EPS)
                p.addcdiv_(a * (self.lr[i] / (1.0 - ADAM_BETA1**t)), denom, value=-1.0)
            elif name == "rmsprop":
                b.mul_(_RMS_ALPHA).addcmul_(g, g, value=1.0 - _RMS_ALPHA)
                p.addcdiv_(g * self.lr[i], b.sqrt().add_(OPTIMIZER_EPS), value=-1.0)
            else:
                # Rprop: a per-weight step grows while the gradient keeps its sign and
                # shrinks on a sign flip (then that weight skips one update).
                sign = (g * a).sign_()
                # factor = eta+ where the sign held, eta- where it flipped, 1 where g*a == 0.
                factor = sign * _RPROP_HALF_SPAN + _RPROP_MIDPOINT
                factor = torch.where(sign == 0, 1.0, factor)
                b.mul_(factor).clamp_(_RPROP_STEP_MIN, _RPROP_STEP_MAX)
                g = torch.where(sign < 0, 0.0, g)
                p.addcmul_(g.sign(), b, value=-1.0)
                a.copy_(g)
            table.index_copy_(0, idx, p)
        self.model.apply_masks()

    def state_tensors(self) -> dict[str, list[Tensor]]:
        """The optimizer state (for saving)."""
        return {k: [t.clone() for t in v] for k, v in self.state.items()}

    def load_state_tensors(self, state: dict[str, list[Tensor]], step_count: int) -> None:
        """Restore the optimizer state saved by :meth:`state_tensors`."""
        for key, tensors in state.items():
            for dst, src in zip(self.state[key], tensors, strict=True):
                dst.copy_(src)
        self.step_count = step_count
