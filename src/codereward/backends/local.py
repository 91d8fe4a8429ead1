"""Warm sandboxes on this machine: the default executor.

    pool = LocalPool(workers=2)                          # or Engine(workers=2), which makes one
    execution = pool.execute(job)

Each worker is one bubblewrap sandbox (sandbox/worker.py) running one execution at a time. The pool starts
them, hands each job to an idle one (preferring one that already holds the job's judge: scheduling.py),
replaces a sandbox that broke and retries its job there, and closes them all.
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from ..errors import InfraError, UsageError
from ..executor import Execution, Job
from ..sandbox.bwrap import DEFAULT_PROFILE, ISOLATIONS, PROFILES, SandboxSpec, runs
from ..sandbox.worker import Worker
from ..scheduling import IdleWorkers
from ..stats import Stats

# How long past its time limit an execution may take before the zygote stops its judge: only a test suite
# that itself hangs needs it (candidate hangs are timed by the judge), so it can be generous.
GRACE = 2.0


def check_options(workers: int | None, isolation: str, profile: str) -> None:
    """UsageError for options no pool can take (checked when the pool is made, not at its first sandbox)."""
    if isolation not in ISOLATIONS:
        raise UsageError(f"unknown isolation {isolation!r}: use {' or '.join(map(repr, ISOLATIONS))}")
    if profile not in PROFILES:
        raise UsageError(f"unknown sandbox profile {profile!r}: use {', '.join(map(repr, PROFILES))}")
    if workers is not None and workers < 1:
        raise UsageError(f"workers must be at least 1, not {workers}")


def fingerprint(isolation: str, packages: Sequence[str], profile: str, tmp_mb: int) -> str:
    """The pool settings that can change a verdict (a program importing numpy passes with it, fails without):
    they key the result cache."""
    return json.dumps({"isolation": isolation, "packages": sorted(packages), "profile": profile, "tmp_mb": tmp_mb},
                      sort_keys=True)


class LocalPool:
    """Sandboxes on this machine. Thread-safe; started lazily by the first execution."""

    def __init__(self, workers: int | None = None, *, isolation: str = "bwrap", packages: Sequence[str] = ("numpy",),
                 retries: int = 1, profile: str = DEFAULT_PROFILE, tmp_mb: int = 256,
                 data_dirs: Sequence[str] = ()) -> None:
        """
        workers: concurrent sandboxes (default: CPU count); each runs one execution at a time.
        isolation: "bwrap" (default; refuses to run if bubblewrap cannot) or "none" (trusted code only).
        packages: third-party packages candidates may import besides the standard library.
        retries: how many times an execution is retried on a fresh sandbox after an infra failure.
        profile: the sandbox profile (sandbox/bwrap.py PROFILES): what its processes may do.
        tmp_mb: size of each sandbox's private /tmp.
        data_dirs: host directories every sandbox may read (SQL tasks' database files), read-only.
        """
        check_options(workers, isolation, profile)
        dirs = tuple(sorted({os.path.realpath(d) for d in data_dirs}))
        for d in dirs:
            if not os.path.isdir(d):
                raise UsageError(f"data_dirs: {d} is not a directory")
        if isolation == "none":
            warnings.warn(
                "isolation='none': candidate code runs WITHOUT a sandbox, with your user's rights. "
                "Use it only for code you trust.", stacklevel=2)
        self.spec = SandboxSpec(isolation=isolation, packages=tuple(packages), tmp_mb=tmp_mb, profile=profile,
                                data_dirs=dirs)
        self._n = max(1, workers or os.cpu_count() or 1)
        self.retries = retries
        self.stats = Stats("executions", "infra_retries", "workers_restarted")
        self._idle: IdleWorkers[Worker] = IdleWorkers()
        self.workers: list[Worker] = []  # the live sandboxes (tests and operators read their pids)
        self._started = False
        self._lock = threading.Lock()
        # Sandboxes are started from these long-lived threads only: bubblewrap's --die-with-parent is
        # PR_SET_PDEATHSIG, which fires when the *thread* that spawned it exits, not the process.
        self._spawner: ThreadPoolExecutor | None = None

    @property
    def n_workers(self) -> int:
        return self._n

    @property
    def capacity(self) -> int:
        return self._n

    @property
    def packages(self) -> tuple[str, ...] | None:
        """The packages its candidates may import (None: every installed one, there is no sandbox)."""
        return None if self.spec.isolation == "none" else self.spec.packages

    @property
    def data_dirs(self) -> tuple[str, ...] | None:
        """The host directories its sandboxes read (None: every path, there is no sandbox)."""
        return None if self.spec.isolation == "none" else self.spec.data_dirs

    @property
    def fingerprint(self) -> str:
        s = self.spec
        return fingerprint(s.isolation, s.packages, s.profile, s.tmp_mb)

    def start(self) -> None:
        """Start the sandboxes (done lazily by the first execution). Raises IsolationError if it cannot."""
        with self._lock:
            if self._started:
                return
            ncpu = os.cpu_count() or 1
            if self._spawner is None:
                self._spawner = ThreadPoolExecutor(self._n, thread_name_prefix="codereward-spawn")
            futures = [self._spawner.submit(Worker, self.spec, i % ncpu) for i in range(self._n)]
            errors = []
            for f in futures:
                try:
                    self.workers.append(f.result())
                except Exception as e:  # noqa: BLE001 — report the first, close the rest
                    errors.append(e)
            if errors:
                for w in self.workers:
                    w.close()
                self.workers.clear()
                raise errors[0]
            for w in self.workers:
                self._idle.put(w)
            self._started = True

    def close(self) -> None:
        with self._lock:
            for w in self.workers:
                w.close()
            self.workers.clear()
            self._idle = IdleWorkers()
            self._started = False
            if self._spawner is not None:
                self._spawner.shutdown(wait=True)
                self._spawner = None

    def execute(self, job: Job, *, meanwhile: Callable[[], None] | None = None,
                program: Callable[[], bytes] | None = None) -> Execution:
        """One execution on an idle sandbox; a broken sandbox is replaced and the execution retried."""
        if not self._started:  # hot path: no lock once the sandboxes are up
            self.start()
        if not runs(self.spec.profile, job.profile):
            raise UsageError(f"this pool runs the {self.spec.profile!r} sandbox profile, not {job.profile!r}")
        header = {
            "kind": job.suite.kind, "time": job.time, "grace": GRACE + 0.5 * job.time, "fail_fast": job.fail_fast,
            "collect": job.mode == "collect", "limits": job.limits, "entry": job.entry, "module": "__candidate__",
            "audit": job.audit, "values": job.values, "test_time": job.test_time, "cost": job.cost,
            "trace_watch": list(job.trace_watch) if job.trace_watch is not None else None,
            "only": list(job.only) if job.only is not None else None,
        }
        # Made while the sandbox hands the execution out (again on a retry, which is rare), unless given.
        payload: bytes | Callable[[], bytes] = job.program if job.program or program is None else program
        for attempt in range(self.retries + 1):
            worker = self._idle.take(job.suite.key)
            try:
                ex = worker.run(header, payload, job.suite.key, job.suite.data, meanwhile)
            except InfraError:
                worker = self._replace(worker)
                if attempt == self.retries:
                    raise
                self.stats.add("infra_retries")
                continue
            finally:
                self._idle.put(worker)
            self.stats.add("executions")
            return ex
        raise AssertionError("unreachable")

    def _replace(self, worker: Worker) -> Worker:
        """Swap a broken sandbox for a fresh one (same CPU)."""
        with self._lock:
            at = self.workers.index(worker) if worker in self.workers else None
        worker.close()
        assert self._spawner is not None
        fresh = self._spawner.submit(Worker, self.spec, None if at is None else at % (os.cpu_count() or 1)).result()
        with self._lock:
            if at is not None and at < len(self.workers) and self.workers[at] is worker:
                self.workers[at] = fresh
            else:
                self.workers.append(fresh)
        self.stats.add("workers_restarted")
        return fresh
