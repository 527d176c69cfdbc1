"""Model 4, pipeline: stage order, exact four-hop latency, the outstanding limit, contract."""

from __future__ import annotations

import csv
import io

from surge.models import get_model, run_model
from surge.models.tio_pipeline import PUT_PIPELINE
from surge.testing import ModelContract

NO_JITTER = {"jitter": False}
#: one hop: trip 2 us + floor(8 * 144 * 1e9 / 9.9e9) on the wire + 250 ns of service
HOP_NS = 2000 + 116 + 250


class TestPipelineContract(ModelContract):
    model = "pipeline"


class TestRegistry:
    def test_alias_and_name_are_the_same_model(self) -> None:
        """'4' and 'pipeline' resolve to the same model, with SURGE's description."""
        info = get_model("4")
        assert info is get_model("pipeline")
        assert "TIO pipeline in action" in info.description

    def test_stages_are_bound_to_handler_methods(self) -> None:
        """The four stages, in order, each holding its node class's method."""
        assert str(PUT_PIPELINE) == "PUT-REQ => PUT-REQ-ACK => PUT-XFER => PUT-XFER-ACK"
        handlers = [stage.handler.__qualname__ for stage in PUT_PIPELINE]
        assert handlers == ["_Server.on_put_request", "_Gateway.on_put_req_ack",
                            "_Server.on_put_xfer", "_Gateway.on_put_xfer_ack"]


class TestTio:
    def test_stage_order_and_nodes(self) -> None:
        """One tio runs PUT-REQ at the server, REQ-ACK at the gateway, and so on, one hop apart."""
        out = io.StringIO()
        run_model("4", gateways=1, servers=1, time="20us", trace=out, verbosity=3,
                  params={**NO_JITTER, "issue_interval_ns": "1ms"})
        rows = list(csv.reader(io.StringIO(out.getvalue())))[1:]
        stages = [(int(r[0]), r[3], r[4]) for r in rows if r[2] == "tio-stage"]
        assert stages == [
            (1 * HOP_NS, "T#01", "PUT-REQ"),
            (2 * HOP_NS, "I#01", "PUT-REQ-ACK"),
            (3 * HOP_NS, "T#01", "PUT-XFER"),
            (4 * HOP_NS, "I#01", "PUT-XFER-ACK"),
        ]
        done = [r for r in rows if r[2] == "tio-done"]
        assert len(done) == 1 and done[0][-2:] == ["latency", str(4 * HOP_NS)]

    def test_latency_is_four_hops_exactly(self) -> None:
        """No jitter, 1 x 1, one tio per us: all 91 tios done in 100 us take 9464 ns.

        Tio k starts at k us and completes at k us + 9464 ns < 100 us for k <= 90; the
        steps of successive tios never meet in a queue (arrivals 268 ns apart mod 1 us).
        """
        r = run_model("4", gateways=1, servers=1, time="100us", params=NO_JITTER)
        latency = r["tio_latency"].distribution
        assert latency is not None
        assert latency.min == latency.max == 4 * HOP_NS == 9464
        assert r["tio"].total == latency.count == 91
        assert r["rxchannelbusy"].total == 0

    def test_outstanding_limit_serializes_the_gateway(self) -> None:
        """Issue as fast as allowed with one tio per server: one at a time, 10 in 100 us."""
        r = run_model("4", gateways=1, servers=1, time="100us",
                      params={**NO_JITTER, "issue_interval_ns": 0,
                              "outstanding_per_server": 1})
        latency = r["tio_latency"].distribution
        assert latency is not None and latency.min == latency.max == 9464
        assert r["tio"].total == 100_000 // 9464

    def test_limit_scales_with_servers(self) -> None:
        """2 servers, 1 tio per server, no issue pause: two tios open at a time, never three."""
        r = run_model("4", gateways=1, servers=2, time="100us",
                      params={**NO_JITTER, "issue_interval_ns": 0,
                              "outstanding_per_server": 1})
        # one tio at a time completes 10 in 100 us; two at a time at most 2 * 100 us / 9464
        # (the two share the gateway's NIC and receive queue, so some rounds are longer)
        assert 100_000 // 9464 < r["tio"].total <= 2 * 100_000 // 9464

    def test_jitter_only_adds_latency(self) -> None:
        """With jitter each hop gains 1..trip ns: latency within [4 hops + 4, 4 hops + 8 us]."""
        r = run_model("4", gateways=3, servers=3, time="200us")
        latency = r["tio_latency"].distribution
        assert latency is not None
        assert latency.min >= 4 * HOP_NS + 4
        assert r["tio"].by_role["gateway"] == latency.count > 0


class TestConservation:
    def test_every_step_is_accounted_for(self) -> None:
        """Bytes received <= sent; a gateway serves two steps per completed tio, or more."""
        r = run_model("4", gateways=2, servers=3, time="100us")
        assert r["rxbytes"].total <= r["txbytes"].total
        events = r["event"].by_role
        assert events["gateway"] >= 2 * r["tio"].total
        assert r["rxbytes"].total // 144 >= r["event"].total
