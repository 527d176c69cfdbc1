"""Typed model parameters validated at the boundary."""

from dataclasses import dataclass

import pytest

from surge.models import ConfigError, build_params, describe_params, param


@dataclass(frozen=True)
class Demo:
    trip_ns: int = param(2000, unit="ns", minimum=0, help="latency")
    chunk_bytes: int = param(131072, unit="B", minimum=1, help="chunk size")
    link_bits_per_s: int = param(10**10, unit="bit/s", minimum=1, help="rate")
    ratio: float = param(0.5, minimum=0.0, maximum=1.0, help="a share")
    fast: bool = param(False, help="a switch")
    mode: str = param("unicast", choices=("unicast", "multicast"), help="transport")


class TestBuildParams:
    def test_defaults(self) -> None:
        """No values gives the declared defaults."""
        assert build_params(Demo, {}, "demo") == Demo()

    def test_units_parse_text(self) -> None:
        """Text values parse by unit: durations, sizes, rates, bools, floats."""
        p = build_params(Demo, {"trip_ns": "1.5us", "chunk_bytes": "8KiB",
                                "link_bits_per_s": "25Gbps", "fast": "yes", "ratio": "0.25",
                                "mode": "multicast"}, "demo")
        assert (p.trip_ns, p.chunk_bytes, p.link_bits_per_s) == (1500, 8192, 25 * 10**9)
        assert (p.fast, p.ratio, p.mode) == (True, 0.25, "multicast")

    def test_unknown_name_suggests_and_lists(self) -> None:
        """A misspelt name gets a suggestion and the list of allowed names."""
        with pytest.raises(ConfigError, match=r"no parameter 'trip'\. Did you mean 'trip_ns'"):
            build_params(Demo, {"trip": "1"}, "demo")

    @pytest.mark.parametrize(("name", "value", "expect"), [
        ("chunk_bytes", "-5", "must be an int >= 1"),
        ("ratio", "1.5", "must be a float >= 0 and <= 1"),
        ("mode", "anycast", "must be one of 'unicast', 'multicast'"),
        ("fast", "maybe", "must be a bool"),
        ("trip_ns", "soon", "must be an int >= 0 \\(ns"),
    ])
    def test_bad_values_name_the_allowed(self, name: str, value: str, expect: str) -> None:
        """A bad value names the parameter, what is allowed, and what was given."""
        with pytest.raises(ConfigError, match=expect) as info:
            build_params(Demo, {name: value}, "demo")
        assert f"The '{name}' parameter of demo" in str(info.value)
        assert repr(value) in str(info.value)

    def test_describe(self) -> None:
        """describe_params lists fields with unit, default and human formatting."""
        infos = {p.name: p for p in describe_params(Demo)}
        assert infos["trip_ns"].format_value(2000) == "2us"
        assert infos["chunk_bytes"].format_value(131072) == "128.00KiB"
        assert infos["mode"].choices == ("unicast", "multicast")
