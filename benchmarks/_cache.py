"""Run caches of the benchmark studies, shared by the study scripts.

One JSON file per study, keyed by run, written atomically (a temporary file, then a
rename), so an interrupted study resumes where it stopped and never leaves a half-written
cache. The scripts import this module as a sibling (``python benchmarks/<study>.py`` puts
this folder on ``sys.path``).
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any


def load_cache(path: Path, empty: dict[str, Any] | None = None) -> dict[str, Any]:
    """The cache at ``path``, or a copy of ``empty`` (default ``{"runs": {}}``) if absent."""
    if path.exists():
        return dict(json.loads(path.read_text(encoding="utf-8")))
    return copy.deepcopy(empty) if empty is not None else {"runs": {}}


def save_cache(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically (sorted keys, indented)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def fmt_regret(x: float) -> str:
    """A regret for a table: ``0``, three decimals from 0.01, else two significant digits."""
    if x == 0.0:
        return "0"
    return f"{x:.3f}" if abs(x) >= 0.01 else f"{x:.1e}"
