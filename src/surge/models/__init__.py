"""surge.models: the built-in cluster models, one module each, and the model registry.

Importing this package registers the built-in models. Models import ``network``,
``storage``, ``stats`` and ``sim``, never each other; shared code moves down a layer.
"""

from surge.models import (
    command_window,
    exchange,
    exchange_rate_limited,
    ping_pong,
    replicast,
    replicast_h,
    replicast_h_dblr,
    replicast_proxy,
    storm,
    storm_two_choices,
    tiered,
    tio_pipeline,
    uch_aimd,
    uch_ccpi,
)
from surge.models.params import ConfigError, ParamInfo, build_params, describe_params, param
from surge.models.registry import (
    Model,
    ModelInfo,
    RunContext,
    UnknownModelError,
    get_model,
    list_models,
    register_model,
)
from surge.models.runner import run_model

__all__ = [
    "ConfigError",
    "Model",
    "ModelInfo",
    "ParamInfo",
    "RunContext",
    "UnknownModelError",
    "build_params",
    "command_window",
    "describe_params",
    "exchange",
    "exchange_rate_limited",
    "get_model",
    "list_models",
    "param",
    "ping_pong",
    "register_model",
    "replicast",
    "replicast_h",
    "replicast_h_dblr",
    "replicast_proxy",
    "run_model",
    "storm",
    "storm_two_choices",
    "tiered",
    "tio_pipeline",
    "uch_aimd",
    "uch_ccpi",
]
