"""``surge tune``, ``surge sweep`` and ``surge study show``: thin wrappers of surge.tuning.

    surge tune 6 --time 2ms --param aimd_divisor=2:8:int --param ding_overlaps=1:6:int \\
        --objective "maximize throughput subject to chunk_latency.p99 <= 2ms" \\
        --budget 40 --study aimd.db [--resume] [--workers 2 | --scheduler tcp://HOST:PORT]
    surge sweep 6 --time 1ms --grid aimd_divisor=2,4,8 --grid ding_overlaps=1..4 --study g.db
    surge study show aimd.db [--top 10] [--plot DIR]
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from surge.config.params import ConfigError
from surge.tuning import ModelSystem, Study, parse_objective, sweep, tune
from surge.tuning.driver import make_space, model_unit_of, random_design

__all__ = ["add_parsers", "run"]

_TOP = 10


def _add_system_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="model name or SURGE alias (see `surge models`)")
    p.add_argument("--gateways", type=int, default=10, help="number of gateways (10)")
    p.add_argument("--servers", type=int, default=10, help="number of servers (10)")
    p.add_argument("--time", default="1ms", help="simulated time per run (1ms)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="hold a model parameter fixed (repeatable)")
    p.add_argument("--seed", type=int, default=1, help="simulation seed of every point (1)")
    p.add_argument("--repeats", type=int, default=1, help="seeds per point, averaged (1)")
    p.add_argument("--workers", type=int, default=1, help="local worker processes (1)")
    p.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--study", help="SQLite study file journaling every evaluation")
    p.add_argument("--resume", action="store_true", help="continue the study file")
    p.add_argument("--timeout", type=float, help="wall-clock seconds per evaluation")


def add_parsers(sub: Any) -> None:
    """Add the ``tune``, ``sweep`` and ``study`` subcommands."""
    t = sub.add_parser("tune", help="optimize a model's parameters with the ensemble optimizer")
    _add_system_args(t)
    t.add_argument("--param", action="append", required=True, metavar="NAME=LOW:HIGH[:int][:log]",
                   help="a tuned parameter and its range (repeatable)")
    t.add_argument("--objective", required=True,
                   help="e.g. 'maximize throughput subject to chunk_latency.p99 <= 2ms'")
    t.add_argument("--budget", type=int, required=True, help="evaluations in all")
    t.add_argument("--networks", type=int, default=5, help="ensemble size k (5)")
    t.add_argument("--no-baseline", action="store_true",
                   help="do not evaluate the model's default values first")
    t.add_argument("--plot", metavar="DIR", help="write the convergence plot into DIR")

    s = sub.add_parser("sweep", help="run a model over a grid of parameter values")
    _add_system_args(s)
    s.add_argument("--grid", action="append", metavar="NAME=V1,V2,...",
                   help="values of one parameter: a list, or LO..HI for integers (repeatable)")
    s.add_argument("--param", action="append", metavar="NAME=LOW:HIGH[:int][:log]",
                   help="with --random: a parameter's range (repeatable)")
    s.add_argument("--random", type=int, metavar="N",
                   help="a random design of N points over the --param ranges, instead of a "
                        "grid")
    s.add_argument("--metric", action="append", metavar="QUANTITY",
                   help="columns of the table, e.g. throughput, chunk_latency.p99")
    s.add_argument("--plot", metavar="DIR", help="write metric-vs-parameter plots into DIR")

    st = sub.add_parser("study", help="inspect a study file")
    st_sub = st.add_subparsers(dest="study_command", metavar="ACTION")
    st_sub.required = True
    show = st_sub.add_parser("show", help="best points and convergence of a study")
    show.add_argument("path", help="the study file")
    show.add_argument("--top", type=int, default=_TOP, help=f"rows to show ({_TOP})")
    show.add_argument("--plot", metavar="DIR", help="write the convergence plot into DIR")


def _fixed(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--set takes name=value, got {item!r}")
        out[name.strip()] = value.strip()
    return out


def _system(args: argparse.Namespace) -> ModelSystem:
    from surge.models import get_model

    info = get_model(args.model)
    return ModelSystem(info.name, args.gateways, args.servers, args.time, _fixed(args.set))


def _progress(console: Console, label: str) -> Progress:
    return Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[best]}"), TimeElapsedColumn(),
                    console=console, transient=True, disable=not console.is_terminal)


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.6g}"


def _trials_table(title: str, trials: list[Any], names: list[str], *, maximize: bool,
                  top: int) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("trial", "status", *names, "objective", "feasible"):
        table.add_column(col, justify="right")
    ok = [t for t in trials if t.value is not None]
    ok.sort(key=lambda t: (not t.feasible, -(t.value or 0.0) if maximize else (t.value or 0.0)))
    for t in ok[:top]:
        table.add_row(str(t.id), t.status, *(str(t.params.get(n)) for n in names),
                      _fmt(t.value), "yes" if t.feasible else "no")
    return table


def _cmd_tune(args: argparse.Namespace, console: Console) -> int:
    system = _system(args)
    parse_objective(args.objective)  # fail fast on a bad expression
    model_unit_of(system)  # fail fast on an unknown model
    err_console = Console(stderr=True)
    with _progress(err_console, f"tune {system.model}") as bar:
        task = bar.add_task("tune", total=args.budget, best="")

        def progress(done: int, total: int, best: float) -> None:
            bar.update(task, completed=done, best=f"best {_fmt(best)}")

        result = tune(system, args.param, args.objective, args.budget, seed=args.seed,
                      repeats=args.repeats, n_networks=args.networks, workers=args.workers,
                      scheduler=args.scheduler, study=args.study, resume=args.resume,
                      timeout_s=args.timeout, baseline=not args.no_baseline,
                      progress=progress)
    names = [p.partition("=")[0].strip() for p in args.param]
    maximize = result.objective.maximize
    console.print(_trials_table(f"{result.objective}: best of {len(result.trials)} "
                                "evaluations", result.trials, names, maximize=maximize,
                                top=_TOP))
    base = result.trials[0] if result.trials and not args.no_baseline and not args.resume \
        else None
    if result.best_trial is None:
        failed = [t for t in result.trials if t.error]
        reason = f": {failed[0].error}" if failed else ""
        raise ConfigError(f"no evaluation succeeded in {len(result.trials)}{reason}")
    line = f"best: {result.best_params} -> {_fmt(result.best_value)}"
    if base is not None and base.value is not None:
        line += f" (baseline {base.params} -> {_fmt(base.value)})"
    console.print(line)
    if args.study:
        console.print(f"study journaled in {args.study} (`surge study show {args.study}`)")
    if args.plot:
        from surge.reports.tuning import plot_convergence

        out = plot_convergence([t.value for t in result.trials], maximize=maximize,
                               title=f"{system.model}: {result.objective}",
                               path=Path(args.plot) / f"{system.model}-tune-convergence.png",
                               baseline=None if base is None else base.value,
                               feasible=[t.feasible for t in result.trials])
        console.print(f"wrote {out}")
    return 0


def _grid(items: list[str]) -> dict[str, list[Any]]:
    grid: dict[str, list[Any]] = {}
    for item in items:
        name, sep, spec = item.partition("=")
        if not sep or not name.strip() or not spec.strip():
            raise ConfigError(f"--grid takes name=v1,v2,... or name=lo..hi, got {item!r}")
        spec = spec.strip()
        if ".." in spec and "," not in spec:
            lo, _, hi = spec.partition("..")
            try:
                values: list[Any] = list(range(int(lo), int(hi) + 1))
            except ValueError:
                raise ConfigError(f"--grid {item!r}: lo..hi needs integers") from None
        else:
            values = [v.strip() for v in spec.split(",") if v.strip()]
        grid[name.strip()] = values
    return grid


def _cmd_sweep(args: argparse.Namespace, console: Console) -> int:
    system = _system(args)
    unit_of = model_unit_of(system)
    points: list[dict[str, Any]] | None = None
    if args.random is not None:
        if args.grid or not args.param:
            raise ConfigError("--random N takes --param ranges, not --grid values")
        space = make_space(args.param, system)
        points = random_design(space, args.random, args.seed)
        grid: dict[str, list[Any]] = {name: [] for name in space.names}
        total = len(points)
    else:
        if not args.grid:
            raise ConfigError("sweep needs --grid name=v1,v2,... (or --random N with --param)")
        grid = _grid(args.grid)
        for name in grid:
            unit_of(name)  # unknown parameter: one line, before any run
        total = math.prod(len(v) for v in grid.values())
    err_console = Console(stderr=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.study or str(Path(tmp) / "sweep.db")  # the table reads the documents
        with _progress(err_console, f"sweep {system.model}") as bar:
            task = bar.add_task("sweep", total=total, best="")
            result = sweep(system, None if points else grid, points=points, seed=args.seed,
                           repeats=args.repeats, workers=args.workers,
                           scheduler=args.scheduler, study=path, resume=args.resume,
                           timeout_s=args.timeout,
                           progress=lambda d, n, b: bar.update(task, completed=d))
        study = Study(result.study_path)
        try:
            return _sweep_report(args, console, system=system, grid=grid, points=points,
                                 result=result, study=study, total=total)
        finally:
            study.close()


def _sweep_report(args: argparse.Namespace, console: Console, *, system: ModelSystem,
                  grid: dict[str, list[Any]], points: list[dict[str, Any]] | None,
                  result: Any, study: Study, total: int) -> int:
    from surge.tuning.objective import Quantity, parse_quantity

    quantities = [parse_quantity(m) for m in (args.metric or [])]
    rows = [(t, study.documents(t.id)) for t in result.trials]
    if not quantities and rows and rows[0][1]:
        metrics = rows[0][1][0]["metrics"]
        wanted = [m for m in ("throughput", "chunk_latency") if m in metrics]
        quantities = [Quantity("throughput")] if "throughput" in wanted else []
        if "chunk_latency" in wanted:
            quantities += [Quantity("chunk_latency", "p50"), Quantity("chunk_latency", "p99")]
        if not quantities:
            quantities = [Quantity(m) for m in list(metrics)[:3]]
    table = Table(title=f"sweep of {system.model}: {total} points", title_justify="left")
    for col in ("trial", *grid, *(str(q) for q in quantities), "status"):
        table.add_column(col, justify="right")
    columns: dict[str, list[float | None]] = {str(q): [] for q in quantities}
    for t, docs in rows:
        values = []
        for q in quantities:
            vals = [q.read(d) for d in docs] if docs else []
            v = sum(vals) / len(vals) if vals else None
            columns[str(q)].append(v)
            values.append(_fmt(v))
        table.add_row(str(t.id), *(str(t.params.get(n)) for n in grid), *values, t.status)
    console.print(table)
    if args.study:
        console.print(f"study journaled in {args.study}")
    if args.plot and len(grid) == 1 and rows and points is None:
        from surge.reports.tuning import plot_grid

        name = next(iter(grid))
        xs = [float(t.params[name]) for t, _ in rows]
        order = sorted(range(len(xs)), key=xs.__getitem__)
        out = plot_grid(name, [xs[i] for i in order],
                        {k: [v[i] for i in order] for k, v in columns.items()},
                        title=f"{system.model}: sweep of {name}",
                        path=Path(args.plot) / f"{system.model}-sweep-{name}.png")
        console.print(f"wrote {out}")
    return 0


def _cmd_study(args: argparse.Namespace, console: Console) -> int:
    path = Path(args.path)
    if not path.exists():
        raise ConfigError(f"no study file {str(path)!r}")
    study = Study(path)
    try:
        meta = study.meta
        trials = study.trials()
        finished = [t for t in trials if t.done]
        console.print(f"{path}: {meta.get('kind', '?')} of {meta.get('system', {})}, "
                      f"{len(finished)} finished of {len(trials)} trials")
        if "objective" not in meta:
            names = list(meta.get("grid", {}))
            table = _trials_table("trials", finished, names, maximize=True, top=args.top)
            console.print(table)
            return 0
        objective = parse_objective(meta["objective"])
        names = [s.partition("=")[0] for s in meta.get("space", [])]
        console.print(_trials_table(f"{objective}: best points", finished, names,
                                    maximize=objective.maximize, top=args.top))
        if args.plot:
            from surge.reports.tuning import plot_convergence

            out = plot_convergence([t.value for t in finished], maximize=objective.maximize,
                                   title=f"{path.name}: {objective}",
                                   path=Path(args.plot) / f"{path.stem}-convergence.png",
                                   feasible=[t.feasible for t in finished])
            console.print(f"wrote {out}")
    finally:
        study.close()
    return 0


def run(args: argparse.Namespace) -> int:
    """Dispatch ``tune``, ``sweep`` or ``study``; returns the exit code."""
    console = Console()
    handlers = {"tune": _cmd_tune, "sweep": _cmd_sweep, "study": _cmd_study}
    return handlers[args.command](args, console)
