"""Sweeps: the spec grammar, the table data, its exports and the curves."""

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from surge.reports.sweep import (
    MAX_SWEEP_POINTS,
    SWEEP_SCHEMA,
    parse_sweep,
    plot_sweep,
    sweep_data,
    sweep_document,
    sweep_figures,
    sweep_values,
    write_sweep_csv,
)
from surge.sim.units import MIB
from surge.stats import DistributionSummary, Kind, MetricResult, RunResult

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SIM_NS = 2_000_000


class TestSpec:
    @pytest.mark.parametrize(("spec", "values"), [
        ("1,4,8", ["1", "4", "8"]),
        (" round-robin , random ", ["round-robin", "random"]),
        ("8KiB,1MiB", ["8KiB", "1MiB"]),
        ("1..5", ["1", "2", "3", "4", "5"]),
        ("0..100:25", ["0", "25", "50", "75", "100"]),
        ("1..32:x2", ["1", "2", "4", "8", "16", "32"]),
        ("3..100:x3", ["3", "9", "27", "81"]),
        ("-2..2", ["-2", "-1", "0", "1", "2"]),
        ("7..7", ["7"]),
    ])
    def test_values(self, spec: str, values: list[str]) -> None:
        """Lists keep their text; ranges are linear, stepped or geometric (xK)."""
        assert sweep_values(spec) == values

    @pytest.mark.parametrize(("spec", "needle"), [
        ("", "no empty values"),
        ("1,,2", "no empty values"),
        ("8..1", "must go upwards"),
        ("1..8:x1", "K >= 2"),
        ("0..8:x2", "lo >= 1"),
        ("1..8:0", "step must be >= 1"),
        ("1..1000", "at most 256"),
        ("1.5..3", "lo..hi:step or lo..hi:xK"),
    ])
    def test_bad_specs(self, spec: str, needle: str) -> None:
        """A bad spec is a ValueError that says what is allowed."""
        with pytest.raises(ValueError, match=needle):
            sweep_values(spec)

    def test_list_length_is_capped(self) -> None:
        """Lists are capped like ranges."""
        with pytest.raises(ValueError, match="at most"):
            sweep_values(",".join(str(i) for i in range(MAX_SWEEP_POINTS + 1)))

    def test_parse_name_and_spec(self) -> None:
        """NAME=SPEC splits at the first '='; the name must be an identifier."""
        assert parse_sweep("window=1..4:x2") == ("window", ["1", "2", "4"])
        for bad in ("window", "=1,2", "win dow=1"):
            with pytest.raises(ValueError, match="NAME=SPEC"):
                parse_sweep(bad)


def _metric(name: str, kind: Kind, total: float, *, unit: str = "",
            summary: DistributionSummary | None = None) -> MetricResult:
    return MetricResult(name=name, kind=kind, scope="gateway", unit=unit, description="",
                        total=total, by_role={}, per_node={}, series_t_ns=[SIM_NS],
                        series={"values": [total]}, distribution=summary)


def _run(value: float, *, queue: str | None = "qdepth", latency: bool = True) -> RunResult:
    """A fake run whose metrics scale with ``value``."""
    metrics = [
        _metric("throughput", Kind.RATE, 100 * MIB * value, unit="B/s"),
        _metric("chunk", Kind.COUNT, 10 * value),
        _metric("diskbusy", Kind.PERCENT, 10 * value, unit="%"),
    ]
    if latency:
        samples = np.array([1000.0, 2000.0, 3000.0]) * value
        metrics.append(_metric("chunk_latency", Kind.DISTRIBUTION, 3.0, unit="ns",
                               summary=DistributionSummary.of(samples)))
    if queue:
        metrics.append(_metric(queue, Kind.SAMPLES, value / 2))
    return RunResult(model="command-window", alias="b", params={}, gateways=1, servers=1,
                     seed=7, sim_time_ns=SIM_NS, events=0, wall_s=0.0, cpu_s=0.0,
                     interval_ns=SIM_NS, metrics={m.name: m for m in metrics})


class TestData:
    def test_points_from_the_standard_metrics(self) -> None:
        """Each point reads throughput, chunk/s, latency percentiles, disk busy, queue."""
        data = sweep_data("window", [(str(v), _run(v)) for v in (1, 2, 4)])
        p = data.points[1]
        assert p.value == "2" and p.throughput == 200 * MIB
        assert p.chunks_per_s == 20 / (SIM_NS / 1e9)
        assert (p.p50, p.count) == (4000.0, 3)
        assert p.p99 == pytest.approx(5960.0) and p.p999 == pytest.approx(5996.0)
        assert (p.disk_busy_pct, p.queue_depth) == (20.0, 1.0)
        assert (data.model, data.param, data.seed, data.queue_unit) == (
            "command-window", "window", 7, "chunks")
        assert data.numeric and not data.log_x
        np.testing.assert_array_equal(data.x, [1, 2, 4])

    def test_log_axis_for_wide_numeric_spans(self) -> None:
        """Values spanning a factor of 16 or more go on a log2 axis."""
        data = sweep_data("window", [(str(v), _run(v)) for v in (1, 4, 16)])
        assert data.log_x

    def test_categorical_values(self) -> None:
        """Non-numeric values are placed 0, 1, 2, ... in the order run."""
        data = sweep_data("interleave", [("round-robin", _run(1)), ("random", _run(2))])
        assert not data.numeric and not data.log_x
        np.testing.assert_array_equal(data.x, [0, 1])

    def test_frames_queue_and_missing_metrics(self) -> None:
        """Without qdepth the queue is disk-frame-bufs (frames); a missing metric is NaN."""
        data = sweep_data("w", [("1", _run(1, queue="disk-frame-bufs", latency=False))])
        assert data.queue_unit == "frames" and data.points[0].queue_depth == 0.5
        assert math.isnan(data.points[0].p99) and data.points[0].count == 0
        none = sweep_data("w", [("1", _run(1, queue=None))])
        assert none.queue_unit == "" and math.isnan(none.points[0].queue_depth)

    def test_empty_sweep_is_refused(self) -> None:
        """A sweep needs runs."""
        with pytest.raises(ValueError, match="at least one run"):
            sweep_data("w", [])


class TestExports:
    def test_document_is_json_with_nulls(self) -> None:
        """The sweep document carries the schema, the points (NaN as null) and every run."""
        runs = [_run(1, latency=False), _run(2)]
        data = sweep_data("window", list(zip(["1", "2"], runs, strict=True)))
        doc = json.loads(json.dumps(sweep_document(data, runs), allow_nan=False))
        assert doc["schema"] == SWEEP_SCHEMA and doc["param"] == "window"
        assert doc["points"][0]["p99"] is None and doc["points"][1]["p50"] == 4000.0
        assert [r["model"] for r in doc["runs"]] == ["command-window"] * 2

    def test_csv_one_row_per_value(self, tmp_path: Path) -> None:
        """The CSV has the parameter's name as first header and empty cells for NaN."""
        data = sweep_data("window", [("1", _run(1, latency=False)), ("2", _run(2))])
        path = tmp_path / "sweep.csv"
        write_sweep_csv(data, path)
        rows = list(csv.reader(path.open()))
        assert rows[0][:3] == ["window", "throughput", "chunks_per_s"]
        assert [r[0] for r in rows[1:]] == ["1", "2"]
        assert rows[1][rows[0].index("p99")] == ""


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    """The figures of a window sweep over the powers of two 1..32."""
    return sweep_figures(sweep_data("window", [(str(v), _run(v)) for v in (1, 2, 4, 8, 16,
                                                                            32)]))


class TestFigures:
    def test_names_and_axes(self, figures: dict[str, Any]) -> None:
        """Latency (three percentile curves, µs) and throughput (MiB/s) against the value on
        a log2 axis, ticks labelled with the values."""
        assert list(figures) == ["command-window-sweep-window-latency.png",
                                 "command-window-sweep-window-throughput.png"]
        (lat,) = figures["command-window-sweep-window-latency.png"].axes
        assert [ln.get_label() for ln in lat.get_lines()] == ["p50", "p99", "p99.9"]
        assert "µs" in lat.get_ylabel() and lat.get_xscale() == "log"
        assert [t.get_text() for t in lat.get_xticklabels()] == ["1", "2", "4", "8", "16",
                                                                 "32"]
        (thr,) = figures["command-window-sweep-window-throughput.png"].axes
        np.testing.assert_allclose(thr.get_lines()[0].get_ydata(), [100, 200, 400, 800,
                                                                   1600, 3200])
        assert "MiB/s" in thr.get_ylabel()

    def test_plot_sweep_writes_pngs(self, tmp_path: Path) -> None:
        """plot_sweep writes both PNGs into a directory it creates."""
        data = sweep_data("interleave", [("round-robin", _run(1)), ("random", _run(2))])
        paths = plot_sweep(data, tmp_path / "out")
        assert [p.name for p in paths] == ["command-window-sweep-interleave-latency.png",
                                           "command-window-sweep-interleave-throughput.png"]
        for path in paths:
            assert path.read_bytes().startswith(PNG_SIGNATURE)
