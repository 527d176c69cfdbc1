"""The results of a run as plain data, and their exports (JSON, CSV, pandas).

Design
------
:func:`summarize` turns a :class:`~surge.stats.collector.StatsCollector` into a
:class:`RunResult`: numbers only, no engine objects, so that reports, plots, the optimizer
bridge and other tools read one tested object. The JSON document (``--json``) is
``RunResult.to_dict()``; its schema is documented in ``docs/results.md`` and versioned by
the top-level ``schema`` field. Field names are stable: tools are built against them.

Distributions report ``count``, ``mean``, ``p50``, ``p90``, ``p99``, ``p999``, ``min`` and
``max`` in the metric's unit (ns for latencies). Percentiles use NumPy's default
(linear interpolation between order statistics).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from surge.stats.collector import Counter, Distribution, NodeInfo, Sampled, StatsCollector
from surge.stats.metrics import Kind

__all__ = ["SCHEMA", "DistributionSummary", "MetricResult", "RunResult", "summarize"]

#: Version tag of the results document.
SCHEMA = "surge.run/1"
_PERCENT = 100.0
_PERCENTILES = (50.0, 90.0, 99.0, 99.9)
_NS_PER_S = 1_000_000_000


@dataclass(frozen=True, slots=True)
class DistributionSummary:
    """Summary of a set of samples (all in the metric's unit).

    Attributes:
        count: number of samples.
        mean, p50, p90, p99, p999, min, max: the statistics (NaN when ``count`` is 0).
    """

    count: int
    mean: float
    p50: float
    p90: float
    p99: float
    p999: float
    min: float
    max: float

    @classmethod
    def of(cls, values: np.ndarray) -> DistributionSummary:
        """Summarize a 1-D array of samples."""
        if values.size == 0:
            nan = math.nan
            return cls(0, nan, nan, nan, nan, nan, nan, nan)
        p50, p90, p99, p999 = (float(v) for v in np.percentile(values, _PERCENTILES))
        return cls(
            count=int(values.size),
            mean=float(values.mean()),
            p50=p50,
            p90=p90,
            p99=p99,
            p999=p999,
            min=float(values.min()),
            max=float(values.max()),
        )

    def to_dict(self) -> dict[str, float | int | None]:
        """Fields as a dict (NaN becomes ``None`` for JSON)."""
        out: dict[str, float | int | None] = {"count": self.count}
        for key in ("mean", "p50", "p90", "p99", "p999", "min", "max"):
            value = getattr(self, key)
            out[key] = None if math.isnan(value) else value
        return out


@dataclass(slots=True)
class MetricResult:
    """One metric's results.

    Attributes:
        name, kind, scope, unit, description: from the declaration.
        total: ``count``/``bytes``: sum over in-scope nodes; ``rate``: bytes per simulated
            second over the run (per node and per interval likewise); ``samples``: mean
            level over nodes and intervals; ``percent``: mean busy % over nodes; ``distribution``:
            number of samples.
        by_role: the same aggregate per role (``{"gateway": ..., "server": ...}``).
        per_node: node name -> value (for distributions, ``{"count", "mean"}`` per node).
        series_t_ns: end time of each interval, ns.
        series: per-interval values (counts/bytes summed over nodes, samples and percent
            averaged over nodes); for distributions ``{"count": [...], "mean": [...],
            "p99": [...]}``.
        distribution: the summary, for distributions only.
        samples: the raw samples of a distribution (for plots; not in the JSON document).
    """

    name: str
    kind: Kind
    scope: str
    unit: str
    description: str
    total: float
    by_role: dict[str, float]
    per_node: dict[str, Any]
    series_t_ns: list[int]
    series: dict[str, list[float | None]]
    distribution: DistributionSummary | None = None
    samples: np.ndarray | None = field(default=None, repr=False)

    def rate_per_s(self, sim_time_ns: int) -> float | None:
        """Total per simulated second for counts and bytes, else ``None``."""
        if self.kind in (Kind.COUNT, Kind.BYTES) and sim_time_ns > 0:
            return self.total * _NS_PER_S / sim_time_ns
        return None

    def to_dict(self, sim_time_ns: int) -> dict[str, Any]:
        """The metric's entry of the results document."""
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "scope": self.scope,
            "unit": self.unit,
            "description": self.description,
            "total": self.total,
        }
        rate = self.rate_per_s(sim_time_ns)
        if rate is not None:
            out["rate_per_s"] = rate
        if self.distribution is not None:
            out.update(self.distribution.to_dict())
        out["by_role"] = self.by_role
        out["per_node"] = self.per_node
        out["series"] = {"t_ns": self.series_t_ns, **self.series}
        return out


@dataclass(slots=True)
class RunResult:
    """Everything a run produced, as data.

    Attributes:
        model: the model's descriptive name (``ping-pong``); ``alias`` its SURGE name.
        params: the model parameters as used (after defaults and validation).
        gateways, servers: cluster size.
        seed: the run seed.
        sim_time_ns: simulated time covered, ns.
        events: engine actions handled.
        wall_s, cpu_s: wall-clock and CPU seconds of the run (the only fields that differ
            between two runs with the same seed).
        interval_ns: the stats interval, ns.
        metrics: metric name -> results, in declaration order.
    """

    model: str
    alias: str
    params: dict[str, Any]
    gateways: int
    servers: int
    seed: int
    sim_time_ns: int
    events: int
    wall_s: float
    cpu_s: float
    interval_ns: int
    metrics: dict[str, MetricResult] = field(default_factory=dict)

    def __getitem__(self, name: str) -> MetricResult:
        try:
            return self.metrics[name]
        except KeyError:
            known = ", ".join(self.metrics)
            raise KeyError(f"no metric {name!r}; this run has: {known}") from None

    def to_dict(self) -> dict[str, Any]:
        """The results document (see ``docs/results.md``)."""
        return {
            "schema": SCHEMA,
            "model": self.model,
            "alias": self.alias,
            "params": self.params,
            "gateways": self.gateways,
            "servers": self.servers,
            "seed": self.seed,
            "sim_time_ns": self.sim_time_ns,
            "events": self.events,
            "wall_s": self.wall_s,
            "cpu_s": self.cpu_s,
            "interval_ns": self.interval_ns,
            "metrics": {name: m.to_dict(self.sim_time_ns) for name, m in self.metrics.items()},
        }

    def to_json(self, target: str | Path | IO[str] | None = None, *, indent: int = 2) -> str:
        """Serialize to JSON; also write it to ``target`` (a path or a text stream) if given."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if isinstance(target, str | Path):
            Path(target).write_text(text + "\n", encoding="utf-8")
        elif target is not None:
            target.write(text + "\n")
        return text

    def rows(self) -> list[dict[str, Any]]:
        """One row per (metric, node): the long table behind CSV and DataFrame exports."""
        rows: list[dict[str, Any]] = []
        for m in self.metrics.values():
            for node, value in m.per_node.items():
                if isinstance(value, dict):
                    for stat, v in value.items():
                        rows.append({"metric": m.name, "kind": m.kind.value, "unit": m.unit,
                                     "node": node, "stat": stat, "value": v})
                else:
                    rows.append({"metric": m.name, "kind": m.kind.value, "unit": m.unit,
                                 "node": node, "stat": "value", "value": value})
        return rows

    def to_csv(self, path: str | Path) -> None:
        """Write the per-node long table as CSV (metric, kind, unit, node, stat, value)."""
        with Path(path).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=["metric", "kind", "unit", "node", "stat",
                                                    "value"])
            writer.writeheader()
            writer.writerows(self.rows())

    def series_to_csv(self, path: str | Path) -> None:
        """Write every metric's per-interval series as CSV (t_ns, metric, stat, value)."""
        with Path(path).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["t_ns", "metric", "stat", "value"])
            for m in self.metrics.values():
                for stat, values in m.series.items():
                    for t, v in zip(m.series_t_ns, values, strict=True):
                        writer.writerow([t, m.name, stat, v])

    def to_dataframe(self) -> Any:
        """The per-node long table as a pandas DataFrame.

        Raises:
            ImportError: pandas is not installed (``pip install 'surge[pandas]'``).
        """
        try:
            import pandas as pd
        except ImportError as err:
            raise ImportError(
                "to_dataframe() needs pandas: pip install 'surge[pandas]'"
            ) from err
        return pd.DataFrame(self.rows())


def _role_groups(nodes: list[NodeInfo], indexes: list[int]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for i in indexes:
        groups.setdefault(nodes[i].role, []).append(i)
    return groups


def _counter_result(col: StatsCollector, rec: Counter) -> MetricResult:
    idx = col.in_scope(rec.metric)
    final = np.array(rec.values, dtype=np.int64)
    snaps = col.snapshots(rec.metric.name)
    cumulative = snaps[:, idx].sum(axis=1) if idx else np.zeros(len(snaps), dtype=np.int64)
    series: list[float | None] = np.diff(cumulative, prepend=0).tolist() if len(snaps) else []
    groups = _role_groups(col.nodes, idx)
    total: float = int(final[idx].sum()) if idx else 0
    by_role: dict[str, float] = {role: int(final[ix].sum()) for role, ix in groups.items()}
    per_node: dict[str, Any] = {col.nodes[i].name: int(final[i]) for i in idx}
    if rec.metric.kind is Kind.RATE:
        # bytes -> bytes per simulated second, over the run and per interval
        elapsed = col.snapshot_times[-1] if col.snapshot_times else 0
        scale = _NS_PER_S / elapsed if elapsed > 0 else 0.0
        total = total * scale
        by_role = {role: v * scale for role, v in by_role.items()}
        per_node = {name: v * scale for name, v in per_node.items()}
        spans = np.diff(np.array(col.snapshot_times, dtype=np.int64), prepend=0)
        series = [(v or 0) * _NS_PER_S / span if span > 0 else None
                  for v, span in zip(series, spans.tolist(), strict=True)]
    return MetricResult(
        name=rec.metric.name,
        kind=rec.metric.kind,
        scope=rec.metric.scope.label(),
        unit=rec.metric.unit,
        description=rec.metric.description,
        total=total,
        by_role=by_role,
        per_node=per_node,
        series_t_ns=list(col.snapshot_times),
        series={"values": series},
    )


def _sampled_result(col: StatsCollector, rec: Sampled) -> MetricResult:
    idx = col.in_scope(rec.metric)
    snaps = col.snapshots(rec.metric.name)
    times = np.array(col.snapshot_times, dtype=np.int64)
    if rec.metric.kind is Kind.PERCENT:
        # snapshots hold cumulative busy ns; % over the run and per interval.
        elapsed = max(int(times[-1]) if times.size else 0, 1)
        per_node_values = snaps[-1] * _PERCENT / elapsed if len(snaps) else np.zeros(len(col.nodes))
        spans = np.diff(times, prepend=0).astype(np.float64)
        spans[spans == 0] = 1.0
        first = np.zeros((1, snaps.shape[1]))
        busy = np.diff(snaps, axis=0, prepend=first) if len(snaps) else snaps
        interval_pct = busy[:, idx] * _PERCENT / spans[:, None] if idx else busy[:, :0]
        series = interval_pct.mean(axis=1).tolist() if idx else []
    else:
        per_node_values = snaps.mean(axis=0) if len(snaps) else np.zeros(len(col.nodes))
        series = snaps[:, idx].mean(axis=1).tolist() if idx and len(snaps) else []
    groups = _role_groups(col.nodes, idx)
    return MetricResult(
        name=rec.metric.name,
        kind=rec.metric.kind,
        scope=rec.metric.scope.label(),
        unit=rec.metric.unit,
        description=rec.metric.description,
        total=float(per_node_values[idx].mean()) if idx else 0.0,
        by_role={role: float(per_node_values[ix].mean()) for role, ix in groups.items()},
        per_node={col.nodes[i].name: float(per_node_values[i]) for i in idx},
        series_t_ns=list(col.snapshot_times),
        series={"values": series},
    )


def _distribution_result(col: StatsCollector, rec: Distribution) -> MetricResult:
    values = np.asarray(rec.values, dtype=np.float64)
    times = np.asarray(rec.times, dtype=np.int64)
    nodes = np.asarray(rec.nodes, dtype=np.int64)
    summary = DistributionSummary.of(values)
    per_node: dict[str, Any] = {}
    by_role: dict[str, float] = {}
    if values.size:
        known = nodes >= 0
        counts = np.bincount(nodes[known], minlength=len(col.nodes))
        sums = np.bincount(nodes[known], weights=values[known], minlength=len(col.nodes))
        for i in col.in_scope(rec.metric):
            if counts[i]:
                per_node[col.nodes[i].name] = {"count": int(counts[i]),
                                               "mean": float(sums[i] / counts[i])}
        for role, ix in _role_groups(col.nodes, col.in_scope(rec.metric)).items():
            by_role[role] = float(counts[ix].sum())
    edges = np.array(col.snapshot_times, dtype=np.int64)
    count_s: list[float | None] = []
    mean_s: list[float | None] = []
    p99_s: list[float | None] = []
    if edges.size:
        # interval k covers (edges[k-1], edges[k]]; samples recorded exactly at a boundary
        # belong to the interval that ends there.
        order = np.argsort(times, kind="stable")
        sorted_times = times[order]
        sorted_values = values[order]
        cuts = np.searchsorted(sorted_times, edges, side="right")
        start = 0
        for cut in cuts:
            chunk = sorted_values[start:cut]
            count_s.append(float(chunk.size))
            mean_s.append(float(chunk.mean()) if chunk.size else None)
            p99_s.append(float(np.percentile(chunk, 99.0)) if chunk.size else None)
            start = int(cut)
    return MetricResult(
        name=rec.metric.name,
        kind=rec.metric.kind,
        scope=rec.metric.scope.label(),
        unit=rec.metric.unit,
        description=rec.metric.description,
        total=float(summary.count),
        by_role=by_role,
        per_node=per_node,
        series_t_ns=list(col.snapshot_times),
        series={"count": count_s, "mean": mean_s, "p99": p99_s},
        distribution=summary,
        samples=values,
    )


def summarize(col: StatsCollector) -> dict[str, MetricResult]:
    """Turn every recorder of ``col`` into a :class:`MetricResult`, in declaration order."""
    out: dict[str, MetricResult] = {}
    for name, rec in col.recorders.items():
        if isinstance(rec, Counter):
            out[name] = _counter_result(col, rec)
        elif isinstance(rec, Sampled):
            out[name] = _sampled_result(col, rec)
        else:
            out[name] = _distribution_result(col, rec)
    return out
