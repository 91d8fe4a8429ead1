"""Values the engine computes once per task (judge payloads, reference outputs, time limits...), shared
by the threads that run its samples."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from .errors import InfraError
from .tasks.model import Task

T = TypeVar("T")


class PerTask(Generic[T]):
    """A value computed once per task and cached, keyed by the task object's identity (tasks are
    immutable, and two tasks may share an id across files). Each entry keeps its task alive, so an id() is
    never reused while cached. A failure (InfraError) is cached too: it is the task's, not the sample's."""

    def __init__(self) -> None:
        self._values: dict[int, tuple[Task, T | InfraError]] = {}
        self._locks: dict[int, threading.RLock] = {}
        self._lock = threading.Lock()

    MAX_TASKS = 8192  # a long-running server sees unbounded distinct tasks: keep the most recent ones

    def get(self, task: Task, compute: Callable[[], T]) -> T:
        hit = self._values.get(id(task))
        if hit is not None and hit[0] is not task:  # defensive: an id reused after eviction
            hit = None
        if hit is None:
            with self._lock:
                lock = self._locks.setdefault(id(task), threading.RLock())
            with lock:
                hit = self._values.get(id(task))
                if hit is None:
                    try:
                        value: T | InfraError = compute()
                    except InfraError as e:
                        value = e
                    hit = (task, value)
                    with self._lock:
                        self._values[id(task)] = hit
                        while len(self._values) > self.MAX_TASKS:  # oldest first (insertion order)
                            old = next(iter(self._values))
                            del self._values[old]
                            self._locks.pop(old, None)
        if isinstance(hit[1], InfraError):
            raise hit[1]
        return hit[1]

    def peek(self, task: Task) -> T | None:
        """The value if already computed (and not a failure), else None; computes nothing."""
        hit = self._values.get(id(task))
        return hit[1] if hit is not None and hit[0] is task and not isinstance(hit[1], InfraError) else None
