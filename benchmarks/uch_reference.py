"""Models 5 and 6 at the Go reference configurations (10 x 10, 1 ms and 2 ms), five seeds.

Prints the numbers compared with the Go runs in ``docs/models/uch.md``.
Usage: ``python benchmarks/uch_reference.py``.
"""

from surge.models import run_model

CASES = (("5", "1ms"), ("6", "1ms"), ("6", "2ms"))
SEEDS = (1, 2, 3, 4, 5)


def main() -> None:
    """Run every case and seed and print one line each."""
    for model, time in CASES:
        for seed in SEEDS:
            r = run_model(model, gateways=10, servers=10, time=time, seed=seed)
            d = r["chunk_latency"].distribution
            latency = f"{d.min / 1e3:.0f}-{d.max / 1e3:.0f}us" if d and d.count else "-"
            seconds = r.sim_time_ns / 1e9
            tx = r["txbytes"].by_role["gateway"] / seconds / 2**30
            extra = {k: int(r[k].total) for k in ("dings", "rerates") if k in r.metrics}
            print(f"model {model} {time} seed {seed}: chunks {r['chunk'].total:.0f} replicas "
                  f"{r['replica'].total:.0f} latency {latency} rxbusy {r['rxbusy'].total:.1f}% "
                  f"diskbusy {r['diskbusy'].total:.1f}% disk-frame-bufs "
                  f"{r['disk-frame-bufs'].total:.1f} gateway tx {tx:.2f}GiB/s {extra}")


if __name__ == "__main__":
    main()
