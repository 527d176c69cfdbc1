"""The study caches' code stamps (benchmarks/_cache.py): a cached run made by other
optimizer code is named, a docstring or comment edit is not a new version."""

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


@pytest.fixture(scope="module")
def cache_mod(benchmark_module: Callable[[str], ModuleType]) -> ModuleType:
    return benchmark_module("_cache")


def _tree(root: Path, body: str) -> Path:
    folder = root / "src/surge/optimizer"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "core.py").write_text(body, encoding="utf-8")
    (root / "src/surge/problems").mkdir(parents=True, exist_ok=True)
    return root


def test_docstrings_and_comments_do_not_change_the_version(
    cache_mod: Any, tmp_path: Path
) -> None:
    a = _tree(tmp_path / "a", '"""Module."""\n\ndef f(x):\n    """Doc."""\n    return x + 1\n')
    b = _tree(tmp_path / "b", '"""Other words."""\n\ndef f(x):  # a comment\n'
                               '    """Other doc."""\n    return x + 1\n')
    c = _tree(tmp_path / "c", '"""Module."""\n\ndef f(x):\n    """Doc."""\n    return x + 2\n')
    va, vb, vc = (cache_mod.code_version(r) for r in (a, b, c))
    assert va == vb
    assert va != vc
    assert len(va) == 12


def test_stale_runs_are_counted_and_named(
    cache_mod: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = cache_mod.stamp({"seed": 1})
    assert now["code"] == cache_mod.code_version()
    runs = [now, {"seed": 2}, {"seed": 3, "code": "0123456789ab"}]
    assert cache_mod.warn_stale(runs, tmp_path / "c.json") == 1
    err = capsys.readouterr().err
    assert "1 runs in" in err and "0123456789ab" in err
    assert cache_mod.warn_stale(runs[:2], tmp_path / "c.json") == 0
    assert capsys.readouterr().err == ""


def test_drop_stale_removes_only_runs_of_other_code(cache_mod: Any) -> None:
    runs = {
        "now": cache_mod.stamp({"method": "ensemble"}),
        "old": {"method": "ensemble", "code": "0123456789ab"},
        "peer": {"method": "tpe", "code": "0123456789ab"},
        "unstamped": {"method": "ensemble"},
    }
    dropped = cache_mod.drop_stale(runs, lambda run: run["method"] == "ensemble")
    assert dropped == ["old"]
    assert sorted(runs) == ["now", "peer", "unstamped"]
    assert cache_mod.drop_stale(runs) == ["peer"]
    assert sorted(runs) == ["now", "unstamped"]


def test_rerun_stale_measures_a_stale_run_again(
    benchmark_module: Callable[[str], ModuleType], cache_mod: Any, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    batch = benchmark_module("batch_study")
    cache = tmp_path / "batch.json"
    fake = {"problem": "branin", "q": 1, "seed": 1, "evaluations": 8,
            "rounds": [[8, 123.0, 9.0]], "code": "0123456789ab"}
    cache_mod.save_cache(cache, {"runs": {"branin|1|1": dict(fake)}})
    argv = ["--problems", "branin", "--qs", "1", "--seeds", "1", "--evaluations", "8",
            "--workers", "1", "--cache", str(cache), "--out-dir", str(tmp_path)]
    with pytest.raises(SystemExit) as exc:
        batch.main([*argv, "--report-only", "--rerun-stale"])
    assert exc.value.code == 2
    assert batch.main(argv) == 0  # kept as it is, with a warning that names the flag
    assert "--rerun-stale" in capsys.readouterr().err
    assert cache_mod.load_cache(cache)["runs"]["branin|1|1"] == fake
    assert batch.main([*argv, "--rerun-stale"]) == 0
    run = cache_mod.load_cache(cache)["runs"]["branin|1|1"]
    assert run["code"] == cache_mod.code_version()
    assert run["evaluations"] == 8
    assert run["rounds"][-1][1] < 123.0
