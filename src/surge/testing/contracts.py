"""The model contract: behaviour every registered model must show, checked on tiny runs.

A test module subclasses :class:`ModelContract` and sets ``model`` (and, if needed,
``params``, ``gateways``, ``servers``, ``time``); pytest then runs every check on it:

* the same seed gives identical metrics (bit for bit, timing fields aside);
* the run stops exactly at its end time and the clock never passes it;
* bytes sent equal bytes received plus bytes still in flight (when the model counts
  ``txbytes`` and ``rxbytes``): received never exceeds sent;
* every metric's interval series covers the whole run;
* every declared metric appears in the results document with its kind, scope and unit.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from surge.models import run_model
from surge.stats import RunResult

__all__ = ["ModelContract"]


class ModelContract:
    """Mix-in test class; set ``model`` in a subclass named ``Test...``."""

    model: ClassVar[str] = ""
    params: ClassVar[dict[str, Any]] = {}
    gateways: ClassVar[int] = 3
    servers: ClassVar[int] = 4
    time: ClassVar[str] = "100us"

    def _run(self, seed: int = 1) -> RunResult:
        return run_model(self.model, gateways=self.gateways, servers=self.servers,
                         time=self.time, seed=seed, params=self.params)

    @staticmethod
    def _doc(result: RunResult) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(result.to_json())
        doc.pop("wall_s")
        doc.pop("cpu_s")
        return doc

    def test_same_seed_same_metrics(self) -> None:
        """Two runs with the same seed produce the same results document."""
        assert self._doc(self._run(3)) == self._doc(self._run(3))

    def test_run_stops_at_end_time(self) -> None:
        """The run covers exactly the requested simulated time."""
        from surge.sim.units import parse_duration

        result = self._run()
        assert result.sim_time_ns == parse_duration(self.time)
        assert result.events > 0

    def test_bytes_are_conserved(self) -> None:
        """Bytes received never exceed bytes sent (the rest is in flight)."""
        result = self._run()
        if "txbytes" in result.metrics and "rxbytes" in result.metrics:
            assert 0 <= result["rxbytes"].total <= result["txbytes"].total

    def test_series_cover_the_run(self) -> None:
        """Every metric's interval series ends at the end of the run."""
        result = self._run()
        for metric in result.metrics.values():
            assert metric.series_t_ns[-1] == result.sim_time_ns, metric.name

    def test_metrics_are_documented(self) -> None:
        """Every metric in the document carries kind, scope and unit."""
        doc = self._doc(self._run())
        assert doc["metrics"], "a model must declare at least one metric"
        for name, entry in doc["metrics"].items():
            assert entry["kind"] and entry["scope"] and entry["unit"], name
