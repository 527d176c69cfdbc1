"""SURGE's end-of-run summary text: exact lines for hand-built results, SURGE's formats."""

from typing import Any

import numpy as np
import pytest

from surge.models import run_model
from surge.reports import bytes_per_s_to_kmg, bytes_to_kmg, render_surge_summary
from surge.sim.units import GIB, KIB, MIB, MS
from surge.stats import DistributionSummary, Kind, MetricResult, RunResult


def _names(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:02d}" for i in range(1, n + 1)]


def _metric(name: str, kind: Kind, scope: str, unit: str, *,
            gateways: list[float] | None = None, servers: list[float] | None = None,
            distribution: DistributionSummary | None = None) -> MetricResult:
    """A MetricResult as the runner builds it: per-node values, role aggregates, total."""
    per_node: dict[str, Any] = {}
    by_role: dict[str, float] = {}
    mean_kinds = (Kind.SAMPLES, Kind.PERCENT)
    for role, prefix, values in (("gateway", "I#", gateways), ("server", "T#", servers)):
        if values is None:
            continue
        per_node.update(zip(_names(prefix, len(values)), values, strict=True))
        by_role[role] = (sum(values) / len(values)) if kind in mean_kinds else sum(values)
    total = (float(np.mean(list(per_node.values()))) if kind in mean_kinds
             else sum(by_role.values()))
    if distribution is not None:
        total = float(distribution.count)
    return MetricResult(name=name, kind=kind, scope=scope, unit=unit, description="",
                        total=total, by_role=by_role, per_node=per_node, series_t_ns=[],
                        series={"values": []}, distribution=distribution)


def _result(*metrics: MetricResult, gateways: int = 10, servers: int = 10,
            sim_time_ns: int = MS) -> RunResult:
    return RunResult(model="m", alias="0", params={}, gateways=gateways, servers=servers,
                     seed=1, sim_time_ns=sim_time_ns, events=0, wall_s=0.0, cpu_s=0.0,
                     interval_ns=sim_time_ns // 100, metrics={m.name: m for m in metrics})


class TestFormats:
    @pytest.mark.parametrize(("value", "text"), [
        (0, "0B"), (1023, "1023B"), (1024, "1.00KB"), (1536, "1.50KB"),
        (MIB - 1, "1024.00KB"), (MIB, "1.00MB"), (int(4.09 * MIB), "4.09MB"),
        (GIB, "1.00GB"), (3 * GIB // 2, "1.50GB"),
    ])
    def test_bytes_to_kmg(self, value: int, text: str) -> None:
        """bytesToKMG: %dB below 1 KiB, then %.2f in KB, MB, GB (1024-based)."""
        assert bytes_to_kmg(value) == text

    @pytest.mark.parametrize(("value", "text"), [
        (512.4, "512B/s"), (2048, "2.00KB/s"), (14.21 * MIB, "14.21MB/s"),
        (4.00 * GIB, "4.00GB/s"),
    ])
    def test_bytes_per_s_to_kmg(self, value: float, text: str) -> None:
        """bytesMillisToKMGseconds: %.0fB/s, then %.2f KB/s, MB/s, GB/s (1024-based)."""
        assert bytes_per_s_to_kmg(value) == text


class TestCounts:
    def test_gateway_chunks_in_two_ms(self) -> None:
        """7 chunks in 2 ms: gateway total 7, 3500 chunk/s combined, 500 per chunk per node."""
        chunks = _metric("chunk", Kind.COUNT, "gateway", "chunk",
                         gateways=[2, 1, 0, 1, 0, 1, 0, 0, 1, 1])
        text = render_surge_summary(_result(chunks, sim_time_ns=2 * MS))
        assert text == (
            "chunks:\n"
            "    gateway total: 7\n"
            "    combined gateway (chunk/s): 3500\n"
            "    gateway [#01-#10] (chunk/s):1000,500,0,500,0,500,0,0,500,500\n"
        )

    def test_no_totals_when_nothing_counted(self) -> None:
        """A count that stayed 0 prints its header and per-node zeros only (SURGE m6 chunks)."""
        chunks = _metric("chunk", Kind.COUNT, "gateway", "chunk", gateways=[0] * 10)
        assert render_surge_summary(_result(chunks)).splitlines() == [
            "chunks:",
            "    gateway [#01-#10] (chunk/s):0,0,0,0,0,0,0,0,0,0",
        ]

    def test_both_sides(self) -> None:
        """Gateways and servers both counted: cluster total and aligned combined lines."""
        events = _metric("events", Kind.COUNT, "gateway|server", "event",
                         gateways=[3, 5], servers=[4])
        assert render_surge_summary(_result(events, gateways=2, servers=1)).splitlines() == [
            "events:",
            "    cluster total: (8, 4)",
            "    combined gateway (event/s): 8000",
            "    combined server  (event/s): 4000",
            "    gateway [#01-#02] (event/s):3000,5000",
            "    server  [#01-#01] (event/s):4000",
        ]

    def test_only_servers_counted(self) -> None:
        """A two-sided count with gateways at 0 uses the server-only total lines."""
        events = _metric("event", Kind.COUNT, "gateway|server", "event",
                         gateways=[0], servers=[2, 1])
        assert render_surge_summary(_result(events, gateways=1, servers=2)).splitlines() == [
            "events:",
            "    server total: 3",
            "    combined server (event/s): 3000",
            "    gateway [#01-#01] (event/s):0",
            "    server  [#01-#02] (event/s):2000,1000",
        ]


class TestReferenceModel5:
    def test_reproduces_surge_lines(self) -> None:
        """The per-node values of SURGE's `ck -m 5 -ttr 1ms` give its summary verbatim."""
        result = _result(
            _metric("chunk", Kind.COUNT, "gateway", "chunk",
                    gateways=[1, 1, 0, 1, 0, 1, 0, 0, 0, 0]),
            _metric("disk-frame-bufs", Kind.SAMPLES, "server", "frames",
                    servers=[12.9, 23.0, 0.0, 8.5, 11.9, 8.9, 14.8, 23.7, 10.6, 4.5]),
            _metric("diskbusy", Kind.PERCENT, "server", "%",
                    servers=[94, 100, 0, 94, 94, 94, 100, 100, 100, 63]),
            _metric("replica", Kind.COUNT, "gateway", "replica",
                    gateways=[4, 3, 2, 3, 2, 3, 2, 2, 1, 2]),
            _metric("rxbusy", Kind.PERCENT, "server", "%",
                    servers=[59, 100, 0, 32, 39, 32, 73, 100, 100, 21]),
        )
        assert render_surge_summary(result) == """\
chunks:
    gateway total: 4
    combined gateway (chunk/s): 4000
    gateway [#01-#10] (chunk/s):1000,1000,0,1000,0,1000,0,0,0,0
disk-frame-bufs:
    server average: 11.9
    server  [#01-#10]:12.9,23.0,0.0,8.5,11.9,8.9,14.8,23.7,10.6,4.5
diskbusy(%):
    (gateways, servers) average diskbusy(%): (0.0, 83.9)
    server  [#01-#10]:94,100,0,94,94,94,100,100,100,63
replicas:
    gateway total: 24
    combined gateway (replica/s): 24000
    gateway [#01-#10] (replica/s):4000,3000,2000,3000,2000,3000,2000,2000,1000,2000
rxbusy(%):
    (gateways, servers) average rxbusy(%): (0.0, 55.6)
    server  [#01-#10]:59,100,0,32,39,32,73,100,100,21
"""


class TestBytes:
    def test_both_sides(self) -> None:
        """Byte totals in KMG with combined throughput per side, per node in MiB/s."""
        tx = _metric("txbytes", Kind.BYTES, "gateway|server", "B",
                     gateways=[MIB, 3 * MIB], servers=[1536])
        assert render_surge_summary(_result(tx, gateways=2, servers=1)).splitlines() == [
            "txbytes:",
            "    gateway total: 4.00MB, combined throughput: 3.91GB/s",
            "    server  total: 1.50KB, combined throughput: 1.46MB/s",
            "    gateway [#01-#02] (MB/s):1000.00,3000.00",
            "    server  [#01-#01] (MB/s):1.46",
        ]

    def test_gateway_only(self) -> None:
        """One side: `gateway total` and `combined gateway throughput (<name>/s)`."""
        tx = _metric("txbytes", Kind.BYTES, "gateway", "B", gateways=[KIB // 2, KIB // 2])
        assert render_surge_summary(_result(tx, gateways=2)).splitlines() == [
            "txbytes:",
            "    gateway total: 1.00KB",
            "    combined gateway throughput (txbytes/s): 1000.00KB/s",
            "    gateway [#01-#02] (MB/s):0.49,0.49",
        ]


class TestBeyondSurge:
    def test_rate(self) -> None:
        """A `rate` metric (B/s) shows the combined throughput and per-node MiB/s."""
        thr = _metric("throughput", Kind.RATE, "gateway", "B/s",
                      gateways=[GIB, GIB / 2])
        assert render_surge_summary(_result(thr, gateways=2)).splitlines() == [
            "throughput:",
            "    combined gateway throughput: 1.50GB/s",
            "    gateway [#01-#02] (MB/s):1024.00,512.00",
        ]

    def test_distribution_in_us(self) -> None:
        """A latency distribution is one line: count and percentiles in µs."""
        summary = DistributionSummary.of(np.array([100_000.0, 200_000.0, 300_000.0]))
        lat = _metric("chunk_latency", Kind.DISTRIBUTION, "gateway", "ns",
                      distribution=summary)
        lines = render_surge_summary(_result(lat)).splitlines()
        assert lines == [
            "chunk_latency:",
            "    count, p50, p90, p99, p99.9, max (us): "
            f"3, 200.000, 280.000, {summary.p99 / 1000:.3f}, {summary.p999 / 1000:.3f}, "
            "300.000",
        ]

    def test_empty_distribution(self) -> None:
        """A distribution without samples says `count: 0`."""
        lat = _metric("chunk_latency", Kind.DISTRIBUTION, "gateway", "ns",
                      distribution=DistributionSummary.of(np.array([])))
        assert render_surge_summary(_result(lat)).splitlines() == ["chunk_latency:",
                                                                   "    count: 0"]


class TestRealRun:
    def test_every_metric_in_alphabetical_order(self) -> None:
        """A ping-pong run's summary has one block per metric, sorted by name."""
        result = run_model("3", gateways=2, servers=3, time="50us")
        headers = [line for line in render_surge_summary(result).splitlines()
                   if not line.startswith(" ")]
        assert headers == ["events:", "nic_busy(%):", "pings:", "rtt:", "rxbytes:",
                           "txbytes:"]
        pings = result["pings"].total
        assert f"    gateway total: {pings:.0f}" in render_surge_summary(result)
