"""Bids and bid queues: the reservation machinery of SURGE's Replicast models (7, 8, 9, a).

What a bid is
-------------
A *bid* is a time window ``[left, right]`` (integer ns) during which a server reserves its
receive link (and buffer memory) for one gateway's chunk. ``left`` is the earliest time the
gateway may send the first byte; the server sees it one trip later. A server keeps its bids
in a queue and answers every put request with a new (or reused) one; the gateway collects
the bids of a negotiating group, picks some, and accepts them, which *trims* each chosen
bid to the window the gateway will really use. States: tentative -> accepted | canceled |
rejected; canceled -> tentative ("un-cancel", the regular queue only).

Three server policies (SURGE's ``bid.go``), each a class with the same small interface
(``create``, ``cancel``, ``accept``, ``remove``):

* :class:`RegularBidQueue` (model 7): bids appended in time order; a canceled bid stays,
  is merged with canceled neighbours, stretched towards an accepted neighbour, reused for a
  later request ("un-cancel") and expired when too little of it is left;
* :class:`SparseBidQueue` (models 8 and a): sorted by ``left``; canceled bids are deleted;
  a new bid goes into the first gap wide enough for a bid window;
* :class:`DoubleBookingBidQueue` (model 9): sparse, but a server may offer the window of a
  young tentative bid to a second gateway; when the first gateway accepts, the second
  booking is rejected late (the model sends a late-reject message).

And the gateway side, :class:`GatewayBidQueue`: it holds *copies* of the servers' bids
(message passing: a gateway never edits a server's bid; the window it chose travels in
the accept message, fixing SURGE's shared-memory shortcut of model 8), and selects either
the best common window of R bids (:meth:`GatewayBidQueue.find_best_intersection`, model 7)
or the best back-to-back sequence (:meth:`GatewayBidQueue.filter_best_sequence`, models 8
and 9); the selection arithmetic itself lives in :mod:`surge.protocols.reservation`.

Notation below: ``E = now + 2*T_ctl + trip`` (SURGE's ``earliestnotify``: the bid travels
to the gateway, the accept comes back), ``W`` the bid window, ``gap`` SURGE's
``durationBidGap`` (always 0 in SURGE, a parameter here).

Reference defects fixed
-----------------------
* Bids are values exchanged by messages: :meth:`Bid.copy` is what a server sends, the
  accept carries the trimmed window (SURGE's gateway trimmed the server's object).
* ``gap`` is a real parameter (SURGE computed ``durationBidGap`` nowhere; default 0).
* Warnings (a tentative bid about to time out, an accepted bid lingering past its right
  edge) are counted, not printed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from surge.protocols.reservation import best_intersection, best_sequence

__all__ = [
    "Bid",
    "BidQueue",
    "BidState",
    "BidTimings",
    "DoubleBookingBidQueue",
    "GatewayBidQueue",
    "RegularBidQueue",
    "SparseBidQueue",
]

#: The regular queue reuses a canceled bid only while it holds at most this many bids.
_REUSE_MAX_BIDS = 3
#: A double-booking server leaves this many control round trips before the shared window.
_DBLR_ROUND_TRIPS = 3
#: ... plus this many trips for the late reject to reach the second gateway.
_DBLR_EXTRA_TRIPS = 2


class BidState(StrEnum):
    """Where a bid is in its life."""

    TENTATIVE = "tent"
    ACCEPTED = "acpt"
    CANCELED = "canc"
    REJECTED = "rjct"


class Bid:
    """One reservation window of one server for one chunk.

    Attributes:
        chunk_id: the chunk the bid is for (the key a server finds it by).
        owner: the requesting gateway (any object; the model's gateway node).
        server: the bidding server (any object; the model's server node).
        crtime: when the bid was made (or re-offered), ns.
        crleft: ``left`` at creation (double booking pairs bids by it), ns.
        left, right: the window, ns.
        state: a :class:`BidState`.
    """

    __slots__ = ("chunk_id", "crleft", "crtime", "left", "owner", "right", "server", "state")

    def __init__(self, chunk_id: int, owner: Any, server: Any, *, crtime: int, left: int,
                 right: int, state: BidState = BidState.TENTATIVE) -> None:
        self.chunk_id = chunk_id
        self.owner = owner
        self.server = server
        self.crtime = crtime
        self.crleft = left
        self.left = left
        self.right = right
        self.state = state

    def copy(self) -> Bid:
        """An independent copy: what travels in a bid message."""
        bid = Bid(self.chunk_id, self.owner, self.server, crtime=self.crtime, left=self.left,
                  right=self.right, state=self.state)
        bid.crleft = self.crleft
        return bid

    @property
    def width(self) -> int:
        """``right - left``, ns."""
        return self.right - self.left

    def __repr__(self) -> str:
        return (f"<Bid c={self.chunk_id} [{self.left},{self.right}] {self.state.value} "
                f"srv={self.server}>")


@dataclass(frozen=True, slots=True)
class BidTimings:
    """The durations a bid queue works with, ns.

    Attributes:
        t_ctl: time of one control PDU on the control share of the link.
        trip: one-way network latency.
        bid_window: width of a new bid, ``W``.
        t_chunk: time of one chunk at the data rate (the idle extension is ``2 * t_chunk``).
        gap: spacing between consecutive bids (SURGE's ``durationBidGap``, always 0).
    """

    t_ctl: int
    trip: int
    bid_window: int
    t_chunk: int
    gap: int = 0

    @property
    def earliest_notify(self) -> int:
        """``2*T_ctl + trip``: a bid made now can be accepted no earlier than this later."""
        return 2 * self.t_ctl + self.trip


class BidQueue:
    """A server's bids, with the find/remove helpers every policy shares.

    Attributes:
        bids: the bids, in the policy's order.
        t: the durations.
        warnings: name -> count of anomalies seen (``timeout-waiting-accept``,
            ``accepted-linger``).
        on_trace: optional ``(event, *fields)`` callback for log lines.
    """

    __slots__ = ("bids", "on_trace", "t", "warnings")

    def __init__(self, timings: BidTimings,
                 on_trace: Callable[..., None] | None = None) -> None:
        self.t = timings
        self.bids: list[Bid] = []
        self.warnings: dict[str, int] = {}
        self.on_trace = on_trace

    def __len__(self) -> int:
        return len(self.bids)

    def _trace(self, event: str, *fields: object) -> None:
        if self.on_trace is not None:
            self.on_trace(event, *fields)

    def _warn(self, name: str) -> None:
        self.warnings[name] = self.warnings.get(name, 0) + 1

    def index_of(self, chunk_id: int) -> int:
        """Index of the bid for ``chunk_id``, or -1."""
        for i, bid in enumerate(self.bids):
            if bid.chunk_id == chunk_id:
                return i
        return -1

    def find(self, chunk_id: int) -> Bid | None:
        """The bid for ``chunk_id``, or ``None``."""
        i = self.index_of(chunk_id)
        return self.bids[i] if i >= 0 else None

    def remove(self, chunk_id: int) -> Bid | None:
        """Delete the bid for ``chunk_id`` (its IO is done); returns it, or ``None``."""
        i = self.index_of(chunk_id)
        return self.bids.pop(i) if i >= 0 else None

    def accepted(self) -> list[Bid]:
        """The accepted bids, in queue order."""
        return [b for b in self.bids if b.state is BidState.ACCEPTED]

    def _trim(self, bid: Bid, left: int, right: int) -> None:
        if bid.state is not BidState.TENTATIVE:
            raise ValueError(f"accept of a {bid.state.value} bid {bid!r}")
        if left < bid.left or right > bid.right:
            raise ValueError(f"accepted window [{left},{right}] is not inside {bid!r}")
        bid.state = BidState.ACCEPTED
        bid.left = left
        bid.right = right


class RegularBidQueue(BidQueue):
    """SURGE's ``ServerRegBidQueue`` (model 7): time-ordered, canceled bids kept and reused.

    Hand-worked timeline (``T_ctl`` 2, trip 10, ``W`` 100, ``t_chunk`` 50; ``E = now + 14``):
    at 0 the first bid on an idle queue is ``[14, 114 + 100]`` (the idle extension
    ``2 * t_chunk``), the next ``[224, 324]`` (after the last right edge plus a trip);
    canceling both merges them into one canceled window ``[14, 324]``.
    """

    __slots__ = ("canceled",)

    def __init__(self, timings: BidTimings,
                 on_trace: Callable[..., None] | None = None) -> None:
        super().__init__(timings, on_trace)
        self.canceled = 0

    def create(self, now: int, chunk_id: int, owner: Any, server: Any, *,
               disk_delay: int = 0) -> Bid:
        """Offer a window for a new request: reuse a canceled bid, or append a new one.

        Args:
            now: the current time, ns.
            chunk_id, owner, server: what the bid is for, and who made it.
            disk_delay: the server's admission delay (disk back-pressure), ns.

        Returns:
            The (tentative) bid, which the queue keeps; send a :meth:`Bid.copy`.
        """
        self.expire(now)
        t = self.t
        earliest = now + t.earliest_notify
        if self.canceled and disk_delay == 0 and len(self.bids) <= _REUSE_MAX_BIDS:
            for bid in reversed(self.bids):
                if bid.state is not BidState.CANCELED:
                    continue
                if earliest > bid.left and bid.right - earliest < t.bid_window:
                    break
                self.canceled -= 1
                bid.state = BidState.TENTATIVE
                bid.chunk_id, bid.owner, bid.server = chunk_id, owner, server
                bid.crtime = now
                self._trace("un-canceling", bid.left, bid.right)
                return bid
        was_empty = not self.bids
        left = self.bids[-1].right + t.gap + t.trip if self.bids else earliest
        left = max(left, earliest)
        if disk_delay > 0:
            left = max(left, now + disk_delay)
        right = left + t.bid_window
        if was_empty and disk_delay < t.t_chunk:
            right += 2 * t.t_chunk
            self._trace("srv-extend-idle-bid", left, right)
        bid = Bid(chunk_id, owner, server, crtime=now, left=left, right=right)
        self.bids.append(bid)
        return bid

    def cancel(self, now: int, chunk_id: int) -> None:
        """The gateway chose other servers: mark the bid canceled and merge neighbours."""
        self.expire(now)
        i = self.index_of(chunk_id)
        if i < 0:
            return  # already expired
        bid = self.bids[i]
        if bid.state not in (BidState.TENTATIVE, BidState.REJECTED):
            raise ValueError(f"cancel of a {bid.state.value} bid {bid!r}")
        bid.state = BidState.CANCELED
        self.canceled += 1
        if i + 1 < len(self.bids) and self.bids[i + 1].state is BidState.CANCELED:
            bid.right = self.bids[i + 1].right
            del self.bids[i + 1]
            self.canceled -= 1
            self._trace("bid-canceled-merge-next", bid.left, bid.right)
        if i > 0 and self.bids[i - 1].state is BidState.CANCELED:
            prev = self.bids[i - 1]
            bid.left = prev.left
            del self.bids[i - 1]
            self.canceled -= 1
            self._trace("bid-canceled-merge-prev", bid.left, bid.right)

    def accept(self, now: int, chunk_id: int, left: int, right: int) -> Bid:
        """Accept the bid, trimmed to ``[left, right]``; stretch canceled neighbours to it.

        Raises:
            ValueError: no such bid, it is not tentative, or the window is not inside it.
        """
        self.expire(now)
        i = self.index_of(chunk_id)
        if i < 0:
            raise ValueError(f"accept of an unknown bid for chunk {chunk_id}")
        bid = self.bids[i]
        self._trim(bid, left, right)
        t = self.t
        if i + 1 < len(self.bids):
            nxt = self.bids[i + 1]
            if nxt.state is BidState.CANCELED and nxt.left - bid.right > t.gap + t.t_ctl:
                nxt.left = bid.right + t.gap
                self._trace("trim:stretch-next", nxt.left, nxt.right)
        if i > 0:
            prev = self.bids[i - 1]
            if prev.state is BidState.CANCELED and bid.left - prev.right > t.gap + t.t_ctl:
                prev.right = bid.left - t.gap
                self._trace("trim:stretch-prev", prev.left, prev.right)
        return bid

    def expire(self, now: int) -> None:
        """Drop canceled bids at the tail and canceled bids with too little time left."""
        bids = self.bids
        while bids and bids[-1].state is BidState.CANCELED:
            bids.pop()
            self.canceled -= 1
        t = self.t
        soon = now + t.t_ctl + t.trip
        i = 0
        while i < len(bids):
            bid = bids[i]
            if (bid.state is BidState.CANCELED and soon > bid.left
                    and bid.right - soon < t.bid_window):
                del bids[i]
                self.canceled -= 1
                self._trace("expired-and-removed", bid.left, bid.right)
                continue
            if bid.state is BidState.TENTATIVE and now + t.t_chunk > bid.right:
                self._warn("timeout-waiting-accept")
            elif bid.state is BidState.ACCEPTED and now > bid.right:
                self._warn("accepted-linger")
            i += 1


class SparseBidQueue(BidQueue):
    """SURGE's ``ServerSparseBidQueue`` (models 8 and a): sorted by ``left``, gaps filled.

    Hand-worked timeline (``T_ctl`` 2, trip 10, ``W`` 100; ``E = now + 14``): at 0 the first
    bid on an idle queue is ``[14, 134]`` (the idle extension ``2 * trip``); a request with
    ``rwin.left = 500`` gets ``[500, 600]``; the next plain request fits in the gap:
    ``[144, 244]`` (after the first bid's right edge plus a trip, 356 ns before 500).
    """

    __slots__ = ()

    def _new_left(self, now: int, disk_delay: int, rwin_left: int | None) -> int:
        earliest = now + self.t.earliest_notify
        left = earliest if rwin_left is None else max(rwin_left, earliest)
        return max(left, now + disk_delay)

    def _insert(self, bid: Bid, key: Callable[[Bid], int]) -> None:
        k = key(bid)
        i = len(self.bids)
        while i > 0 and (key(self.bids[i - 1]) > k or (
                key(self.bids[i - 1]) == k and self.bids[i - 1].crtime > bid.crtime)):
            i -= 1
        self.bids.insert(i, bid)

    def create(self, now: int, chunk_id: int, owner: Any, server: Any, *,
               disk_delay: int = 0, rwin_left: int | None = None) -> Bid:
        """Place a new bid in the first gap wide enough, at or after ``rwin_left``.

        Args:
            now: the current time, ns.
            chunk_id, owner, server: what the bid is for, and who made it.
            disk_delay: the admission delay, ns (the bid starts no earlier than now + it).
            rwin_left: "bid at or after this time" from the request, or ``None``.

        Raises:
            ValueError: the gateway already holds a bid in this queue for the same chunk.
        """
        if self.index_of(chunk_id) >= 0:
            raise ValueError(f"a second bid for chunk {chunk_id} in one server queue")
        t = self.t
        was_empty = not self.bids
        left = self._new_left(now, disk_delay, rwin_left)
        for bid in sorted(self.bids, key=_by_left):
            if left < bid.left and bid.left - left >= t.bid_window + t.gap:
                break
            left = max(left, bid.right + t.gap + t.trip)
        right = left + t.bid_window
        if was_empty and disk_delay == 0:
            right += 2 * t.trip
        bid = Bid(chunk_id, owner, server, crtime=now, left=left, right=right)
        self._insert(bid, _by_left)
        return bid

    def cancel(self, now: int, chunk_id: int) -> Bid | None:
        """Delete the bid (the gateway chose other servers); returns it, or ``None``."""
        return self.remove(chunk_id)

    def add_accepted(self, now: int, chunk_id: int, owner: Any, server: Any, *, left: int,
                     right: int) -> Bid:
        """Insert a bid accepted on the server's behalf (model a's proxy grants it)."""
        bid = Bid(chunk_id, owner, server, crtime=now, left=left, right=right,
                  state=BidState.ACCEPTED)
        self._insert(bid, _by_left)
        return bid

    def accept(self, now: int, chunk_id: int, left: int,
               right: int) -> tuple[Bid | None, BidState]:
        """Accept the bid, trimmed to ``[left, right]``.

        Returns:
            ``(None, ACCEPTED)`` (the double-booking subclass may return a rejected twin).

        Raises:
            ValueError: no such bid, it is not tentative, or the window is not inside it.
        """
        bid = self.find(chunk_id)
        if bid is None:
            raise ValueError(f"accept of an unknown bid for chunk {chunk_id}")
        self._trim(bid, left, right)
        return None, BidState.ACCEPTED


class DoubleBookingBidQueue(SparseBidQueue):
    """SURGE's ``ServerSparseDblrBidQueue`` (model 9): double booking and late reject.

    Sorted by ``crleft``. When no disk delay holds the server back, a request may be
    offered the window of the newest young tentative bid B (a *double booking*), provided
    B's window opens late enough for a late reject to reach the second gateway in time:
    ``B.crleft >= max(rwin.left, now + 3*(T_ctl + trip) - (now - B.crtime) + 2*trip)``.
    When one of the twins is accepted, the other is rejected: :meth:`accept` returns it
    and the model sends its gateway a late reject. A twin canceled first leaves the other
    valid on its own.
    """

    __slots__ = ("double_bookings",)

    def __init__(self, timings: BidTimings,
                 on_trace: Callable[..., None] | None = None) -> None:
        super().__init__(timings, on_trace)
        self.double_bookings = 0

    def _twin_before(self, i: int) -> Bid | None:
        if i > 0 and self.bids[i - 1].crleft == self.bids[i].crleft:
            return self.bids[i - 1]
        return None

    def _twin_after(self, i: int) -> Bid | None:
        if i + 1 < len(self.bids) and self.bids[i + 1].crleft == self.bids[i].crleft:
            return self.bids[i + 1]
        return None

    def create(self, now: int, chunk_id: int, owner: Any, server: Any, *,
               disk_delay: int = 0, rwin_left: int | None = None) -> Bid:
        """Double-book the newest young tentative bid if safe, else the sparse policy."""
        if disk_delay == 0:
            t = self.t
            i = len(self.bids) - 1
            while i >= 0:
                bid = self.bids[i]
                if self._twin_before(i) is not None:
                    i -= 2  # an existing pair: skip both
                    continue
                if bid.state is not BidState.TENTATIVE:
                    i -= 1
                    continue
                age = now - bid.crtime
                if age < t.t_ctl:
                    break  # too fresh
                earliest_reject = (now + _DBLR_ROUND_TRIPS * (t.t_ctl + t.trip) - age
                                   + _DBLR_EXTRA_TRIPS * t.trip)
                new_left = earliest_reject if rwin_left is None else max(rwin_left,
                                                                         earliest_reject)
                if bid.crleft < new_left or bid.owner is owner:
                    break
                twin = Bid(chunk_id, owner, server, crtime=now, left=bid.crleft,
                           right=bid.crleft + t.bid_window)
                self.bids.insert(i + 1, twin)
                self.double_bookings += 1
                self._trace("double-book", twin.left, twin.right)
                return twin
        return super().create(now, chunk_id, owner, server, disk_delay=disk_delay,
                              rwin_left=rwin_left)

    def _insert(self, bid: Bid, key: Callable[[Bid], int]) -> None:
        super()._insert(bid, _by_crleft)

    def cancel(self, now: int, chunk_id: int) -> Bid | None:
        """Delete the bid; its twin, if any, now stands alone."""
        i = self.index_of(chunk_id)
        if i < 0:
            return None
        if self._twin_before(i) is not None or self._twin_after(i) is not None:
            self._trace("(un)double-booked", self.bids[i].left)
        return self.bids.pop(i)

    def accept(self, now: int, chunk_id: int, left: int,
               right: int) -> tuple[Bid | None, BidState]:
        """Accept and trim; reject the twin, or find this bid already rejected.

        Returns:
            ``(twin, ACCEPTED)`` with the twin now rejected (send its gateway a late
            reject), ``(None, ACCEPTED)`` without a twin, or ``(None, REJECTED)`` when this
            bid was the second booking and its twin was accepted first (it is deleted).
        """
        i = self.index_of(chunk_id)
        if i < 0:
            raise ValueError(f"accept of an unknown bid for chunk {chunk_id}")
        bid = self.bids[i]
        if bid.state is BidState.REJECTED:
            del self.bids[i]
            self._trace("srv-bid-late-accept-delete", bid.left)
            return None, BidState.REJECTED
        twin = self._twin_before(i) or self._twin_after(i)
        if twin is not None:
            if twin.state is BidState.ACCEPTED:  # pragma: no cover - rejected on its accept
                del self.bids[i]
                return None, BidState.REJECTED
            twin.state = BidState.REJECTED
            self._trace("srv-bid-reject-by-accept", twin.left)
        self._trim(bid, left, right)
        # keep crleft apart from any twin from now on: the pair is resolved
        return twin, BidState.ACCEPTED

    def remove_rejected(self, chunk_id: int) -> Bid | None:
        """Delete a rejected twin once its late reject is sent; returns it, or ``None``."""
        i = self.index_of(chunk_id)
        if i >= 0 and self.bids[i].state is BidState.REJECTED:
            return self.bids.pop(i)
        return None


def _by_left(bid: Bid) -> int:
    return bid.left


def _by_crleft(bid: Bid) -> int:
    return bid.crleft


class GatewayBidQueue:
    """The bids a gateway has received for its current request (copies, sorted by left).

    Attributes:
        bids: the received bids, sorted by ``(left, crtime)``.
    """

    __slots__ = ("bids",)

    def __init__(self) -> None:
        self.bids: list[Bid] = []

    def __len__(self) -> int:
        return len(self.bids)

    def receive(self, bid: Bid) -> int:
        """Insert a received bid (sorted); returns the number of bids held."""
        i = len(self.bids)
        while i > 0 and (self.bids[i - 1].left, self.bids[i - 1].crtime) > (bid.left,
                                                                              bid.crtime):
            i -= 1
        self.bids.insert(i, bid)
        return len(self.bids)

    def clear(self) -> None:
        """Forget every bid."""
        self.bids.clear()

    def reject(self, server: Any) -> Bid | None:
        """Drop the bid of ``server`` (a late reject); returns it, or ``None``."""
        for i, bid in enumerate(self.bids):
            if bid.server is server:
                return self.bids.pop(i)
        return None

    def find_best_intersection(self, now: int, replicas: int, min_duration: int,
                               t_ctl: int) -> tuple[int, int, list[Bid]] | None:
        """The earliest window of ``min_duration`` common to ``replicas`` bids (model 7).

        See :func:`surge.protocols.reservation.best_intersection`; on success every other
        bid is dropped and ``(begin, end, chosen bids)`` is returned, else ``None`` (the
        model aborts the chunk).
        """
        windows = [(b.left, b.right) for b in self.bids]
        found = best_intersection(windows, replicas, min_duration, now + t_ctl)
        if found is None:
            return None
        k, begin, end = found
        chosen = self.bids[k:k + replicas]
        self.bids = list(chosen)
        return begin, end, chosen

    def filter_best_sequence(self, max_num: int, min_duration: int,
                             max_gap: int) -> list[tuple[Bid, int, int]]:
        """Up to ``max_num`` bids forming back-to-back windows (models 8 and 9).

        See :func:`surge.protocols.reservation.best_sequence`. Returns ``(bid, left,
        right)`` per chosen bid, each window exactly ``min_duration`` wide; the queue keeps
        only the chosen bids, trimmed (they are the gateway's copies).
        """
        tentative = [b for b in self.bids if b.state is BidState.TENTATIVE]
        picks = best_sequence([(b.left, b.right) for b in tentative], max_num, min_duration,
                              max_gap)
        out = [(tentative[i], left, right) for i, left, right in picks]
        for bid, left, right in out:
            bid.left, bid.right = left, right
        self.bids = [bid for bid, _, _ in out]
        return out
