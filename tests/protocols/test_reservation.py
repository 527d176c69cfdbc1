"""Replicast configuration, window selection and the proxy's mirror."""

import random

import pytest

from surge.config.params import ConfigError
from surge.protocols.reservation import (
    ProxyMirror,
    ReplicastParams,
    best_intersection,
    best_sequence,
    configure_replicast,
    replicast_servers,
)


class TestConfigure:
    def test_defaults_match_surge(self) -> None:
        """0.99/8.91 Gbit/s split: T_ctl 2,424, T_chunk 117,685, T_frame 8,080, W 166,159."""
        c = configure_replicast(ReplicastParams())
        assert (c.data_bps, c.ctl_bps) == (8_910_000_000, 990_000_000)
        assert (c.t_ctl, c.t_chunk, c.t_frame) == (2424, 117_685, 8080)
        assert (c.bid_window, c.min_duration) == (166_159, 125_765)
        assert (c.chunk_disk_ns, c.write_back_ns) == (312_500, 625_000)

    def test_model_8_multiplier(self) -> None:
        """110 % gives SURGE's 130,553 ns bid window."""
        c = configure_replicast(ReplicastParams(), bid_multiplier_pct=110)
        assert c.bid_window == 130_553

    def test_unicast_reservations_are_r_times_longer(self) -> None:
        """transport=unicast: multiplier 330 %, minduration x 3."""
        c = configure_replicast(ReplicastParams(), unicast=True)
        assert (c.bid_window, c.min_duration) == (118_685 * 330 // 100, 3 * 125_765)

    def test_window_is_never_shorter_than_minduration(self) -> None:
        """16 KiB chunks: the 140 % window is below T_chunk + T_frame and is raised."""
        c = configure_replicast(ReplicastParams(chunk_bytes=16 * 1024))
        assert c.bid_window == c.min_duration == 14_710 + 8080


class TestServerCount:
    @pytest.mark.parametrize(("asked", "expected"), [(10, 18), (20, 18), (9, 18), (27, 27)])
    def test_rounding_and_two_groups(self, asked: int, expected: int) -> None:
        """Down to a multiple of G; a single group becomes two; a note unless unchanged."""
        servers, note = replicast_servers(asked, 9, strict=False, model="m")
        assert servers == expected
        assert (note is None) == (asked == expected)

    def test_strict_config_refuses(self) -> None:
        """strict_config turns the adjustment into a one-line ConfigError."""
        with pytest.raises(ConfigError, match="strict_config"):
            replicast_servers(10, 9, strict=True, model="m")


class TestBestIntersection:
    def test_the_last_candidate_window_is_tried(self) -> None:
        """Only bids 1..3 of 0..3 overlap; SURGE's loop (k < n-R) never looked there."""
        w = [(0, 40), (10, 300), (20, 300), (30, 300)]
        assert best_intersection(w, 3, 100, 0) == (1, 30, 130)

    def test_every_right_edge_bounds_the_window(self) -> None:
        """R = 4: a short middle bid (10..50) spoils the run (SURGE ignored it)."""
        w = [(0, 500), (10, 50), (20, 500), (30, 500)]
        assert best_intersection(w, 4, 100, 0) is None

    def test_the_window_starts_no_earlier_than_the_accept(self) -> None:
        """begin = max(lefts, earliest_begin)."""
        assert best_intersection([(0, 500)] * 3, 3, 100, 77) == (0, 77, 177)

    def test_no_overlap_is_an_abort(self) -> None:
        """Three disjoint windows: None."""
        assert best_intersection([(0, 100), (200, 300), (400, 500)], 3, 50, 0) is None


class TestBestSequence:
    def test_back_to_back_windows(self) -> None:
        """Three windows of 100 ns, each starting where the previous ends."""
        w = [(0, 200), (95, 300), (180, 400), (400, 600)]
        assert best_sequence(w, 3, 100, 10) == [(0, 0, 100), (1, 100, 200), (2, 200, 300)]

    def test_a_bid_too_short_for_the_slot_is_skipped(self) -> None:
        """Bid 1 ends too early (120 - 100 < 100): bid 2 is taken at its own left edge."""
        assert best_sequence([(0, 200), (50, 120), (105, 300)], 2, 100, 10) == [
            (0, 0, 100), (2, 105, 205)]

    def test_a_gap_wider_than_max_gap_stops_the_scan(self) -> None:
        """The next bid starts 50 ns after the first window: bid 0 alone."""
        assert best_sequence([(0, 200), (150, 400)], 2, 100, 10) == [(0, 0, 100)]

    def test_select_idle_prefers_a_wider_bid_starting_soon_after(self) -> None:
        """No sequence: a wider bid within 2 * max_gap of bid 0 replaces it."""
        assert best_sequence([(0, 130), (15, 400)], 1, 100, 10) == [(1, 15, 115)]


class TestProxyMirror:
    def test_estimates_reservations_and_done(self) -> None:
        """Empty: write starts at E + T_chunk + trip; a reservation pushes the disk horizon."""
        cfg = configure_replicast(ReplicastParams())
        mirror = ProxyMirror(cfg, 9)
        assert mirror.estimate(0, 0) == (3424, 3424 + 117_685 + 1000)
        assert mirror.reserve(0, 5, 3424, 3424 + 166_159) == 169_583 + 312_500
        assert mirror.estimate(0, 0) == (170_583, 482_083)
        chosen, left = mirror.select(0, 3, random.Random(1))
        assert 0 not in chosen and len(set(chosen)) == 3 and left == 3424
        mirror.done(0, 5, 400_000)
        assert mirror.reserved_io_done[0] == 400_000 and not mirror.windows[0]

    def test_stale_last_window_is_clamped_to_now(self) -> None:
        """A window that ended long ago does not give a newleft in the past."""
        cfg = configure_replicast(ReplicastParams())
        mirror = ProxyMirror(cfg, 9)
        mirror.reserve(0, 5, 0, 100)
        assert mirror.estimate(10_000, 0)[0] == 10_000 + 3424
