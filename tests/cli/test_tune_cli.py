"""`surge tune`, `surge sweep` and `surge study show` from the command line."""

from pathlib import Path

import pytest

from surge.cli.main import main

PING = ["3", "--gateways", "2", "--servers", "3", "--time", "50us"]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


class TestTune:
    def test_tune_journals_and_study_show_reads_it(self, capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
        """A tiny tune writes its study; `study show` lists the best points and plots."""
        db = tmp_path / "t.db"
        code, out, _ = _run(capsys, "tune", *PING, "--param", "window=1:3:int",
                            "--objective", "maximize pings", "--budget", "4",
                            "--study", str(db))
        assert code == 0 and "best:" in out and db.exists()
        code, out, _ = _run(capsys, "study", "show", str(db), "--plot", str(tmp_path))
        assert code == 0 and "4 finished of 4 trials" in out
        assert (tmp_path / "t-convergence.png").stat().st_size > 1000

    @pytest.mark.parametrize(("argv", "needle"), [
        (["tune", *PING, "--param", "window=1:3:int", "--objective", "maximise pings",
          "--budget", "3"], "must start with 'maximize' or 'minimize'"),
        (["tune", *PING, "--param", "windw=1:3:int", "--objective", "maximize pings",
          "--budget", "3"], "no parameter 'windw'"),
        (["tune", *PING, "--param", "window=3:1", "--objective", "maximize pings",
          "--budget", "3"], "low must be < high"),
        (["study", "show", "/nonexistent/x.db"], "no study file"),
    ])
    def test_errors_are_one_line(self, capsys: pytest.CaptureFixture[str], argv: list[str],
                                 needle: str) -> None:
        """Bad tune input: one stderr line naming the problem, exit 2."""
        code, _, err = _run(capsys, *argv)
        assert code == 2 and needle in err
        assert len(err.strip().splitlines()) == 1


class TestSweep:
    def test_grid_table(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A 1-D grid prints one row per value with the model's metrics."""
        code, out, _ = _run(capsys, "sweep", *PING, "--grid", "window=1..3",
                            "--metric", "pings", "--metric", "rtt.p99")
        assert code == 0
        assert "sweep of ping-pong: 3 points" in out and "rtt.p99" in out

    def test_random_design(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--random N with --param ranges runs N points; mixing with --grid is refused."""
        code, out, _ = _run(capsys, "sweep", *PING, "--param", "window=1:3:int",
                            "--random", "3")
        assert code == 0 and "3 points" in out
        code, _, err = _run(capsys, "sweep", *PING, "--random", "3", "--grid", "window=1,2")
        assert code == 2 and "--random N takes --param ranges" in err
