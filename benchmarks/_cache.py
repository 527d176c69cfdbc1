"""Run caches of the benchmark studies, shared by the study scripts.

One JSON file per study, keyed by run, written atomically (a temporary file, then a
rename), so an interrupted study resumes where it stopped and never leaves a half-written
cache. The scripts import this module as a sibling (``python benchmarks/<study>.py`` puts
this folder on ``sys.path``).
"""

from __future__ import annotations

import argparse
import ast
import copy
import functools
import hashlib
import json
import math
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

SOURCES = ("src/surge/optimizer", "src/surge/problems")
ROOT = Path(__file__).resolve().parent.parent


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


@functools.cache
def code_version(root: Path = ROOT) -> str:
    """12 hex digits: a fingerprint of ``SOURCES`` (``*.py`` under ``root``), of their
    syntax trees without docstrings, so that editing a comment or a docstring keeps it."""
    digest = hashlib.sha256()
    for folder in SOURCES:
        for path in sorted((root / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                body = getattr(node, "body", None)
                if (
                    isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)
                ):
                    body[0] = ast.Pass()
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(ast.dump(tree).encode())
    return digest.hexdigest()[:12]


def stamp(run: dict[str, Any]) -> dict[str, Any]:
    """``run`` with ``"code"`` set to the current :func:`code_version`."""
    run["code"] = code_version()
    return run


def _stale(run: dict[str, Any], current: str) -> bool:
    """Stamped by another code version (an unstamped run predates the stamps: not stale)."""
    return run.get("code") not in (None, current)


def warn_stale(runs: Iterable[dict[str, Any]], cache: Path) -> int:
    """Warn (stderr) about cached runs stamped by another code version; return their
    number. Runs without a stamp (made before stamping) are not counted."""
    current = code_version()
    stale = [r for r in runs if _stale(r, current)]
    if stale:
        versions = sorted({str(r["code"]) for r in stale})
        print(
            f"warning: {len(stale)} runs in {cache} were made by other optimizer/problem "
            f"code ({', '.join(versions)}; now {current}) and are reused as they are; "
            "pass --rerun-stale to re-measure them",
            file=sys.stderr, flush=True,
        )
    return len(stale)


def drop_stale(
    runs: dict[str, dict[str, Any]],
    select: Callable[[dict[str, Any]], bool] = lambda run: True,
) -> list[str]:
    """Remove from ``runs`` (in place) the selected runs stamped by another code version,
    so that the study measures them again; return their keys. Runs without a stamp (made
    before stamping) are kept: nothing says which code made them."""
    current = code_version()
    stale = [key for key, run in runs.items() if select(run) and _stale(run, current)]
    for key in stale:
        del runs[key]
    return stale


def add_cache_modes(parser: argparse.ArgumentParser) -> None:
    """The studies' two cache modes, mutually exclusive: ``--report-only`` (redraw the
    report from the cache, no new runs) and ``--rerun-stale``."""
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--report-only", action="store_true",
                       help="no new runs: redraw the report from the cache")
    modes.add_argument("--rerun-stale", action="store_true",
                       help="re-measure cached runs made by other optimizer/problem code")


def check_stale(
    runs: dict[str, dict[str, Any]],
    cache: Path,
    *,
    rerun: bool,
    select: Callable[[dict[str, Any]], bool] = lambda run: True,
) -> None:
    """On loading a cache: with ``rerun``, drop the selected stale runs (the study then
    measures them again); otherwise warn about them."""
    if rerun:
        print(f"{len(drop_stale(runs, select))} stale runs to re-measure", flush=True)
    warn_stale((r for r in runs.values() if select(r)), cache)
