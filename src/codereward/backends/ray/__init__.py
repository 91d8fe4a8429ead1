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

from ...errors import InfraError
from ...executor import Execution, Job
from ...sandbox.bwrap import DEFAULT_PROFILE
from ...stats import Stats
from ..local import check_options, fingerprint
from ._cluster import NODE_STATS, Actor, Cluster, gist
from ._node import MISSING

MAX_SUITE_REFS = 8192  # suite payloads kept `ray.put` on the driver


@dataclass(eq=False)
class _Pending:
    job: Job  # with its suite's payload left out: the node has it, or gets it by reference
    future: Future[Execution] = field(default_factory=Future)
    attempts: int = 0


class RayPool:
    """Sandbox pools on every node of a Ray cluster. Thread-safe; an executor (executor.py)."""

    def __init__(self, workers: int | None = None, *, isolation: str = "bwrap", packages: Sequence[str] = ("numpy",),
                 retries: int = 1, address: str | None = None, actor_cpus: float | None = None,
                 batch_size: int | None = None, inflight: int = 2, actor_retries: int = 1,
                 start_timeout: float = 120.0, data_dirs: Sequence[str] = ()) -> None:
        """
        workers: sandboxes per node (default: that node's CPU count, as Ray reports it).
        isolation, packages, retries, data_dirs: each node's LocalPool's (backends/local.py); data_dirs must
            be at the same path on every node (a shared filesystem).
        address: Ray cluster to connect to (see the module docstring for what happens without it).
        actor_cpus: CPUs each node's actor reserves from Ray (default: min(workers, node CPUs)); 0 lets
            codereward share nodes with CPU work Ray schedules (e.g. a trainer's workers).
        batch_size: jobs per Ray call at most (default: twice the node's sandboxes).
        inflight: batches out per actor, so its sandboxes never wait for the driver.
        actor_retries: how many times a job whose actor died is retried on another actor before it raises
            InfraError (its result is then `error`).
        start_timeout: seconds to wait for the node actors to start their sandboxes.
        """
        check_options(workers, isolation, DEFAULT_PROFILE)
        if isolation == "none":
            warnings.warn(
                "isolation='none': candidate code runs WITHOUT a sandbox, with your user's rights, on every "
                "node of the Ray cluster. Use it only for code you trust.", stacklevel=2)
        self._fingerprint = fingerprint(isolation, packages, DEFAULT_PROFILE, 256)
        self.workers, self.batch_size = workers, batch_size
        self.inflight, self.actor_retries = max(1, inflight), actor_retries
        self.stats = Stats(*NODE_STATS, "nodes", "batches", "actor_deaths", "actor_retries", "batch_errors")
        self._cond = threading.Condition(threading.RLock())
        self._data_dirs = None if isolation == "none" else tuple(sorted({os.path.realpath(d) for d in data_dirs}))
        self._packages = None if isolation == "none" else tuple(packages)
        self._cluster = Cluster(uuid.uuid4().hex[:8], {"isolation": isolation, "packages": tuple(packages),
                                                       "retries": retries, "data_dirs": tuple(data_dirs)},
                                workers=workers, address=address, actor_cpus=actor_cpus, inflight=self.inflight,
                                start_timeout=start_timeout, stats=self.stats, cond=self._cond)
        self._queue: deque[_Pending] = deque()
        self._refs: OrderedDict[str, Any] = OrderedDict()  # suite key -> ObjectRef of its payload
        self._started = self._closing = False
        self._dispatcher: threading.Thread | None = None
        self._waiters: ThreadPoolExecutor | None = None

    # -- the executor ---------------------------------------------------------------------------------

    @property
    def data_dirs(self) -> tuple[str, ...] | None:
        """The host directories the nodes' sandboxes read (None: every path, there is no sandbox)."""
        return self._data_dirs

    @property
    def packages(self) -> tuple[str, ...] | None:
        """The packages the nodes' candidates may import (None: every installed one, there is no sandbox)."""
        return self._packages

    @property
    def n_workers(self) -> int:
        """Sandboxes over all live node actors (before start: the per-node count, or this machine's CPUs)."""
        with self._cond:
            live = self._cluster.live()
            return sum(a.workers for a in live) if live else self.workers or os.cpu_count() or 1

    @property
    def capacity(self) -> int:
        with self._cond:
            return sum(self._batch(a) for a in self._cluster.live()) * self.inflight or self.n_workers

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
                    for a in self._cluster.actors if a.alive]

    # -- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect to Ray and start one sandbox pool per alive node. IsolationError if a node cannot
        sandbox, InfraError if no node actor starts within `start_timeout`."""
        with self._cond:
            if self._started:
                return
            self._cluster.start()
            self._closing = False
            self._waiters = ThreadPoolExecutor(4 * len(self._cluster.actors) * self.inflight + 4,
                                               thread_name_prefix="codereward-ray")
            self._cluster.waiters = self._waiters
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
            self._cluster.waiters = None
            self._cluster.teardown()
            self._refs.clear()  # the object refs die with the connection
            self._started = False
        if self._waiters is not None:
            self._waiters.shutdown(wait=False, cancel_futures=True)
            self._waiters = None

    # -- dispatch -------------------------------------------------------------------------------------

    def _batch(self, actor: Actor) -> int:
        return self.batch_size or 2 * actor.workers

    def _dispatch(self) -> None:
        """Send queued jobs, a batch at a time, to actors with room; runs until the pool closes."""
        while True:
            with self._cond:
                while True:
                    if self._closing:
                        return
                    free = [a for a in self._cluster.live() if a.batches < self.inflight]
                    if self._queue and free:
                        break
                    if self._queue and not any(a.alive for a in self._cluster.actors):
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

    def _collect(self, actor: Actor, ref: Any, batch: list[_Pending]) -> None:
        """One batch is back: hand out its executions, or requeue / fail its jobs if it broke."""
        try:
            outs, stats = ray.get(ref)
        except RayActorError as e:
            self._cluster.died(actor)
            self._retry(batch, f"the Ray actor on node {actor.node_id[:12]} died while running this sample: "
                               f"{gist(e)}")
        except Exception as e:  # noqa: BLE001 — a remote exception or a lost object: an infra failure
            self.stats.add("batch_errors")
            self._retry(batch, f"the Ray batch failed on node {actor.node_id[:12]}: {gist(e)}")
        else:
            with self._cond:
                self._cluster.report(actor, stats)
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

__all__ = ["RayPool"]
