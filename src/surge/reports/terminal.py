"""The end-of-run terminal report: rich tables rendered from a :class:`RunResult`.

Three blocks: the run (model, cluster, simulated time, engine speed), the metrics (total,
rate, split by role, and a sparkline of the per-interval series so that periodic dips are
visible at a glance), and the distributions (count, mean, p50, p90, p99, p99.9, max).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from surge.sim.units import format_bytes, format_duration
from surge.stats.metrics import Kind
from surge.stats.results import MetricResult, RunResult

__all__ = ["render_run", "sparkline"]

_BARS = "▁▂▃▄▅▆▇█"
_SPARK_WIDTH = 40


def sparkline(values: Sequence[float | None], width: int = _SPARK_WIDTH) -> str:
    """A one-line bar chart of ``values`` (binned to ``width`` columns; ``None`` = gap)."""
    clean = [v for v in values if v is not None and not math.isnan(v)]
    if not clean:
        return ""
    n = len(values)
    bins: list[float | None] = []
    for b in range(min(width, n)):
        lo, hi = b * n // min(width, n), (b + 1) * n // min(width, n)
        chunk = [v for v in values[lo:hi] if v is not None and not math.isnan(v)]
        bins.append(sum(chunk) / len(chunk) if chunk else None)
    low, high = min(clean), max(clean)
    span = high - low
    out = []
    for v in bins:
        if v is None:
            out.append(" ")
        elif span == 0:
            out.append(_BARS[len(_BARS) // 2])
        else:
            out.append(_BARS[min(len(_BARS) - 1, int((v - low) / span * len(_BARS)))])
    return "".join(out)


def _value(metric: MetricResult, value: float) -> str:
    if metric.kind is Kind.BYTES:
        return format_bytes(value)
    if metric.kind is Kind.RATE:
        return format_bytes(value) + "/s"
    if metric.kind is Kind.PERCENT:
        return f"{value:.1f}%"
    if metric.kind is Kind.SAMPLES:
        return f"{value:.2f}"
    if metric.unit == "ns" and metric.kind is Kind.DISTRIBUTION:
        return format_duration(round(value))
    return f"{value:,.0f}"


def _si(value: float) -> str:
    for suffix, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.2f}{suffix}"
    return f"{value:.0f}"


def _rate(metric: MetricResult, sim_time_ns: int) -> str:
    rate = metric.rate_per_s(sim_time_ns)
    if rate is None:
        return ""
    if metric.kind is Kind.BYTES:
        return format_bytes(rate) + "/s"
    return f"{_si(rate)}/s"


def render_run(
    result: RunResult,
    console: Console,
    *,
    description: str = "",
    params_text: Mapping[str, str] | None = None,
) -> None:
    """Print the report of one run to ``console``.

    Args:
        result: the run's results.
        console: where to print.
        description: the model's one-line description.
        params_text: parameter name -> value in human units (defaults to raw values).
    """
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("model", f"{result.model} (alias {result.alias})"
                 + (f": {description}" if description else ""))
    head.add_row("cluster", f"{result.gateways} gateways x {result.servers} servers")
    head.add_row("simulated", f"{format_duration(result.sim_time_ns)}, seed {result.seed}, "
                 f"stats every {format_duration(result.interval_ns)}")
    speed = result.events / result.cpu_s if result.cpu_s > 0 else float("nan")
    head.add_row("engine", f"{result.events:,} events in {result.cpu_s:.2f} CPU s "
                 f"({speed:,.0f} events/CPU-s), wall {result.wall_s:.2f} s")
    params = params_text or {k: str(v) for k, v in result.params.items()}
    head.add_row("params", ", ".join(f"{k}={v}" for k, v in params.items()))

    metrics = Table(title="metrics", title_justify="left", expand=False)
    for col, justify in (("metric", "left"), ("kind", "left"), ("total", "right"),
                         ("rate", "right"), ("gateways", "right"), ("servers", "right"),
                         ("per interval", "left")):
        metrics.add_column(col, justify=justify)  # type: ignore[arg-type]
    dists = Table(title="distributions", title_justify="left", expand=False)
    for col in ("metric", "count", "mean", "p50", "p90", "p99", "p99.9", "max"):
        dists.add_column(col, justify="left" if col == "metric" else "right")
    spark_width = max(8, min(_SPARK_WIDTH, console.width - 80))
    for m in result.metrics.values():
        if m.kind is Kind.DISTRIBUTION and m.distribution is not None:
            d = m.distribution
            if d.count == 0:
                dists.add_row(m.name, "0", *["-"] * 6)
                continue
            dists.add_row(m.name, f"{d.count:,}", *(_value(m, v) for v in
                                                    (d.mean, d.p50, d.p90, d.p99, d.p999,
                                                     d.max)))
            continue
        series = m.series.get("values", [])
        roles = [(_value(m, m.by_role[r]) if r in m.by_role else "") for r in
                 ("gateway", "server")]
        metrics.add_row(m.name, m.kind.value, _value(m, m.total), _rate(m, result.sim_time_ns),
                        *roles, Text(sparkline(series, spark_width), style="cyan"))
    parts: list[Table] = [head, metrics]
    if dists.row_count:
        parts.append(dists)
    console.print(Group(*parts))
