"""Benchmark problems carrying their optima: Hartmann-6/-3, Branin, Ackley, Levy,
Rosenbrock, Styblinski-Tang, Michalewicz (see :mod:`surge.problems.synthetic`)."""

from surge.problems.synthetic import (
    PROBLEMS,
    Ackley,
    Branin,
    Hartmann3,
    Hartmann6,
    Levy,
    Michalewicz,
    Rosenbrock,
    StyblinskiTang,
    SyntheticProblem,
    make_problem,
)

__all__ = [
    "PROBLEMS",
    "Ackley",
    "Branin",
    "Hartmann3",
    "Hartmann6",
    "Levy",
    "Michalewicz",
    "Rosenbrock",
    "StyblinskiTang",
    "SyntheticProblem",
    "make_problem",
]
