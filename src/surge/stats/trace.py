"""The event trace log: CSV lines stamped with simulated time, filtered by verbosity.

SURGE logged ``<simtime>:<v1>,<v2>,...`` with levels ``-v``/``-vv``/``-vvv``. Here every
line is a CSV row whose first column is the simulated time in integer ns, then the
level, then the model's fields, so the log loads straight into a spreadsheet or pandas.

Hot code checks the level *before* building a line (``if trace.level >= 2: trace.log(...)``)
so that a quiet run pays one comparison. Lines written at level 0 (warnings) always
appear when a trace file is open.
"""

from __future__ import annotations

import csv
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from surge.sim.core import Simulation

__all__ = ["QUIET", "VV", "VVV", "NullTrace", "Trace", "V"]

#: Verbosity levels (``-v`` is 1, ``-vv`` 2, ``-vvv`` 3).
QUIET = 0
V = 1
VV = 2
VVV = 3


class Trace:
    """A CSV event trace: ``t_ns,level,event,field,...``.

    Args:
        sim: the simulation whose clock stamps each line.
        target: a path, or an open text stream (``sys.stdout``).
        level: maximum verbosity written (0 = warnings only, 1..3 = -v..-vvv).
    """

    def __init__(self, sim: Simulation, target: str | Path | IO[str], level: int = V) -> None:
        self.sim = sim
        self.level = level
        if isinstance(target, str | Path):
            self._fh: IO[str] = Path(target).open(  # noqa: SIM115 - closed by close()
                "w", newline="", encoding="utf-8")
            self._owns = True
        else:
            self._fh = target
            self._owns = False
        self._writer = csv.writer(self._fh)
        self._writer.writerow(["t_ns", "level", "event", "fields"])
        self.lines = 0

    def log(self, level: int, event: str, *fields: object) -> None:
        """Write one line if ``level`` <= the trace's verbosity."""
        if level <= self.level:
            self._writer.writerow([self.sim._now, level, event, *fields])
            self.lines += 1

    def close(self) -> None:
        """Flush and, if the trace opened the file, close it."""
        self._fh.flush()
        if self._owns:
            self._fh.close()

    def __enter__(self) -> Trace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class NullTrace(Trace):
    """A trace that writes nothing (level -1: every check fails at once)."""

    def __init__(self) -> None:
        self.level = -1
        self.lines = 0

    def log(self, level: int, event: str, *fields: object) -> None:
        """Discard the line."""

    def close(self) -> None:
        """Nothing to close."""
