"""NES vs gradient-trained ensembles, with and without fork/merge (issue 9).

Four optimizer configurations, side by side on the same problems and seeds:

=============  ======================================================
gradient       the default (backpropagation, members share samples)
gradient+fm    ``collaboration="fork-merge"``
nes            ``trainer="nes"``
nes+fm         ``trainer="nes", collaboration="fork-merge"``
=============  ======================================================

The optimizer is anytime (nothing depends on the budget), so ONE run per (problem,
configuration, seed) to the largest budget gives every smaller budget: the best-so-far
regret (raw units, >= 0) and distance to the nearest optimizer are recorded every 50
evaluations and at each budget. "hit" = distance < 0.1. CPU time is the process time of
the run (optimizer plus the cheap synthetic function), per evaluation.

Problems are ``name[:dim][@budget]`` (for example ``ackley:5@300``): a problem's own
budget caps its runs (the 2,300-evaluation NES runs take minutes each on one core).
Results are cached per run in ``--cache`` (interrupted studies resume; a run is redone
only when a larger budget is asked, or with ``--rerun-stale`` when it was made by other
optimizer code); ``--report-only`` redraws from the cache. The table
is written between the markers ``<!-- nes-study:begin -->`` / ``<!-- nes-study:end -->``
of ``--out-md`` (``docs/optimize/nes.md``), the curves to ``docs/optimize/nes_*.png``.

Examples::

    nice -n 10 python benchmarks/nes_study.py                     # the full study
    python benchmarks/nes_study.py --problems branin@100 --seeds 2   # a smoke run
    python benchmarks/nes_study.py --report-only
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from _cache import add_cache_modes, check_stale, fmt_regret, load_cache, save_cache, stamp

ROOT = Path(__file__).resolve().parent.parent


class Config(TypedDict, total=False):
    """The EnsembleOptimizer options that make a configuration (the rest are defaults)."""

    trainer: str
    collaboration: str


CONFIGS: dict[str, Config] = {
    "gradient": {},
    "gradient+fm": {"collaboration": "fork-merge"},
    "nes": {"trainer": "nes"},
    "nes+fm": {"trainer": "nes", "collaboration": "fork-merge"},
}
BUDGETS = (300, 800, 2300)
DEFAULT_PROBLEMS = (
    "hartmann6@2300,hartmann3@2300,branin@2300,ackley:5@2300,levy:4@2300,"
    "rosenbrock:4@2300,styblinski_tang:4@2300,michalewicz:5@2300"
)
CURVE_EVERY = 50
HIT = 0.1
MARK_BEGIN = "<!-- nes-study:begin -->"
MARK_END = "<!-- nes-study:end -->"


def parse_problem(spec: str) -> tuple[str, int | None, int]:
    """``name[:dim][@budget]`` -> (name, dim, budget)."""
    body, _, budget = spec.partition("@")
    name, _, dim = body.partition(":")
    return name, (int(dim) if dim else None), (int(budget) if budget else max(BUDGETS))


def columns(cap: int) -> list[int]:
    """The budgets reported for a problem run to ``cap`` evaluations (the issue's 300, 800,
    2,300, and the early 100 and 200 where the configurations still differ)."""
    return [b for b in (100, 200, *BUDGETS) if b < cap] + [cap]


def label(spec: str) -> str:
    """The problem part of a spec (no budget)."""
    return spec.partition("@")[0]


def run_one(spec: str, config: str, seed: int, budget: int) -> dict[str, Any]:
    """One run; best-so-far regret and distance along the way, CPU time, counters."""
    import torch

    torch.set_num_threads(1)
    from surge.optimizer import EnsembleOptimizer
    from surge.problems import make_problem

    name, dim, _ = parse_problem(spec)
    problem = make_problem(name, dim=dim)
    opt = EnsembleOptimizer(problem.bounds, n_networks=5, seed=seed,
                            maximize=problem.maximize, **CONFIGS[config])
    best_regret, best_x = np.inf, None
    curve: dict[str, list[float]] = {}
    cpu: dict[str, float] = {}
    c0 = time.process_time()
    for i in range(1, budget + 1):
        x = opt.ask(1)[0]
        y = problem(x)
        opt.tell(x[None, :], [y])
        r = problem.regret(y)
        if r < best_regret:
            best_regret, best_x = r, x
        if i % CURVE_EVERY == 0 or i in BUDGETS or i == budget:
            assert best_x is not None
            curve[str(i)] = [float(max(best_regret, 0.0)), problem.distance(best_x)]
            cpu[str(i)] = time.process_time() - c0
    return {
        "spec": label(spec),
        "config": config,
        "seed": seed,
        "budget": budget,
        "curve": curve,
        "cpu_s": cpu,
        "collaboration": opt.stats().collaboration,
    }


def key(spec: str, config: str, seed: int) -> str:
    """The cache key of one run."""
    return f"{label(spec)}|{config}|{seed}"


def _runs_for(data: dict[str, Any], spec: str, config: str, budget: int) -> list[dict[str, Any]]:
    return [r for r in data["runs"].values()
            if r["spec"] == label(spec) and r["config"] == config and r["budget"] >= budget]


def markdown(data: dict[str, Any], specs: list[str], configs: list[str]) -> str:
    """The study's table: one block of rows per problem, one column per budget."""
    lines = []
    for spec in specs:
        _, _, cap = parse_problem(spec)
        budgets = columns(cap)
        head = " | ".join(f"budget {b}" for b in budgets)
        lines += [f"**{label(spec)}**", "", f"| configuration | {head} | CPU ms / eval |",
                  "|---|" + "---|" * (len(budgets) + 1)]
        for config in configs:
            cells = []
            cpu_ms = float("nan")
            for b in budgets:
                runs = _runs_for(data, spec, config, b)
                if not runs:
                    cells.append("-")
                    continue
                reg = np.array([r["curve"][str(b)][0] for r in runs])
                dist = np.array([r["curve"][str(b)][1] for r in runs])
                q1, med, q3 = np.percentile(reg, [25, 50, 75])
                hits = int((dist < HIT).sum())
                cells.append(f"{fmt_regret(med)} [{fmt_regret(q1)}, {fmt_regret(q3)}] · "
                             f"{hits}/{len(runs)}")
                cpu_ms = 1e3 * float(np.median([r["cpu_s"][str(b)] / b for r in runs]))
            lines.append(f"| {config} | " + " | ".join(cells) + f" | {cpu_ms:.0f} |")
        lines.append("")
    lines.append("Cell: median regret [q1, q3] · runs with the best point within 0.1 of an "
                 "optimizer / runs. CPU: median process time per evaluation over the "
                 "largest budget shown.")
    return "\n".join(lines)


def plots(data: dict[str, Any], specs: list[str], configs: list[str], out: Path) -> Path:
    """Median best-so-far regret (quartile bands) vs evaluations, one panel per problem."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(4, len(specs))
    rows = (len(specs) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    for ax, spec in zip(axes.flat, specs, strict=False):
        _, _, cap = parse_problem(spec)
        for config in configs:
            runs = _runs_for(data, spec, config, columns(cap)[0])
            if not runs:
                continue
            top = min(r["budget"] for r in runs)
            ns = [n for n in sorted({int(n) for r in runs for n in r["curve"]})
                  if n <= min(top, cap) and all(str(n) in r["curve"] for r in runs)]
            reg = np.array([[r["curve"][str(n)][0] for n in ns] for r in runs])
            reg = np.maximum(reg, 1e-9)
            q1, med, q3 = np.percentile(reg, [25, 50, 75], axis=0)
            ax.plot(ns, med, label=config)
            ax.fill_between(ns, q1, q3, alpha=0.15)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(label(spec))
        ax.set_xlabel("evaluations")
        ax.set_ylabel("regret (median, IQR; floor 1e-9)")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(specs):]:
        ax.axis("off")
    if axes.flat[0].get_legend_handles_labels()[0]:
        axes.flat[0].legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def write_table(md_path: Path, table: str, command: str) -> None:
    """Replace the block between the study markers of ``md_path`` (or append one)."""
    block = f"{MARK_BEGIN}\n<!-- generated by: {command} -->\n\n{table}\n\n{MARK_END}"
    text = md_path.read_text() if md_path.exists() else "# NES study\n\n"
    if MARK_BEGIN in text and MARK_END in text:
        head, _, rest = text.partition(MARK_BEGIN)
        _, _, tail = rest.partition(MARK_END)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    md_path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", default=DEFAULT_PROBLEMS,
                        help="comma-separated name[:dim][@budget]")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--seeds", type=int, default=11, help="seeds 1..N")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", default=str(ROOT / "benchmarks/results/nes_study.json"))
    parser.add_argument("--out-md", default=str(ROOT / "docs/optimize/nes.md"))
    parser.add_argument("--out-png", default=str(ROOT / "docs/optimize/nes_regret.png"))
    add_cache_modes(parser)
    args = parser.parse_args(argv)
    specs = [s for s in args.problems.split(",") if s]
    configs = [c for c in args.configs.split(",") if c]
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        parser.error(f"unknown configuration(s) {unknown}; allowed: {', '.join(CONFIGS)}")
    cache = Path(args.cache)
    data = load_cache(cache)
    check_stale(data["runs"], cache, rerun=args.rerun_stale)
    todo = []
    for spec in specs:
        _, _, budget = parse_problem(spec)
        for config in configs:
            for seed in range(1, args.seeds + 1):
                run = data["runs"].get(key(spec, config, seed))
                if run is None or run["budget"] < budget:
                    todo.append((spec, config, seed, budget))
    # Problems in the order given (the first is complete first), and within a problem
    # the longest runs (NES) first, so that two workers finish together.
    todo.sort(key=lambda t: (specs.index(t[0]), t[1].startswith("gradient"), t[2]))
    if not args.report_only and todo:
        print(f"{len(todo)} runs to do ({len(data['runs'])} cached)", flush=True)
        t0 = time.perf_counter()
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            futures = {pool.submit(run_one, *job): job for job in todo}
            for n, fut in enumerate(as_completed(futures), 1):
                spec, config, seed, budget = futures[fut]
                res = fut.result()
                data["runs"][key(spec, config, seed)] = stamp(res)
                save_cache(cache, data)
                last = res["curve"][str(budget)]
                print(f"[{n}/{len(todo)} {time.perf_counter() - t0:.0f}s] {label(spec)} "
                      f"{config} seed={seed} regret@{budget}={last[0]:.3g} "
                      f"cpu={res['cpu_s'][str(budget)]:.0f}s", flush=True)
    table = markdown(data, specs, configs)
    print(table)
    command = "python benchmarks/nes_study.py " + " ".join(argv if argv is not None
                                                           else sys.argv[1:])
    write_table(Path(args.out_md), table, command.strip())
    print(f"wrote {plots(data, specs, configs, Path(args.out_png))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
