"""What averages hide: the round-trip tail of ping-pong when server NICs get busy.

Runs SURGE's model 3 twice on the same 20 x 5 cluster: with small pongs the mean and the
p99.9 round trip are close; with 8 KiB pongs the server NICs queue replies FIFO and the
tail pulls away from the mean. Run: ``python examples/ping_pong_tail.py``.
"""

from surge.models import run_model
from surge.sim.units import format_duration


def main() -> None:
    for reply in ("144B", "8KiB"):
        result = run_model("ping-pong", gateways=20, servers=5, time="500us", seed=1,
                           params={"reply_bytes": reply, "window": 2})
        rtt = result["rtt"].distribution
        assert rtt is not None
        print(f"pong {reply:>5}: {result['pings'].total:6d} pings, "
              f"mean {format_duration(round(rtt.mean))}, p50 {format_duration(round(rtt.p50))},"
              f" p99.9 {format_duration(round(rtt.p999))}, "
              f"server NIC busy {result['nic_busy'].by_role['server']:.1f}%")


if __name__ == "__main__":
    main()
