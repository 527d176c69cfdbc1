"""Recorders, interval series and the results document."""

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from surge.sim import Simulation
from surge.stats import (
    SCHEMA,
    Kind,
    Metric,
    NodeInfo,
    Scope,
    StatsCollector,
    summarize,
)
from surge.stats.results import DistributionSummary, RunResult

NODES = [NodeInfo("I#01", "gateway"), NodeInfo("I#02", "gateway"), NodeInfo("T#01", "server")]


def _collector() -> tuple[Simulation, StatsCollector]:
    sim = Simulation()
    return sim, StatsCollector(sim, NODES, interval_ns=10)


def _step(sim: Simulation, col: StatsCollector, until: int) -> None:
    sim.run(until=until)
    col.snapshot()


class TestCounters:
    def test_totals_roles_nodes_and_series(self) -> None:
        """A byte counter sums per node, per role, and per interval."""
        sim, col = _collector()
        tx = col.counter(Metric("txbytes", Kind.BYTES, Scope.GATEWAY | Scope.SERVER, "B"))
        sim.schedule(5, lambda _: tx.add(0, 100))
        sim.schedule(15, lambda _: tx.add(2, 50))
        sim.schedule(16, lambda _: tx.add(1, 7))
        for t in (10, 20, 30):
            _step(sim, col, t)
        m = summarize(col)["txbytes"]
        assert m.total == 157
        assert m.by_role == {"gateway": 107, "server": 50}
        assert m.per_node == {"I#01": 100, "I#02": 7, "T#01": 50}
        assert m.series_t_ns == [10, 20, 30]
        assert m.series["values"] == [100, 57, 0]
        assert m.rate_per_s(30) == pytest.approx(157 / 30e-9)

    def test_scope_excludes_other_roles(self) -> None:
        """A gateway-scoped counter reports gateways only."""
        sim, col = _collector()
        c = col.counter(Metric("chunks", Kind.COUNT, Scope.GATEWAY, "chunk"))
        c.add(2, 99)  # a server's slot: out of scope
        c.add(0, 1)
        _step(sim, col, 10)
        m = summarize(col)["chunks"]
        assert m.total == 1
        assert set(m.per_node) == {"I#01", "I#02"}

    def test_duplicate_and_wrong_kind_are_refused(self) -> None:
        """Declaring a name twice, or a kind the recorder does not take, raises."""
        _, col = _collector()
        col.counter(Metric("x", Kind.COUNT, Scope.NODE, "n"))
        with pytest.raises(ValueError, match="declared twice"):
            col.counter(Metric("x", Kind.COUNT, Scope.NODE, "n"))
        with pytest.raises(ValueError, match="takes count, bytes"):
            col.counter(Metric("y", Kind.PERCENT, Scope.NODE, "%"))


class TestSampled:
    def test_percent_from_cumulative_busy_time(self) -> None:
        """A percent probe of cumulative busy ns gives run and per-interval busy %."""
        sim, col = _collector()
        busy = {2: 0}
        col.sampled(Metric("diskbusy", Kind.PERCENT, Scope.SERVER, "%"),
                    lambda i: busy[i])
        _step(sim, col, 10)
        busy[2] = 10  # busy the whole second interval
        _step(sim, col, 20)
        m = summarize(col)["diskbusy"]
        assert m.per_node == {"T#01": pytest.approx(50.0)}
        assert m.series["values"] == [pytest.approx(0.0), pytest.approx(100.0)]

    def test_samples_average_over_intervals(self) -> None:
        """A samples probe reports the mean of its per-interval readings."""
        sim, col = _collector()
        level = [3.0]
        col.sampled(Metric("qdepth", Kind.SAMPLES, Scope.NODE, "frames"), lambda i: level[0])
        _step(sim, col, 10)
        level[0] = 5.0
        _step(sim, col, 20)
        m = summarize(col)["qdepth"]
        assert m.total == pytest.approx(4.0)
        assert m.series["values"] == [3.0, 5.0]


class TestDistributions:
    def test_percentiles_of_known_samples(self) -> None:
        """1..1000 gives p50 500.5, p99 990.01, p99.9 999.001, max 1000."""
        s = DistributionSummary.of(np.arange(1, 1001, dtype=float))
        assert (s.count, s.mean, s.p50, s.max, s.min) == (1000, 500.5, 500.5, 1000.0, 1.0)
        assert s.p90 == pytest.approx(900.1)
        assert s.p99 == pytest.approx(990.01)
        assert s.p999 == pytest.approx(999.001)

    def test_interval_series_and_per_node(self) -> None:
        """Latency samples split into intervals by record time, and per node."""
        sim, col = _collector()
        lat = col.distribution(Metric("chunk_latency", Kind.DISTRIBUTION, Scope.GATEWAY, "ns"))
        sim.schedule(3, lambda _: lat.record(100, 0))
        sim.schedule(10, lambda _: lat.record(300, 1))  # on the boundary: first interval
        sim.schedule(12, lambda _: lat.record(200, 0))
        _step(sim, col, 11)
        _step(sim, col, 20)
        m = summarize(col)["chunk_latency"]
        assert m.series["count"] == [2.0, 1.0]
        assert m.series["mean"] == [200.0, 200.0]
        assert m.per_node == {"I#01": {"count": 2, "mean": 150.0},
                              "I#02": {"count": 1, "mean": 300.0}}
        assert m.distribution is not None and m.distribution.max == 300.0

    def test_empty_distribution_is_null_in_json(self) -> None:
        """No samples gives count 0 and nulls, which JSON can carry."""
        s = DistributionSummary.of(np.array([]))
        assert s.count == 0 and math.isnan(s.p99)
        assert s.to_dict()["p99"] is None


class TestExports:
    def _result(self) -> RunResult:
        sim, col = _collector()
        c = col.counter(Metric("chunks", Kind.COUNT, Scope.GATEWAY, "chunk"))
        lat = col.distribution(Metric("chunk_latency", Kind.DISTRIBUTION, Scope.GATEWAY, "ns"))
        c.add(0, 2)
        lat.record(500, 0)
        _step(sim, col, 10)
        return RunResult(model="m", alias="x", params={"a": 1}, gateways=2, servers=1, seed=3,
                         sim_time_ns=10, events=0, wall_s=0.1, cpu_s=0.1, interval_ns=10,
                         metrics=summarize(col))

    def test_json_document_fields(self, tmp_path: Path) -> None:
        """The JSON document carries the documented top-level and metric fields."""
        path = tmp_path / "r.json"
        self._result().to_json(path)
        doc = json.loads(path.read_text())
        assert doc["schema"] == SCHEMA
        for key in ("model", "params", "seed", "sim_time_ns", "events", "wall_s", "cpu_s",
                    "metrics"):
            assert key in doc
        lat = doc["metrics"]["chunk_latency"]
        for key in ("kind", "scope", "unit", "total", "per_node", "count", "mean", "p50",
                    "p90", "p99", "p999", "max"):
            assert key in lat
        assert lat["p99"] == 500.0
        assert doc["metrics"]["chunks"]["per_node"] == {"I#01": 2, "I#02": 0}

    def test_csv_and_dataframe(self, tmp_path: Path) -> None:
        """CSV and DataFrame exports hold one row per (metric, node, stat)."""
        result = self._result()
        path = tmp_path / "r.csv"
        result.to_csv(path)
        lines = path.read_text().splitlines()
        assert lines[0] == "metric,kind,unit,node,stat,value"
        assert "chunks,count,chunk,I#01,value,2" in lines
        df = result.to_dataframe()
        assert len(df) == len(lines) - 1
        result.series_to_csv(tmp_path / "s.csv")
        assert (tmp_path / "s.csv").read_text().startswith("t_ns,metric,stat,value")

    def test_dataframe_without_pandas_says_what_to_install(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without pandas, to_dataframe raises ImportError naming surge[pandas]."""
        monkeypatch.setitem(sys.modules, "pandas", None)
        with pytest.raises(ImportError, match=r"surge\[pandas\]"):
            self._result().to_dataframe()

    def test_unknown_metric_names_the_known_ones(self) -> None:
        """Indexing a missing metric lists the metrics the run has."""
        with pytest.raises(KeyError, match="chunks, chunk_latency"):
            self._result()["nope"]


class TestRate:
    def test_rate_reports_bytes_per_second(self) -> None:
        """A rate metric reports bytes per simulated second overall, per node, per interval."""
        sim, col = _collector()
        thr = col.counter(Metric("throughput", Kind.RATE, Scope.GATEWAY, "B/s"))
        sim.schedule(5, lambda _: thr.add(0, 1000))
        sim.schedule(15, lambda _: thr.add(1, 3000))
        _step(sim, col, 10)
        _step(sim, col, 20)
        m = summarize(col)["throughput"]
        assert m.total == pytest.approx(4000 / 20e-9)
        assert m.per_node == {"I#01": pytest.approx(1000 / 20e-9),
                              "I#02": pytest.approx(3000 / 20e-9)}
        assert m.series["values"] == [pytest.approx(1000 / 10e-9), pytest.approx(3000 / 10e-9)]
        assert m.rate_per_s(20) is None
