"""The ensemble optimizer against the field: random search, Optuna TPE / GP / CMA-ES, BoTorch.

Runs every method in ``--methods`` on every problem in ``--problems`` for every seed in
``--seeds`` and reports, at every budget in ``--budgets``:

* the **regret** of the *reported* point, in the problem's raw units, evaluated on the
  noise-free function (median and quartiles over seeds);
* the **hit rate**: the fraction of seeds whose reported point is within Euclidean
  distance 0.1 (native units) of a known optimizer;
* the **CPU time per suggestion** (``time.process_time`` around the method's ask + tell,
  the objective excluded), the mean over the last ``max(10, n/10)`` suggestions before n.

The reported point is the best evaluated point; with noise, it is what the method itself
would report: the ensemble's denoised pick (``noisy=True``: ensemble mean plus a kernel
average of the told values), Optuna's ``best_trial`` (best noisy value), BoTorch's best
posterior mean among the evaluated points.

Every method is *anytime* here (nothing depends on the total budget), so ONE run of the
largest budget per (problem, method, seed) yields the whole budget row and the curves.
GP methods are capped (``--gp-cap``, default 300 evaluations; BoTorch ``--botorch-cap``,
default 300): their cost per suggestion grows with n^3 (Optuna GP: ~0.1 s at n = 300 on
these machines, BoTorch 0.5-1.4 s), so their longer budgets are left blank. The cost target
(CPU per suggestion at n = 2,000) is measured by a **cost probe** instead (``--cost-probe
2000``): each method is told ``n`` uniformly random evaluated points and then timed over a
few suggestions -- the same n, the same run, no 2,000-evaluation GP run. Every method in
``--methods`` but BoTorch is probed (Optuna's CMA-ES learns only from trials it generated
itself, so its probe measures little more than its base cost).

Problems are names of ``surge.problems`` with an optional dimension and noise:
``hartmann6``, ``hartmann6@0.1`` (noise sd 0.1), ``ackley:5`` (5-D).

Results are cached per run in ``--cache`` (JSON), so an interrupted study resumes where it
stopped; ``--report-only`` redraws the tables and plots from the cache, and
``--rerun-stale`` re-measures the ensemble's cached runs made by other optimizer code
(each run is stamped with a fingerprint of that code). Outputs:
``docs/optimize/versus.md`` and ``docs/optimize/versus_<problem>.png``.

Peers are a benchmark-only extra: ``pip install 'surge[versus]'`` (BoTorch separately, if
wanted: ``pip install botorch``).

Examples::

    nice -n 10 python benchmarks/versus.py                     # the full study (hours)
    nice -n 10 python benchmarks/versus.py --problems hartmann6,hartmann6@0.1 \\
        --budgets 100,200,300 --seeds 5                        # a reduced study
    python benchmarks/versus.py --report-only
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Literal

import numpy as np

from _cache import add_cache_modes, check_stale, fmt_regret, load_cache, save_cache, stamp
from batch_study import at_round

ROOT = Path(__file__).resolve().parent.parent
BUDGETS = (50, 100, 200, 300, 800, 2300)
METHODS = (
    "ensemble", "ensemble-nets", "ensemble-x3", "ensemble-noprobes",
    "random", "tpe", "gp", "cmaes", "botorch",
)
PROBLEMS = (
    "hartmann6",
    "hartmann6@0.1",
    "hartmann3",
    "branin",
    "ackley:5",
    "levy:5",
    "rosenbrock:4",
    "styblinski_tang:4",
    "michalewicz:5",
)
HIT_DISTANCE = 0.1
PLOT_FLOOR = 1e-7  # regrets below are drawn at the floor (the log axis ends there)
CURVE_EVERY = 10
CPU_WINDOW_MIN = 10
MIN_SEEDS = 10
PROBE_SUGGESTIONS = 5
LABELS = {
    "ensemble": "surge ensemble (k=5)",
    "ensemble-nets": "surge ensemble (k=5, low_sticks=ensemble)",
    "ensemble-x3": "surge ensemble (k=5, exploration=3, low_sticks=ensemble)",
    "ensemble-noprobes": "surge ensemble (k=5, coordinate_probes=False)",
    "random": "random search",
    "tpe": "Optuna TPE (multivariate)",
    "gp": "Optuna GPSampler",
    "cmaes": "Optuna CmaEsSampler",
    "botorch": "BoTorch SingleTaskGP + qLogEI",
}
# Packages each peer needs (checked before any run), and the one GPSampler wants for
# what versus.md measured (batched L-BFGS-B restarts; without it results differ).
REQUIRES = {
    "tpe": ("optuna",),
    "gp": ("optuna",),
    "cmaes": ("optuna", "cmaes"),
    "botorch": ("botorch", "gpytorch"),
}
WANTS = {"gp": ("greenlet",)}


# ---------------------------------------------------------------------------- problems
def parse_problem(spec: str) -> tuple[str, int | None, float]:
    """``"ackley:5@0.1"`` -> ``("ackley", 5, 0.1)``."""
    name, _, noise = spec.partition("@")
    name, _, dim = name.partition(":")
    return name, (int(dim) if dim else None), (float(noise) if noise else 0.0)


def build_problem(spec: str, seed: int) -> Any:
    from surge.problems import make_problem

    name, dim, noise = parse_problem(spec)
    return make_problem(name, dim=dim, noise_std=noise, seed=seed)


# ---------------------------------------------------------------------------- methods
class _Method:
    """ask() -> point (native units); tell(x, y); report() -> the method's best point."""

    def ask(self) -> np.ndarray:
        raise NotImplementedError

    def tell(self, x: np.ndarray, y: float) -> None:
        raise NotImplementedError

    def report(self) -> np.ndarray:
        raise NotImplementedError


class _Ensemble(_Method):
    def __init__(self, problem: Any, seed: int, noisy: bool, **options: Any) -> None:
        """k = 5, one thread; ``options`` go to the optimizer (variants), the rest are
        the library's defaults, so the ``ensemble`` row follows them."""
        from surge.optimizer import EnsembleOptimizer

        self.opt = EnsembleOptimizer(
            problem.bounds, n_networks=5, seed=seed, maximize=problem.maximize, noisy=noisy,
            threads=1, **options,
        )

    def ask(self) -> np.ndarray:
        return np.asarray(self.opt.ask(1)[0])

    def tell(self, x: np.ndarray, y: float) -> None:
        self.opt.tell(x[None, :], np.array([y]))

    def tell_many(self, xs: np.ndarray, ys: np.ndarray) -> None:
        self.opt.tell(xs, ys)

    def report(self) -> np.ndarray:
        return np.asarray(self.opt.best_x_)


class _Optuna(_Method):
    def __init__(self, problem: Any, seed: int, kind: str, noisy: bool) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        samplers: dict[str, Callable[[], Any]] = {
            "random": lambda: optuna.samplers.RandomSampler(seed=seed),
            "tpe": lambda: optuna.samplers.TPESampler(seed=seed, multivariate=True),
            "gp": lambda: optuna.samplers.GPSampler(
                seed=seed, deterministic_objective=not noisy
            ),
            "cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed),
        }
        self.optuna = optuna
        self.names = [f"x{i}" for i in range(problem.dim)]
        self.dists: dict[str, optuna.distributions.BaseDistribution] = {
            n: optuna.distributions.FloatDistribution(lo, hi)
            for n, (lo, hi) in zip(self.names, problem.bounds, strict=True)
        }
        direction: Literal["minimize", "maximize"] = (
            "maximize" if problem.maximize else "minimize"
        )
        self.study = optuna.create_study(direction=direction, sampler=samplers[kind]())
        self.trial: Any = None

    def ask(self) -> np.ndarray:
        self.trial = self.study.ask(self.dists)
        return np.array([self.trial.params[n] for n in self.names])

    def tell(self, x: np.ndarray, y: float) -> None:
        self.study.tell(self.trial, y)

    def tell_many(self, xs: np.ndarray, ys: np.ndarray) -> None:
        trials = [
            self.optuna.trial.create_trial(
                params={n: float(v) for n, v in zip(self.names, x, strict=True)},
                distributions=self.dists,
                value=float(y),
            )
            for x, y in zip(xs, ys, strict=True)
        ]
        self.study.add_trials(trials)

    def report(self) -> np.ndarray:
        best = self.study.best_trial
        return np.array([best.params[n] for n in self.names])


class _BoTorch(_Method):
    """SingleTaskGP (defaults) on the unit cube, standardized outcomes, qLogEI / qLogNEI."""

    def __init__(self, problem: Any, seed: int, noisy: bool) -> None:
        import torch

        self.torch = torch
        self.low = np.array([b[0] for b in problem.bounds])
        self.high = np.array([b[1] for b in problem.bounds])
        self.sign = 1.0 if problem.maximize else -1.0
        self.noisy = noisy
        self.rng = np.random.default_rng(seed)
        self.n_init = 2 * (problem.dim + 1)
        self.X: list[np.ndarray] = []
        self.Y: list[float] = []
        self.model: Any = None
        torch.manual_seed(seed)

    def _fit(self) -> Any:
        from botorch.fit import fit_gpytorch_mll
        from botorch.models import SingleTaskGP
        from botorch.models.transforms import Standardize
        from gpytorch.mlls import ExactMarginalLogLikelihood

        t = self.torch
        x = t.tensor(np.array(self.X), dtype=t.float64)
        y = t.tensor(np.array(self.Y) * self.sign, dtype=t.float64)[:, None]
        model = SingleTaskGP(x, y, outcome_transform=Standardize(m=1))
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        return model

    def ask(self) -> np.ndarray:
        if len(self.X) < self.n_init:
            u = self.rng.random(self.low.size)
        else:
            from botorch.acquisition.logei import (
                qLogExpectedImprovement,
                qLogNoisyExpectedImprovement,
            )
            from botorch.optim import optimize_acqf

            t = self.torch
            self.model = self._fit()
            x = t.tensor(np.array(self.X), dtype=t.float64)
            if self.noisy:
                acq = qLogNoisyExpectedImprovement(self.model, X_baseline=x)
            else:
                best = float(np.max(np.array(self.Y) * self.sign))
                acq = qLogExpectedImprovement(self.model, best_f=best)
            bounds = t.stack([t.zeros(self.low.size), t.ones(self.low.size)]).double()
            cand, _ = optimize_acqf(acq, bounds=bounds, q=1, num_restarts=10, raw_samples=512)
            u = cand.detach().numpy()[0]
        return np.asarray(self.low + np.clip(u, 0.0, 1.0) * (self.high - self.low), dtype=float)

    def tell(self, x: np.ndarray, y: float) -> None:
        self.X.append((x - self.low) / (self.high - self.low))
        self.Y.append(y)

    def tell_many(self, xs: np.ndarray, ys: np.ndarray) -> None:
        for x, y in zip(xs, ys, strict=True):
            self.tell(x, float(y))

    def report(self) -> np.ndarray:
        ys = np.array(self.Y) * self.sign
        i = int(np.argmax(ys))
        if self.noisy and self.model is not None:
            t = self.torch
            with t.no_grad():
                mean = self.model.posterior(t.tensor(np.array(self.X))).mean.numpy()[:, 0]
            i = int(np.argmax(mean[: len(self.X)])) if mean.size == len(self.X) else i
        return np.asarray(self.low + self.X[i] * (self.high - self.low), dtype=float)


def make_method(method: str, problem: Any, seed: int) -> _Method:
    noisy = problem.noise_std > 0.0
    if method == "ensemble":
        return _Ensemble(problem, seed, noisy)
    if method == "ensemble-nets":  # the defaults until 2026-12-03: networks climb every stick
        return _Ensemble(problem, seed, noisy, low_sticks="ensemble", coordinate_probes=False)
    if method == "ensemble-x3":  # those defaults with exploration=3 (a variant, not judged)
        return _Ensemble(
            problem, seed, noisy, exploration=3.0, low_sticks="ensemble", coordinate_probes=False
        )
    if method == "ensemble-noprobes":  # the defaults until 2026-12-04 (a variant, not judged)
        return _Ensemble(problem, seed, noisy, coordinate_probes=False)
    if method == "botorch":
        return _BoTorch(problem, seed, noisy)
    return _Optuna(problem, seed, method, noisy)


def cap(method: str, budget: int, args: argparse.Namespace) -> int:
    """The largest budget a method is run to (GP methods are capped)."""
    if method == "gp":
        return min(budget, int(args.gp_cap))
    if method == "botorch":
        return min(budget, int(args.botorch_cap))
    return budget


# ---------------------------------------------------------------------------- runs
def _init_worker(threads: int) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    import torch

    torch.set_num_threads(threads)


def run_one(spec: str, method: str, seed: int, budget: int, marks: list[int]) -> dict[str, Any]:
    """One run to ``budget``: the reported point's regret and distance along the way."""
    problem = build_problem(spec, seed)
    m = make_method(method, problem, seed)
    cpu: list[float] = []
    curve: dict[int, tuple[float, float]] = {}
    t0 = time.perf_counter()
    for i in range(1, budget + 1):
        c = time.process_time()
        x = m.ask()
        c_ask = time.process_time() - c
        y = problem(x)
        c = time.process_time()
        m.tell(x, y)
        cpu.append(c_ask + time.process_time() - c)
        if i % CURVE_EVERY == 0 or i in marks or i == budget:
            xb = m.report()
            regret = float(problem.regret(float(problem.evaluate_true(xb))))
            dist = float(problem.distance(xb)) if len(problem.optimizers) else math.nan
            curve[i] = (regret, dist)
    cpu_ms = {}
    for n in marks:
        if n <= budget:
            w = max(CPU_WINDOW_MIN, n // 10)
            cpu_ms[n] = 1e3 * float(np.mean(cpu[max(0, n - w) : n]))
    return {
        "problem": spec,
        "method": method,
        "seed": seed,
        "budget": budget,
        "curve": {str(k): v for k, v in curve.items()},
        "cpu_ms": {str(k): v for k, v in cpu_ms.items()},
        "wall_s": time.perf_counter() - t0,
    }


def run_probe(spec: str, method: str, n: int) -> dict[str, Any]:
    """CPU per suggestion after n told uniformly random points (cost target)."""
    problem = build_problem(spec, 0)
    m = make_method(method, problem, 0)
    rng = np.random.default_rng(0)
    low = np.array([b[0] for b in problem.bounds])
    high = np.array([b[1] for b in problem.bounds])
    xs = low + rng.random((n, problem.dim)) * (high - low)
    ys = problem.evaluate_true(xs)
    for lo in range(0, n, 100):  # in chunks: the ensemble trains as in a run
        m.tell_many(xs[lo : lo + 100], ys[lo : lo + 100])  # type: ignore[attr-defined]
    cpu = []
    for _ in range(PROBE_SUGGESTIONS):
        c = time.process_time()
        x = m.ask()
        m.tell(x, problem(x))
        cpu.append(time.process_time() - c)
    return {"problem": spec, "method": method, "n": n, "cpu_ms": 1e3 * float(np.median(cpu))}


def run_key(spec: str, method: str, seed: int) -> str:
    return f"{spec}|{method}|{seed}"


# ---------------------------------------------------------------------------- report
def _quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return float(q1), float(med), float(q3)


def summarize(
    data: dict[str, Any], specs: list[str], methods: list[str], seeds: list[int],
    budgets: list[int],
) -> dict[tuple[str, str, int], dict[str, Any]]:
    """(problem, method, budget) -> n, regret quartiles, hit rate, median CPU ms."""
    cells: dict[tuple[str, str, int], dict[str, Any]] = {}
    for spec in specs:
        for method in methods:
            runs = [data["runs"].get(run_key(spec, method, s)) for s in seeds]
            for b in budgets:
                pts = [r["curve"][str(b)] for r in runs if r and str(b) in r["curve"]]
                if not pts:
                    continue
                regrets = [p[0] for p in pts]
                dists = [p[1] for p in pts]
                cpus = [r["cpu_ms"][str(b)] for r in runs if r and str(b) in r["cpu_ms"]]
                hit = (
                    None if any(math.isnan(d) for d in dists)
                    else sum(d < HIT_DISTANCE for d in dists) / len(dists)
                )
                cells[spec, method, b] = {
                    "n": len(pts),
                    "regret": _quartiles(regrets),
                    "hit": hit,
                    "cpu_ms": float(np.median(cpus)) if cpus else math.nan,
                }
    return cells


def _fmt(x: float) -> str:
    """Regrets in the versus tables: three decimals from 0.001 up (0 as ``0.000``)."""
    return fmt_regret(x, fixed_from=0.001, zero="0.000")


def _targets(
    cells: dict[tuple[str, str, int], dict[str, Any]], probes: dict[str, Any]
) -> list[str]:
    """The issue's targets, each met / not met / not measured, from what is in the cache."""
    out = []

    def cell(spec: str, method: str, b: int) -> dict[str, Any] | None:
        return cells.get((spec, method, b))

    def check(text: str, value: bool | None, detail: str, n: int | None = None) -> None:
        verdict = "not measured" if value is None else ("**met**" if value else "**not met**")
        if value is not None and n is not None and n < MIN_SEEDS:
            verdict += f" (only {n} seeds; the target needs >= {MIN_SEEDS})"
        out.append(f"| {text} | {verdict} | {detail} |")

    out += ["| target | verdict | measured |", "|---|---|---|"]
    c200, c300 = cell("hartmann6", "ensemble", 200), cell("hartmann6", "ensemble", 300)
    check(
        "Hartmann-6: hit rate >= 90% at 200",
        None if c200 is None else c200["hit"] >= 0.9,
        "-" if c200 is None else f"{c200['hit']:.0%}",
        None if c200 is None else c200["n"],
    )
    check(
        "Hartmann-6: hit rate 100% at 300",
        None if c300 is None else c300["hit"] == 1.0,
        "-" if c300 is None else f"{c300['hit']:.0%}",
        None if c300 is None else c300["n"],
    )
    check(
        "Hartmann-6: median regret <= 0.001 at 300",
        None if c300 is None else c300["regret"][1] <= 0.001,
        "-" if c300 is None else _fmt(c300["regret"][1]),
        None if c300 is None else c300["n"],
    )
    cn = cell("hartmann6@0.1", "ensemble", 200)
    check(
        "Hartmann-6 noise 0.1 at 200: hit >= 90%, median regret <= 0.05",
        None if cn is None else (cn["hit"] >= 0.9 and cn["regret"][1] <= 0.05),
        "-" if cn is None else f"hit {cn['hit']:.0%}, regret {cn['regret'][1]:.4f}",
        None if cn is None else cn["n"],
    )
    specs = sorted({k[0] for k in cells} - {"hartmann6", "hartmann6@0.1"})
    for spec in specs:
        for b in (100, 300):
            ours = cell(spec, "ensemble", b)
            peers = [cell(spec, m, b) for m in ("tpe", "cmaes")]
            peer_vals = [p["regret"][1] for p in peers if p is not None]
            ok = None if ours is None or not peer_vals else ours["regret"][1] <= min(peer_vals)
            detail = (
                "-" if ours is None or not peer_vals
                else f"{_fmt(ours['regret'][1])} vs {_fmt(min(peer_vals))}"
            )
            check(
                f"{spec} at {b}: median regret <= min(TPE, CMA-ES)", ok, detail,
                None if ours is None else ours["n"],
            )
    pe = probes.get("hartmann6|ensemble|2000")
    pg = probes.get("hartmann6|gp|2000")
    check(
        "CPU per suggestion at n = 2,000: ensemble <= GP / 10",
        None if pe is None or pg is None else pe["cpu_ms"] * 10 <= pg["cpu_ms"],
        "-" if pe is None or pg is None
        else f"ensemble {pe['cpu_ms']:.1f} ms, GP {pg['cpu_ms']:.1f} ms (cost probe)",
    )
    batch = _batch_target(ROOT / "benchmarks/results/batch_study.json")
    check(
        "Batch q = 8 after 40 rounds: median regret <= q = 1 after 300",
        None if batch is None else batch[0] <= batch[1],
        "-" if batch is None
        else f"{_fmt(batch[0])} vs {_fmt(batch[1])}, hits {batch[2]} vs {batch[3]} "
        "(`benchmarks/batch_study.py`, docs/optimize/batch.md)",
        None if batch is None else batch[4],
    )
    return out


def _batch_target(path: Path) -> tuple[float, float, str, str, int] | None:
    """Hartmann-6 batch target from the batch study's cache: median regret of q = 8 after 40
    rounds, of q = 1 after 300, their hit counts, and the number of seeds (None if absent)."""
    if not path.exists():
        return None
    runs = json.loads(path.read_text())["runs"].values()

    def at(q: int, rounds: int) -> tuple[np.ndarray, np.ndarray] | None:
        return at_round([r for r in runs if r["problem"] == "hartmann6" and r["q"] == q], rounds)

    par, seq = at(8, 40), at(1, 300)
    if par is None or seq is None:
        return None
    hits = [f"{int((d < HIT_DISTANCE).sum())}/{d.size}" for d in (par[1], seq[1])]
    return (float(np.median(par[0])), float(np.median(seq[0])), hits[0], hits[1],
            min(par[0].size, seq[0].size))


def markdown(
    data: dict[str, Any],
    *,
    specs: list[str], methods: list[str], seeds: list[int],
    budgets: list[int], pngs: list[Path], cache: str = "benchmarks/results/versus.json",
    md_dir: Path = ROOT / "docs/optimize",
) -> str:
    cells = summarize(data, specs, methods, seeds, budgets)
    lines = [
        "# The ensemble optimizer against the field",
        "",
        f"Generated by `benchmarks/versus.py` from `{cache}`; do not edit",
        "by hand. Regret is of the *reported* point on the noise-free function, raw units;",
        f"hit = reported point within distance {HIT_DISTANCE} of a known optimizer; CPU =",
        "`process_time` of the method's ask + tell per suggestion (objective excluded), median",
        "over seeds of the mean over the last max(10, n/10) suggestions before n.",
        "",
        f"Seeds: {len(seeds)} ({seeds[0]}..{seeds[-1]}). Budgets: {', '.join(map(str, budgets))}.",
        "GP methods are capped (their cost per suggestion grows as n^3); a budget a method",
        f"was not run to shows `-`. Largest budget run here: {_reach(data, specs, methods)}.",
        "Each cell: hit rate · median regret [25%-75%] (runs). A method may have fewer runs",
        "than the seeds listed (it was run on fewer seeds, for time): the count says so.",
        "",
        "Peers: Optuna's samplers with their defaults (TPE `multivariate=True`; GPSampler",
        "`deterministic_objective` set from the problem's noise), BoTorch `SingleTaskGP`",
        "(defaults, standardized outcomes) with qLogEI (qLogNEI under noise), 2(n+1) random",
        "initial points. Install with `pip install 'surge[versus]' botorch`.",
        "",
        "**Using the ensemble from Optuna.** `surge.integrations.optuna.EnsembleSampler` is an",
        "Optuna sampler (`pip install 'surge[optuna]'`): relative sampling over the study's",
        "float and int parameters (log and stepped too), categorical or dynamic parameters",
        "drawn at random, the ensemble refreshed from every finished trial of the study, so",
        "several processes sharing one storage cooperate:",
        "",
        "```python",
        "from surge.integrations.optuna import EnsembleSampler",
        "study = optuna.create_study(storage='sqlite:///study.db', study_name='s',",
        "                            load_if_exists=True, sampler=EnsembleSampler(seed=0))",
        "study.optimize(objective, n_trials=100)     # in as many processes as you like",
        "```",
        "",
    ]
    for spec in specs:
        name, dim, noise = parse_problem(spec)
        title = name + (f" ({dim}-D)" if dim else "") + (f", noise sd {noise}" if noise else "")
        lines += [f"## {title}", "", "| method | " + " | ".join(map(str, budgets)) + " |"]
        lines.append("|---" * (len(budgets) + 1) + "|")
        for method in methods:
            row = []
            for b in budgets:
                c = cells.get((spec, method, b))
                if c is None:
                    row.append("-")
                    continue
                q1, med, q3 = c["regret"]
                hit = "" if c["hit"] is None else f"{c['hit']:.0%} · "
                row.append(f"{hit}{_fmt(med)} [{_fmt(q1)}-{_fmt(q3)}] ({c['n']})")
            lines.append(f"| {LABELS[method]} | " + " | ".join(row) + " |")
        lines += ["", "CPU ms per suggestion at n:", ""]
        lines += ["| method | " + " | ".join(map(str, budgets)) + " |"]
        lines.append("|---" * (len(budgets) + 1) + "|")
        for method in methods:
            row = [
                f"{cells[spec, method, b]['cpu_ms']:.1f}" if (spec, method, b) in cells else "-"
                for b in budgets
            ]
            lines.append(f"| {LABELS[method]} | " + " | ".join(row) + " |")
        png = next((p for p in pngs if p.stem == f"versus_{_slug(spec)}"), None)
        if png is not None:
            lines += ["", f"![regret vs evaluations, {title}]({os.path.relpath(png, md_dir)})"]
        lines.append("")
    if data["probes"]:
        lines += ["## Cost probe", "", "CPU ms per suggestion after n told random points:", ""]
        lines += ["| problem | method | n | CPU ms |", "|---|---|---|---|"]
        for p in sorted(data["probes"].values(), key=lambda p: (p["problem"], p["method"])):
            lines.append(f"| {p['problem']} | {LABELS[p['method']]} | {p['n']} | "
                         f"{p['cpu_ms']:.1f} |")
        lines.append("")
    lines += ["## Targets of issue 7", "", *_targets(cells, data["probes"]), ""]
    return "\n".join(lines)


def _reach(data: dict[str, Any], specs: list[str], methods: list[str]) -> str:
    """How far each method was run, from the cache: "TPE 2300; GP 300 (hartmann6), 100 (...)"."""
    parts = []
    for method in methods:
        tops: dict[int, list[str]] = {}
        for spec in specs:
            got = [r["budget"] for k, r in data["runs"].items()
                   if k.startswith(f"{spec}|{method}|")]
            if got:
                tops.setdefault(max(got), []).append(spec)
        if len(tops) == 1:
            parts.append(f"{LABELS[method]} {next(iter(tops))}")
        elif tops:
            parts.append(f"{LABELS[method]} " + ", ".join(
                f"{top} ({', '.join(where)})" for top, where in sorted(tops.items(), reverse=True)
            ))
    return "; ".join(parts)


def _slug(spec: str) -> str:
    return spec.replace(":", "_d").replace("@", "_noise").replace(".", "")


def plots(
    data: dict[str, Any], specs: list[str], methods: list[str], seeds: list[int],
    out_dir: Path,
) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    paths = []
    for spec in specs:
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        drawn = False
        for method in methods:
            runs = [data["runs"].get(run_key(spec, method, s)) for s in seeds]
            runs = [r for r in runs if r]
            if not runs:
                continue
            ns = sorted({int(k) for r in runs for k in r["curve"]})
            xs, med, lo, hi = [], [], [], []
            for n in ns:
                vals = [r["curve"][str(n)][0] for r in runs if str(n) in r["curve"]]
                if len(vals) < len(runs):
                    continue
                q1, q2, q3 = _quartiles([max(v, PLOT_FLOOR) for v in vals])
                xs.append(n)
                med.append(q2)
                lo.append(q1)
                hi.append(q3)
            if not xs:
                continue
            (line,) = ax.plot(xs, med, label=LABELS[method])
            ax.fill_between(xs, lo, hi, alpha=0.15, color=line.get_color())
            drawn = True
        if not drawn:
            plt.close(fig)
            continue
        ax.set_yscale("log")
        ax.set_xlabel("evaluations")
        ax.set_ylabel(f"regret of the reported point (median, IQR; floor {PLOT_FLOOR:g})")
        ax.set_title(spec)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = out_dir / f"versus_{_slug(spec)}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


# ---------------------------------------------------------------------------- main
def _shown(path: Path) -> str:
    """``path`` relative to the repository when inside it (as the docs name files)."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--budgets", default=",".join(map(str, BUDGETS)))
    parser.add_argument("--seeds", type=int, default=10, help="number of seeds (0..N-1)")
    parser.add_argument("--gp-cap", type=int, default=300, help="Optuna GP max evaluations")
    parser.add_argument("--botorch-cap", type=int, default=300, help="BoTorch max evaluations")
    parser.add_argument("--cost-probe", type=int, default=0,
                        help="n for the CPU-per-suggestion probe (0: none; 2000 for the target)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--cache", default=str(ROOT / "benchmarks/results/versus.json"))
    parser.add_argument("--out-md", default=str(ROOT / "docs/optimize/versus.md"))
    parser.add_argument("--out-dir", default=str(ROOT / "docs/optimize"))
    add_cache_modes(parser)
    args = parser.parse_args(argv)

    specs = [s for s in args.problems.split(",") if s]
    methods = [m for m in args.methods.split(",") if m]
    for m in methods:
        if m not in METHODS:
            parser.error(f"unknown method {m!r}; allowed: {', '.join(METHODS)}")
    if not args.report_only:
        missing = {m: [p for p in REQUIRES.get(m, ()) if not _importable(p)] for m in methods}
        missing = {m: ps for m, ps in missing.items() if ps}
        if missing:
            parser.error(
                "missing packages for "
                + "; ".join(f"{m}: {', '.join(ps)}" for m, ps in missing.items())
                + ". Install the peers with: pip install -e '.[versus]' (and botorch for "
                "--methods botorch), or leave those methods out of --methods."
            )
        for m in methods:
            for p in WANTS.get(m, ()):
                if not _importable(p):
                    print(f"warning: {m} runs without {p!r}; its results will differ from "
                          f"versus.md's (pip install {p})", file=sys.stderr, flush=True)
    for spec in specs:
        try:
            build_problem(spec, 0)
        except (ValueError, TypeError) as exc:
            parser.error(f"bad problem {spec!r} ({exc}); write name[:dim][@noise_sd], e.g. "
                         "hartmann6, ackley:5, hartmann6@0.1")
    try:
        budgets = sorted(int(b) for b in args.budgets.split(","))
    except ValueError:
        parser.error(f"--budgets must be comma-separated integers, got {args.budgets!r}")
    if not budgets or budgets[0] < 1:
        parser.error("--budgets must be positive")
    seeds = list(range(args.seeds))
    cache = Path(args.cache)
    data = load_cache(cache, {"runs": {}, "probes": {}})
    # Only the ensemble's runs depend on surge's optimizer code.
    check_stale(data["runs"], cache, rerun=args.rerun_stale,
                select=lambda run: str(run["method"]).startswith("ensemble"))

    if not args.report_only:
        jobs: list[tuple[str, tuple[Any, ...]]] = []
        for spec in specs:
            for method in methods:
                top = cap(method, max(budgets), args)
                marks = [b for b in budgets if b <= top]
                for seed in seeds:
                    old = data["runs"].get(run_key(spec, method, seed))
                    if old is None or old["budget"] < top or any(
                        str(b) not in old["curve"] for b in marks
                    ):
                        jobs.append(("run", (spec, method, seed, top, marks)))
        if args.cost_probe:
            # Every method but BoTorch (minutes per suggestion at n = 2,000).
            for method in (m for m in methods if m != "botorch"):
                if f"hartmann6|{method}|{args.cost_probe}" not in data["probes"]:
                    jobs.append(("probe", ("hartmann6", method, args.cost_probe)))
        print(f"{len(jobs)} jobs", flush=True)
        with ProcessPoolExecutor(
            args.workers, initializer=_init_worker, initargs=(args.threads,)
        ) as pool:
            futs = {
                pool.submit(run_one if kind == "run" else run_probe, *a): (kind, a)
                for kind, a in jobs
            }
            for fut in as_completed(futs):
                kind, a = futs[fut]
                try:
                    res = fut.result()
                except Exception as exc:  # one broken peer must not lose the others
                    print(f"FAILED {kind} {a}: {exc!r}", file=sys.stderr, flush=True)
                    continue
                if kind == "run":
                    data["runs"][run_key(res["problem"], res["method"], res["seed"])] = stamp(res)
                    last = res["curve"][str(res["budget"])]
                    print(f"{res['problem']} {res['method']} seed {res['seed']}: "
                          f"regret {last[0]:.4g} ({res['wall_s']:.0f} s)", flush=True)
                else:
                    data["probes"][f"{res['problem']}|{res['method']}|{res['n']}"] = res
                    print(f"probe {res['method']} n={res['n']}: {res['cpu_ms']:.1f} ms",
                          flush=True)
                save_cache(cache, data)

    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pngs = plots(data, specs, methods, seeds, out_dir)
    Path(args.out_md).write_text(
        markdown(
            data, specs=specs, methods=methods, seeds=seeds, budgets=budgets,
            pngs=pngs, cache=_shown(cache), md_dir=Path(args.out_md).resolve().parent,
        ), encoding="utf-8"
    )
    print(f"wrote {args.out_md} and {len(pngs)} plots", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
