"""The server's engine room: one Engine, a bounded queue of samples, counters for /metrics, draining.

Handlers never call the engine directly: they hand `run_batch` a list of (task, program) pairs, which runs
them as one `Engine.run_many` (the CLI's `eval` path: exact copies in an RL group run once, a task's
samples stay on the sandbox holding its judge). The queue is a count of samples accepted and not yet
finished; a request that would overflow it is refused at once (QueueFull -> 429 with Retry-After) instead
of waiting, so a client is never left hanging. Blocking jobs run on a thread pool of their own, so the
event loop never waits for a sandbox.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import warnings
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from ..backends import create_engine
from ..cache import ResultCache
from ..engine import Engine
from ..judge.sqldb import data_dirs, installed_packages
from ..judge.verdict import sandbox_error
from ..results import Result
from ..tasks.model import Task
from ._settings import ServerSettings

log = logging.getLogger("codereward.server")
RATE_WINDOW = 60.0  # seconds over which executions/s is measured for /metrics
WAIT_POLL = 0.05  # seconds between looks at a full queue, for a request that waits for room
T = TypeVar("T")


class ServiceError(Exception):
    """A request cannot be served now; the HTTP layer maps each subclass to a status code."""

    status_code = 503

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueueFull(ServiceError):
    """The queue has no room for this request's samples: retry later (429)."""

    status_code = 429


class BatchTooLarge(ServiceError):
    """A single request holds more samples than the whole queue (413): split it."""

    status_code = 413


class Draining(ServiceError):
    """The server is shutting down and takes no new work, or gave up on this request's unfinished work."""

    status_code = 503


class Metrics:
    """Counters behind /metrics. Updated from worker threads, so every change takes the lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: Counter[str] = Counter()  # by result status
        self.outcomes: Counter[str] = Counter()  # by test outcome
        self.requests: Counter[tuple[str, int]] = Counter()  # by (path, HTTP status)
        self.rejected: Counter[str] = Counter()  # by reason: queue_full, draining, too_large
        self.sample_seconds = 0.0  # summed wall time from acceptance to result
        self._finished: deque[float] = deque()  # monotonic times of recent executions, for the rate

    def record(self, result: Result, seconds: float) -> None:
        now = time.monotonic()
        with self.lock:
            self.samples[result.status.value] += 1
            self.outcomes.update(t.outcome.value for t in result.tests)
            self.sample_seconds += seconds
            self._finished.append(now)
            self._trim(now)

    def rate(self) -> float:
        """Results per second over the last RATE_WINDOW seconds."""
        now = time.monotonic()
        with self.lock:
            self._trim(now)
            return len(self._finished) / RATE_WINDOW

    def _trim(self, now: float) -> None:
        while self._finished and self._finished[0] < now - RATE_WINDOW:
            self._finished.popleft()


class EvalService:
    """Owns the engine and the admission queue; `run_batch` is the one entry point for handlers."""

    def __init__(self, settings: ServerSettings, *, engine: Engine | None = None) -> None:
        self.settings = settings
        self.tasks = settings.tasks
        self.cache: ResultCache | None = None
        self.engine = engine
        self.metrics = Metrics()
        self.started_at = time.time()
        self.draining = False
        self._depth = 0
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._abort: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the cache and start the sandboxes (raises IsolationError if they cannot start). Once."""
        s = self.settings
        if self._pool is not None:
            return
        if self.engine is None:
            if s.cache_path:
                self.cache = ResultCache(s.cache_path)
            with warnings.catch_warnings():  # `serve` itself warns loudly about isolation none
                warnings.simplefilter("ignore")
                self.engine = create_engine(s.backend, workers=s.workers, isolation=s.isolation,
                                            time_limit=s.time_limit, fail_fast=s.fail_fast, cache=self.cache,
                                            per_test=s.per_test, packages=("numpy", *installed_packages()),
                                            data_dirs=sorted({*s.data_dirs, *data_dirs(s.tasks)}))
        else:
            self.cache = self.engine.cache
        self.engine.start()
        n = self.engine.n_workers or s.workers or os.cpu_count() or 1
        # Twice the sandboxes: requests whose samples are all cache hits go on while every sandbox is busy.
        self._pool = ThreadPoolExecutor(2 * n, thread_name_prefix="codereward-serve")

    def bind_loop(self) -> None:
        """Called on the server's event loop at start-up: draining is driven from there."""
        self._loop = asyncio.get_running_loop()
        self._abort = asyncio.Event()

    def begin_drain(self, grace: float | None = None) -> None:
        """Stop accepting work; after `grace` seconds, fail what is still unfinished with 503.

        Safe to call from a signal handler: it only sets a flag and schedules the rest on the event loop.
        """
        self.draining = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            delay = self.settings.shutdown_grace if grace is None else grace
            # A little before uvicorn's own graceful timeout, so requests still get an answer.
            loop.call_soon_threadsafe(lambda: loop.call_later(max(0.0, delay - 1.0), self._fire_abort))

    def _fire_abort(self) -> None:
        if self._abort is not None:
            self._abort.set()

    def close(self) -> None:
        """Cancel queued work, wait for running executions, close the sandboxes and the cache."""
        self.draining = True
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self.engine is not None:
            self.engine.close()
        if self.cache is not None:
            self.cache.close()

    # -- work ---------------------------------------------------------------------------------------

    @property
    def queue_depth(self) -> int:
        return self._depth

    async def _admit_within(self, n: int, wait: float) -> None:
        """_admit, waiting up to `wait` seconds for room in a full queue (for clients that cannot retry)."""
        deadline = time.monotonic() + wait
        while True:
            try:
                return self._admit(n, count=time.monotonic() >= deadline)
            except QueueFull:
                if time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(WAIT_POLL)

    def _admit(self, n: int, count: bool = True) -> None:
        s = self.settings
        with self._lock:
            refusal: tuple[str, ServiceError] | None = None  # (reason for /metrics, the error)
            if self.draining:
                refusal = "draining", Draining("the server is shutting down; send this request to another "
                                               "server or retry", retry_after=s.retry_after)
            elif n > s.max_queue:
                refusal = "too_large", BatchTooLarge(f"the request holds {n} samples, more than the server's "
                                                     f"whole queue ({s.max_queue}): split it")
            elif self._depth + n > s.max_queue:
                refusal = "queue_full", QueueFull(f"queue full ({self._depth} of {s.max_queue} samples "
                                                  f"pending); retry later", retry_after=s.retry_after)
            if refusal is None:
                self._depth += n
                return
        reason, exc = refusal
        if count or reason != "queue_full":
            with self.metrics.lock:
                self.metrics.rejected[reason] += 1
        raise exc

    def _release(self, n: int = 1) -> None:
        with self._lock:
            self._depth -= n

    def _run_one(self, job: Callable[[], T], accepted: float) -> T:
        out = job()
        for result in out if isinstance(out, list) else [out]:
            if isinstance(result, Result):
                self.metrics.record(result, time.monotonic() - accepted)
        return out

    async def run_jobs(self, jobs: list[Callable[[], T]], samples: int | None = None, wait: float = 0.0) -> list[T]:
        """Run blocking jobs on the pool through the admission queue; results in input order. `samples`:
        how many samples the jobs hold together (default: one each), which is what the queue counts. `wait`:
        seconds to wait for room in a full queue before refusing (the compatible routes: their clients turn
        a 429 into a 0 or a lost sample)."""
        if not jobs:
            return []
        n = samples if samples is not None else len(jobs)
        shares = [n // len(jobs) + (1 if i < n % len(jobs) else 0) for i in range(len(jobs))]
        if wait > 0:
            await self._admit_within(n, wait)
        else:
            self._admit(n)
        pool = self._pool
        if pool is None:
            self._release(n)
            raise Draining("the server is not running", retry_after=self.settings.retry_after)
        accepted = time.monotonic()
        futures: list[Future[T]] = []
        try:
            for job, share in zip(jobs, shares):
                f = pool.submit(self._run_one, job, accepted)

                def release(_: Future[T], share: int = share) -> None:  # when run or cancelled: no depth leaks
                    self._release(share)

                f.add_done_callback(release)
                futures.append(f)
        except RuntimeError:  # the pool shut down between admission and submission
            self._release(sum(shares[len(futures):]))
            for f in futures:
                f.cancel()
            raise Draining("the server is shutting down", retry_after=self.settings.retry_after) from None
        gathered = asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
        abort = self._abort
        if abort is None:
            return list(await gathered)
        waiter = asyncio.ensure_future(abort.wait())
        racing: set[asyncio.Future[Any]] = {gathered, waiter}
        try:
            done, _ = await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if gathered not in done:
            gathered.cancel()
            for f in futures:
                f.cancel()
            raise Draining("the server shut down before this request finished; retry it",
                           retry_after=self.settings.retry_after)
        return list(gathered.result())

    async def run_batch(self, pairs: list[tuple[Task, str]], wait: float = 0.0) -> list[Result]:
        """Evaluate (task, program) pairs as one batch; results in input order. Infra failures come back as
        status error."""
        engine = self.engine
        assert engine is not None, "the service is not started"

        def evaluate() -> list[Result]:
            try:
                return engine.run_many(pairs)
            except Exception as e:  # noqa: BLE001 — an engine bug is an infra error of these samples, never a 0
                log.exception("evaluation of a batch of %d samples failed", len(pairs))
                return [sandbox_error(task.id, f"server error: {type(e).__name__}: {e}") for task, _ in pairs]

        (results,) = await self.run_jobs([evaluate], samples=len(pairs), wait=wait)
        return results

    def snapshot(self) -> dict[str, Any]:
        """Everything /metrics and /health report, read once."""
        stats = dict(self.engine.stats) if self.engine is not None else {}
        with self.metrics.lock:
            m = {"samples": dict(self.metrics.samples), "outcomes": dict(self.metrics.outcomes),
                 "requests": dict(self.metrics.requests), "rejected": dict(self.metrics.rejected),
                 "sample_seconds": self.metrics.sample_seconds}
        return {"queue_depth": self._depth, "queue_capacity": self.settings.max_queue, "draining": self.draining,
                "rate": self.metrics.rate(), "engine": stats,
                "cache": self.cache.stats() if self.cache is not None else None, **m}
