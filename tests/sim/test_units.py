"""Units: conversions, parsing and the serialization rounding rule."""

import pytest

from surge.sim.units import (
    GBPS,
    KIB,
    MIB,
    format_duration,
    ms,
    parse_duration,
    parse_rate,
    parse_size,
    s,
    serialization_ns,
    us,
)


class TestConversions:
    def test_helpers_give_integer_nanoseconds(self) -> None:
        """us, ms and s return exact integer nanoseconds."""
        assert us(5) == 5000
        assert ms(2) == 2_000_000
        assert s(1.5) == 1_500_000_000
        assert us(1.819) == 1819

    def test_fractional_nanoseconds_round_half_up(self) -> None:
        """A fraction of a nanosecond rounds half up."""
        assert us(0.0005) == 1
        assert us(0.0004) == 0


class TestParsing:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [("150us", 150_000), ("10ms", 10_000_000), ("1.5s", 1_500_000_000), ("242ns", 242),
         ("2µs", 2000), ("7", 7), (" 3 ms ", 3_000_000)],
    )
    def test_durations(self, text: str, expected: int) -> None:
        """Duration strings parse to integer nanoseconds."""
        assert parse_duration(text) == expected

    @pytest.mark.parametrize("text", ["", "ms", "10 parsecs", "-5ms", "1..2ms"])
    def test_bad_durations_name_the_allowed_units(self, text: str) -> None:
        """An unparsable duration raises ValueError listing the allowed units."""
        with pytest.raises(ValueError, match="ns, us, ms, s"):
            parse_duration(text)

    def test_sizes_are_binary(self) -> None:
        """Sizes use 1024-based units, as SURGE."""
        assert parse_size("8KiB") == 8 * KIB
        assert parse_size("128K") == 128 * KIB
        assert parse_size("1MiB") == MIB
        assert parse_size("9000B") == 9000
        with pytest.raises(ValueError, match="whole number"):
            parse_size("0.5B")

    def test_rates_are_decimal(self) -> None:
        """Rates use decimal units: 10Gbps is 10**10 bit/s."""
        assert parse_rate("10Gbps") == 10 * GBPS
        assert parse_rate("9.9Gbit/s") == 9_900_000_000
        with pytest.raises(ValueError):
            parse_rate("0Gbps")


class TestSerialization:
    def test_blog_example(self) -> None:
        """8 KiB at 10 Gbit/s takes 6553 ns (6553.6 truncated), as SURGE computes."""
        assert serialization_ns(8 * KIB, 10 * GBPS) == 6553

    def test_surge_derived_constants(self) -> None:
        """SURGE's derived durations at 9.9 Gbit/s: 242 ns, 7.272 us, 105.916 us."""
        assert serialization_ns(300, 9_900_000_000) == 242
        assert serialization_ns(9000, 9_900_000_000) == 7272
        assert serialization_ns(128 * KIB, 9_900_000_000) == 105_916

    def test_format(self) -> None:
        """Durations print in the largest unit that fits."""
        assert format_duration(1819) == "1.819us"
        assert format_duration(2_000_000) == "2ms"
        assert format_duration(12) == "12ns"
