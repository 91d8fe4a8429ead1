"""What every adapter shares: one lazily started engine per process, and (completion, label) -> a Result
whose reward is shaped (rewards.score), the one way every interface shapes rewards.

verl and OpenRLHF load reward files by path inside their own worker processes, so nothing can hand them an
engine object: the shared engine is configured from environment variables, started on first use, and
closed at interpreter exit.

    CODEREWARD_BACKEND     local (default) | ray
    CODEREWARD_WORKERS     sandboxes in this process (default: CPU count, or the adapter's share of the node's
                           CPUs where the trainer runs several reward processes per node: verl, OpenRLHF)
    CODEREWARD_ISOLATION   bwrap (default) | none (trusted code only)
    CODEREWARD_TIME_LIMIT  seconds per execution, or "auto" (default: each task's own limit)
    CODEREWARD_PACKAGES    comma-separated packages candidates may import (default: numpy)
    CODEREWARD_DATA_DIRS   directories (os.pathsep-separated) of SQL tasks' database files, read-only inside
    CODEREWARD_CACHE       a SQLite file: identical (task, program, settings) is answered from it
    CODEREWARD_FAIL_FAST   1 to stop a candidate's tests at its first failure (binary rewards only need that)
    CODEREWARD_REWARD      a reward spec (binary, the default; fraction; verpo:window=8; ...): the default
                           reward of the verl / OpenRLHF adapters
    CODEREWARD_ON_ERROR    raise (default) | a number: what verl / OpenRLHF get for an infrastructure error
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from codereward.engine import Engine
from codereward.errors import InfraError
from codereward.integrations.extract import extract_code
from codereward.results import Result, Status
from codereward.rewards import RewardFn, Shaper, get_shaper, score
from codereward.tasks.labels import Label, label_program, task_from_label
from codereward.tasks.model import Task

log = logging.getLogger("codereward.integrations")

RAISE = "raise"


def _env_engine_options(default_workers: Callable[[], int | None] | None = None) -> tuple[str, dict[str, Any]]:
    """(backend, Engine keyword arguments) from CODEREWARD_* variables.

    default_workers: asked for the sandbox count when CODEREWARD_WORKERS is unset and the backend is local
    (the ray backend's `workers` counts per node); None, or its returning None, leaves the pool's default.
    """
    opts: dict[str, Any] = {}
    backend = os.environ.get("CODEREWARD_BACKEND", "local")
    if workers := os.environ.get("CODEREWARD_WORKERS"):
        opts["workers"] = int(workers)
    elif default_workers is not None and backend == "local" and (n := default_workers()) is not None:
        opts["workers"] = n
        log.info("codereward: %d sandboxes in this process (set CODEREWARD_WORKERS to choose)", n)
    if isolation := os.environ.get("CODEREWARD_ISOLATION"):
        opts["isolation"] = isolation
    if limit := os.environ.get("CODEREWARD_TIME_LIMIT"):
        opts["time_limit"] = limit if limit == "auto" else float(limit)
    if data_dirs := os.environ.get("CODEREWARD_DATA_DIRS"):  # SQL tasks' database directories
        opts["data_dirs"] = [d for d in data_dirs.split(os.pathsep) if d]
    if (packages := os.environ.get("CODEREWARD_PACKAGES")) is not None:
        opts["packages"] = tuple(p.strip() for p in packages.split(",") if p.strip())
    if cache := os.environ.get("CODEREWARD_CACHE"):
        from codereward.cache import ResultCache  # imported only when asked for: it opens a SQLite file

        opts["cache"] = ResultCache(cache)
    if os.environ.get("CODEREWARD_FAIL_FAST", "").strip().lower() in ("1", "true", "yes"):
        opts["fail_fast"] = True
    return backend, opts


def ray_actor_nodes() -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """(this node's record, every alive node's record) from Ray (`ray.nodes()`: its counts respect `ray start
    --num-cpus/--num-gpus` and the container's CPU quota) when this process is a Ray actor, else None. For the
    adapters whose trainer runs the reward function in several actors per node, to size their sandbox pools."""
    ray = sys.modules.get("ray")  # an actor has imported it; anywhere else this stays cheap
    if ray is None or not ray.is_initialized():
        return None
    context = ray.get_runtime_context()
    if context.get_actor_id() is None:  # a driver or a task, not an actor
        return None
    here = context.get_node_id()
    nodes = [n for n in ray.nodes() if n.get("Alive", True)]
    return next((n for n in nodes if n.get("NodeID") == here), {}), nodes


def env_reward() -> str:
    return os.environ.get("CODEREWARD_REWARD", "binary")


def env_on_error() -> str | float:
    """CODEREWARD_ON_ERROR: "raise", or the number to report for an infrastructure error."""
    raw = os.environ.get("CODEREWARD_ON_ERROR", RAISE).strip()
    return RAISE if raw.lower() == RAISE else float(raw)


_engine: Engine | None = None
_engine_lock = threading.Lock()


def shared_engine(*, default_workers: Callable[[], int | None] | None = None) -> Engine:
    """This process's engine: created from CODEREWARD_* on first use, started, closed at exit.

    default_workers: the sandbox count when CODEREWARD_WORKERS is unset, for an adapter whose trainer runs
    several reward processes on a node (each with an engine of its own); called only when the engine is made.
    """
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                from codereward.backends import create_engine  # imported late: it pulls in the engine

                backend, opts = _env_engine_options(default_workers)
                engine = create_engine(backend, **opts)
                engine.start()
                atexit.register(engine.close)
                _engine = engine
    return _engine


def close_shared_engine() -> None:
    """Close the shared engine now (it is re-created on next use); for tests and long-lived servers."""
    global _engine
    with _engine_lock:
        if _engine is not None:
            _engine.close()
            _engine = None


def details(r: Result) -> dict[str, Any]:
    """Per-completion figures for trainers' logs: the same keys for every completion."""
    n = r.n_tests
    return {
        "pass_rate": (r.n_passed / n) if n else 0.0,  # share of tests passed
        "passed": 1.0 if r.status is Status.PASSED else 0.0,
        "n_tests": n,
        "n_passed": r.n_passed,
        "infra_error": 1.0 if r.status is Status.ERROR else 0.0,
        "audit_flags": len(r.flags or []),  # reward-hacking suspicions (audit/); they never change a verdict
        "status": r.status.value,
    }


def shaper_of(reward: str | Shaper | RewardFn) -> Shaper:
    return get_shaper(reward)


def score_many(engine: Engine, completions: Sequence[Any], labels: Sequence[Label], *, reward: Shaper,
               tasks: Mapping[str, Task] | None = None, groups: Sequence[Any] | None = None) -> list[Result]:
    """Run every completion against its label's tests, concurrently on the engine's pool, and shape the
    rewards (`groups`: one key per completion, e.g. its prompt, for group shapers); input order.

    A bad label raises InputError (a dataset bug must stop training); an infrastructure failure of one
    execution is a result with status error and reward None.
    """
    if len(completions) != len(labels):
        raise ValueError(f"{len(completions)} completions but {len(labels)} labels")
    task_list = [task_from_label(label, tasks=tasks) for label in labels]
    pairs = [(t, label_program(t, extract_code(c, t.language))) for t, c in zip(task_list, completions)]
    results = engine.run_many(pairs)
    _log_errors(results)
    score(results, reward, groups=[_group_key(g) for g in groups] if groups is not None else None,
          completions=completions)
    return results


def score_one(engine: Engine, completion: Any, label: Label, *, reward: Shaper,
              tasks: Mapping[str, Task] | None = None) -> Result:
    """One completion in the calling thread (verl and OpenRLHF call per sample from many threads)."""
    task = task_from_label(label, tasks=tasks)
    result = engine.run(task, label_program(task, extract_code(completion, task.language)))
    _log_errors([result])
    score([result], reward, completions=[completion])
    return result


def _group_key(prompt: Any) -> Any:
    """A prompt as a group key: chat prompts (lists of message dicts) are not hashable."""
    return prompt if isinstance(prompt, str) else repr(prompt)


def _log_errors(results: Sequence[Result]) -> None:
    for r in results:
        if r.status is Status.ERROR:
            log.warning("codereward: %s error on task %s: %s", r.cause.value if r.cause else "infrastructure",
                        r.task_id, r.reason)


def resolve_error(result: Result, on_error: str | float) -> float:
    """The number a framework that cannot take None gets: `on_error`, or InfraError when it is "raise"."""
    if result.reward is not None:
        return result.reward
    if on_error == RAISE:
        raise InfraError(f"codereward could not score a sample of task {result.task_id}: "
                         f"{result.reason} (set CODEREWARD_ON_ERROR to a number to score such samples "
                         f"instead of raising)")
    return float(on_error)
