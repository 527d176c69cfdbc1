"""Units: integer nanoseconds for time, bytes for sizes, bits per second for rates.

This is the one module where 1000, 1024 and their powers appear. Everything else names
its quantities through these helpers, so a reader never meets a bare ``1e-6``.

Time is an ``int`` number of nanoseconds (one engine tick is 1 ns unless a simulation is
built with a coarser tick). Sizes follow SURGE: "KiB"/"MiB" are binary (1024-based) and
link rates are decimal bits per second (10 Gbit/s = 10**10 bit/s).

Durations parse from strings such as ``"150us"``, ``"10ms"``, ``"1.5s"``, ``"242ns"``
(``µs`` is accepted for ``us``); sizes from ``"8KiB"``, ``"128K"``, ``"9000B"``; rates from
``"10Gbps"``, ``"9.9Gbit/s"``.
"""

from __future__ import annotations

import re
from fractions import Fraction

__all__ = [
    "GBPS",
    "GIB",
    "KBPS",
    "KIB",
    "MBPS",
    "MIB",
    "MS",
    "NS",
    "US",
    "S",
    "format_bytes",
    "format_duration",
    "format_rate",
    "ms",
    "ns",
    "parse_duration",
    "parse_rate",
    "parse_size",
    "s",
    "serialization_ns",
    "us",
]

#: Nanoseconds per unit of time.
NS = 1
US = 1_000
MS = 1_000_000
S = 1_000_000_000

#: Bytes per binary unit (SURGE's "KB" and "MB" are 1024-based).
KIB = 1024
MIB = 1024 * 1024
GIB = 1024 * 1024 * 1024

#: Bits per second per decimal rate unit.
KBPS = 1_000
MBPS = 1_000_000
GBPS = 1_000_000_000

_BITS_PER_BYTE = 8


def _to_ns(value: float | int | Fraction, unit_ns: int) -> int:
    """Convert ``value`` units of ``unit_ns`` ns to an exact integer, rounding half up."""
    exact = Fraction(value) * unit_ns
    return int(exact + Fraction(1, 2)) if exact >= 0 else -int(-exact + Fraction(1, 2))


def ns(value: float | int) -> int:
    """Nanoseconds as an integer (``ns(242) == 242``)."""
    return _to_ns(value, NS)


def us(value: float | int) -> int:
    """Microseconds to integer nanoseconds (``us(5) == 5000``; rounds half up)."""
    return _to_ns(value, US)


def ms(value: float | int) -> int:
    """Milliseconds to integer nanoseconds (``ms(2) == 2_000_000``; rounds half up)."""
    return _to_ns(value, MS)


def s(value: float | int) -> int:
    """Seconds to integer nanoseconds (``s(1.5) == 1_500_000_000``; rounds half up)."""
    return _to_ns(value, S)


_DURATION_UNITS = {"": NS, "ns": NS, "us": US, "µs": US, "μs": US, "ms": MS, "s": S}
_SIZE_UNITS = {
    "": 1, "b": 1, "byte": 1, "bytes": 1,
    "k": KIB, "kb": KIB, "kib": KIB,
    "m": MIB, "mb": MIB, "mib": MIB,
    "g": GIB, "gb": GIB, "gib": GIB,
}
_RATE_UNITS = {
    "bps": 1, "bit/s": 1, "b/s": 1,
    "kbps": KBPS, "kbit/s": KBPS, "kb/s": KBPS,
    "mbps": MBPS, "mbit/s": MBPS, "mb/s": MBPS,
    "gbps": GBPS, "gbit/s": GBPS, "gb/s": GBPS,
}
_NUMBER_UNIT = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([^\s0-9.].*)?\s*$")


def _split(text: str) -> tuple[str, str] | None:
    match = _NUMBER_UNIT.match(text)
    if match is None:
        return None
    return match.group(1), (match.group(2) or "").strip()


def parse_duration(value: str | int) -> int:
    """Parse a duration to integer nanoseconds.

    Args:
        value: an ``int`` (already nanoseconds) or a string ``"<number><unit>"`` with unit
            one of ``ns``, ``us`` (or ``µs``), ``ms``, ``s``; e.g. ``"150us"``, ``"1.5ms"``.

    Returns:
        The duration in ns, rounded half up to an integer.

    Raises:
        ValueError: the text is not a non-negative number followed by a known unit.
    """
    if isinstance(value, bool):
        raise ValueError(f"duration must be a number with a unit, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"duration must be >= 0 ns, got {value}")
        return value
    parts = _split(str(value))
    allowed = "a number followed by one of ns, us, ms, s (e.g. '150us', '10ms')"
    if parts is None or parts[1].lower() not in _DURATION_UNITS:
        raise ValueError(f"cannot parse duration {value!r}: expected {allowed}")
    number, unit = parts
    return _to_ns(Fraction(number), _DURATION_UNITS[unit.lower()])


def parse_size(value: str | int) -> int:
    """Parse a size to integer bytes: ``8192``, ``"8KiB"``, ``"128K"``, ``"1MiB"``, ``"100B"``.

    Units are binary (K = KiB = 1024 bytes), as in SURGE.

    Raises:
        ValueError: not a non-negative size with a known unit.
    """
    if isinstance(value, bool):
        raise ValueError(f"size must be a number of bytes, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"size must be >= 0 bytes, got {value}")
        return value
    parts = _split(str(value))
    allowed = "bytes, or a number with one of B, KiB, MiB, GiB (e.g. '8KiB')"
    if parts is None or parts[1].lower() not in _SIZE_UNITS:
        raise ValueError(f"cannot parse size {value!r}: expected {allowed}")
    number, unit = parts
    exact = Fraction(number) * _SIZE_UNITS[unit.lower()]
    if exact.denominator != 1:
        raise ValueError(f"size {value!r} is not a whole number of bytes")
    return int(exact)


def parse_rate(value: str | int) -> int:
    """Parse a link rate to integer bits per second: ``"10Gbps"``, ``"9.9Gbit/s"``, ``10**10``.

    Rate units are decimal (1 Gbit/s = 10**9 bit/s), as in SURGE.

    Raises:
        ValueError: not a positive rate with a known unit.
    """
    if isinstance(value, bool):
        raise ValueError(f"rate must be bits per second, got {value!r}")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(f"rate must be > 0 bit/s, got {value}")
        return value
    parts = _split(str(value))
    allowed = "bits/s, or a number with one of bps, Kbps, Mbps, Gbps (e.g. '10Gbps')"
    if parts is None or parts[1].lower() not in _RATE_UNITS:
        raise ValueError(f"cannot parse rate {value!r}: expected {allowed}")
    number, unit = parts
    rate = int(Fraction(number) * _RATE_UNITS[unit.lower()])
    if rate <= 0:
        raise ValueError(f"rate must be > 0 bit/s, got {value!r}")
    return rate


def serialization_ns(size_bytes: int, bits_per_s: int) -> int:
    """Time to put ``size_bytes`` on a wire of ``bits_per_s``, in whole ns, truncated.

    ``floor(8 * size_bytes * 10**9 / bits_per_s)`` in exact integer arithmetic, the rule of
    SURGE (8192 B at 10 Gbit/s is 6553 ns, not 6553.6). Truncation never makes a frame
    arrive later than physics says; the lost fraction is under 1 ns per frame.
    """
    return size_bytes * _BITS_PER_BYTE * S // bits_per_s


def format_duration(value_ns: int) -> str:
    """Human form of a duration: ``1819`` -> ``"1.819us"``, ``2_000_000`` -> ``"2ms"``."""
    sign = "-" if value_ns < 0 else ""
    magnitude = abs(value_ns)
    for unit, size in (("s", S), ("ms", MS), ("us", US)):
        if magnitude >= size:
            text = f"{magnitude / size:.3f}".rstrip("0").rstrip(".")
            return f"{sign}{text}{unit}"
    return f"{sign}{magnitude}ns"


def format_bytes(value: float) -> str:
    """Binary-unit form of a byte count: ``1536`` -> ``"1.50KiB"``."""
    for unit, size in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if abs(value) >= size:
            return f"{value / size:.2f}{unit}"
    return f"{value:.0f}B"


def format_rate(bits_per_s: float) -> str:
    """Decimal form of a rate: ``9.9e9`` -> ``"9.90Gbit/s"``."""
    for unit, size in (("Gbit/s", GBPS), ("Mbit/s", MBPS), ("Kbit/s", KBPS)):
        if abs(bits_per_s) >= size:
            return f"{bits_per_s / size:.2f}{unit}"
    return f"{bits_per_s:.0f}bit/s"
