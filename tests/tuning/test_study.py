"""The SQLite study journal."""

from pathlib import Path

import pytest

from surge.config.params import ConfigError
from surge.tuning import Study


class TestStudy:
    def test_round_trip(self, tmp_path: Path) -> None:
        """A trial journaled and finished reads back identically after reopening."""
        path = tmp_path / "s.db"
        study = Study(path)
        study.set_meta({"kind": "tune", "objective": "maximize value"})
        tid = study.start({"w": 4}, [4.0], seed=7)
        study.finish(tid, status="ok", value=2.5, told=2.5, feasible=True,
                     documents=[{"metrics": {"value": {"total": 2.5}}}], wall_s=0.1,
                     worker="h:1")
        study.close()
        again = Study(path)
        (trial,) = again.trials()
        assert (trial.id, trial.status, trial.params, trial.point, trial.seed) == (
            tid, "ok", {"w": 4}, [4.0], 7)
        assert (trial.value, trial.told, trial.feasible, trial.worker) == (2.5, 2.5, True,
                                                                          "h:1")
        assert again.documents(tid) == [{"metrics": {"value": {"total": 2.5}}}]
        assert again.meta == {"kind": "tune", "objective": "maximize value"}

    def test_abandon_running_and_best(self, tmp_path: Path) -> None:
        """Running trials of a killed run become abandoned; best skips infeasible ones."""
        study = Study(tmp_path / "s.db")
        a = study.start({"w": 1}, [1.0], 0)
        b = study.start({"w": 2}, [2.0], 0)
        c = study.start({"w": 3}, [3.0], 0)
        study.finish(a, status="ok", value=5.0, told=5.0, feasible=True)
        study.finish(b, status="ok", value=9.0, told=-10.0, feasible=False)
        assert study.abandon_running() == 1
        assert [t.status for t in study.trials()] == ["ok", "ok", "abandoned"]
        assert [t.id for t in study.trials(finished_only=True)] == [a, b]
        best = study.best(maximize=True)
        assert best is not None and best.id == a
        assert c not in {t.id for t in study.trials(finished_only=True)}

    def test_bad_status_and_bad_file(self, tmp_path: Path) -> None:
        """Unknown statuses are refused; a non-SQLite file is a one-line ConfigError."""
        study = Study(tmp_path / "s.db")
        tid = study.start({}, [], 0)
        with pytest.raises(ValueError, match="status must be one of"):
            study.finish(tid, status="weird")
        junk = tmp_path / "junk.db"
        junk.write_text("not a database" * 100)
        with pytest.raises(ConfigError, match="cannot open study file"):
            Study(junk)
