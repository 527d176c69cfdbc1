"""The surge command: listing, running, JSON output and one-line errors."""

import json
from pathlib import Path

import pytest

from surge.cli.main import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


class TestModels:
    def test_lists_models_with_aliases(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`surge models` prints every model's name, alias and description."""
        code, out, _ = _run(capsys, "models")
        assert code == 0
        assert "ping-pong" in out and "ping-pong with a random target" in out

    def test_shows_parameters(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`surge models 3` lists the parameters with units and defaults."""
        code, out, _ = _run(capsys, "models", "3")
        assert code == 0
        assert "request_bytes" in out and "144B" in out


class TestRun:
    def test_json_to_stdout(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`--json -` writes the results document to stdout, the report to stderr."""
        code, out, err = _run(capsys, "run", "3", "--gateways", "2", "--servers", "3",
                              "--time", "50us", "--json", "-")
        assert code == 0
        doc = json.loads(out)
        assert doc["model"] == "ping-pong" and doc["sim_time_ns"] == 50_000
        assert doc["metrics"]["rtt"]["count"] > 0
        assert "rtt" in err

    def test_trace_file_is_csv_with_time_first(self, capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
        """`--trace F -vv` writes CSV lines whose first column is simulated time in ns."""
        trace = tmp_path / "t.csv"
        code, _, _ = _run(capsys, "run", "ping-pong", "--time", "20us", "--trace", str(trace),
                          "-vv", "-q", "--set", "jitter=false", "--gateways", "1",
                          "--servers", "1")
        assert code == 0
        lines = trace.read_text().splitlines()
        assert lines[0] == "t_ns,level,event,fields"
        assert lines[1].startswith("0,2,ping-sent,I#01,T#01,1")
        assert lines[2].startswith("4232,2,pong-received,I#01,T#01,1")


class TestErrors:
    @pytest.mark.parametrize(("argv", "needle"), [
        (["run", "nosuch"], "unknown model 'nosuch'"),
        (["run", "3", "--set", "windw=2"], "Did you mean 'window'"),
        (["run", "3", "--set", "request_bytes=-5"], "must be an int >= 1"),
        (["run", "3", "--time", "10 parsecs"], "ns, us, ms, s"),
        (["run", "3", "--gateways", "-1"], "'gateways' argument must be an int"),
        (["run", "3", "--set", "novalue"], "name=value"),
        (["frobnicate"], "invalid choice"),
    ])
    def test_one_line_error_exit_2(self, capsys: pytest.CaptureFixture[str], argv: list[str],
                                   needle: str) -> None:
        """Bad input gives exit code 2 and a single stderr line naming the problem."""
        code, _, err = _run(capsys, *argv)
        assert code == 2
        assert needle in err
        assert len(err.strip().splitlines()) == 1
        assert "Traceback" not in err
