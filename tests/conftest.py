"""Shared fixtures: the benchmark scripts' modules, imported as their siblings see them."""

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).parents[1] / "benchmarks"


@pytest.fixture(scope="session")
def benchmark_module() -> Callable[[str], ModuleType]:
    """``benchmark_module("versus")``: a module of ``benchmarks/`` (they import each other
    as siblings, so the folder is on ``sys.path`` while importing)."""

    def load(name: str) -> ModuleType:
        sys.path.insert(0, str(BENCH))
        try:
            return importlib.import_module(name)
        finally:
            sys.path.remove(str(BENCH))

    return load
