"""Tests of surge.storage._validate: one message shape for every bad parameter."""

from __future__ import annotations

import pytest

from surge.storage._validate import check_int, check_real, param_error


class TestParamError:
    def test_message_shape(self) -> None:
        """The message names the parameter, the owner, the allowed values and the value got."""
        err = param_error("bytes_per_s", "ConstLatencyDisk", "an int > 0", 0)
        assert str(err) == (
            "The 'bytes_per_s' parameter of ConstLatencyDisk must be an int > 0. Got 0 instead."
        )


class TestCheckInt:
    def test_accepts_in_range(self) -> None:
        """An int inside the range is returned unchanged."""
        assert check_int(5, "n", "Owner", low=1, high=5) == 5

    @pytest.mark.parametrize(
        ("value", "low", "high", "allowed"),
        [
            (0, 1, None, "an int > 0"),
            (-1, 0, None, "an int >= 0"),
            (9, 0, 8, "an int in the range [0, 8]"),
            (2.0, 0, None, "an int >= 0"),
            (True, 0, None, "an int >= 0"),
            ("3", None, 2, "an int <= 2"),
        ],
    )
    def test_rejects(self, value: object, low: int | None, high: int | None, allowed: str) -> None:
        """Out-of-range values, floats, bools and strings are rejected with the range stated."""
        with pytest.raises(ValueError) as info:
            check_int(value, "n", "Owner", low=low, high=high)
        assert (
            str(info.value)
            == f"The 'n' parameter of Owner must be {allowed}. Got {value!r} instead."
        )


class TestCheckReal:
    def test_accepts_positive_numbers(self) -> None:
        """Positive ints stay ints and positive floats are returned as floats."""
        assert check_real(400, "r", "Owner") == 400
        assert check_real(0.5, "r", "Owner") == 0.5

    @pytest.mark.parametrize("value", [0, -1.0, float("nan"), float("inf"), True, "400"])
    def test_rejects(self, value: object) -> None:
        """Zero, negatives, NaN, infinity, bools and strings are rejected."""
        with pytest.raises(ValueError, match=r"must be an int or float > 0\. Got"):
            check_real(value, "r", "Owner")
