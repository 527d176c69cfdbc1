"""Objective expressions: what to optimize in a results document, and under which bounds.

Grammar (case-insensitive keywords)::

    EXPR       := ("maximize" | "minimize") QUANTITY
                  [ "subject to" CONSTRAINT { "and" CONSTRAINT } ]
    CONSTRAINT := QUANTITY ("<=" | ">=" | "<" | ">") VALUE
    QUANTITY   := METRIC [ "." FIELD ]          e.g. throughput, chunk_latency.p99, rxbusy.server
    VALUE      := a number, or a number with a unit: 2ms, 150us (ns); 8KiB (bytes);
                  10Gbps (bit/s)

A quantity reads the metric's entry of the results document (``docs/results.md``): the bare
name is its ``total``; ``.FIELD`` is any numeric field of the entry (``p50`` ... ``p999``,
``max``, ``mean``, ``count``, ``rate_per_s``, ``total``) or a role of ``by_role``
(``rxbusy.server``). Examples: ``"maximize throughput"``, ``"minimize chunk_latency.p99"``,
``"maximize throughput subject to chunk_latency.p99 <= 2ms"``.

Constraints steer the optimizer without hiding anything: a point that violates a bound is
stored with its true value and marked infeasible, and the optimizer is told a penalized
value, ``y - (|y| + 1) * (1 + 10 v)`` when maximizing (``+`` when minimizing), ``v`` the
summed relative violation. For the non-negative objectives of storage systems (throughput,
latency) every infeasible point then ranks below every feasible one, the further the worse.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from surge.config.params import ConfigError
from surge.sim.units import parse_duration, parse_rate, parse_size

__all__ = ["Constraint", "Objective", "Quantity", "parse_objective", "parse_quantity"]

_OPS = ("<=", ">=", "<", ">")
_PENALTY_SLOPE = 10.0
_QUANTITY = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9_]+)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number read from a results document: ``metric`` or ``metric.field``."""

    metric: str
    field: str | None = None

    def __str__(self) -> str:
        return self.metric if self.field is None else f"{self.metric}.{self.field}"

    def read(self, document: Mapping[str, Any]) -> float:
        """The quantity's value in a results document (``RunResult.to_dict()``).

        Raises:
            KeyError: the metric or field is not in the document (message lists what is).
        """
        metrics = document.get("metrics", {})
        entry = metrics.get(self.metric)
        if entry is None:
            raise KeyError(f"no metric {self.metric!r}; the model reports: "
                           f"{', '.join(metrics) or '(none)'}")
        if self.field is None:
            value = entry.get("total")
        elif self.field in entry and not isinstance(entry[self.field], dict | list):
            value = entry[self.field]
        elif self.field in entry.get("by_role", {}):
            value = entry["by_role"][self.field]
        else:
            fields = [k for k, v in entry.items() if isinstance(v, int | float)]
            fields += list(entry.get("by_role", {}))
            raise KeyError(f"metric {self.metric!r} has no field {self.field!r}; it has: "
                           f"{', '.join(fields)}")
        return math.nan if value is None else float(value)


@dataclass(frozen=True, slots=True)
class Constraint:
    """``quantity op bound`` (the bound in the quantity's unit: ns, bytes, ...)."""

    quantity: Quantity
    op: str
    bound: float

    def __str__(self) -> str:
        return f"{self.quantity} {self.op} {self.bound:g}"

    def violation(self, value: float) -> float:
        """0 if satisfied, else the relative amount by which ``value`` misses the bound."""
        if math.isnan(value):
            return math.inf
        ok = {"<=": value <= self.bound, "<": value < self.bound,
              ">=": value >= self.bound, ">": value > self.bound}[self.op]
        if ok:
            return 0.0
        scale = abs(self.bound) if self.bound else 1.0
        return max(abs(value - self.bound) / scale, 1e-12)


@dataclass(frozen=True, slots=True)
class Objective:
    """What a tuning run optimizes: direction, quantity, constraints."""

    maximize: bool
    quantity: Quantity
    constraints: tuple[Constraint, ...] = ()

    def __str__(self) -> str:
        text = f"{'maximize' if self.maximize else 'minimize'} {self.quantity}"
        if self.constraints:
            text += " subject to " + " and ".join(str(c) for c in self.constraints)
        return text

    def evaluate(self, document: Mapping[str, Any]) -> tuple[float, float, bool]:
        """Read the objective from a results document.

        Returns:
            ``(value, told, feasible)``: the objective's true value, the (penalized) value
            to tell the optimizer, and whether every constraint holds.
        """
        value = self.quantity.read(document)
        violation = sum(c.violation(c.quantity.read(document)) for c in self.constraints)
        if math.isnan(value) or math.isinf(violation):
            return value, math.nan, False
        if violation == 0.0:
            return value, value, True
        penalty = (abs(value) + 1.0) * (1.0 + _PENALTY_SLOPE * violation)
        return value, value - penalty if self.maximize else value + penalty, False

    def validate(self, metric_names: set[str]) -> None:
        """Check every metric named exists (before spending a budget on a typo).

        Raises:
            ConfigError: an unknown metric, with the allowed names.
        """
        for q in (self.quantity, *(c.quantity for c in self.constraints)):
            if q.metric not in metric_names:
                raise ConfigError(f"objective names unknown metric {q.metric!r}; the model "
                                  f"reports: {', '.join(sorted(metric_names))}")


def _parse_quantity(text: str, where: str) -> Quantity:
    text = text.strip()
    if not _QUANTITY.match(text):
        raise ConfigError(f"cannot read {text!r} as a metric in {where}: expected METRIC or "
                          "METRIC.FIELD, e.g. throughput or chunk_latency.p99")
    metric, _, field = text.partition(".")
    return Quantity(metric, field or None)


def parse_quantity(text: str) -> Quantity:
    """Parse ``METRIC`` or ``METRIC.FIELD`` (e.g. ``chunk_latency.p99``).

    Raises:
        ConfigError: not a metric name.
    """
    return _parse_quantity(text, "a quantity")


def _parse_value(text: str, where: str) -> float:
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    for parser in (parse_duration, parse_size, parse_rate):
        try:
            return float(parser(text))
        except ValueError:
            continue
    raise ConfigError(f"cannot read the bound {text!r} in {where}: expected a number or a "
                      "number with a unit (2ms, 150us, 8KiB, 10Gbps)")


def parse_objective(expr: str) -> Objective:
    """Parse an objective expression (see the module docstring).

    Raises:
        ConfigError: the expression does not follow the grammar; the message says where.
    """
    text = " ".join(str(expr).split())
    split = re.search(r"(?i)\s+subject\s+to\s+", text)
    head, rest = (text[:split.start()], text[split.end():]) if split else (text, "")
    direction, _, quantity = head.partition(" ")
    direction = direction.lower()
    if direction not in ("maximize", "minimize") or not quantity:
        raise ConfigError(
            f"objective {expr!r} must start with 'maximize' or 'minimize' and a metric, e.g. "
            "'maximize throughput subject to chunk_latency.p99 <= 2ms'"
        )
    constraints = []
    if rest.strip():
        for part in re.split(r"(?i)\s+and\s+", rest):
            for op in _OPS:
                if op in part:
                    left, _, right = part.partition(op)
                    constraints.append(Constraint(_parse_quantity(left, "a constraint"), op,
                                                  _parse_value(right, "a constraint")))
                    break
            else:
                raise ConfigError(f"constraint {part.strip()!r} needs one of "
                                  f"{', '.join(_OPS)}, e.g. chunk_latency.p99 <= 2ms")
    return Objective(direction == "maximize", _parse_quantity(quantity, "the objective"),
                     tuple(constraints))
