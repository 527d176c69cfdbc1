"""Tuned-parameter specs and their search space."""

import pytest

from surge.config.params import ConfigError
from surge.tuning import ParamSpec, TuneSpace, parse_param


class TestParse:
    def test_plain_int_and_log(self) -> None:
        """name=low:high[:int][:log] parses into a spec."""
        spec = parse_param("window=1:32:int:log")
        assert spec == ParamSpec("window", 1.0, 32.0, integer=True, log=True)

    def test_units_from_the_model(self) -> None:
        """Bounds may carry the parameter's unit."""
        spec = parse_param("trip_ns=500ns:4us", lambda name: "ns")
        assert (spec.low, spec.high) == (500.0, 4000.0)
        spec = parse_param("link_bits_per_s=1Gbps:10Gbps:log", lambda name: "bit/s")
        assert (spec.low, spec.high, spec.log) == (1e9, 1e10, True)

    @pytest.mark.parametrize(("text", "needle"), [
        ("window", "expected name=low:high"),
        ("window=1", "expected name=low:high"),
        ("window=8:1", "low must be < high"),
        ("window=1:8:float", "unknown flag"),
        ("window=0:8:log", "log range needs low > 0"),
        ("window=a:8", "cannot read 'a'"),
    ])
    def test_bad_specs(self, text: str, needle: str) -> None:
        """Malformed specs give a ConfigError naming the problem."""
        with pytest.raises(ConfigError, match=needle):
            parse_param(text)


class TestSpace:
    def test_decode_rounds_and_exponentiates(self) -> None:
        """Integer specs round; log specs are searched as log10 and decoded with 10**u."""
        space = TuneSpace([ParamSpec("w", 1, 32, integer=True),
                           ParamSpec("r", 1e6, 1e9, log=True),
                           ParamSpec("n", 1, 64, integer=True, log=True)])
        assert space.bounds == [(1.0, 32.0), (6.0, 9.0), (0.0, 1.806179973983887)]
        assert space.integer == [0]
        assert space.decode([3.4, 7.0, 1.0]) == {"w": 3, "r": 1e7, "n": 10}
        assert space.encode({"w": 3, "r": 1e7, "n": 10}) == [3.0, 7.0, 1.0]

    def test_duplicate_names_refused(self) -> None:
        """The same parameter twice is an error."""
        with pytest.raises(ConfigError, match="given twice"):
            TuneSpace([ParamSpec("w", 1, 2), ParamSpec("w", 1, 3)])
