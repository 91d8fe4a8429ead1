"""Scale-out on Ray: the Engine surface, with executions spread over sandbox pools on every node of a cluster.

    with RayEngine(workers=8) as engine:                 # 8 sandboxes on *each* node
        results = engine.evaluate(tasks, samples)        # input order, like Engine

How it works:
1. One actor per alive node (pinned with node affinity), each holding a local `Engine` with `workers` sandboxes
   (default: the node's CPU count) and reserving `actor_cpus` CPUs (default: as many as it runs sandboxes,
   capped at the node's CPUs) so Ray does not schedule other CPU work on top of it.
2. Samples go out in batches (not one by one) to amortise Ray's per-call cost; every actor keeps `inflight`
   batches queued so its sandboxes never wait for the driver. Results come back per batch, so `on_result`
   fires batch by batch.
3. A task is `ray.put` once and known by a content hash (of its pickle, i.e. of exactly what is shipped);
   each actor keeps the Task object per hash, so the local Engine's per-task caches (judge payload, reference
   outputs, calibrated time limits) hit as they would locally.
4. Rewards are applied on the driver with the same function as `Engine` (a callable reward is never
   pickled), so `reward_fn` behaves identically; `error` results keep reward None.
5. An actor that dies mid-batch (node lost, OOM kill, `ray.kill`) has its samples retried on another actor
   (a replacement is started on the same node while the node is alive) `actor_retries` times; after that
   they are `Status.ERROR` with the reason — an infra failure is never scored as a failure (DESIGN rule 6).

Connecting (`start`): an explicit `address=` is passed to `ray.init`; otherwise a Ray already initialised in
this process is used as is; otherwise, if `RAY_ADDRESS` is set, that cluster (`RAY_ADDRESS=auto`: the one
`ray start` runs on this machine); otherwise a fresh local single-node cluster is started. The engine shuts
Ray down on close only if it started it.

Every node needs bubblewrap and the same codereward (and Python) installed: the actors import it there.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import pickle
import socket
import threading
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ray
from ray.exceptions import RayActorError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from ..engine import AUTO, Engine
from ..errors import InfraError, IsolationError
from ..results import Result, Status
from ..rewards import REWARDS, apply_reward
from ..scheduling import Duplicates
from ..tasks.model import Task
from ..tasks.samples import Sample

NAMESPACE = "codereward"  # actors are named `codereward-<engine>-<node>-<n>` in it, for `ray list actors`
ENGINE_STATS = ("executions", "infra_retries", "workers_restarted")  # summed over the nodes' engines
# How many times one node's actor is replaced after dying, per engine: a node that kills every actor it
# gets (e.g. OOM at start) must not be retried forever.
MAX_REPLACEMENTS_PER_NODE = 3
# Engine options that stay on the driver: a cache is a local file, shared by every node through the driver.
DRIVER_ONLY = frozenset({"cache", "dedupe"})


class _NodeEngine:
    """Runs inside the Ray actor on one node: a local Engine, and the tasks it was sent, by content hash."""

    def __init__(self, options: dict[str, Any]) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # isolation='none' was already warned about on the driver
            self._engine = Engine(**options)
        self._tasks: dict[str, Task] = {}
        self._lock = threading.Lock()

    def start(self) -> dict[str, Any]:
        """Start the sandboxes; what the driver needs to know about this node."""
        self._engine.start()
        return self.describe()

    def describe(self) -> dict[str, Any]:
        # Sandbox pids let a test (or an operator) check that killing the actor killed its sandboxes.
        return {"host": socket.gethostname(), "pid": os.getpid(), "workers": self._engine.n_workers,
                "sandbox_pids": [w.proc.pid for w in list(self._engine._workers)]}

    def run_batch(self, new_tasks: dict[str, Any], items: list[tuple[str, str]]) -> tuple[list[Result], dict]:
        """Run `(task hash, program)` items; `new_tasks` maps hashes this actor may not have yet to refs."""
        missing = [h for h in new_tasks if h not in self._tasks]
        if missing:
            # Refs nested in a dict are not resolved by Ray: fetched here, once per task per node.
            fetched = ray.get([new_tasks[h] for h in missing])
            with self._lock:
                for h, task in zip(missing, fetched):
                    self._tasks.setdefault(h, task)  # keep the first object: the Engine caches by identity
        samples = [Sample(task_id=h, solution=program) for h, program in items]
        results = self._engine.evaluate(self._tasks, samples)
        return results, dict(self._engine.stats)

    def close(self) -> None:
        self._engine.close()


@dataclass(eq=False)
class _Actor:
    """The driver's view of one node actor."""

    handle: Any
    name: str
    node_id: str
    workers: int
    ready: Any = None  # the ObjectRef of its start() while it is starting, None once live
    alive: bool = True
    known: set[str] = field(default_factory=set)  # task hashes a finished batch proved it holds
    outstanding: int = 0  # samples sent and not back, over all callers: picks the least loaded actor
    stats: dict[str, int] = field(default_factory=dict)  # its engine's last reported stats


@dataclass(eq=False)
class _Batch:
    actor: _Actor
    indices: list[int]
    hashes: set[str]


class RayEngine:
    """Runs candidate programs on sandbox pools on every node of a Ray cluster. Same surface as `Engine`.

    Thread-safe; use as a context manager.
    """

    def __init__(
        self,
        *,
        workers: int | None = None,
        address: str | None = None,
        actor_cpus: float | None = None,
        batch_size: int | None = None,
        inflight: int = 2,
        actor_retries: int = 1,
        start_timeout: float = 120.0,
        **engine_options: Any,
    ) -> None:
        """
        workers: sandboxes per node (default: that node's CPU count, as Ray reports it).
        engine_options: `Engine`'s other keyword arguments (isolation, packages, reward, time_limit, auto,
            retries, fail_fast, cache, ...), validated here as Engine validates them and forwarded to every
            node's engine, except: the reward is applied here on the driver (a callable is never pickled),
            and `cache` stays here (see below). `time_limit="auto"` is calibrated on each node.
        address: Ray cluster to connect to (see the module docstring for what happens without it).
        actor_cpus: CPUs each node's actor reserves from Ray (default: min(workers, node CPUs)); 0 lets
            codereward share nodes with CPU work Ray schedules (e.g. a trainer's workers).
        batch_size: samples per Ray call (default: 4 x the actor's workers, less when samples are few).
        inflight: batches queued per actor per caller, so its sandboxes never wait for the driver.
        actor_retries: how many times a sample whose actor died is retried on another actor before it is
            reported as `error`.
        start_timeout: seconds to wait for the node actors to start their sandboxes.

        A `cache` (ResultCache) is consulted and filled on the driver (one SQLite file, whatever the number
        of nodes), keyed as Engine keys it. It is not used with time_limit "auto": the calibrated limit that
        keys a result is known only on the node that calibrated it.
        """
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, not {workers}")
        # A never-started Engine validates the options exactly as the local backend does (same errors, same
        # isolation='none' warning) and holds the settings the driver needs; it starts no process.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._template = Engine(workers=workers or 1, **engine_options)
        if self._template.spec.isolation == "none":
            warnings.warn(
                "isolation='none': candidate code runs WITHOUT a sandbox, with your user's rights, on every "
                "node of the Ray cluster. Use it only for code you trust.", stacklevel=2)
        t = self._template
        self.spec, self.reward_fn, self.time_limit, self.auto = t.spec, t.reward_fn, t.time_limit, t.auto
        self.retries, self.fail_fast, self.dedupe = t.retries, t.fail_fast, t.dedupe
        self.cache = engine_options.get("cache")
        self.cache_extra: str = getattr(t, "cache_extra", "")  # settings that change results key the cache
        self.workers = workers
        self.address = address
        self.actor_cpus = actor_cpus
        self.batch_size = batch_size
        self.inflight = max(1, inflight)
        self.actor_retries = actor_retries
        self.start_timeout = start_timeout
        # Forwarded to the nodes: everything but the driver-side parts. The remote engines score with a
        # named reward; the driver re-applies self.reward_fn to every result anyway.
        reward = engine_options.get("reward", "binary")
        self._options: dict[str, Any] = {
            **{k: v for k, v in engine_options.items() if k not in DRIVER_ONLY},
            "reward": reward if isinstance(reward, str) else "binary",
            "dedupe": False,  # done here on the driver, over all samples, not per batch
        }
        self._id = uuid.uuid4().hex[:8]
        self._lock = threading.RLock()
        self._actors: list[_Actor] = []
        self._started = False
        self._owns_ray = False
        self._replacements: dict[str, int] = {}
        self._n_actors = 0
        self._task_keys: dict[int, tuple[Task, str, Any]] = {}  # id(task) -> (task kept alive, hash, ref)
        self._dead_stats: dict[str, int] = dict.fromkeys(ENGINE_STATS, 0)
        self.stats: dict[str, int] = {**dict.fromkeys(ENGINE_STATS, 0), "cache_hits": 0, "cache_misses": 0,
                                      "nodes": 0, "batches": 0, "actor_deaths": 0, "actor_retries": 0,
                                      "batch_errors": 0, "duplicates": 0}

    # -- lifecycle ----------------------------------------------------------------------------------

    @property
    def n_workers(self) -> int:
        """Sandboxes over all live node actors (before start: the per-node count, or this machine's CPUs)."""
        with self._lock:
            live = [a for a in self._actors if a.alive and a.ready is None]
            if live:
                return sum(a.workers for a in live)
        return self.workers or os.cpu_count() or 1

    def actors(self) -> list[dict[str, Any]]:
        """The node actors in use: Ray actor name (for `ray list actors`, `ray.get_actor`), node, workers."""
        with self._lock:
            return [{"name": a.name, "node_id": a.node_id, "workers": a.workers, "starting": a.ready is not None}
                    for a in self._actors if a.alive]

    def start(self) -> RayEngine:
        """Connect to Ray and start one sandbox pool per alive node. Raises IsolationError if a node
        cannot sandbox, InfraError if no node actor starts within `start_timeout`."""
        with self._lock:
            if self._started:
                return self
            self._connect()
            try:
                for node in self._nodes():
                    self._spawn(node)
                self._await_start()
            except BaseException:
                self._teardown()
                raise
            self._started = True
        return self

    def close(self) -> None:
        with self._lock:
            self._teardown()

    def __enter__(self) -> RayEngine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API -----------------------------------------------------------------------------------

    def check(self, task: Task, *, completion: str | None = None, solution: str | None = None) -> Result:
        """Run one candidate: a `completion` appended to the prompt, or a full `solution` program."""
        return self.run(task, task.program(completion=completion, solution=solution))

    def run(self, task: Task, program: str) -> Result:
        """Run one program against one task (on the least loaded node) and decide its verdict."""
        return self._dispatch([(task, program)], None)[0]

    def evaluate(
        self,
        tasks: Mapping[str, Task],
        samples: Sequence[Sample],
        *,
        on_result: Callable[[int, Result], None] | None = None,
    ) -> list[Result]:
        """Run every sample against its task; results come back in input order.

        `on_result(index, result)` is called as each batch comes back (from the calling thread).
        """
        # As Engine.evaluate: each distinct (task, program) runs once, its copies share the verdict.
        programs, dups = Duplicates.of_samples(tasks, samples, self.dedupe)
        items = [(tasks[samples[i].task_id], programs[i]) for i in dups.leaders]
        results: list[Result | None] = [None] * len(samples)

        def deliver(i: int, r: Result) -> None:
            results[i] = r
            if on_result is not None:
                on_result(i, r)

        def done(k: int, r: Result) -> None:
            i = dups.leaders[k]
            r.completion_id = samples[i].completion_id
            deliver(i, r)
            for j in dups.copies.get(i, ()):
                deliver(j, dups.share(r, i, samples[j].completion_id))

        self._dispatch(items, done)
        self.stats["duplicates"] += dups.n_copies
        return results  # type: ignore[return-value]

    # -- dispatch -------------------------------------------------------------------------------------

    def _dispatch(self, items: list[tuple[Task, str]], on_result: Callable[[int, Result], None] | None) -> list[Result]:
        """Send items in batches to the node actors, retry those whose actor died, collect in input order."""
        self.start()
        results: list[Result | None] = [None] * len(items)
        keys = [self._task_key(task) for task, _ in items]
        attempts = [0] * len(items)
        running: dict[Any, _Batch] = {}  # ObjectRef of run_batch -> batch
        cache_keys: list[str | None] = [self._cache_key(task, program) for task, program in items]

        def finish(i: int, r: Result) -> None:
            results[i] = apply_reward(r, self.reward_fn)
            key = cache_keys[i]
            if key is not None and r.status is not Status.ERROR:
                self.cache.put(key, r)  # type: ignore[union-attr]  # a key exists only with a cache
                cache_keys[i] = None
            if on_result is not None:
                on_result(i, r)

        def give_up(indices: list[int], why: str) -> None:
            for i in indices:
                finish(i, Result(task_id=items[i][0].id, status=Status.ERROR, reason=why))

        pending: deque[int] = deque()
        for i, key in enumerate(cache_keys):
            hit = self.cache.get(key) if key is not None else None  # type: ignore[union-attr]
            if key is not None:
                with self._lock:
                    self.stats["cache_hits" if hit is not None else "cache_misses"] += 1
            if hit is None:
                pending.append(i)
            else:
                cache_keys[i] = None  # recomputed reward, as Engine does: a custom reward function may change
                finish(i, hit)
        try:
            while pending or running:
                self._fill(pending, running, items, keys)
                if not running:  # work left, but no live actor to take it
                    if not self._await_replacement():
                        give_up(list(pending), "no live Ray node actor to run this sample (all died)")
                        pending.clear()
                    continue
                # Starting replacements are waited on too, so they join as soon as they are up.
                with self._lock:
                    starting = [a.ready for a in self._actors if a.alive and a.ready is not None]
                done, _ = ray.wait([*running, *starting], num_returns=1)
                for ref in done:
                    batch = running.pop(ref, None)
                    if batch is None:
                        self._poll_starting()
                        continue
                    self._collect(ref, batch, items, attempts, pending, finish, give_up)
        except BaseException:
            for ref in running:  # Ctrl-C or a bug: stop what has not started; running sandboxes finish
                try:
                    ray.cancel(ref)
                except Exception:  # noqa: BLE001 — best effort, the actor may be gone already
                    pass
            with self._lock:
                for batch in running.values():
                    batch.actor.outstanding -= len(batch.indices)
            raise
        return results  # type: ignore[return-value]

    def _fill(self, pending: deque[int], running: dict[Any, _Batch], items: list[tuple[Task, str]],
              keys: list[tuple[str, Any]]) -> None:
        """Give live actors batches until each has `inflight` of this call's batches or nothing is left."""
        with self._lock:
            live = [a for a in self._actors if a.alive and a.ready is None]
            mine = {a: 0 for a in live}
            for b in running.values():
                if b.actor in mine:
                    mine[b.actor] += 1
            while pending:
                free = [a for a in live if mine[a] < self.inflight]
                if not free:
                    return
                actor = min(free, key=lambda a: a.outstanding / a.workers)
                size = self.batch_size or max(1, min(4 * actor.workers, math.ceil(len(pending) / len(live))))
                indices = [pending.popleft() for _ in range(min(size, len(pending)))]
                hashes = {keys[i][0] for i in indices}
                new = {h: ref for h, ref in (keys[i] for i in indices) if h not in actor.known}
                ref = actor.handle.run_batch.remote(new, [(keys[i][0], items[i][1]) for i in indices])
                running[ref] = _Batch(actor, indices, hashes)
                mine[actor] += 1
                actor.outstanding += len(indices)
                self.stats["batches"] += 1

    def _collect(self, ref: Any, batch: _Batch, items: list[tuple[Task, str]], attempts: list[int],
                 pending: deque[int], finish: Callable[[int, Result], None],
                 give_up: Callable[[list[int], str], None]) -> None:
        """One batch is back: deliver its results, or requeue / fail its samples if it broke."""
        actor = batch.actor
        try:
            remote_results, stats = ray.get(ref)
        except RayActorError as e:
            why = f"the Ray actor on node {actor.node_id[:12]} died while running this sample: {_gist(e)}"
            self._actor_died(actor)
        except Exception as e:  # noqa: BLE001 — a remote exception or a lost object: an infra failure
            why = f"the Ray batch failed on node {actor.node_id[:12]}: {_gist(e)}"
            with self._lock:
                self.stats["batch_errors"] += 1
        else:
            with self._lock:
                actor.outstanding -= len(batch.indices)
                actor.known |= batch.hashes
                actor.stats = stats
                self._sum_stats()
            for i, r in zip(batch.indices, remote_results):
                finish(i, r)
            return
        with self._lock:
            actor.outstanding -= len(batch.indices)
        retry, failed = [], []
        for i in batch.indices:
            attempts[i] += 1
            (retry if attempts[i] <= self.actor_retries else failed).append(i)
        with self._lock:
            self.stats["actor_retries"] += len(retry)
        pending.extendleft(reversed(retry))  # retried first, in their original order
        suffix = f" (after {self.actor_retries} retr{'y' if self.actor_retries == 1 else 'ies'})" \
            if self.actor_retries else ""
        give_up(failed, why + suffix)

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
            ray.init(address="local", namespace=NAMESPACE, include_dashboard=False,
                     logging_level=logging.WARNING)
        self._owns_ray = True

    def _nodes(self) -> list[dict[str, Any]]:
        """Alive nodes that can host an actor (with CPUs, unless actor_cpus=0 asks for none)."""
        return [n for n in ray.nodes()
                if n.get("Alive") and (self.actor_cpus == 0 or n.get("Resources", {}).get("CPU", 0) > 0)]

    def _spawn(self, node: dict[str, Any]) -> None:
        """Start a node actor, pinned to `node` (hard affinity: a dead node must not move it elsewhere)."""
        node_cpus = node.get("Resources", {}).get("CPU", 0)
        workers = self.workers or max(1, int(node_cpus))
        cpus = self.actor_cpus if self.actor_cpus is not None else min(workers, node_cpus)
        self._n_actors += 1
        name = f"codereward-{self._id}-{node['NodeID'][:8]}-{self._n_actors}"
        # Threaded actor: several batches (from `inflight` and from concurrent callers) feed one Engine pool.
        handle = ray.remote(_NodeEngine).options(
            name=name, num_cpus=cpus, max_concurrency=max(8, 4 * workers), max_restarts=0,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node["NodeID"], soft=False),
        ).remote({**self._options, "workers": workers})
        self._actors.append(_Actor(handle=handle, name=name, node_id=node["NodeID"], workers=workers,
                                   ready=handle.start.remote()))

    def _await_start(self) -> None:
        """Wait for the starting actors; a node that cannot sandbox fails the start (as Engine would)."""
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
        with self._lock:
            if not actor.alive:
                return
            actor.alive = False
            self.stats["actor_deaths"] += 1
            for k in ENGINE_STATS:
                self._dead_stats[k] += actor.stats.get(k, 0)
            self._actors.remove(actor)
            if not self._started:
                return
            node = next((n for n in self._nodes() if n["NodeID"] == actor.node_id), None)
            used = self._replacements.get(actor.node_id, 0)
            if node is not None and used < MAX_REPLACEMENTS_PER_NODE:
                self._replacements[actor.node_id] = used + 1
                self._spawn(node)
            self.stats["nodes"] = len(self._actors)

    def _poll_starting(self) -> None:
        """Promote replacement actors whose start() finished; drop those that failed to start."""
        with self._lock:
            for actor in [a for a in self._actors if a.alive and a.ready is not None]:
                done, _ = ray.wait([actor.ready], timeout=0)
                if not done:
                    continue
                try:
                    info = ray.get(actor.ready)
                except Exception as e:  # noqa: BLE001 — it stays out of the pool; the samples go elsewhere
                    warnings.warn(f"codereward: a replacement actor on Ray node {actor.node_id[:12]} failed to "
                                  f"start: {_gist(e)}", stacklevel=2)
                    actor.alive = False
                    self._actors.remove(actor)
                    continue
                actor.ready, actor.workers = None, info["workers"]
            self.stats["nodes"] = len(self._actors)

    def _await_replacement(self) -> bool:
        """No live actor: wait for a starting one. False if none is starting or none started in time."""
        with self._lock:
            starting = [a.ready for a in self._actors if a.alive and a.ready is not None]
        if not starting:
            return False
        ray.wait(starting, num_returns=1, timeout=self.start_timeout)
        self._poll_starting()
        with self._lock:
            return any(a.alive and a.ready is None for a in self._actors)

    def _teardown(self) -> None:
        """Close every node engine (sandboxes stop cleanly), kill the actors, and leave Ray if we joined it."""
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
        self._task_keys.clear()  # the object refs die with the connection
        self._started = False
        if self._owns_ray:
            ray.shutdown()
            self._owns_ray = False

    # -- helpers --------------------------------------------------------------------------------------

    def _task_key(self, task: Task) -> tuple[str, Any]:
        """(content hash, object ref) of a task; hashed and `ray.put` once per task object.

        The hash is of the pickle, i.e. of exactly what the actor receives: equal content (even from two
        loads of a file) shares one entry, and no two different tasks can (a JSON dump could: inf and nan
        both serialise to null).
        """
        hit = self._task_keys.get(id(task))
        if hit is None:
            data = pickle.dumps(task, protocol=5)
            hit = (task, hashlib.sha256(data).hexdigest(), ray.put(task))
            with self._lock:
                self._task_keys.setdefault(id(task), hit)  # the entry keeps the task alive: id() stays its
        return hit[1], hit[2]

    def _cache_key(self, task: Task, program: str) -> str | None:
        """Engine's cache key for (task, program), or None without a cache or with time_limit "auto"."""
        if self.cache is None or self.time_limit == AUTO:
            return None
        limit = task.limits.time if self.time_limit is None else float(self.time_limit)
        reward_name = next((n for n, f in REWARDS.items() if f is self.reward_fn),
                           getattr(self.reward_fn, "__qualname__", repr(self.reward_fn)))
        return self.cache.key(task, program, time_limit=limit, reward=reward_name, fail_fast=self.fail_fast,
                              extra=self.cache_extra)

    def _sum_stats(self) -> None:
        for k in ENGINE_STATS:
            self.stats[k] = self._dead_stats[k] + sum(a.stats.get(k, 0) for a in self._actors)


def _gist(e: BaseException) -> str:
    """Ray's exceptions carry multi-line remote tracebacks; a result's reason gets the gist."""
    text = str(e).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    last = lines[-1] if lines else type(e).__name__
    return last[:300]
