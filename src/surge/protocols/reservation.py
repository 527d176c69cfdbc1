"""Reservation arithmetic of the Replicast models: configuration, window selection, proxy.

Three pieces, each a pure function or a small class, tested alone:

* **Configuration** (SURGE's ``configureReplicast``): :class:`ReplicastParams` (the frozen,
  per-run parameters, so nothing leaks from one model's run to the next, SURGE's quirk 10),
  :func:`replicast_servers` (round the server count down to a multiple of the group size;
  a single group becomes two, with a note, or a :class:`ConfigError` under
  ``strict_config``), and :func:`configure_replicast`, which splits the link into a
  *solicited* data share (90 %) and an *unsolicited* control share (the rest) and derives
  ``T_ctl``, ``T_chunk``, ``T_frame``, the bid window and the minimum reservation.
  Defaults: ``T_ctl`` = 2,424 ns, ``T_chunk`` = 117,685 ns, ``T_frame`` = 8,080 ns, bid
  window 166,159 ns, ``minduration`` 125,765 ns.
* **Gateway window selection**: :func:`best_intersection` (model 7: the earliest window of
  ``minduration`` common to R bids) and :func:`best_sequence` (models 8 and 9: up to R
  back-to-back windows, one per unicast replica).
* **The group proxy** (model a): :class:`ProxyMirror`, the proxy's mirror of every member's
  reservations and of each member's predicted disk-completion time, with SURGE's selection
  of the R members whose disk writes would start earliest.

Reference defects fixed
-----------------------
* :func:`best_intersection` tries the last candidate window (SURGE's loop stopped one
  short: with G = 9 and R = 3 the window of bids 7..9 was never considered) and takes the
  minimum right edge over *all* R bids (SURGE ignored the middle ones for R > 3).
* :meth:`ProxyMirror.estimate` clamps a stale last bid's ``newleft`` to the earliest
  notify time (quirk 13).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from surge.config.params import ConfigError, param
from surge.network import effective_bits_per_s
from surge.sim.units import GBPS, KIB, MIB, US, S
from surge.storage import admission_delay_ns

__all__ = [
    "ProxyMirror",
    "ReplicastConfig",
    "ReplicastParams",
    "best_intersection",
    "best_sequence",
    "configure_replicast",
    "replicast_servers",
]

_BITS_PER_BYTE = 8
_PERCENT = 100
_MAX_OVERHEAD_PCT = 99.0
_MIN_DISK_QUEUE_CHUNKS = 2
_DEFAULT_GROUP = 9
_DEFAULT_SOLICITED_PCT = 90
_DEFAULT_BID_MULTIPLIER_PCT = 140
_CONTROL_PDU_BYTES = 300
_UNICAST_MULTIPLIER_PCT = 110  # per replica, model 7 with transport=unicast


@dataclass(frozen=True, slots=True)
class ReplicastParams:
    """Parameters shared by the Replicast models (7, 8, 9 and a)."""

    replicas: int = param(3, minimum=1, help="replicas per chunk (R)")
    chunk_bytes: int = param(128 * KIB, unit="B", minimum=1,
                             help="chunk size (SURGE -chunksize, KiB)")
    frame_bytes: int = param(9000, unit="B", minimum=1, help="L2 frame size (SURGE -l2frame)")
    link_bits_per_s: int = param(10 * GBPS, unit="bit/s", minimum=1,
                                 help="raw link rate (SURGE -linkbps)")
    overhead_pct: float = param(1.0, unit="%", minimum=0.0, maximum=_MAX_OVERHEAD_PCT,
                                help="L2 overhead taken off the link rate")
    control_pdu_bytes: int = param(_CONTROL_PDU_BYTES, unit="B", minimum=1,
                                   help="control PDU size (Replicast: 300 B)")
    trip_ns: int = param(1 * US, unit="ns", minimum=0, help="one-way network latency")
    disk_mib_per_s: int = param(400, unit="MiB/s", minimum=1,
                                help="disk write throughput (SURGE -diskthroughput)")
    disk_queue_bytes: int = param(256 * KIB, unit="B", minimum=1,
                                  help="disk queue (SURGE -diskqueue): max chunks = "
                                       "max(2, this / chunk)")
    group_size: int = param(_DEFAULT_GROUP, minimum=1,
                            help="negotiating group size G (SURGE -groupsize)")
    solicited_pct: int = param(_DEFAULT_SOLICITED_PCT, unit="%", minimum=1, maximum=99,
                               help="share of the link reserved for solicited (data) "
                                    "traffic; control gets the rest")
    bid_multiplier_pct: int = param(_DEFAULT_BID_MULTIPLIER_PCT, unit="%", minimum=100,
                                    help="bid window = (T_chunk + trip) x this / 100")
    bid_gap_ns: int = param(0, unit="ns", minimum=0,
                            help="spacing between consecutive bids (SURGE's unused "
                                 "durationBidGap)")
    strict_config: bool = param(False, help="refuse a server count that is not a multiple "
                                            "of group_size or gives a single group, instead "
                                            "of adjusting it (SURGE -validateconfig)")

    def check(self) -> None:
        """Reject combinations that cannot run.

        Raises:
            ValueError: fewer servers per group than replicas.
        """
        if self.group_size < self.replicas:
            raise ValueError(f"group_size ({self.group_size}) must be >= replicas "
                             f"({self.replicas})")


@dataclass(frozen=True, slots=True)
class ReplicastConfig:
    """Constants derived once per run from :class:`ReplicastParams`.

    Attributes:
        link_bps: effective link rate after overhead, bits/s (9.9 Gbit/s).
        data_bps: solicited (data) share, bits/s (8.91 Gbit/s).
        ctl_bps: unsolicited (control) share, bits/s (0.99 Gbit/s).
        t_ctl: one control PDU at ``ctl_bps``, ns (2,424).
        t_chunk: one chunk at ``data_bps``, ns (117,685).
        t_frame: one full frame at ``data_bps``, ns (8,080).
        bid_window: width of a new bid, ns.
        min_duration: the reservation a gateway accepts, ns.
        chunk_disk_ns: disk time of one chunk, ns (312,500).
        write_back_ns: a write completing sooner than this is acked at once (625,000).
        unicast: model 7 with ``transport=unicast`` (R copies in one R-times-longer window).
    """

    replicas: int
    chunk_bytes: int
    frame_bytes: int
    ctl_bytes: int
    link_bps: int
    data_bps: int
    ctl_bps: int
    t_ctl: int
    t_chunk: int
    t_frame: int
    trip: int
    bid_window: int
    min_duration: int
    gap: int
    group_size: int
    disk_bytes_per_s: int
    chunk_disk_ns: int
    max_disk_queue_chunks: int
    write_back_ns: int
    unicast: bool = False

    def tx_ns(self, size_bytes: int, bits_per_s: int) -> int:
        """Serialization time of ``size_bytes`` at ``bits_per_s``, ns (truncated)."""
        return size_bytes * _BITS_PER_BYTE * S // bits_per_s

    def admission_delay(self, io_done_ns: int, now_ns: int) -> int:
        """SURGE's ``diskdelay``: wait until at most ``max_disk_queue_chunks - 1`` remain."""
        return admission_delay_ns(io_done_ns, now_ns, self.chunk_disk_ns,
                                  self.max_disk_queue_chunks)


def configure_replicast(p: ReplicastParams, *, unicast: bool = False,
                        bid_multiplier_pct: int | None = None) -> ReplicastConfig:
    """SURGE's ``configureReplicast``: split the link, derive the durations and windows.

    Args:
        p: the run's parameters.
        unicast: R unicast copies share one reservation: the bid multiplier becomes
            ``R * 110`` % and ``minduration`` is R times longer (model 7's
            ``transport=unicast``).
        bid_multiplier_pct: overrides ``p.bid_multiplier_pct`` (models 8 and 9 retry with
            120 % when 110 % gives a window shorter than three frames).

    Returns:
        The derived constants; ``bid_window >= min_duration`` always.
    """
    link_bps = effective_bits_per_s(p.link_bits_per_s, p.overhead_pct)
    data_bps = link_bps * p.solicited_pct // _PERCENT
    ctl_bps = link_bps - data_bps
    t_chunk = p.chunk_bytes * _BITS_PER_BYTE * S // data_bps
    t_frame = p.frame_bytes * _BITS_PER_BYTE * S // data_bps
    pct = p.bid_multiplier_pct if bid_multiplier_pct is None else bid_multiplier_pct
    if unicast:
        pct = p.replicas * _UNICAST_MULTIPLIER_PCT
    bid_window = (t_chunk + p.trip_ns) * pct // _PERCENT
    min_duration = (t_chunk + t_frame) * (p.replicas if unicast else 1)
    bid_window = max(bid_window, min_duration)
    disk_bps = p.disk_mib_per_s * MIB
    chunk_disk_ns = p.chunk_bytes * S // disk_bps
    max_q = max(_MIN_DISK_QUEUE_CHUNKS, p.disk_queue_bytes // p.chunk_bytes)
    return ReplicastConfig(
        replicas=p.replicas, chunk_bytes=p.chunk_bytes, frame_bytes=p.frame_bytes,
        ctl_bytes=p.control_pdu_bytes, link_bps=link_bps, data_bps=data_bps,
        ctl_bps=ctl_bps, t_ctl=p.control_pdu_bytes * _BITS_PER_BYTE * S // ctl_bps,
        t_chunk=t_chunk, t_frame=t_frame, trip=p.trip_ns, bid_window=bid_window,
        min_duration=min_duration, gap=p.bid_gap_ns, group_size=p.group_size,
        disk_bytes_per_s=disk_bps, chunk_disk_ns=chunk_disk_ns, max_disk_queue_chunks=max_q,
        write_back_ns=chunk_disk_ns * max_q, unicast=unicast)


def replicast_servers(requested: int, group_size: int, *, strict: bool,
                      model: str) -> tuple[int, str | None]:
    """SURGE's server-count rule: a multiple of the group size, at least two groups.

    Args:
        requested: the server count asked for.
        group_size: G.
        strict: raise instead of adjusting (SURGE's ``-validateconfig``).
        model: the model's name, for messages.

    Returns:
        ``(servers, note)``: the count to run with, and a message saying what was changed
        (``None`` when nothing was).

    Raises:
        ConfigError: under ``strict``, when the count is not a multiple of G or gives
            fewer than two groups.
    """
    servers = requested - requested % group_size
    notes = []
    if servers != requested:
        notes.append(f"{requested} servers is not a multiple of group_size={group_size}: "
                     f"rounded down to {servers}")
    if servers <= group_size:
        notes.append(f"{model} needs at least 2 negotiating groups of {group_size}: "
                     f"running with {2 * group_size} servers")
        servers = 2 * group_size
    if not notes:
        return servers, None
    note = "; ".join(notes)
    if strict:
        raise ConfigError(f"{model} (strict_config): {note}. Use a multiple of "
                          f"group_size={group_size} of at least {2 * group_size} servers.")
    return servers, f"NOTE: {note} (SURGE's rule; strict_config=true makes it an error)"


def best_intersection(windows: Sequence[tuple[int, int]], replicas: int, min_duration: int,
                      earliest_begin: int) -> tuple[int, int, int] | None:
    """The first run of ``replicas`` consecutive windows sharing ``min_duration`` ns.

    Args:
        windows: ``(left, right)`` per bid, sorted by ``left``.
        replicas: R.
        min_duration: the reservation needed, ns.
        earliest_begin: the window cannot start before this (now + ``T_ctl``: the accept
            must be on its way), ns.

    Returns:
        ``(k, begin, end)``: bids ``k .. k+R-1`` share ``[begin, end]`` with
        ``end = begin + min_duration``, ``begin = max(lefts, earliest_begin)``; ``None``
        when no run of R bids works (SURGE aborts the chunk). Every candidate ``k = 0 ..
        n - R`` is tried, the last one included.
    """
    n = len(windows)
    for k in range(n - replicas + 1):
        run = windows[k:k + replicas]
        begin = max(earliest_begin, *(left for left, _ in run))
        end = min(right for _, right in run)
        if end - begin >= min_duration:
            return k, begin, begin + min_duration
    return None


def best_sequence(windows: Sequence[tuple[int, int]], max_num: int, min_duration: int,
                  max_gap: int) -> list[tuple[int, int, int]]:
    """Up to ``max_num`` back-to-back windows of ``min_duration`` (SURGE's filterBestSequence).

    The first window starts at bid 0's left. Each next one is the first later bid (in
    order) that can start where the previous one ends (``endprev``): the scan stops at a
    bid whose ``left - endprev > max_gap``, skips one whose ``right - min_duration <
    endprev``, and takes the next; its window is ``[max(left, endprev), + min_duration]``.
    If only bid 0 was found, a later bid *wider* than bid 0 whose left is within
    ``2 * max_gap`` of bid 0's replaces it ("select-idle": an idle server's extended bid).

    Args:
        windows: ``(left, right)`` per tentative bid, sorted by ``left``.
        max_num: replicas still needed.
        min_duration: each window's width, ns.
        max_gap: the largest idle gap between two windows, ns (``T_ctl + trip``).

    Returns:
        ``(index into windows, left, right)`` per chosen bid, in time order; empty if
        ``windows`` is.
    """
    if not windows or max_num < 1:
        return []
    left0, right0 = windows[0]
    chosen = [(0, left0, left0 + min_duration)]
    taken = {0}
    while len(chosen) < max_num:
        end_prev = chosen[-1][1] + min_duration
        found = None
        for i in range(1, len(windows)):
            if i in taken:
                continue
            left, right = windows[i]
            if left - end_prev > max_gap:
                break
            if right - min_duration < end_prev:
                continue
            start = max(left, end_prev)
            found = (i, start, start + min_duration)
            break
        if found is None:
            break
        chosen.append(found)
        taken.add(found[0])
    if len(chosen) == 1:
        for i in range(1, len(windows)):
            left, right = windows[i]
            if left - left0 > 2 * max_gap:
                break
            if right - left > right0 - left0:
                return [(i, left, left + min_duration)]
    return chosen


class ProxyMirror:
    """The group proxy's view of its members (model a): reservations and disk horizons.

    For each member j the proxy keeps the accepted windows it granted (a mirror of the
    member's own queue, ``windows[j]`` as ``chunk id -> (left, right)``) and
    ``reserved_io_done[j]``, the predicted time j's disk finishes every write reserved so
    far: each reservation's write starts when its window ends (or when the disk is free,
    if later) and takes ``D_chunk``.

    Args:
        cfg: the run's constants.
        members: number of members (G).
        now: the current time (the horizons start there), ns.
    """

    __slots__ = ("cfg", "reserved_io_done", "windows")

    def __init__(self, cfg: ReplicastConfig, members: int, now: int = 0) -> None:
        self.cfg = cfg
        self.windows: list[dict[int, tuple[int, int]]] = [{} for _ in range(members)]
        self.reserved_io_done = [now] * members

    def estimate(self, now: int, j: int) -> tuple[int, int]:
        """``(newleft, stime)``: member j's next window start and predicted write start.

        ``E = now + T_ctl + trip``; ``newleft`` = E on an empty mirror, else the last
        window's right + trip, clamped to E (SURGE did not clamp, quirk 13); the data
        would be in at ``ntime = newleft + T_chunk + trip``; the write starts at
        ``max(ntime, reserved_io_done) + diskdelay``.
        """
        c = self.cfg
        earliest = now + c.t_ctl + c.trip
        wins = self.windows[j]
        newleft = earliest
        if wins:
            newleft = max(earliest, max(r for _, r in wins.values()) + c.gap + c.trip)
        ntime = newleft + c.t_chunk + c.trip
        reserved = self.reserved_io_done[j]
        delay = c.admission_delay(reserved, ntime)
        return newleft, max(ntime, reserved) + delay

    def select(self, now: int, replicas: int, rng: random.Random) -> tuple[list[int], int]:
        """The ``replicas`` members whose writes would start earliest, and their common left.

        For each slot, scan all members cyclically from a uniformly random index, skipping
        those already chosen, and keep the earliest predicted write start (the first in the
        scan on ties). The common window starts at the latest ``newleft`` of the chosen.

        Returns:
            ``(member indexes, common left)``.
        """
        n = len(self.windows)
        est = [self.estimate(now, j) for j in range(n)]
        chosen: list[int] = []
        for _ in range(replicas):
            start = rng.randrange(n)
            best = -1
            for step in range(n):
                j = (start + step) % n
                if j in chosen:
                    continue
                if best < 0 or est[j][1] < est[best][1]:
                    best = j
            chosen.append(best)
        return chosen, max(est[j][0] for j in chosen)

    def reserve(self, j: int, chunk_id: int, left: int, right: int) -> int:
        """Record an accepted window for member j; returns j's new predicted disk horizon."""
        self.windows[j][chunk_id] = (left, right)
        d = self.cfg.chunk_disk_ns
        reserved = self.reserved_io_done[j]
        reserved = reserved + d if right < reserved else right + d
        self.reserved_io_done[j] = reserved
        return reserved

    def done(self, j: int, chunk_id: int, last_io_done: int) -> None:
        """Member j reported the replica of ``chunk_id`` written (BidDone): recompute."""
        self.windows[j].pop(chunk_id, None)
        d = self.cfg.chunk_disk_ns
        reserved = last_io_done
        for _, right in sorted(self.windows[j].values()):
            reserved = reserved + d if right < reserved else right + d
        self.reserved_io_done[j] = reserved
