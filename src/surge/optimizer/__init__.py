"""surge.optimizer: black-box optimization with an ensemble of diverse neural networks.

``maximize`` / ``minimize`` run a whole optimization; :class:`EnsembleOptimizer` is the
ask/tell core they wrap. Importing this package loads only the search space; torch is
imported on first use of any other name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from surge.optimizer.space import SearchSpace

if TYPE_CHECKING:
    from surge.optimizer._core import EnsembleOptimizer, OptimizerStats
    from surge.optimizer.api import Evaluation, OptimizeResult, maximize, minimize

__all__ = [
    "EnsembleOptimizer",
    "Evaluation",
    "OptimizeResult",
    "OptimizerStats",
    "SearchSpace",
    "maximize",
    "minimize",
]

_LAZY = {
    "EnsembleOptimizer": "surge.optimizer._core",
    "OptimizerStats": "surge.optimizer._core",
    "Evaluation": "surge.optimizer.api",
    "OptimizeResult": "surge.optimizer.api",
    "maximize": "surge.optimizer.api",
    "minimize": "surge.optimizer.api",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'surge.optimizer' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
