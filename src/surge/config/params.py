"""Typed, documented parameters (models, protocols, problems), validated at the boundary.

Design
------
Every model owns a frozen dataclass of parameters. Each field is declared with
:func:`param`, which records its unit, bounds, choices and one line of help; the unit is
also in the field's name (``request_bytes``, ``trip_ns``, ``link_bits_per_s``). One
function, :func:`build_params`, turns user input (``--set name=value`` strings, or Python
values) into an instance and reports every problem in one message shape, after
scikit-learn's parameter validation:

    The 'request_bytes' parameter of ping-pong must be an int >= 1 (bytes). Got -5 instead.

Units drive parsing: ``ns`` fields accept ``"150us"``, ``B`` fields ``"8KiB"``, ``bit/s``
fields ``"10Gbps"``. The CLI help and the parameter block of every report are generated
from the same fields (:func:`describe_params`).
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from surge.sim.units import (
    format_bytes,
    format_duration,
    format_rate,
    parse_duration,
    parse_rate,
    parse_size,
)

__all__ = ["ConfigError", "ParamInfo", "build_params", "describe_params", "param"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(ValueError):
    """Bad user input: an unknown model or parameter, or a value out of range."""


def param(
    default: Any,
    *,
    help: str,
    unit: str = "",
    minimum: float | None = None,
    maximum: float | None = None,
    choices: tuple[Any, ...] | None = None,
) -> Any:
    """Declare a parameter field with its unit, bounds and help.

    Args:
        default: the default value (in the field's unit: ns, bytes, bit/s, ...).
        help: one sentence for ``surge models`` and reports.
        unit: ``"ns"``, ``"B"``, ``"bit/s"``, ``"%"`` or any label; ``ns``/``B``/``bit/s``
            select the duration/size/rate parsers for text input.
        minimum, maximum: inclusive bounds, if any.
        choices: the allowed values, if the set is closed.
    """
    meta = {"help": help, "unit": unit, "minimum": minimum, "maximum": maximum,
            "choices": choices}
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True, slots=True)
class ParamInfo:
    """What a user needs to know about one parameter (for help texts and docs)."""

    name: str
    type_name: str
    unit: str
    default: Any
    help: str
    minimum: float | None
    maximum: float | None
    choices: tuple[Any, ...] | None

    def format_value(self, value: Any) -> str:
        """The value in human units (``2000`` ns -> ``2us``)."""
        if isinstance(value, bool) or not isinstance(value, int):
            return str(value)
        if self.unit == "ns":
            return format_duration(value)
        if self.unit == "B":
            return format_bytes(value)
        if self.unit == "bit/s":
            return format_rate(value)
        return str(value)


def describe_params(params_type: type) -> list[ParamInfo]:
    """The declared parameters of a params dataclass, in declaration order."""
    hints = typing.get_type_hints(params_type)
    infos = []
    for f in dataclasses.fields(params_type):
        meta = f.metadata
        t = hints[f.name]
        infos.append(
            ParamInfo(
                name=f.name,
                type_name=getattr(t, "__name__", str(t)),
                unit=meta.get("unit", ""),
                default=f.default,
                help=meta.get("help", ""),
                minimum=meta.get("minimum"),
                maximum=meta.get("maximum"),
                choices=meta.get("choices"),
            )
        )
    return infos


def _constraint(info: ParamInfo) -> str:
    if info.choices is not None:
        return "one of " + ", ".join(repr(c) for c in info.choices)
    text = "a bool" if info.type_name == "bool" else f"an {info.type_name}" if (
        info.type_name == "int") else f"a {info.type_name}"
    bounds = []
    if info.minimum is not None:
        bounds.append(f">= {info.minimum:g}")
    if info.maximum is not None:
        bounds.append(f"<= {info.maximum:g}")
    if bounds:
        text += " " + " and ".join(bounds)
    examples = {"ns": "ns, e.g. 2000 or '2us'", "B": "bytes, e.g. 8192 or '8KiB'",
                "bit/s": "bit/s, e.g. 10000000000 or '10Gbps'"}
    if info.unit in examples:
        text += f" ({examples[info.unit]})"
    elif info.unit:
        text += f" ({info.unit})"
    return text


def _parse(info: ParamInfo, raw: Any) -> Any:
    """Convert ``raw`` (text or a Python value) to the parameter's type; ValueError if not."""
    if info.type_name == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError
    if info.type_name == "int":
        if isinstance(raw, bool):
            raise ValueError
        if isinstance(raw, int):
            return raw
        text = str(raw).strip()
        parser = {"ns": parse_duration, "B": parse_size, "bit/s": parse_rate}.get(info.unit)
        if parser is not None and not text.lstrip("-").isdigit():
            return parser(text)
        return int(text)
    if info.type_name == "float":
        if isinstance(raw, bool):
            raise ValueError
        return float(raw)
    return raw if isinstance(raw, str) else str(raw)


def build_params(params_type: type, values: Mapping[str, Any], owner: str) -> Any:
    """Validate ``values`` against ``params_type`` and return an instance.

    Args:
        params_type: a frozen dataclass whose fields were declared with :func:`param`.
        values: parameter name -> value (text from the command line, or Python values);
            missing names take their defaults.
        owner: the model's name, used in messages.

    Raises:
        ConfigError: an unknown name (with the allowed names and the closest match), or a
            value that does not parse or is out of range (with what is allowed).
    """
    infos = {info.name: info for info in describe_params(params_type)}
    for name in values:
        if name not in infos:
            allowed = ", ".join(infos) or "(none)"
            close = difflib.get_close_matches(name, list(infos), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"{owner} has no parameter {name!r}.{hint} Allowed: {allowed}."
            )
    kwargs: dict[str, Any] = {}
    for name, info in infos.items():
        if name not in values:
            continue
        raw = values[name]
        problem = (
            f"The {name!r} parameter of {owner} must be {_constraint(info)}. "
            f"Got {raw!r} instead."
        )
        try:
            value = _parse(info, raw)
        except (ValueError, TypeError):
            raise ConfigError(problem) from None
        if info.choices is not None and value not in info.choices:
            raise ConfigError(problem)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if info.minimum is not None and value < info.minimum:
                raise ConfigError(problem)
            if info.maximum is not None and value > info.maximum:
                raise ConfigError(problem)
        kwargs[name] = value
    instance = params_type(**kwargs)
    check = getattr(instance, "check", None)
    if callable(check):
        try:
            check()
        except ValueError as err:
            raise ConfigError(f"{owner}: {err}") from None
    return instance
