"""Optimizer overhead per suggested point (ask + tell, objective excluded).

The issue's cost target: at k = 30 networks and 2,000 told samples, the optimizer's own
time per suggested point stays under 100 ms on the project's 2-core machines. The script
tells ``--samples`` random Hartmann-6 points in one batch (the networks train on them),
then times ``--iters`` cycles of ``ask(q)`` + ``tell`` (Hartmann-6 itself costs
microseconds and is excluded from the timing) and prints the mean and median per point.

Example::

    nice -n 10 python benchmarks/optimizer_overhead.py --k 30 --samples 2000 --threads 1
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np


def measure(
    k: int, samples: int, iters: int, q: int, *, threads: int, seed: int
) -> dict[str, float]:
    """Time ask+tell cycles after ``samples`` told points; milliseconds per point."""
    import torch

    torch.set_num_threads(threads)
    from surge.optimizer import EnsembleOptimizer
    from surge.problems import Hartmann6

    problem = Hartmann6()
    opt = EnsembleOptimizer(problem.bounds, n_networks=k, seed=seed)
    rng = np.random.default_rng(seed)
    x0 = rng.random((samples, problem.dim))
    opt.tell(x0, problem.evaluate_true(x0))
    per_point = []
    for _ in range(iters):
        t = time.perf_counter()
        xs = opt.ask(q)
        spent = time.perf_counter() - t
        ys = problem.evaluate_true(xs)
        t = time.perf_counter()
        opt.tell(xs, ys)
        spent += time.perf_counter() - t
        per_point.append(1e3 * spent / q)
    return {
        "k": k,
        "samples": samples,
        "q": q,
        "threads": threads,
        "mean_ms": statistics.fmean(per_point),
        "median_ms": statistics.median(per_point),
        "max_ms": max(per_point),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k", type=int, nargs="+", default=[30])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--iters", type=int, default=30)
    parser.add_argument("--q", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    rows = []
    print("| k | samples | q | threads | mean ms/point | median ms/point | max ms/point |")
    print("|---|---|---|---|---|---|---|")
    for k in args.k:
        for q in args.q:
            r = measure(k, args.samples, args.iters, q, threads=args.threads, seed=args.seed)
            rows.append(r)
            print(f"| {k} | {args.samples} | {q} | {args.threads} | {r['mean_ms']:.1f} | "
                  f"{r['median_ms']:.1f} | {r['max_ms']:.1f} |", flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
