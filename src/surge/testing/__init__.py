"""surge.testing: public contract suites and fakes for tests of models and primitives.

``ModelContract`` runs the same behaviour checks on every registered model (Optuna's
sampler-contract idea); ``fakes`` re-exports the ideal twins of the primitives.
"""

from surge.testing.contracts import ModelContract
from surge.testing.fakes import IdealLink, InstantDisk

__all__ = ["IdealLink", "InstantDisk", "ModelContract"]
