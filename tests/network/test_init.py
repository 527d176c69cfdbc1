"""Tests of the surge.network package surface: a curated __all__ and its import direction."""

from __future__ import annotations

import ast
from pathlib import Path

import surge.network

PACKAGE_DIR = Path(surge.network.__file__).parent


def _isort_key(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: SCREAMING_CASE constants, then CamelCase classes, then the rest."""
    if name.isupper():
        return 0, name
    if name[:1].isupper():
        return 1, name
    return 2, name


class TestPublicSurface:
    """What `from surge.network import *` offers."""

    def test_all_is_sorted_and_resolves(self) -> None:
        """__all__ is sorted (constants, classes, functions) and every name exists."""
        names = surge.network.__all__
        assert names == sorted(names, key=_isort_key)
        assert len(set(names)) == len(names)
        for name in names:
            assert getattr(surge.network, name) is not None

    def test_every_public_name_of_the_modules_is_exported(self) -> None:
        """Each module's own __all__ is re-exported by the package."""
        from surge.network import buckets, flow, link, multicast, node

        for module in (buckets, flow, link, multicast, node):
            assert set(module.__all__) <= set(surge.network.__all__), module.__name__

    def test_imports_only_the_engine(self) -> None:
        """surge.network imports surge.sim and itself, never storage, models, stats or cli."""
        for path in PACKAGE_DIR.glob("*.py"):
            tree = ast.parse(path.read_text())
            for statement in ast.walk(tree):
                if isinstance(statement, ast.ImportFrom) and statement.module:
                    modules = [statement.module]
                elif isinstance(statement, ast.Import):
                    modules = [alias.name for alias in statement.names]
                else:
                    continue
                for module in modules:
                    if module.startswith("surge"):
                        assert module.startswith(("surge.sim", "surge.network")), (
                            f"{path.name} imports {module}")
