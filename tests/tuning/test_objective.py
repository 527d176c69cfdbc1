"""Objective expressions: parsing, reading documents, constraints and penalties."""

import math

import pytest

from surge.config.params import ConfigError
from surge.tuning import parse_objective

DOC = {"metrics": {
    "throughput": {"kind": "rate", "total": 1.5e9, "by_role": {"gateway": 1.5e9}},
    "chunk_latency": {"kind": "distribution", "total": 10.0, "count": 10, "p50": 900_000.0,
                      "p99": 2_500_000.0, "max": 3e6, "by_role": {"gateway": 10.0}},
    "rxbusy": {"kind": "percent", "total": 40.0, "by_role": {"server": 40.0}},
}}


class TestParse:
    def test_maximize_metric(self) -> None:
        """'maximize throughput' reads the metric's total."""
        obj = parse_objective("maximize throughput")
        assert obj.maximize and str(obj.quantity) == "throughput"
        assert obj.evaluate(DOC) == (1.5e9, 1.5e9, True)

    def test_field_and_role(self) -> None:
        """metric.field reads a distribution field; metric.role reads by_role."""
        assert parse_objective("minimize chunk_latency.p99").evaluate(DOC)[0] == 2_500_000.0
        assert parse_objective("minimize rxbusy.server").evaluate(DOC)[0] == 40.0

    def test_constraint_with_units(self) -> None:
        """A bound with a unit is converted: 2ms is 2,000,000 ns."""
        obj = parse_objective("Maximize throughput  subject to chunk_latency.p99 <= 2ms "
                              "and rxbusy.server < 90")
        assert [str(c) for c in obj.constraints] == ["chunk_latency.p99 <= 2e+06",
                                                     "rxbusy.server < 90"]

    @pytest.mark.parametrize(("expr", "needle"), [
        ("throughput", "must start with 'maximize' or 'minimize'"),
        ("maximize", "must start with"),
        ("maximize throughput subject to chunk_latency.p99 2ms", "needs one of"),
        ("maximize throughput subject to chunk_latency.p99 <= soon", "cannot read the bound"),
        ("maximize through put!", "cannot read"),
    ])
    def test_bad_expressions_explain(self, expr: str, needle: str) -> None:
        """A malformed expression raises ConfigError saying what is expected."""
        with pytest.raises(ConfigError, match=needle):
            parse_objective(expr)

    def test_unknown_metric_lists_known(self) -> None:
        """An unknown metric name is reported with the model's metrics."""
        obj = parse_objective("maximize goodput")
        with pytest.raises(ConfigError, match=r"unknown metric 'goodput'.*throughput"):
            obj.validate(set(DOC["metrics"]))
        with pytest.raises(KeyError, match="no field 'p42'"):
            parse_objective("minimize chunk_latency.p42").evaluate(DOC)


class TestPenalty:
    def test_violated_bound_is_penalized_below_feasible(self) -> None:
        """p99 2.5ms > 2ms: infeasible; told value = y - (|y|+1)(1 + 10 * 0.25) < 0."""
        obj = parse_objective("maximize throughput subject to chunk_latency.p99 <= 2ms")
        value, told, feasible = obj.evaluate(DOC)
        assert value == 1.5e9 and not feasible
        assert told == pytest.approx(1.5e9 - (1.5e9 + 1) * (1 + 10 * 0.25))
        assert told < 0

    def test_minimize_penalty_adds(self) -> None:
        """When minimizing, the penalty is added."""
        obj = parse_objective("minimize chunk_latency.p99 subject to throughput >= 2e9")
        value, told, feasible = obj.evaluate(DOC)
        assert not feasible and told > value

    def test_missing_value_is_nan(self) -> None:
        """A null statistic (no samples) gives NaN, told as a failure."""
        doc = {"metrics": {"chunk_latency": {"total": 0.0, "p99": None}}}
        value, told, feasible = parse_objective("minimize chunk_latency.p99").evaluate(doc)
        assert math.isnan(value) and math.isnan(told) and not feasible
