"""surge.tuning: tune a system's configuration with the optimizer (the simulator or any
function as the system), sweep grids, journal every evaluation in a study file.

This is the room where the two halves of surge meet: it imports the optimizer and the
models; neither imports it.
"""

from surge.tuning.driver import SweepResult, TuneResult, random_design, sweep, tune
from surge.tuning.evaluate import EvalOutcome, FunctionSystem, ModelSystem, run_task
from surge.tuning.executors import Pool, SerialExecutor, open_pool
from surge.tuning.objective import Constraint, Objective, Quantity, parse_objective
from surge.tuning.space import ParamSpec, TuneSpace, parse_param
from surge.tuning.study import FINISHED, Study, Trial

__all__ = [
    "FINISHED",
    "Constraint",
    "EvalOutcome",
    "FunctionSystem",
    "ModelSystem",
    "Objective",
    "ParamSpec",
    "Pool",
    "Quantity",
    "SerialExecutor",
    "Study",
    "SweepResult",
    "Trial",
    "TuneResult",
    "TuneSpace",
    "open_pool",
    "parse_objective",
    "parse_param",
    "random_design",
    "run_task",
    "sweep",
    "tune",
]
