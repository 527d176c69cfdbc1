"""Tests of the optimizer's import surface: lazy torch, the public names."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    return out.stdout.strip()


def test_surge_and_problems_do_not_import_torch() -> None:
    """`import surge`, `surge.problems` and the search space load no torch."""
    code = ("import sys, surge, surge.problems, surge.optimizer;"
            "from surge.optimizer import SearchSpace; print('torch' in sys.modules)")
    assert _run(code) == "False"


def test_top_level_names() -> None:
    """maximize, minimize and EnsembleOptimizer come from surge and surge.optimizer."""
    code = ("import surge, surge.optimizer as o;"
            "print(surge.maximize is o.maximize, surge.minimize is o.minimize,"
            " surge.EnsembleOptimizer is o.EnsembleOptimizer)")
    assert _run(code) == "True True True"


def test_optimizer_all_is_sorted_and_resolvable() -> None:
    """surge.optimizer.__all__ is sorted and every name resolves."""
    import surge.optimizer as o

    assert o.__all__ == sorted(o.__all__)
    for name in o.__all__:
        assert getattr(o, name) is not None
