"""Tuning and sweep reports: convergence and grid curves, computed as data, then drawn.

Reads plain numbers (objective values in evaluation order; grid values and metrics), never
the optimizer or the engine. matplotlib is imported only when drawing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["best_so_far", "plot_convergence", "plot_grid"]


def best_so_far(values: Sequence[float | None], *, maximize: bool) -> list[float]:
    """Running best of ``values`` (``None``/NaN entries keep the previous best; NaN first)."""
    out: list[float] = []
    best = math.nan
    for v in values:
        if v is not None and not math.isnan(v):
            better = math.isnan(best) or (v > best if maximize else v < best)
            best = v if better else best
        out.append(best)
    return out


def plot_convergence(values: Sequence[float | None], *, maximize: bool, title: str,
                     path: str | Path, baseline: float | None = None,
                     feasible: Sequence[bool | None] | None = None) -> Path:
    """Objective per evaluation (dots) and the best feasible so far (line), as a PNG.

    Infeasible evaluations (a constraint violated) are drawn as crosses and do not count
    towards the best so far.

    Raises:
        ImportError: matplotlib is missing (``pip install 'surge[plots]'``).
    """
    from surge.reports.plots import require_matplotlib

    require_matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    xs = list(range(1, len(values) + 1))
    ys = [math.nan if v is None else v for v in values]
    ok = [True] * len(ys) if feasible is None else [bool(f) for f in feasible]
    ax.plot([x for x, f in zip(xs, ok, strict=True) if f],
            [y for y, f in zip(ys, ok, strict=True) if f], "o", ms=3, alpha=0.6,
            label="evaluation")
    if not all(ok):
        ax.plot([x for x, f in zip(xs, ok, strict=True) if not f],
                [y for y, f in zip(ys, ok, strict=True) if not f], "x", ms=4, alpha=0.6,
                color="red", label="infeasible (constraint violated)")
    feasible_values = [y if f else None for y, f in zip(ys, ok, strict=True)]
    ax.step(xs, best_so_far(feasible_values, maximize=maximize), where="post", lw=2,
            label="best feasible so far")
    if baseline is not None and not math.isnan(baseline):
        ax.axhline(baseline, color="grey", ls="--", lw=1, label="baseline (current values)")
    ax.set_xlabel("evaluation")
    ax.set_ylabel("objective")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return out


def plot_grid(name: str, xs: Sequence[float], series: Mapping[str, Sequence[float | None]],
              *, title: str, path: str | Path) -> Path:
    """One panel per metric against a swept parameter, as a PNG.

    Raises:
        ImportError: matplotlib is missing.
    """
    from surge.reports.plots import require_matplotlib

    require_matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 2.6 * max(1, len(series))), layout="constrained")
    axes = fig.subplots(max(1, len(series)), 1, squeeze=False)[:, 0]
    for ax, (metric, ys) in zip(axes, series.items(), strict=False):
        ax.plot(list(xs), [math.nan if v is None else v for v in ys], "o-")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel(name)
    fig.suptitle(title, fontsize=10)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return out
