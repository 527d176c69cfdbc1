"""The optimizer-vs-field harness (benchmarks/versus.py) runs, caches and judges correctly.

Only the methods without optional dependencies (the ensemble and random search) run here,
on Branin with a tiny budget; the batch target is checked on a synthetic batch-study cache.
"""

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


@pytest.fixture(scope="module")
def versus(benchmark_module: Callable[[str], ModuleType]) -> ModuleType:
    return benchmark_module("versus")


def test_a_small_study_runs_caches_and_reports(versus: Any, tmp_path: Path) -> None:
    """Two methods, one seed: the cache holds both runs, the report has their rows."""
    cache, md = tmp_path / "v.json", tmp_path / "v.md"
    argv = ["--problems", "branin", "--methods", "random,ensemble", "--budgets", "20,30",
            "--seeds", "1", "--cache", str(cache), "--out-md", str(md),
            "--out-dir", str(tmp_path)]
    assert versus.main(argv) == 0
    runs = json.loads(cache.read_text())["runs"]
    assert set(runs) == {"branin|random|0", "branin|ensemble|0"}
    for run in runs.values():
        assert run["budget"] == 30
        regret_20, regret_30 = run["curve"]["20"][0], run["curve"]["30"][0]
        assert 0.0 <= regret_30 <= regret_20  # best-so-far never gets worse
    text = md.read_text()
    assert "| surge ensemble (k=5) |" in text and "| random search |" in text
    assert "## Targets of issue 7" in text
    # A second run finds everything cached and adds nothing.
    before = cache.read_text()
    assert versus.main(argv) == 0
    assert cache.read_text() == before


def test_batch_target_reads_the_batch_cache(versus: Any, tmp_path: Path) -> None:
    """Medians of q = 8 after 40 rounds and q = 1 after 300 rounds, with hit counts."""
    runs = {}
    for seed in range(3):
        # rows: [evaluations, regret, distance]
        runs[f"hartmann6|8|{seed}"] = {
            "problem": "hartmann6", "q": 8, "seed": seed,
            "rounds": [[8 * (i + 1), 1.0 if i < 39 else 0.01 * (seed + 1), 0.05]
                       for i in range(40)],
        }
        runs[f"hartmann6|1|{seed}"] = {
            "problem": "hartmann6", "q": 1, "seed": seed,
            "rounds": [[i + 1, 1e-3 * (seed + 1), 0.5 * seed] for i in range(300)],
        }
    path = tmp_path / "batch.json"
    path.write_text(json.dumps({"runs": runs}))
    par, seq, hits_par, hits_seq, n = versus._batch_target(path)
    assert par == pytest.approx(0.02) and seq == pytest.approx(2e-3)
    assert (hits_par, hits_seq, n) == ("3/3", "1/3", 3)
    assert versus._batch_target(tmp_path / "absent.json") is None


@pytest.mark.parametrize("argv", [["--problems", "nosuch"], ["--problems", "ackley:x"],
                                  ["--budgets", "100,a"], ["--methods", "bayes"]])
def test_bad_arguments_stop_with_a_usage_error(
    versus: Any, argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo stops at the boundary with exit code 2 and says what is allowed."""
    with pytest.raises(SystemExit) as stop:
        versus.main([*argv, "--report-only", "--cache", str(tmp_path / "c.json"),
                     "--out-md", str(tmp_path / "v.md"), "--out-dir", str(tmp_path)])
    assert stop.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_a_missing_peer_package_stops_before_any_run(
    versus: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without `cmaes` the run stops at once, names the package and how to install it."""
    monkeypatch.setattr(versus, "_importable", lambda module: module != "cmaes")
    cache = tmp_path / "c.json"
    with pytest.raises(SystemExit) as stop:
        versus.main(["--problems", "branin", "--methods", "random,cmaes", "--seeds", "1",
                     "--budgets", "10", "--cache", str(cache),
                     "--out-md", str(tmp_path / "v.md"), "--out-dir", str(tmp_path)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "cmaes: cmaes" in err and "pip install" in err
    assert not cache.exists()


def test_the_report_names_its_cache_and_links_plots_from_its_folder(
    versus: Any, tmp_path: Path
) -> None:
    """Plots in a subfolder are linked relative to the report, the cache named as given."""
    cache, md = tmp_path / "v.json", tmp_path / "v.md"
    assert versus.main(["--problems", "branin", "--methods", "random", "--budgets", "20",
                        "--seeds", "1", "--cache", str(cache), "--out-md", str(md),
                        "--out-dir", str(tmp_path / "plots")]) == 0
    text = md.read_text()
    assert f"from `{cache}`" in text
    assert "](plots/versus_branin.png)" in text
    assert (tmp_path / "plots" / "versus_branin.png").exists()
