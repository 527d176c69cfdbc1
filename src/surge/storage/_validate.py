"""Boundary checks for the constructors of :mod:`surge.storage`, one message shape.

Every message reads like scikit-learn's parameter validation:
``The 'bytes_per_s' parameter of ConstLatencyDisk must be an int > 0. Got 0 instead.``
so that a user learns the parameter, the owner, the allowed range and the value got.
Booleans are rejected where an int is expected (``True`` is an ``int`` in Python).
"""

from __future__ import annotations

from numbers import Real

__all__ = ["check_int", "check_real", "param_error"]


def param_error(name: str, owner: str, allowed: str, value: object) -> ValueError:
    """The ValueError for parameter ``name`` of ``owner`` that got ``value``.

    Args:
        name: the parameter's name, e.g. ``"bytes_per_s"``.
        owner: the class or function that takes it, e.g. ``"ConstLatencyDisk"``.
        allowed: what is accepted, e.g. ``"an int > 0"``.
        value: what was got.
    """
    return ValueError(
        f"The {name!r} parameter of {owner} must be {allowed}. Got {value!r} instead."
    )


def _range_text(kind: str, low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"{kind} in the range [{low}, {high}]"
    if low is not None:
        return f"{kind} > 0" if low == 1 and kind == "an int" else f"{kind} >= {low}"
    if high is not None:
        return f"{kind} <= {high}"
    return kind


def check_int(
    value: object, name: str, owner: str, *, low: int | None = None, high: int | None = None
) -> int:
    """Return ``value`` if it is an ``int`` (not a bool) in ``[low, high]``.

    Raises:
        ValueError: otherwise, with the message shape of this module.
    """
    allowed = _range_text("an int", low, high)
    if isinstance(value, bool) or not isinstance(value, int):
        raise param_error(name, owner, allowed, value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise param_error(name, owner, allowed, value)
    return value


def check_real(value: object, name: str, owner: str) -> float | int:
    """Return ``value`` if it is a finite real number > 0 (int or float, not a bool).

    Raises:
        ValueError: otherwise, with the message shape of this module.
    """
    allowed = "an int or float > 0"
    if isinstance(value, bool) or not isinstance(value, Real):
        raise param_error(name, owner, allowed, value)
    number = float(value)
    if not number > 0 or number == float("inf"):
        raise param_error(name, owner, allowed, value)
    return value if isinstance(value, int) else number
