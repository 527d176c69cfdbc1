"""Boundary checks with one message shape for every network primitive.

Each constructor validates its arguments here, once, so that hot methods can trust their
state. Messages follow scikit-learn's shape, naming the parameter, its owner, the allowed
range and the value got::

    The 'bits_per_s' parameter of Link must be an int > 0. Got -5 instead.
"""

from __future__ import annotations

__all__ = ["check_int", "check_real", "param_error"]


def param_error(name: str, owner: str, allowed: str, value: object) -> ValueError:
    """The one error shape: ``The 'name' parameter of owner must be allowed. Got v instead.``"""
    return ValueError(
        f"The {name!r} parameter of {owner} must be {allowed}. Got {value!r} instead."
    )


def check_int(value: object, name: str, owner: str, *, low: int = 0, strict: bool = False,
              high: int | None = None) -> int:
    """Return ``value`` if it is an ``int`` (not a ``bool``) within the range.

    Args:
        value: the argument as passed.
        name: the parameter's name, e.g. ``"bits_per_s"``.
        owner: the class or function it belongs to, e.g. ``"Link"``.
        low: the lower bound.
        strict: ``True`` for ``value > low``, ``False`` for ``value >= low``.
        high: an optional inclusive upper bound.

    Raises:
        ValueError: the value is not an int in range.
    """
    allowed = f"an int {'>' if strict else '>='} {low}"
    if high is not None:
        allowed += f" and <= {high}"
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (strict and value == low)
        or (high is not None and value > high)
    ):
        raise param_error(name, owner, allowed, value)
    return value


def check_real(value: object, name: str, owner: str, *, low: float, high: float) -> float | int:
    """Return ``value`` if it is an ``int`` or ``float`` (not a ``bool``) in ``[low, high)``.

    Raises:
        ValueError: the value is not a number in range (NaN never is).
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not low <= value < high  # also rejects NaN
    ):
        raise param_error(name, owner, f"a number in [{low}, {high})", value)
    return value
