"""Open-Instruct's code verifier endpoints, POST /test_program and /test_program_stdio, with its semantics.

Open-Instruct (open_instruct/code_utils) runs each test by itself, `exec(program); exec(test)`, with its own
time limit, and answers `{"results": [0|1, ...], "runtimes": [seconds, or -1.0 where the test failed]}`. Here:
* each test has its own `max_execution_time`: a test past it fails, and the next goes on in the same process
  (the candidate's own timer interrupts the call); after a hang that timer cannot break, the tests not yet
  run get a fresh process (`_each_test_timed`);
* a test that is not Python fails alone, as its exec would, and so does every test when none calls a function
  this judge can bind (`assert LIMIT == 10`);
* a test may call any function the program defines by its name, read its plain globals and the standard
  modules it imported (sandboxed/suites.py binds each, through the proxy), and pass functions on
  (proxy.portable: they cross as code or by name); but unlike Open-Instruct the tests run in the judge process
  and what the program returns crosses back as plain data, so an object of the program's stays out of reach:
  what keeps an always-equal object or a patched builtin from passing (DESIGN.md rules 1 and 2);
* an infrastructure failure answers 503 (`_routes._refuse_errors`), after the sandbox pool's own retry on a
  fresh sandbox: Open-Instruct does not retry a POST and scores it 0 with a warning in its log — the one
  client here that cannot tell a broken sandbox from a wrong program.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..engine import Engine
from ..errors import InputError
from ..judge.verdict import merge_reruns
from ..results import Outcome, Result, Status
from ..sandboxed.records import Cause
from ..tasks.model import Task
from ._inputs import decode_tests, task_from_label
from ._routes import Service, _refuse_errors
from ._schemas import TestProgramRequest, TestProgramResponse

router = APIRouter()


def _compiles(test: str) -> bool:
    try:
        compile(test, "<test>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _each_test_timed(engine: Engine, task: Task, program: str, n: int, seconds: float) -> Result:
    """Open-Instruct's time limit: `seconds` for each of the task's `n` tests (see the module's docstring).
    The runs' verdicts, merged; status error if one broke."""
    merged: Result | None = None
    todo: list[int] | None = None  # None: every test
    while True:
        out = engine.execute(task, program, test_time=seconds, only=todo,
                             time_limit=seconds * (len(todo) if todo is not None else n) + 1.0)
        if out.result.status is Status.ERROR:
            return out.result
        merged = out.result if merged is None or todo is None else merge_reruns(merged, out.result, todo)
        left = [j for j, t in enumerate(merged.tests) if t.cause == Cause.NOT_RUN]
        if not left or left == todo:
            break
        todo = left
    merged.status = Status.PASSED if all(t.outcome is Outcome.PASSED for t in merged.tests) else Status.FAILED
    return merged


async def _test_program(body: TestProgramRequest, service: Service, stdio: bool) -> dict[str, Any]:
    tests = decode_tests(body.tests)
    if not tests:
        return {"results": [], "runtimes": []}
    runnable = list(range(len(tests)))
    if stdio:
        bad = next((i for i, t in enumerate(tests) if not isinstance(t, dict) or {"input", "output"} - t.keys()),
                   None)
        if bad is not None:
            raise InputError("each stdio test must be an object with 'input' and 'output'", field=f"tests.{bad}")
        label: object = {"inputs": [t["input"] for t in tests], "outputs": [t["output"] for t in tests]}
    else:
        if not all(isinstance(t, str) for t in tests):
            raise InputError("each test must be a string of Python code (an assert)", field="tests")
        runnable = [i for i, t in enumerate(tests) if _compiles(t)]
        label = [tests[i] for i in runnable]
    results, runtimes = [0] * len(tests), [-1.0] * len(tests)
    if not runnable:
        return {"results": results, "runtimes": runtimes}
    try:
        task = task_from_label(label, service.tasks, "tests")
    except InputError:
        if stdio:
            raise
        return {"results": results, "runtimes": runtimes}  # no test calls a function: each fails
    engine = service.engine
    assert engine is not None
    (result,) = await service.run_jobs([lambda: _each_test_timed(engine, task, body.program, len(runnable),
                                                                  body.max_execution_time)],
                                       wait=service.settings.compat_wait)
    _refuse_errors([result], service)
    for i, t in zip(runnable, result.tests):
        if t.outcome is Outcome.PASSED:
            results[i], runtimes[i] = 1, t.time
    return {"results": results, "runtimes": runtimes}


@router.post("/test_program", response_model=TestProgramResponse, tags=["open-instruct"])
async def test_program(body: TestProgramRequest, service: Service) -> dict[str, Any]:
    """Open-Instruct's code verifier: `program` + assert `tests` -> results (0/1 per test) and runtimes."""
    return await _test_program(body, service, stdio=False)


@router.post("/test_program_stdio", response_model=TestProgramResponse, tags=["open-instruct"])
async def test_program_stdio(body: TestProgramRequest, service: Service) -> dict[str, Any]:
    """Open-Instruct's stdio verifier: `tests` are {"input", "output"} pairs."""
    return await _test_program(body, service, stdio=True)
