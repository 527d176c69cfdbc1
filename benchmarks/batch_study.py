"""Batch-parallel evaluation: regret against evaluation rounds for q = 1, 4, 8 (issue 7).

Each round the ensemble optimizer is asked for q points at once (``ask(q)``: distinct,
never a told or in-flight point; each slot is a different stick climbed by the networks
or a local trust-region proposal), the q points are evaluated "in parallel" and told
together. What matters with a cluster of q workers is the regret after a number of
*rounds* (wall time), not of evaluations. Every run makes ``--evaluations`` evaluations
(rounds = evaluations / q) on the noise-free problem; the best evaluated point's regret
(raw units) and its distance to the nearest optimizer ("hit" < 0.1) are recorded after
every round.

The issue's target: with q = 8, the regret after 40 rounds (320 evaluations) is at least
as good as sequential q = 1 after 300 evaluations (medians over the seeds).

Results are cached per run (``--cache``); ``--report-only`` redraws; ``--rerun-stale``
re-measures cached runs made by other optimizer code. Outputs:
``docs/optimize/batch.md`` and ``docs/optimize/batch_<problem>.png``.

Examples::

    nice -n 10 python benchmarks/batch_study.py                 # hartmann6, 10 seeds
    python benchmarks/batch_study.py --problems branin --seeds 2 --evaluations 64
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

from _cache import add_cache_modes, check_stale, fmt_regret, load_cache, save_cache, stamp

ROOT = Path(__file__).resolve().parent.parent
QS = (1, 4, 8)
HIT = 0.1
REPORT_ROUNDS = (10, 20, 40, 80, 160, 300)


def run_one(problem_name: str, q: int, seed: int, evaluations: int) -> dict[str, Any]:
    """One run of ``evaluations // q`` rounds of q points; best regret after each round."""
    import torch

    torch.set_num_threads(1)
    from surge.optimizer import EnsembleOptimizer
    from surge.problems import make_problem

    name, _, dim = problem_name.partition(":")
    problem = make_problem(name, dim=int(dim) if dim else None)
    opt = EnsembleOptimizer(problem.bounds, n_networks=5, seed=seed,
                            maximize=problem.maximize)
    best_regret, best_x = np.inf, None
    rounds: list[list[float]] = []  # per round: [evaluations, regret, distance]
    c0 = time.process_time()
    done = 0
    while done + q <= evaluations:
        xs = opt.ask(q)
        ys = np.array([problem(x) for x in xs])
        opt.tell(xs, ys)
        done += q
        for x, y in zip(xs, ys, strict=True):
            r = problem.regret(float(y))
            if r < best_regret:
                best_regret, best_x = r, x
        assert best_x is not None
        rounds.append([done, float(max(best_regret, 0.0)), problem.distance(best_x)])
    return {"problem": problem_name, "q": q, "seed": seed, "evaluations": done,
            "rounds": rounds, "cpu_s": time.process_time() - c0}


def at_round(runs: list[dict[str, Any]], round_no: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Regrets and distances of every run after ``round_no`` rounds (None if too short)."""
    if not runs or any(len(r["rounds"]) < round_no for r in runs):
        return None
    reg = np.array([r["rounds"][round_no - 1][1] for r in runs])
    dist = np.array([r["rounds"][round_no - 1][2] for r in runs])
    return reg, dist


def markdown(data: dict[str, Any], problem: str, qs: list[int]) -> str:
    """Table of median regret [q1, q3] and hits after a number of rounds, per q."""
    runs = {q: [r for r in data["runs"].values() if r["problem"] == problem and r["q"] == q]
            for q in qs}
    head = " | ".join(f"{n} rounds" for n in REPORT_ROUNDS)
    lines = [f"**{problem}**", "", f"| q | {head} |", "|---|" + "---|" * len(REPORT_ROUNDS)]
    for q in qs:
        cells = []
        for n in REPORT_ROUNDS:
            got = at_round(runs[q], n)
            if got is None:
                cells.append("-")
                continue
            reg, dist = got
            q1, med, q3 = np.percentile(reg, [25, 50, 75])
            cells.append(f"{fmt_regret(med)} [{fmt_regret(q1)}, {fmt_regret(q3)}] · "
                         f"{int((dist < HIT).sum())}/{len(reg)}")
        lines.append(f"| {q} | " + " | ".join(cells) + " |")
    lines.append("")
    seq = at_round(runs.get(1, []), 300)
    par = at_round(runs.get(8, []), 40)
    if seq is not None and par is not None:
        ok = float(np.median(par[0])) <= float(np.median(seq[0]))
        lines.append(
            f"Target (q = 8 after 40 rounds no worse than q = 1 after 300): median regret "
            f"{fmt_regret(float(np.median(par[0])))} vs "
            f"{fmt_regret(float(np.median(seq[0])))}, hits "
            f"{int((par[1] < HIT).sum())}/{len(par[1])} vs {int((seq[1] < HIT).sum())}/"
            f"{len(seq[1])}: **{'met' if ok else 'not met'}**."
        )
    return "\n".join(lines)


def plot(data: dict[str, Any], problem: str, qs: list[int], out: Path) -> Path:
    """Median best regret (quartile band) against rounds, one line per q."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for q in qs:
        runs = [r for r in data["runs"].values() if r["problem"] == problem and r["q"] == q]
        if not runs:
            continue
        n = min(len(r["rounds"]) for r in runs)
        reg = np.maximum(np.array([[row[1] for row in r["rounds"][:n]] for r in runs]), 1e-9)
        q1, med, q3 = np.percentile(reg, [25, 50, 75], axis=0)
        xs = np.arange(1, n + 1)
        ax.plot(xs, med, label=f"q = {q}")
        ax.fill_between(xs, q1, q3, alpha=0.15)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("evaluation rounds")
    ax.set_ylabel("best regret (median, IQR)")
    ax.set_title(f"{problem}: batch-parallel ask(q)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", default="hartmann6", help="comma-separated name[:dim]")
    parser.add_argument("--qs", default=",".join(map(str, QS)))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--evaluations", type=int, default=320)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", default=str(ROOT / "benchmarks/results/batch_study.json"))
    parser.add_argument("--out-dir", default=str(ROOT / "docs/optimize"))
    add_cache_modes(parser)
    args = parser.parse_args(argv)
    problems = [p for p in args.problems.split(",") if p]
    qs = [int(v) for v in args.qs.split(",")]
    if any(q < 1 for q in qs):
        parser.error("--qs must be positive integers")
    cache = Path(args.cache)
    data = load_cache(cache)
    check_stale(data["runs"], cache, rerun=args.rerun_stale)
    todo = [(p, q, s) for p in problems for q in qs for s in range(1, args.seeds + 1)
            if data["runs"].get(f"{p}|{q}|{s}", {}).get("evaluations", 0)
            < args.evaluations // q * q]
    if not args.report_only and todo:
        print(f"{len(todo)} runs to do", flush=True)
        t0 = time.perf_counter()
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            futures = {pool.submit(run_one, p, q, s, args.evaluations): (p, q, s)
                       for p, q, s in todo}
            for n, fut in enumerate(as_completed(futures), 1):
                p, q, s = futures[fut]
                res = fut.result()
                data["runs"][f"{p}|{q}|{s}"] = stamp(res)
                save_cache(cache, data)
                print(f"[{n}/{len(todo)} {time.perf_counter() - t0:.0f}s] {p} q={q} seed={s} "
                      f"regret={res['rounds'][-1][1]:.3g}", flush=True)
    out_dir = Path(args.out_dir)
    parts = ["# Batch-parallel evaluation: regret against rounds (generated by "
             "benchmarks/batch_study.py)", "",
             "Cell: median best regret [q1, q3] · runs within 0.1 of the optimizer / runs, "
             "after the given number of evaluation rounds (q evaluations per round; k = 5 "
             "networks, noise-free).", ""]
    for p in problems:
        parts += [markdown(data, p, qs), "",
                  f"![{p}](batch_{p.replace(':', '_')}.png)", ""]
        plot(data, p, qs, out_dir / f"batch_{p.replace(':', '_')}.png")
    text = "\n".join(parts)
    (out_dir / "batch.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
