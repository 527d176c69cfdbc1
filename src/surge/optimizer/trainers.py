"""How the ensemble's networks learn: backpropagation or NES, behind one interface.

Design
------
:class:`Trainer` is the small protocol both trainers satisfy -- one ``train_step`` on a
per-member minibatch, the state to save and restore, and per-member state that a fork
or a transfer between members can copy. :func:`make_trainer` builds either from its name
(``"gradient"``: :class:`~surge.optimizer.ensemble.BatchedTrainer`, ``"nes"``:
:class:`~surge.optimizer.nes.NesTrainer`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from torch import Tensor

from surge.optimizer.ensemble import BatchedEnsemble, BatchedTrainer, MemberSpec
from surge.optimizer.nes import NesTrainer

__all__ = ["TRAINERS", "Trainer", "make_trainer", "rebuild"]

TRAINERS: tuple[str, ...] = ("gradient", "nes")


class Trainer(Protocol):
    """What the optimizer needs of a trainer."""

    model: BatchedEnsemble
    step_count: int

    def train_step(self, x: Tensor, y: Tensor) -> None:
        """One step of every member on its own minibatch ``x (s, b, d)``, ``y (s, b)``."""

    def state_tensors(self) -> dict[str, list[Tensor]]:
        """The whole state, for saving."""

    def load_state_tensors(self, state: dict[str, list[Tensor]], step_count: int) -> None:
        """Restore the state saved by ``state_tensors``."""

    def member_state(self, member: int) -> dict[str, Tensor]:
        """One member's state (copies)."""

    def set_member_state(self, member: int, state: dict[str, Tensor]) -> None:
        """Overwrite one member's state."""


def make_trainer(kind: str, model: BatchedEnsemble, seed: int = 0) -> Trainer:
    """Build the trainer named ``kind`` for ``model``.

    Args:
        kind: one of :data:`TRAINERS`.
        model: the ensemble to train.
        seed: the NES noise seed (unused by the gradient trainer).

    Raises:
        ValueError: unknown ``kind``.
    """
    if kind == "gradient":
        return BatchedTrainer(model)
    if kind == "nes":
        return NesTrainer(model, seed=seed)
    raise ValueError(
        f"The 'trainer' parameter must be one of {', '.join(TRAINERS)}. Got {kind!r} instead."
    )


def rebuild(
    kind: str,
    model: BatchedEnsemble,
    trainer: Trainer,
    sources: list[int],
    specs: Sequence[MemberSpec] | None = None,
) -> tuple[BatchedEnsemble, Trainer]:
    """A new ensemble and trainer in which member m is a copy of old member ``sources[m]``.

    Weights, sparsity mask, hyper-parameters and trainer state all come from the source,
    so member m *adopts* its source's architecture and learning rule. The padding (row
    layout) is kept, so every row stays compatible with forks and saved states.

    Args:
        kind: the trainer kind.
        model: the current ensemble.
        trainer: its trainer.
        sources: for each new member, the old member it copies (``range(s)`` = no change).
        specs: override the new members' specs (default: the sources' specs).

    Returns:
        The new ensemble and its trainer.
    """
    new_specs = list(specs) if specs is not None else [model.specs[m] for m in sources]
    new_model = BatchedEnsemble(
        model.dim, new_specs, pad_width=model.width, pad_depth=model.depth
    )
    with_state = [trainer.member_state(m) for m in sources]
    new_model.params.data.copy_(model.params.detach()[sources])
    new_model.apply_masks()
    new_trainer = make_trainer(kind, new_model)
    for m, state in enumerate(with_state):
        new_trainer.set_member_state(m, state)
    new_trainer.step_count = trainer.step_count
    if isinstance(trainer, NesTrainer) and isinstance(new_trainer, NesTrainer):
        new_trainer.generator.set_state(trainer.generator.get_state())
    return new_model, new_trainer
