"""Run caches of the benchmark studies, shared by the study scripts.

One JSON file per study, keyed by run, written atomically (a temporary file, then a
rename), so an interrupted study resumes where it stopped and never leaves a half-written
cache. The scripts import this module as a sibling (``python benchmarks/<study>.py`` puts
this folder on ``sys.path``).
"""

from __future__ import annotations

import copy
import json
import math
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


def fmt_regret(x: float, *, fixed_from: float = 0.01, zero: str = "0") -> str:
    """A regret for a table: ``-`` for NaN, ``zero`` for 0, three decimals from
    ``fixed_from`` up, else two significant digits."""
    if math.isnan(x):
        return "-"
    if x == 0.0:
        return zero
    return f"{x:.3f}" if abs(x) >= fixed_from else f"{x:.1e}"
