"""Model 1.1, storm-two-choices: the fixed comparison, the degenerate flag, timing, contract."""

from __future__ import annotations

import random
from typing import Any, ClassVar

import pytest

from surge.models import RunContext, build_params, get_model, run_model
from surge.sim import Simulation
from surge.stats import NodeInfo, NullTrace, StatsCollector
from surge.testing import ModelContract

NO_JITTER = {"jitter": False}


class ScriptedRandom(random.Random):
    """A random stream whose ``randrange`` returns scripted values, in order."""

    def __init__(self, *values: int) -> None:
        super().__init__(0)
        self.script = list(values)

    def randrange(self, *args: Any, **kwargs: Any) -> int:
        return self.script.pop(0)


def build(params: dict[str, Any], gateways: int = 1, servers: int = 3) -> Any:
    """Build (not run) a storm-two-choices model on a fresh simulation."""
    info = get_model("storm-two-choices")
    sim = Simulation(1)
    nodes = [NodeInfo(f"I#{i:02d}", "gateway") for i in range(1, gateways + 1)]
    nodes += [NodeInfo(f"T#{i:02d}", "server") for i in range(1, servers + 1)]
    ctx = RunContext(sim=sim, gateways=gateways, servers=servers,
                     stats=StatsCollector(sim, nodes, 1000), trace=NullTrace(),
                     end_ns=10**6)
    model = info.factory(ctx, build_params(info.params_type, params, info.name))
    model.build()
    return model


def chosen_server(degenerate: bool) -> str:
    """Rig queues T#01: 5 events, T#02: 2, T#03: 0; draws T#01 then T#02; who gets it?"""
    model = build({**NO_JITTER, "service_ns": "1ms", "degenerate_choice": degenerate})
    for server, depth in zip(model.servers, (5, 2, 0), strict=True):
        for _ in range(depth):
            server.rxq.push(server)
    model.gateways[0].rng = ScriptedRandom(0, 1)
    model.sim.run(until=10_000)
    received = {s.name: model.rxbytes.values[s.index] for s in model.servers}
    (name,) = [n for n, b in received.items() if b]
    return str(name)


class TestStormTwoChoicesContract(ModelContract):
    model = "storm-two-choices"
    params: ClassVar[dict[str, Any]] = {"send_interval_ns": "2us"}


class TestRegistry:
    def test_alias_and_name_are_the_same_model(self) -> None:
        """'1.1' and 'storm-two-choices' resolve to the same model, SURGE's description."""
        info = get_model("1.1")
        assert info is get_model("storm-two-choices")
        assert "with partially random selection" in info.description


class TestTwoChoices:
    def test_less_loaded_server_is_chosen(self) -> None:
        """The fixed comparison sends to the draw with the shorter queue (T#02, depth 2)."""
        assert chosen_server(degenerate=False) == "T#02"

    def test_degenerate_flag_keeps_the_first_draw(self) -> None:
        """degenerate_choice reproduces SURGE's always-first defect (T#01, depth 5)."""
        assert chosen_server(degenerate=True) == "T#01"

    def test_fix_shortens_waits_at_high_load(self) -> None:
        """At 90 % load the fixed choice waits far less than the degenerate one."""
        common = {"send_interval_ns": "1100ns"}
        fixed = run_model("1.1", gateways=10, servers=10, time="400us", params=common)
        old = run_model("1.1", gateways=10, servers=10, time="400us",
                        params={**common, "degenerate_choice": True})
        a, b = fixed["rxwait"].distribution, old["rxwait"].distribution
        assert a is not None and b is not None
        assert a.mean < 0.8 * b.mean
        assert a.max < b.max


class TestTiming:
    def test_event_arrives_after_trip_of_four_us(self) -> None:
        """No jitter: served at 4000 + 116 + 1000 ns; a run to 5116 ns has 0, to 5117 one."""
        before = run_model("1.1", gateways=1, servers=1, time=5116, params=NO_JITTER)
        after = run_model("1.1", gateways=1, servers=1, time=5117, params=NO_JITTER)
        assert (before["event"].total, after["event"].total) == (0, 1)

    @pytest.mark.parametrize("degenerate", [False, True])
    def test_paced_gateways_send_ceil_t_over_interval(self, degenerate: bool) -> None:
        """Each gateway sends ceil(T / I) events, whatever the choice rule."""
        r = run_model("1.1", gateways=3, servers=2, time="100us",
                      params={"send_interval_ns": "3us", "degenerate_choice": degenerate})
        assert r["txbytes"].per_node == dict.fromkeys(("I#01", "I#02", "I#03"), 144 * 34)
        assert 0 <= r["txbytes"].total - r["rxbytes"].total <= 3 * 3 * 144
