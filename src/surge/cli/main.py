"""The ``surge`` command: thin argparse subcommands over the Python API.

``surge models [NAME]``    list the models, or one model's parameters
``surge run MODEL ...``    run one model and print its report (``--json`` for the document,
                          ``--summary surge`` for SURGE's text, ``--plot DIR`` for PNGs);
                          ``--sweep NAME=SPEC`` runs it once per value of one parameter
``surge optimize ...``     the ensemble optimizer on a benchmark problem
``surge demo``             the main job: a demo simulation, then a short optimization
``surge compare``          SURGE's benchmark plan: unsolicited vs reservation protocols
``surge tune MODEL ...``   tune a model's parameters with the optimizer (study journaled)
``surge sweep MODEL ...``  a grid of parameter values, through the same executors
``surge study show FILE``  best points and convergence of a study

Every user error (unknown model or parameter, bad duration, out-of-range value) ends in
one line on stderr that names the problem and what is allowed, with exit code 2; never a
traceback. Nothing is written to disk unless a flag asks for it (``--json``, ``--csv``,
``--trace``, ``--plot``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from surge.cli import compare
from surge.models import (
    ConfigError,
    ModelInfo,
    build_params,
    describe_params,
    get_model,
    list_models,
    run_model,
)
from surge.reports import plot_run, render_run, render_surge_summary, require_matplotlib
from surge.reports.sweep import (
    parse_sweep,
    plot_sweep,
    render_sweep,
    sweep_data,
    sweep_document,
    write_sweep_csv,
)
from surge.sim.units import format_duration
from surge.stats import RunResult

__all__ = ["main"]

EXIT_USAGE = 2
#: ``--summary`` choices: the rich tables, SURGE's end-of-run text, or both.
SUMMARY_CHOICES = ("table", "surge", "both")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line: ``surge run: error: ...``."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _parse_sets(items: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--set takes name=value, got {item!r}")
        values[name.strip()] = value.strip()
    return values


def _plot_dir(path: str) -> Path:
    """Check, before a run, that plots can be drawn and written to ``path`` (created)."""
    try:
        require_matplotlib()
    except ImportError as err:
        raise ConfigError(f"--plot: {err}") from None
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"--plot {path}: cannot create the directory "
                          f"({err.strerror or err})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ConfigError(f"--plot {path}: the directory is not writable")
    return out


def _write_plots(result: RunResult, out: Path, console: Console | None) -> None:
    """Write the run's PNGs into ``out`` and list them on ``console`` (None: silently)."""
    for path in plot_run(result, out):
        if console is not None:
            console.out(f"wrote {path}", highlight=False)


def _print_report(result: RunResult, console: Console, summary: str) -> None:
    """The rich tables, SURGE's summary text, or both (``--summary``)."""
    if summary in ("table", "both"):
        info = get_model(result.model)
        by_name = {p.name: p for p in describe_params(info.params_type)}
        params_text = {k: by_name[k].format_value(v) for k, v in result.params.items()}
        render_run(result, console, description=info.description, params_text=params_text)
    if summary in ("surge", "both"):
        console.out(render_surge_summary(result), highlight=False, end="")


def _cmd_models(args: argparse.Namespace, console: Console) -> int:
    if args.name and args.name != "list":
        info = get_model(args.name)
        table = Table(title=f"{info.name} (alias {info.alias}): {info.description}",
                      title_justify="left")
        for col in ("parameter", "type", "unit", "default", "meaning"):
            table.add_column(col)
        for p in describe_params(info.params_type):
            table.add_row(p.name, p.type_name, p.unit, p.format_value(p.default), p.help)
        console.print(table)
        return 0
    table = Table(title="models", title_justify="left")
    for col in ("name", "alias", "description"):
        table.add_column(col)
    for info in list_models():
        table.add_row(info.name, info.alias, info.description)
    console.print(table)
    console.print("`surge models NAME` lists a model's parameters; "
                  "`surge run NAME --set name=value` sets them.")
    return 0


def _cmd_run(args: argparse.Namespace, console: Console) -> int:
    err = Console(stderr=True)
    info = get_model(args.model)
    params = _parse_sets(args.set or [])
    report_console = err if args.json == "-" else console
    show_progress = err.is_terminal and not args.quiet
    if args.sweep:
        return _cmd_sweep(args, info, params, console)
    plot_dir = _plot_dir(args.plot) if args.plot else None
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.fields[now]}"), TimeElapsedColumn(),
                  console=err, transient=True, disable=not show_progress) as bar:
        task = bar.add_task(f"{info.name}", total=1.0, now="")

        def progress(now_ns: int, end_ns: int) -> None:
            bar.update(task, completed=now_ns / end_ns,
                       now=f"{format_duration(now_ns)} / {format_duration(end_ns)}")

        result = run_model(
            args.model,
            gateways=args.gateways,
            servers=args.servers,
            time=args.time,
            seed=args.seed,
            params=params,
            interval=args.interval,
            trace=args.trace,
            verbosity=max(1, args.verbose),
            progress=progress,
        )
    if args.json:
        if args.json == "-":
            result.to_json(sys.stdout)
        else:
            result.to_json(args.json)
    if args.csv:
        result.to_csv(args.csv)
    if not args.quiet:
        _print_report(result, report_console, args.summary)
    if plot_dir is not None:
        _write_plots(result, plot_dir, None if args.quiet else report_console)
    return 0


def _cmd_sweep(args: argparse.Namespace, info: ModelInfo, params: dict[str, str],
               console: Console) -> int:
    """``surge run MODEL --sweep NAME=SPEC``: one run per value, then the table and curves.

    Every value is validated before the first run, so a typo at the end of a long sweep
    costs nothing. The runs share the seed and every other flag.
    """
    try:
        name, values = parse_sweep(args.sweep)
    except ValueError as problem:
        raise ConfigError(str(problem)) from None
    if name in params:
        raise ConfigError(f"--sweep {name} and --set {name} both set {name!r}; keep one")
    if args.trace:
        raise ConfigError("--trace writes one run's events; it cannot be combined with "
                          "--sweep")
    if args.summary != "table":
        raise ConfigError("--summary surge|both reports one run; with --sweep the report "
                          "is the sweep table")
    for value in values:
        build_params(info.params_type, {**params, name: value}, info.name)
    plot_dir = _plot_dir(args.plot) if args.plot else None
    err = Console(stderr=True)
    report_console = err if args.json == "-" else console
    results = []
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.fields[now]}"), TimeElapsedColumn(),
                  console=err, transient=True,
                  disable=not (err.is_terminal and not args.quiet)) as bar:
        task = bar.add_task(f"{info.name} {name}", total=len(values), now="")
        for value in values:
            bar.update(task, now=f"{name}={value}")
            results.append(run_model(args.model, gateways=args.gateways,
                                     servers=args.servers, time=args.time, seed=args.seed,
                                     params={**params, name: value}, interval=args.interval))
            bar.advance(task)
    data = sweep_data(name, list(zip(values, results, strict=True)))
    if args.json:
        text = json.dumps(sweep_document(data, results), indent=2, allow_nan=False)
        if args.json == "-":
            sys.stdout.write(text + "\n")
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    if args.csv:
        write_sweep_csv(data, args.csv)
    if not args.quiet:
        render_sweep(data, report_console)
    if plot_dir is not None:
        for path in plot_sweep(data, plot_dir):
            if not args.quiet:
                report_console.out(f"wrote {path}", highlight=False)
    return 0


def _cmd_demo(args: argparse.Namespace, console: Console) -> int:
    console.rule("[bold]surge demo, part 1: simulate")
    console.print(
        "SURGE model 6 (UCH-AIMD): 10 gateways write 128 KiB chunks, 3 replicas each, to 10 "
        "servers chosen at random, over 10 Gbit/s links with AIMD rate control and 400 MiB/s "
        "disks. Read the chunk latency tail against its median, and the busy % over time:")
    time = "3ms" if args.quick else "10ms"
    plot_dir = _plot_dir(args.plot) if args.plot else None
    result = run_model("uch-aimd", gateways=10, servers=10, time=time, seed=args.seed)
    _print_report(result, console, "table")
    if plot_dir is not None:
        _write_plots(result, plot_dir, console)
    console.rule("[bold]surge demo, part 2: optimize")
    optimize = _optimize_cli()
    if optimize is None:
        console.print("[yellow]optimizer not available: pip install 'surge\\[optimizer]' (torch)")
        return 0
    optimize.run_demo(console, seed=args.seed, quick=args.quick)
    return 0


def _load_tune_cli() -> Any:
    """The tune/sweep/study subcommands (they need the optimizer, hence torch)."""
    try:
        return importlib.import_module("surge.cli.tune")
    except ImportError:
        return None


def _optimize_cli() -> Any:
    """The optimizer's subcommand module, or None when torch is not installed."""
    try:
        return importlib.import_module("surge.cli.optimize")
    except ImportError:
        return None


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="surge", description="Performance of distributed systems: "
                     "simulate storage clusters, optimize black boxes.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    models = sub.add_parser("models", help="list the models, or one model's parameters")
    models.add_argument("name", nargs="?", help="a model name or alias")

    run = sub.add_parser("run", help="run one model and print its report")
    run.add_argument("model", help="model name or SURGE alias (see `surge models`)")
    run.add_argument("--gateways", type=int, default=10, help="number of gateways (10)")
    run.add_argument("--servers", type=int, default=10, help="number of servers (10)")
    run.add_argument("--time", default="1ms", help="simulated time, e.g. 10ms (1ms)")
    run.add_argument("--seed", type=int, default=1, help="the run's seed (1)")
    run.add_argument("--set", action="append", metavar="NAME=VALUE",
                     help="set a model parameter (repeatable)")
    run.add_argument("--interval", default=None, help="stats interval (time/100)")
    run.add_argument("--json", metavar="FILE", help="write the results document ('-': stdout)")
    run.add_argument("--csv", metavar="FILE", help="write per-node values as CSV")
    run.add_argument("--trace", metavar="FILE", help="write the event trace (CSV)")
    run.add_argument("-v", "--verbose", action="count", default=0,
                     help="trace verbosity: -v, -vv, -vvv")
    run.add_argument("--summary", choices=SUMMARY_CHOICES, default="table",
                     help="report: 'table' (rich tables, the default), 'surge' (SURGE's "
                          "end-of-run text) or 'both'")
    run.add_argument("--plot", metavar="DIR",
                     help="write PNG plots (throughput, busy %%, latency CDFs) into DIR, "
                          "created if needed")
    run.add_argument("--sweep", metavar="NAME=SPEC",
                     help="run once per value of parameter NAME (same seed) and print a "
                          "table of throughput, latency p50/p99/p99.9, disk busy and queue "
                          "depth; SPEC is v1,v2,... or lo..hi (every integer), lo..hi:step, "
                          "lo..hi:xK (lo, lo*K, ... e.g. 1..32:x2 = powers of two); with "
                          "--plot DIR the latency and throughput curves, with --json/--csv "
                          "the sweep's table")
    run.add_argument("-q", "--quiet", action="store_true", help="no report, no progress")

    demo = sub.add_parser("demo", help="the main job: a demo simulation and optimization")
    demo.add_argument("--seed", type=int, default=1, help="seed (1)")
    demo.add_argument("--quick", action="store_true", help="a shorter demo")
    demo.add_argument("--plot", metavar="DIR",
                      help="also write the simulation's PNG plots into DIR (default: "
                           "write nothing)")

    compare.add_parser(sub)
    optimize = _optimize_cli()
    if optimize is not None:
        optimize.add_parser(sub)
        tune_cli = _load_tune_cli()  # tune, sweep, study: they drive the optimizer
        if tune_cli is not None:
            tune_cli.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``surge`` console script; returns the exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    console = Console()
    handlers: dict[str, Any] = {"models": _cmd_models, "run": _cmd_run, "demo": _cmd_demo}
    try:
        if args.command in handlers:
            code: int = handlers[args.command](args, console)
            return code
        if args.command == "compare":
            compared: int = compare.run(args)
            return compared
        if args.command in ("tune", "sweep", "study"):
            tuned: int = _load_tune_cli().run(args)
            return tuned
        result: int = _optimize_cli().run(args)
        return result
    except ConfigError as err:
        print(f"surge {args.command}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as err:
        print(f"surge {args.command}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("surge: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
