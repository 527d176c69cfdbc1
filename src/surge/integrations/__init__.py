"""surge.integrations: the ensemble optimizer inside other frameworks.

* :mod:`surge.integrations.optuna` -- :class:`~surge.integrations.optuna.EnsembleSampler`,
  an Optuna sampler (``pip install 'surge[optuna]'``).

Importing this package imports nothing heavy: neither Optuna nor torch is loaded until
``surge.integrations.optuna`` itself is imported.
"""

from __future__ import annotations

__all__: list[str] = []
