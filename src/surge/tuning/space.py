"""The tuned parameters: ``name=low:high[:int][:log]`` specs and their search space.

Each spec names a parameter of the system (a model parameter for ``surge tune MODEL``, or
a keyword argument of a user function), a closed range and two optional flags: ``int``
(only whole values) and ``log`` (search the logarithm, for ranges over several decades).
Bounds may carry the parameter's unit (``trip_ns=500ns:4us``, ``chunk_bytes=16KiB:1MiB``,
``aimd_min_bits_per_s=100Mbps:5Gbps:log``) when the model declares one.

The optimizer sees one box: log parameters as ``log10`` of their value, integer parameters
(without ``log``) as integer coordinates; :meth:`TuneSpace.decode` maps a point back to
parameter values (rounding integers, so a log-integer parameter is rounded after ``10**u``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from surge.config.params import ConfigError
from surge.sim.units import parse_duration, parse_rate, parse_size

__all__ = ["ParamSpec", "TuneSpace", "parse_param"]

_PARSERS: dict[str, Callable[[str], int]] = {"ns": parse_duration, "B": parse_size,
                                             "bit/s": parse_rate}
_FLAGS = {"int", "log"}


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One tuned parameter: ``low <= value <= high``, optionally integer, optionally log."""

    name: str
    low: float
    high: float
    integer: bool = False
    log: bool = False

    def __post_init__(self) -> None:
        if not self.low < self.high:
            raise ConfigError(f"--param {self.name}: low must be < high, got "
                              f"{self.low:g}:{self.high:g}")
        if self.log and self.low <= 0:
            raise ConfigError(f"--param {self.name}: a log range needs low > 0, got "
                              f"{self.low:g}")

    def __str__(self) -> str:
        flags = (":int" if self.integer else "") + (":log" if self.log else "")
        return f"{self.name}={self.low:g}:{self.high:g}{flags}"

    @property
    def box(self) -> tuple[float, float]:
        """The range the optimizer searches (``log10`` of the bounds for log specs)."""
        if self.log:
            return math.log10(self.low), math.log10(self.high)
        return float(self.low), float(self.high)

    def decode(self, u: float) -> float | int:
        """Parameter value of optimizer coordinate ``u`` (clipped to the range)."""
        value = 10.0**u if self.log else u
        value = min(max(value, self.low), self.high)
        return round(value) if self.integer else float(value)


def _number(text: str, unit: str | None, where: str) -> float:
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        parser = _PARSERS.get(unit or "")
        if parser is not None:
            try:
                return float(parser(text))
            except ValueError:
                pass
    units = {"ns": "a duration such as 2us", "B": "a size such as 8KiB",
             "bit/s": "a rate such as 10Gbps"}
    allowed = f"a number or {units[unit]}" if unit in units else "a number"
    raise ConfigError(f"{where}: cannot read {text!r} as a bound; expected {allowed}")


def parse_param(text: str, unit_of: Callable[[str], str | None] | None = None) -> ParamSpec:
    """Parse ``name=low:high[:int][:log]``.

    Args:
        text: the spec.
        unit_of: maps a parameter name to its declared unit (``"ns"``, ``"B"``, ``"bit/s"``)
            so bounds may carry units; ``None`` accepts plain numbers only.

    Raises:
        ConfigError: malformed spec, unknown flag, or bounds out of order.
    """
    name, sep, rng = str(text).partition("=")
    name = name.strip()
    where = f"--param {text!r}"
    parts = [p.strip() for p in rng.split(":")]
    if not sep or not name or len(parts) < 2:  # noqa: PLR2004 - low and high
        raise ConfigError(f"{where}: expected name=low:high[:int][:log], e.g. "
                          "window=1:32:int or aimd_divisor=2:8")
    flags = {p.lower() for p in parts[2:]}
    unknown = flags - _FLAGS
    if unknown:
        raise ConfigError(f"{where}: unknown flag(s) {', '.join(sorted(unknown))}; allowed: "
                          "int, log")
    unit = unit_of(name) if unit_of else None
    return ParamSpec(name, _number(parts[0], unit, where), _number(parts[1], unit, where),
                     "int" in flags, "log" in flags)


class TuneSpace:
    """The tuned parameters together: the optimizer's box and the decoding back.

    Args:
        specs: one spec per tuned parameter (names unique).

    Raises:
        ConfigError: no specs, or a name given twice.
    """

    def __init__(self, specs: Sequence[ParamSpec]) -> None:
        if not specs:
            raise ConfigError("nothing to tune: give at least one --param name=low:high")
        names = [s.name for s in specs]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ConfigError(f"--param given twice for: {', '.join(dupes)}")
        self.specs = list(specs)

    @property
    def names(self) -> list[str]:
        """Parameter names, in order."""
        return [s.name for s in self.specs]

    @property
    def bounds(self) -> list[tuple[float, float]]:
        """The optimizer's box, one ``(low, high)`` per parameter."""
        return [s.box for s in self.specs]

    @property
    def integer(self) -> list[int]:
        """Indices the optimizer keeps integral (integer parameters without ``log``)."""
        return [i for i, s in enumerate(self.specs) if s.integer and not s.log]

    def decode(self, u: Sequence[float]) -> dict[str, float | int]:
        """Parameter values of an optimizer point."""
        return {s.name: s.decode(float(v)) for s, v in zip(self.specs, u, strict=True)}

    def encode(self, values: Mapping[str, Any]) -> list[float]:
        """Optimizer point of parameter values (the inverse of :meth:`decode`)."""
        out = []
        for s in self.specs:
            v = float(values[s.name])
            out.append(math.log10(v) if s.log else v)
        return out
