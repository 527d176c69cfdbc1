"""Tests of surge.storage.pipeline: declared stages, transactions walking them, tables."""

from __future__ import annotations

import dataclasses

import pytest

from surge.sim import SchedulingError, Simulation
from surge.storage.chunk import ChunkSource
from surge.storage.pipeline import (
    Pipeline,
    PipelineError,
    Stage,
    Tio,
    TioStats,
    TioTable,
    UnknownStageError,
)

TRIP = 2_000  # ns per hop, as model 4's cluster trip


class Node:
    """A minimal node: a name, a log shared by the test, its tio table."""

    def __init__(self, sim: Simulation, name: str, node_id: int, log: list[tuple[str, str, int]]):
        self.sim = sim
        self.name = name
        self.log = log
        self.tios: TioTable[Node] = TioTable(sim, self, owner_id=node_id)

    def __repr__(self) -> str:
        return self.name

    def record(self, tio: Tio[Node]) -> None:
        self.log.append((tio.stage.name, self.name, self.sim.now))


class Server(Node):
    def on_put_request(self, tio: Tio[Node]) -> None:
        self.record(tio)
        tio.next(tio.source, TRIP + 1_000)

    def on_put_xfer(self, tio: Tio[Node]) -> None:
        self.record(tio)
        tio.next(tio.source, TRIP)


class Gateway(Node):
    def on_put_req_ack(self, tio: Tio[Node]) -> None:
        self.record(tio)
        tio.next(tio.sender, TRIP + 500)  # type: ignore[arg-type]

    def on_put_xfer_ack(self, tio: Tio[Node]) -> None:
        self.record(tio)


#: SURGE's model 4 pipeline, declared once, handlers bound directly.
PUT = Pipeline(
    "m4-put",
    [
        Stage("PUT-REQ", Server.on_put_request),
        Stage("PUT-REQ-ACK", Gateway.on_put_req_ack),
        Stage("PUT-XFER", Server.on_put_xfer),
        Stage("PUT-XFER-ACK", Gateway.on_put_xfer_ack),
    ],
)


def cluster(
    seed: int = 1,
) -> tuple[Simulation, Gateway, Server, Server, list[tuple[str, str, int]]]:
    sim = Simulation(seed=seed)
    log: list[tuple[str, str, int]] = []
    return (
        sim,
        Gateway(sim, "I#01", 1, log),
        Server(sim, "T#01", 1001, log),
        Server(sim, "T#02", 1002, log),
        log,
    )


def noop(node: object, tio: object) -> None:
    """A stage handler that does nothing."""


class TestPipeline:
    def test_declaration(self) -> None:
        """A pipeline keeps its stages in order, with names, positions and handlers."""
        assert len(PUT) == 4
        assert PUT.names == ("PUT-REQ", "PUT-REQ-ACK", "PUT-XFER", "PUT-XFER-ACK")
        assert PUT.index_of("PUT-XFER") == 2
        assert PUT[0].handler is Server.on_put_request
        assert [stage.name for stage in PUT] == list(PUT.names)
        assert str(PUT) == "PUT-REQ => PUT-REQ-ACK => PUT-XFER => PUT-XFER-ACK"
        assert repr(PUT) == f"<Pipeline 'm4-put': {PUT}>"

    def test_pairs_accepted(self) -> None:
        """Stages may be given as (name, handler) pairs."""
        assert Pipeline("p", [("A", noop), Stage("B", noop)]).names == ("A", "B")

    def test_stage_is_frozen(self) -> None:
        """A stage cannot be rebound after declaration."""
        with pytest.raises(dataclasses.FrozenInstanceError):
            PUT[0].name = "X"  # type: ignore[misc]

    def test_unknown_stage_name(self) -> None:
        """Looking up an undeclared stage raises UnknownStageError listing the stages."""
        with pytest.raises(
            UnknownStageError, match="no stage 'PUT-ACK'; its stages are PUT-REQ, PUT-REQ-ACK"
        ):
            PUT.index_of("PUT-ACK")
        assert issubclass(UnknownStageError, LookupError)

    @pytest.mark.parametrize(
        ("stages", "pattern"),
        [
            ([], "'stages' parameter of Pipeline must be a non-empty sequence"),
            ([("A", noop), ("A", noop)], "must be stages with unique names. Got \"'A' twice"),
            ([("", noop)], "'name' parameter of Stage must be a non-empty str"),
            ([("A", "noop")], "'handler' parameter of Stage must be a callable"),
        ],
    )
    def test_bad_declarations(self, stages: list[tuple[str, object]], pattern: str) -> None:
        """Empty pipelines, duplicate names, empty names and non-callables are rejected."""
        with pytest.raises(ValueError, match=pattern):
            Pipeline("p", stages)  # type: ignore[arg-type]

    def test_bad_name(self) -> None:
        """A pipeline needs a non-empty name."""
        with pytest.raises(ValueError, match="'name' parameter of Pipeline"):
            Pipeline("", [("A", noop)])


class TestWalk:
    def test_four_stage_timeline(self) -> None:
        """Model 4's walk: each stage runs on the receiver of its step at the exact time."""
        sim, gw, server, _, log = cluster()
        tio = Tio(gw.tios, PUT, target=server)
        assert (tio.index, tio.started_ns, str(tio).endswith(",init,I#01=>T#01]")) == (
            -1,
            None,
            True,
        )
        tio.next(server, TRIP)
        sim.run()
        assert log == [
            ("PUT-REQ", "T#01", 2_000),
            ("PUT-REQ-ACK", "I#01", 5_000),
            ("PUT-XFER", "T#01", 7_500),
            ("PUT-XFER-ACK", "I#01", 9_500),
        ]
        assert (tio.done, tio.started_ns, tio.finished_ns, tio.latency_ns) == (
            True,
            0,
            9_500,
            9_500,
        )

    def test_sender_and_receiver(self) -> None:
        """The first step is sent by the source; later ones by the previous receiver."""
        sim, gw, server, _, _ = cluster()
        seen: list[tuple[str, str, str]] = []

        def spy(node: Node, tio: Tio[Node]) -> None:
            seen.append((tio.stage.name, repr(tio.sender), repr(tio.receiver)))
            if tio.index == 0:
                tio.next(gw, 1)

        Tio(gw.tios, Pipeline("p", [("A", spy), ("B", spy)])).next(server, 1)
        sim.run()
        assert seen == [("A", "I#01", "T#01"), ("B", "T#01", "I#01")]

    def test_started_when_first_step_sent(self) -> None:
        """started_ns is the time of the first step, not of creation."""
        sim, gw, server, _, _ = cluster()
        tio = Tio(gw.tios, PUT)
        sim.run(until=1_000)
        tio.next(server, TRIP)
        sim.run()
        assert (tio.started_ns, tio.finished_ns, tio.latency_ns) == (1_000, 10_500, 9_500)

    def test_jump_to_named_stage(self) -> None:
        """next(..., stage=NAME) skips to that stage; the walk continues from there."""
        sim, gw, server, _, log = cluster()

        def request(node: Server, tio: Tio[Node]) -> None:
            node.record(tio)
            tio.next(tio.source, TRIP, stage="PUT-XFER-ACK")  # short cut: no transfer

        pipeline = Pipeline(
            "short",
            [
                ("PUT-REQ", request),
                ("PUT-REQ-ACK", Gateway.on_put_req_ack),
                ("PUT-XFER", Server.on_put_xfer),
                ("PUT-XFER-ACK", Gateway.on_put_xfer_ack),
            ],
        )
        tio = Tio(gw.tios, pipeline)
        tio.next(server, TRIP)
        sim.run()
        assert log == [("PUT-REQ", "T#01", 2_000), ("PUT-XFER-ACK", "I#01", 4_000)]
        assert tio.done

    def test_jump_backwards_retries(self) -> None:
        """A jump may go back to an earlier stage (a retry) and the tio still completes."""
        sim, gw, server, _, log = cluster()
        tries: list[int] = []

        def ack(node: Gateway, tio: Tio[Node]) -> None:
            node.record(tio)
            tries.append(sim.now)
            if len(tries) < 2:
                tio.next(server, TRIP, stage="REQ")

        tio = Tio(gw.tios, Pipeline("retry", [("REQ", Server.on_put_xfer), ("ACK", ack)]))
        tio.next(server, TRIP)
        sim.run()
        assert log == [
            ("REQ", "T#01", 2_000),
            ("ACK", "I#01", 4_000),
            ("REQ", "T#01", 6_000),
            ("ACK", "I#01", 8_000),
        ]
        assert (tio.done, tio.finished_ns) == (True, 8_000)

    def test_unknown_jump_leaves_tio_unchanged(self) -> None:
        """A jump to an unknown stage raises at the call and the tio does not move."""
        _, gw, server, _, _ = cluster()
        tio = Tio(gw.tios, PUT)
        with pytest.raises(UnknownStageError, match="no stage 'PUT-NOPE'"):
            tio.next(server, TRIP, stage="PUT-NOPE")
        assert (tio.index, tio.in_flight, tio.started_ns) == (-1, False, None)

    def test_walk_past_last_stage(self) -> None:
        """Sending a step after the last stage raises PipelineError naming the pipeline."""
        sim, gw, server, _, _ = cluster()
        errors: list[str] = []

        def last(node: Node, tio: Tio[Node]) -> None:
            with pytest.raises(PipelineError) as info:
                tio.next(gw, 1)
            errors.append(str(info.value))

        tio = Tio(gw.tios, Pipeline("one", [("ONLY", last)]))
        tio.next(server, 1)
        sim.run()
        assert errors and "is at its last stage 'ONLY' of 'one' (ONLY): no next stage" in errors[0]
        assert not tio.done  # the last stage ran on a server, not on the source

    def test_bad_delay_leaves_tio_unchanged(self) -> None:
        """A negative or non-int delay raises SchedulingError before the tio moves."""
        _, gw, server, _, _ = cluster()
        tio = Tio(gw.tios, PUT)
        for delay in (-1, 1.5):
            with pytest.raises(SchedulingError, match="delay_ns must be an int >= 0"):
                tio.next(server, delay)  # type: ignore[arg-type]
        assert (tio.index, tio.in_flight) == (-1, False)

    def test_one_step_in_flight(self) -> None:
        """A second next() before the first step executed is an error (use children)."""
        _, gw, server, other, _ = cluster()
        tio = Tio(gw.tios, PUT)
        tio.next(server, TRIP)
        with pytest.raises(PipelineError, match="already has a step in flight to T#01"):
            tio.next(other, TRIP)
        assert tio.stage.name == "PUT-REQ"

    def test_no_stage_before_start(self) -> None:
        """A tio that has not made its first step has no current stage."""
        _, gw, _, _, _ = cluster()
        with pytest.raises(PipelineError, match="has not started"):
            Tio(gw.tios, PUT).stage


class TestManualTransport:
    def test_advance_then_run_stage(self) -> None:
        """advance() moves the tio; the carrier calls run_stage() on the receiver later."""
        sim, gw, server, _, log = cluster()

        def request(node: Server, tio: Tio[Node]) -> None:
            node.record(tio)

        tio = Tio(gw.tios, Pipeline("p", [("REQ", request), ("ACK", Gateway.on_put_xfer_ack)]))
        stage = tio.advance(server)
        assert (stage.name, tio.in_flight, tio.receiver) == ("REQ", True, server)
        sim.run(until=300)
        assert tio.run_stage(server) is True
        assert tio.advance(gw).name == "ACK"
        sim.run(until=700)
        tio.run_stage(gw)
        assert log == [("REQ", "T#01", 300), ("ACK", "I#01", 700)]
        assert (tio.done, tio.latency_ns) == (True, 700)

    def test_run_stage_on_wrong_node(self) -> None:
        """Executing a step on a node it was not sent to raises PipelineError."""
        _, gw, server, other, _ = cluster()
        tio = Tio(gw.tios, PUT)
        tio.advance(server)
        with pytest.raises(PipelineError, match="'PUT-REQ' was sent to T#01, not to T#02"):
            tio.run_stage(other)

    def test_run_stage_without_step(self) -> None:
        """Executing a tio with no step in flight raises PipelineError."""
        _, gw, server, _, _ = cluster()
        with pytest.raises(PipelineError, match="no step in flight"):
            Tio(gw.tios, PUT).run_stage(server)


class TestCompletion:
    def test_last_stage_on_source_completes(self) -> None:
        """The tio completes when its source runs the last stage: table updated, on_done run."""
        sim, gw, server, _, _ = cluster()
        finished: list[tuple[int, bool]] = []
        tio = Tio(gw.tios, PUT, on_done=lambda t: finished.append((sim.now, t.done)))
        assert tio in gw.tios and len(gw.tios) == 1
        tio.next(server, TRIP)
        sim.run()
        assert finished == [(9_500, True)]
        assert tio not in gw.tios and len(gw.tios) == 0
        assert gw.tios.stats() == TioStats(
            created=1,
            completed=1,
            aborted=0,
            open=0,
            stages_run=4,
            latency_total_ns=9_500,
            mean_latency_ns=9_500.0,
        )

    def test_only_at_source(self) -> None:
        """A last stage executed by another node does not complete the tio."""
        sim, gw, server, _, _ = cluster()
        pipeline = Pipeline("p", [("REQ", lambda node, tio: tio.next(gw, 1)), ("ACK", noop)])
        tio = Tio(gw.tios, pipeline)
        tio.next(server, 1)
        sim.run()
        assert tio.done and gw.tios.completed == 1
        other = Tio(server.tios, pipeline)  # source: the server
        other.next(gw, 1)  # REQ on the gateway sends ACK to the gateway, not the source
        sim.run()
        assert (other.done, other.index, other in server.tios) == (False, 1, True)

    def test_not_done_when_last_stage_jumps(self) -> None:
        """If the last stage's handler sends another step, the tio is not complete yet."""
        sim, gw, _, _, _ = cluster()
        runs: list[int] = []

        def ack(node: Node, tio: Tio[Node]) -> None:
            runs.append(sim.now)
            if len(runs) == 1:
                tio.next(node, 10, stage="ACK")

        tio = Tio(gw.tios, Pipeline("p", [("ACK", ack)]))
        tio.next(gw, 5)
        sim.run()
        assert runs == [5, 15]
        assert (tio.done, tio.finished_ns, gw.tios.completed) == (True, 15, 1)

    def test_keep_when_done(self) -> None:
        """remove_when_done=False keeps a completed tio in its table."""
        sim, gw, _, _, _ = cluster()
        tio = Tio(gw.tios, Pipeline("p", [("ACK", noop)]), remove_when_done=False)
        tio.next(gw, 1)
        sim.run()
        assert tio.done and tio in gw.tios

    def test_done_tio_takes_no_steps(self) -> None:
        """A completed tio cannot be walked further."""
        sim, gw, _, _, _ = cluster()
        tio = Tio(gw.tios, Pipeline("p", [("ACK", noop)]))
        tio.next(gw, 1)
        sim.run()
        with pytest.raises(PipelineError, match="is done: it takes no more steps"):
            tio.next(gw, 1, stage="ACK")


class TestChildren:
    def test_children_per_target(self) -> None:
        """Children are kept per target; the parent leaves the table when the last completes."""
        sim, gw, s1, s2, _ = cluster()
        chunks = ChunkSource(sim)
        chunk = chunks.new_chunk(1)
        parent = Tio(gw.tios, PUT, chunk=chunk)
        ack = Pipeline("ack", [("REP", lambda node, tio: tio.next(tio.source, 100)), ("ACK", noop)])
        kids = {
            s: Tio(gw.tios, ack, parent=parent, target=s, replica=chunks.new_replica(chunk, n))
            for n, s in ((1, s1), (2, s2))
        }
        assert parent.children == kids and list(gw.tios) == [parent]
        assert kids[s1].chunk is chunk and str(kids[s2]).endswith(f"({chunk}(2)),init,I#01=>T#02]")
        kids[s1].next(s1, 10)
        kids[s2].next(s2, 20)
        sim.run(until=115)
        assert list(parent.children) == [s2] and parent in gw.tios
        sim.run()
        assert parent.children == {} and parent not in gw.tios
        assert not parent.done  # the parent itself never walked its pipeline
        assert gw.tios.stats().completed == 2

    def test_child_needs_unique_target(self) -> None:
        """A child needs a target, and only one child per target."""
        _, gw, s1, _, _ = cluster()
        parent = Tio(gw.tios, PUT)
        with pytest.raises(
            ValueError, match="'target' parameter of Tio must be a node when 'parent' is given"
        ):
            Tio(gw.tios, PUT, parent=parent)
        Tio(gw.tios, PUT, parent=parent, target=s1)
        with pytest.raises(ValueError, match="has no child of this parent yet"):
            Tio(gw.tios, PUT, parent=parent, target=s1)


class TestAbort:
    def test_abort_drops_step_in_flight(self) -> None:
        """An aborted tio leaves its table and its step in flight is discarded."""
        sim, gw, server, _, log = cluster()
        tio = Tio(gw.tios, PUT)
        tio.next(server, TRIP)
        tio.abort()
        sim.run()
        assert log == []
        assert (tio.aborted, tio.done, tio in gw.tios) == (True, False, False)
        assert tio.run_stage(server) is False
        assert str(tio).startswith(f"[tio#{tio.sid},aborted,")
        with pytest.raises(PipelineError, match="is aborted"):
            tio.next(server, 1)

    def test_abort_parent_aborts_children(self) -> None:
        """Aborting a parent aborts its children; aborting a child detaches it from the parent."""
        _, gw, s1, s2, _ = cluster()
        parent = Tio(gw.tios, PUT)
        first = Tio(gw.tios, PUT, parent=parent, target=s1)
        second = Tio(gw.tios, PUT, parent=parent, target=s2)
        first.abort()
        assert list(parent.children) == [s2]
        parent.abort()
        parent.abort()  # idempotent
        assert (second.aborted, parent.children, len(gw.tios), gw.tios.aborted) == (True, {}, 0, 3)

    def test_cannot_abort_done(self) -> None:
        """A completed tio cannot be aborted."""
        sim, gw, _, _, _ = cluster()
        tio = Tio(gw.tios, Pipeline("p", [("ACK", noop)]))
        tio.next(gw, 1)
        sim.run()
        with pytest.raises(PipelineError, match="is done: it cannot be aborted"):
            tio.abort()


class TestTioTable:
    def test_creation_order_and_lookup(self) -> None:
        """Open tios iterate in creation order and are found by id."""
        _, gw, _, _, _ = cluster()
        tios = [Tio(gw.tios, PUT) for _ in range(5)]
        assert list(gw.tios) == tios
        assert gw.tios.get(tios[3].id) is tios[3]
        assert gw.tios.get(-1) is None
        assert "not a tio" not in gw.tios

    def test_ids_deterministic_and_unique(self) -> None:
        """Tio ids repeat with the seed, differ between owners and never collide."""

        def ids(seed: int) -> list[int]:
            _, gw, server, _, _ = cluster(seed)
            return [Tio(gw.tios, PUT).id for _ in range(3)] + [Tio(server.tios, PUT).id]

        assert ids(4) == ids(4)
        assert ids(4) != ids(5)
        assert len(set(ids(4))) == 4
        tio = Tio(cluster()[1].tios, PUT)
        assert tio.sid == tio.id & 0xFFFF

    def test_validation(self) -> None:
        """A Tio needs a TioTable and a Pipeline; a table needs a valid owner id."""
        sim, gw, _, _, _ = cluster()
        with pytest.raises(ValueError, match="'table' parameter of Tio must be a TioTable"):
            Tio(gw, PUT)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="'pipeline' parameter of Tio must be a Pipeline"):
            Tio(gw.tios, [noop])  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="'owner_id' parameter of TioTable"):
            TioTable(sim, gw, owner_id=-1)

    def test_empty_stats(self) -> None:
        """A fresh table's mean latency is 0.0, not a division by zero."""
        _, gw, _, _, _ = cluster()
        assert gw.tios.stats().mean_latency_ns == 0.0
