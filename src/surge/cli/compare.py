"""``surge compare``: SURGE's own benchmark plan, unsolicited against reservation placement.

SURGE's ``cmd/bench.sh`` ran models 5 and 6 (unsolicited: UCH-CCPi, UCH-AIMD) and 7 and 8
(reservation groups: Replicast, Replicast-H) in six configurations: 90 gateways x 90
servers with 128 KiB chunks (10 ms), 16 KiB (10 ms) and 1 MiB (40 ms); 30 x 90 with
128 KiB (10 ms), 16 KiB (40 ms) and 1 MiB (40 ms); 400 MiB/s disks, one seed. This module
reproduces that plan (24 runs, the same seed for every run), and writes:

* ``compare.md`` and ``compare.csv``: one row per run with throughput per gateway,
  chunks/s, chunk latency p50 / p99 / p99.9, server link (``rxbusy``) and disk utilization,
  and the wall time of the run;
* ``latency-cdf-<config>.png`` (chunk latency CDF per protocol) and
  ``throughput-<config>.png`` (throughput over time per protocol), one pair per
  configuration, when matplotlib is installed.

Python API: :func:`plan`, :func:`run_plan`, :func:`write_table`, :func:`write_plots`.
CLI: ``surge compare [--models 5,6,7,8] [--configs 90x90-128K,...] [--out docs/study]
[--seed 1] [--time T] [--no-plots]`` (the lead wires :func:`add_parser` and :func:`run`
into ``surge``).
"""

from __future__ import annotations

import argparse
import csv
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from surge.config.params import ConfigError
from surge.models import run_model
from surge.sim.units import KIB, MIB, MS, US, parse_duration
from surge.stats import RunResult

__all__ = ["CONFIGS", "MODELS", "Config", "RunSpec", "add_parser", "plan", "run", "run_plan",
           "write_plots", "write_table"]

#: The models of SURGE's benchmark, in its order: two unsolicited, two reservation-based.
MODELS = ("5", "6", "7", "8")
_SHORT, _LONG = 10 * MS, 40 * MS
_PERCENT = 100.0


@dataclass(frozen=True, slots=True)
class Config:
    """One cluster configuration of the plan.

    Attributes:
        name: ``<gateways>x<servers>-<chunk>`` (``90x90-128K``).
        gateways, servers: cluster size.
        chunk_bytes: chunk size, bytes.
        time_ns: simulated time (SURGE's ``-ttr``), ns.
    """

    name: str
    gateways: int
    servers: int
    chunk_bytes: int
    time_ns: int


#: SURGE's six configurations (``cmd/bench.sh``), with its simulated times.
CONFIGS = (
    Config("90x90-128K", 90, 90, 128 * KIB, _SHORT),
    Config("90x90-16K", 90, 90, 16 * KIB, _SHORT),
    Config("90x90-1M", 90, 90, MIB, _LONG),
    Config("30x90-128K", 30, 90, 128 * KIB, _SHORT),
    Config("30x90-16K", 30, 90, 16 * KIB, _LONG),
    Config("30x90-1M", 30, 90, MIB, _LONG),
)


@dataclass(frozen=True, slots=True)
class RunSpec:
    """One run of the plan: a model in a configuration."""

    model: str
    config: Config
    seed: int


def plan(models: Sequence[str] = MODELS, configs: Sequence[str] | None = None, *,
         seed: int = 1, time_ns: int | None = None) -> list[RunSpec]:
    """The runs to do, configuration by configuration.

    Args:
        models: model names or aliases (default SURGE's 5, 6, 7, 8).
        configs: configuration names (default all six).
        seed: the one seed of every run.
        time_ns: override every configuration's simulated time (for quick looks).

    Raises:
        ConfigError: an unknown configuration name.
    """
    by_name = {c.name: c for c in CONFIGS}
    names = list(configs) if configs else list(by_name)
    specs: list[RunSpec] = []
    for name in names:
        if name not in by_name:
            raise ConfigError(f"unknown configuration {name!r}; choose from "
                              f"{', '.join(by_name)}")
        config = by_name[name]
        if time_ns is not None:
            config = Config(config.name, config.gateways, config.servers, config.chunk_bytes,
                            time_ns)
        specs.extend(RunSpec(m, config, seed) for m in models)
    return specs


def _row(spec: RunSpec, r: RunResult) -> dict[str, Any]:
    c = spec.config
    lat = r["chunk_latency"].distribution
    seconds = r.sim_time_ns / 1e9
    chunks = r["chunk"].total

    def us(value: float | None) -> float:
        return math.nan if value is None or math.isnan(value) else value / US

    return {
        "config": c.name, "model": r.model, "alias": r.alias, "gateways": c.gateways,
        "servers": len(r["rxbusy"].per_node), "chunk_KiB": c.chunk_bytes // KIB,
        "time_ms": c.time_ns / MS, "chunks": int(chunks),
        "chunks_per_s": chunks / seconds,
        "throughput_per_gateway_MiB_s": r["throughput"].total / c.gateways / MIB,
        "latency_p50_us": us(lat.p50 if lat else None),
        "latency_p99_us": us(lat.p99 if lat else None),
        "latency_p999_us": us(lat.p999 if lat else None),
        "server_rxbusy_pct": r["rxbusy"].by_role.get("server", r["rxbusy"].total),
        "server_diskbusy_pct": r["diskbusy"].by_role.get("server", r["diskbusy"].total),
        "wall_s": r.wall_s,
    }


def run_plan(specs: Sequence[RunSpec],
             on_done: Callable[[RunSpec, RunResult, dict[str, Any]], None] | None = None,
             progress: Callable[[int, int], None] | None = None
             ) -> tuple[list[dict[str, Any]], list[tuple[RunSpec, RunResult]]]:
    """Run every spec; return the table rows and the results.

    Args:
        specs: the runs.
        on_done: called after each run with its spec, result and row.
        progress: passed to :func:`~surge.models.run_model` (simulated ns done, end).
    """
    rows, results = [], []
    for spec in specs:
        c = spec.config
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Replicast's server-count note: 90 = 10 x 9
            result = run_model(spec.model, gateways=c.gateways, servers=c.servers,
                               time=c.time_ns, seed=spec.seed,
                               params={"chunk_bytes": c.chunk_bytes}, progress=progress)
        row = _row(spec, result)
        rows.append(row)
        results.append((spec, result))
        if on_done is not None:
            on_done(spec, result, row)
    return rows, results


_COLUMNS = (
    ("config", "config", "{}"), ("model", "model", "{}"), ("alias", "#", "{}"),
    ("chunks_per_s", "chunks/s", "{:.0f}"),
    ("throughput_per_gateway_MiB_s", "MiB/s per gateway", "{:.1f}"),
    ("latency_p50_us", "p50 µs", "{:.0f}"), ("latency_p99_us", "p99 µs", "{:.0f}"),
    ("latency_p999_us", "p99.9 µs", "{:.0f}"),
    ("server_rxbusy_pct", "server link %", "{:.1f}"),
    ("server_diskbusy_pct", "server disk %", "{:.1f}"), ("wall_s", "wall s", "{:.1f}"),
)


def _fmt(fmt: str, value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return fmt.format(value)


def write_table(rows: Sequence[dict[str, Any]], out: Path) -> list[Path]:
    """Write ``compare.md`` (markdown table) and ``compare.csv`` (every field) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    md = out / "compare.md"
    lines = ["| " + " | ".join(h for _, h, _ in _COLUMNS) + " |",
             "|" + "---|" * len(_COLUMNS)]
    lines += ["| " + " | ".join(_fmt(f, row[k]) for k, _, f in _COLUMNS) + " |"
              for row in rows]
    md.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = out / "compare.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        if rows:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return [md, path]


def write_plots(results: Sequence[tuple[RunSpec, RunResult]], out: Path) -> list[Path]:
    """Latency CDFs and throughput over time, one figure of each per configuration.

    Raises:
        ImportError: matplotlib is not installed.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import LogFormatterSciNotation, NullFormatter

    out.mkdir(parents=True, exist_ok=True)
    by_config: dict[str, list[tuple[RunSpec, RunResult]]] = {}
    for spec, result in results:
        by_config.setdefault(spec.config.name, []).append((spec, result))
    written = []
    for name, runs in by_config.items():
        cdf = Figure(figsize=(7, 4.5), layout="constrained")
        FigureCanvasAgg(cdf)
        ax = cdf.add_subplot()
        tput = Figure(figsize=(7, 4.5), layout="constrained")
        FigureCanvasAgg(tput)
        bx = tput.add_subplot()
        for _, r in runs:
            label = f"{r.alias} {r.model}"
            samples = r["chunk_latency"].samples
            if samples is not None and len(samples):
                x = np.sort(np.asarray(samples, dtype=float)) / US
                ax.step(x, np.arange(1, len(x) + 1) / len(x), where="post", label=label)
            m = r["throughput"]
            t = np.asarray(m.series_t_ns, dtype=float) / MS
            values = m.series["values"]
            y = np.asarray([math.nan if v is None else v for v in values], dtype=float)
            bx.step(t, y / MIB, where="post", label=label)
        ax.set(xscale="log", xlabel="chunk latency (µs, log)", ylabel="fraction of chunks",
               title=f"chunk latency CDF, {name}")
        ax.xaxis.set_major_formatter(LogFormatterSciNotation())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        bx.set(xlabel="simulated time (ms)", ylabel="throughput (MiB/s, all gateways)",
               title=f"throughput over time, {name}")
        bx.grid(True, alpha=0.3)
        bx.legend()
        for fig, stem in ((cdf, "latency-cdf"), (tput, "throughput")):
            path = out / f"{stem}-{name}.png"
            fig.savefig(path, dpi=110)
            written.append(path)
    return written


def add_parser(subparsers: Any) -> None:
    """Add ``surge compare`` to the ``surge`` subcommands."""
    p = subparsers.add_parser(
        "compare", help="SURGE's benchmark plan: models 5, 6, 7, 8 side by side")
    p.add_argument("--models", default=",".join(MODELS),
                   help="comma-separated models (default 5,6,7,8)")
    p.add_argument("--configs", default=None,
                   help="comma-separated configurations (default all: "
                        + ", ".join(c.name for c in CONFIGS) + ")")
    p.add_argument("--out", default="docs/study", help="output directory (docs/study)")
    p.add_argument("--seed", type=int, default=1, help="the seed of every run (1)")
    p.add_argument("--time", default=None,
                   help="override every configuration's simulated time (e.g. 1ms)")
    p.add_argument("--no-plots", action="store_true", help="write the table only")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress, no table")


def run(args: argparse.Namespace) -> int:
    """``surge compare``: run the plan, write the table and plots; returns the exit code.

    Raises:
        ConfigError: a bad model, configuration or time (the CLI prints one line, exit 2).
    """
    time_ns = None
    if args.time is not None:
        try:
            time_ns = parse_duration(args.time)
        except ValueError as err:
            raise ConfigError(f"--time: {err}") from None
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    configs = [c.strip() for c in args.configs.split(",")] if args.configs else None
    specs = plan(models, configs, seed=args.seed, time_ns=time_ns)
    out = Path(args.out)
    console = Console(stderr=True)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.completed:.0f}/{task.total:.0f} runs"),
                  TimeElapsedColumn(), console=console, transient=True,
                  disable=args.quiet) as bar:
        task = bar.add_task("compare", total=len(specs))

        def done(spec: RunSpec, _: RunResult, row: dict[str, Any]) -> None:
            bar.update(task, advance=1,
                       description=f"{spec.config.name} model {spec.model}: "
                                   f"{row['chunks_per_s']:.0f} chunks/s")

        rows, results = run_plan(specs, on_done=done)
    paths = write_table(rows, out)
    if not args.no_plots:
        try:
            paths += write_plots(results, out)
        except ImportError:
            console.print("matplotlib not installed: no plots (pip install 'surge[plots]')")
    if not args.quiet:
        Console().out((out / "compare.md").read_text(encoding="utf-8"), highlight=False)
        for path in paths:
            console.out(f"wrote {path}", highlight=False)
    return 0
