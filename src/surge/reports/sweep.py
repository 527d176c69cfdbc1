"""Parameter sweeps: the values to run, one row per run, the table and the curves.

Design
------
``surge run MODEL --sweep NAME=SPEC`` runs a model once per value of one parameter (same
seed, same other parameters) and shows how the standard storage metrics move with it:
model b's write latency and throughput against its command window, for instance. This
module holds everything after the runs, data first (style guide, example 14):
:func:`sweep_data` reduces ``(value, RunResult)`` pairs to a :class:`SweepData` of plain
numbers, which the table (:func:`render_sweep`), the CSV and JSON exports and the figures
(:func:`plot_sweep`, matplotlib imported on first use) all read. It knows runs only as
:class:`~surge.stats.RunResult` data, never the engine.

The spec (:func:`sweep_values`)
-------------------------------
* ``v1,v2,...``: the values as written, of any parameter type (``1,4,8``, ``8KiB,1MiB``,
  ``round-robin,random``);
* ``lo..hi``: every integer from ``lo`` to ``hi`` (``1..8``: 1, 2, ..., 8);
* ``lo..hi:step``: every ``step``-th integer from ``lo`` (``0..100:25``: 0, 25, ..., 100);
* ``lo..hi:xK``: ``lo``, ``lo*K``, ``lo*K**2``, ... up to ``hi`` (``1..32:x2``: the powers
  of two 1, 2, 4, 8, 16, 32).

At most :data:`MAX_SWEEP_POINTS` values.

Columns
-------
For each value: ``throughput`` (B/s, the standard rate metric), ``chunk`` per second,
``chunk_latency`` p50, p99 and p99.9 (ns), ``diskbusy`` (%, mean over servers) and the
mean disk queue depth: ``qdepth`` in chunks if the model reports it, else
``disk-frame-bufs`` in frames. A metric the model does not report is NaN (``-`` in the
table, ``null`` in JSON).

Figures (``<model>-sweep-<name>-latency.png`` and ``...-throughput.png``): p50, p99 and
p99.9 against the value, and throughput against the value; numeric values are placed on
a numeric axis (a log2 axis when they span a factor of 16 or more), others one per tick.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from surge.reports.plots import DPI, require_matplotlib
from surge.sim.units import MIB, MS, US, format_duration
from surge.stats.metrics import Kind
from surge.stats.results import RunResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from rich.console import Console

__all__ = [
    "MAX_SWEEP_POINTS",
    "SWEEP_SCHEMA",
    "SweepData",
    "SweepPoint",
    "parse_sweep",
    "plot_sweep",
    "render_sweep",
    "sweep_data",
    "sweep_document",
    "sweep_figures",
    "sweep_values",
    "write_sweep_csv",
]

#: Most values one sweep may run.
MAX_SWEEP_POINTS = 256
#: Version tag of the sweep document (``--sweep ... --json FILE``).
SWEEP_SCHEMA = "surge.sweep/1"
_RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*(?::\s*(x?)\s*(\d+))?\s*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOG_SPAN = 16
_MIN_FACTOR = 2
_SIZE_IN = (9.0, 5.0)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: Queue-depth metrics in order of preference: (name, unit).
_QUEUE_METRICS = (("qdepth", "chunks"), ("disk-frame-bufs", "frames"))


def sweep_values(spec: str) -> list[str]:
    """The values of a sweep spec, as text (see the module docstring for the grammar).

    Raises:
        ValueError: the spec is empty, malformed, or has more than
            :data:`MAX_SWEEP_POINTS` values.
    """
    text = spec.strip()
    match = _RANGE.match(text)
    if match:
        lo, hi = int(match.group(1)), int(match.group(2))
        geometric, step = match.group(3) == "x", int(match.group(4) or 1)
        if lo > hi:
            raise ValueError(f"range {text!r} must go upwards (lo <= hi)")
        if geometric:
            if step < _MIN_FACTOR or lo < 1:
                raise ValueError(f"range {text!r}: a factor xK needs K >= 2 and lo >= 1")
            values: list[int] = []
            v = lo
            while v <= hi and len(values) <= MAX_SWEEP_POINTS:
                values.append(v)
                v *= step
        else:
            if step < 1:
                raise ValueError(f"range {text!r}: the step must be >= 1")
            count = (hi - lo) // step + 1
            if count > MAX_SWEEP_POINTS:
                raise ValueError(f"range {text!r} has {count} values; at most "
                                 f"{MAX_SWEEP_POINTS}")
            values = list(range(lo, hi + 1, step))
        out = [str(v) for v in values]
    elif ".." in text:
        raise ValueError(f"cannot parse range {text!r}: expected lo..hi, lo..hi:step or "
                         "lo..hi:xK with integers (e.g. 1..32:x2)")
    else:
        out = [v.strip() for v in text.split(",")]
        if not text or any(not v for v in out):
            raise ValueError(f"cannot parse {spec!r}: expected v1,v2,... (no empty values) "
                             "or a range lo..hi[:step|:xK]")
    if len(out) > MAX_SWEEP_POINTS:
        raise ValueError(f"{spec!r} has {len(out)} values; at most {MAX_SWEEP_POINTS}")
    return out


def parse_sweep(text: str) -> tuple[str, list[str]]:
    """Split ``NAME=SPEC`` into the parameter name and its values.

    Raises:
        ValueError: no ``=``, an invalid name, or a bad spec.
    """
    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep or not _NAME.match(name):
        raise ValueError(f"--sweep takes NAME=SPEC (e.g. window=1..32:x2), got {text!r}")
    return name, sweep_values(spec)


@dataclass(frozen=True, slots=True)
class SweepPoint:
    """The standard metrics of one run of the sweep (NaN where the model has none).

    Attributes:
        value: the parameter's value, as given.
        throughput: acknowledged bytes per simulated second, B/s.
        chunks_per_s: chunks (writes) acknowledged per simulated second.
        p50, p99, p999: chunk latency percentiles, ns.
        count: chunk latency samples.
        disk_busy_pct: mean disk busy over servers, %.
        queue_depth: mean disk queue depth over servers and intervals (in
            :attr:`SweepData.queue_unit`).
    """

    value: str
    throughput: float
    chunks_per_s: float
    p50: float
    p99: float
    p999: float
    count: int
    disk_busy_pct: float
    queue_depth: float


@dataclass(frozen=True, slots=True)
class SweepData:
    """A whole sweep as plain numbers.

    Attributes:
        model: the model's name.
        param: the swept parameter.
        seed: the seed every run used.
        sim_time_ns: simulated time of each run, ns.
        queue_unit: ``"chunks"`` (``qdepth``), ``"frames"`` (``disk-frame-bufs``) or ``""``.
        points: one per value, in the order run.
        numeric: True if every value is a number (then :attr:`x` holds them).
        log_x: True if the numeric values span a factor of 16 or more (log2 axis).
        x: the x position of each point: the value, or 0, 1, 2, ... when not numeric.
    """

    model: str
    param: str
    seed: int
    sim_time_ns: int
    queue_unit: str
    points: list[SweepPoint]
    numeric: bool
    log_x: bool
    x: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        """The sweep's summary as JSON-ready data (NaN becomes ``None``)."""

        def clean(v: float) -> float | None:
            return None if math.isnan(v) else v

        return {
            "model": self.model,
            "param": self.param,
            "seed": self.seed,
            "sim_time_ns": self.sim_time_ns,
            "queue_unit": self.queue_unit,
            "points": [
                {"value": p.value, "throughput": clean(p.throughput),
                 "chunks_per_s": clean(p.chunks_per_s), "p50": clean(p.p50),
                 "p99": clean(p.p99), "p999": clean(p.p999), "count": p.count,
                 "disk_busy_pct": clean(p.disk_busy_pct),
                 "queue_depth": clean(p.queue_depth)}
                for p in self.points
            ],
        }


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _point(value: str, r: RunResult, queue_metric: str | None) -> SweepPoint:
    nan = math.nan
    m = r.metrics
    throughput = m["throughput"].total if "throughput" in m and \
        m["throughput"].kind is Kind.RATE else nan
    chunk = m["chunk"].rate_per_s(r.sim_time_ns) if "chunk" in m else None
    dist = m["chunk_latency"].distribution if "chunk_latency" in m else None
    count = dist.count if dist is not None else 0
    return SweepPoint(
        value=value,
        throughput=float(throughput),
        chunks_per_s=nan if chunk is None else float(chunk),
        p50=dist.p50 if dist is not None and count else nan,
        p99=dist.p99 if dist is not None and count else nan,
        p999=dist.p999 if dist is not None and count else nan,
        count=count,
        disk_busy_pct=float(m["diskbusy"].total) if "diskbusy" in m else nan,
        queue_depth=float(m[queue_metric].total) if queue_metric else nan,
    )


def sweep_data(param: str, runs: Sequence[tuple[str, RunResult]]) -> SweepData:
    """Reduce the runs of a sweep to its table.

    Args:
        param: the swept parameter's name.
        runs: ``(value, result)`` per run, in the order run (at least one).

    Returns:
        The sweep's :class:`SweepData`.

    Raises:
        ValueError: ``runs`` is empty.
    """
    if not runs:
        raise ValueError("a sweep needs at least one run")
    first = runs[0][1]
    queue_metric, queue_unit = next(
        ((name, unit) for name, unit in _QUEUE_METRICS if name in first.metrics), (None, ""))
    points = [_point(value, r, queue_metric) for value, r in runs]
    numbers = [_number(p.value) for p in points]
    numeric = all(n is not None for n in numbers)
    if numeric:
        x = np.array(numbers, dtype=np.float64)
        log_x = bool(x.min() > 0 and x.max() / x.min() >= _LOG_SPAN)
    else:
        x = np.arange(len(points), dtype=np.float64)
        log_x = False
    return SweepData(model=first.model, param=param, seed=first.seed,
                     sim_time_ns=first.sim_time_ns, queue_unit=queue_unit, points=points,
                     numeric=numeric, log_x=log_x, x=x)


def sweep_document(data: SweepData, results: Sequence[RunResult]) -> dict[str, Any]:
    """The ``--json`` document of a sweep: its table plus every run's results document."""
    return {"schema": SWEEP_SCHEMA, **data.to_dict(),
            "runs": [r.to_dict() for r in results]}


def write_sweep_csv(data: SweepData, path: str | Path) -> None:
    """Write the sweep's table as CSV, one row per value (empty cells for NaN)."""
    fields = ["value", "throughput", "chunks_per_s", "p50", "p99", "p999", "count",
              "disk_busy_pct", "queue_depth"]
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([data.param if f == "value" else f for f in fields])
        for row in data.to_dict()["points"]:
            writer.writerow(["" if row[f] is None else row[f] for f in fields])


# ----------------------------------------------------------------------- table


def _fmt(value: float, kind: str) -> str:
    if math.isnan(value):
        return "-"
    if kind == "ns":
        return format_duration(round(value))
    if kind == "MiB/s":
        return f"{value / MIB:,.1f}"
    if kind == "%":
        return f"{value:.1f}"
    if kind == "rate":
        return f"{value:,.0f}"
    return f"{value:.2f}"


def render_sweep(data: SweepData, console: Console) -> None:
    """Print the sweep's table: one row per value (throughput in MiB/s, latencies, disk
    busy in %, mean queue depth)."""
    from rich.table import Table

    table = Table(title=f"{data.model}: sweep of {data.param} (seed {data.seed}, "
                        f"{format_duration(data.sim_time_ns)} each)", title_justify="left")
    queue = f"queue ({data.queue_unit})" if data.queue_unit else "queue"
    for col in (data.param, "MiB/s", "chunk/s", "p50", "p99", "p99.9", "disk %", queue):
        table.add_column(col, justify="left" if col == data.param else "right")
    for p in data.points:
        table.add_row(p.value, _fmt(p.throughput, "MiB/s"), _fmt(p.chunks_per_s, "rate"),
                      _fmt(p.p50, "ns"), _fmt(p.p99, "ns"), _fmt(p.p999, "ns"),
                      _fmt(p.disk_busy_pct, "%"), _fmt(p.queue_depth, ""))
    console.print(table)


# --------------------------------------------------------------------- figures


def _new_figure() -> Figure:
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=_SIZE_IN, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _x_axis(data: SweepData, ax: Any) -> None:
    if data.log_x:
        ax.set_xscale("log", base=2)
    if data.numeric:
        ax.set_xticks(data.x, [p.value for p in data.points])
    else:
        ax.set_xticks(data.x, [p.value for p in data.points], rotation=30, ha="right")
    ax.set_xlabel(data.param)
    ax.grid(True, alpha=0.3)


def _title(data: SweepData, what: str) -> str:
    return (f"{data.model}: {what} against {data.param}\nseed {data.seed}, "
            f"{format_duration(data.sim_time_ns)} simulated per value")


def sweep_figures(data: SweepData) -> dict[str, Figure]:
    """Draw the sweep's curves, keyed by file name.

    Returns:
        ``{"<model>-sweep-<param>-latency.png": Figure, "...-throughput.png": Figure}``.

    Raises:
        ImportError: matplotlib is not installed (``pip install 'surge[plots]'``).
    """
    base = f"{_UNSAFE.sub('_', data.model)}-sweep-{_UNSAFE.sub('_', data.param)}"
    latency = _new_figure()
    latency.suptitle(_title(data, "chunk latency"))
    ax = latency.subplots()
    lat = np.array([[p.p50, p.p99, p.p999] for p in data.points], dtype=np.float64)
    finite = lat[np.isfinite(lat)]
    top = float(finite.max()) if finite.size else 0.0
    div, unit = (float(MS), "ms") if top >= 10 * MS else (float(US), "µs")
    for k, (label, style) in enumerate((("p50", "o-"), ("p99", "s--"), ("p99.9", "^:"))):
        ax.plot(data.x, lat[:, k] / div, style, label=label)
    ax.set_ylabel(f"chunk latency ({unit})")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize="small")
    _x_axis(data, ax)

    throughput = _new_figure()
    throughput.suptitle(_title(data, "throughput"))
    ax = throughput.subplots()
    thr = np.array([p.throughput for p in data.points], dtype=np.float64) / MIB
    ax.plot(data.x, thr, "o-", label="throughput")
    ax.set_ylabel("throughput (MiB/s)")
    ax.set_ylim(bottom=0)
    _x_axis(data, ax)
    return {f"{base}-latency.png": latency, f"{base}-throughput.png": throughput}


def plot_sweep(data: SweepData, out_dir: str | Path) -> list[Path]:
    """Write the sweep's PNGs into ``out_dir`` (created if missing); return their paths.

    Raises:
        ImportError: matplotlib is not installed (``pip install 'surge[plots]'``).
        OSError: ``out_dir`` cannot be created or written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fig in sweep_figures(data).items():
        path = out / name
        fig.savefig(path, format="png", dpi=DPI)
        paths.append(path)
    return paths
