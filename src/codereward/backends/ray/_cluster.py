"""The node actors of one RayPool: connect to Ray, start one actor per alive node, replace an actor that
dies while its node lives, and tear them all down."""

from __future__ import annotations

import logging
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import ray
from ray.exceptions import RayActorError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from ...errors import InfraError, IsolationError
from ...stats import Stats
from ._node import NodePool

NAMESPACE = "codereward"  # actors are named `codereward-<pool>-<node>-<n>` in it, for `ray list actors`
NODE_STATS = ("executions", "infra_retries", "workers_restarted")  # summed over the nodes' pools
# How many times one node's actor is replaced after dying, per pool: a node that kills every actor it gets
# (e.g. OOM at start) must not be retried forever.
MAX_REPLACEMENTS_PER_NODE = 3


@dataclass(eq=False)
class Actor:
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


class Cluster:
    """The actors, guarded by the pool's condition (`cond`), which is notified whenever one comes or goes."""

    def __init__(self, pool_id: str, node_options: dict[str, Any], *, workers: int | None, address: str | None,
                 actor_cpus: float | None, inflight: int, start_timeout: float, stats: Stats,
                 cond: threading.Condition) -> None:
        self.pool_id, self.node_options, self.workers, self.address = pool_id, node_options, workers, address
        self.actor_cpus, self.inflight, self.start_timeout = actor_cpus, inflight, start_timeout
        self.stats, self.cond = stats, cond
        self.actors: list[Actor] = []
        self._dead_stats: dict[str, int] = dict.fromkeys(NODE_STATS, 0)
        self._replacements: dict[str, int] = {}
        self._n_actors = 0
        self._owns_ray = False
        self.waiters: ThreadPoolExecutor | None = None  # set by the pool: where replacements are awaited

    def live(self) -> list[Actor]:
        return [a for a in self.actors if a.alive and a.ready is None]

    def start(self) -> None:
        """Connect and start one actor per alive node; IsolationError if a node cannot sandbox, InfraError if
        none starts within `start_timeout`."""
        self._connect()
        try:
            for node in self._nodes():
                self._spawn(node)
            self._await_start()
        except BaseException:
            self.teardown()
            raise

    def report(self, actor: Actor, stats: dict[str, int]) -> None:
        """An actor's pool reported its stats: the pool's sums, dead actors' included."""
        actor.stats = stats
        for k in NODE_STATS:
            self.stats[k] = self._dead_stats[k] + sum(a.stats.get(k, 0) for a in self.actors)

    def _connect(self) -> None:
        if ray.is_initialized():
            return  # a Ray job (e.g. a trainer) already connected this process: use its cluster
        address = self.address or os.environ.get("RAY_ADDRESS")
        try:
            if self.address is not None:
                ray.init(address=self.address, namespace=NAMESPACE, logging_level=logging.WARNING)
            elif address:
                ray.init(namespace=NAMESPACE, logging_level=logging.WARNING)  # ray.init reads RAY_ADDRESS itself
            else:
                # "local": a fresh cluster even if `ray start` left one on this machine (that one is for
                # RAY_ADDRESS=auto); no dashboard, quiet logs — the CLI's stdout is for results only.
                ray.init(address="local", namespace=NAMESPACE, include_dashboard=False,
                         logging_level=logging.WARNING)
        except Exception as e:  # noqa: BLE001 — ConnectionError, RuntimeError, Ray's auth errors: one message
            hint = ""
            if "auth" in str(e).lower() and os.environ.get("RAY_AUTH_MODE", "disabled") != "token":
                hint = (" (the cluster asks for a token: set RAY_AUTH_MODE=token, with the cluster's token in "
                        "~/.ray/auth_token or RAY_AUTH_TOKEN)")
            raise InfraError(f"cannot connect to the Ray cluster {address or '(local)'}: {gist(e)}{hint}") from None
        self._owns_ray = True

    def _nodes(self) -> list[dict[str, Any]]:
        """Alive nodes that can host an actor (with CPUs, unless actor_cpus=0 asks for none)."""
        return [n for n in ray.nodes()
                if n.get("Alive") and (self.actor_cpus == 0 or n.get("Resources", {}).get("CPU", 0) > 0)]

    def _spawn(self, node: dict[str, Any]) -> Actor:
        """Start a node actor, pinned to `node` (hard affinity: a dead node must not move it elsewhere)."""
        node_cpus = node.get("Resources", {}).get("CPU", 0)
        workers = self.workers or max(1, int(node_cpus))
        cpus = self.actor_cpus if self.actor_cpus is not None else min(workers, node_cpus)
        self._n_actors += 1
        name = f"codereward-{self.pool_id}-{node['NodeID'][:8]}-{self._n_actors}"
        # Threaded actor: several batches (`inflight`) feed one pool. Any, as Actor.handle: Ray types an actor
        # method's .remote() only for methods decorated with @ray.method.
        handle: Any = ray.remote(NodePool).options(
            name=name, num_cpus=cpus, max_concurrency=max(8, 4 * self.inflight), max_restarts=0,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node["NodeID"], soft=False),
        ).remote({**self.node_options, "workers": workers})
        actor = Actor(handle=handle, name=name, node_id=node["NodeID"], workers=workers, ready=handle.start.remote())
        self.actors.append(actor)
        return actor

    def _await_start(self) -> None:
        """Wait for the starting actors; a node that cannot sandbox fails the start (as LocalPool would)."""
        starting = {a.ready: a for a in self.actors if a.ready is not None}
        done, late = ray.wait(list(starting), num_returns=len(starting), timeout=self.start_timeout)
        for ref in done:
            actor = starting[ref]
            try:
                info = ray.get(ref)
            except RayActorError as e:
                actor.alive = False
                warnings.warn(f"codereward: the actor for Ray node {actor.node_id[:12]} died while starting: "
                              f"{gist(e)}", stacklevel=4)
                continue
            except Exception as e:  # noqa: BLE001 — IsolationError from the node, wrapped by Ray
                raise IsolationError(f"Ray node {actor.node_id[:12]}: {gist(e)}") from None
            actor.ready, actor.workers = None, info["workers"]
        for ref in late:  # e.g. the node's CPUs are all held by other Ray work: leave it out, say so
            actor = starting[ref]
            actor.alive = False
            ray.kill(actor.handle)
            warnings.warn(f"codereward: no sandbox pool on Ray node {actor.node_id[:12]}: its actor did not "
                          f"start within {self.start_timeout:g} s (not enough free CPUs? see actor_cpus)",
                          stacklevel=4)
        self.actors = [a for a in self.actors if a.alive]
        if not self.actors:
            raise InfraError("no Ray node could start a codereward sandbox pool")
        self.stats["nodes"] = len(self.actors)

    def died(self, actor: Actor) -> None:
        """Mark an actor dead (once) and start a replacement on its node while the node is alive."""
        with self.cond:
            if not actor.alive:
                return
            actor.alive = False
            self.stats.add("actor_deaths")
            for k in NODE_STATS:
                self._dead_stats[k] += actor.stats.get(k, 0)
            self.actors.remove(actor)
            node = next((n for n in self._nodes() if n["NodeID"] == actor.node_id), None)
            used = self._replacements.get(actor.node_id, 0)
            if self.waiters is not None and node is not None and used < MAX_REPLACEMENTS_PER_NODE:
                self._replacements[actor.node_id] = used + 1
                self.waiters.submit(self._await_replacement, self._spawn(node))
            self.stats["nodes"] = len(self.live())
            self.cond.notify_all()

    def _await_replacement(self, actor: Actor) -> None:
        try:
            info = ray.get(actor.ready, timeout=self.start_timeout)
        except Exception as e:  # noqa: BLE001 — it stays out of the pool; the jobs go elsewhere
            warnings.warn(f"codereward: a replacement actor on Ray node {actor.node_id[:12]} failed to start: "
                          f"{gist(e)}", stacklevel=2)
            with self.cond:
                actor.alive = False
                if actor in self.actors:
                    self.actors.remove(actor)
                self.cond.notify_all()
            return
        with self.cond:
            actor.ready, actor.workers = None, info["workers"]
            self.stats["nodes"] = len(self.live())
            self.cond.notify_all()

    def teardown(self) -> None:
        """Close every node pool (sandboxes stop cleanly), kill the actors, and leave Ray if we joined it."""
        actors, self.actors = self.actors, []
        try:
            ray.get([a.handle.close.remote() for a in actors if a.alive], timeout=30)
        except Exception:  # noqa: BLE001 — killing below stops the sandboxes anyway
            pass
        for a in actors:
            try:
                ray.kill(a.handle)
            except Exception:  # noqa: BLE001 — already gone
                pass
        if self._owns_ray:
            ray.shutdown()
            self._owns_ray = False


def gist(e: BaseException) -> str:
    """Ray's exceptions carry multi-line remote tracebacks; a result's reason gets the gist."""
    lines = [line for line in str(e).strip().splitlines() if line.strip()]
    return (lines[-1] if lines else type(e).__name__)[:300]
