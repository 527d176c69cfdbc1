"""Plots: the data behind them (series, CDFs, markers), the figures, and the PNG files."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from surge.models import run_model
from surge.reports import build_figures, plot_data, plot_run, require_matplotlib
from surge.reports.plots import MAX_CDF_POINTS
from surge.sim.units import MIB, US
from surge.stats import DistributionSummary, Kind, MetricResult, RunResult

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
INTERVALS = 4
INTERVAL_NS = 500 * US
SIM_NS = INTERVALS * INTERVAL_NS
T_NS = [INTERVAL_NS * (k + 1) for k in range(INTERVALS)]


def _counter(name: str, kind: Kind, unit: str, per_interval: list[float]) -> MetricResult:
    total = float(sum(per_interval))
    return MetricResult(name=name, kind=kind, scope="gateway", unit=unit, description="",
                        total=total, by_role={"gateway": total}, per_node={"I#01": total},
                        series_t_ns=T_NS, series={"values": list(per_interval)})


def _percent(name: str, per_interval: list[float | None]) -> MetricResult:
    return MetricResult(name=name, kind=Kind.PERCENT, scope="server", unit="%",
                        description="", total=50.0, by_role={"server": 50.0},
                        per_node={"T#01": 40.0, "T#02": 60.0}, series_t_ns=T_NS,
                        series={"values": per_interval})


def _latency(samples: np.ndarray | None, summary: DistributionSummary) -> MetricResult:
    return MetricResult(name="chunk_latency", kind=Kind.DISTRIBUTION, scope="gateway",
                        unit="ns", description="", total=float(summary.count),
                        by_role={"gateway": float(summary.count)}, per_node={},
                        series_t_ns=T_NS,
                        series={"count": [1.0] * INTERVALS, "mean": [1.0] * INTERVALS,
                                "p99": [None, 300_000.0, 310_000.0, 290_000.0]},
                        distribution=summary, samples=samples)


def _result(*metrics: MetricResult) -> RunResult:
    return RunResult(model="uch-ccpi", alias="5", params={}, gateways=1, servers=2, seed=7,
                     sim_time_ns=SIM_NS, events=0, wall_s=0.0, cpu_s=0.0,
                     interval_ns=INTERVAL_NS, metrics={m.name: m for m in metrics})


@pytest.fixture(scope="module")
def samples() -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.lognormal(mean=12.0, sigma=0.5, size=20_000)  # ns, median ~163 us


@pytest.fixture(scope="module")
def storage_run(samples: np.ndarray) -> RunResult:
    return _result(
        _counter("chunk", Kind.COUNT, "chunk", [2, 3, 0, 4]),
        _counter("txbytes", Kind.BYTES, "B", [MIB, 2 * MIB, 0, MIB]),
        _counter("throughput", Kind.RATE, "B/s", [2e9, 1e9, 0.0, 3e9]),
        _percent("rxbusy", [80.0, 100.0, 10.0, None]),
        _percent("diskbusy", [20.0, 30.0, 40.0, 50.0]),
        _latency(samples, DistributionSummary.of(samples)),
    )


class TestSeriesData:
    def test_throughput_metric_alone_when_declared(self, storage_run: RunResult) -> None:
        """With a `throughput` rate metric, the throughput plot shows it alone, in GiB/s."""
        data = plot_data(storage_run)
        assert [s.name for s in data.throughput] == ["throughput"]
        (thr,) = data.throughput
        assert thr.unit == "GiB/s"
        np.testing.assert_allclose(thr.values * 2**30, [2e9, 1e9, 0.0, 3e9])

    def test_counts_and_bytes_as_rates_otherwise(self) -> None:
        """Without `throughput`, every count/bytes metric is shown per simulated second."""
        data = plot_data(_result(_counter("chunk", Kind.COUNT, "chunk", [2, 3, 0, 4]),
                                 _counter("txbytes", Kind.BYTES, "B", [MIB, 2 * MIB, 0, MIB]),
                                 _percent("rxbusy", [1.0, 2.0, 3.0, 4.0])))
        chunk, tx = data.throughput
        assert chunk.unit == "chunk/s"
        np.testing.assert_allclose(chunk.values, [4000, 6000, 0, 8000])  # per 0.5 ms
        assert chunk.mean == pytest.approx(9 / (SIM_NS / 1e9))
        assert tx.unit == "GiB/s"  # 1 MiB per 0.5 ms = 2000 MiB/s
        np.testing.assert_allclose(tx.values, np.array([2000, 4000, 0, 2000]) / 1024)

    def test_time_axis_in_ms_from_one_ms(self, storage_run: RunResult) -> None:
        """A 2 ms run is plotted in ms; interval ends are the x values."""
        data = plot_data(storage_run)
        assert data.time_unit == "ms"
        np.testing.assert_allclose(data.throughput[0].t, [0.5, 1.0, 1.5, 2.0])

    def test_busy_series_and_per_node(self, storage_run: RunResult) -> None:
        """Every percent metric gives a 0-100 series (gaps as NaN) and per-node bars."""
        data = plot_data(storage_run)
        assert [s.name for s in data.busy] == ["rxbusy", "diskbusy"]
        np.testing.assert_array_equal(data.busy[0].values, [80.0, 100.0, 10.0, np.nan])
        assert data.busy_nodes[0].nodes == ["T#01", "T#02"]
        np.testing.assert_array_equal(data.busy_nodes[0].values, [40.0, 60.0])

    def test_title_names_model_cluster_time_seed(self, storage_run: RunResult) -> None:
        """Titles carry the model, the cluster size, the simulated time and the seed."""
        title = plot_data(storage_run).title
        for part in ("uch-ccpi", "1 gateways x 2 servers", "2ms", "seed 7"):
            assert part in title


class TestCdfData:
    def test_cdf_from_samples(self, storage_run: RunResult, samples: np.ndarray) -> None:
        """The CDF from raw samples is monotone, ends at 1 and spans min..max."""
        (c,) = plot_data(storage_run).cdfs
        assert c.from_samples and c.count == samples.size
        assert np.all(np.diff(c.x) >= 0) and np.all(np.diff(c.cdf) > 0)
        assert c.cdf[-1] == 1.0
        assert c.x[0] == samples.min() and c.x[-1] == samples.max()
        assert c.x.size <= MAX_CDF_POINTS + 2

    def test_markers_equal_summary(self, storage_run: RunResult) -> None:
        """The p50/p99/p99.9 markers are the summary's percentiles."""
        (c,) = plot_data(storage_run).cdfs
        d = storage_run["chunk_latency"].distribution
        assert d is not None
        assert c.markers == {"p50": d.p50, "p99": d.p99, "p99.9": d.p999}

    def test_tail_is_positive_and_decreasing(self, storage_run: RunResult,
                                             samples: np.ndarray) -> None:
        """The complementary CDF is > 0 (log axis), non-increasing, 1/n at the maximum."""
        (c,) = plot_data(storage_run).cdfs
        assert np.all(c.tail > 0) and np.all(np.diff(c.tail) <= 0)
        assert c.tail[-1] == pytest.approx(1 / samples.size)
        # the tail keeps its resolution: points above p99.9 are drawn
        assert np.sum(c.tail_x > c.markers["p99.9"]) >= 10

    def test_small_sample_keeps_every_point(self) -> None:
        """Below the point budget every sample is a CDF step: i/n for the i-th smallest."""
        values = np.array([5.0, 1.0, 3.0, 3.0])
        (c,) = plot_data(_result(_latency(values, DistributionSummary.of(values)))).cdfs
        np.testing.assert_array_equal(c.x, [1.0, 3.0, 3.0, 5.0])
        np.testing.assert_array_equal(c.cdf, [0.25, 0.5, 0.75, 1.0])

    def test_percentile_points_without_samples(self, samples: np.ndarray) -> None:
        """Without raw samples the CDF falls back to min, p50, p90, p99, p99.9, max."""
        d = DistributionSummary.of(samples)
        (c,) = plot_data(_result(_latency(None, d))).cdfs
        assert not c.from_samples
        np.testing.assert_array_equal(c.x, [d.min, d.p50, d.p90, d.p99, d.p999, d.max])
        np.testing.assert_array_equal(c.cdf, [0.0, 0.5, 0.9, 0.99, 0.999, 1.0])
        assert c.tail[-1] == pytest.approx(1 / d.count)
        assert c.markers["p99"] == d.p99

    def test_empty_distribution(self) -> None:
        """A distribution without samples gives an empty CDF and no markers."""
        (c,) = plot_data(_result(_latency(None, DistributionSummary.of(np.array([]))))).cdfs
        assert c.count == 0 and c.x.size == 0 and c.markers == {}


@pytest.fixture(scope="module")
def figures(storage_run: RunResult) -> dict[str, Any]:
    return build_figures(storage_run)


class TestFigures:
    def test_file_names(self, figures: dict[str, Any]) -> None:
        """Figures are named <model>-throughput, <model>-busy, <model>-<metric>-cdf."""
        assert list(figures) == ["uch-ccpi-throughput.png", "uch-ccpi-busy.png",
                                 "uch-ccpi-chunk_latency-cdf.png"]

    def test_throughput_panels(self, figures: dict[str, Any]) -> None:
        """One panel for the throughput metric, labelled in GiB/s over ms."""
        (ax,) = figures["uch-ccpi-throughput.png"].axes
        assert "GiB/s" in ax.get_ylabel() and "ms" in ax.get_xlabel()

    def test_busy_panels(self, figures: dict[str, Any]) -> None:
        """Busy: one time panel with a line per percent metric, one bar panel per metric."""
        axes = figures["uch-ccpi-busy.png"].axes
        assert len(axes) == 3
        assert axes[0].get_ylim() == (0.0, 105.0)
        assert len(axes[0].patches) == 2  # one stairs artist per metric

    def test_busy_above_100_is_shown_not_clipped(self) -> None:
        """A busy series above 100% (a measurement defect) stretches the axis to show it."""
        fig = build_figures(_result(_percent("rxbusy", [50.0, 180.0, 90.0, 100.0])))
        (ax_time, _) = fig["uch-ccpi-busy.png"].axes
        assert ax_time.get_ylim()[1] >= 180.0

    def test_cdf_panels_and_markers(self, figures: dict[str, Any],
                                    storage_run: RunResult) -> None:
        """CDF, log-scale tail, and p99 over time; the p99 line sits at the summary's p99."""
        ax_cdf, ax_tail, ax_time = figures["uch-ccpi-chunk_latency-cdf.png"].axes
        assert ax_tail.get_yscale() == "log" and ax_cdf.get_yscale() == "linear"
        assert "µs" in ax_cdf.get_xlabel()
        d = storage_run["chunk_latency"].distribution
        assert d is not None
        p99_lines = [ln for ln in ax_cdf.get_lines() if ln.get_label().startswith("p99 =")]
        assert len(p99_lines) == 1
        assert p99_lines[0].get_xdata()[0] == pytest.approx(d.p99 / US)
        assert len(ax_time.patches) == 1


class TestFiles:
    def test_pngs_written(self, storage_run: RunResult, tmp_path: Path) -> None:
        """plot_run creates the directory and writes valid, non-trivial PNGs."""
        out = tmp_path / "a" / "b"
        paths = plot_run(storage_run, out)
        assert [p.name for p in paths] == ["uch-ccpi-throughput.png", "uch-ccpi-busy.png",
                                           "uch-ccpi-chunk_latency-cdf.png"]
        for path in paths:
            assert path.parent == out
            blob = path.read_bytes()
            assert blob.startswith(PNG_SIGNATURE) and len(blob) > 10_000

    def test_no_busy_file_without_percent_metrics(self, tmp_path: Path) -> None:
        """A model without percent metrics gets no busy plot; an empty CDF is still drawn."""
        empty = DistributionSummary.of(np.array([]))
        paths = plot_run(_result(_counter("chunk", Kind.COUNT, "chunk", [0, 0, 0, 0]),
                                 _latency(None, empty)), tmp_path)
        assert [p.name for p in paths] == ["uch-ccpi-throughput.png",
                                           "uch-ccpi-chunk_latency-cdf.png"]


class TestLaziness:
    def test_import_does_not_load_matplotlib(self) -> None:
        """`import surge.reports` loads no matplotlib (it is imported on first plot)."""
        code = "import sys, surge.reports; print('matplotlib' in sys.modules)"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout.strip()
        assert out == "False"

    def test_missing_matplotlib_names_the_extra(self, monkeypatch: pytest.MonkeyPatch,
                                                storage_run: RunResult) -> None:
        """Without matplotlib, plotting fails with an ImportError naming surge[plots]."""
        for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
            monkeypatch.setitem(sys.modules, name, None)
        with pytest.raises(ImportError, match=r"pip install 'surge\[plots\]'"):
            require_matplotlib()
        with pytest.raises(ImportError, match=r"pip install 'surge\[plots\]'"):
            build_figures(storage_run)


def test_real_run_plot_data() -> None:
    """A real ping-pong run plots its counts, its NIC busy % and its rtt CDF from samples."""
    result = run_model("3", gateways=2, servers=2, time="100us")
    data = plot_data(result)
    assert data.time_unit == "µs"
    assert {s.name for s in data.throughput} == {"pings", "txbytes", "rxbytes", "event"}
    assert [c.name for c in data.cdfs] == ["rtt"]
    assert [s.name for s in data.busy] == ["nic_busy"]
    assert data.cdfs[0].cdf[-1] == 1.0


def test_samples_metrics_get_a_levels_figure() -> None:
    """Sampled levels (disk queue depth) are plotted over time in <model>-levels.png."""
    result = run_model("uch-ccpi", gateways=4, servers=6, time="500us", seed=1)
    data = plot_data(result)
    (level,) = data.levels
    assert level.name == "disk-frame-bufs" and level.unit == "frames"
    assert len(level.values) == len(result["disk-frame-bufs"].series["values"])
    assert level.mean == result["disk-frame-bufs"].total
    assert "uch-ccpi-levels.png" in build_figures(data)
