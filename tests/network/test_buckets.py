"""Tests of surge.network.buckets: exact refill, the polling fix, AIMD, datagram, dummy."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surge.network import (
    AIMD_ADD_EVERY_BITS,
    AIMDBucket,
    DatagramBucket,
    DummyBucket,
    RateBucket,
    TokenBucket,
)
from surge.sim import GBPS, S, Simulation

RATE_9_9G = 9_900_000_000


def _poll_every_ns(sim: Simulation, bucket: TokenBucket, until: int) -> list[int]:
    """Poll the bucket at every ns from 1 to ``until``; return the values seen."""
    seen: list[int] = []
    for t in range(1, until + 1):
        sim.schedule_at(t, lambda _: seen.append(bucket.value))
    sim.run()
    return seen


class TestTokenBucket:
    """The token bucket's formulas."""

    def test_starts_full_and_use_takes_units(self) -> None:
        """A new bucket is full by default; use takes units only if they are there."""
        sim = Simulation()
        bucket = TokenBucket(sim, max_units=74_400, rate=RATE_9_9G)
        assert bucket.value == 74_400
        assert bucket.use(72_000)
        assert bucket.value == 2400
        assert not bucket.use(2401)
        assert bucket.value == 2400  # a refused use takes nothing
        assert bucket.use(2400)
        assert bucket.value == 0

    def test_refill_is_exact_and_clamped(self) -> None:
        """dt ns add rate*dt/1e9 units exactly, never beyond max_units."""
        sim = Simulation()
        bucket = TokenBucket(sim, max_units=74_400, rate=RATE_9_9G, value=0)
        sim.run(until=1001)
        assert bucket.value == 9909  # floor(9.9 * 1001) = floor(9909.9)
        assert bucket.level_nano_units == RATE_9_9G * 1001
        sim.run(until=10**6)
        assert bucket.value == 74_400

    def test_polling_every_ns_refills_at_the_true_rate(self) -> None:
        """Polled every ns at 9.9 Gbit/s, the bucket gains 9.9 bits/ns on average, not 9."""
        sim = Simulation()
        bucket = TokenBucket(sim, max_units=74_400, rate=RATE_9_9G, value=0)
        seen = _poll_every_ns(sim, bucket, 1000)
        assert seen[-1] == 9900
        assert seen == [RATE_9_9G * t // S for t in range(1, 1001)]
        # The reference's truncation on every poll would have given 9 bits per ns:
        surge_value = 0
        for _ in range(1000):
            surge_value += RATE_9_9G * 1 // S
        assert surge_value == 9000

    def test_use_after_polling_sees_the_exact_credit(self) -> None:
        """Fractions carried between polls add up: 4 ns at 2.5 bit/ns give exactly 10 bits."""
        sim = Simulation()
        bucket = TokenBucket(sim, max_units=100, rate=2_500_000_000, value=0)  # 2.5 bit/ns
        _poll_every_ns(sim, bucket, 3)
        assert bucket.value == 7  # 7.5 bits
        assert not bucket.use(8)
        sim.run(until=4)
        assert bucket.use(10)  # exactly 10.0 bits after 4 ns
        assert bucket.level_nano_units == 0

    def test_above_and_below(self) -> None:
        """above(u) is u <= value and below(u) is u > value."""
        bucket = TokenBucket(Simulation(), max_units=100, rate=0, value=40)
        assert bucket.above(40)
        assert not bucket.above(41)
        assert bucket.below(41)
        assert not bucket.below(40)

    def test_zero_rate_freezes_the_level(self) -> None:
        """At rate 0 the level does not change with time."""
        sim = Simulation()
        bucket = TokenBucket(sim, max_units=100, rate=0, value=10)
        sim.run(until=10**9)
        assert bucket.value == 10

    def test_set_rate_credits_the_old_rate_first(self) -> None:
        """Time before a rate change is credited at the old rate, time after at the new."""
        sim = Simulation()
        bucket = TokenBucket(sim, max_units=10**6, rate=GBPS, value=0)  # 1 unit/ns
        sim.run(until=100)
        bucket.set_rate(3 * GBPS)
        assert bucket.rate == 3 * GBPS
        sim.run(until=200)
        assert bucket.value == 100 + 300

    def test_time_until_is_the_first_sufficient_ns(self) -> None:
        """time_until(u) is ceil(missing/rate): at that ns use succeeds, one ns before not."""
        sim = Simulation()
        bucket = TokenBucket(sim, max_units=74_400, rate=RATE_9_9G, value=0)
        delay = bucket.time_until(9000)
        assert delay == 910  # 9000 / 9.9 = 909.09
        sim.run(until=909)
        assert bucket.below(9000)
        sim.run(until=910)
        assert bucket.time_until(9000) == 0
        assert bucket.use(9000)

    def test_time_until_never(self) -> None:
        """time_until is None beyond the capacity, or when a zero rate cannot refill."""
        bucket = TokenBucket(Simulation(), max_units=100, rate=0, value=10)
        assert bucket.time_until(101) is None
        assert bucket.time_until(11) is None
        assert bucket.time_until(10) == 0

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"max_units": 0}, "The 'max_units' parameter of TokenBucket must be an int > 0. "
                               "Got 0 instead."),
            ({"rate": -5}, "The 'rate' parameter of TokenBucket must be an int >= 0. "
                           "Got -5 instead."),
            ({"rate": 9.9e9}, "'rate' parameter of TokenBucket must be an int >= 0"),
            ({"value": 101}, "'value' parameter of TokenBucket must be an int >= 0 and "
                             "<= 100. Got 101 instead."),
        ],
    )
    def test_rejects_bad_arguments(self, kwargs: dict[str, object], message: str) -> None:
        """Constructor arguments out of range raise with the parameter, range and value."""
        args: dict[str, object] = {"max_units": 100, "rate": 1, **kwargs}
        with pytest.raises(ValueError, match=message.replace(".", r"\.")):
            TokenBucket(Simulation(), **args)  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", [-1, 1.5, "8"])
    def test_rejects_bad_units(self, bad: object) -> None:
        """use and time_until refuse units that are not ints >= 0."""
        bucket = TokenBucket(Simulation(), max_units=100, rate=1)
        with pytest.raises(ValueError, match=r"'units' parameter of TokenBucket\.use"):
            bucket.use(bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"'units' parameter of TokenBucket\.time_until"):
            bucket.time_until(bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"'rate' parameter of TokenBucket\.set_rate"):
            bucket.set_rate(-1)

    @given(
        ops=st.lists(
            st.tuples(st.integers(0, 20_000), st.integers(0, 100_000),
                      st.sampled_from(["use", "rate"])),
            max_size=40,
        ),
        rate=st.integers(0, 20 * GBPS),
        value=st.integers(0, 74_400),
    )
    @settings(max_examples=80, deadline=None)
    def test_matches_an_exact_model(self, ops: list[tuple[int, int, str]], rate: int,
                                    value: int) -> None:
        """Against an exact rational model: same use results, level in [0, max] always."""
        sim = Simulation()
        max_units = 74_400
        bucket = TokenBucket(sim, max_units=max_units, rate=rate, value=value)
        level, model_rate, now = Fraction(value), rate, 0
        for dt, amount, op in ops:
            now += dt
            sim.run(until=now)
            level = min(Fraction(max_units), level + Fraction(model_rate * dt, S))
            if op == "use":
                expected = amount <= level
                assert bucket.use(amount) is expected
                if expected:
                    level -= amount
            else:
                bucket.set_rate(amount * 10**5)
                model_rate = amount * 10**5
            assert 0 <= bucket.level_nano_units <= max_units * S
            assert Fraction(bucket.level_nano_units, S) == level
            assert bucket.value == int(level)


class TestAIMDBucket:
    """Additive increase, multiplicative decrease."""

    def _bucket(self, sim: Simulation) -> AIMDBucket:
        return AIMDBucket(sim, min_rate=100, max_rate=250, max_units=1000, add_every_units=300)

    def test_starts_full_at_min_rate(self) -> None:
        """A new AIMD bucket is full, refilling at its minimum rate, with SURGE's defaults."""
        bucket = AIMDBucket(Simulation(), min_rate=GBPS, max_rate=10 * GBPS, max_units=74_400)
        assert (bucket.value, bucket.rate, bucket.divisor) == (74_400, GBPS, 2)
        assert bucket.units_to_increase == AIMD_ADD_EVERY_BITS == 74_400

    def test_additive_increase_every_period(self) -> None:
        """Each add_every_units used raises the rate by min_rate, capped at max_rate."""
        bucket = self._bucket(Simulation())
        assert bucket.use(200)
        assert (bucket.rate, bucket.units_to_increase) == (100, 100)
        assert bucket.use(100)
        assert (bucket.rate, bucket.units_to_increase) == (200, 300)
        assert bucket.use(300)
        assert bucket.rate == 250  # 300 capped at 250

    def test_one_increase_per_use(self) -> None:
        """A use of several periods' worth raises the rate once and restarts the count."""
        bucket = self._bucket(Simulation())
        assert bucket.use(900)
        assert (bucket.rate, bucket.units_to_increase) == (200, 300)

    def test_refused_use_does_not_count(self) -> None:
        """A use that fails neither takes units nor counts towards an increase."""
        bucket = self._bucket(Simulation())
        assert bucket.use(900)
        countdown = bucket.units_to_increase
        assert not bucket.use(200)
        assert bucket.units_to_increase == countdown

    def test_ding_divides_with_a_floor(self) -> None:
        """ding sets rate = max(rate // divisor, min_rate) and restarts the count."""
        bucket = self._bucket(Simulation())
        bucket.use(300)
        bucket.use(300)
        assert bucket.rate == 250
        bucket.use(200)
        bucket.ding()
        assert (bucket.rate, bucket.units_to_increase) == (125, 300)
        bucket.ding()
        assert bucket.rate == 100  # 62 floored at min_rate

    def test_rate_changes_credit_elapsed_time_first(self) -> None:
        """Time before an increase or a ding is credited at the rate then in force."""
        sim = Simulation()
        bucket = AIMDBucket(sim, min_rate=GBPS, max_rate=4 * GBPS, max_units=100_000,
                            add_every_units=1000)
        assert bucket.use(100_000)  # the increase happens here: 2 units/ns from now
        assert bucket.rate == 2 * GBPS
        sim.run(until=100)
        bucket.ding()  # 100 ns at 2 units/ns are credited before dropping to 1 unit/ns
        sim.run(until=200)
        assert bucket.value == 200 + 100

    def test_set_rate_is_clamped(self) -> None:
        """set_rate keeps the rate within [min_rate, max_rate]."""
        bucket = self._bucket(Simulation())
        bucket.set_rate(10**6)
        assert bucket.rate == 250
        bucket.set_rate(0)
        assert bucket.rate == 100

    @pytest.mark.parametrize(
        ("kwargs", "param"),
        [({"min_rate": 0}, "min_rate"), ({"max_rate": 50}, "max_rate"),
         ({"divisor": 1}, "divisor"), ({"add_every_units": 0}, "add_every_units")],
    )
    def test_rejects_bad_arguments(self, kwargs: dict[str, int], param: str) -> None:
        """Out-of-range AIMD parameters are refused with their name."""
        args = {"min_rate": 100, "max_rate": 250, "max_units": 1000, **kwargs}
        with pytest.raises(ValueError, match=f"'{param}' parameter of AIMDBucket"):
            AIMDBucket(Simulation(), **args)


class TestDatagramBucket:
    """One datagram at a time."""

    def test_next_time_is_now_plus_truncated_duration(self) -> None:
        """After use(u) the next use succeeds at now + floor(u*1e9/rate), not one ns before."""
        sim = Simulation()
        bucket = DatagramBucket(sim, rate=RATE_9_9G)
        assert bucket.above(72_000)
        assert bucket.use(72_000)
        assert bucket.next_ns == 7272  # floor(72000 / 9.9)
        sim.run(until=100)
        assert bucket.below(1)
        assert bucket.time_until(1) == 7172
        sim.run(until=7271)
        assert not bucket.use(1)
        sim.run(until=7272)
        assert bucket.time_until(1) == 0
        assert bucket.use(8)
        assert bucket.next_ns == 7272 + 0  # floor(8 / 9.9) = 0 ns

    def test_set_rate_applies_to_the_next_datagram(self) -> None:
        """A rate change keeps the current datagram's time and paces the next ones."""
        sim = Simulation()
        bucket = DatagramBucket(sim, rate=GBPS)
        bucket.use(1000)
        bucket.set_rate(2 * GBPS)
        assert (bucket.next_ns, bucket.rate) == (1000, 2 * GBPS)
        sim.run(until=1000)
        bucket.use(1000)
        assert bucket.next_ns == 1500

    def test_rejects_bad_rate(self) -> None:
        """The rate must be an int > 0."""
        with pytest.raises(ValueError, match=r"'rate' parameter of DatagramBucket must be an "
                                             r"int > 0\. Got 0 instead\."):
            DatagramBucket(Simulation(), rate=0)


class TestDummyBucket:
    """The bucket that always allows."""

    def test_always_allows(self) -> None:
        """use and above are always true, below false, time_until 0; the rate is fixed."""
        bucket: RateBucket = DummyBucket(rate=RATE_9_9G)
        assert bucket.use(10**12)
        assert bucket.above(10**12)
        assert not bucket.below(10**12)
        assert bucket.time_until(10**12) == 0
        bucket.set_rate(1)
        assert bucket.rate == RATE_9_9G
        assert repr(bucket) == "<DummyBucket rate 9900000000/s>"
