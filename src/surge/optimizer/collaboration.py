"""Fork / merge: runners that share weights, hyper-parameters and architecture, not only samples.

Design
------
The seed's NES section describes a collaboration the gradient ensemble lacks: fork the
most promising runner, train the fork apart for a while, merge it back. The original
never implemented it (its ``collab_I`` copy step was disabled by a threshold of 123456).
Here, with ``collaboration="fork-merge"``:

1. **Fork.** Once the pool holds enough points, the member with the lowest prequential
   error (the optimizer's running out-of-sample error, i.e. the surrogate that predicts
   new evaluations best) is copied into a one-member *fork*: its weights, architecture
   and sparsity mask, with the **hyper-parameters of a sibling** -- the second-best
   member's learning rule, learning rate and weight decay (NES: its learning rate and
   noise scale). With one network, the fork doubles or halves the learning rate instead.
2. **Apart.** The fork trains on the shared pool with its own minibatches, as many steps
   as the ensemble, and the pool is never changed (the fork only reads it). Every told
   point is predicted by the fork and by its parent *before* either trains on it, so
   both are scored on the same unseen points.
3. **Merge** after ``period`` scored points: if the fork's error is lower, it **replaces**
   its parent (weights, hyper-parameters and trainer state: the sibling's rule is
   adopted); otherwise the two are averaged, weighted by fitness ``1 / error``, and the
   average is kept only if its loss on the pool is no worse than the parent's. The
   average of two identical networks is that network, so a merge never damages a parent
   that the fork did not improve on.
4. **Adopt.** After a merge, a member whose prequential error is more than
   ``ADOPT_RATIO`` times the parent's takes a copy of the parent -- architecture, mask,
   hyper-parameters and weights (the original's ``collab_I`` step, enabled).

Then the next fork starts. Counters of forks, replacements, averages and adoptions are
kept for the study and the saved state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import Tensor

from surge.optimizer.ensemble import BatchedEnsemble, MemberSpec
from surge.optimizer.nes import NesTrainer, loss_of
from surge.optimizer.trainers import Trainer, make_trainer, rebuild

__all__ = ["ADOPT_RATIO", "COLLABORATIONS", "Fork", "ForkMerge", "merge_rows"]

COLLABORATIONS: tuple[str, ...] = ("none", "fork-merge")
ADOPT_RATIO = 3.0
_PERIOD = 16
_LR_EXPLORE = 2.0


def merge_rows(parent: Tensor, fork: Tensor, parent_error: float, fork_error: float) -> Tensor:
    """Fitness-weighted average of two parameter rows (fitness = ``1 / error``).

    Args:
        parent, fork: parameter rows of the same layout, ``(P,)``.
        parent_error, fork_error: their mean squared prediction errors, >= 0.

    Returns:
        ``(1 - w) parent + w fork`` with ``w = (1/e_f) / (1/e_p + 1/e_f)``, computed as
        ``parent + w (fork - parent)`` so that two identical rows give the row itself,
        bit for bit.
    """
    fp = 1.0 / max(parent_error, 1e-12)
    ff = 1.0 / max(fork_error, 1e-12)
    w = ff / (fp + ff)
    return parent + (fork - parent) * w


@dataclass
class Fork:
    """A one-member copy of a parent, training apart.

    Attributes:
        parent: index of the parent member.
        model: the fork's one-member ensemble (same row layout as the parent's).
        trainer: its trainer.
        sq_err_fork, sq_err_parent: summed squared errors on points told since the fork.
        n_scored: how many points were scored.
    """

    parent: int
    model: BatchedEnsemble
    trainer: Trainer
    sq_err_fork: float = 0.0
    sq_err_parent: float = 0.0
    n_scored: int = 0


@dataclass
class ForkMerge:
    """The fork / merge schedule of one optimizer.

    Args:
        kind: the trainer kind (``"gradient"`` or ``"nes"``).
        period: points scored before a fork is merged back.
        min_points: pool size before the first fork.
    """

    kind: str
    period: int = _PERIOD
    min_points: int = 8
    fork: Fork | None = None
    counts: dict[str, int] = field(
        default_factory=lambda: {"forks": 0, "replaced": 0, "averaged": 0, "kept": 0,
                                 "adopted": 0}
    )

    # ------------------------------------------------------------------ hooks
    def score(self, x: Tensor, target: Tensor, parent_pred: Tensor) -> None:
        """Score the fork and its parent on newly told points, before training on them.

        Args:
            x: the new unit points, ``(m, d)``.
            target: their training targets, ``(m,)``.
            parent_pred: every member's prediction ``(k, m)``.
        """
        fork = self.fork
        if fork is None:
            return
        with torch.no_grad():
            pred = fork.model(x)[0]
        fork.sq_err_fork += float(((pred - target) ** 2).sum())
        fork.sq_err_parent += float(((parent_pred[fork.parent] - target) ** 2).sum())
        fork.n_scored += int(target.numel())

    def train(self, xt: Tensor, yt: Tensor, *, steps: int, batch: int,
              rng: np.random.Generator, new_pos: np.ndarray) -> None:
        """Train the fork apart: ``steps`` steps on its own minibatches of the pool.

        As every member, the fork sees every new sample (``new_pos``, pool positions):
        they fill the first slots of its minibatches.
        """
        fork = self.fork
        if fork is None:
            return
        n = int(xt.shape[0])
        b = min(batch, n)
        for step in range(steps):
            idx = rng.integers(0, n, size=(1, b))
            lo = (step * b) % max(new_pos.size, 1)
            fresh = new_pos[lo : lo + b]
            idx[:, : fresh.size] = fresh
            it = torch.as_tensor(idx)
            fork.trainer.train_step(xt[it], yt[it])

    def step(self, model: BatchedEnsemble, trainer: Trainer, error: np.ndarray, *,
             xt: Tensor, yt: Tensor, rng: np.random.Generator
             ) -> tuple[BatchedEnsemble, Trainer, list[int]]:
        """Merge a ripe fork, then start the next one.

        Args:
            model, trainer: the ensemble and its trainer.
            error: the members' prequential errors ``(k,)``.
            xt, yt: the pool (unit points ``(N, d)``, training targets ``(N,)``).
            rng: the optimizer's stream.

        Returns:
            The (possibly rebuilt) ensemble and trainer, and for each member the member
            whose adaptive state it should take (``range(k)`` when nobody changed).
        """
        k = model.size
        sources = list(range(k))
        if int(xt.shape[0]) < self.min_points:
            return model, trainer, sources
        if self.fork is not None and self.fork.n_scored >= self.period:
            model, trainer, sources = self._merge(model, trainer, error, xt, yt)
        if self.fork is None:
            self._start(model, trainer, error, rng)
        return model, trainer, sources

    # ------------------------------------------------------------------ internals
    def _start(self, model: BatchedEnsemble, trainer: Trainer, error: np.ndarray,
               rng: np.random.Generator) -> None:
        order = np.argsort(error, kind="stable")
        parent = int(order[0])
        spec = model.specs[parent]
        sibling = int(order[1]) if order.size > 1 else parent
        fork_model = BatchedEnsemble(
            model.dim, [spec], pad_width=model.width, pad_depth=model.depth
        )
        with torch.no_grad():
            fork_model.params.copy_(model.params[parent : parent + 1])
        seed = int(rng.integers(0, 2**31 - 1))
        explore = _LR_EXPLORE if rng.random() < 0.5 else 1.0 / _LR_EXPLORE  # noqa: PLR2004
        state = trainer.member_state(parent)
        if isinstance(trainer, NesTrainer):
            fork_trainer: Trainer = NesTrainer(fork_model, seed=seed)
            sib = trainer.member_state(sibling)
            state["lr"] = sib["lr"] * (explore if sibling == parent else 1.0)
            state["sigma"] = sib["sigma"].clone()
            fork_trainer.set_member_state(0, state)
        else:
            sib_spec = model.specs[sibling]
            lr = sib_spec.learning_rate * (explore if sibling == parent else 1.0)
            fork_spec = replace(spec, optimizer=sib_spec.optimizer, learning_rate=lr,
                                weight_decay=sib_spec.weight_decay)
            fork_model.specs[0] = fork_spec
            fork_trainer = make_trainer("gradient", fork_model)
            if fork_spec.optimizer == spec.optimizer:  # same rule: keep the moments
                fork_trainer.set_member_state(0, state)
        self.fork = Fork(parent=parent, model=fork_model, trainer=fork_trainer)
        self.counts["forks"] += 1

    def _merge(self, model: BatchedEnsemble, trainer: Trainer, error: np.ndarray,
               xt: Tensor, yt: Tensor) -> tuple[BatchedEnsemble, Trainer, list[int]]:
        fork = self.fork
        assert fork is not None
        self.fork = None
        k = model.size
        p = fork.parent
        e_f = fork.sq_err_fork / max(fork.n_scored, 1)
        e_p = fork.sq_err_parent / max(fork.n_scored, 1)
        sources = list(range(k))
        if e_f < e_p:
            # The fork wins: it replaces its parent, with its hyper-parameters and state.
            specs = list(model.specs)
            specs[p] = fork.model.specs[0]
            model, trainer = rebuild(self.kind, model, trainer, sources, specs)
            with torch.no_grad():
                model.params[p].copy_(fork.model.params[0])
            trainer.set_member_state(p, fork.trainer.member_state(0))
            self.counts["replaced"] += 1
        else:
            with torch.no_grad():
                merged = merge_rows(model.params[p], fork.model.params[0], e_p, e_f)
                before = float(loss_of(model, xt, yt)[p])
                old = model.params[p].clone()
                model.params[p].copy_(merged)
                model.apply_masks()
                after = float(loss_of(model, xt, yt)[p])
                if after <= before or not math.isfinite(before):
                    self.counts["averaged"] += 1
                else:
                    model.params[p].copy_(old)
                    self.counts["kept"] += 1
        # Adopt: a member far worse than the parent takes a copy of it.
        worst = int(np.argmax(error))
        if k > 1 and worst != p and error[worst] > ADOPT_RATIO * error[p]:
            sources[worst] = p
            model, trainer = rebuild(self.kind, model, trainer, sources)
            self.counts["adopted"] += 1
        return model, trainer, sources

    # ------------------------------------------------------------------ persistence
    def state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """JSON-able metadata and tensors of the schedule (for saving)."""
        meta: dict[str, Any] = {"counts": dict(self.counts), "fork": None}
        tensors: dict[str, Any] = {}
        if self.fork is not None:
            f = self.fork
            meta["fork"] = {
                "parent": f.parent,
                "spec": f.model.spec_dicts()[0],
                "sq_err_fork": f.sq_err_fork,
                "sq_err_parent": f.sq_err_parent,
                "n_scored": f.n_scored,
                "trainer_steps": f.trainer.step_count,
            }
            tensors = {"fork_params": f.model.params.detach().clone(),
                       "fork_trainer": f.trainer.state_tensors()}
        return meta, tensors

    def load_state(self, meta: dict[str, Any], tensors: dict[str, Any],
                   model: BatchedEnsemble) -> None:
        """Restore what :meth:`state` saved."""
        self.counts = {str(k): int(v) for k, v in meta["counts"].items()}
        info = meta.get("fork")
        if info is None:
            self.fork = None
            return
        fork_model = BatchedEnsemble(
            model.dim, [MemberSpec(**info["spec"])], pad_width=model.width,
            pad_depth=model.depth,
        )
        with torch.no_grad():
            fork_model.params.copy_(tensors["fork_params"])
        trainer = make_trainer(self.kind, fork_model)
        trainer.load_state_tensors(tensors["fork_trainer"], int(info["trainer_steps"]))
        self.fork = Fork(
            parent=int(info["parent"]),
            model=fork_model,
            trainer=trainer,
            sq_err_fork=float(info["sq_err_fork"]),
            sq_err_parent=float(info["sq_err_parent"]),
            n_scored=int(info["n_scored"]),
        )
