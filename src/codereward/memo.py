"""Values computed once per task (prepared suites, reference outputs, time limits, static audit memos),
shared by the threads that run its samples."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from .errors import TaskError
from .tasks.model import Task

T = TypeVar("T")


class PerTask(Generic[T]):
    """A value computed once per task and cached, keyed by the task's content digest (two equal tasks,
    from two loads of a file or two requests, share it).

    A TaskError is cached too: the task is broken, and every later sample would meet it again. Any other
    exception (an InfraError: the sandbox broke while computing it) is not: the next sample tries again.
    """

    MAX_TASKS = 8192  # a long-running server sees unbounded distinct tasks: keep the most recent ones

    def __init__(self) -> None:
        self._values: OrderedDict[str, T | TaskError] = OrderedDict()
        self._locks: dict[str, threading.RLock] = {}
        self._lock = threading.Lock()

    def get(self, task: Task, compute: Callable[[], T]) -> T:
        key = task.digest()
        hit = self._values.get(key)
        if hit is None:
            with self._lock:
                lock = self._locks.setdefault(key, threading.RLock())
            with lock:  # one computation per task; its other samples wait for it
                hit = self._values.get(key)
                if hit is None:
                    try:
                        hit = compute()
                    except TaskError as e:
                        hit = e
                    with self._lock:
                        self._values[key] = hit
                        while len(self._values) > self.MAX_TASKS:  # oldest first (insertion order)
                            old, _ = self._values.popitem(last=False)
                            self._locks.pop(old, None)
        if isinstance(hit, TaskError):
            raise hit
        return hit

    def peek(self, task: Task) -> T | None:
        """The value if already computed (and not a failure), else None; computes nothing."""
        hit = self._values.get(task.digest())
        return None if isinstance(hit, TaskError) else hit

    def fail(self, task: Task, error: TaskError) -> None:
        """Remember that the task is broken (an execution showed it): later gets raise `error`."""
        with self._lock:
            self._values[task.digest()] = error
