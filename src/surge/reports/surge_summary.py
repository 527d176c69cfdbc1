"""SURGE's end-of-run summary, rendered from a :class:`RunResult`.

Design
------
SURGE ended every run with ``mstats.log(final)`` (``stats.go``): one block per statistic,
in alphabetical order, with cluster totals and one comma-separated line of per-node values
per side (gateways ``[#01-#NN]``, servers ``[#01-#NN]``). Analyses and habits were built on
that text, so :func:`render_surge_summary` reproduces it line for line and number format
for number format (reference ``surge-core.md`` sections 15, 17 and 20), from the same plain
data the rich table reads (``reports`` computes nothing the results document lacks).

Kinds map as follows: ``count`` is SURGE's Count, ``bytes`` its ByteCount, ``samples`` its
SampleCount and ``percent`` its Percentage. ``rate`` and ``distribution`` did not exist in
SURGE; they are rendered in the same style (see :func:`render_surge_summary`).

Numbers are surge's, not SURGE's: SURGE's final summary left out the last, uncollected
stats interval, so its rates came out about 1% low; surge's runner snapshots the end time
too, so every total here is exact (the whole run's count divided by the simulated time).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from surge.sim.units import GIB, KIB, MIB, US
from surge.sim.units import S as NS_PER_S
from surge.stats.metrics import Kind
from surge.stats.results import MetricResult, RunResult

__all__ = ["bytes_per_s_to_kmg", "bytes_to_kmg", "render_surge_summary"]

#: Runner's node names: gateways ``I#01``..``I#NN``, servers ``T#01``..``T#NN``.
_GATEWAY_PREFIX = "I#"
_SERVER_PREFIX = "T#"
_INDENT = "    "
#: Units that are not a word and so cannot name a count rate (``<unit>/s``).
_SYMBOL_UNITS = frozenset({"", "1", "B", "%", "ns", "B/s"})


def bytes_to_kmg(n_bytes: float) -> str:
    """SURGE's ``bytesToKMG``: ``%dB``, ``%.2fKB``, ``%.2fMB``, ``%.2fGB`` (1024-based).

    ``bytes_to_kmg(1536) == "1.50KB"``; ``bytes_to_kmg(1023) == "1023B"``.
    """
    if n_bytes < KIB:
        return f"{int(n_bytes)}B"
    if n_bytes < MIB:
        return f"{n_bytes / KIB:.2f}KB"
    if n_bytes < GIB:
        return f"{n_bytes / MIB:.2f}MB"
    return f"{n_bytes / GIB:.2f}GB"


def bytes_per_s_to_kmg(bytes_per_s: float) -> str:
    """SURGE's ``bytesMillisToKMGseconds``, taking bytes per second.

    ``%.0fB/s``, ``%.2fKB/s``, ``%.2fMB/s``, ``%.2fGB/s`` with 1024-based thresholds;
    ``bytes_per_s_to_kmg(2048) == "2.00KB/s"``.
    """
    if bytes_per_s < KIB:
        return f"{bytes_per_s:.0f}B/s"
    if bytes_per_s < MIB:
        return f"{bytes_per_s / KIB:.2f}KB/s"
    if bytes_per_s < GIB:
        return f"{bytes_per_s / MIB:.2f}MB/s"
    return f"{bytes_per_s / GIB:.2f}GB/s"


class _Run:
    """What every block needs: the cluster size and the per-second scale."""

    def __init__(self, result: RunResult) -> None:
        self.gateways = result.gateways
        self.servers = result.servers
        self.sim_time_ns = result.sim_time_ns

    def per_s(self, amount: float) -> float:
        """``amount`` over the whole run, per simulated second (0 for an empty run)."""
        return amount * NS_PER_S / self.sim_time_ns if self.sim_time_ns > 0 else 0.0

    def node_values(self, metric: MetricResult, prefix: str, n: int) -> list[float]:
        """Per-node values of one side, nodes 1..n (0 for a node the metric lacks)."""
        out: list[float] = []
        for i in range(1, n + 1):
            value = metric.per_node.get(f"{prefix}{i:02d}", 0.0)
            out.append(float(value) if isinstance(value, int | float) else 0.0)
        return out


def _sides(metric: MetricResult) -> tuple[bool, bool]:
    """Whether the metric covers gateways, servers (``node`` scope covers both)."""
    scope = metric.scope.split("|")
    every = "node" in scope
    return "gateway" in scope or every, "server" in scope or every


def _node_lines(run: _Run, metric: MetricResult, label: str,
                fmt: Callable[[float], str]) -> list[str]:
    """``gateway [#01-#NN]<label>:v1,v2,...`` and ``server  [#01-#NN]<label>:...``."""
    gw_side, srv_side = _sides(metric)
    lines: list[str] = []
    for present, side, prefix, n in ((gw_side, "gateway", _GATEWAY_PREFIX, run.gateways),
                                     (srv_side, "server ", _SERVER_PREFIX, run.servers)):
        if present and n > 0:
            values = ",".join(fmt(v) for v in run.node_values(metric, prefix, n))
            lines.append(f"{_INDENT}{side} [#01-#{n:02d}]{label}:{values}")
    return lines


def _count_label(metric: MetricResult) -> str:
    """The ``<n>`` of ``(<n>/s)``: the unit when it is a word (``chunk``), else the name."""
    return metric.name if metric.unit in _SYMBOL_UNITS else metric.unit


def _plural_header(name: str) -> str:
    return f"{name}:" if name.endswith("s") else f"{name}s:"


def _count_block(run: _Run, m: MetricResult) -> list[str]:
    n = _count_label(m)
    g, s = m.by_role.get("gateway", 0), m.by_role.get("server", 0)
    lines = [_plural_header(m.name)]
    if g > 0 and s > 0:
        lines += [f"{_INDENT}cluster total: ({int(g)}, {int(s)})",
                  f"{_INDENT}combined gateway ({n}/s): {run.per_s(g):.0f}",
                  f"{_INDENT}combined server  ({n}/s): {run.per_s(s):.0f}"]
    elif g > 0:
        lines += [f"{_INDENT}gateway total: {int(g)}",
                  f"{_INDENT}combined gateway ({n}/s): {run.per_s(g):.0f}"]
    elif s > 0:
        lines += [f"{_INDENT}server total: {int(s)}",
                  f"{_INDENT}combined server ({n}/s): {run.per_s(s):.0f}"]
    return lines + _node_lines(run, m, f" ({n}/s)", lambda v: f"{run.per_s(v):.0f}")


def _bytes_block(run: _Run, m: MetricResult) -> list[str]:
    g, s = m.by_role.get("gateway", 0), m.by_role.get("server", 0)
    lines = [_plural_header(m.name)]
    if g > 0 and s > 0:
        lines += [f"{_INDENT}gateway total: {bytes_to_kmg(g)}, combined throughput: "
                  f"{bytes_per_s_to_kmg(run.per_s(g))}",
                  f"{_INDENT}server  total: {bytes_to_kmg(s)}, combined throughput: "
                  f"{bytes_per_s_to_kmg(run.per_s(s))}"]
    elif g > 0:
        lines += [f"{_INDENT}gateway total: {bytes_to_kmg(g)}",
                  f"{_INDENT}combined gateway throughput ({m.name}/s): "
                  f"{bytes_per_s_to_kmg(run.per_s(g))}"]
    elif s > 0:
        lines += [f"{_INDENT}server total: {bytes_to_kmg(s)}",
                  f"{_INDENT}combined server throughput ({m.name}/s): "
                  f"{bytes_per_s_to_kmg(run.per_s(s))}"]
    return lines + _node_lines(run, m, " (MB/s)", lambda v: f"{run.per_s(v) / MIB:.2f}")


def _rate_block(run: _Run, m: MetricResult) -> list[str]:
    gw_side, srv_side = _sides(m)
    lines = [f"{m.name}:"]
    if gw_side:
        lines.append(f"{_INDENT}combined gateway throughput: "
                     f"{bytes_per_s_to_kmg(m.by_role.get('gateway', 0.0))}")
    if srv_side:
        lines.append(f"{_INDENT}combined server  throughput: "
                     f"{bytes_per_s_to_kmg(m.by_role.get('server', 0.0))}")
    return lines + _node_lines(run, m, " (MB/s)", lambda v: f"{v / MIB:.2f}")


def _samples_block(run: _Run, m: MetricResult) -> list[str]:
    gw_side, srv_side = _sides(m)
    g, s = m.by_role.get("gateway", 0.0), m.by_role.get("server", 0.0)
    lines = [f"{m.name}:"]
    if gw_side and g > 0:
        lines.append(f"{_INDENT}gateway average: {g:.1f}")
    if srv_side and s > 0:
        lines.append(f"{_INDENT}server average: {s:.1f}")
    return lines + _node_lines(run, m, "", lambda v: f"{v:.1f}")


def _percent_block(run: _Run, m: MetricResult) -> list[str]:
    g, s = m.by_role.get("gateway", 0.0), m.by_role.get("server", 0.0)
    return [f"{m.name}(%):",
            f"{_INDENT}(gateways, servers) average {m.name}(%): ({g:.1f}, {s:.1f})",
            *_node_lines(run, m, "", lambda v: f"{v:.0f}")]


def _distribution_block(m: MetricResult) -> list[str]:
    d = m.distribution
    if d is None or d.count == 0:
        return [f"{m.name}:", f"{_INDENT}count: 0"]
    if m.unit == "ns":
        unit, values = "us", [v / US for v in (d.p50, d.p90, d.p99, d.p999, d.max)]
        fmt = "{:.3f}"
    else:
        unit, values = m.unit, [d.p50, d.p90, d.p99, d.p999, d.max]
        fmt = "{:.1f}"
    shown = ", ".join(fmt.format(v) for v in values)
    return [f"{m.name}:",
            f"{_INDENT}count, p50, p90, p99, p99.9, max ({unit}): {d.count}, {shown}"]


def _block(run: _Run, m: MetricResult) -> Sequence[str]:
    if m.kind is Kind.COUNT:
        return _count_block(run, m)
    if m.kind is Kind.BYTES:
        return _bytes_block(run, m)
    if m.kind is Kind.RATE:
        return _rate_block(run, m)
    if m.kind is Kind.SAMPLES:
        return _samples_block(run, m)
    if m.kind is Kind.PERCENT:
        return _percent_block(run, m)
    return _distribution_block(m)


def render_surge_summary(result: RunResult) -> str:
    """SURGE's end-of-run summary of ``result``, as text (lines joined by ``\\n``, final newline).

    One block per metric, in alphabetical order of name (SURGE's ``log(final)``):

    * ``count`` -> ``<name>s:`` (``<name>:`` if it ends in ``s``), then totals:
      ``cluster total: (g, s)`` with ``combined gateway (<n>/s)`` and
      ``combined server  (<n>/s)`` when both sides counted something, or
      ``gateway total: g`` + ``combined gateway (<n>/s)`` (servers likewise) when one did,
      nothing when neither did; then ``gateway [#01-#NN] (<n>/s):v1,...`` per side (``%.0f``
      per second). ``<n>`` is the metric's unit when it is a word (``chunk``), else its
      name (SURGE always used the name; for SURGE's stats both are the same word).
    * ``bytes`` -> ``gateway total: <KMG>, combined throughput: <KMG/s>`` (and
      ``server  total: ...``) or the one-side forms, then ``(MB/s)`` per node (``%.2f``
      MiB/s).
    * ``samples`` -> ``gateway average: %.1f`` / ``server average: %.1f`` (when > 0), per
      node ``%.1f``.
    * ``percent`` -> ``<name>(%):``, ``(gateways, servers) average <name>(%): (g, s)`` (a
      side outside the scope shows ``0.0``, as in SURGE), per node ``%.0f`` (SURGE printed
      its integer, truncated percentage; these are rounded).
    * ``rate`` (not a SURGE kind) -> ``combined gateway throughput: <KMG/s>`` per side in
      scope, per node ``(MB/s)``.
    * ``distribution`` (not a SURGE kind) -> one line
      ``count, p50, p90, p99, p99.9, max (us): ...`` (ns metrics shown in µs, ``%.3f``).

    Totals and rates are surge's exact ones: SURGE omitted the last stats interval from its
    final summary (rates about 1% low); surge does not.

    Args:
        result: the run's results.

    Returns:
        The summary text.
    """
    run = _Run(result)
    lines: list[str] = []
    for name in sorted(result.metrics):
        lines.extend(_block(run, result.metrics[name]))
    return "\n".join(lines) + "\n" if lines else ""
