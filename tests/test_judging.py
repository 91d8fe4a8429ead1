"""Judging, end to end in real sandboxes: what each test's cause and id say, tests known invalid, broken test
suites reported once, reference runs that meet a broken sandbox, collect mode, and the executor seam."""

from __future__ import annotations

import threading

import pytest

from codereward import (
    AssertSuite,
    CallCase,
    CallSuite,
    Cause,
    Engine,
    ErrorCause,
    InfraError,
    LocalPool,
    Outcome,
    Status,
    StdioCase,
    StdioSuite,
    Task,
    UsageError,
    score,
)
from codereward.stats import Stats


@pytest.fixture(scope="module")
def engine():
    with Engine(workers=2) as e:
        yield e


def assert_task(body: str, setup: str = "", tid: str = "t/judging") -> Task:
    code = "def check(candidate):\n" + "".join(f"    {line}\n" for line in body.strip("\n").split("\n"))
    return Task(id=tid, entry_point="f", tests=AssertSuite(code=code, setup=setup))


# -- causes ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("test,program,cause,outcome", [
    ("assert candidate(1) == 2", "def f(x):\n    return 3\n", Cause.ASSERTION_FAILED, Outcome.WRONG_ANSWER),
    ("assert candidate(1) == 2", "def f(x):\n    raise ValueError('no')\n", Cause.CANDIDATE_RAISED,
     Outcome.RUNTIME_ERROR),
    ("assert candidate(1) == 2", "def f(x):\n    raise SystemExit(0)\n", Cause.CANDIDATE_EXIT, Outcome.RUNTIME_ERROR),
    ("assert candidate(1) == 2", "def f(x):\n    return object()\n", Cause.UNSERIALIZABLE, Outcome.RUNTIME_ERROR),
    ("assert candidate(1) == 2", "import os\ndef f(x):\n    os._exit(0)\n", Cause.CANDIDATE_GONE,
     Outcome.RUNTIME_ERROR),
    ("assert candidate(1) == 2", "import ctypes\ndef f(x):\n    return ctypes.string_at(0)\n", Cause.KILLED,
     Outcome.RUNTIME_ERROR),
    # The test raised on what the candidate answered (comparing None with an int): charged to the answer.
    ("assert candidate(1) < 3", "def f(x):\n    return None\n", Cause.TEST_RAISED, Outcome.WRONG_ANSWER),
    # The test raised before the candidate answered anything of it: it failed on its own.
    ("assert candidate(undefined_name) == 2", "def f(x):\n    return 2\n", Cause.TEST_ERROR, Outcome.WRONG_ANSWER),
    # A lambda cannot cross to the candidate's process: the test's fault, not an infra error.
    ("assert candidate(object()) == 2", "def f(x):\n    return 2\n", Cause.TEST_ERROR, Outcome.WRONG_ANSWER),
    ("assert candidate(1) == 2", "def f(x) return 2\n", Cause.COMPILE_ERROR, Outcome.COMPILE_ERROR),
    ("assert candidate(1) == 2", "raise KeyError('at load')\ndef f(x):\n    return 2\n", Cause.LOAD_RAISED,
     Outcome.RUNTIME_ERROR),
])
def test_each_test_reports_what_happened(engine, test, program, cause, outcome):
    r = engine.check(assert_task(test), solution=program)
    assert r.status is Status.FAILED, r
    assert (r.tests[0].cause, r.tests[0].outcome) == (cause, outcome), r.tests[0]


def test_an_exit_and_a_vanished_process_are_flagged_from_their_causes(engine):
    r = engine.check(assert_task("assert candidate(1) == 2"), solution="def f(x):\n    raise SystemExit(0)\n")
    assert any(f.rule == "runtime:exit-raised" for f in r.flags)
    r = engine.check(assert_task("assert candidate(1) == 2"), solution="import os\ndef f(x):\n    os._exit(0)\n")
    assert any(f.rule == "runtime:process-exited" for f in r.flags)
    # A crash is not an exit the program chose: no early-exit flag for it.
    r = engine.check(assert_task("assert candidate(1) == 2"),
                     solution="import ctypes\ndef f(x):\n    return ctypes.string_at(0)\n")
    assert not any(f.category.value == "early_exit" for f in r.flags), r.flags


# -- test identity ---------------------------------------------------------------------------------------


def test_ids_are_stable_and_follow_the_test_not_its_place_or_name(engine):
    body = "assert candidate(1) == 1\nassert candidate(2) == 2\nassert candidate(2) == 2"
    a = engine.check(assert_task(body), solution="def f(x):\n    return x\n")
    b = engine.check(assert_task(body, tid="t/other"), solution="def f(x):\n    return 0\n")
    ids = [t.id for t in a.tests]
    assert ids == [t.id for t in b.tests] and len(set(ids)) == 3  # same tests, same ids; the index parts them
    assert ids[1].split(":")[1] == ids[2].split(":")[1]  # identical source, identical digest
    moved = engine.check(assert_task("x = 0\n" + body), solution="def f(x):\n    return x\n")
    assert [t.id for t in moved.tests] == ids and [t.name for t in moved.tests] != [t.name for t in a.tests]
    call = Task(id="t/call", entry_point="f", tests=CallSuite(cases=[CallCase(args=[1], expected=1),
                                                                     CallCase(args=[2], expected=2)]))
    c = engine.check(call, solution="def f(x):\n    return x\n")
    assert [t.id.split(":")[0] for t in c.tests] == ["0", "1"] and c.tests[0].id != c.tests[1].id


# -- broken suites ----------------------------------------------------------------------------------------


def test_a_set_up_statement_that_fails_on_its_own_is_the_tasks_error_reported_once():
    task = assert_task("table = {}\nvalue = table['missing']\nassert candidate(1) == 1", tid="t/setup-broken")
    with Engine(workers=1) as e:
        results = e.run_many([(task, "def f(x):\n    return x\n"), (task, "def f(x):\n    return x + 0\n")])
        stats = e.stats
    assert [r.status for r in results] == [Status.ERROR] * 2
    assert all(r.cause is ErrorCause.TASK and "set-up statement failed" in r.reason for r in results)
    assert stats["executions"] == 1 and stats["task_errors"] == 2  # the second sample was not run
    assert score(results) == [None, None]


def test_a_set_up_statement_that_fails_on_the_candidates_answer_fails_the_candidate(engine):
    task = assert_task("x = candidate(1)\ny = x + 1\nassert y == 2\nassert candidate(2) == 2", tid="t/setup-after")
    good = engine.check(task, solution="def f(x):\n    return x\n")
    bad = engine.check(task, solution="def f(x):\n    return None\n")  # `None + 1` raises in the set-up
    assert good.status is Status.PASSED
    assert bad.status is Status.FAILED and bad.cause is None
    assert [t.cause for t in bad.tests] == [Cause.PASSED, Cause.TEST_RAISED, Cause.TEST_RAISED]
    assert "set-up statement failed" in bad.tests[1].detail


def test_invalid_tests_count_neither_for_nor_against():
    task = Task(id="t/validate", entry_point="f", reference="def f(x):\n    return 2 * x\n",
                tests=AssertSuite(code="def check(candidate):\n    assert candidate(1) == 2\n"
                                       "    assert candidate(2) == 5\n    assert candidate(3) == 6\n"))
    with Engine(workers=1, validate_tests=True) as e:
        right = e.check(task, solution="def f(x):\n    return 2 * x\n")
        wrong = e.check(task, solution="def f(x):\n    return 2\n")
        gamed = e.check(task, solution="def f(x):\n    return 5 if x == 2 else 2 * x\n")
    assert right.status is Status.PASSED and right.tests[1].outcome is Outcome.INVALID
    assert right.tests[1].cause == Cause.ASSERTION_FAILED  # what happened is still said
    assert (right.n_passed, right.n_tests) == (2, 2) and score([right], "fraction") == [1.0]
    assert wrong.status is Status.FAILED and score([wrong], "fraction") == [0.5]
    assert gamed.status is Status.PASSED  # passing an invalid test earns nothing either
    with Engine(workers=1) as e:  # without validation the broken test is the candidate's failure
        assert e.check(task, solution="def f(x):\n    return 2 * x\n").status is Status.FAILED


def test_a_task_whose_every_test_fails_on_the_reference_is_the_tasks_error():
    task = Task(id="t/all-invalid", entry_point="f", reference="def f(x):\n    return 0\n",
                tests=AssertSuite(code="def check(candidate):\n    assert candidate(1) == 2\n"))
    with Engine(workers=1, validate_tests=True) as e:
        r = e.check(task, solution="def f(x):\n    return 2\n")
    assert r.status is Status.ERROR and r.cause is ErrorCause.TASK and "reference" in r.reason


# -- reference runs and a broken sandbox -----------------------------------------------------------------


class FlakyPool(LocalPool):
    """A LocalPool whose first `failures` executions break as a sandbox would."""

    def __init__(self, failures: int, **kw) -> None:
        super().__init__(**kw)
        self.failures = failures

    def execute(self, job, **kw):
        if self.failures > 0:
            self.failures -= 1
            raise InfraError("sandbox worker exited")
        return super().execute(job, **kw)


@pytest.mark.parametrize("time_limit,tests", [
    ("auto", AssertSuite(code="def check(candidate):\n    assert candidate(2) == 4\n")),  # calibration
    (None, CallSuite(cases=[CallCase.model_validate({"args": [2]})])),  # expected outputs from the reference
])
def test_a_reference_run_that_met_a_broken_sandbox_is_not_remembered(time_limit, tests):
    task = Task(id="t/flaky", entry_point="f", reference="def f(x):\n    return 2 * x\n", tests=tests)
    with Engine(FlakyPool(1, workers=1), time_limit=time_limit) as e:
        first = e.check(task, solution="def f(x):\n    return 2 * x\n")
        second = e.check(task, solution="def f(x):\n    return 2 * x\n")
    assert first.status is Status.ERROR and first.cause is ErrorCause.SANDBOX and score([first]) == [None]
    assert second.status is Status.PASSED, second  # the task was prepared again, and this time it worked


def test_a_broken_reference_is_the_tasks_error():
    task = Task(id="t/bad-ref", entry_point="f", reference="def f(x):\n    return 1 / 0\n",
                tests=CallSuite(cases=[CallCase.model_validate({"args": [2]})]))
    with Engine(workers=1) as e:
        r = e.check(task, solution="def f(x):\n    return 2 * x\n")
        again = e.check(task, solution="def f(x):\n    return 3 * x\n")
        assert e.stats["executions"] == 1  # the reference ran once; no sample ran
    assert r.cause is again.cause is ErrorCause.TASK and "reference solution" in r.reason


# -- collect mode -------------------------------------------------------------------------------------------


def test_outputs_are_collected_per_case(engine):
    call = Task(id="t/out", entry_point="f", tests=CallSuite(cases=[CallCase(args=[1], expected=0),
                                                                    CallCase(args=[2], expected=0)]))
    out = engine.outputs(call, "def f(x):\n    return (x, {x})\n")
    assert out.result.status is Status.PASSED and out.values == [(1, {1}), (2, {2})]  # plain types kept
    stdio = Task(id="t/out-stdio", tests=StdioSuite(cases=[StdioCase(stdin="3\n", stdout="x")]))
    out = engine.outputs(stdio, "print(int(input()) * 2)\n")
    assert out.values == ["6\n"]
    out = engine.outputs(call, "def f(x):\n    raise ValueError\n")
    assert [t.outcome for t in out.result.tests] == [Outcome.RUNTIME_ERROR] * 2 and out.values == [None, None]
    with pytest.raises(UsageError):
        engine.outputs(assert_task("assert candidate(1) == 1"), "def f(x):\n    return x\n")


def test_a_wrong_answer_to_a_huge_int_is_described_without_printing_it(engine):
    # HumanEval+ /83 expects 18 * 10**999998 on some inputs: printing that for the detail took ~14 s a test.
    task = Task(id="t/huge-int", entry_point="f", tests=CallSuite(cases=[CallCase(args=[400_000])]),
                reference="def f(n):\n    return 18 * 10 ** (n - 2)\n")
    r = engine.check(task, solution="def f(n):\n    return n\n")
    assert r.status is Status.FAILED and r.tests[0].outcome is Outcome.WRONG_ANSWER
    assert r.tests[0].detail == "expected 1.800000000e+399999 (an int of 400000 digits), got 400000"
    assert engine.check(task, solution="def f(n):\n    return 18 * 10 ** (n - 2)\n").status is Status.PASSED


# -- the seam --------------------------------------------------------------------------------------------


def test_engine_options_are_checked_when_it_is_made():
    with pytest.raises(UsageError, match="isolation"):
        Engine(isolation="docker")
    with pytest.raises(UsageError, match="time_limit"):
        Engine(time_limit="soon")
    with pytest.raises(UsageError, match="give them to the executor"):
        Engine(LocalPool(1), workers=3)


def test_stats_lose_no_count_under_contention():
    import sys

    stats = Stats("n")
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: a plain `d[k] += 1` loses counts here
    try:
        threads = [threading.Thread(target=lambda: [stats.add("n") for _ in range(20_000)]) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert stats["n"] == 160_000


def test_the_python_profile_filters_are_exactly_as_strict_as_before():
    """The language seam added sandbox profiles; the python profile's seccomp programs are byte for byte the
    ones every release before it loaded (sha256 taken at 6e152aa)."""
    import hashlib

    from codereward.sandboxed import seccomp

    assert hashlib.sha256(seccomp.base_program("python")).hexdigest() == \
        "52c72bcbd794bb7b84cd788f694efbb2fda58530000c9be0ede4e180f9093623"
    assert hashlib.sha256(seccomp.candidate_program(0x7FFFFFFE)).hexdigest() == \
        "d85a2ca0471deb55a66ccc0135d644835de462b921ae4a650852a8ea68af2c8a"
    assert {"execve", "execveat", "fork", "vfork"} <= set(seccomp.PROFILES["python"])


def test_the_host_parses_test_code_under_its_lock(monkeypatch):
    """pyast's lock serialises every host-side parse (CPython gh-106905); planning an assert suite is one."""
    from codereward import load_humaneval, pyast
    from codereward.judge.prepare import build_suite

    calls = []
    real = pyast.parse
    monkeypatch.setattr(pyast, "parse", lambda source: calls.append(source) or real(source))
    build_suite(load_humaneval()["HumanEval/0"])
    assert calls, "the suite was parsed without the lock"


# -- per-test options (what pass matrices are built with) ---------------------------------------------------


def test_a_test_that_hangs_fails_alone_and_the_same_program_goes_on(engine):
    """The candidate's own timer interrupts the hung call (CodeT's in-process alarm): the test fails with a
    time limit and the next runs in the same process, its module state as the interrupted call left it."""
    task = assert_task("assert candidate(1) == 1\nassert candidate(2) == 2\nassert candidate(3) == 3\n"
                       "assert candidate(0) == 4", tid="t/per-test")
    program = "calls = 0\ndef f(x):\n    global calls\n    calls += 1\n    while x == 2:\n        pass\n" \
              "    return x or calls\n"
    out = engine.execute(task, program, test_time=0.2)
    assert [t.outcome for t in out.tests] == [Outcome.PASSED, Outcome.TIME_LIMIT, Outcome.PASSED, Outcome.PASSED]
    assert out.result.time < 2.0  # the execution's own limit (3 s) did not have to run out


def test_a_program_that_swallows_the_interruption_is_stopped_and_the_caller_runs_the_rest_again(engine):
    task = assert_task("assert candidate(1) == 1\nassert candidate(2) == 2\nassert candidate(3) == 3",
                       tid="t/per-test-stubborn")
    program = ("def f(x):\n    while x == 2:\n        try:\n            while True:\n                pass\n"
               "        except BaseException:\n            pass\n    return x\n")
    first = engine.execute(task, program, test_time=0.2)
    assert [t.outcome for t in first.tests] == [Outcome.PASSED, Outcome.TIME_LIMIT, Outcome.SKIPPED]
    assert first.result.time < 2.0
    rest = engine.execute(task, program, test_time=0.2, only=[2])
    assert [t.cause for t in rest.tests] == [Cause.NOT_RUN, Cause.NOT_RUN, Cause.PASSED]


@pytest.mark.parametrize("program, outcome", [
    ("def f(x):\n    while True:\n        pass\n", Outcome.TIME_LIMIT),  # interrupted by its timer
    ("import time\ndef f(x):\n    time.sleep(0.35)\n    return x\n", Outcome.TIME_LIMIT),  # late, in the grace
    ("def f(x):\n    raise TimeoutError('x')\n", Outcome.PASSED),  # an exception like any other
    ("class TestTimeLimit(Exception):\n    pass\ndef f(x):\n    raise TestTimeLimit('x')\n", Outcome.PASSED),
])
def test_a_test_cannot_catch_a_time_limit(engine, program, outcome):
    task = assert_task("try:\n    candidate(1)\nexcept Exception:\n    pass", tid="t/per-test-catch")
    out = engine.execute(task, program, test_time=0.25)
    assert out.tests[0].outcome is outcome


def test_values_record_what_each_tests_call_returned(engine):
    task = assert_task("assert candidate(1) == 1\nassert candidate(2) == 5\nassert candidate(3) == 3\n"
                       "assert candidate(None) == 0", tid="t/values")
    out = engine.execute(task, "def f(x):\n    return (x, [x]) if x != 3 else 1 / 0\n", values=True)
    assert [t.outcome for t in out.tests] == [Outcome.WRONG_ANSWER, Outcome.WRONG_ANSWER, Outcome.RUNTIME_ERROR,
                                              Outcome.WRONG_ANSWER]
    assert out.values == [(1, [1]), (2, [2]), None, (None, [None])]  # None: the call did not return


def test_outputs_result_has_tests_property(engine):
    out = engine.execute(assert_task("assert candidate(1) == 1", tid="t/prop"), "def f(x):\n    return x\n")
    assert out.tests == out.result.tests and out.result.status is Status.PASSED


def test_a_program_nobody_asked_for_never_reaches_the_next_candidate():
    """A judge that never talks to its candidate (the task's tests are broken) used to end the execution
    before the candidate had read its program off the sandbox's pipe; the next candidate then read it as its
    own and ran it under the next task's header (98 of 200 checks here ran the wrong program, on 6e152aa
    too). Now the zygote lets such a candidate read its program and exit before the next execution."""
    from codereward import load_humaneval

    task = load_humaneval()["HumanEval/0"]
    broken = Task(id="t/broken-suite", entry_point="f",
                  tests=AssertSuite(code="import no_such_module_x\ndef check(candidate):\n    assert 1\n"))
    with Engine(workers=1) as e:
        wrong = 0
        for _ in range(100):
            assert e.execute(broken, "def f():\n    return 1\n").result.cause is ErrorCause.TASK
            wrong += e.check(task, solution=task.reference).status is not Status.PASSED
    assert wrong == 0


# -- numpy's scalars are honest values (issue 19) ---------------------------------------------------------

MEAN_TASK = Task(id="mean", entry_point="mean", prompt="", tests=AssertSuite(code=(
    "def check(candidate):\n    assert candidate([1, 2, 3]) == 2.0\n    assert candidate([1, 2]) == 1.5\n")))
COUNT_TASK = Task(id="count", entry_point="count", prompt="", reference="def count(xs):\n    return len(xs)\n",
                  tests=CallSuite(cases=[CallCase(args=[[1, 2, 3]]), CallCase(args=[[]])]))


@pytest.mark.parametrize("body", [
    "import numpy as np\n    return np.mean(xs)",  # np.float64
    "import numpy as np\n    return np.float32(sum(xs) / len(xs))",
])
def test_a_numpy_float_is_judged_by_its_value(engine, body):
    r = engine.check(MEAN_TASK, solution=f"def mean(xs):\n    {body}\n")
    assert r.status is Status.PASSED, r.tests


@pytest.mark.parametrize("body", ["np.int64(len(xs))", "np.uint8(len(xs))", "np.sum(np.ones(len(xs), dtype=int))"])
def test_a_numpy_int_is_judged_by_its_value(engine, body):
    r = engine.check(COUNT_TASK, solution=f"import numpy as np\n\n\ndef count(xs):\n    return {body}\n")
    assert r.status is Status.PASSED, r.tests


def test_a_numpy_bool_crosses_as_a_plain_bool(engine):
    task = Task(id="np-bool", entry_point="f", prompt="", tests=AssertSuite(code=(
        "def check(candidate):\n    assert candidate(3) is True\n    assert candidate(-1) is False\n"
        "    assert type(candidate(0)) is bool\n")))
    assert engine.check(task, solution="import numpy as np\n\n\ndef f(x):\n    return np.int64(x) > 0\n").status \
        is Status.PASSED


@pytest.mark.parametrize("value", ["np.array([2.0])", "np.longdouble(2.0)", "np.complex128(2.0)"])
def test_numpy_values_without_a_plain_equivalent_are_still_refused(engine, value):
    # an array compares element-wise (its == is not a verdict); longdouble and complex have no plain float
    r = engine.check(MEAN_TASK, solution=f"import numpy as np\n\n\ndef mean(xs):\n    return {value}\n")
    assert r.status is Status.FAILED
    assert {t.cause for t in r.tests} == {"unserializable"}


def test_a_test_passes_its_own_functions_to_the_candidate(engine):
    # They cross as code (sandboxed/proxy.portable) and run in the candidate, whose answer comes back as plain
    # data: `sorted(xs, key=...)` and callbacks, as MBPP's and Open-Instruct's tests pass them.
    task = assert_task("assert candidate([3, 1, 2], lambda v: -v) == [3, 2, 1]\n"
                       "assert candidate(['b', 'A'], str.lower) == ['A', 'b']\n"
                       "assert candidate([-3, 1, 2], abs) == [1, 2, -3]\n")
    r = engine.check(task, solution="def f(xs, key):\n    return sorted(xs, key=key)\n")
    # str.lower is a method descriptor, not a builtin: it cannot cross (a test error), like any other object
    assert [t.outcome.value for t in r.tests] == ["passed", "wrong_answer", "passed"], r.tests
    assert r.tests[1].cause == Cause.TEST_ERROR


def test_program_names_reach_the_tests_only_where_the_task_says_so(engine):
    # Assert labels (MBPP, Open-Instruct) set program_names: their tests may call the program's other functions
    # and read its globals. HumanEval's check(candidate) and select's generated tests do not: there the pass
    # matrix and CodeT's golden numbers are measured with the entry point alone bound.
    program = "LIMIT = 3\n\n\ndef helper(x):\n    return x + 1\n\n\ndef f(x):\n    return helper(x)\n"
    code = "def check(candidate):\n    assert candidate(1) == 2\n    assert helper(1) == 2\n    assert LIMIT == 3\n"
    plain = Task(id="names-off", entry_point="f", tests=AssertSuite(code=code))
    shared = Task(id="names-on", entry_point="f", tests=AssertSuite(code=code, program_names=True))
    assert [t.outcome.value for t in engine.run(plain, program).tests] == ["passed", "wrong_answer", "wrong_answer"]
    assert engine.run(shared, program).status is Status.PASSED
    assert "program_names" not in plain.model_dump()["tests"]  # absent when off: older tasks keep their digests
