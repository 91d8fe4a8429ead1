"""Scale-out on Ray: an executor whose sandboxes are pools on every node of a Ray cluster.

    with Engine(RayPool(workers=8)) as engine:          # 8 sandboxes on *each* node
        results = engine.evaluate(tasks, samples)        # the same engine, cache, verdicts as locally

How it works:
1. One actor per alive node (pinned with node affinity), each holding a LocalPool of `workers` sandboxes
   (default: the node's CPU count) and reserving `actor_cpus` CPUs (default: as many as it runs sandboxes,
   capped at the node's CPUs) so Ray does not schedule other CPU work on top of it (_node.py).
2. `execute` queues the job; a dispatcher thread sends queued jobs in batches (up to `batch_size`, default
   twice the node's sandboxes) to the least loaded actor with fewer than `inflight` batches out, which
   amortises Ray's per-call cost under load. A suite's payload is `ray.put` once and each node fetches it
   once. The engine keeps `capacity` executions in flight, enough to fill every actor's batches.
3. An actor that dies mid-batch (node lost, OOM kill, `ray.kill`) has its jobs retried on another actor (a
   replacement is started on the same node while the node is alive) `actor_retries` times; after that they
   raise InfraError, and the engine reports status `error`, never a failed test (DESIGN rule 6).

Everything above the executor (per-task preparation and calibration, dedupe, the result cache, verdicts,
the audit, rewards) happens in the driver's Engine, once for the whole cluster.

Connecting (`start`): an explicit `address=` is passed to `ray.init`; otherwise a Ray already initialised in
this process is used as is; otherwise, if `RAY_ADDRESS` is set, that cluster (`RAY_ADDRESS=auto`: the one
`ray start` runs on this machine); otherwise a fresh local single-node cluster is started. The pool shuts
Ray down on close only if it started it.

Every node needs bubblewrap and the same codereward (and Python) installed: the actors import it there.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
import warnings
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import ray
from ray.exceptions import RayActorError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from ...errors import InfraError, IsolationError
from ...executor import Execution, Job
from ...stats import Stats
from ..local import check_options, fingerprint
from ._node import MISSING, NodePool

NAMESPACE = "codereward"  # actors are named `codereward-<pool>-<node>-<n>` in it, for `ray list actors`
NODE_STATS = ("executions", "infra_retries", "workers_restarted")  # summed over the nodes' pools
# How many times one node's actor is replaced after dying, per pool: a node that kills every actor it gets
# (e.g. OOM at start) must not be retried forever.
MAX_REPLACEMENTS_PER_NODE = 3
MAX_SUITE_REFS = 8192  # suite payloads kept `ray.put` on the driver


@dataclass(eq=False)
class _Actor:
    """The driver's view of one node actor."""

    handle: Any
    name: str
    node_id: str
    workers: int
    ready: Any = None  # the ObjectRef of its start() while it is starting, None once live
    alive: bool = True
    known: set[str] = field(default_factory=set)  # suite keys sent to it
    batches: int = 0  # batches sent and not back
    stats: dict[str, int] = field(default_factory=dict)  # its pool's last reported stats


@dataclass(eq=False)
class _Pending:
    job: Job  # with its suite's payload left out: the node has it, or gets it by reference
    future: Future = field(default_factory=Future)
    attempts: int = 0


class RayPool:
    """Sandbox pools on every node of a Ray cluster. Thread-safe; an executor (executor.py)."""

    def __init__(self, workers: int | None = None, *, isolation: str = "bwrap", packages: Sequence[str] = ("numpy",),
                 retries: int = 1, address: str | None = None, actor_cpus: float | None = None,
                 batch_size: int | None = None, inflight: int = 2, actor_retries: int = 1,
                 start_timeout: float = 120.0) -> None:
        """
        workers: sandboxes per node (default: that node's CPU count, as Ray reports it).
        isolation, packages, retries: each node's LocalPool's (backends/local.py).
        address: Ray cluster to connect to (see the module docstring for what happens without it).
        actor_cpus: CPUs each node's actor reserves from Ray (default: min(workers, node CPUs)); 0 lets
            codereward share nodes with CPU work Ray schedules (e.g. a trainer's workers).
        batch_size: jobs per Ray call at most (default: twice the node's sandboxes).
        inflight: batches out per actor, so its sandboxes never wait for the driver.
        actor_retries: how many times a job whose actor died is retried on another actor before it raises
            InfraError (its result is then `error`).
        start_timeout: seconds to wait for the node actors to start their sandboxes.
        """
        check_options(workers, isolation, "python")
        if isolation == "none":
            warnings.warn(
                "isolation='none': candidate code runs WITHOUT a sandbox, with your user's rights, on every "
                "node of the Ray cluster. Use it only for code you trust.", stacklevel=2)
        self._node_options = {"isolation": isolation, "packages": tuple(packages), "retries": retries}
        self._fingerprint = fingerprint(isolation, packages, "python", 256)
        self.workers, self.address, self.actor_cpus, self.batch_size = workers, address, actor_cpus, batch_size
        self.inflight, self.actor_retries, self.start_timeout = max(1, inflight), actor_retries, start_timeout
        self.stats = Stats(*NODE_STATS, "nodes", "batches", "actor_deaths", "actor_retries", "batch_errors")
        self._id = uuid.uuid4().hex[:8]
        self._cond = threading.Condition(threading.RLock())
        self._queue: deque[_Pending] = deque()
        self._actors: list[_Actor] = []
        self._dead_stats: dict[str, int] = dict.fromkeys(NODE_STATS, 0)
        self._replacements: dict[str, int] = {}
        self._n_actors = 0
        self._refs: OrderedDict[str, Any] = OrderedDict()  # suite key -> ObjectRef of its payload
        self._started = self._closing = self._owns_ray = False
        self._dispatcher: threading.Thread | None = None
        self._waiters: ThreadPoolExecutor | None = None

    # -- the executor ---------------------------------------------------------------------------------

    @property
    def n_workers(self) -> int:
        """Sandboxes over all live node actors (before start: the per-node count, or this machine's CPUs)."""
        with self._cond:
            live = self._live()
            return sum(a.workers for a in live) if live else self.workers or os.cpu_count() or 1

    @property
    def capacity(self) -> int:
        with self._cond:
            return sum(self._batch(a) for a in self._live()) * self.inflight or self.n_workers

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def execute(self, job: Job, *, meanwhile: Callable[[], None] | None = None,
                program: Callable[[], bytes] | None = None) -> Execution:
        if not self._started:
            self.start()
        if not job.program and program is not None:
            job = replace(job, program=program())
        pending = _Pending(replace(job, suite=replace(job.suite, data=b"")))
        with self._cond:
            if job.suite.key not in self._refs:
                self._refs[job.suite.key] = ray.put(job.suite.data)
                while len(self._refs) > MAX_SUITE_REFS:
                    self._refs.popitem(last=False)
            self._refs.move_to_end(job.suite.key)
            self._queue.append(pending)
            self._cond.notify_all()
        deferred: BaseException | None = None
        if meanwhile is not None:
            try:
                meanwhile()
            except BaseException as e:  # noqa: BLE001 — raised once the job is back, as LocalPool does
                deferred = e
        ex = pending.future.result()
        if deferred is not None:
            raise deferred
        return ex

    def actors(self) -> list[dict[str, Any]]:
        """The node actors in use: Ray actor name (for `ray list actors`, `ray.get_actor`), node, workers."""
        with self._cond:
            return [{"name": a.name, "node_id": a.node_id, "workers": a.workers, "starting": a.ready is not None}
                    for a in self._actors if a.alive]

    # -- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect to Ray and start one sandbox pool per alive node. IsolationError if a node cannot
        sandbox, InfraError if no node actor starts within `start_timeout`."""
        with self._cond:
            if self._started:
                return
            self._connect()
            try:
                for node in self._nodes():
                    self._spawn(node)
                self._await_start()
            except BaseException:
                self._teardown()
                raise
            self._closing = False
            self._waiters = ThreadPoolExecutor(4 * len(self._actors) * self.inflight + 4,
                                               thread_name_prefix="codereward-ray")
            self._dispatcher = threading.Thread(target=self._dispatch, name="codereward-ray-dispatch", daemon=True)
            self._dispatcher.start()
            self._started = True

    def close(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._dispatcher is not None:
            self._dispatcher.join(timeout=30)
            self._dispatcher = None
        with self._cond:
            self._fail_queued("the Ray pool was closed before this job ran")
            self._teardown()
        if self._waiters is not None:
            self._waiters.shutdown(wait=False, cancel_futures=True)
            self._waiters = None

    # -- dispatch -------------------------------------------------------------------------------------

    def _batch(self, actor: _Actor) -> int:
        return self.batch_size or 2 * actor.workers

    def _live(self) -> list[_Actor]:
        return [a for a in self._actors if a.alive and a.ready is None]

    def _dispatch(self) -> None:
        """Send queued jobs, a batch at a time, to actors with room; runs until the pool closes."""
        while True:
            with self._cond:
                while True:
                    if self._closing:
                        return
                    free = [a for a in self._live() if a.batches < self.inflight]
                    if self._queue and free:
                        break
                    if self._queue and not any(a.alive for a in self._actors):
                        self._fail_queued("no live Ray node actor to run this sample (all died)")
                    self._cond.wait()
                actor = min(free, key=lambda a: a.batches / a.workers)
                batch = [self._queue.popleft() for _ in range(min(self._batch(actor), len(self._queue)))]
                new = {p.job.suite.key: self._refs[p.job.suite.key] for p in batch
                       if p.job.suite.key not in actor.known and p.job.suite.key in self._refs}
                actor.known |= new.keys()
                actor.batches += 1
                self.stats.add("batches")
            ref = actor.handle.run_batch.remote(new, [p.job for p in batch])
            assert self._waiters is not None
            self._waiters.submit(self._collect, actor, ref, batch)

    def _collect(self, actor: _Actor, ref: Any, batch: list[_Pending]) -> None:
        """One batch is back: hand out its executions, or requeue / fail its jobs if it broke."""
        try:
            outs, stats = ray.get(ref)
        except RayActorError as e:
            self._actor_died(actor)
            self._retry(batch, f"the Ray actor on node {actor.node_id[:12]} died while running this sample: "
                               f"{_gist(e)}")
        except Exception as e:  # noqa: BLE001 — a remote exception or a lost object: an infra failure
            self.stats.add("batch_errors")
            self._retry(batch, f"the Ray batch failed on node {actor.node_id[:12]}: {_gist(e)}")
        else:
            with self._cond:
                actor.stats = stats
                for k in NODE_STATS:
                    self.stats[k] = self._dead_stats[k] + sum(a.stats.get(k, 0) for a in self._actors)
                for p, out in zip(batch, outs):
                    if isinstance(out, Execution):
                        p.future.set_result(out)
                    elif out == MISSING:  # the node evicted the payload since: send it again
                        actor.known.discard(p.job.suite.key)
                        self._queue.appendleft(p)
                    else:
                        p.future.set_exception(InfraError(out))
        finally:
            with self._cond:
                actor.batches -= 1
                self._cond.notify_all()

    def _retry(self, batch: list[_Pending], why: str) -> None:
        with self._cond:
            again = []
            for p in batch:
                p.attempts += 1
                if p.attempts <= self.actor_retries:
                    again.append(p)
                else:
                    suffix = f" (after {self.actor_retries} retr{'y' if self.actor_retries == 1 else 'ies'})" \
                        if self.actor_retries else ""
                    p.future.set_exception(InfraError(why + suffix))
            self.stats.add("actor_retries", len(again))
            self._queue.extendleft(reversed(again))  # retried first, in their original order
            self._cond.notify_all()

    def _fail_queued(self, why: str) -> None:
        while self._queue:
            self._queue.popleft().future.set_exception(InfraError(why))

    # -- actors ---------------------------------------------------------------------------------------

    def _connect(self) -> None:
        if ray.is_initialized():
            return  # a Ray job (e.g. a trainer) already connected this process: use its cluster
        if self.address is not None:
            ray.init(address=self.address, namespace=NAMESPACE, logging_level=logging.WARNING)
        elif os.environ.get("RAY_ADDRESS"):
            ray.init(namespace=NAMESPACE, logging_level=logging.WARNING)  # ray.init reads RAY_ADDRESS itself
        else:
            # "local": a fresh cluster even if `ray start` left one on this machine (that one is for
            # RAY_ADDRESS=auto); no dashboard, quiet logs — the CLI's stdout is for results only.
            ray.init(address="local", namespace=NAMESPACE, include_dashboard=False, logging_level=logging.WARNING)
        self._owns_ray = True

    def _nodes(self) -> list[dict[str, Any]]:
        """Alive nodes that can host an actor (with CPUs, unless actor_cpus=0 asks for none)."""
        return [n for n in ray.nodes()
                if n.get("Alive") and (self.actor_cpus == 0 or n.get("Resources", {}).get("CPU", 0) > 0)]

    def _spawn(self, node: dict[str, Any]) -> _Actor:
        """Start a node actor, pinned to `node` (hard affinity: a dead node must not move it elsewhere)."""
        node_cpus = node.get("Resources", {}).get("CPU", 0)
        workers = self.workers or max(1, int(node_cpus))
        cpus = self.actor_cpus if self.actor_cpus is not None else min(workers, node_cpus)
        self._n_actors += 1
        name = f"codereward-{self._id}-{node['NodeID'][:8]}-{self._n_actors}"
        # Threaded actor: several batches (`inflight`) feed one pool.
        handle = ray.remote(NodePool).options(
            name=name, num_cpus=cpus, max_concurrency=max(8, 4 * self.inflight), max_restarts=0,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node["NodeID"], soft=False),
        ).remote({**self._node_options, "workers": workers})
        actor = _Actor(handle=handle, name=name, node_id=node["NodeID"], workers=workers, ready=handle.start.remote())
        self._actors.append(actor)
        return actor

    def _await_start(self) -> None:
        """Wait for the starting actors; a node that cannot sandbox fails the start (as LocalPool would)."""
        starting = {a.ready: a for a in self._actors if a.ready is not None}
        done, late = ray.wait(list(starting), num_returns=len(starting), timeout=self.start_timeout)
        for ref in done:
            actor = starting[ref]
            try:
                info = ray.get(ref)
            except RayActorError as e:
                actor.alive = False
                warnings.warn(f"codereward: the actor for Ray node {actor.node_id[:12]} died while starting: "
                              f"{_gist(e)}", stacklevel=3)
                continue
            except Exception as e:  # noqa: BLE001 — IsolationError from the node, wrapped by Ray
                raise IsolationError(f"Ray node {actor.node_id[:12]}: {_gist(e)}") from None
            actor.ready, actor.workers = None, info["workers"]
        for ref in late:  # e.g. the node's CPUs are all held by other Ray work: leave it out, say so
            actor = starting[ref]
            actor.alive = False
            ray.kill(actor.handle)
            warnings.warn(f"codereward: no sandbox pool on Ray node {actor.node_id[:12]}: its actor did not "
                          f"start within {self.start_timeout:g} s (not enough free CPUs? see actor_cpus)",
                          stacklevel=3)
        self._actors = [a for a in self._actors if a.alive]
        if not self._actors:
            raise InfraError("no Ray node could start a codereward sandbox pool")
        self.stats["nodes"] = len(self._actors)

    def _actor_died(self, actor: _Actor) -> None:
        """Mark an actor dead (once) and start a replacement on its node while the node is alive."""
        with self._cond:
            if not actor.alive:
                return
            actor.alive = False
            self.stats.add("actor_deaths")
            for k in NODE_STATS:
                self._dead_stats[k] += actor.stats.get(k, 0)
            self._actors.remove(actor)
            node = next((n for n in self._nodes() if n["NodeID"] == actor.node_id), None)
            used = self._replacements.get(actor.node_id, 0)
            if self._started and node is not None and used < MAX_REPLACEMENTS_PER_NODE:
                self._replacements[actor.node_id] = used + 1
                fresh = self._spawn(node)
                assert self._waiters is not None
                self._waiters.submit(self._await_replacement, fresh)
            self.stats["nodes"] = len(self._live())
            self._cond.notify_all()

    def _await_replacement(self, actor: _Actor) -> None:
        try:
            info = ray.get(actor.ready, timeout=self.start_timeout)
        except Exception as e:  # noqa: BLE001 — it stays out of the pool; the jobs go elsewhere
            warnings.warn(f"codereward: a replacement actor on Ray node {actor.node_id[:12]} failed to start: "
                          f"{_gist(e)}", stacklevel=2)
            with self._cond:
                actor.alive = False
                if actor in self._actors:
                    self._actors.remove(actor)
                self._cond.notify_all()
            return
        with self._cond:
            actor.ready, actor.workers = None, info["workers"]
            self.stats["nodes"] = len(self._live())
            self._cond.notify_all()

    def _teardown(self) -> None:
        """Close every node pool (sandboxes stop cleanly), kill the actors, and leave Ray if we joined it."""
        actors, self._actors = self._actors, []
        try:
            ray.get([a.handle.close.remote() for a in actors if a.alive], timeout=30)
        except Exception:  # noqa: BLE001 — killing below stops the sandboxes anyway
            pass
        for a in actors:
            try:
                ray.kill(a.handle)
            except Exception:  # noqa: BLE001 — already gone
                pass
        self._refs.clear()  # the object refs die with the connection
        self._started = False
        if self._owns_ray:
            ray.shutdown()
            self._owns_ray = False


def _gist(e: BaseException) -> str:
    """Ray's exceptions carry multi-line remote tracebacks; a result's reason gets the gist."""
    lines = [line for line in str(e).strip().splitlines() if line.strip()]
    return (lines[-1] if lines else type(e).__name__)[:300]


__all__ = ["RayPool"]
