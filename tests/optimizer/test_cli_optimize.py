"""Tests of surge.cli.optimize: the ``surge optimize`` subcommand and the demo."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from surge.cli import optimize


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="surge")
    sub = parser.add_subparsers(dest="command")
    optimize.add_parser(sub)
    return parser.parse_args(["optimize", *argv])


class TestBadInput:
    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            (["nope"], "unknown problem 'nope'; allowed values: ackley, branin"),
            (["hartmann6", "--budget", "5"], "--budget must be at least the pretraining size, 14"),
            (["hartmann6", "--networks", "0"], "--networks must be an integer >= 1"),
            (["michalewicz", "--dim", "3"], "--dim"),
            (["branin", "--noise", "-1"], "--noise must be a finite number >= 0"),
            (["branin", "--json", "/nonexistent/dir/x.json"], "does not exist"),
        ],
    )
    def test_one_line_error_exit_2(
        self, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Bad input gives exit code 2 and one stderr line naming the problem."""
        code = optimize.run(_parse(argv))
        err = capsys.readouterr().err
        assert code == 2
        assert err.count("\n") == 1
        assert err.startswith("surge optimize: error: ")
        assert message in err


class TestRun:
    def test_json_output(self, tmp_path: Path) -> None:
        """A small run writes the result and one history entry per evaluation."""
        out = tmp_path / "r.json"
        code = optimize.run(_parse(["branin", "--budget", "20", "--networks", "2", "--quiet",
                                    "--json", str(out)]))
        assert code == 0
        doc = json.loads(out.read_text())
        assert doc["problem"] == "branin" and doc["budget"] == 20
        assert len(doc["history"]) == 20
        assert doc["regret"] >= 0.0
        assert doc["distance"] == pytest.approx(min(
            ((doc["best_x"][0] - a) ** 2 + (doc["best_x"][1] - b) ** 2) ** 0.5
            for a, b in [(-3.14159265, 12.275), (3.14159265, 2.275), (9.42477796, 2.475)]
        ), rel=1e-6)

    def test_progress_and_table(self) -> None:
        """The interactive run prints the final table with the distance to the optimum."""
        buf = io.StringIO()
        console = Console(file=buf, width=120)
        optimize.run_demo(console, seed=1, quick=True)
        text = buf.getvalue()
        assert "Hartmann-6" in text
        assert "distance to the optimizer" in text
        assert "optimizer overhead per point" in text


def test_trainer_and_collaboration_flags(tmp_path: Path) -> None:
    """--trainer nes --collaboration fork-merge reach the optimizer and the JSON."""
    out = tmp_path / "r.json"
    code = optimize.run(_parse(["branin", "--budget", "30", "--networks", "2", "--quiet",
                                "--trainer", "nes", "--collaboration", "fork-merge",
                                "--json", str(out)]))
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["trainer"] == "nes" and doc["collaboration"] == "fork-merge"
    assert doc["collaboration_counts"]["forks"] >= 1
    assert len(doc["history"]) == 30


def test_coordinate_probes_flag(tmp_path: Path) -> None:
    """Probes are on by default; --no-coordinate-probes turns them off, and the JSON
    says which."""
    docs = []
    for extra in ([], ["--no-coordinate-probes"]):
        out = tmp_path / f"r{len(extra)}.json"
        code = optimize.run(_parse(["branin", "--budget", "20", "--networks", "2", "--quiet",
                                    *extra, "--json", str(out)]))
        assert code == 0
        docs.append(json.loads(out.read_text()))
    assert [d["coordinate_probes"] for d in docs] == [True, False]


def test_unknown_trainer_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        _parse(["branin", "--trainer", "sgd"])
    assert exc.value.code == 2
    assert "invalid choice: 'sgd'" in capsys.readouterr().err
