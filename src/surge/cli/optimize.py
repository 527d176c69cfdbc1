"""``surge optimize``: the ensemble optimizer on a benchmark problem, from the shell.

::

    surge optimize hartmann6 --networks 10 --budget 800 --seed 1
    surge optimize branin --budget 100 --json result.json
    surge optimize ackley --dim 5 --noise 0.1 --budget 400

A rich progress bar shows the best value so far and, since benchmark problems carry their
optima, the distance of the best point to the nearest optimizer; a final table reports the
result, the regret and the optimizer's own overhead per point. ``--json FILE`` writes the
result and the full history (``-`` for stdout).

This module is the CLI's thin layer: it validates the flags, builds the problem, calls
:func:`surge.optimizer.maximize` or :func:`~surge.optimizer.minimize` and renders. Bad
input ends in one line on stderr naming the problem and the allowed values, exit code 2,
never a traceback. :func:`run_demo` is the short optimization the ``surge demo`` command
shows after its simulation.

Wiring (done by ``surge.cli.main``): ``add_parser(subparsers)`` adds the subcommand,
``run(args)`` executes it and returns the exit code.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from surge.problems import PROBLEMS, SyntheticProblem, make_problem

__all__ = ["add_parser", "run", "run_demo"]

# The optimizer needs torch (the ``optimizer`` extra). Fail at import, cheaply (torch itself
# is imported only when a run starts), so ``surge.cli.main`` can leave the subcommand out.
if importlib.util.find_spec("torch") is None:  # pragma: no cover - torch is installed in CI
    raise ImportError("surge optimize needs torch: pip install 'surge[optimizer]'")

EXIT_OK = 0
EXIT_USAGE = 2
_DEFAULT_NETWORKS = 5
_DEFAULT_BUDGET = 300
_DEMO_BUDGET = 200
_DEMO_QUICK_BUDGET = 80
_DEMO_NETWORKS = 5
_DEMO_QUICK_NETWORKS = 3


class UsageError(ValueError):
    """Bad command-line input: reported as one line, exit code 2."""


def add_parser(subparsers: Any) -> None:
    """Add the ``optimize`` subcommand to an argparse subparsers object.

    Args:
        subparsers: the object returned by ``ArgumentParser.add_subparsers``.
    """
    p = subparsers.add_parser(
        "optimize",
        help="run the ensemble optimizer on a benchmark problem",
        description="Optimize a benchmark problem with the neural-network ensemble.",
    )
    p.add_argument("problem", help=f"one of: {', '.join(sorted(PROBLEMS))}")
    p.add_argument("--networks", type=int, default=_DEFAULT_NETWORKS,
                   help=f"number of networks k ({_DEFAULT_NETWORKS})")
    p.add_argument("--budget", type=int, default=_DEFAULT_BUDGET,
                   help=f"number of evaluations ({_DEFAULT_BUDGET})")
    p.add_argument("--seed", type=int, default=1, help="the run's seed (1)")
    p.add_argument("--dim", type=int, default=None,
                   help="dimension of the scalable problems (ackley, levy, rosenbrock, "
                        "styblinski_tang: 2; michalewicz: 2 or 5)")
    p.add_argument("--noise", type=float, default=0.0,
                   help="std of additive Gaussian noise, objective units (0)")
    p.add_argument("--batch-size", type=int, default=1,
                   help="points asked and evaluated per round (1)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (1: the networks are small, and more threads only "
                        "contend for the cores)")
    p.add_argument("--trainer", choices=("gradient", "nes"), default="gradient",
                   help="how the networks learn: backpropagation or NES (gradient)")
    p.add_argument("--collaboration", choices=("none", "fork-merge"), default="none",
                   help="fork the best network, train it apart, merge it back (none)")
    p.add_argument("--no-coordinate-probes", dest="coordinate_probes", action="store_false",
                   help="never redraw single coordinates of the best point (probes are on "
                        "by default: they find better optima on ridged functions, at some "
                        "precision on smooth ones)")
    p.add_argument("--json", metavar="FILE", help="write the result and history ('-': stdout)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no table")


def _problem(args: argparse.Namespace) -> SyntheticProblem:
    name = str(args.problem).lower().replace("-", "_")
    if name not in PROBLEMS:
        raise UsageError(
            f"unknown problem {args.problem!r}; allowed values: {', '.join(sorted(PROBLEMS))}"
        )
    if not (math.isfinite(args.noise) and args.noise >= 0.0):
        raise UsageError(f"--noise must be a finite number >= 0, got {args.noise!r}")
    try:
        return make_problem(name, dim=args.dim, noise_std=args.noise, seed=args.seed)
    except ValueError as err:
        raise UsageError(f"--dim: {err}") from None


def _check(args: argparse.Namespace, problem: SyntheticProblem) -> None:
    from surge.optimizer import EnsembleOptimizer

    if args.networks < 1:
        raise UsageError(f"--networks must be an integer >= 1, got {args.networks}")
    if args.seed < 0:
        raise UsageError(f"--seed must be an integer >= 0, got {args.seed}")
    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be an integer >= 1, got {args.batch_size}")
    if args.threads < 1:
        raise UsageError(f"--threads must be an integer >= 1, got {args.threads}")
    minimum = EnsembleOptimizer(problem.bounds, n_networks=1).pretrain_min
    if args.budget < minimum:
        raise UsageError(
            f"--budget must be at least the pretraining size, {minimum} for {problem.name} "
            f"({problem.dim} parameters), got {args.budget}"
        )


def _optimize(
    problem: SyntheticProblem,
    *,
    networks: int,
    budget: int,
    seed: int,
    batch_size: int,
    console: Console | None,
    trainer: str = "gradient",
    collaboration: str = "none",
    coordinate_probes: bool = True,
) -> tuple[Any, float]:
    """Run the optimizer with an optional progress bar; return (result, wall seconds)."""
    from surge.optimizer import maximize, minimize

    run_fn = maximize if problem.maximize else minimize
    state = {"best": math.nan, "dist": math.nan}

    def better(a: float, b: float) -> bool:
        return a > b if problem.maximize else a < b

    t0 = time.perf_counter()
    if console is None:
        result = run_fn(problem, problem.bounds, budget=budget, n_networks=networks, seed=seed,
                        noisy=problem.noise_std > 0, batch_size=batch_size,
                        trainer=trainer, collaboration=collaboration,
                        coordinate_probes=coordinate_probes)
        return result, time.perf_counter() - t0
    columns = [
        TextColumn(f"[bold]{problem.name}[/] k={networks}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("best [cyan]{task.fields[best]}[/]"),
        TextColumn("d* [magenta]{task.fields[dist]}[/]"),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("optimize", total=budget, best="-", dist="-")

        def callback(ev: Any, _opt: Any) -> None:
            if ev.ok and (math.isnan(state["best"]) or better(ev.y, state["best"])):
                state["best"] = ev.y
                state["dist"] = problem.distance(ev.x)
            progress.update(task, advance=1, best=f"{state['best']:.6g}",
                            dist=f"{state['dist']:.4g}")

        result = run_fn(problem, problem.bounds, budget=budget, n_networks=networks, seed=seed,
                        noisy=problem.noise_std > 0, batch_size=batch_size, callback=callback,
                        trainer=trainer, collaboration=collaboration,
                        coordinate_probes=coordinate_probes)
    return result, time.perf_counter() - t0


def _summary(problem: SyntheticProblem, result: Any, wall_s: float, networks: int,
             seed: int) -> dict[str, Any]:
    true_y = float(problem.evaluate_true(result.x))
    return {
        "problem": problem.name,
        "dim": problem.dim,
        "sense": problem.sense,
        "networks": networks,
        "seed": seed,
        "budget": result.n_evaluations,
        "failed": result.n_failed,
        "pretrain_size": result.pretrain_size,
        "best_x": [float(v) for v in result.x],
        "best_y": float(result.y),
        "best_y_true": true_y,
        "optimal_value": problem.optimal_value,
        "regret": problem.regret(true_y),
        "distance": problem.distance(result.x),
        "wall_s": wall_s,
        "overhead_per_point_ms": 1e3 * result.overhead_per_point_s,
        "trainer": result.optimizer.trainer,
        "collaboration": result.optimizer.collaboration,
        "collaboration_counts": result.optimizer.stats().collaboration,
        "coordinate_probes": result.optimizer.coordinate_probes,
    }


def _table(summary: dict[str, Any]) -> Table:
    table = Table(title=f"surge optimize {summary['problem']}", show_header=True)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    rows = [
        ("networks k", str(summary["networks"])),
        ("trainer / collaboration", f"{summary['trainer']} / {summary['collaboration']}"),
        ("coordinate probes", "on" if summary["coordinate_probes"] else "off"),
        ("evaluations (failed)", f"{summary['budget']} ({summary['failed']})"),
        ("random pretraining points", str(summary["pretrain_size"])),
        ("best value", f"{summary['best_y']:.6g}"),
        ("known optimum", f"{summary['optimal_value']:.6g} ({summary['sense']})"),
        ("regret", f"{summary['regret']:.3g}"),
        ("distance to the optimizer", f"{summary['distance']:.4g}"),
        ("best point", ", ".join(f"{v:.4g}" for v in summary["best_x"])),
        ("wall time", f"{summary['wall_s']:.2f} s"),
        ("optimizer overhead per point", f"{summary['overhead_per_point_ms']:.1f} ms"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def _write_json(path: str, summary: dict[str, Any], result: Any) -> None:
    doc = dict(summary)
    doc["history"] = [
        {
            "index": e.index,
            "x": [float(v) for v in e.x],
            "y": None if not e.ok else float(e.y),
            "ok": e.ok,
            "error": e.error,
            "started_s": e.started_s,
            "duration_s": e.duration_s,
            "overhead_s": e.overhead_s,
        }
        for e in result.history
    ]
    text = json.dumps(doc, indent=1)
    if path == "-":
        sys.stdout.write(text + "\n")
    else:
        Path(path).write_text(text + "\n", encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    """Execute ``surge optimize``.

    Args:
        args: the parsed arguments of the subcommand.

    Returns:
        The exit code: 0 on success, 2 on bad input (one line on stderr).
    """
    try:
        problem = _problem(args)
        _check(args, problem)
        if args.json and args.json != "-":
            parent = Path(args.json).resolve().parent
            if not parent.is_dir():
                raise UsageError(f"--json {args.json}: directory {parent} does not exist")
    except UsageError as err:
        print(f"surge optimize: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    import torch

    torch.set_num_threads(args.threads)
    quiet = args.quiet or args.json == "-"
    console = None if quiet else Console()
    result, wall_s = _optimize(problem, networks=args.networks, budget=args.budget,
                               seed=args.seed, batch_size=args.batch_size, console=console,
                               trainer=args.trainer, collaboration=args.collaboration,
                               coordinate_probes=args.coordinate_probes)
    summary = _summary(problem, result, wall_s, args.networks, args.seed)
    if console is not None:
        console.print(_table(summary))
    if args.json:
        try:
            _write_json(args.json, summary, result)
        except OSError as err:
            print(f"surge optimize: error: --json {args.json}: {err}", file=sys.stderr)
            return EXIT_USAGE
        if console is not None:
            console.print(f"wrote {args.json}")
    return EXIT_OK


def run_demo(console: Console, *, seed: int = 1, quick: bool = False) -> None:
    """A short optimization demo: Hartmann-6 with a small budget (a few seconds).

    Args:
        console: where to draw the progress bar and the table.
        seed: the run's seed.
        quick: an even shorter run (for CI smoke tests).
    """
    import torch

    torch.set_num_threads(1)  # small networks: more threads only contend for the cores
    problem = make_problem("hartmann6")
    budget = _DEMO_QUICK_BUDGET if quick else _DEMO_BUDGET
    networks = _DEMO_QUICK_NETWORKS if quick else _DEMO_NETWORKS
    console.print(
        f"Maximizing Hartmann-6 (6 parameters, 6 local maxima, maximum "
        f"{problem.optimal_value:.5f}) with {networks} networks and {budget} evaluations."
    )
    result, wall_s = _optimize(problem, networks=networks, budget=budget, seed=seed,
                               batch_size=1, console=console)
    console.print(_table(_summary(problem, result, wall_s, networks, seed)))
