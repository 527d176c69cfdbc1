"""The model plug-in registry: descriptive names, SURGE aliases, descriptions, parameters.

Design
------
A model is a class derived from :class:`Model`, registered with :func:`register_model`
under a descriptive name (``ping-pong``) and SURGE's short alias (``3``), with a one-line
description and its parameter dataclass. ``surge run 3`` and ``surge run ping-pong`` are
the same thing. Built-in models register when :mod:`surge.models` is imported; third-party
models register through the ``surge.models`` entry-point group (a module whose import
calls :func:`register_model`).

A model's life: the runner builds a :class:`RunContext` (simulation, cluster size, stats
collector, trace), constructs the model with its validated parameters, calls
:meth:`Model.build` (create nodes, declare metrics, schedule the first events), runs the
simulation interval by interval, then calls :meth:`Model.finish`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from surge.config.params import ConfigError
from surge.sim.core import Simulation
from surge.stats.collector import StatsCollector
from surge.stats.trace import Trace

__all__ = [
    "Model",
    "ModelInfo",
    "RunContext",
    "UnknownModelError",
    "get_model",
    "list_models",
    "register_model",
]

P = TypeVar("P")


class UnknownModelError(ConfigError):
    """No model is registered under that name or alias."""


@dataclass(slots=True)
class RunContext:
    """What a model is given to build itself.

    Attributes:
        sim: the simulation (clock, heap, random streams).
        gateways, servers: cluster size; gateways have global node indexes
            ``0..gateways-1`` (names ``I#01``..), servers ``gateways..gateways+servers-1``
            (``T#01``..).
        stats: the collector where the model declares its metrics.
        trace: the event trace (level -1 when tracing is off).
        end_ns: the simulated time the run stops at.
    """

    sim: Simulation
    gateways: int
    servers: int
    stats: StatsCollector
    trace: Trace
    end_ns: int

    def gateway_index(self, gateway_id: int) -> int:
        """Global node index of gateway ``gateway_id`` (1-based, as ``I#01``)."""
        return gateway_id - 1

    def server_index(self, server_id: int) -> int:
        """Global node index of server ``server_id`` (1-based, as ``T#01``)."""
        return self.gateways + server_id - 1


class Model(Generic[P]):
    """Base of every model: store the context and parameters, then build on demand."""

    def __init__(self, ctx: RunContext, params: P) -> None:
        self.ctx = ctx
        self.sim = ctx.sim
        self.params = params

    def build(self) -> None:
        """Create nodes, declare metrics, schedule the first events."""
        raise NotImplementedError

    def finish(self) -> None:
        """Called once after the last interval (final bookkeeping); optional."""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A registered model: names, description, parameter type and class."""

    name: str
    alias: str
    description: str
    params_type: type
    factory: Callable[[RunContext, Any], Model[Any]]
    min_gateways: int = 1
    min_servers: int = 1


_MODELS: dict[str, ModelInfo] = {}
_ALIASES: dict[str, str] = {}
_ENTRY_POINTS_LOADED: list[bool] = []

ModelClass = TypeVar("ModelClass", bound=type)


def register_model(
    name: str,
    *,
    alias: str,
    description: str,
    params: type,
    min_gateways: int = 1,
    min_servers: int = 1,
) -> Callable[[ModelClass], ModelClass]:
    """Class decorator registering a :class:`Model` subclass.

    Raises:
        ValueError: the name or alias is already taken.
    """

    def decorate(cls: ModelClass) -> ModelClass:
        if name in _MODELS or name in _ALIASES or alias in _ALIASES or alias in _MODELS:
            raise ValueError(f"model name {name!r} or alias {alias!r} is already registered")
        _MODELS[name] = ModelInfo(name, alias, description, params, cls, min_gateways,
                                  min_servers)
        _ALIASES[alias] = name
        model_cls: Any = cls
        model_cls.info = _MODELS[name]
        return cls

    return decorate


def _load_plugins() -> None:
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED.append(True)
    import surge.models  # noqa: F401 - registers the built-in models

    for ep in entry_points(group="surge.models"):
        ep.load()


def list_models() -> list[ModelInfo]:
    """Every registered model, in SURGE's order: sorted by alias (1, 1.1, 2, 2.1, 3, ...)."""
    _load_plugins()
    return sorted(_MODELS.values(), key=lambda info: info.alias)


def get_model(name_or_alias: str) -> ModelInfo:
    """Look a model up by descriptive name or SURGE alias.

    Raises:
        UnknownModelError: nothing matches; the message lists what exists.
    """
    _load_plugins()
    key = str(name_or_alias).strip()
    if key in _MODELS:
        return _MODELS[key]
    if key in _ALIASES:
        return _MODELS[_ALIASES[key]]
    names = [f"{m.name} ({m.alias})" for m in _MODELS.values()]
    close = difflib.get_close_matches(key, list(_MODELS) + list(_ALIASES), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise UnknownModelError(
        f"unknown model {key!r}.{hint} Available: {', '.join(names)}."
    )

