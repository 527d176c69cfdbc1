"""Model 1, storm: exact delivery and service times, pacing, the cap, busy %, contract."""

from __future__ import annotations

import csv
import io
from typing import Any, ClassVar

import pytest

from surge.models import ConfigError, get_model, run_model
from surge.testing import ModelContract

NO_JITTER = {"jitter": False}
#: trip (2 us) + floor(8 * 144 * 1e9 / 9.9e9) ns on the wire
ARRIVAL_NS = 2000 + 116


def trace_rows(**kwargs: object) -> list[list[str]]:
    """Run storm with a -vvv trace and return the trace rows (header dropped)."""
    out = io.StringIO()
    run_model("storm", trace=out, verbosity=3, **kwargs)  # type: ignore[arg-type]
    return list(csv.reader(io.StringIO(out.getvalue())))[1:]


class TestStormContract(ModelContract):
    model = "storm"
    params: ClassVar[dict[str, Any]] = {"send_interval_ns": "2us"}


class TestRegistry:
    def test_alias_and_name_are_the_same_model(self) -> None:
        """'1' and 'storm' resolve to the same model, with SURGE's description."""
        info = get_model("1")
        assert info is get_model("storm")
        assert "unidirectional storm of random events" in info.description

    def test_zero_interval_is_rejected(self) -> None:
        """A send interval of 0 ns would never advance time: ConfigError."""
        with pytest.raises(ConfigError, match="send_interval_ns"):
            run_model("1", time="10us", params={"send_interval_ns": 0})


class TestTiming:
    def test_event_arrives_at_trip_plus_serialization(self) -> None:
        """One gateway, one server, no jitter: the event arrives at exactly 2116 ns."""
        rows = trace_rows(gateways=1, servers=1, time="10us", params=NO_JITTER)
        sent = [r for r in rows if r[2] == "event-sent"]
        received = [r for r in rows if r[2] == "event-received"]
        assert [(int(r[0]), r[3], r[4]) for r in sent] == [(0, "I#01", "T#01")]
        assert [int(r[0]) for r in received] == [ARRIVAL_NS]

    def test_event_is_processed_one_service_time_later(self) -> None:
        """Served at 2116 + 1000 ns: a run to 3116 ns has 0 events, to 3117 ns one."""
        before = run_model("1", gateways=1, servers=1, time=ARRIVAL_NS + 1000,
                           params=NO_JITTER)
        after = run_model("1", gateways=1, servers=1, time=ARRIVAL_NS + 1001,
                          params=NO_JITTER)
        assert before["event"].total == 0 and before["rxbytes"].total == 144
        assert after["event"].total == 1
        rxwait = after["rxwait"].distribution
        assert rxwait is not None and rxwait.max == 0

    @pytest.mark.parametrize(("interval", "time", "sent"), [
        ("100us", "1ms", 10),  # 0, 100, ..., 900 us
        ("30us", "1ms", 34),  # ceil(1000 / 30)
        ("1us", "100us", 100),
    ])
    def test_paced_gateway_sends_ceil_t_over_interval(self, interval: str, time: str,
                                                      sent: int) -> None:
        """A gateway sends at 0, I, 2I, ... < T: exactly ceil(T / I) events."""
        r = run_model("1", gateways=2, servers=3, time=time,
                      params={"send_interval_ns": interval})
        assert r["txbytes"].per_node == {"I#01": 144 * sent, "I#02": 144 * sent}
        assert r["skipped"].total == 0


class TestQueue:
    def test_simultaneous_events_make_the_server_busy(self) -> None:
        """Two gateways hit one server at 2116 ns each round: busy 1 us per 100 us, 1 %."""
        r = run_model("1", gateways=2, servers=1, time="1ms", params=NO_JITTER)
        assert r["event"].total == 20
        assert r["rxchannelbusy"].per_node["T#01"] == pytest.approx(1.0)
        rxwait = r["rxwait"].distribution
        assert rxwait is not None
        assert (rxwait.min, rxwait.max, rxwait.mean) == (0, 1000, 500)

    def test_cap_makes_gateways_skip(self) -> None:
        """Cap 0 and a 1 ms service: a server is eligible only while empty, then skipped."""
        r = run_model("1", gateways=1, servers=2, time="50us",
                      params={**NO_JITTER, "queue_cap": 0, "service_ns": "1ms",
                              "send_interval_ns": "10us"})
        # t=0 and t=10us find an empty server (the first event arrives at 2116 ns,
        # the second at 12116 ns); from 20 us on both servers hold an event.
        assert r["txbytes"].total == 2 * 144
        assert r["skipped"].total == 3

    def test_storm_overload_fills_queues_to_the_cap(self) -> None:
        """Offered twice the service rate, queues fill to the cap, never beyond; gateways skip.

        Events in flight count in a server's load, so a server holds at most cap + 1 = 65
        events and no event waits more than 64 services of 1 us.
        """
        r = run_model("1", gateways=4, servers=2, time="300us",
                      params={"send_interval_ns": "1us"})
        assert r["skipped"].total > 0
        assert r["rxchannelbusy"].total > 90
        rxwait = r["rxwait"].distribution
        assert rxwait is not None and 60_000 < rxwait.max <= 64_000


class TestConservation:
    def test_bytes_received_never_exceed_sent(self) -> None:
        """rxbytes <= txbytes, the difference at most what is in flight."""
        r = run_model("1", gateways=5, servers=5, time="200us",
                      params={"send_interval_ns": "1us"})
        sent, received = r["txbytes"].total, r["rxbytes"].total
        assert 0 <= sent - received <= 5 * 5 * 144  # < 4 us in flight, one event per us
        assert r["event"].total <= received // 144
