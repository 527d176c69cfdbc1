"""The tuning and sweep loops: better than defaults, failures, timeouts, resume after kill."""

import math
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from surge.config.params import ConfigError
from surge.tuning import ModelSystem, Study, sweep, tune

PING = ModelSystem("ping-pong", gateways=4, servers=4, time="100us", fixed={"jitter": "false"})


def _bowl(x: float) -> float:
    return -((x - 0.3) ** 2)


class TestTune:
    def test_model_tune_beats_the_defaults(self) -> None:
        """Tuning ping-pong's window for mean RTT beats the default window of 10."""
        result = tune(PING, ["window=1:10:int"], "minimize rtt.mean", budget=8, seed=1)
        baseline = result.trials[0]
        assert baseline.params == {"window": 10}
        assert result.best_value < baseline.value  # type: ignore[operator]
        assert result.best_params["window"] < 10

    def test_function_tune_finds_the_optimum(self) -> None:
        """A plain function works as the system: max of -(x-0.3)^2 found within 0.1."""
        result = tune(_bowl, {"x": (0.0, 1.0)}, "maximize value", budget=25, seed=2)
        assert abs(result.best_params["x"] - 0.3) < 0.1
        assert len(result.trials) == 25

    def test_failures_and_timeouts_are_recorded_and_the_run_goes_on(self) -> None:
        """An evaluation that raises is 'failed', one past the limit is 'timeout'."""

        def flaky(x: float) -> float:
            if x > 0.7:
                raise RuntimeError("boom")
            if x < 0.15:
                time.sleep(0.5)
            return x

        result = tune(flaky, {"x": (0.0, 1.0)}, "maximize value", budget=20, seed=3,
                      timeout_s=0.2)
        statuses = {t.status for t in result.trials}
        assert len(result.trials) == 20
        assert "failed" in statuses and "ok" in statuses
        failed = [t for t in result.trials if t.status == "failed"]
        assert all(t.error == "RuntimeError: boom" for t in failed)
        timed_out = [t for t in result.trials if t.status == "timeout"]
        assert all(t.params["x"] < 0.15 for t in timed_out)
        assert result.best_value <= 0.7

    def test_bad_input(self, tmp_path: Path) -> None:
        """Budget, unknown parameter and reuse of a study file are clear errors."""
        with pytest.raises(ConfigError, match="'budget' argument"):
            tune(PING, ["window=1:4:int"], "maximize pings", budget=0)
        with pytest.raises(ConfigError, match="no parameter 'windw' to tune"):
            tune(PING, ["windw=1:4:int"], "maximize pings", budget=2)
        path = tmp_path / "s.db"
        tune(PING, ["window=1:4:int"], "maximize pings", budget=2, study=path)
        with pytest.raises(ConfigError, match="already holds 2 trials"):
            tune(PING, ["window=1:4:int"], "maximize pings", budget=3, study=path)


class TestResume:
    def test_kill_and_resume_loses_nothing_and_repeats_nothing(self, tmp_path: Path) -> None:
        """SIGKILL mid-run, then --resume: earlier finished trials kept, budget met, no rerun."""
        path = tmp_path / "run.db"
        code = (
            "from surge.tuning import ModelSystem, tune\n"
            "s = ModelSystem('ping-pong', 4, 4, '300us')\n"
            f"tune(s, ['window=1:10:int', 'request_bytes=64:9000:int'], 'maximize pings',"
            f" budget=60, seed=4, study={str(path)!r})\n"
        )
        proc = subprocess.Popen([sys.executable, "-c", code])
        deadline = time.time() + 60
        finished_before: set[int] = set()
        while time.time() < deadline:
            time.sleep(0.2)
            if path.exists():
                try:
                    with sqlite3.connect(path) as db:
                        rows = db.execute("SELECT id FROM trials WHERE status='ok'").fetchall()
                except sqlite3.Error:
                    continue
                if len(rows) >= 6:
                    break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        study = Study(path)
        finished_before = {t.id for t in study.trials(finished_only=True)}
        params_before = {t.id: t.params for t in study.trials(finished_only=True)}
        study.close()
        assert 6 <= len(finished_before) < 60
        result = tune(ModelSystem("ping-pong", 4, 4, "300us"),
                      ["window=1:10:int", "request_bytes=64:9000:int"], "maximize pings",
                      budget=60, seed=4, study=path, resume=True)
        after = {t.id: t.params for t in result.trials}
        assert len(after) == 60
        assert finished_before <= set(after)
        assert all(after[i] == params_before[i] for i in finished_before)
        study = Study(path)
        statuses = [t.status for t in study.trials()]
        study.close()
        assert statuses.count("ok") + statuses.count("failed") == 60
        assert set(statuses) <= {"ok", "failed", "abandoned"}

    def test_resume_refuses_a_different_study(self, tmp_path: Path) -> None:
        """Resuming with another objective is refused (one line, what differs)."""
        path = tmp_path / "s.db"
        tune(PING, ["window=1:4:int"], "maximize pings", budget=2, study=path)
        with pytest.raises(ConfigError, match="its objective was"):
            tune(PING, ["window=1:4:int"], "minimize pings", budget=3, study=path,
                 resume=True)


class TestSweep:
    def test_grid_runs_every_point_once_and_resume_skips_done(self, tmp_path: Path) -> None:
        """A 2 x 2 grid journals 4 trials; resuming runs nothing again."""
        path = tmp_path / "g.db"
        grid = {"window": [1, 2], "request_bytes": [144, 8192]}
        result = sweep(PING, grid, study=path)
        assert sorted((t.params["window"], t.params["request_bytes"]) for t in result.trials) \
            == [(1, 144), (1, 8192), (2, 144), (2, 8192)]
        assert all(t.status == "ok" for t in result.trials)
        again = sweep(PING, grid, study=path, resume=True)
        assert len(again.trials) == 4
        assert [t.id for t in again.trials] == [t.id for t in result.trials]
        study = Study(path)
        docs = study.documents(result.trials[0].id)
        study.close()
        assert docs and docs[0]["model"] == "ping-pong"
        assert not math.isnan(docs[0]["metrics"]["pings"]["total"])

    def test_parallel_workers_give_the_same_results(self) -> None:
        """Two local worker processes give the same documents as one (same seeds)."""
        grid = {"window": [1, 2, 3]}
        one = sweep(PING, grid)
        two = sweep(PING, grid, workers=2)
        assert [t.status for t in two.trials] == ["ok"] * 3
        assert len(one.trials) == len(two.trials) == 3


class TestModelParams:
    def test_integer_model_parameters_get_whole_values(self) -> None:
        """A model's int parameter tuned over a float range is still given whole values."""
        result = tune(PING, ["trip_ns=500ns:3us"], "minimize rtt.mean", budget=4, seed=5)
        assert all(t.status == "ok" for t in result.trials)
        assert all(isinstance(t.params["trip_ns"], int) for t in result.trials)


class TestRandomDesign:
    def test_random_points_in_range_and_deterministic(self) -> None:
        """A random design stays inside the ranges, rounds ints, and repeats for a seed."""
        from surge.tuning import TuneSpace, parse_param, random_design

        space = TuneSpace([parse_param("window=1:8:int"),
                           parse_param("request_bytes=64:9000:int:log")])
        a = random_design(space, 6, seed=3)
        assert a == random_design(space, 6, seed=3) != random_design(space, 6, seed=4)
        assert all(1 <= p["window"] <= 8 and 64 <= p["request_bytes"] <= 9000 for p in a)
        assert all(isinstance(p["window"], int) for p in a)
        result = sweep(PING, points=a)
        assert len(result.trials) == 6 and all(t.status == "ok" for t in result.trials)

    def test_grid_or_points_not_both(self) -> None:
        """sweep needs exactly one of a grid and a list of points."""
        with pytest.raises(ConfigError, match="either a grid or a list"):
            sweep(PING, {"window": [1]}, points=[{"window": 2}])
