"""PNG plots of a run: throughput and busy % over time, latency distributions with the tail.

Design
------
Averages hide what a storage cluster's users feel: a throughput that dips every few
hundred microseconds, a server link busy 100% while the cluster average reads 60%, a p99.9
ten times the median. The plots show the per-interval time series and the whole latency
distribution so that such things are visible at a glance.

Data first, then drawing (style guide, example 14): :func:`plot_data` turns a
:class:`~surge.stats.results.RunResult` into plain NumPy arrays (:class:`PlotData`), which
the tests check (monotone CDF ending at 1, p99 marker equal to the summary's p99);
:func:`build_figures` draws them as matplotlib ``Figure`` objects (no pyplot, so no global
state; rendered by the Agg canvas); :func:`plot_run` saves them. matplotlib is imported
only inside the drawing functions: ``import surge.reports`` stays light, and a missing
matplotlib is reported with the extra to install (``pip install 'surge[plots]'``).

Files (``<model>`` is the model's descriptive name, e.g. ``uch-ccpi``):

* ``<model>-throughput.png``: the ``throughput`` metric (kind ``rate``, B/s) over time if
  the model declares it, else one panel per ``count``/``bytes``/``rate`` metric, each as a
  rate per simulated second with the run's mean as a dashed line;
* ``<model>-busy.png``: every ``percent`` metric over time (mean over nodes, 0-100%) and
  per node over the run (written only when the model declares a ``percent`` metric);
* ``<model>-<metric>-cdf.png``, one per ``distribution`` metric: the CDF with p50, p99 and
  p99.9 marked, the tail as a complementary CDF on a log axis, and the p99 per stats
  interval over time.
"""

from __future__ import annotations

import importlib.util
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from surge.sim.units import GIB, KIB, MIB, MS, US, format_duration
from surge.sim.units import S as NS_PER_S
from surge.stats.metrics import Kind
from surge.stats.results import MetricResult, RunResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "CdfData",
    "NodeBars",
    "PlotData",
    "SeriesData",
    "build_figures",
    "plot_data",
    "plot_run",
    "require_matplotlib",
]

#: Most points drawn per CDF: half spread over the body, half log-spaced into the tail.
MAX_CDF_POINTS = 4000
#: Resolution of the saved PNGs.
DPI = 100
_WIDTH_IN = 10.0
_PANEL_HEIGHT_IN = 2.4
_TITLE_HEIGHT_IN = 0.9
_CDF_SIZE_IN = (11.0, 7.5)
_PERCENT_TOP = 105.0
_FULL_PERCENT = 100.0
#: At most this many node names under a per-node bar chart.
_MAX_NODE_TICKS = 30
#: Marked percentiles: (label, attribute of DistributionSummary, line style).
_MARKERS = (("p50", "p50", ":"), ("p99", "p99", "--"), ("p99.9", "p999", "-."))
#: Percentile points used when the raw samples are not available: (attribute, fraction).
_PERCENTILE_POINTS = (("min", 0.0), ("p50", 0.5), ("p90", 0.9), ("p99", 0.99),
                      ("p999", 0.999), ("max", 1.0))
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_INSTALL_HINT = "plots need matplotlib: pip install 'surge[plots]'"


@dataclass(frozen=True, slots=True)
class SeriesData:
    """One metric's per-interval series, ready to draw.

    Attributes:
        name: the metric's name.
        t: end of each stats interval, in :attr:`PlotData.time_unit` (µs or ms).
        values: one value per interval in ``unit`` (NaN = no value), per simulated second
            for ``count``/``bytes``/``rate`` metrics, in % for ``percent``.
        unit: the y unit (``"MiB/s"``, ``"chunk/s"``, ``"%"``).
        mean: the run's value in ``unit`` (total per second, or mean busy %), for reference.
    """

    name: str
    t: np.ndarray
    values: np.ndarray
    unit: str
    mean: float


@dataclass(frozen=True, slots=True)
class NodeBars:
    """One ``percent`` metric per node over the whole run (what the mean over nodes hides).

    Attributes:
        name: the metric's name.
        nodes: node names (``I#01``, ``T#05``), in the run's order.
        values: busy % of each node over the run.
    """

    name: str
    nodes: list[str]
    values: np.ndarray


@dataclass(frozen=True, slots=True)
class CdfData:
    """One distribution metric's CDF, tail and p99 over time, in the metric's unit.

    Attributes:
        name, unit: the metric's name and unit (``"ns"`` for latencies).
        count: number of samples.
        from_samples: True if built from the raw samples; False if only from the summary's
            percentile points (min, p50, p90, p99, p99.9, max).
        x: sample values, non-decreasing.
        cdf: fraction of samples <= x, increasing, last value 1 (empty without samples).
        tail_x: values for the tail view.
        tail: fraction of samples >= tail_x (> 0, so it can be drawn on a log axis).
        markers: ``{"p50": ..., "p99": ..., "p99.9": ...}`` from the summary.
        t: end of each stats interval (:attr:`PlotData.time_unit`) and ``p99_series`` the
            p99 of the samples recorded in it (NaN for an empty interval).
    """

    name: str
    unit: str
    count: int
    from_samples: bool
    x: np.ndarray
    cdf: np.ndarray
    tail_x: np.ndarray
    tail: np.ndarray
    markers: dict[str, float]
    t: np.ndarray
    p99_series: np.ndarray


@dataclass(frozen=True, slots=True)
class PlotData:
    """Everything the plots of one run show, as plain arrays.

    Attributes:
        model: the model's name, as used in file names.
        title: model, alias, cluster size, simulated time and seed.
        time_unit: unit of every time axis (``"µs"``, or ``"ms"`` from 1 ms of run).
        throughput: the series of ``<model>-throughput.png`` (``throughput`` alone if the
            model declares it, else every count/bytes/rate metric).
        busy: every ``percent`` metric's series (mean over nodes per interval).
        busy_nodes: every ``percent`` metric per node over the run.
        levels: every ``samples`` metric's series (a level sampled each interval, mean over
            nodes: queue depths, SSD used %), for ``<model>-levels.png``.
        cdfs: one entry per ``distribution`` metric.
    """

    model: str
    title: str
    time_unit: str
    throughput: list[SeriesData] = field(default_factory=list)
    busy: list[SeriesData] = field(default_factory=list)
    busy_nodes: list[NodeBars] = field(default_factory=list)
    levels: list[SeriesData] = field(default_factory=list)
    cdfs: list[CdfData] = field(default_factory=list)


# ----------------------------------------------------------------------- data


def _time_axis(sim_time_ns: int) -> tuple[str, int]:
    return ("ms", MS) if sim_time_ns >= MS else ("µs", US)


def _floats(values: Sequence[float | None]) -> np.ndarray:
    return np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)


def _byte_rate_unit(peak: float) -> tuple[str, float]:
    for unit, size in (("GiB/s", GIB), ("MiB/s", MIB), ("KiB/s", KIB)):
        if peak >= size:
            return unit, float(size)
    return "B/s", 1.0


def _rate_series(m: MetricResult, sim_time_ns: int, t_scale: int) -> SeriesData:
    """Per-interval amounts (or B/s for ``rate``) as a rate per simulated second."""
    t_ns = np.array(m.series_t_ns, dtype=np.int64)
    raw = _floats(m.series.get("values", []))
    if m.kind is Kind.RATE:
        per_s, run_mean = raw, m.total
    else:
        spans = np.diff(t_ns, prepend=0).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            per_s = np.where(spans > 0, raw * NS_PER_S / spans, math.nan)
        run_mean = m.total * NS_PER_S / sim_time_ns if sim_time_ns > 0 else 0.0
    if m.kind is Kind.COUNT:
        unit, scale = f"{m.unit or m.name}/s", 1.0
    else:
        finite = per_s[np.isfinite(per_s)]
        unit, scale = _byte_rate_unit(float(finite.max()) if finite.size else 0.0)
    return SeriesData(name=m.name, t=t_ns / t_scale, values=per_s / scale, unit=unit,
                      mean=run_mean / scale)


def _percent_series(m: MetricResult, t_scale: int) -> SeriesData:
    t_ns = np.array(m.series_t_ns, dtype=np.int64)
    return SeriesData(name=m.name, t=t_ns / t_scale, values=_floats(m.series.get("values", [])),
                      unit="%", mean=m.total)


def _level_series(m: MetricResult, t_scale: int) -> SeriesData:
    t_ns = np.array(m.series_t_ns, dtype=np.int64)
    return SeriesData(name=m.name, t=t_ns / t_scale, values=_floats(m.series.get("values", [])),
                      unit=m.unit, mean=m.total)


def _sample_ranks(n: int) -> np.ndarray:
    """Ranks to draw: all of them, or a body grid plus a log-spaced grid into the tail."""
    if n <= MAX_CDF_POINTS:
        return np.arange(n)
    half = MAX_CDF_POINTS // 2
    body = np.linspace(0, n - 1, half).round().astype(np.int64)
    tail = n - np.geomspace(1, n, half).round().astype(np.int64)
    return np.unique(np.concatenate([body, np.clip(tail, 0, n - 1), [0, n - 1]]))


def _cdf(m: MetricResult, t_scale: int) -> CdfData:
    summary = m.distribution
    count = summary.count if summary is not None else 0
    markers = ({label: float(getattr(summary, attr)) for label, attr, _ in _MARKERS}
               if summary is not None and count else {})
    t = np.array(m.series_t_ns, dtype=np.int64) / t_scale
    p99_series = _floats(m.series.get("p99", []))
    # Raw samples are optional on MetricResult (kept by the runner, absent from JSON).
    raw = getattr(m, "samples", None)
    empty = np.zeros(0, dtype=np.float64)
    values = empty if raw is None else np.sort(np.asarray(raw, dtype=np.float64).ravel())
    values = values[np.isfinite(values)]
    if values.size:
        n = values.size
        ranks = _sample_ranks(n)
        x = values[ranks]
        return CdfData(m.name, m.unit, n, True, x, (ranks + 1) / n, x, (n - ranks) / n,
                       markers, t, p99_series)
    if summary is None or count == 0:
        return CdfData(m.name, m.unit, 0, False, empty, empty, empty, empty, markers, t,
                       p99_series)
    x = np.array([float(getattr(summary, attr)) for attr, _ in _PERCENTILE_POINTS])
    cdf = np.array([q for _, q in _PERCENTILE_POINTS])
    # P(X >= p_q) ~ 1 - q; the maximum is one sample in ``count``.
    tail_x = x[1:]
    tail = np.array([1.0 - q for _, q in _PERCENTILE_POINTS[1:-1]] + [1.0 / count])
    return CdfData(m.name, m.unit, count, False, x, cdf, tail_x, tail, markers, t, p99_series)


def _title(result: RunResult) -> str:
    return (f"{result.model} (SURGE model {result.alias}): {result.gateways} gateways x "
            f"{result.servers} servers, {format_duration(result.sim_time_ns)} simulated, "
            f"seed {result.seed}")


def plot_data(result: RunResult) -> PlotData:
    """The data behind every plot of ``result``, as plain arrays (no matplotlib needed).

    Args:
        result: the run's results.

    Returns:
        The series and CDFs; see :class:`PlotData`.
    """
    time_unit, t_scale = _time_axis(result.sim_time_ns)
    metrics = list(result.metrics.values())
    percents = [m for m in metrics if m.kind is Kind.PERCENT]
    flows = [m for m in metrics if m.name == "throughput" and m.kind is Kind.RATE]
    if not flows:
        flows = [m for m in metrics if m.kind in (Kind.COUNT, Kind.BYTES, Kind.RATE)]
    return PlotData(
        model=_UNSAFE.sub("_", result.model),
        title=_title(result),
        time_unit=time_unit,
        throughput=[_rate_series(m, result.sim_time_ns, t_scale) for m in flows],
        busy=[_percent_series(m, t_scale) for m in percents],
        busy_nodes=[NodeBars(m.name, list(m.per_node),
                             np.array([float(v) for v in m.per_node.values()]))
                    for m in percents],
        levels=[_level_series(m, t_scale) for m in metrics if m.kind is Kind.SAMPLES],
        cdfs=[_cdf(m, t_scale) for m in metrics if m.kind is Kind.DISTRIBUTION],
    )


# -------------------------------------------------------------------- drawing


def require_matplotlib() -> None:
    """Check that plots can be drawn, before a long run rather than after it.

    Raises:
        ImportError: matplotlib is not installed; the message names
            ``pip install 'surge[plots]'``.
    """
    if importlib.util.find_spec("matplotlib") is None:
        raise ImportError(_INSTALL_HINT)


def _new_figure(width: float, height: float) -> Figure:
    """A Figure on an Agg canvas (no pyplot, no global backend switch)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(_INSTALL_HINT) from err
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _value_scale(unit: str, values: np.ndarray) -> tuple[float, str]:
    """Display divisor and unit for a distribution's values (ns shown as µs or ms)."""
    if unit != "ns":
        return 1.0, unit
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if finite.size else 0.0
    if top >= 10 * MS:
        return float(MS), "ms"
    if top >= US:
        return float(US), "µs"
    return 1.0, "ns"


def _stairs(ax: Axes, t: np.ndarray, values: np.ndarray, **kwargs: Any) -> None:
    """One flat step per stats interval: interval k covers (t[k-1], t[k]], t[-1] = 0."""
    if t.size:
        ax.stairs(values, np.concatenate([[0.0], t]), baseline=None, **kwargs)


def _draw_series(ax: Axes, s: SeriesData, label_mean: bool) -> None:
    _stairs(ax, s.t, s.values, linewidth=1.2, label=s.name)
    if label_mean and math.isfinite(s.mean):
        ax.axhline(s.mean, color="grey", linestyle="--", linewidth=0.8,
                   label=f"run mean {s.mean:.4g} {s.unit}")
    ax.set_xlim(left=0)
    ax.grid(True, alpha=0.3)


def _throughput_figure(data: PlotData) -> Figure:
    n = len(data.throughput)
    fig = _new_figure(_WIDTH_IN, _PANEL_HEIGHT_IN * n + _TITLE_HEIGHT_IN)
    fig.suptitle(f"{data.title}\nthroughput per stats interval")
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    for ax, s in zip(axes, data.throughput, strict=True):
        _draw_series(ax, s, label_mean=True)
        ax.set_ylabel(f"{s.name}\n({s.unit})")
        ax.set_ylim(bottom=0)
        ax.legend(loc="lower right", fontsize="small")
    axes[-1].set_xlabel(f"simulated time ({data.time_unit})")
    return fig


def _levels_figure(data: PlotData) -> Figure:
    n = len(data.levels)
    fig = _new_figure(_WIDTH_IN, _PANEL_HEIGHT_IN * n + _TITLE_HEIGHT_IN)
    fig.suptitle(f"{data.title}\nlevels sampled every stats interval (mean over nodes)")
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    for ax, s in zip(axes, data.levels, strict=True):
        _draw_series(ax, s, label_mean=True)
        ax.set_ylabel(f"{s.name}\n({s.unit})" if s.unit else s.name)
        ax.set_ylim(bottom=0)
        ax.legend(loc="lower right", fontsize="small")
    axes[-1].set_xlabel(f"simulated time ({data.time_unit})")
    return fig


def _busy_figure(data: PlotData) -> Figure:
    n = len(data.busy_nodes)
    fig = _new_figure(_WIDTH_IN, _PANEL_HEIGHT_IN * (2 + n) + _TITLE_HEIGHT_IN)
    fig.suptitle(f"{data.title}\nbusy %: mean over nodes per stats interval, and per node "
                 "over the run")
    ax_time, *ax_nodes = fig.subplots(1 + n, 1, squeeze=False,
                                      height_ratios=[2] + [1] * n)[:, 0]
    for s in data.busy:
        _draw_series(ax_time, s, label_mean=False)
    ax_time.axhline(_FULL_PERCENT, color="red", linewidth=0.6, alpha=0.5)
    # a series above 100% is a measurement defect: show it rather than clip it
    peaks = [float(np.nanmax(s.values)) for s in data.busy if np.isfinite(s.values).any()]
    ax_time.set_ylim(0, max([_PERCENT_TOP] + [p + _PERCENT_TOP - _FULL_PERCENT for p in peaks]))
    ax_time.set_xlabel(f"simulated time ({data.time_unit})")
    ax_time.set_ylabel("busy (%), mean over nodes")
    ax_time.legend(loc="lower right", fontsize="small")
    for ax, bars in zip(ax_nodes, data.busy_nodes, strict=True):
        ax.bar(np.arange(len(bars.nodes)), bars.values, width=0.8)
        ax.axhline(_FULL_PERCENT, color="red", linewidth=0.6, alpha=0.5)
        ax.set_ylim(0, _PERCENT_TOP)
        ax.set_ylabel(f"{bars.name}\n(%, whole run)")
        step = max(1, len(bars.nodes) // _MAX_NODE_TICKS)
        ticks = np.arange(0, len(bars.nodes), step)
        ax.set_xticks(ticks, [bars.nodes[i] for i in ticks], fontsize="small")
        ax.grid(True, axis="y", alpha=0.3)
    return fig


def _cdf_figure(data: PlotData, c: CdfData) -> Figure:
    fig = _new_figure(*_CDF_SIZE_IN)
    source = "" if c.from_samples else " (percentile points only: raw samples not kept)"
    fig.suptitle(f"{data.title}\n{c.name}: distribution of {c.count:,} samples{source}")
    grid = fig.add_gridspec(2, 2)
    ax_cdf, ax_tail = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
    ax_time = fig.add_subplot(grid[1, :])
    div, unit = _value_scale(c.unit, np.concatenate([c.x, c.p99_series]))
    if c.count == 0 or c.x.size == 0:
        for ax in (ax_cdf, ax_tail):
            ax.text(0.5, 0.5, "no samples", ha="center", va="center", transform=ax.transAxes)
    else:
        style = "steps-post" if c.from_samples else "default"
        marker = "" if c.from_samples else "o"
        ax_cdf.plot(c.x / div, c.cdf, drawstyle=style, marker=marker, linewidth=1.2)
        ax_tail.plot(c.tail_x / div, c.tail, drawstyle=style, marker=marker, linewidth=1.2)
        ax_tail.set_yscale("log")
        for label, _, line in _MARKERS:
            value = c.markers.get(label)
            if value is None or not math.isfinite(value):
                continue
            for ax in (ax_cdf, ax_tail):
                ax.axvline(value / div, color="red", linestyle=line, linewidth=0.9,
                           label=f"{label} = {value / div:.4g} {unit}")
        ax_cdf.legend(loc="lower right", fontsize="small")
    ax_cdf.set_ylim(0, 1.02)
    ax_cdf.set_xlabel(f"{c.name} ({unit})")
    ax_cdf.set_ylabel("fraction of samples <= x")
    ax_cdf.set_title("CDF")
    ax_tail.set_xlabel(f"{c.name} ({unit})")
    ax_tail.set_ylabel("fraction of samples >= x (log)")
    ax_tail.set_title("tail: complementary CDF")
    _stairs(ax_time, c.t, c.p99_series / div, linewidth=1.2)
    if c.t.size:  # a dot per interval, so that sparse intervals stay visible
        centers = (np.concatenate([[0.0], c.t[:-1]]) + c.t) / 2
        ax_time.plot(centers, c.p99_series / div, "o", markersize=3, color="C0")
    ax_time.set_xlabel(f"simulated time ({data.time_unit})")
    ax_time.set_ylabel(f"p99 per interval ({unit})")
    ax_time.set_xlim(left=0)
    for ax in (ax_cdf, ax_tail, ax_time):
        ax.grid(True, alpha=0.3)
    return fig


def build_figures(result: RunResult | PlotData) -> dict[str, Figure]:
    """Draw the plots of a run as matplotlib Figures, keyed by their file name.

    Args:
        result: the run's results (or their :func:`plot_data`).

    Returns:
        ``{"<model>-throughput.png": Figure, "<model>-busy.png": ...,
        "<model>-levels.png": ..., "<model>-<metric>-cdf.png": ...}``; figures with
        nothing to show are left out.

    Raises:
        ImportError: matplotlib is not installed (``pip install 'surge[plots]'``).
    """
    data = result if isinstance(result, PlotData) else plot_data(result)
    figures: dict[str, Figure] = {}
    if data.throughput:
        figures[f"{data.model}-throughput.png"] = _throughput_figure(data)
    if data.busy:
        figures[f"{data.model}-busy.png"] = _busy_figure(data)
    if data.levels:
        figures[f"{data.model}-levels.png"] = _levels_figure(data)
    for c in data.cdfs:
        figures[f"{data.model}-{c.name}-cdf.png"] = _cdf_figure(data, c)
    return figures


def plot_run(result: RunResult, out_dir: str | Path) -> list[Path]:
    """Write the PNG plots of a run (see the module docstring for the files).

    Args:
        result: the run's results.
        out_dir: directory for the files; created (with parents) if missing.

    Returns:
        The paths written, throughput first, then busy, then one CDF per distribution.

    Raises:
        ImportError: matplotlib is not installed (``pip install 'surge[plots]'``).
        OSError: ``out_dir`` cannot be created or written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name, fig in build_figures(result).items():
        path = out / name
        fig.savefig(path, format="png", dpi=DPI)
        paths.append(path)
    return paths
