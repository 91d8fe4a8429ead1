"""Where executions run: `LocalPool` (warm sandboxes on this machine, the default) or `RayPool` (sandbox
pools on every node of a Ray cluster). Both are executors (executor.py); one Engine drives either, so
caching, dedupe, per-task preparation, verdicts and the audit are the same whatever the backend.

    engine = create_engine("ray", workers=8, time_limit="auto")   # Engine(RayPool(workers=8), time_limit=...)
"""

from __future__ import annotations

from typing import Any

from ..engine import Engine
from ..errors import UsageError
from ..executor import Executor

BACKENDS = ("local", "ray")
# The options each backend's pool takes; every other option is the Engine's.
POOL_OPTIONS = {
    "local": frozenset({"workers", "isolation", "packages", "retries", "data_dirs"}),
    "ray": frozenset({"workers", "isolation", "packages", "retries", "data_dirs", "address", "actor_cpus", "batch_size",
                      "inflight", "actor_retries", "start_timeout"}),
}


def create_executor(backend: str = "local", **options: Any) -> Executor:
    """A `LocalPool` or a `RayPool` (imported only when asked for: ray is an optional dependency)."""
    if backend == "local":
        from .local import LocalPool

        return LocalPool(**options)
    if backend == "ray":
        from .ray import RayPool

        return RayPool(**options)
    raise UsageError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")


def create_engine(backend: str = "local", **options: Any) -> Engine:
    """An Engine over `backend`'s executor: pool options (workers, isolation, packages, retries; for "ray"
    also address, actor_cpus, batch_size, inflight, actor_retries, start_timeout) go to the pool, the rest
    (time_limit, fail_fast, cache, audit, dedupe, validate_tests, auto) to the Engine."""
    if backend not in POOL_OPTIONS:
        raise UsageError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    pool = {k: v for k, v in options.items() if k in POOL_OPTIONS[backend]}
    engine = {k: v for k, v in options.items() if k not in POOL_OPTIONS[backend]}
    return Engine(create_executor(backend, **pool), **engine)


__all__ = ["BACKENDS", "create_engine", "create_executor"]
