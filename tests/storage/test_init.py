"""Tests of the surge.storage package: curated exports, doctests, import direction."""

from __future__ import annotations

import ast
import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import surge.storage

MODULES = sorted(
    f"surge.storage.{info.name}" for info in pkgutil.iter_modules(surge.storage.__path__)
)


def _sort_key(name: str) -> tuple[int, str]:
    """isort's order, as in surge.sim: CONSTANTS, then Classes, then functions."""
    if name.isupper():
        return 0, name
    return (1 if name[0].isupper() else 2), name


class TestExports:
    def test_all_is_sorted_and_unique(self) -> None:
        """__all__ is sorted (constants, classes, functions) and has no duplicates."""
        names = surge.storage.__all__
        assert names == sorted(names, key=_sort_key)
        assert len(set(names)) == len(names)

    def test_all_names_exist(self) -> None:
        """Every exported name is an attribute of the package."""
        for name in surge.storage.__all__:
            assert hasattr(surge.storage, name), name

    def test_public_names_of_modules_are_exported(self) -> None:
        """Each public module's __all__ is re-exported by the package, except ids constants."""
        private = {"ID_BITS", "MAX_ORIGIN", "check_int", "check_real", "param_error"}
        for module_name in MODULES:
            module = importlib.import_module(module_name)
            for name in getattr(module, "__all__", []):
                if name not in private:
                    assert name in surge.storage.__all__, f"{module_name}.{name}"


class TestDoctests:
    @pytest.mark.parametrize("module_name", MODULES)
    def test_examples_run(self, module_name: str) -> None:
        """The examples in each module's docstrings run and print what they show."""
        result = doctest.testmod(importlib.import_module(module_name))
        assert result.failed == 0


class TestLayering:
    @pytest.mark.parametrize("module_name", MODULES)
    def test_imports_only_sim(self, module_name: str) -> None:
        """surge.storage imports surge.sim and itself only (never network, models, stats, cli)."""
        path = Path(importlib.import_module(module_name).__file__ or "")
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        surge_imports = {name for name in imported if name.split(".")[0] == "surge"}
        allowed = ("surge.sim", "surge.storage")
        assert all(name.startswith(allowed) for name in surge_imports), surge_imports
