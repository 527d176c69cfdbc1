"""The surge command: listing, running, JSON output and one-line errors."""

import json
import sys
from pathlib import Path

import pytest

from surge.cli.main import main
from surge.stats import RunResult

cli_main = sys.modules["surge.cli.main"]  # the module, whatever the package re-exports


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


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _fake_plot_run(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Path]]:
    """Replace the CLI's plot_run by a recorder (the real one is tested once, above all)."""
    calls: list[tuple[str, Path]] = []

    def fake(result: RunResult, out_dir: Path) -> list[Path]:
        calls.append((result.model, out_dir))
        return [out_dir / f"{result.model}-fake.png"]

    monkeypatch.setattr(cli_main, "plot_run", fake)
    return calls


class TestSummaryAndPlots:
    def test_plot_and_surge_summary(self, capsys: pytest.CaptureFixture[str],
                                    tmp_path: Path) -> None:
        """`--plot DIR --summary surge` writes the PNGs, prints SURGE's text and the paths."""
        out_dir = tmp_path / "plots" / "run1"
        code, out, err = _run(capsys, "run", "3", "--time", "50us", "--plot", str(out_dir),
                              "--summary", "surge")
        assert code == 0, err
        names = sorted(p.name for p in out_dir.iterdir())
        assert names == ["ping-pong-busy.png", "ping-pong-rtt-cdf.png",
                         "ping-pong-throughput.png"]
        for name in names:
            assert (out_dir / name).read_bytes().startswith(PNG_SIGNATURE)
            assert f"wrote {out_dir / name}" in out
        assert "pings:\n    gateway total: " in out
        assert "    gateway [#01-#10] (ping/s):" in out
        assert "nic_busy(%):\n    (gateways, servers) average nic_busy(%): (" in out
        assert "distributions" not in out  # no rich table with --summary surge

    def test_summary_both(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`--summary both` prints the rich tables and then SURGE's text."""
        code, out, _ = _run(capsys, "run", "3", "--time", "20us", "--gateways", "2",
                            "--servers", "2", "--summary", "both")
        assert code == 0
        assert "distributions" in out
        assert out.index("distributions") < out.index("txbytes:\n    gateway total:")

    def test_default_is_the_table(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Without --summary the report is the rich table only, as before."""
        code, out, _ = _run(capsys, "run", "3", "--time", "20us", "--gateways", "2",
                            "--servers", "2")
        assert code == 0
        assert "distributions" in out and "gateway total:" not in out

    def test_json_stdout_keeps_summary_on_stderr(self, capsys: pytest.CaptureFixture[str]
                                                 ) -> None:
        """With `--json -` stdout is only the document; SURGE's text goes to stderr."""
        code, out, err = _run(capsys, "run", "3", "--time", "20us", "--json", "-",
                              "--summary", "surge")
        assert code == 0
        assert json.loads(out)["model"] == "ping-pong"
        assert "pings:" in err

    def test_quiet_plots_silently(self, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """`-q --plot DIR` still plots the run into DIR and prints nothing."""
        calls = _fake_plot_run(monkeypatch)
        code, out, err = _run(capsys, "run", "3", "--time", "20us", "--gateways", "1",
                              "--servers", "1", "--plot", str(tmp_path), "-q",
                              "--summary", "surge")
        assert code == 0
        assert out == "" and err == ""
        assert calls == [("ping-pong", tmp_path)]

    def test_unwritable_plot_dir(self, capsys: pytest.CaptureFixture[str],
                                 tmp_path: Path) -> None:
        """A --plot path that cannot be a directory: one line, exit 2, before the run."""
        blocker = tmp_path / "file"
        blocker.write_text("x")
        code, out, err = _run(capsys, "run", "3", "--plot", str(blocker / "plots"))
        assert code == 2
        assert out == ""
        assert len(err.strip().splitlines()) == 1
        assert "--plot" in err and "Traceback" not in err

    def test_missing_matplotlib(self, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """Without matplotlib, --plot is a one-line error naming surge[plots]."""
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        code, _, err = _run(capsys, "run", "3", "--plot", str(tmp_path / "p"))
        assert code == 2
        assert "pip install 'surge[plots]'" in err
        assert len(err.strip().splitlines()) == 1
        assert not (tmp_path / "p").exists()


class TestDemo:
    def test_writes_nothing(self, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """`surge demo` (simulation part) writes no file unless --plot asks for plots."""
        monkeypatch.chdir(tmp_path)
        monkeypatch.setattr(cli_main, "_optimize_cli", lambda: None)
        code, out, _ = _run(capsys, "demo", "--quick")
        assert code == 0 and "uch-aimd" in out
        assert list(tmp_path.iterdir()) == []
        calls = _fake_plot_run(monkeypatch)
        code, out, _ = _run(capsys, "demo", "--quick", "--plot", "plots")
        assert code == 0
        assert calls == [("uch-aimd", Path("plots"))]
        assert "wrote plots/uch-aimd-fake.png" in out


SWEEP_B = ("run", "b", "--gateways", "1", "--servers", "1", "--time", "2ms")


class TestSweep:
    def test_table_one_row_per_value(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`--sweep window=1,2,4` runs b three times and prints one row per window."""
        code, out, err = _run(capsys, *SWEEP_B, "--sweep", "window=1,2,4")
        assert code == 0, err
        assert "sweep of window" in out
        rows = [line for line in out.splitlines() if line.startswith("│")]
        assert [row.split("│")[1].strip() for row in rows] == ["1", "2", "4"]
        assert "420.89us" in rows[0]  # w = 1: one write alone, to the ns

    def test_json_document_on_stdout(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`--json -` writes the sweep document (points and every run); the table goes to
        stderr."""
        code, out, err = _run(capsys, *SWEEP_B, "--sweep", "window=1..4:x2", "--json", "-")
        assert code == 0
        doc = json.loads(out)
        assert doc["schema"] == "surge.sweep/1" and doc["param"] == "window"
        assert [p["value"] for p in doc["points"]] == ["1", "2", "4"]
        assert [r["params"]["window"] for r in doc["runs"]] == [1, 2, 4]
        assert doc["points"][0]["p50"] == 420_890.0
        assert "sweep of window" in err

    def test_csv_and_plots(self, capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """`--csv F --plot DIR` writes the table as CSV and the sweep's curves into DIR."""
        calls: list[tuple[str, Path]] = []

        def fake(data: object, out_dir: Path) -> list[Path]:
            calls.append((getattr(data, "param", ""), out_dir))
            return [out_dir / "fake.png"]

        monkeypatch.setattr(cli_main, "plot_sweep", fake)
        table = tmp_path / "sweep.csv"
        code, out, _ = _run(capsys, *SWEEP_B, "--sweep", "interleave=round-robin,random",
                            "--set", "window=2", "--csv", str(table), "--plot",
                            str(tmp_path / "p"))
        assert code == 0
        assert calls == [("interleave", tmp_path / "p")]
        assert f"wrote {tmp_path / 'p' / 'fake.png'}" in out
        assert table.read_text().splitlines()[0].startswith("interleave,throughput,")

    @pytest.mark.parametrize(("extra", "needle"), [
        (["--sweep", "window=8..1"], "must go upwards"),
        (["--sweep", "windw=1,2"], "Did you mean 'window'"),
        (["--sweep", "window=1,0"], "must be an int >= 1"),
        (["--sweep", "window"], "NAME=SPEC"),
        (["--sweep", "window=1,2", "--set", "window=4"], "keep one"),
        (["--sweep", "window=1,2", "--trace", "t.csv"], "cannot be combined with --sweep"),
        (["--sweep", "window=1,2", "--summary", "surge"], "the sweep table"),
    ])
    def test_one_line_errors_before_any_run(self, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch,
                                            extra: list[str], needle: str) -> None:
        """A bad sweep is a one-line error (exit 2) raised before the first run."""
        def no_run(*args: object, **kwargs: object) -> None:
            raise AssertionError("a run started")

        monkeypatch.setattr(cli_main, "run_model", no_run)
        code, _, err = _run(capsys, *SWEEP_B, *extra)
        assert code == 2
        assert needle in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
