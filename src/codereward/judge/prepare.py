"""Per-task preparation: what every execution of a task needs, computed once per task (by content).

    prep = TaskPrep(run, time_limit="auto")
    prepared = prep.get(task)      # suite payload, test plan, time limit, invalid tests

1. The suite payload: the task's tests encoded for its judge (an assert suite compiled and planned here,
   on the host, so that no judge parses it in a fresh fork); call cases without an expected value get the
   reference solution's output (evalplus style), from one run of the reference in collect mode.
2. The test plan: each test's name, stable id and visibility.
3. The time limit: the engine's, the task's own, or (`"auto"`) calibrated from a run of the reference.
4. Per-test time limits, where the task's limits (or the engine) ask for them (`PerTestLimit`): each test's
   from the reference's own time on it, measured by the runs above (or by one judged run), slowest run kept.
   They go into the suite payload, so each test is stopped at its own limit by the judge; they only ever
   tighten the execution's limit, which stays the backstop.
5. With `validate_tests`: the tests that fail on the reference solution, known invalid from then on.

A task whose tests or reference are broken raises TaskError, remembered for the task (memo.PerTask); a
sandbox that broke meanwhile raises InfraError, which is not remembered: the next sample tries again.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .. import pyast
from ..errors import InfraError, TaskError
from ..executor import Execution, Mode, SuitePayload
from ..languages import case_cpu_seconds
from ..languages.sql import DUCKDB_HINT
from ..memo import PerTask
from ..results import ErrorCause, Outcome, Result, Status
from ..sandboxed import plan, sqlresult, wire
from ..sandboxed.native import wall_ceiling
from ..sandboxed.records import short
from ..tasks.model import AssertSuite, CallSuite, CheckerProgram, PerTestLimit, SqlSuite, StdioSuite, Task
from .sqldb import database_args
from .sqldb import packages as sql_packages
from .testplan import TestPlan
from .verdict import decide

if TYPE_CHECKING:
    from ..cache import ResultCache

AUTO = "auto"
TASK_OWN = "task"  # per-test time limits: each task's own (Limits.per_test)
# Runs one program against one suite: (task, program, suite, seconds, mode) -> Execution; InfraError if the
# sandbox broke (the Engine's, which knows the executor and the languages).
Run = Callable[[Task, str, SuitePayload, float, Mode], Execution]


@dataclass(frozen=True)
class AutoTimeLimit:
    """`--time-limit auto`: limit = max(floor, factor x the reference solution's own wall time), at most
    ceiling. The evalplus recipe (factor x reference time, with a floor), applied to the whole execution.

    `runs`: reference runs timed, the slowest kept. One suffices: it is the run that prepares the task's
    judge in its sandbox, the slowest a run of the task gets, and 10 x is a wide margin (bench/README.md:
    on CodeT's 16,400 samples one run flips no verdict that two did not). Every run is an execution that
    an RL step of new prompts pays for each of them."""

    factor: float = 10.0
    floor: float = 0.25
    ceiling: float = 60.0
    runs: int = 1

    def limit(self, reference_seconds: float) -> float:
        return min(self.ceiling, max(self.floor, self.factor * reference_seconds))


DEFAULT_AUTO = AutoTimeLimit()


@dataclass(frozen=True, slots=True)
class Prepared:
    suite: SuitePayload
    plan: TestPlan | None  # None: the host could not plan the suite (its judge will say why it fails)
    time_limit: float
    invalid: frozenset[int]  # indices of tests known invalid (validate_tests)
    test_times: tuple[float, ...] | None = None  # each test's own limit (PerTestLimit), when calibrated


def _checker_payload(checker: CheckerProgram, what: str) -> bytes:
    """A testlib checker or interactor, compiled once (languages/artifacts.py), as the sandbox's runner execs
    it; one that does not compile is the task's error."""
    from ..languages.native import LANGUAGES

    prepared = LANGUAGES[checker.language].prepare(checker.source, checker.files)
    if prepared.compile_error is not None:
        raise TaskError(f"the task's {what} does not compile: {prepared.compile_error}")
    return prepared.payload


def build_suite(task: Task, expected: list[Any] | None = None, test_times: list[float] | None = None, *,
                data_dirs: tuple[str, ...] | None = None) -> tuple[SuitePayload, TestPlan | None]:
    """Encode a task's tests for its judge, and plan them. `expected` overrides call cases' expectations;
    `test_times`: each test's own time limit (seconds). An SQL suite is a call suite to its judge: one call
    of the query per database (`data_dirs`: the directories the sandboxes read, None: any)."""
    suite = task.tests
    if isinstance(suite, AssertSuite):
        body: dict[str, Any] = {"setup": suite.setup, "code": suite.code, "entry_check": suite.entry_check,
                                "entry": task.entry_point}
        if suite.program_names:
            body["program_names"] = True
    elif isinstance(suite, CallSuite):
        body = {"atol": suite.atol, "rtol": suite.rtol, "checker": suite.checker}
    elif isinstance(suite, SqlSuite):
        body = {"atol": 0.0, "rtol": 0.0, "checker": _sql_checker(suite.compare)}
    elif isinstance(suite, StdioSuite):
        body = {"cases": [[c.stdin, c.stdout] for c in suite.cases], "comparator": suite.comparator,
                "atol": suite.atol, "rtol": suite.rtol, "checker": suite.checker}
        if task.limits.case_time is not None:
            body["case_cpu"] = case_cpu_seconds(task.language, task.limits.case_time)
        for name in ("checker_program", "interactor"):
            program = getattr(suite, name)
            if program is not None:
                body[name] = _checker_payload(program, name.replace("_", " "))
                body[f"{name}_time"] = program.time
                if program.protocol != "testlib":
                    body[f"{name}_protocol"] = program.protocol
        for name in ("input_file", "output_file"):
            if getattr(suite, name) is not None:
                body[name] = getattr(suite, name)
    else:  # pragma: no cover - the model's discriminated union admits nothing else
        raise TypeError(f"unknown test suite {type(suite).__name__}")
    if test_times is not None:
        body["test_times"] = [round(t, 6) for t in test_times]
    data = wire.dumps(body)
    if isinstance(suite, CallSuite | SqlSuite):
        # "cases": [[args, kwargs, expected], ...]: each case's arguments encoded once per task (a task is
        # built more than once: without expectations, to compute them, then with them and its per-test limits),
        # as wire.dumps would encode them (a list's encoding is its items' encodings).
        if isinstance(suite, CallSuite):
            exp = expected if expected is not None else [c.expected for c in suite.cases]
            args = _encoded_args(task)
        else:
            exp = expected if expected is not None else suite.expected or _nothing(suite.count)
            args = [wire.dumps([[db, suite.row_limit], {}]) for db in database_args(task, data_dirs)]
        cases = b",".join(b"[" + a[1:-1] + b"," + wire.dumps(e) + b"]" for a, e in zip(args, exp))
        head = b'{"d":['  # a dict crosses as {"d": [[key, value], ...]}: the cases go first
        assert data.startswith(head)
        data = head + b'["cases",[' + cases + b"]]," + data[len(head):]
    kind = "call" if isinstance(suite, SqlSuite) else suite.kind
    key = hashlib.sha256(kind.encode() + b"\0" + data).hexdigest()[:32]
    test_plan = _PLANS.get(task, lambda: _plan(task))
    if isinstance(suite, AssertSuite):  # not part of the key: marshal's output is not canonical
        try:
            prepared = plan.prepare(suite.setup, suite.code, suite.entry_check, task.entry_point, pyast.parse)
            body["compiled"] = plan.dump(prepared)
            units = [u for u in prepared[2] if u.is_test]
            test_plan = TestPlan.of([short(u.name) for u in units], [u.source for u in units])
        except Exception:  # noqa: BLE001 — a suite that does not compile or plan fails in the judge, with its reason
            test_plan = None
        data = wire.dumps(body)
    return SuitePayload(kind, data, key), test_plan


_ARGS: PerTask[list[bytes]] = PerTask()  # per call task: each case's [args, kwargs], wire-encoded
_PLANS: PerTask[TestPlan | None] = PerTask()  # per task: its tests' names, ids and visibility (_plan)


def _encoded_args(task: Task) -> list[bytes]:
    assert isinstance(task.tests, CallSuite)
    cases = task.tests.cases
    return _ARGS.get(task, lambda: [wire.dumps([c.args, c.kwargs]) for c in cases])


def _nothing(n: int) -> list[Any]:
    """No expectation for each of `n` tests (the reference's outputs are computed from this suite)."""
    return [None] * n


@functools.cache
def _sql_checker(mode: str) -> str:
    """The judge's check_output for an SQL comparison: sqlresult.py's own source and the mode (the judge
    execs a checker's source, so nothing needs importing inside the sandbox)."""
    source = Path(sqlresult.__file__).read_text(encoding="utf-8")
    return f"{source}\n\ncheck_output = checker({mode!r})\n"


def _plan(task: Task) -> TestPlan | None:
    suite = task.tests
    if isinstance(suite, SqlSuite):
        names = [f"database {os.path.basename(p)}" for p in suite.databases] or ["database (schema)"]
        gold: list[Any] = suite.expected or _nothing(suite.count)
        where: list[str | None] = list(suite.databases) or [suite.schema_sql]
        sources = [json.dumps([p, e if e is not None else "<reference>", suite.compare], sort_keys=True,
                              default=repr) for p, e in zip(where, gold)]
        return TestPlan.of(names, sources)
    if isinstance(suite, CallSuite):
        sources = [json.dumps([c.args, c.kwargs, c.expected if c.has_expected else "<reference>"],
                              sort_keys=True, default=repr) for c in suite.cases]
        return TestPlan.of([f"case {i}" for i in range(len(sources))], sources, [c.visible for c in suite.cases])
    if isinstance(suite, StdioSuite):
        sources = [json.dumps([c.stdin, c.stdout]) for c in suite.cases]
        plan = TestPlan.of([f"case {i}" for i in range(len(sources))], sources, [c.visible for c in suite.cases])
        if suite.subtasks:
            groups = tuple((s.name or f"subtask {k + 1}", s.points, tuple(s.tests))
                           for k, s in enumerate(suite.subtasks))
            plan = dataclasses.replace(plan, subtasks=groups)
        return plan
    return None


Built = tuple[SuitePayload, "TestPlan | None"]


def _needs_outputs(task: Task) -> bool:
    suite = task.tests
    if isinstance(suite, SqlSuite):
        return suite.expected is None
    return isinstance(suite, CallSuite) and any(not c.has_expected for c in suite.cases)


def _expected(task: Task, outputs: list[object] | None) -> list[Any] | None:
    """Call cases' expectations: each case's own, else the reference's output on it (an SQL suite: the gold
    query's rows)."""
    suite = task.tests
    if outputs is None or not isinstance(suite, CallSuite | SqlSuite):
        return None
    if isinstance(suite, SqlSuite):
        return list(outputs)
    return [c.expected if c.has_expected else out for c, out in zip(suite.cases, outputs)]


def _failure(result: Result) -> str:
    bad = next((t for t in result.tests if t.outcome is not Outcome.PASSED), None)
    return result.reason or (f"{bad.name}: {bad.outcome.value} {bad.detail}" if bad else "failed")


class TaskPrep:
    """Prepares tasks for an engine, once per task; thread-safe."""

    def __init__(self, run: Run, *, time_limit: float | str | None = None, auto: AutoTimeLimit = DEFAULT_AUTO,
                 validate_tests: bool = False, per_test: PerTestLimit | None | str = TASK_OWN,
                 memory: ResultCache | None = None, memory_settings: str = "",
                 data_dirs: tuple[str, ...] | None = None, packages: tuple[str, ...] | None = None) -> None:
        self.run = run
        self.data_dirs = data_dirs  # the directories the executor's sandboxes read (None: any path)
        self.packages = packages  # the packages their candidates import (None: whatever is installed)
        # Where preparations are kept across runs (the result cache's file), under the settings of the
        # executor that measured them.
        self.memory, self.memory_settings = memory, memory_settings
        self.time_limit = time_limit
        self.auto = auto
        self.validate_tests = validate_tests
        self.per_test = per_test  # TASK_OWN: each task's limits.per_test; None: none; else for every task
        self._prepared: PerTask[Prepared] = PerTask()
        self._outputs: PerTask[tuple[list[object], list[float]]] = PerTask()
        self._raw: PerTask[tuple[SuitePayload, TestPlan | None]] = PerTask()

    def get(self, task: Task) -> Prepared:
        """The task's preparation; TaskError if the task is broken, InfraError if a sandbox broke."""
        return self._prepared.get(task, lambda: self._prepare(task))

    def fail(self, task: Task, reason: str) -> None:
        """An execution showed the task's tests broken (records.py "suite"): every later sample gets it."""
        self._prepared.fail(task, TaskError(reason))

    def raw_suite(self, task: Task) -> tuple[SuitePayload, TestPlan | None]:
        """The tests without computed expectations: for running programs in collect mode."""
        return self._raw.get(task, lambda: self._build_raw(task))

    def _build_raw(self, task: Task) -> tuple[SuitePayload, TestPlan | None]:
        self._importable(task)
        return build_suite(task, data_dirs=self.data_dirs)

    def reference_outputs(self, task: Task) -> list[object]:
        """What the reference solution returns for each call case (the expectation of a case without one)."""
        return self._outputs.get(task, lambda: self._reference_outputs(task))[0]

    def outputs_known(self, task: Task) -> list[object] | None:
        known = self._outputs.peek(task)
        return known[0] if known is not None else None

    def per_test_of(self, task: Task) -> PerTestLimit | None:
        """The per-test time limit policy that applies to `task`."""
        return task.limits.per_test if self.per_test == TASK_OWN else self.per_test  # type: ignore[return-value]

    def _importable(self, task: Task) -> None:
        """TaskError if the task's programs need a package the executor's sandboxes do not bind (a DuckDB SQL
        task without duckdb): said once here, before any candidate fails on it as if it were its fault."""
        missing = [name for name in sql_packages({task.id: task}) if self.packages is not None
                   and name not in self.packages]
        if missing:
            raise TaskError(f"{task.id}: its queries need {missing[0]} in the sandboxes, and this engine's "
                            f"packages are {list(self.packages or ())}: {DUCKDB_HINT}")

    def _prepare(self, task: Task) -> Prepared:
        self._importable(task)
        per_test = self.per_test_of(task)
        if per_test is not None and not task.reference:
            raise TaskError(f"{task.id}: per-test time limits need a reference solution to calibrate them")
        key = None
        if self.memory is not None:
            mode = (f"auto={self.auto.runs if self.time_limit == AUTO else 0};validate={self.validate_tests};"
                    f"per_test={per_test is not None};{self.memory_settings}")
            key = self.memory.prep_key(task, mode)
            kept = self.memory.get_prep(key)
            if kept is not None:
                try:
                    return self._recall(task, kept, per_test)
                except (KeyError, TypeError, ValueError, AttributeError, wire.WireError):  # not ours: measure
                    pass
        outputs, doc, built = self._measure(task, per_test)
        if key is not None:
            assert self.memory is not None
            self.memory.put_prep(key, {**doc, "outputs": wire.dumps(outputs).decode() if outputs is not None else None})
        return self._derive(task, outputs, doc, per_test, built)

    def _recall(self, task: Task, doc: dict[str, Any], per_test: PerTestLimit | None) -> Prepared:
        """The preparation from a document the result cache kept (`_measure`'s, outputs wire-encoded)."""
        outputs: list[object] | None = None
        if doc["outputs"] is not None:
            known = outputs = cast("list[object]", wire.loads(doc["outputs"].encode()))
            seconds: list[float] = doc["seconds"] or []
            self._outputs.get(task, lambda: (known, seconds))  # the auditor reads them (outputs_known)
        return self._derive(task, outputs, doc, per_test)

    def _measure(self, task: Task, per_test: PerTestLimit | None) -> tuple[list[object] | None, dict[str, Any],
                                                                             Built | None]:
        """Run the reference as the preparation needs: its outputs (call cases without an expectation), the
        calibration (`auto`), its per-test times, the tests it fails (validate_tests). Its outputs, and what
        the runs measured as a document the result cache can keep (so a later run of the same task runs none
        of them); and the suite the judged runs used, if any."""
        outputs: list[object] | None = None
        seen: list[list[float]] = []  # the reference's seconds on each test, per run that measured them
        if _needs_outputs(task):
            outputs, seconds = self._outputs.get(task, lambda: self._reference_outputs(task))
            seen.append(seconds)
        built: Built | None = None
        reference_run: Result | None = None
        wall = None
        if self.time_limit == AUTO and task.limits.case_time is None:  # a case's CPU limit is the task's own
            built = build_suite(task, _expected(task, outputs), data_dirs=self.data_dirs)
            wall, runs = self._calibrate(task, *built)
            reference_run = runs[-1]
            seen += [[t.time for t in r.tests] for r in runs]
        limit = self._limit(task, wall)
        if (self.validate_tests or (per_test is not None and not seen)) and reference_run is None and task.reference:
            built = built or build_suite(task, _expected(task, outputs), data_dirs=self.data_dirs)
            reference_run = self._judge_reference(task, *built, max(limit, task.limits.time))
            seen.append([t.time for t in reference_run.tests])
        invalid = None
        if self.validate_tests and reference_run is not None:
            invalid = [i for i, t in enumerate(reference_run.tests) if t.outcome is not Outcome.PASSED]
            if len(invalid) == len(reference_run.tests):
                raise TaskError(f"{task.id}: no test passes on the reference solution ({_failure(reference_run)})")
        slowest = [max(run[i] for run in seen) for i in range(min(len(run) for run in seen))] if seen else None
        return outputs, {"wall": wall, "seconds": slowest, "invalid": invalid}, built

    def _derive(self, task: Task, outputs: list[object] | None, doc: dict[str, Any], per_test: PerTestLimit | None,
                built: Built | None = None) -> Prepared:
        """The preparation from the reference's outputs and what its runs measured (`_measure`'s document)."""
        expected = _expected(task, outputs)
        limit = self._limit(task, doc["wall"])
        invalid = frozenset(int(i) for i in doc["invalid"] or ())
        test_times = None
        if per_test is not None:
            test_times = tuple(min(limit, per_test.seconds(float(t))) for t in doc["seconds"])
            # the suite the samples run: with the limits
            built = build_suite(task, expected, list(test_times), data_dirs=self.data_dirs)
        suite, test_plan = built if built is not None else build_suite(task, expected, data_dirs=self.data_dirs)
        return Prepared(suite, test_plan, limit, invalid, test_times)

    def _limit(self, task: Task, wall: float | None) -> float:
        """The execution's limit: calibrated from the reference's wall time (`auto`), the engine's, or the task's;
        for stdio cases with their own CPU limit (`case_time`), at least every case's wall ceiling."""
        if task.limits.case_time is not None and isinstance(task.tests, StdioSuite):
            cpu = case_cpu_seconds(task.language, task.limits.case_time)
            return max(task.limits.time, len(task.tests.cases) * wall_ceiling(cpu) + 1.0)
        if self.time_limit == AUTO:
            if wall is None:
                raise ValueError("a calibrated limit needs the reference's time")
            return self.auto.limit(float(wall))
        return task.limits.time if self.time_limit is None else float(self.time_limit)

    def _judge_reference(self, task: Task, suite: SuitePayload, test_plan: TestPlan | None, seconds: float) -> Result:
        """The reference solution judged by the suite; TaskError if the suite itself is broken."""
        assert task.reference is not None
        r = decide(task.id, test_plan, self.run(task, task.reference, suite, seconds, "judge"))
        if r.status is Status.ERROR:
            _raise(task, r, "the reference solution could not be judged")
        return r

    def _reference_outputs(self, task: Task) -> tuple[list[object], list[float]]:
        """The reference's return value on each call case, and its seconds on each."""
        if not task.reference:
            raise TaskError(f"{task.id}: call cases without 'expected' and no reference solution")
        suite, test_plan = self.raw_suite(task)
        ex = self.run(task, task.reference, suite, max(task.limits.time, 1.0), "collect")
        result = decide(task.id, test_plan, ex)
        if result.status is not Status.PASSED:
            _raise(task, result, "the reference solution does not run cleanly")
        return values(ex, len(result.tests)), [t.time for t in result.tests]

    def _calibrate(self, task: Task, suite: SuitePayload, test_plan: TestPlan | None) -> tuple[float, list[Result]]:
        """Run the reference `auto.runs` times with a generous limit: the slowest wall time, and the runs."""
        if not task.reference:
            raise TaskError(f"{task.id}: --time-limit auto needs a reference solution")
        generous = max(task.limits.time, self.auto.ceiling)
        times, runs = [], []
        for _ in range(max(1, self.auto.runs)):
            t0 = time.perf_counter()
            result = self._judge_reference(task, suite, test_plan, generous)
            if result.status is not Status.PASSED and not self.validate_tests:
                raise TaskError(f"{task.id}: cannot calibrate the time limit, the reference solution "
                                f"{result.status.value}: {_failure(result)}")
            times.append(max(result.time, time.perf_counter() - t0))
            runs.append(result)
        return max(times), runs


def _raise(task: Task, result: Result, what: str) -> None:
    """A reference run that did not pass: the task's fault (TaskError), unless the sandbox broke."""
    if result.status is Status.ERROR and result.cause is ErrorCause.SANDBOX:
        raise InfraError(f"{task.id}: {what}: {result.reason}")
    raise TaskError(f"{task.id}: {what} ({_failure(result)})")


def values(ex: Execution, n: int) -> list[object]:
    """The values a collect-mode execution returned, per test (None where a test returned none)."""
    by_index = {r["i"]: wire.loads(r["v"].encode()) for r in ex.records if "i" in r and "v" in r}
    return [by_index.get(i) for i in range(n)]


def cost_of(ex: Execution) -> tuple[int | None, float | None, str]:
    """(line events, CPU seconds, why neither is to be believed) of a costed execution (sandboxed/costing.py).
    No record: the program did not answer every test (it died, hung or ran out of time), so no cost."""
    rec = next((r for r in ex.records if "cost" in r), None)
    if rec is None:
        return None, None, "not measured: the execution did not finish its tests"
    why = str(rec.get("untrusted") or "")
    if why:
        return None, None, f"untrusted: {why}"
    lines = rec["cost"] if type(rec["cost"]) is int else None
    cpu = float(rec["cpu"]) if isinstance(rec.get("cpu"), int | float) and lines is None else None
    return lines, cpu, ""


def trace_of(ex: Execution) -> tuple[list[tuple[int, dict[str, tuple[object, str]] | None]], bool] | None:
    """The events of a traced execution (sandboxed/costing.py TraceLog), read defensively: the candidate
    wrote them, so anything malformed ends the trace there (truncated). None: no trace came back."""
    rec = next((r for r in ex.records if "trace" in r), None)
    if rec is None or type(rec["trace"]) is not list:
        return None
    events: list[tuple[int, dict[str, tuple[object, str]] | None]] = []
    truncated = rec.get("truncated") is True
    for item in rec["trace"]:
        if type(item) is not list or len(item) != 2 or type(item[0]) is not int:
            return events, True
        raw = item[1]
        if raw is None:
            events.append((item[0], None))
            continue
        if type(raw) is not dict:
            return events, True
        state: dict[str, tuple[object, str]] = {}
        for name, pair in raw.items():
            if type(pair) is not list or len(pair) != 2 or type(pair[1]) is not str:
                return events, True
            value: object = NO_VALUE
            if type(pair[0]) is str:
                try:
                    value = wire.loads(pair[0].encode())
                except wire.WireError:
                    return events, True
            state[str(name)] = (value, pair[1])
        events.append((item[0], state))
    return events, truncated


class _NoValue:
    """A local whose value is not plain data: the trace keeps its type only."""

    def __repr__(self) -> str:
        return "<no value>"


NO_VALUE: object = _NoValue()
