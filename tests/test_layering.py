"""Import direction between rooms, and a light `import surge`."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import surge

SRC = Path(surge.__file__).parent

# room -> rooms it may import (besides itself)
ALLOWED = {
    "sim": set(),
    "config": {"sim"},
    "network": {"sim"},
    "storage": {"sim"},
    "stats": {"sim"},
    "protocols": {"sim", "config", "network", "storage", "stats"},
    "models": {"sim", "config", "network", "storage", "stats", "protocols"},
    "reports": {"sim", "stats"},
    "optimizer": set(),
    "problems": {"optimizer", "config", "models", "sim", "stats"},
    "tuning": {"optimizer", "config", "models", "sim", "stats", "reports"},
    "integrations": {"optimizer"},
    "testing": {"sim", "config", "network", "storage", "stats", "protocols", "models",
                "optimizer", "problems", "tuning"},
    "cli": {"sim", "config", "network", "storage", "stats", "protocols", "models", "reports",
            "optimizer", "problems", "tuning"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rooms = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "surge" and len(parts) > 1:
                rooms.add(parts[1])
    return rooms


ROOMS = sorted(p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists())


def test_every_room_has_a_rule() -> None:
    """Every package under surge/ appears in the import-direction table."""
    assert set(ROOMS) <= set(ALLOWED)


@pytest.mark.parametrize("room", ROOMS)
def test_room_imports_only_allowed_rooms(room: str) -> None:
    """Each room imports only the rooms below it (see docs/architecture.md)."""
    for path in (SRC / room).rglob("*.py"):
        bad = _imports(path) - ALLOWED[room] - {room}
        assert not bad, f"{path.relative_to(SRC)} imports {sorted(bad)}"


def test_nothing_imports_cli() -> None:
    """No room outside cli imports surge.cli."""
    for path in SRC.rglob("*.py"):
        if "cli" in path.relative_to(SRC).parts:
            continue
        assert "cli" not in _imports(path), path


def test_import_surge_is_light() -> None:
    """`import surge` loads neither torch nor matplotlib."""
    code = ("import sys, surge; import surge.models; "
            "print('torch' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False False"


def test_public_surface_is_sorted() -> None:
    """surge.__all__ is sorted and every name resolves."""
    assert surge.__all__ == sorted(surge.__all__)
    for name in ["Simulation", "__version__"]:
        assert hasattr(surge, name)
