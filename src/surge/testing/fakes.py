"""Ideal twins of the primitives, for network-free and disk-free tests (httpx's MockTransport).

``IdealLink`` delivers with zero latency over infinite bandwidth; ``InstantDisk`` completes
every IO at once.
"""

from surge.network import IdealLink
from surge.storage import InstantDisk

__all__ = ["IdealLink", "InstantDisk"]
