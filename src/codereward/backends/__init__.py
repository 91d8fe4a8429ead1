"""Where executions run: the local sandbox pool (default) or sandbox pools on a Ray cluster.

Every backend exposes the Engine surface (start/close/context manager, check, run, evaluate, stats), so the
CLI, the server and the training adapters pick one by name and never care which it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from ..engine import Engine
from ..results import Result
from ..rewards import RewardFn
from ..tasks.model import Task
from ..tasks.samples import Sample

BACKENDS = ("local", "ray")


class Backend(Protocol):
    """What `create_engine` returns: `Engine`, or `backends.ray.RayEngine` (no shared base class)."""

    stats: dict[str, int]
    reward_fn: RewardFn

    @property
    def n_workers(self) -> int: ...
    def start(self) -> Backend: ...
    def close(self) -> None: ...
    def __enter__(self) -> Backend: ...
    def __exit__(self, *exc: object) -> None: ...
    def check(self, task: Task, *, completion: str | None = None, solution: str | None = None) -> Result: ...
    def run(self, task: Task, program: str) -> Result: ...
    def evaluate(self, tasks: Mapping[str, Task], samples: Sequence[Sample], *,
                 on_result: Callable[[int, Result], None] | None = None) -> list[Result]: ...


def create_engine(backend: str = "local", **engine_options: Any) -> Backend:
    """An engine on `backend` ("local" or "ray"); `engine_options` are Engine's keyword arguments (for "ray",
    also RayEngine's: address, actor_cpus, batch_size, inflight, actor_retries, start_timeout)."""
    if backend == "local":
        return Engine(**engine_options)
    if backend == "ray":
        from .ray import RayEngine  # imported lazily: ray is an optional dependency

        return RayEngine(**engine_options)
    raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
