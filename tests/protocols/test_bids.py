"""Server bid queues and the gateway bid queue, against hand-worked timelines.

Durations throughout: ``T_ctl`` 2 ns, trip 10 ns, bid window 100 ns, ``T_chunk`` 50 ns, so
a bid made at ``now`` cannot start before ``E = now + 2*2 + 10 = now + 14``.
"""

import pytest

from surge.protocols.bids import (
    Bid,
    BidState,
    BidTimings,
    DoubleBookingBidQueue,
    GatewayBidQueue,
    RegularBidQueue,
    SparseBidQueue,
)

T = BidTimings(t_ctl=2, trip=10, bid_window=100, t_chunk=50)
GW_A, GW_B, SRV = "I#01", "I#02", "T#01"


def windows(queue: RegularBidQueue | SparseBidQueue) -> list[tuple[int, int, int, str]]:
    return [(b.chunk_id, b.left, b.right, b.state.value) for b in queue.bids]


class TestRegularQueue:
    def _four(self) -> RegularBidQueue:
        q = RegularBidQueue(T)
        for chunk in (1, 2, 3, 4):
            q.create(0, chunk, GW_A, SRV)
        return q

    def test_create_appends_after_the_last_bid_and_extends_an_idle_bid(self) -> None:
        """The first bid on an idle queue gets 2*T_chunk more; the next follow one trip apart."""
        assert windows(self._four()) == [(1, 14, 214, "tent"), (2, 224, 324, "tent"),
                                          (3, 334, 434, "tent"), (4, 444, 544, "tent")]

    def test_disk_delay_pushes_the_left_edge_and_cancels_the_idle_extension(self) -> None:
        """A bid with a disk delay starts no earlier than now + delay; no idle extension."""
        q = RegularBidQueue(T)
        bid = q.create(0, 1, GW_A, SRV, disk_delay=60)
        assert (bid.left, bid.right) == (60, 160)

    def test_cancel_merges_canceled_neighbours(self) -> None:
        """Canceling bids 2 then 3 leaves one canceled window [224, 434] (bid 3 absorbs 2)."""
        q = self._four()
        q.cancel(0, 2)
        q.cancel(0, 3)
        assert windows(q) == [(1, 14, 214, "tent"), (3, 224, 434, "canc"),
                              (4, 444, 544, "tent")]
        assert q.canceled == 1

    def test_accept_trims_and_stretches_the_canceled_neighbour(self) -> None:
        """Accepting bid 1 as [20, 150] trims it; the canceled window after it starts at 150."""
        q = self._four()
        q.cancel(0, 2)
        q.cancel(0, 3)
        q.accept(5, 1, 20, 150)
        assert windows(q)[:2] == [(1, 20, 150, "acpt"), (3, 150, 434, "canc")]

    def test_uncancel_reuses_the_canceled_window(self) -> None:
        """A new request takes over a canceled window that still has room (un-cancel)."""
        q = self._four()
        q.cancel(0, 2)
        q.cancel(0, 3)
        q.accept(5, 1, 20, 150)
        bid = q.create(10, 5, GW_B, SRV)
        assert (bid.chunk_id, bid.left, bid.right, bid.state) == (5, 150, 434,
                                                                  BidState.TENTATIVE)
        assert q.canceled == 0 and bid.owner == GW_B

    def test_expire_drops_the_canceled_tail_and_stale_canceled_bids(self) -> None:
        """A canceled tail goes at once; a canceled bid with < W left goes once it starts."""
        q = RegularBidQueue(T)
        for chunk in (1, 2, 3):
            q.create(0, chunk, GW_A, SRV)
        q.cancel(0, 2)
        q.expire(100)
        assert [b.chunk_id for b in q.bids] == [1, 2, 3]
        q.expire(250)  # 262 > 224 and 324 - 262 = 62 < 100
        assert [b.chunk_id for b in q.bids] == [1, 3]
        q.cancel(250, 3)
        q.expire(250)
        assert [b.chunk_id for b in q.bids] == [1] and q.canceled == 0

    def test_warnings_count_stale_tentative_and_lingering_accepted_bids(self) -> None:
        """A tentative bid ending before now + T_chunk, an accepted bid past its right edge."""
        q = RegularBidQueue(T)
        q.create(0, 1, GW_A, SRV)
        q.create(0, 2, GW_A, SRV)
        q.accept(0, 1, 14, 114)
        q.expire(300)
        assert q.warnings == {"accepted-linger": 1, "timeout-waiting-accept": 1}

    def test_accept_outside_the_bid_is_an_error(self) -> None:
        """The accepted window must lie inside the bid."""
        q = RegularBidQueue(T)
        q.create(0, 1, GW_A, SRV)
        with pytest.raises(ValueError, match="not inside"):
            q.accept(0, 1, 10, 100)


class TestSparseQueue:
    def test_sparse_insertion_fills_the_first_wide_enough_gap(self) -> None:
        """[14,134] (idle +2 trips), [500,600] (asked for >= 500), then [144,244] between."""
        q = SparseBidQueue(T)
        q.create(0, 1, GW_A, SRV)
        q.create(0, 2, GW_A, SRV, rwin_left=500)
        q.create(0, 3, GW_B, SRV)
        assert windows(q) == [(1, 14, 134, "tent"), (3, 144, 244, "tent"),
                              (2, 500, 600, "tent")]

    def test_a_gap_narrower_than_a_window_is_skipped(self) -> None:
        """A gap of 99 ns before a bid is too small: the new bid goes after it."""
        q = SparseBidQueue(T)
        q.create(0, 1, GW_A, SRV, rwin_left=113)
        bid = q.create(0, 2, GW_B, SRV)
        assert (bid.left, bid.right) == (243, 343)

    def test_accept_trims_and_cancel_deletes(self) -> None:
        """Accept trims to the gateway's window; cancel removes the bid."""
        q = SparseBidQueue(T)
        q.create(0, 1, GW_A, SRV)
        q.create(0, 2, GW_B, SRV)
        assert q.accept(20, 1, 20, 120) == (None, BidState.ACCEPTED)
        q.cancel(20, 2)
        assert windows(q) == [(1, 20, 120, "acpt")]

    def test_one_chunk_cannot_hold_two_bids(self) -> None:
        """A second bid for the same chunk in one queue is refused."""
        q = SparseBidQueue(T)
        q.create(0, 1, GW_A, SRV)
        with pytest.raises(ValueError, match="second bid"):
            q.create(0, 1, GW_A, SRV)


class TestDoubleBooking:
    def _booked(self) -> DoubleBookingBidQueue:
        q = DoubleBookingBidQueue(T)
        q.create(0, 1, GW_A, SRV, rwin_left=200)  # [200, 320]
        q.create(5, 2, GW_B, SRV)  # 5 + 3*12 - 5 + 2*10 = 56 <= 200: double-book
        return q

    def test_a_young_tentative_bid_far_enough_ahead_is_double_booked(self) -> None:
        """Gateway B is offered gateway A's window [200, 300]."""
        q = self._booked()
        assert windows(q) == [(1, 200, 320, "tent"), (2, 200, 300, "tent")]
        assert q.double_bookings == 1

    def test_a_too_fresh_bid_is_not_double_booked(self) -> None:
        """A bid younger than T_ctl is not offered twice: the sparse policy applies."""
        q = DoubleBookingBidQueue(T)
        q.create(0, 1, GW_A, SRV, rwin_left=200)
        bid = q.create(1, 2, GW_B, SRV)
        assert (bid.left, q.double_bookings) == (15, 0)

    def test_a_window_opening_too_soon_is_not_double_booked(self) -> None:
        """If the late reject could not arrive before the window opens, no double booking."""
        q = DoubleBookingBidQueue(T)
        q.create(0, 1, GW_A, SRV, rwin_left=40)  # 5 + 36 - 5 + 20 = 56 > 40
        q.create(5, 2, GW_B, SRV)
        assert q.double_bookings == 0

    def test_accept_rejects_the_twin_late_and_its_accept_is_refused(self) -> None:
        """A accepts: B's booking is returned rejected; B's accept then finds it rejected."""
        q = self._booked()
        twin, state = q.accept(20, 1, 200, 300)
        assert state is BidState.ACCEPTED and twin is not None
        assert (twin.chunk_id, twin.state) == (2, BidState.REJECTED)
        assert q.accept(25, 2, 200, 300) == (None, BidState.REJECTED)
        assert windows(q) == [(1, 200, 300, "acpt")]

    def test_the_second_booking_may_win(self) -> None:
        """B accepts first: A's bid is the rejected twin."""
        q = self._booked()
        twin, _ = q.accept(20, 2, 200, 300)
        assert twin is not None and twin.chunk_id == 1
        assert q.remove_rejected(1) is twin

    def test_cancel_of_one_twin_leaves_the_other_alone(self) -> None:
        """A cancels: B's booking stands and is accepted without a reject."""
        q = self._booked()
        q.cancel(20, 1)
        assert q.accept(25, 2, 200, 300) == (None, BidState.ACCEPTED)


class TestGatewayQueue:
    def _bid(self, server: str, left: int, right: int, crtime: int = 0) -> Bid:
        return Bid(7, GW_A, server, crtime=crtime, left=left, right=right)

    def test_bids_are_kept_sorted_by_left_then_creation(self) -> None:
        """receive() inserts in (left, crtime) order and returns the count."""
        gq = GatewayBidQueue()
        gq.receive(self._bid("b", 30, 300))
        gq.receive(self._bid("a", 10, 300, crtime=5))
        assert gq.receive(self._bid("c", 10, 300, crtime=1)) == 3
        assert [b.server for b in gq.bids] == ["c", "a", "b"]

    def test_intersection_keeps_only_the_chosen_bids(self) -> None:
        """The last candidate run (bids 2..4 of 4) is found; the other bid is dropped."""
        gq = GatewayBidQueue()
        for server, left, right in (("a", 0, 40), ("b", 10, 300), ("c", 20, 300),
                                    ("d", 30, 300)):
            gq.receive(self._bid(server, left, right))
        found = gq.find_best_intersection(0, 3, 100, t_ctl=2)
        assert found is not None
        begin, end, chosen = found
        assert (begin, end, [b.server for b in chosen]) == (30, 130, ["b", "c", "d"])
        assert len(gq) == 3

    def test_sequence_trims_the_gateway_copies_only(self) -> None:
        """filter_best_sequence trims the gateway's copies; the server's bid is untouched."""
        server_bid = self._bid("a", 0, 200)
        gq = GatewayBidQueue()
        gq.receive(server_bid.copy())
        gq.receive(self._bid("b", 95, 300))
        out = gq.filter_best_sequence(2, 100, 10)
        assert [(b.server, left, right) for b, left, right in out] == [("a", 0, 100),
                                                                      ("b", 100, 200)]
        assert (server_bid.left, server_bid.right) == (0, 200)

    def test_reject_drops_a_server_bid(self) -> None:
        """A late reject removes that server's bid if the gateway still holds it."""
        gq = GatewayBidQueue()
        gq.receive(self._bid("a", 0, 200))
        assert gq.reject("a") is not None and gq.reject("a") is None
