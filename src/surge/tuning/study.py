"""The study file: every evaluation journaled in SQLite the moment it starts and finishes.

Design
------
A tuning run or sweep is a *study*: its description (``meta``: system, tuned parameters,
objective, seed, budget) and its *trials* (one per evaluated point). The driver writes a
trial row when it hands the point to a worker (status ``running``) and completes the row
when the result comes back (``ok``, ``failed`` or ``timeout``), committing each write, so a
killed run loses at most the evaluations that were in flight. ``--resume`` marks those
``abandoned``, re-tells every finished trial to a fresh optimizer, and continues with the
remaining budget: no finished evaluation is lost and none is run twice.

Schema (``sqlite3 run.db .schema``)::

    meta(key TEXT PRIMARY KEY, value TEXT)          -- JSON values
    trials(id INTEGER PRIMARY KEY,                   -- order in which points were asked
           status TEXT,                              -- running|ok|failed|timeout|abandoned
           params TEXT,                              -- JSON {name: value}
           point TEXT,                               -- JSON optimizer coordinates
           seed INTEGER,                             -- first run seed (repeats use seed+i)
           value REAL,                               -- objective's true value
           told REAL,                                -- value told to the optimizer
           feasible INTEGER,                         -- 1 if every constraint held
           result TEXT,                              -- JSON list of results documents
           error TEXT,                               -- failure message
           started REAL, finished REAL,              -- unix times
           wall_s REAL,                              -- evaluation wall time (worker side)
           worker TEXT)                              -- host:pid of the worker

SQLite ships with Python, needs no server, and one file is easy to copy next to a report.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from surge.config.params import ConfigError

__all__ = ["FINISHED", "Study", "Trial"]

#: Statuses of trials whose evaluation has ended (they count towards the budget).
FINISHED = ("ok", "failed", "timeout")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    params TEXT NOT NULL,
    point TEXT NOT NULL,
    seed INTEGER NOT NULL,
    value REAL,
    told REAL,
    feasible INTEGER,
    result TEXT,
    error TEXT,
    started REAL NOT NULL,
    finished REAL,
    wall_s REAL,
    worker TEXT
);
"""


@dataclass(frozen=True, slots=True)
class Trial:
    """One journaled evaluation (a row of ``trials``)."""

    id: int
    status: str
    params: dict[str, Any]
    point: list[float]
    seed: int
    value: float | None
    told: float | None
    feasible: bool | None
    error: str | None
    started: float
    finished: float | None
    wall_s: float | None
    worker: str | None

    @property
    def done(self) -> bool:
        """True if the evaluation ended (ok, failed or timed out)."""
        return self.status in FINISHED


def _nullable(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


class Study:
    """A study file (created if missing).

    Args:
        path: the SQLite file (``":memory:"`` for a throw-away study).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self._db = sqlite3.connect(self.path)
            # WAL + synchronous=NORMAL: a commit survives the process being killed (what
            # --resume relies on) without an fsync per evaluation.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as err:
            raise ConfigError(f"cannot open study file {self.path!r}: {err}") from None

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    # ------------------------------------------------------------------------ meta
    @property
    def meta(self) -> dict[str, Any]:
        """The study's description."""
        rows = self._db.execute("SELECT key, value FROM meta").fetchall()
        return {k: json.loads(v) for k, v in rows}

    def set_meta(self, values: Mapping[str, Any]) -> None:
        """Store (or replace) description entries."""
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                 [(k, json.dumps(v)) for k, v in values.items()])

    # ---------------------------------------------------------------------- trials
    def start(self, params: Mapping[str, Any], point: Sequence[float], seed: int) -> int:
        """Journal a point handed to a worker; returns the trial id."""
        with self._db:
            cur = self._db.execute(
                "INSERT INTO trials (status, params, point, seed, started) VALUES "
                "('running', ?, ?, ?, ?)",
                (json.dumps(dict(params)), json.dumps([float(u) for u in point]), seed,
                 time.time()))
        assert cur.lastrowid is not None
        return cur.lastrowid

    def finish(
        self,
        trial_id: int,
        *,
        status: str,
        value: float | None = None,
        told: float | None = None,
        feasible: bool | None = None,
        documents: Sequence[Mapping[str, Any]] | None = None,
        error: str | None = None,
        wall_s: float | None = None,
        worker: str | None = None,
    ) -> None:
        """Journal the end of an evaluation."""
        if status not in FINISHED:
            raise ValueError(f"status must be one of {FINISHED}, got {status!r}")
        with self._db:
            self._db.execute(
                "UPDATE trials SET status=?, value=?, told=?, feasible=?, result=?, error=?, "
                "finished=?, wall_s=?, worker=? WHERE id=?",
                (status, _nullable(value), _nullable(told),
                 None if feasible is None else int(feasible),
                 None if documents is None else json.dumps(list(documents)), error,
                 time.time(), wall_s, worker, trial_id))

    def abandon_running(self) -> int:
        """Mark trials left ``running`` by a killed run as ``abandoned``; returns how many."""
        with self._db:
            cur = self._db.execute("UPDATE trials SET status='abandoned' WHERE status='running'")
        return cur.rowcount

    def trials(self, *, finished_only: bool = False) -> list[Trial]:
        """All trials, in the order they were started."""
        query = "SELECT id, status, params, point, seed, value, told, feasible, error, " \
                "started, finished, wall_s, worker FROM trials"
        if finished_only:
            query += " WHERE status IN ('ok', 'failed', 'timeout')"
        rows = self._db.execute(query + " ORDER BY id").fetchall()
        return [Trial(r[0], r[1], json.loads(r[2]), json.loads(r[3]), r[4], r[5], r[6],
                      None if r[7] is None else bool(r[7]), r[8], r[9], r[10], r[11], r[12])
                for r in rows]

    def documents(self, trial_id: int) -> list[dict[str, Any]]:
        """The results documents of one trial (one per repeat)."""
        row = self._db.execute("SELECT result FROM trials WHERE id=?", (trial_id,)).fetchone()
        if row is None or row[0] is None:
            return []
        docs: list[dict[str, Any]] = json.loads(row[0])
        return docs

    def best(self, *, maximize: bool) -> Trial | None:
        """The best finished feasible trial (or the best finished one if none is feasible)."""
        done = [t for t in self.trials(finished_only=True) if t.value is not None]
        if not done:
            return None
        feasible = [t for t in done if t.feasible] or done
        key = (lambda t: t.value) if maximize else (lambda t: -(t.value or 0.0))
        return max(feasible, key=key)

    def __iter__(self) -> Iterator[Trial]:
        return iter(self.trials())
