"""``surge compare``: the plan, the table, the plots, one-line errors."""

import argparse
from pathlib import Path

import pytest

from surge.cli import compare
from surge.config.params import ConfigError


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    compare.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["compare", *argv])


class TestPlan:
    def test_the_full_plan_is_surge_bench_sh(self) -> None:
        """24 runs: models 5, 6, 7, 8 in six configurations, 10 ms or 40 ms, one seed."""
        specs = compare.plan()
        assert len(specs) == 24
        assert {s.model for s in specs} == {"5", "6", "7", "8"}
        times = {s.config.name: s.config.time_ns // 10**6 for s in specs}
        assert times == {"90x90-128K": 10, "90x90-16K": 10, "90x90-1M": 40,
                         "30x90-128K": 10, "30x90-16K": 40, "30x90-1M": 40}
        assert {s.seed for s in specs} == {1}

    def test_unknown_configuration_is_a_config_error(self) -> None:
        """A typo in --configs names the allowed configurations."""
        with pytest.raises(ConfigError, match="90x90-128K"):
            compare.plan(configs=["90x90-64K"])


class TestRun:
    def test_subset_writes_table_csv_and_plots(self, tmp_path: Path) -> None:
        """Two models, one configuration, 100 us: markdown, CSV and two PNGs."""
        code = compare.run(_args("--models", "5,7", "--configs", "30x90-16K", "--time",
                                 "100us", "--out", str(tmp_path), "-q"))
        assert code == 0
        table = (tmp_path / "compare.md").read_text()
        assert "| 30x90-16K | uch-ccpi | 5 |" in table
        assert "| 30x90-16K | replicast | 7 |" in table
        assert len((tmp_path / "compare.csv").read_text().splitlines()) == 3
        assert (tmp_path / "latency-cdf-30x90-16K.png").stat().st_size > 0
        assert (tmp_path / "throughput-30x90-16K.png").stat().st_size > 0

    def test_bad_time_is_a_config_error(self, tmp_path: Path) -> None:
        """--time must parse as a duration."""
        with pytest.raises(ConfigError, match="--time"):
            compare.run(_args("--time", "soon", "--out", str(tmp_path), "-q"))
