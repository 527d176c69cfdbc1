"""IO pipelines and transactions (SURGE's TIO): a declared walk of named stages.

What
----
A storage protocol is a fixed sequence of steps between nodes: the gateway asks, the
server grants, the gateway sends, the server acks. A :class:`Pipeline` declares that
sequence once, as named :class:`Stage` objects, each bound **directly** to the callable
that executes it, e.g. ``Stage("PUT-REQ", Server.on_put_request)``. A :class:`Tio`
("transactional IO") is one run of a pipeline: created by its *source* node, it walks the
stages in order, and **stage k is executed by whoever receives the k-th step**::

    tio = Tio(gateway.tios, PUT, target=server)   # index -1: not started
    tio.next(server, delay_ns)                    # -> server runs PUT-REQ at now + delay
        # in Server.on_put_request(self, tio):  tio.next(tio.source, delay_ns)
        # -> gateway runs PUT-REQ-ACK, and so on

A handler is called as ``handler(node, tio)``, so an unbound method ``Server.on_x`` is
called as ``Server.on_x(server, tio)``. ``tio.next(target, delay_ns, stage="NAME")`` jumps
to a named stage instead of the next one (retries, short cuts). The transaction is
**complete only when its source executes the last stage**: then ``done`` is set with
``finished_ns`` and ``latency_ns``, it leaves its source's :class:`TioTable`, and its
``on_done`` callback runs.

Transport: :meth:`Tio.next` delivers a step with ``sim.schedule`` (the fast callback
path) after ``delay_ns``. A model whose steps travel over links instead calls
:meth:`Tio.advance` to move to the next stage, lets the network carry the tio, and calls
:meth:`Tio.run_stage` on the receiving node. That is all this module needs of the engine.

Children: a tio created with ``parent=p, target=t`` is ``p``'s child for ``t`` (a proxy
fanning out one replica per server); when the last child completes, a parent created
with ``remove_when_done`` leaves its table as well. :meth:`Tio.abort` drops a tio (and its
children); a step of an aborted tio that is still on its way is discarded on arrival.

Each source node owns a :class:`TioTable`: its open top-level tios in creation order
(SURGE iterates a Go map, in random order), the id source, and the counters (created,
completed, aborted, stages run, total latency). Pipelines hold no state, so one declared
at module level is shared safely by any number of simulations.

Reference defects fixed
-----------------------
* SURGE names each stage's handler as a string (``"M5putrequest"``) resolved by
  reflection on the receiving node at run time; a typo fails mid-run. Here a stage holds
  the callable itself: mypy, a reader and a "go to definition" can follow it.
* SURGE's tio ids come from the wall clock; here they come from an
  :class:`~surge.storage.ids.IdSource` (seeded, unique, reproducible).
* SURGE lets a second ``next`` overwrite a step in flight; here a tio has at most one step
  in flight, and walking past the last stage or to an unknown stage raises
  :class:`PipelineError` at the call, naming the stages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from surge.sim.core import SchedulingError
from surge.storage._validate import check_int, param_error
from surge.storage.chunk import Chunk, Replica
from surge.storage.ids import MAX_ORIGIN, IdSource, short_id

if TYPE_CHECKING:
    from surge.sim import Simulation

__all__ = [
    "Handler",
    "Pipeline",
    "PipelineError",
    "Stage",
    "Tio",
    "TioStats",
    "TioTable",
    "UnknownStageError",
]

N = TypeVar("N")

#: A stage handler: called as ``handler(node, tio)`` by the node that receives the step.
#: The node is typed ``Any`` because successive stages run on nodes of different classes.
Handler = Callable[[Any, "Tio[Any]"], object]

_NOT_STARTED = -1


class PipelineError(RuntimeError):
    """A transaction was walked against its pipeline's rules."""


class UnknownStageError(PipelineError, LookupError):
    """A stage name that the pipeline does not declare."""


@dataclass(frozen=True, slots=True)
class Stage:
    """One named step of a pipeline and the callable that executes it.

    Attributes:
        name: the stage's name, unique in its pipeline (e.g. ``"PUT-REQ"``).
        handler: called as ``handler(node, tio)`` on the node that receives the step.

    Raises:
        ValueError: ``name`` is empty or ``handler`` is not callable.
    """

    name: str
    handler: Handler

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise param_error("name", "Stage", "a non-empty str", self.name)
        if not callable(self.handler):
            raise param_error("handler", "Stage", "a callable handler(node, tio)", self.handler)


class Pipeline:
    """An immutable, ordered sequence of uniquely named stages.

    Args:
        name: a label for logs.
        stages: :class:`Stage` objects or ``(name, handler)`` pairs, in walking order; at
            least one.

    Raises:
        ValueError: no stages, a duplicate stage name, or a bad stage.

    Example:
        >>> def step(node, tio): ...
        >>> put = Pipeline("put", [("PUT-REQ", step), ("PUT-ACK", step)])
        >>> str(put), len(put), put.index_of("PUT-ACK")
        ('PUT-REQ => PUT-ACK', 2, 1)
    """

    __slots__ = ("_index", "name", "stages")

    def __init__(self, name: str, stages: Iterable[Stage | tuple[str, Handler]]) -> None:
        if not isinstance(name, str) or not name:
            raise param_error("name", "Pipeline", "a non-empty str", name)
        built = tuple(item if isinstance(item, Stage) else Stage(*item) for item in stages)
        if not built:
            raise param_error("stages", "Pipeline", "a non-empty sequence of stages", [])
        index: dict[str, int] = {}
        for position, stage in enumerate(built):
            if stage.name in index:
                raise param_error(
                    "stages",
                    "Pipeline",
                    "stages with unique names",
                    f"{stage.name!r} twice (positions {index[stage.name]} and {position})",
                )
            index[stage.name] = position
        self.name = name
        self.stages: tuple[Stage, ...] = built
        self._index = index

    def __len__(self) -> int:
        return len(self.stages)

    def __getitem__(self, index: int) -> Stage:
        return self.stages[index]

    def __iter__(self) -> Iterator[Stage]:
        return iter(self.stages)

    @property
    def names(self) -> tuple[str, ...]:
        """The stage names in order."""
        return tuple(stage.name for stage in self.stages)

    def index_of(self, name: str) -> int:
        """The 0-based position of stage ``name``.

        Raises:
            UnknownStageError: no stage has that name (the message lists the names).
        """
        try:
            return self._index[name]
        except KeyError:
            raise UnknownStageError(
                f"pipeline {self.name!r} has no stage {name!r}; its stages are "
                f"{', '.join(self.names)}"
            ) from None

    def __str__(self) -> str:
        return " => ".join(self.names)

    def __repr__(self) -> str:
        return f"<Pipeline {self.name!r}: {self}>"


@dataclass(frozen=True, slots=True)
class TioStats:
    """Counters of a :class:`TioTable`.

    Attributes:
        created: tios created by the owner (children included).
        completed: tios completed at the owner (children included).
        aborted: tios aborted (children included).
        open: top-level tios still open.
        stages_run: stages executed, on any node, by the owner's tios.
        latency_total_ns: sum of the completed tios' latencies, ns.
        mean_latency_ns: ``latency_total_ns / completed`` (0.0 if none), ns.
    """

    created: int
    completed: int
    aborted: int
    open: int
    stages_run: int
    latency_total_ns: int
    mean_latency_ns: float


class TioTable(Generic[N]):
    """A source node's transactions: the open ones, the id source and the counters.

    A node keeps one (``self.tios = TioTable(sim, self, owner_id=self.id)``) and creates
    its tios from it. Open top-level tios iterate in creation order.

    Args:
        sim: the simulation (clock and scheduling).
        owner: the node that is the source of the table's tios.
        owner_id: the owner's id, in ``[0, MAX_ORIGIN]``; tio ids are numbered per
            owner id, so give each node its own.
    """

    __slots__ = (
        "_ids",
        "_open",
        "aborted",
        "completed",
        "created",
        "latency_total_ns",
        "owner",
        "owner_id",
        "sim",
        "stages_run",
    )

    def __init__(self, sim: Simulation, owner: N, *, owner_id: int = 0) -> None:
        self.owner_id = check_int(owner_id, "owner_id", "TioTable", low=0, high=MAX_ORIGIN)
        self.sim = sim
        self.owner = owner
        self._ids = IdSource(sim, "tio-ids")
        self._open: dict[int, Tio[N]] = {}
        self.created = 0
        self.completed = 0
        self.aborted = 0
        self.stages_run = 0
        self.latency_total_ns = 0

    def new_id(self) -> int:
        """The next tio id of this owner."""
        return self._ids.next_id(self.owner_id)

    def __len__(self) -> int:
        return len(self._open)

    def __iter__(self) -> Iterator[Tio[N]]:
        """Open top-level tios in creation order (a snapshot: safe to complete during it)."""
        return iter(list(self._open.values()))

    def __contains__(self, tio: object) -> bool:
        return isinstance(tio, Tio) and self._open.get(tio.id) is tio

    def get(self, tio_id: int) -> Tio[N] | None:
        """The open top-level tio with id ``tio_id``, or ``None``."""
        return self._open.get(tio_id)

    def _add(self, tio: Tio[N]) -> None:
        self._open[tio.id] = tio

    def _remove(self, tio: Tio[N]) -> None:
        if self._open.get(tio.id) is tio:
            del self._open[tio.id]

    def stats(self) -> TioStats:
        """The counters now, as a frozen :class:`TioStats`."""
        mean = self.latency_total_ns / self.completed if self.completed else 0.0
        return TioStats(
            created=self.created,
            completed=self.completed,
            aborted=self.aborted,
            open=len(self._open),
            stages_run=self.stages_run,
            latency_total_ns=self.latency_total_ns,
            mean_latency_ns=mean,
        )


def _deliver(tio: Tio[Any]) -> None:
    """Engine callback of :meth:`Tio.next`: run the step on its target unless aborted."""
    if not tio.aborted:
        tio.run_stage(tio.receiver)


class Tio(Generic[N]):
    """One transaction walking a :class:`Pipeline`, started by ``table.owner``.

    Args:
        table: the source node's table; the source is ``table.owner``.
        pipeline: the stages to walk.
        chunk: the chunk it works on (taken from ``replica`` if omitted).
        replica: the replica it works on.
        parent: make this tio ``parent``'s child for ``target`` (then ``target`` is
            required, and the tio is not put in the table's open list).
        target: the node it is for, e.g. a child's server (fixed; steps may go to other
            nodes, see ``receiver``).
        remove_when_done: leave the table (or the parent) on completion (SURGE's default).
        on_done: called as ``on_done(tio)`` at completion, after the bookkeeping.

    Attributes:
        id, sid: the unique id and the 16-bit short id for logs.
        index: the current stage, ``-1`` before the first step.
        receiver: the node that executes the current step (``None`` before the first).
        sender: the node that sent the current step (the source for the first).
        started_ns, finished_ns: time of the first step and of completion (``None``
            until then), ns.
        done, aborted: final states.
        children: child tios by target, in creation order.

    Raises:
        ValueError: a bad argument, or a child without a target or with a duplicate one.
    """

    __slots__ = (
        "_in_flight",
        "aborted",
        "children",
        "chunk",
        "done",
        "finished_ns",
        "id",
        "index",
        "on_done",
        "parent",
        "pipeline",
        "receiver",
        "remove_when_done",
        "replica",
        "sender",
        "sid",
        "source",
        "started_ns",
        "table",
        "target",
    )

    def __init__(
        self,
        table: TioTable[N],
        pipeline: Pipeline,
        *,
        chunk: Chunk | None = None,
        replica: Replica | None = None,
        parent: Tio[N] | None = None,
        target: N | None = None,
        remove_when_done: bool = True,
        on_done: Callable[[Tio[N]], object] | None = None,
    ) -> None:
        if not isinstance(table, TioTable):
            raise param_error("table", "Tio", "a TioTable", table)
        if not isinstance(pipeline, Pipeline):
            raise param_error("pipeline", "Tio", "a Pipeline", pipeline)
        if replica is not None and chunk is None:
            chunk = replica.chunk
        if parent is not None:
            if target is None:
                raise param_error("target", "Tio", "a node when 'parent' is given", target)
            if target in parent.children:
                raise param_error(
                    "target", "Tio", "a node that has no child of this parent yet", target
                )
        self.table = table
        self.pipeline = pipeline
        self.source: N = table.owner
        self.id = table.new_id()
        self.sid = short_id(self.id)
        self.index = _NOT_STARTED
        self.chunk = chunk
        self.replica = replica
        self.parent = parent
        self.target = target
        self.receiver: N | None = None
        self.sender: N | None = None
        self.children: dict[N, Tio[N]] = {}
        self.remove_when_done = remove_when_done
        self.on_done = on_done
        self.started_ns: int | None = None
        self.finished_ns: int | None = None
        self.done = False
        self.aborted = False
        self._in_flight = False
        table.created += 1
        if parent is None:
            table._add(self)
        elif target is not None:
            parent.children[target] = self

    # ------------------------------------------------------------------- reading
    @property
    def stage(self) -> Stage:
        """The current stage.

        Raises:
            PipelineError: the tio has not made its first step.
        """
        if self.index == _NOT_STARTED:
            raise PipelineError(f"{self!r} has not started: no current stage")
        return self.pipeline.stages[self.index]

    @property
    def in_flight(self) -> bool:
        """True while a step has been sent and not yet executed."""
        return self._in_flight

    @property
    def latency_ns(self) -> int | None:
        """``finished_ns - started_ns`` once done, else ``None``, ns."""
        if self.finished_ns is None or self.started_ns is None:
            return None
        return self.finished_ns - self.started_ns

    # ------------------------------------------------------------------- walking
    def advance(self, target: N, *, stage: str | None = None) -> Stage:
        """Move to the next stage (or to ``stage``), to be executed by ``target``.

        Use it when the step travels by other means than :meth:`next` (a network
        message); the receiver then calls :meth:`run_stage`. The first step records
        ``started_ns`` and has the source as sender; later steps are sent by the node
        that executed the current one.

        Args:
            target: the node that will execute the stage.
            stage: jump to this stage name instead of the next stage.

        Returns:
            The stage ``target`` will execute.

        Raises:
            PipelineError: the tio is done, aborted, already has a step in flight, or is
                at its last stage.
            UnknownStageError: ``stage`` is not a stage of the pipeline.
        """
        if self.done or self.aborted:
            state = "done" if self.done else "aborted"
            raise PipelineError(f"{self!r} is {state}: it takes no more steps")
        if self._in_flight:
            raise PipelineError(
                f"{self!r} already has a step in flight to {self.receiver!r}; a tio moves one "
                "step at a time (use children for fan-out)"
            )
        if stage is not None:
            index = self.pipeline.index_of(stage)
        else:
            index = self.index + 1
            if index >= len(self.pipeline):
                raise PipelineError(
                    f"{self!r} is at its last stage {self.pipeline.stages[-1].name!r} of "
                    f"{self.pipeline.name!r} ({self.pipeline}): no next stage"
                )
        if self.index == _NOT_STARTED:
            self.started_ns = self.table.sim.now
            self.sender = self.source
        else:
            self.sender = self.receiver
        self.index = index
        self.receiver = target
        self._in_flight = True
        return self.pipeline.stages[index]

    def next(self, target: N, delay_ns: int = 0, *, stage: str | None = None) -> Stage:
        """Send the next step (or ``stage``) to ``target``, executed at ``now + delay_ns``.

        Args:
            target: the node that will execute the stage.
            delay_ns: ns from now (int >= 0).
            stage: jump to this stage name instead of the next stage.

        Returns:
            The stage ``target`` will execute.

        Raises:
            PipelineError, UnknownStageError: as :meth:`advance`.
            SchedulingError: ``delay_ns`` is negative or not an int.
        """
        if delay_ns.__class__ is not int or delay_ns < 0:
            # Checked before advancing, so that a bad delay leaves the tio unchanged.
            raise SchedulingError(
                f"{self!r}: delay_ns must be an int >= 0 nanoseconds, got {delay_ns!r}"
            )
        next_stage = self.advance(target, stage=stage)
        self.table.sim.schedule(delay_ns, _deliver, self)
        return next_stage

    def run_stage(self, node: N) -> bool:
        """Execute the step in flight on ``node``, its receiver (SURGE's ``doStage``).

        For steps sent with :meth:`advance`; a step sent with :meth:`next` is executed by
        the engine and must not be run by hand. Calls ``stage.handler(node, tio)``; if
        ``node`` is the source, the stage is the last one and the handler did not send
        another step, the tio completes.

        Returns:
            ``False`` if the tio was aborted (the step is dropped), else ``True``.

        Raises:
            PipelineError: no step is in flight, or ``node`` is not its target.
        """
        if self.aborted:
            return False
        if not self._in_flight:
            raise PipelineError(f"{self!r} has no step in flight to execute")
        if node is not self.receiver:
            raise PipelineError(
                f"{self!r}: stage {self.stage.name!r} was sent to {self.receiver!r}, "
                f"not to {node!r}"
            )
        self._in_flight = False
        self.table.stages_run += 1
        index = self.index
        self.pipeline.stages[index].handler(node, self)
        if (
            node is self.source
            and index == len(self.pipeline) - 1
            and not self._in_flight
            and not self.aborted
            and not self.done
        ):
            self._complete()
        return True

    def _complete(self) -> None:
        table = self.table
        self.done = True
        self.finished_ns = table.sim.now
        table.completed += 1
        if self.started_ns is not None:
            table.latency_total_ns += self.finished_ns - self.started_ns
        if self.remove_when_done:
            self._detach()
            parent = self.parent
            if parent is not None and not parent.children and parent.remove_when_done:
                parent.table._remove(parent)
        if self.on_done is not None:
            self.on_done(self)

    def _detach(self) -> None:
        """Leave the table (top-level) or the parent's children (child)."""
        parent = self.parent
        if parent is None:
            self.table._remove(self)
        elif self.target is not None and parent.children.get(self.target) is self:
            del parent.children[self.target]

    def abort(self) -> None:
        """Drop the tio and its children; steps still on their way are discarded.

        A no-op on an aborted tio.

        Raises:
            PipelineError: the tio is already done.
        """
        if self.aborted:
            return
        if self.done:
            raise PipelineError(f"{self!r} is done: it cannot be aborted")
        for child in list(self.children.values()):
            if not child.done:
                child.abort()
        self.children.clear()
        self.aborted = True
        self._in_flight = False
        self.table.aborted += 1
        self._detach()

    def __repr__(self) -> str:
        if self.replica is not None:
            what = f"tio#{self.sid}({self.replica})"
        elif self.chunk is not None:
            what = f"tio#{self.sid}({self.chunk})"
        else:
            what = f"tio#{self.sid}"
        if self.aborted:
            where = "aborted"
        elif self.done:
            where = "done"
        elif self.index == _NOT_STARTED:
            where = "init"
        else:
            where = f"{self.pipeline.stages[self.index].name}"
        peer = self.target if self.target is not None else self.receiver
        return f"[{what},{where},{self.source}=>{peer}]"
