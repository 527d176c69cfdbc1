"""surge: performance of distributed systems.

Simulate a storage cluster of any size in integer nanoseconds (:mod:`surge.sim`,
:mod:`surge.network`, :mod:`surge.storage`, :mod:`surge.models`), and optimize expensive
noisy black boxes with an ensemble of neural networks (:mod:`surge.optimizer`).

``import surge`` loads neither torch nor matplotlib; the names below other than
``Simulation`` are imported on first use: ``maximize``/``minimize``/``EnsembleOptimizer``
(the optimizer), ``run_model`` (a simulation), ``tune``/``sweep`` (the two together).
"""

from __future__ import annotations

from typing import Any

from surge.sim import Simulation

__version__ = "0.1.0"

__all__ = [
    "EnsembleOptimizer",
    "ModelSystem",
    "Simulation",
    "__version__",
    "maximize",
    "minimize",
    "run_model",
    "sweep",
    "tune",
]

_LAZY = {
    "EnsembleOptimizer": "surge.optimizer",
    "ModelSystem": "surge.tuning",
    "maximize": "surge.optimizer",
    "minimize": "surge.optimizer",
    "run_model": "surge.models",
    "sweep": "surge.tuning",
    "tune": "surge.tuning",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'surge' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
